package access

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// AssignmentInput is everything one assignment's state depends on.
type AssignmentInput struct {
	// Account is the namespace's Account; nil when there is none.
	Account *v1alpha1.Account
	// Collaborator holds the assignment.
	Collaborator *v1alpha1.Collaborator
	// Licensed is true when the collaborator (a Member) holds a license (R4).
	Licensed bool
	// DuplicateEmail is R5's violation for the collaborator, if any.
	DuplicateEmail *Violation
	// Assignment is the spec entry.
	Assignment v1alpha1.WorkCenterAssignment
	// WorkCenter is the assigned WorkCenter; nil when it does not exist.
	WorkCenter *v1alpha1.WorkCenter
	// Roles are the account's roles.
	Roles Roles
	// Effective, when set, is Roles.Effective computed once per role (a memo of it);
	// nil computes it from Roles.
	Effective func(role string) (Set, error)
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
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountNotFound,
			"waiting for an Account in the namespace")
	case in.Account.Spec.State == v1alpha1.AccountDeactivated:
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountDeactivated,
			fmt.Sprintf("Account %q is Deactivated; nobody has any access until it is Active again", Short(in.Account.Name)))
	case in.DuplicateEmail != nil:
		return set(v1alpha1.AssignmentRejected, in.DuplicateEmail.Reason, in.DuplicateEmail.Message)
	case in.WorkCenter == nil:
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound,
			fmt.Sprintf("waiting for WorkCenter %q", Short(wcName)))
	}
	role, ok := in.Roles[roleName]
	if !ok {
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound,
			fmt.Sprintf("waiting for WorkCenterRole %q", Short(roleName)))
	}
	if !existedBeforeDeletion(in.Since, role) {
		if v := CheckRoleNotTerminating(in.Collaborator, wcName, role); v != nil {
			return set(v1alpha1.AssignmentRejected, v.Reason, v.Message)
		}
	}
	effective := in.Effective
	if effective == nil {
		effective = in.Roles.Effective
	}
	perms, err := effective(roleName)
	switch e := err.(type) {
	case *CycleError:
		return set(v1alpha1.AssignmentRejected, v1alpha1.ReasonInclusionCycle,
			fmt.Sprintf("role %q cannot be resolved: %s", Short(roleName), e.Error()))
	case *RoleNotFoundError:
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound,
			fmt.Sprintf("waiting: %s", e.Error()))
	}
	if v := CheckRoleForGuest(in.Collaborator, wcName, roleName, perms); v != nil {
		return set(v1alpha1.AssignmentRejected, v.Reason, v.Message)
	}
	if IsMember(in.Collaborator) && !in.Licensed {
		return set(v1alpha1.AssignmentPending, v1alpha1.ReasonLicenseLimitExceeded,
			fmt.Sprintf("Member %q holds none of Account %q's %d licenses", Short(in.Collaborator.Name), Short(in.Account.Name), in.Account.Spec.Licenses))
	}
	if in.WorkCenter.Spec.Archived {
		return set(v1alpha1.AssignmentArchived, v1alpha1.ReasonWorkCenterArchived,
			fmt.Sprintf("WorkCenter %q is archived: access is cut to workCenter.view and files.download", Short(wcName)))
	}
	return set(v1alpha1.AssignmentActive, "", "")
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

// ArchivedPermissions is what an archived WorkCenter still grants, at most.
func ArchivedPermissions() Set { return NewSet(WorkCenterView, FilesDownload) }

// AccessInput is everything a collaborator's effective access in one WorkCenter
// depends on.
type AccessInput struct {
	// Account is the namespace's Account; nil when there is none.
	Account *v1alpha1.Account
	// Collaborator is the person.
	Collaborator *v1alpha1.Collaborator
	// Licensed is true when the collaborator (a Member) holds a license.
	Licensed bool
	// WorkCenter is the WorkCenter asked about.
	WorkCenter *v1alpha1.WorkCenter
	// Assignment is the collaborator's evaluated assignment to it; nil when none.
	Assignment *v1alpha1.WorkCenterAssignmentStatus
	// Roles are the account's roles.
	Roles Roles
}

// Step is a step of SPEC section 2's effective access, numbered as there.
type Step int

// The steps of effective access, in the order SPEC section 2 takes them.
const (
	// StepAccount: no Account, or a Deactivated one, gives nothing.
	StepAccount Step = 1
	// StepLicense: a Member without a license gets nothing.
	StepLicense Step = 2
	// StepAdministrator: Account and WorkCenter Administrators get every permission.
	StepAdministrator Step = 3
	// StepAssignment: otherwise the assigned role's permissions, if the assignment is in effect.
	StepAssignment Step = 4
	// StepArchived: an archived WorkCenter cuts the rest to view and download.
	StepArchived Step = 5
)

// AccessExplanation is a collaborator's effective access in a WorkCenter together with
// the step of SPEC section 2 that decided it.
type AccessExplanation struct {
	// Permissions is the effective access.
	Permissions Set
	// Decided is the step that gave the set before any archival cut: StepAccount or
	// StepLicense when they gave nothing, StepAdministrator for an administrator,
	// StepAssignment for an assigned role (or nothing, without an assignment in effect).
	Decided Step
	// Cut reports that the WorkCenter is archived and step 5 cut the set.
	Cut bool
}

// ExplainAccess is SPEC section 2's effective access of a collaborator in a WorkCenter,
// in order: no Account or a Deactivated one gives nothing; an unlicensed Member gets
// nothing; Account and WorkCenter Administrators get every permission, assigned or not;
// otherwise the assigned role's permissions when the assignment is in effect; and an
// archived WorkCenter cuts whatever that gave to view and download. The controllers,
// the webhooks and the access queries (kubectl procorem) all answer from here.
func ExplainAccess(in AccessInput) AccessExplanation {
	var perms Set
	var step Step
	switch {
	case in.Account == nil || in.Account.Spec.State == v1alpha1.AccountDeactivated:
		return AccessExplanation{Permissions: Set{}, Decided: StepAccount}
	case IsMember(in.Collaborator) && !in.Licensed:
		return AccessExplanation{Permissions: Set{}, Decided: StepLicense}
	case IsAdministrator(in.Collaborator):
		perms, step = All(), StepAdministrator
	case in.Assignment != nil && InEffect(in.Assignment.State):
		perms, _ = in.Roles.Effective(in.Assignment.Role)
		step = StepAssignment
	default:
		return AccessExplanation{Permissions: Set{}, Decided: StepAssignment}
	}
	if in.WorkCenter != nil && in.WorkCenter.Spec.Archived {
		return AccessExplanation{Permissions: perms.Intersect(ArchivedPermissions()), Decided: step, Cut: true}
	}
	return AccessExplanation{Permissions: perms, Decided: step}
}

// EffectiveAccess is ExplainAccess's set of permissions.
func EffectiveAccess(in AccessInput) Set { return ExplainAccess(in).Permissions }
