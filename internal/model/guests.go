package model

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// IsMember reports whether the collaborator is a paid Member.
func IsMember(c *v1alpha1.Collaborator) bool { return c.Spec.Type == v1alpha1.Member }

// CheckRoleForGuest is R2 (and R3) for one assignment: a Guest never holds a role with
// member-only permissions. perms is the role's effective set.
func CheckRoleForGuest(c *v1alpha1.Collaborator, workCenter, role string, perms Set) *Finding {
	if guestMayHold(c, perms) { // before the message's place is written: the authorizer asks this
		return nil
	}
	return checkRoleForGuest(c, inWorkCenter(workCenter), role, perms)
}

// checkRoleForGuest is R2 for an assignment made at place (inWorkCenter or bySelector).
func checkRoleForGuest(c *v1alpha1.Collaborator, place, role string, perms Set) *Finding {
	if guestMayHold(c, perms) {
		return nil
	}
	mo := perms.MemberOnly()
	return &Finding{
		Rule:   "R2",
		Reason: v1alpha1.ReasonRoleRequiresMember,
		Message: fmt.Sprintf("Guest %q cannot hold role %q %s: the role has member-only permissions (%s); make the collaborator a Member or choose a role without them",
			Short(c.Name), Short(role), place, joinPermissions(mo)),
	}
}

// guestMayHold is R2/R3's test: a Member may hold any role, a Guest only one without
// member-only permissions.
func guestMayHold(c *v1alpha1.Collaborator, perms Set) bool {
	return IsMember(c) || !perms.IsMemberOnly()
}

// CheckRoleChange is R2 for a WorkCenterRole change: with role replacing its current
// version in roles, no role held by a Guest may be made member-only, whether the Guest
// holds this role or one that includes it. A role that was member-only before the change
// is not made so by it. The message names the guests and the permissions.
func CheckRoleChange(role *v1alpha1.WorkCenterRole, roles Roles, collaborators []*v1alpha1.Collaborator) *Finding {
	next := make(Roles, len(roles)+1)
	for n, r := range roles {
		next[n] = r
	}
	next[role.Name] = role
	affected := next.Dependents(role.Name)
	// madeMemberOnly is, per affected role, the member-only permissions it has after the
	// change when it had none before. A role that was member-only already is not made so
	// by this change: its guests are Rejected whatever the change does, and blaming it
	// would block every unrelated edit of the role or of the roles it includes.
	madeMemberOnly := map[string][]Permission{}
	memberOnlyAfter := func(name string) []Permission {
		if mo, ok := madeMemberOnly[name]; ok {
			return mo
		}
		var mo []Permission
		if slices.Contains(affected, name) {
			if was, _ := roles.Effective(name); !was.IsMemberOnly() {
				eff, _ := next.Effective(name)
				mo = eff.MemberOnly()
			}
		}
		madeMemberOnly[name] = mo
		return mo
	}
	// One entry per guest, "guest (role in WorkCenter, role in WorkCenter and N more)",
	// its names shortened already.
	const heldShown = 2
	var guests []string
	var perms Set
	for _, c := range collaborators {
		if IsMember(c) {
			continue
		}
		var held []string
		n := 0
		for _, a := range c.Spec.WorkCenters {
			if mo := memberOnlyAfter(string(a.Role)); len(mo) > 0 {
				if n++; n <= heldShown {
					held = append(held, Short(string(a.Role))+" in "+Short(string(a.Name)))
				}
				if perms == nil {
					perms = Set{}
				}
				perms.Add(mo...)
			}
		}
		if n == 0 {
			continue
		}
		where := strings.Join(held, ", ")
		if n > heldShown {
			where += fmt.Sprintf(" and %d more", n-heldShown)
		}
		guests = append(guests, fmt.Sprintf("%s (%s)", Short(c.Name), where))
	}
	if len(guests) == 0 {
		return nil
	}
	slices.Sort(guests)
	return &Finding{
		Rule:   "R2",
		Reason: v1alpha1.ReasonRoleRequiresMember,
		Message: fmt.Sprintf("WorkCenterRole %q would give member-only permissions (%s) to guests: %s; make them Members or assign them another role first",
			Short(role.Name), perms, listWithin(guests, MaxUsersListed, MaxListInMessage, same)),
	}
}
