package query

import (
	"errors"
	"slices"

	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// RecipientsResult is who is emailed when an action of an email option happens in a
// WorkCenter, and who is not and why (docs/email.md): the answer of
// model.Account.Recipients, as `kubectl procorem recipients -o json` prints it.
type RecipientsResult struct {
	// Option is the email option (an emailNotifications field: fileUploaded, ...).
	Option string `json:"option"`
	// Title is the option as people see it ("File Uploaded").
	Title string `json:"title"`
	// Actions are the actions in a WorkCenter that send it.
	Actions    []string `json:"actions"`
	WorkCenter string   `json:"workCenter"`
	// Archived reports an archived WorkCenter: nobody is emailed.
	Archived bool `json:"archived"`
	// Emailed are the people emailed, in natural order of their names.
	Emailed []EmailRecipient `json:"emailed"`
	// NotEmailed are those assigned to the WorkCenter, and the Account and WorkCenter
	// Administrators, who are not emailed, each with why.
	NotEmailed []NotEmailed `json:"notEmailed"`
}

// EmailRecipient is one person emailed, the role that emails them and their delivery.
type EmailRecipient struct {
	Collaborator string `json:"collaborator"`
	Email        string `json:"email"`
	Type         string `json:"type"`
	AdminRole    string `json:"adminRole"`
	// Role is the role assigned in the WorkCenter, whose option is on.
	Role string `json:"role"`
	// BuiltInRole reports a built-in role (every option on, fixed).
	BuiltInRole bool `json:"builtInRole"`
	// Source is where the assignment comes from when it is not listed in the spec:
	// Selector or Template; Template is the template it is published from.
	Source   string `json:"source,omitempty"`
	Template string `json:"template,omitempty"`
	// Delivery is Immediate or Digest (spec.emailPreferences.delivery).
	Delivery string `json:"delivery"`
	// Why says so in words.
	Why string `json:"why"`
}

// NotEmailed is one person not emailed, and why.
type NotEmailed struct {
	Collaborator string `json:"collaborator"`
	Email        string `json:"email"`
	Type         string `json:"type"`
	AdminRole    string `json:"adminRole"`
	// Role is the role assigned in the WorkCenter; absent when there is no assignment.
	Role string `json:"role,omitempty"`
	// Reason is AccountNotFound, AccountDeactivated, BeingDeleted, NotAssigned,
	// NoActiveAssignment, WorkCenterArchived, OptionOffInRole or DisabledByPerson.
	Reason string `json:"reason"`
	// Why says so in words.
	Why string `json:"why"`
	// Assignment is the assignment there as the operator evaluates it, when there is one.
	Assignment *Assignment `json:"assignment,omitempty"`
}

// EmailOption checks that name is an email option (an emailNotifications field name).
func EmailOption(name string) (string, error) {
	if _, err := model.LookupEmailOption(name); err != nil {
		return "", &InputError{What: "email option", Name: name, Nearest: model.Nearest(name, model.EmailOptionNames())}
	}
	return name, nil
}

// Recipients is who is emailed when an action of option happens in the WorkCenter, and
// who is not and why: model.Account.Recipients, the function a notification service
// calls, with names in natural order. An unknown option or WorkCenter is an *InputError
// naming the nearest valid names.
func (e *Engine) Recipients(option, workCenter string) (RecipientsResult, error) {
	if _, err := EmailOption(option); err != nil {
		return RecipientsResult{}, err
	}
	r, err := e.m.Recipients(option, workCenter)
	var unknown *model.UnknownWorkCenterError
	if errors.As(err, &unknown) {
		return RecipientsResult{}, &InputError{What: "WorkCenter", Name: workCenter, Nearest: unknown.Nearest, Where: e.m.Namespace}
	}
	if err != nil {
		return RecipientsResult{}, err
	}
	out := RecipientsResult{Option: string(r.Option.Option), Title: r.Option.Title, Actions: r.Option.Actions,
		WorkCenter: r.WorkCenter, Archived: r.Archived, Emailed: []EmailRecipient{}, NotEmailed: []NotEmailed{}}
	for _, p := range sortedRecipients(r.Emailed) {
		c := p.Collaborator
		as := e.assignmentOf(*p.Assignment)
		out.Emailed = append(out.Emailed, EmailRecipient{Collaborator: c.Name, Email: c.Spec.Email, Type: typeOf(c), AdminRole: adminRoleOf(c),
			Role: p.Role, BuiltInRole: p.BuiltInRole, Source: as.Source, Template: as.Template, Delivery: string(p.Delivery), Why: p.Message})
	}
	for _, p := range sortedRecipients(r.NotEmailed) {
		c := p.Collaborator
		n := NotEmailed{Collaborator: c.Name, Email: c.Spec.Email, Type: typeOf(c), AdminRole: adminRoleOf(c),
			Role: p.Role, Reason: string(p.Reason), Why: p.Message}
		if p.Assignment != nil {
			n.Assignment = e.assignmentOf(*p.Assignment)
		}
		out.NotEmailed = append(out.NotEmailed, n)
	}
	return out, nil
}

// sortedRecipients is rs in the natural order of their names (CompareNames).
func sortedRecipients(rs []model.Recipient) []model.Recipient {
	out := slices.Clone(rs)
	slices.SortFunc(out, func(x, y model.Recipient) int { return byName(x.Collaborator, y.Collaborator) })
	return out
}
