package model

import (
	"fmt"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CheckRoleNotTerminating is R10: no new assignment to a role that is being deleted.
func CheckRoleNotTerminating(c *v1alpha1.Collaborator, workCenter string, role *v1alpha1.WorkCenterRole) *Finding {
	if role == nil || role.DeletionTimestamp.IsZero() {
		return nil
	}
	return checkRoleNotTerminating(c, inWorkCenter(workCenter), role)
}

// checkRoleNotTerminating is R10 for an assignment made at place (inWorkCenter or
// bySelector).
func checkRoleNotTerminating(c *v1alpha1.Collaborator, place string, role *v1alpha1.WorkCenterRole) *Finding {
	if role == nil || role.DeletionTimestamp.IsZero() {
		return nil
	}
	return &Finding{
		Rule:   "R10",
		Reason: v1alpha1.ReasonRoleTerminating,
		Message: fmt.Sprintf("WorkCenterRole %q is being deleted; it cannot be newly assigned to %q %s",
			Short(role.Name), Short(c.Name), place),
	}
}

// inWorkCenter is where a listed assignment is made, for a rule's message.
func inWorkCenter(name string) string { return fmt.Sprintf("in WorkCenter %q", Short(name)) }

// maxSelectorText bounds a selector quoted in a message (an Event's note is short).
const maxSelectorText = 80

// bySelector is where an assignment by a Collaborator's i-th WorkCenter selector is made,
// for a rule's message: the selector as kubectl writes it, shortened when long.
func bySelector(i int, sel metav1.LabelSelector) string {
	text := metav1.FormatLabelSelector(&sel)
	if len(text) > maxSelectorText {
		text = text[:maxSelectorText-3] + "..."
	}
	return fmt.Sprintf("in the WorkCenters its selector %d (%s) matches", i, text)
}

// AssignmentInput is everything one assignment's state depends on.
type AssignmentInput struct {
	// Account is the namespace's Account; nil when there is none.
	Account *v1alpha1.Account
	// Collaborator holds the assignment.
	Collaborator *v1alpha1.Collaborator
	// Licensed is true when the collaborator (a Member) holds a license (R4).
	Licensed bool
	// DuplicateEmail is R5's violation for the collaborator, if any.
	DuplicateEmail *Finding
	// Assignment is the spec entry.
	Assignment v1alpha1.WorkCenterAssignment
	// WorkCenter is the assigned WorkCenter; nil when it does not exist.
	WorkCenter *v1alpha1.WorkCenter
	// Roles are the account's roles.
	Roles Roles
	// Effective, when set, is Roles.Effective computed once per role (a memo of it);
	// nil computes it from Roles.
	Effective func(role string) (Set, error)
	// model, when set, is the account model whose memo resolves roles (Account.Effective,
	// without a closure built per assignment).
	model *Account
	// terse leaves the status's message empty (explain).
	terse bool
	// Since is when this same assignment (this role in this WorkCenter) first took
	// effect, as recorded before; nil when it never did. R10's memory: an assignment that
	// took effect before its role's deletion began is an existing one, not a new one.
	Since *metav1.Time
	// Now is the time recorded as Since when the assignment takes effect for the first
	// time, cut to whole seconds as the API server stores it (the function stays pure).
	Now metav1.Time
}

// EvaluateAssignment decides an assignment's state and reason, checking in this order:
// the account (Pending), the email (R5, Rejected), the WorkCenter and the role
// (Pending while missing), the role's deletion (R10, Rejected), its includes
// (InclusionCycle Rejected; a missing include Pending), member-only permissions for a
// Guest (R2/R3, Rejected), the license (R4, Pending), and an archived WorkCenter.
func EvaluateAssignment(in AssignmentInput) v1alpha1.WorkCenterAssignmentStatus {
	wcName, roleName := string(in.Assignment.Name), string(in.Assignment.Role)
	out := v1alpha1.WorkCenterAssignmentStatus{Name: wcName, Role: roleName, Since: in.Since}
	set := func(state v1alpha1.AssignmentState, reason, msg string) v1alpha1.WorkCenterAssignmentStatus {
		out.State, out.Reason, out.Message = state, reason, Bound(msg, MaxAssignmentMessage)
		if InEffect(state) && out.Since == nil {
			since := in.Now.Rfc3339Copy() // what the API server stores: whole seconds
			out.Since = &since
		}
		return out
	}
	switch {
	case in.Account == nil:
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountNotFound, explain(in.terse, func() string {
			return "waiting for an Account in the namespace"
		}))
	case in.Account.Spec.State == v1alpha1.AccountDeactivated:
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountDeactivated, explain(in.terse, func() string {
			return fmt.Sprintf("Account %q is Deactivated; nobody has any access until it is Active again", Short(in.Account.Name))
		}))
	case in.DuplicateEmail != nil:
		return set(v1alpha1.AssignmentRejected, in.DuplicateEmail.Reason, in.DuplicateEmail.Message)
	case in.WorkCenter == nil:
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound, explain(in.terse, func() string {
			return fmt.Sprintf("waiting for WorkCenter %q", Short(wcName))
		}))
	}
	role, ok := in.Roles[roleName]
	if !ok {
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound, explain(in.terse, func() string {
			return fmt.Sprintf("waiting for WorkCenterRole %q", Short(roleName))
		}))
	}
	if !existedBeforeDeletion(in.Since, role) {
		if v := CheckRoleNotTerminating(in.Collaborator, wcName, role); v != nil {
			return set(v1alpha1.AssignmentRejected, v.Reason, v.Message)
		}
	}
	perms, err := effectiveOf(in.model, in.Effective, in.Roles, roleName)
	switch e := err.(type) {
	case *CycleError:
		return set(v1alpha1.AssignmentRejected, v1alpha1.ReasonInclusionCycle, explain(in.terse, func() string {
			return fmt.Sprintf("role %q cannot be resolved: %s", Short(roleName), e.Error())
		}))
	case *RoleNotFoundError:
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound, explain(in.terse, func() string {
			return fmt.Sprintf("waiting: %s", e.Error())
		}))
	}
	if !guestMayHold(in.Collaborator, perms) {
		return set(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember, explain(in.terse, func() string {
			return CheckRoleForGuest(in.Collaborator, wcName, roleName, perms).Message
		}))
	}
	if IsMember(in.Collaborator) && !in.Licensed {
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonLicenseLimitExceeded, explain(in.terse, func() string {
			return fmt.Sprintf("Member %q holds none of Account %q's %d licenses", Short(in.Collaborator.Name), Short(in.Account.Name), in.Account.Spec.Licenses)
		}))
	}
	if in.WorkCenter.Spec.Archived {
		return set(v1alpha1.AssignmentArchived, v1alpha1.ReasonWorkCenterArchived, explain(in.terse, func() string {
			return fmt.Sprintf("WorkCenter %q is archived: access is cut to workCenter.view and files.download", Short(wcName))
		}))
	}
	return set(v1alpha1.AssignmentActive, "", "")
}

