package model

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Email recipients (docs/email.md): who is emailed when an action happens in a
// WorkCenter. A WorkCenterRole's emailNotifications say which actions email the people
// holding it there; each person's spec.emailPreferences can turn options off and choose
// immediate or digest delivery.

// EmailOptionInfo is one email option of a role: its name (the emailNotifications field),
// its title and the actions in a WorkCenter that send it.
type EmailOptionInfo struct {
	// Option is the option's name, as the field of emailNotifications.
	Option v1alpha1.EmailOption
	// Title is the option as people see it.
	Title string
	// Actions are the actions that send the email.
	Actions []string
}

// emailOptions are the options of a role's Email Messages, in the order of the API, with
// their titles and actions.
var emailOptions = []EmailOptionInfo{
	{v1alpha1.EmailFileUploaded, "File Uploaded", []string{"File uploaded - Bulk", "File uploaded - Single", "File uploaded - Version"}},
	{v1alpha1.EmailFilesFoldersDeleted, "Files/Folders Deleted", []string{"File or folder deleted", "Files/folders deleted - Bulk"}},
	{v1alpha1.EmailFileVersionRestored, "File Version Restored", []string{"Version restored"}},
	{v1alpha1.EmailFileCommentAdded, "File Comment Added", []string{"Comment added"}},
	{v1alpha1.EmailFilesFoldersCopiedMoved, "Files/Folders Copied/Moved", []string{"File/Folder Copied", "File/Folder Copied - Bulk", "File/Folder Moved", "File/Folder Moved - Bulk"}},
	{v1alpha1.EmailPostCreated, "Post Created", []string{"Post created"}},
	{v1alpha1.EmailPostUpdated, "Post Updated", []string{"Post edited"}},
	{v1alpha1.EmailPostDeleted, "Post Deleted", []string{"Post deleted"}},
	{v1alpha1.EmailCollaboratorRemoved, "Collaborator Removed from WorkCenter", []string{"Collaborator removed from the Collaborator panel in the WorkCenter (not bulk collaborator removal)"}},
}

// EmailOptions are the email options, in the order of the API. Callers must not change
// them.
func EmailOptions() []EmailOptionInfo { return emailOptions }

// EmailOptionNames are the email options' names, in the order of the API.
func EmailOptionNames() []string {
	out := make([]string, len(emailOptions))
	for i, o := range emailOptions {
		out[i] = string(o.Option)
	}
	return out
}

// UnknownEmailOptionError is an email option that is not one: its message names the
// nearest options.
type UnknownEmailOptionError struct {
	Name    string
	Nearest []string
}

func (e *UnknownEmailOptionError) Error() string {
	return fmt.Sprintf("unknown email option %q; nearest: %s", e.Name, strings.Join(e.Nearest, ", "))
}

// LookupEmailOption is the option called name (exactly, as the field of
// emailNotifications); an unknown name is an *UnknownEmailOptionError.
func LookupEmailOption(name string) (EmailOptionInfo, error) {
	for _, o := range emailOptions {
		if string(o.Option) == name {
			return o, nil
		}
	}
	return EmailOptionInfo{}, &UnknownEmailOptionError{Name: name, Nearest: Nearest(name, EmailOptionNames())}
}

// EmailOptionOn reports whether the options n turn option on. An option left out is on
// (the CRD's default), and so is every option of no options at all; an unknown option is
// never on.
func EmailOptionOn(n *v1alpha1.EmailNotifications, option v1alpha1.EmailOption) bool {
	if n == nil {
		n = &v1alpha1.EmailNotifications{}
	}
	var p *bool
	switch option {
	case v1alpha1.EmailFileUploaded:
		p = n.FileUploaded
	case v1alpha1.EmailFilesFoldersDeleted:
		p = n.FilesFoldersDeleted
	case v1alpha1.EmailFileVersionRestored:
		p = n.FileVersionRestored
	case v1alpha1.EmailFileCommentAdded:
		p = n.FileCommentAdded
	case v1alpha1.EmailFilesFoldersCopiedMoved:
		p = n.FilesFoldersCopiedMoved
	case v1alpha1.EmailPostCreated:
		p = n.PostCreated
	case v1alpha1.EmailPostUpdated:
		p = n.PostUpdated
	case v1alpha1.EmailPostDeleted:
		p = n.PostDeleted
	case v1alpha1.EmailCollaboratorRemoved:
		p = n.CollaboratorRemoved
	default:
		return false
	}
	return p == nil || *p
}

