package model

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/access"
)

// Evaluation is the outcome of one Collaborator's assignments.
type Evaluation struct {
	// Statuses are the assignments' states, in spec order.
	Statuses []v1alpha1.WorkCenterAssignmentStatus
	// Licensed is R4 for the Collaborator (false for a Guest).
	Licensed bool
	// Duplicate is R5's violation, when an older Collaborator has the same email.
	Duplicate *access.Violation
}

// Evaluate decides c's assignments (all of them, or only those to onlyWorkCenter when it
// is not empty) against the account: the status the Collaborator controller writes and
// the count a WorkCenter's status shows both come from here. c need not be the model's
// own copy; the one thing read of its status is a fact, not a conclusion: since when each
// assignment has been in effect (R10's memory). now is recorded as that time for an
// assignment taking effect for the first time.
func (a *Account) Evaluate(c *v1alpha1.Collaborator, onlyWorkCenter string, now metav1.Time) Evaluation {
	e := Evaluation{
		Duplicate: access.CheckEmailUnique(c, a.SameEmail(c)),
		Licensed:  a.owner != nil && a.Licensed(c),
	}
	e.Statuses = make([]v1alpha1.WorkCenterAssignmentStatus, 0, len(c.Spec.WorkCenters))
	for _, as := range c.Spec.WorkCenters {
		if onlyWorkCenter != "" && string(as.Name) != onlyWorkCenter {
			continue
		}
		e.Statuses = append(e.Statuses, access.EvaluateAssignment(access.AssignmentInput{
			Account: a.owner, Collaborator: c, Licensed: e.Licensed, DuplicateEmail: e.Duplicate,
			Assignment: as, WorkCenter: a.workCenters[string(as.Name)], Roles: a.roles,
			Effective: a.Effective,
			Since:     InEffectSince(c.Status.WorkCenters, as), Now: now,
		}))
	}
	return e
}

// InEffect counts c's assignments to workCenter that are in effect (Active or Archived);
// a Collaborator being deleted has none.
func (a *Account) InEffect(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) int32 {
	if !c.DeletionTimestamp.IsZero() {
		return 0
	}
	var n int32
	for _, s := range a.Evaluate(c, workCenter, now).Statuses {
		if access.InEffect(s.State) {
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

// Access is a collaborator's effective access in one WorkCenter and how it was decided.
type Access struct {
	// Evaluation is the collaborator's evaluation, of its assignment there only.
	Evaluation Evaluation
	// Assignment is its evaluated assignment there; nil when it has none.
	Assignment *v1alpha1.WorkCenterAssignmentStatus
	access.AccessExplanation
}

// Access is c's effective access in the WorkCenter (SPEC section 2,
// access.ExplainAccess): what the account, c's license, its admin role, its evaluated
// assignment there and the WorkCenter's archival give it, and which step decided it.
// Callers must not change the set.
func (a *Account) Access(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) Access {
	e := a.Evaluate(c, workCenter, now)
	var assignment *v1alpha1.WorkCenterAssignmentStatus
	if len(e.Statuses) > 0 {
		assignment = &e.Statuses[0]
	}
	return Access{Evaluation: e, Assignment: assignment, AccessExplanation: access.ExplainAccess(access.AccessInput{
		Account: a.owner, Collaborator: c, Licensed: e.Licensed, WorkCenter: a.workCenters[workCenter],
		Assignment: assignment, Roles: a.roles,
	})}
}

// Permissions is c's effective access in the WorkCenter (Access's set). Callers must
// not change the set.
func (a *Account) Permissions(c *v1alpha1.Collaborator, workCenter string, now metav1.Time) access.Set {
	return a.Access(c, workCenter, now).Permissions
}