// explain is a status's message: "" for a terse evaluation (a question that reads only
// states and reasons, as the authorizer's), so that nothing is built for it.
func explain(terse bool, message func() string) string {
	if terse {
		return ""
	}
	return message()
}

// existedBeforeDeletion reports whether an assignment that took effect at since counts
// as existing for R10: it took effect no later than its role's deletion began (the two
// times have a second's precision; the same second counts as before).
func existedBeforeDeletion(since *metav1.Time, role *v1alpha1.WorkCenterRole) bool {
	if since == nil {
		return false
	}
	return role.DeletionTimestamp == nil || !since.After(role.DeletionTimestamp.Time)
}

// InEffect reports whether an assignment state grants access (Active or Archived).
func InEffect(state v1alpha1.AssignmentState) bool {
	return state == v1alpha1.AssignmentActive || state == v1alpha1.AssignmentArchived
}

// Evaluation is the outcome of one Collaborator's assignments.
type Evaluation struct {
	// Statuses are the assignments' states, in spec order.
	Statuses []v1alpha1.WorkCenterAssignmentStatus
	// Licensed is R4 for the Collaborator (false for a Guest).
	Licensed bool
	// LicensedStatus is status.licensed: Licensed for a Member, nil for a Guest.
	LicensedStatus *bool
	// Duplicate is R5's violation, when an older Collaborator has the same email.
	Duplicate *Finding
	// Shadowed are the assignments a selector or a template would give where another
	// source assigns the Collaborator already (status.shadowed).
	Shadowed []v1alpha1.ShadowedAssignment
}

