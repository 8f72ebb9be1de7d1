package model

import (
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// IsAdministrator reports whether the collaborator's admin role supersedes WorkCenter
// roles (SPEC section 2, step 3): AccountAdministrator or WorkCenterAdministrator.
func IsAdministrator(c *v1alpha1.Collaborator) bool {
	return IsMember(c) && (c.Spec.AdminRole == v1alpha1.AdminRoleAccountAdministrator ||
		c.Spec.AdminRole == v1alpha1.AdminRoleWorkCenterAdministrator)
}

// IsAccountAdministrator reports whether the collaborator is an AccountAdministrator.
func IsAccountAdministrator(c *v1alpha1.Collaborator) bool {
	return IsMember(c) && c.Spec.AdminRole == v1alpha1.AdminRoleAccountAdministrator
}

// OtherAdministratorStays reports whether an AccountAdministrator other than c, and not
// being deleted, remains among collaborators.
func OtherAdministratorStays(c *v1alpha1.Collaborator, collaborators []*v1alpha1.Collaborator) bool {
	for _, o := range collaborators {
		if o.Name != c.Name && IsAccountAdministrator(o) && o.DeletionTimestamp.IsZero() {
			return true
		}
	}
	return false
}

// LastAdministratorHolds is R7 for a deletion: c's deletion waits while c is the last
// AccountAdministrator of an active Account. Another administrator that stays lets c go;
// of several being deleted at once with none staying, the oldest is the one kept.
func LastAdministratorHolds(c *v1alpha1.Collaborator, account *v1alpha1.Account, collaborators []*v1alpha1.Collaborator) bool {
	if !IsAccountAdministrator(c) || !AccountActive(account) || OtherAdministratorStays(c, collaborators) {
		return false
	}
	for _, o := range collaborators {
		if o.Name != c.Name && IsAccountAdministrator(o) && Older(o, c) {
			return false
		}
	}
	return true
}

// Administrators are the Members whose admin role supersedes WorkCenter roles
// (IsAdministrator: AccountAdministrator or WorkCenterAdministrator), sorted by
// name. It reads every Collaborator.
func (a *Account) Administrators() []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for _, c := range a.collaborators {
		if IsAdministrator(c) {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// AccountAdministrators are the Members whose admin role is AccountAdministrator,
// sorted by name.
func (a *Account) AccountAdministrators() []*v1alpha1.Collaborator {
	return a.named(a.admins, "")
}
