package model

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// MaxUsersListed is how many users a message about a role in use names (R6); the total
// follows.
const MaxUsersListed = 10

// MaxRoleUseMessage is the most RoleUse.String takes (bytes).
const MaxRoleUseMessage = 768

// RoleUse is who holds or includes a role: what keeps it from being deleted (R6).
type RoleUse struct {
	// Users are the collaborators holding the role in at least one WorkCenter, sorted.
	Users []string
	// Assignments counts the (collaborator, WorkCenter) pairs naming the role.
	Assignments int
	// IncludedBy are the other roles that include it, sorted.
	IncludedBy []string
}

// UseOf finds who holds or includes role among an account's collaborators and roles.
// Every spec reference counts, whatever its assignment state: a WorkCenter's archival or
// a rejected assignment does not free the role; so does a selector naming it, whether it
// matches a WorkCenter now or not (a template's published assignments name the roles
// held in the template, counted there). An including role counts while it is needed
// (neededRoles): roles being deleted that only include one another do not hold each
// other.
func UseOf(role string, collaborators []*v1alpha1.Collaborator, roles Roles) RoleUse {
	held := map[string]bool{}
	for _, c := range collaborators {
		for _, a := range c.Spec.WorkCenters {
			held[string(a.Role)] = true
		}
		for _, sel := range c.Spec.WorkCenterSelectors {
			held[string(sel.Role)] = true
		}
	}
	return useOf(role, collaborators, roles, func(r string) bool { return held[r] })
}

func useOf(role string, collaborators []*v1alpha1.Collaborator, roles Roles, held func(string) bool) RoleUse {
	var u RoleUse
	for _, c := range collaborators {
		n := 0
		for _, a := range c.Spec.WorkCenters {
			if string(a.Role) == role {
				n++
			}
		}
		for _, sel := range c.Spec.WorkCenterSelectors {
			if string(sel.Role) == role {
				n++
			}
		}
		if n > 0 {
			u.Users = append(u.Users, c.Name)
			u.Assignments += n
		}
	}
	slices.Sort(u.Users)
	needed := neededRoles(roles, held)
	u.IncludedBy = slices.DeleteFunc(roles.IncludedBy(role), func(n string) bool { return n == role || !needed[n] })
	return u
}

// neededRoles are the roles that must stay (R6): those not being deleted, those a
// Collaborator holds, and, until nothing changes, those a needed role includes. A role
// being deleted that only roles being deleted and needed by nobody include is not
// needed, however they include one another.
func neededRoles(roles Roles, held func(string) bool) map[string]bool {
	needed := make(map[string]bool, len(roles))
	terminating := false
	for n, r := range roles {
		if r.DeletionTimestamp.IsZero() || held(n) {
			needed[n] = true
		} else {
			terminating = true
		}
	}
	for changed := terminating; changed; {
		changed = false
		for n := range roles {
			if needed[n] {
				continue
			}
			for _, by := range roles.IncludedBy(n) {
				if by != n && needed[by] {
					needed[n], changed = true, true
					break
				}
			}
		}
	}
	return needed
}

// InUse reports whether anything holds the role.
func (u RoleUse) InUse() bool { return len(u.Users) > 0 || len(u.IncludedBy) > 0 }

// String says who holds the role, naming up to MaxUsersListed users and the total:
// "assigned to 12 users in 13 assignments: a, b, ... and 2 more (12 in total); included
// by roles: x". It takes at most MaxRoleUseMessage bytes, so that a message naming the
// role around it still fits an Event note.
func (u RoleUse) String() string {
	var parts []string
	if len(u.Users) > 0 {
		head := fmt.Sprintf("assigned to %d users in %d assignments: ", len(u.Users), u.Assignments)
		parts = append(parts, head+ListWithTotal(u.Users, MaxUsersListed))
	}
	if len(u.IncludedBy) > 0 {
		const head, sep = "included by roles: ", "; "
		room := MaxRoleUseMessage - len(head)
		if len(parts) > 0 {
			room -= len(parts[0]) + len(sep)
		}
		parts = append(parts, head+ListWithin(u.IncludedBy, MaxUsersListed, min(room, MaxListInMessage)))
	}
	if len(parts) == 0 {
		return "not in use"
	}
	return strings.Join(parts, "; ")
}

// AccountUse is what an Account still has: what keeps it from being deleted (R11).
// Built-in roles do not count: the Account keeps them itself.
type AccountUse struct {
	WorkCenters, CustomRoles, Collaborators int
}

// UseOfAccount counts an account's WorkCenters, custom roles and Collaborators (R11).
func UseOfAccount(workCenters []*v1alpha1.WorkCenter, roles []*v1alpha1.WorkCenterRole, collaborators []*v1alpha1.Collaborator) AccountUse {
	u := AccountUse{WorkCenters: len(workCenters), Collaborators: len(collaborators)}
	for _, r := range roles {
		if !v1alpha1.IsBuiltInRoleName(r.Name) {
			u.CustomRoles++
		}
	}
	return u
}

// InUse reports whether the Account still has anything of its own.
func (u AccountUse) InUse() bool { return u.WorkCenters+u.CustomRoles+u.Collaborators > 0 }

// String says what the Account still has.
func (u AccountUse) String() string {
	return fmt.Sprintf("%d WorkCenters, %d custom WorkCenterRoles and %d Collaborators", u.WorkCenters, u.CustomRoles, u.Collaborators)
}

// UseOf is who holds or includes the role in the account (R6), from the indexes.
func (a *Account) UseOf(role string) RoleUse {
	return useOf(role, a.Holding(role), a.roles, func(r string) bool { return len(a.byRole[r]) > 0 })
}
