package model

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// ArchivedPermissions is what an archived WorkCenter still grants, at most.
func ArchivedPermissions() Set { return NewSet(WorkCenterView, FilesDownload) }

// The sets effective access answers with, built once and shared (callers must not change
// an answer's set): nothing, everything, and what an archived WorkCenter's cut leaves of a
// set (a subset of ArchivedPermissions, indexed by archivedCut).
var (
	noPermissions  = Set{}
	allPermissions = All()
	archivedCuts   = [4]Set{{}, NewSet(WorkCenterView), NewSet(FilesDownload), ArchivedPermissions()}
)

// archivedCut is perms cut to ArchivedPermissions (perms.Intersect(ArchivedPermissions()))
// without building a set.
func archivedCut(perms Set) Set {
	i := 0
	if perms.Has(WorkCenterView) {
		i |= 1
	}
	if perms.Has(FilesDownload) {
		i |= 2
	}
	return archivedCuts[i]
}

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
	// model, when set, is the account model whose memo resolves roles (Account.Effective,
	// without a closure built per question).
	model *Account
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
// the webhooks and the access queries (kubectl procorem) all answer from here. The set
// answered may be shared: callers must not change it.
func ExplainAccess(in AccessInput) AccessExplanation {
	var as v1alpha1.WorkCenterAssignmentStatus
	if in.Assignment != nil {
		as = *in.Assignment
	}
	return explainAccess(in, as, in.Assignment != nil)
}

// explainAccess is ExplainAccess with the assignment (if assigned) given by value, so that
// a caller's status need not leave the stack.
func explainAccess(in AccessInput, as v1alpha1.WorkCenterAssignmentStatus, assigned bool) AccessExplanation {
	var perms Set
	var step Step
	switch {
	case in.Account == nil || in.Account.Spec.State == v1alpha1.AccountDeactivated:
		return AccessExplanation{Permissions: noPermissions, Decided: StepAccount}
	case IsMember(in.Collaborator) && !in.Licensed:
		return AccessExplanation{Permissions: noPermissions, Decided: StepLicense}
	case IsAdministrator(in.Collaborator):
		perms, step = allPermissions, StepAdministrator
	case assigned && InEffect(as.State):
		perms, _ = effectiveOf(in.model, in.Effective, in.Roles, as.Role)
		step = StepAssignment
	default:
		return AccessExplanation{Permissions: noPermissions, Decided: StepAssignment}
	}
	if in.WorkCenter != nil && in.WorkCenter.Spec.Archived {
		return AccessExplanation{Permissions: archivedCut(perms), Decided: step, Cut: true}
	}
	return AccessExplanation{Permissions: perms, Decided: step}
}

// effectiveOf is role's effective permissions (Roles.Effective): from the model's memo,
// else from the function given, else computed from roles.
func effectiveOf(model *Account, effective func(string) (Set, error), roles Roles, role string) (Set, error) {
	switch {
	case model != nil:
		return model.Effective(role)
	case effective != nil:
		return effective(role)
	}
	return roles.Effective(role)
}

// Access is a collaborator's effective access in one WorkCenter and how it was decided.
type Access struct {
	// Assignment is its evaluated assignment there; nil when it has none.
	Assignment *v1alpha1.WorkCenterAssignmentStatus
	AccessExplanation
}

// Access is c's effective access in the WorkCenter (docs/rules.md, Effective access;
// ExplainAccess): what the account, c's license, its admin role, its evaluated
// assignment there and the WorkCenter's archival give it, and which step decided it.
// Callers must not change the set.
func (a *Account) Access(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) Access {
	exp, st, ok := a.accessIn(c, workCenter, now, false)
	out := Access{AccessExplanation: exp}
	if ok {
		out.Assignment = &st
	}
	return out
}

// accessIn is Access with the assignment's status returned by value (ok when c has an
// assignment there: its first one, as Evaluate lists them), and with no message when
// terse, so that a question answered from the model (the authorizer's) builds nothing on
// the heap.
func (a *Account) accessIn(c *v1alpha1.Collaborator, workCenter string, now metav1.Time, terse bool) (AccessExplanation, v1alpha1.WorkCenterAssignmentStatus, bool) {
	in := AccessInput{Account: a.owner, Collaborator: c, WorkCenter: a.workCenters[workCenter], Roles: a.roles, model: a}
	for _, as := range a.AssignmentsOf(c) {
		if string(as.Name) != workCenter {
			continue
		}
		licensed, duplicate := a.evaluationBasis(c)
		input := a.assignmentInput(c, licensed, duplicate, as.WorkCenterAssignment, now)
		input.terse = terse
		st := EvaluateAssignment(input)
		st.Source = as.Source
		in.Licensed = licensed
		return explainAccess(in, st, true), st, true
	}
	in.Licensed = a.owner != nil && a.Licensed(c)
	return explainAccess(in, v1alpha1.WorkCenterAssignmentStatus{}, false), v1alpha1.WorkCenterAssignmentStatus{}, false
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
		out = append(out, Access{Assignment: st, AccessExplanation: ExplainAccess(AccessInput{
			Account: a.owner, Collaborator: c, Licensed: e.Licensed, WorkCenter: a.workCenters[st.Name],
			Assignment: st, Roles: a.roles, model: a,
		})})
	}
	return out
}

// Permissions is c's effective access in the WorkCenter (Access's set). Callers must
// not change the set.
func (a *Account) Permissions(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) Set {
	return a.Access(c, workCenter, now).Permissions
}
