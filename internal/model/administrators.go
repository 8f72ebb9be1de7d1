package model

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// IsAdministrator reports whether the collaborator's admin role supersedes WorkCenter
// roles (docs/rules.md, Effective access, step 3): AccountAdministrator or WorkCenterAdministrator.
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

// lastAdministratorRemedy is what a person does about R7.
const lastAdministratorRemedy = "make another Member an AccountAdministrator first, or deactivate the account"

// LastAdministratorBlock is R7 for a deletion, as DeletionBlocked says it: why c's
// deletion waits, "" when it may go (LastAdministratorHolds).
func LastAdministratorBlock(c *v1alpha1.Collaborator, account *v1alpha1.Account, collaborators []*v1alpha1.Collaborator) string {
	if !LastAdministratorHolds(c, account, collaborators) {
		return ""
	}
	return lastAdministrator(c, account) + ": " + lastAdministratorRemedy
}

func lastAdministrator(c *v1alpha1.Collaborator, account *v1alpha1.Account) string {
	return fmt.Sprintf("Collaborator %q is the last AccountAdministrator of Account %q", Short(c.Name), Short(account.Name))
}

// CheckDemotion is R7 for an update: the last AccountAdministrator of an active Account
// is not demoted, to another admin role or to a Guest. admins are the account's
// AccountAdministrators.
func CheckDemotion(old, c *v1alpha1.Collaborator, account *v1alpha1.Account, admins []*v1alpha1.Collaborator) *Finding {
	if !IsAccountAdministrator(old) || IsAccountAdministrator(c) || !AccountActive(account) || OtherAdministratorStays(c, admins) {
		return nil
	}
	path := field.NewPath("spec", "adminRole")
	if !IsMember(c) {
		path = field.NewPath("spec", "type")
	}
	return &Finding{Rule: R7, Reason: v1alpha1.ReasonLastAccountAdministrator, Field: path, Message: fmt.Sprintf(
		"%s and cannot be demoted to %s %s; %s", lastAdministrator(c, account), c.Spec.Type, c.Spec.AdminRole, lastAdministratorRemedy)}
}
