package model

import (
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The account-wide facts below are what the controllers write into status, and, taken
// together (Converged), what every object's status must say once the operator has caught
// up with the account: the oracle the reliability suite compares a cluster with. The
// controllers and the oracle call the same functions, so they cannot drift apart.

// InEffectAssignments counts the assignments to the WorkCenter that are in effect
// (status.collaborators), deciding each with Evaluate; Collaborators being deleted do
// not count.
func (a *Account) InEffectAssignments(workCenter string, now metav1.Time) int32 {
	var n int32
	for _, c := range a.AssignedTo(workCenter) {
		n += a.InEffect(c, workCenter, now)
	}
	return n
}

// RoleAssignments are the (collaborator, WorkCenter) pairs whose spec names the role,
// whatever their state, sorted by collaborator then WorkCenter.
func (a *Account) RoleAssignments(role string) []v1alpha1.RoleAssignment {
	var out []v1alpha1.RoleAssignment
	for _, c := range a.Holding(role) {
		for _, as := range a.AssignmentsOf(c) {
			if string(as.Role) != role {
				continue
			}
			wc := a.workCenters[string(as.Name)]
			out = append(out, v1alpha1.RoleAssignment{Collaborator: c.Name, WorkCenter: string(as.Name), Archived: wc != nil && wc.Spec.Archived})
		}
	}
	slices.SortFunc(out, func(x, y v1alpha1.RoleAssignment) int {
		if c := strings.Compare(x.Collaborator, y.Collaborator); c != 0 {
			return c
		}
		return strings.Compare(x.WorkCenter, y.WorkCenter)
	})
	return out
}

// Counts are an Account's people and WorkCenters, as its status shows them.
type Counts struct {
	Members, Guests, AccountAdministrators, WorkCenters, ArchivedWorkCenters int32
}

// Counts counts the account's people and WorkCenters.
func (a *Account) Counts() Counts {
	n := Counts{
		Members:               int32(len(a.members)),
		Guests:                int32(len(a.collaborators) - len(a.members)),
		AccountAdministrators: int32(len(a.admins)),
		WorkCenters:           int32(len(a.workCenters)),
	}
	for _, wc := range a.workCenters {
		if wc.Spec.Archived {
			n.ArchivedWorkCenters++
		}
	}
	return n
}

// Converged is what the account's objects' status must say once the operator has
// caught up with their specs, and which of our finalizers each must carry.
type Converged struct {
	Collaborators map[string]CollaboratorFacts
	// WorkCenters are status.collaborators, by WorkCenter.
	WorkCenters map[string]int32
	Roles       map[string]RoleFacts
	// Account is nil when no Account owns the namespace.
	Account *AccountFacts
}

// CollaboratorFacts are a Collaborator's converged status.
type CollaboratorFacts struct {
	// Assignments are status.workCenters' name, role, state and reason, in spec order.
	Assignments []v1alpha1.WorkCenterAssignmentStatus
	// Licensed is status.licensed: nil for a Guest.
	Licensed *bool
	// Protected: it carries the last-administrator finalizer (an AccountAdministrator
	// not being deleted).
	Protected bool
}

// RoleFacts are a WorkCenterRole's converged status.
type RoleFacts struct {
	Assignments int32
	InUse       bool
	// Protected: it carries in-use-protection (every role not being deleted).
	Protected bool
}

// AccountFacts are the owning Account's converged status.
type AccountFacts struct {
	Name string
	Counts
	LicensesUsed int32
	// Protected: it carries account-protection (the owner, not being deleted).
	Protected bool
}

// Converged computes the oracle for every object of the account. Assignment messages
// and since are left out: they are explanations and memory, not decisions.
func (a *Account) Converged(now metav1.Time) Converged {
	out := Converged{Collaborators: map[string]CollaboratorFacts{}, WorkCenters: map[string]int32{}, Roles: map[string]RoleFacts{}}
	for name, c := range a.collaborators {
		e := a.Evaluate(c, "", now)
		f := CollaboratorFacts{Protected: c.DeletionTimestamp.IsZero() && IsAccountAdministrator(c)}
		for _, s := range e.Statuses {
			f.Assignments = append(f.Assignments, v1alpha1.WorkCenterAssignmentStatus{Name: s.Name, Role: s.Role, State: s.State, Reason: s.Reason})
		}
		f.Licensed = e.LicensedStatus
		out.Collaborators[name] = f
	}
	for name := range a.workCenters {
		out.WorkCenters[name] = a.InEffectAssignments(name, now)
	}
	for name, r := range a.roles {
		n := int32(len(a.RoleAssignments(name)))
		out.Roles[name] = RoleFacts{Assignments: n, InUse: a.UseOf(name).InUse(), Protected: r.DeletionTimestamp.IsZero()}
	}
	if o := a.owner; o != nil {
		out.Account = &AccountFacts{Name: o.Name, Counts: a.Counts(), LicensesUsed: a.LicensesUsed(), Protected: o.DeletionTimestamp.IsZero()}
	}
	return out
}