// Evaluate decides c's assignments (all of them, or only those to onlyWorkCenter when it
// is not empty) against the account: the status the Collaborator controller writes and
// the count a WorkCenter's status shows both come from here. c need not be the model's
// own copy; the one thing read of its status is a fact, not a conclusion: since when each
// assignment has been in effect (R10's memory). now is recorded as that time for an
// assignment taking effect for the first time.
func (a *Account) Evaluate(c *v1alpha1.Collaborator, onlyWorkCenter string, now metav1.Time) Evaluation {
	e := Evaluation{}
	e.Licensed, e.Duplicate = a.evaluationBasis(c)
	if IsMember(c) {
		licensed := e.Licensed
		e.LicensedStatus = &licensed
	}
	src := a.sourcesOf(c)
	if onlyWorkCenter == "" {
		e.Shadowed = src.shadowed
	}
	e.Statuses = make([]v1alpha1.WorkCenterAssignmentStatus, 0, len(src.assigned))
	for _, as := range src.assigned {
		if onlyWorkCenter != "" && string(as.Name) != onlyWorkCenter {
			continue
		}
		st := EvaluateAssignment(a.assignmentInput(c, e.Licensed, e.Duplicate, as.WorkCenterAssignment, now))
		st.Source = as.Source
		e.Statuses = append(e.Statuses, st)
	}
	return e
}

// evaluationBasis is what every assignment of c's depends on: R4 (its license; false
// for a Guest or without an Account) and R5 (an older Collaborator with its email).
func (a *Account) evaluationBasis(c *v1alpha1.Collaborator) (licensed bool, duplicate *Finding) {
	return a.owner != nil && a.Licensed(c), CheckEmailUnique(c, a.SameEmail(c))
}

// assignmentInput is what EvaluateAssignment reads of the account for one of c's
// assignments.
func (a *Account) assignmentInput(c *v1alpha1.Collaborator, licensed bool, duplicate *Finding, as v1alpha1.WorkCenterAssignment, now metav1.Time) AssignmentInput {
	return AssignmentInput{
		Account: a.owner, Collaborator: c, Licensed: licensed, DuplicateEmail: duplicate,
		Assignment: as, WorkCenter: a.workCenters[string(as.Name)], Roles: a.roles,
		model: a,
		Since: InEffectSince(c.Status.WorkCenters, as), Now: now,
	}
}

// InEffect counts c's assignments to workCenter that are in effect (Active or Archived);
// a Collaborator being deleted has none.
func (a *Account) InEffect(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) int32 {
	if !c.DeletionTimestamp.IsZero() {
		return 0
	}
	var n int32
	for _, s := range a.Evaluate(c, workCenter, now).Statuses {
		if InEffect(s.State) {
			n++
		}
	}
	return n
}

// InEffectSince is when assignment as first took effect, as the last status recorded it:
// kept only while the spec keeps the same role in the same WorkCenter.
func InEffectSince(recorded []v1alpha1.WorkCenterAssignmentStatus, as v1alpha1.WorkCenterAssignment) *metav1.Time {
	for _, s := range recorded {
		if s.Name == string(as.Name) && s.Role == string(as.Role) {
			return s.Since
		}
	}
	return nil
}