// RoleEmailNotifications are the email options of the role called name as the model
// holds it: a built-in role's are always its fixed ones (every option on, BuiltInRoleSpec),
// whatever its object says, as its permissions are (R9); another role's are its spec's.
// builtIn reports a built-in role; nil options with ok false when there is no such role.
func (a *Account) RoleEmailNotifications(name string) (n *v1alpha1.EmailNotifications, builtIn, ok bool) {
	if spec, isBuiltIn := BuiltInRoleSpec(name); isBuiltIn {
		return spec.EmailNotifications, true, a.roles[name] != nil
	}
	r := a.roles[name]
	if r == nil {
		return nil, false, false
	}
	return r.Spec.EmailNotifications, false, true
}

// DeliveryOf is how c's emails are delivered: spec.emailPreferences.delivery, Immediate
// when unset (the CRD's default).
func DeliveryOf(c *v1alpha1.Collaborator) v1alpha1.EmailDelivery {
	if p := c.Spec.EmailPreferences; p != nil && p.Delivery != "" {
		return p.Delivery
	}
	return v1alpha1.EmailImmediate
}

// DisabledByPerson reports whether c turned option off (spec.emailPreferences.disabled).
func DisabledByPerson(c *v1alpha1.Collaborator, option v1alpha1.EmailOption) bool {
	p := c.Spec.EmailPreferences
	return p != nil && slices.Contains(p.Disabled, option)
}

// RecipientReason says why a person is not emailed. Values are stable API (the plugin's
// JSON shows them).
type RecipientReason string

// Why a person is not emailed, in the order they are decided: the first that applies is
// the reason.
const (
	// RecipientAccountNotFound: the namespace has no Account, so nobody has any access.
	RecipientAccountNotFound RecipientReason = "AccountNotFound"
	// RecipientAccountDeactivated: the Account is Deactivated: nobody is emailed.
	RecipientAccountDeactivated RecipientReason = "AccountDeactivated"
	// RecipientBeingDeleted: the Collaborator is being deleted (leaving the account); its
	// assignments no longer count (the WorkCenter's count leaves it out too).
	RecipientBeingDeleted RecipientReason = "BeingDeleted"
	// RecipientNotAssigned: an Account or WorkCenter Administrator not assigned to the
	// WorkCenter. Administrators have access to every WorkCenter, but are emailed only
	// where they are assigned, by the role assigned there, like everyone else.
	RecipientNotAssigned RecipientReason = "NotAssigned"
	// RecipientNoActiveAssignment: the assignment is Pending or Rejected (its state and
	// reason say why: a license, a missing role, R2, ...).
	RecipientNoActiveAssignment RecipientReason = "NoActiveAssignment"
	// RecipientWorkCenterArchived: the WorkCenter is archived: it is read-only, none of
	// the actions that email can happen there, and nobody is emailed.
	RecipientWorkCenterArchived RecipientReason = "WorkCenterArchived"
	// RecipientOptionOffInRole: the role assigned in the WorkCenter has the option off.
	RecipientOptionOffInRole RecipientReason = "OptionOffInRole"
	// RecipientDisabledByPerson: the person turned the option off
	// (spec.emailPreferences.disabled).
	RecipientDisabledByPerson RecipientReason = "DisabledByPerson"
)

// RecipientReasons are every RecipientReason, in the order they are decided.
var RecipientReasons = []RecipientReason{
	RecipientAccountNotFound, RecipientAccountDeactivated, RecipientBeingDeleted, RecipientNotAssigned,
	RecipientNoActiveAssignment, RecipientWorkCenterArchived, RecipientOptionOffInRole, RecipientDisabledByPerson,
}

