// Reference implementations of the rules, written the plain way over slices of objects:
// the oracles the model's indexed answers are tested against.
package model

import (
	"slices"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// HoldsLicense is R4 for one collaborator, in one pass with no allocation: a Member
// holds a license when fewer than licenses Members are older than it (creation time,
// then name), as AllocateLicenses decides for all of them at once. c counts as one of
// the account's Members whether or not collaborators already holds it.
func HoldsLicense(c *v1alpha1.Collaborator, collaborators []*v1alpha1.Collaborator, licenses int32) bool {
	if !IsMember(c) || licenses <= 0 {
		return false
	}
	var older int32
	for _, o := range collaborators {
		if o.Name != c.Name && IsMember(o) && Older(o, c) {
			if older++; older >= licenses {
				return false
			}
		}
	}
	return true
}

// AllocateLicenses is R4: licenses go to the oldest Members first (creation time, then
// name) and never exceed licenses. It returns the names of the Members holding one.
func AllocateLicenses(collaborators []*v1alpha1.Collaborator, licenses int32) map[string]bool {
	members := make([]*v1alpha1.Collaborator, 0, len(collaborators))
	for _, c := range collaborators {
		if IsMember(c) {
			members = append(members, c)
		}
	}
	slices.SortFunc(members, func(a, b *v1alpha1.Collaborator) int {
		if Older(a, b) {
			return -1
		}
		if Older(b, a) {
			return 1
		}
		return 0
	})
	licensed := make(map[string]bool, len(members))
	for i, m := range members {
		if int32(i) >= licenses {
			break
		}
		licensed[m.Name] = true
	}
	return licensed
}

// CheckLicenseAvailable is R4 at admission: a new Member, or a Guest upgraded to Member,
// needs a free license. existing are the account's other Collaborators.
func CheckLicenseAvailable(c *v1alpha1.Collaborator, old *v1alpha1.Collaborator, existing []*v1alpha1.Collaborator, account *v1alpha1.Account) *Finding {
	used := int32(0)
	for _, o := range existing {
		if o.Name != c.Name && IsMember(o) {
			used++
		}
	}
	return CheckLicenseFree(c, old, used, account)
}

// CheckGuestRoles is R2 and R3 for a whole Collaborator: every assignment whose role
// (as far as it resolves) has member-only permissions while the collaborator is a Guest.
// Roles that do not exist yet are skipped: they wait, they are not rejected.
func CheckGuestRoles(c *v1alpha1.Collaborator, roles Roles) []Finding {
	var out []Finding
	for _, a := range c.Spec.WorkCenters {
		perms, _ := roles.Effective(string(a.Role))
		if v := CheckRoleForGuest(c, string(a.Name), string(a.Role), perms); v != nil {
			if c.Spec.Type == v1alpha1.Guest {
				v.Rule = "R2"
			}
			out = append(out, *v)
		}
	}
	return out
}

// EffectiveAccess is ExplainAccess's set of permissions.
func EffectiveAccess(in AccessInput) Set { return ExplainAccess(in).Permissions }
