package model

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

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
	// Effective, when set, is Roles.Effective computed once per role (a memo of it, as
	// Account.Effective); nil computes it from Roles.
	Effective func(role string) (Set, error)
}

// Step is a step of effective access (docs/rules.md), numbered as there.
type Step int

// The steps of effective access, in the order docs/rules.md takes them.
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
// the step of effective access (docs/rules.md) that decided it.
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

// ExplainAccess is effective access (docs/rules.md) of a collaborator in a WorkCenter,
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
		effective := in.Effective
		if effective == nil {
			effective = in.Roles.Effective
		}
		perms, _ = effective(in.Assignment.Role)
		step = StepAssignment
	default:
		return AccessExplanation{Permissions: Set{}, Decided: StepAssignment}
	}
	if in.WorkCenter != nil && in.WorkCenter.Spec.Archived {
		return AccessExplanation{Permissions: perms.Intersect(ArchivedPermissions()), Decided: step, Cut: true}
	}
	return AccessExplanation{Permissions: perms, Decided: step}
}

// Access is a collaborator's effective access in one WorkCenter and how it was decided.
type Access struct {
	// Evaluation is the collaborator's evaluation, of its assignment there only.
	Evaluation Evaluation
	// Assignment is its evaluated assignment there; nil when it has none.
	Assignment *v1alpha1.WorkCenterAssignmentStatus
	AccessExplanation
}

// Access is c's effective access in the WorkCenter (docs/rules.md, Effective access;
// ExplainAccess): what the account, c's license, its admin role, its evaluated
// assignment there and the WorkCenter's archival give it, and which step decided it.
// Callers must not change the set.
func (a *Account) Access(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) Access {
	e := a.Evaluate(c, workCenter, now)
	var assignment *v1alpha1.WorkCenterAssignmentStatus
	if len(e.Statuses) > 0 {
		assignment = &e.Statuses[0]
	}
	return Access{Evaluation: e, Assignment: assignment, AccessExplanation: ExplainAccess(AccessInput{
		Account: a.owner, Collaborator: c, Licensed: e.Licensed, WorkCenter: a.workCenters[workCenter],
		Assignment: assignment, Roles: a.roles, Effective: a.Effective,
	})}
}

// Accesses is c's effective access (Access) in each WorkCenter its spec assigns it to,
// once per WorkCenter, in spec order: one evaluation of its assignments serves them all.
func (a *Account) Accesses(c *v1alpha1.Collaborator, now metav1.Time) []Access {
	e := a.Evaluate(c, "", now)
	out := make([]Access, 0, len(e.Statuses))
	var seen map[string]bool // past a few assignments
	for i := range e.Statuses {
		st := &e.Statuses[i]
		switch {
		case len(e.Statuses) > 8 && seen[st.Name]:
			continue
		case len(e.Statuses) > 8:
			if seen == nil {
				seen = map[string]bool{}
			}
			seen[st.Name] = true
		case slices.ContainsFunc(out, func(x Access) bool { return x.Assignment.Name == st.Name }):
			continue // the first assignment to a WorkCenter is the one Access reads
		}
		one := e
		one.Statuses = e.Statuses[i : i+1 : i+1]
		out = append(out, Access{Evaluation: one, Assignment: st, AccessExplanation: ExplainAccess(AccessInput{
			Account: a.owner, Collaborator: c, Licensed: e.Licensed, WorkCenter: a.workCenters[st.Name],
			Assignment: st, Roles: a.roles, Effective: a.Effective,
		})})
	}
	return out
}

// Permissions is c's effective access in the WorkCenter (Access's set). Callers must
// not change the set.
func (a *Account) Permissions(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) Set {
	return a.Access(c, workCenter, now).Permissions
}