// Recipient is one person in a Recipients answer: emailed, or not and why.
type Recipient struct {
	// Collaborator is the person (the model's object: callers must not change it).
	Collaborator *v1alpha1.Collaborator
	// Role is the role assigned in the WorkCenter; "" when there is no assignment there.
	Role string
	// BuiltInRole reports that Role is a built-in role (its options are fixed: every one on).
	BuiltInRole bool
	// Assignment is the person's assignment there as the operator evaluates it
	// (Account.Access); nil when there is none.
	Assignment *v1alpha1.WorkCenterAssignmentStatus
	// Delivery is how the person's emails are delivered, Immediate or Digest.
	Delivery v1alpha1.EmailDelivery
	// Reason is why the person is not emailed; "" for one who is.
	Reason RecipientReason
	// Message says why, in words: for one emailed, the role and option that email them.
	Message string
}

// Recipients is who is emailed when an action of an email option happens in a WorkCenter,
// and who is not and why.
type Recipients struct {
	// Option is the email option asked about.
	Option EmailOptionInfo
	// WorkCenter is the WorkCenter's name.
	WorkCenter string
	// Archived reports an archived WorkCenter (nobody is emailed).
	Archived bool
	// Emailed are the people emailed, sorted by name, each with the role that emails
	// them and their delivery.
	Emailed []Recipient
	// NotEmailed are the people assigned to the WorkCenter (and the Account and
	// WorkCenter Administrators) who are not emailed, sorted by name, each with why.
	NotEmailed []Recipient
}

// UnknownWorkCenterError is a Recipients question about a WorkCenter the account does not
// have.
type UnknownWorkCenterError struct {
	Name    string
	Nearest []string
}

func (e *UnknownWorkCenterError) Error() string {
	msg := fmt.Sprintf("unknown WorkCenter %q", e.Name)
	if len(e.Nearest) > 0 {
		return msg + "; nearest: " + strings.Join(e.Nearest, ", ")
	}
	return msg + "; there are none"
}

// Recipients answers, for a notification service, who is emailed when an action of
// option (an emailNotifications field name: fileUploaded, postCreated, ...) happens in the
// WorkCenter, and who is not and why (docs/email.md). The people asked about are those
// assigned to the WorkCenter, by any source (listed, a selector, a template:
// AssignmentsOf), and the Account and WorkCenter Administrators. Each is decided, the first that applies:
//
//  1. no Account, or a Deactivated one (effective access's step 1): not emailed;
//  2. a Collaborator being deleted: not emailed;
//  3. an administrator not assigned there: not emailed (administrators are emailed only
//     where assigned, by their role there, like everyone else);
//  4. an assignment not in effect (Pending, Rejected): not emailed;
//  5. an archived WorkCenter (assignment Archived): not emailed;
//  6. the assigned role has the option off (a built-in role has every option on): not
//     emailed;
//  7. the person turned the option off (spec.emailPreferences.disabled): not emailed;
//  8. otherwise emailed, with the person's delivery (Immediate or Digest).
//
// The assignment's state is the operator's own (Account.Access), so the answer agrees with
// status and effective access. A role's options are its own: a role it includes lends it
// permissions, not emails. An unknown option is an *UnknownEmailOptionError, an unknown
// WorkCenter an *UnknownWorkCenterError, each naming the nearest valid names. The answer
// does not depend on the time.
func (a *Account) Recipients(option, workCenter string) (Recipients, error) {
	info, err := LookupEmailOption(option)
	if err != nil {
		return Recipients{}, err
	}
	wc := a.workCenters[workCenter]
	if wc == nil {
		names := make([]string, 0, len(a.workCenters))
		for n := range a.workCenters {
			names = append(names, n)
		}
		return Recipients{}, &UnknownWorkCenterError{Name: workCenter, Nearest: Nearest(workCenter, names)}
	}
	out := Recipients{Option: info, WorkCenter: workCenter, Archived: wc.Spec.Archived, Emailed: []Recipient{}, NotEmailed: []Recipient{}}
	candidates := a.AssignedTo(workCenter)
	for _, c := range a.Administrators() {
		if _, assigned := a.byWorkCenter[workCenter][c.Name]; !assigned {
			candidates = append(candidates, c)
		}
	}
	slices.SortFunc(candidates, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	for _, c := range candidates {
		r := a.recipient(c, info.Option, workCenter)
		if r.Reason == "" {
			out.Emailed = append(out.Emailed, r)
		} else {
			out.NotEmailed = append(out.NotEmailed, r)
		}
	}
	return out, nil
}

// recipient decides one person (Recipients).
func (a *Account) recipient(c *v1alpha1.Collaborator, option v1alpha1.EmailOption, workCenter string) Recipient {
	acc := a.Access(c, workCenter, metav1.Time{})
	r := Recipient{Collaborator: c, Assignment: acc.Assignment, Delivery: DeliveryOf(c)}
	if acc.Assignment != nil {
		r.Role = acc.Assignment.Role
		_, r.BuiltInRole = BuiltInRoleSpec(r.Role)
	}
	not := func(reason RecipientReason, msg string) Recipient {
		r.Reason, r.Message = reason, msg
		return r
	}
	switch {
	case acc.Decided == StepAccount && a.owner == nil:
		return not(RecipientAccountNotFound, fmt.Sprintf("no Account in namespace %q: nobody is emailed", a.Namespace))
	case acc.Decided == StepAccount:
		return not(RecipientAccountDeactivated, fmt.Sprintf("Account %q is Deactivated: nobody is emailed until it is Active again", Short(a.owner.Name)))
	case !c.DeletionTimestamp.IsZero():
		return not(RecipientBeingDeleted, fmt.Sprintf("%s is being deleted", Short(c.Name)))
	case acc.Assignment == nil:
		return not(RecipientNotAssigned, fmt.Sprintf("%s is a%s %s but is not assigned to WorkCenter %q: administrators are emailed only where they are assigned, by the role assigned there",
			Short(c.Name), articleOf(string(c.Spec.AdminRole)), c.Spec.AdminRole, Short(workCenter)))
	}
	as := acc.Assignment
	via := a.sourcePhrase(as)
	switch as.State {
	case v1alpha1.AssignmentActive:
	case v1alpha1.AssignmentArchived:
		return not(RecipientWorkCenterArchived, fmt.Sprintf("WorkCenter %q is archived: nothing that emails can happen there", Short(workCenter)))
	default:
		msg := fmt.Sprintf("the assignment of role %q%s is %s", Short(as.Role), via, as.State)
		if as.Reason != "" {
			msg += " (" + as.Reason + ")"
		}
		if as.Message != "" {
			msg += ": " + as.Message
		}
		return not(RecipientNoActiveAssignment, msg)
	}
	n, builtIn, _ := a.RoleEmailNotifications(as.Role)
	if !EmailOptionOn(n, option) {
		return not(RecipientOptionOffInRole, fmt.Sprintf("role %q%s has %s off", Short(as.Role), via, option))
	}
	if DisabledByPerson(c, option) {
		return not(RecipientDisabledByPerson, fmt.Sprintf("%s turned %s off (emailPreferences.disabled)", Short(c.Name), option))
	}
	r.Message = fmt.Sprintf("role %q%s has %s on", Short(as.Role), via, option)
	if builtIn {
		r.Message += " (built-in role: every option is on)"
	}
	return r
}

// sourcePhrase says where an assignment comes from when it is not listed in the spec:
// " (by a WorkCenter selector)", " (published from template \"t\")"; "" for a listed one.
func (a *Account) sourcePhrase(as *v1alpha1.WorkCenterAssignmentStatus) string {
	switch as.Source {
	case v1alpha1.SourceSelector:
		return " (by a WorkCenter selector)"
	case v1alpha1.SourceTemplate:
		if wc := a.workCenters[as.Name]; wc != nil {
			return fmt.Sprintf(" (published from template %q)", Short(string(wc.Spec.CollaboratorsFrom)))
		}
		return " (published from a template)"
	}
	return ""
}

// articleOf is "n" before a word starting with a vowel ("an AccountAdministrator").
func articleOf(word string) string {
	if word != "" && strings.ContainsRune("AEIOU", rune(word[0])) {
		return "n"
	}
	return ""
}
