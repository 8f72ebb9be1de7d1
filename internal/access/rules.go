package access

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Violation is a broken rule: which rule, its reason constant, and a message that names
// the objects and permissions involved. Admission denies with the message; the
// controllers put the reason and message into status.
type Violation struct {
	// Rule is the rule's number in SPEC section 3, e.g. "R2".
	Rule string
	// Reason is one of the v1alpha1 Reason constants.
	Reason string
	// Message explains the violation to a person.
	Message string
}

func (v *Violation) Error() string { return v.Message }

// Older reports whether a comes before b in the account's seniority: creation time
// first, then name. An object not created yet (zero timestamp) is the newest.
func Older(a, b *v1alpha1.Collaborator) bool {
	ta, tb := a.CreationTimestamp, b.CreationTimestamp
	switch {
	case ta.IsZero() != tb.IsZero():
		return tb.IsZero()
	case !ta.Equal(&tb):
		return ta.Before(&tb)
	default:
		return a.Name < b.Name
	}
}

// IsMember reports whether the collaborator is a paid Member.
func IsMember(c *v1alpha1.Collaborator) bool { return c.Spec.Type == v1alpha1.Member }

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

// CheckRoleForGuest is R2 (and R3) for one assignment: a Guest never holds a role with
// member-only permissions. perms is the role's effective set.
func CheckRoleForGuest(c *v1alpha1.Collaborator, workCenter, role string, perms Set) *Violation {
	if IsMember(c) {
		return nil
	}
	mo := perms.MemberOnly()
	if len(mo) == 0 {
		return nil
	}
	return &Violation{
		Rule:   "R2",
		Reason: v1alpha1.ReasonRoleRequiresMember,
		Message: fmt.Sprintf("Guest %q cannot hold role %q in WorkCenter %q: the role has member-only permissions (%s); make the collaborator a Member or choose a role without them",
			Short(c.Name), Short(role), Short(workCenter), joinPermissions(mo)),
	}
}

// CheckGuestRoles is R2 and R3 for a whole Collaborator: every assignment whose role
// (as far as it resolves) has member-only permissions while the collaborator is a Guest.
// Roles that do not exist yet are skipped: they wait, they are not rejected.
func CheckGuestRoles(c *v1alpha1.Collaborator, roles Roles) []Violation {
	var out []Violation
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

// CheckRoleChange is R2 for a WorkCenterRole change: with role replacing its current
// version in roles, no role held by a Guest may be made member-only, whether the Guest
// holds this role or one that includes it. A role that was member-only before the change
// is not made so by it. The message names the guests and the permissions.
func CheckRoleChange(role *v1alpha1.WorkCenterRole, roles Roles, collaborators []*v1alpha1.Collaborator) *Violation {
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
	return &Violation{
		Rule:   "R2",
		Reason: v1alpha1.ReasonRoleRequiresMember,
		Message: fmt.Sprintf("WorkCenterRole %q would give member-only permissions (%s) to guests: %s; make them Members or assign them another role first",
			Short(role.Name), perms, listWithin(guests, MaxUsersListed, MaxListInMessage, same)),
	}
}

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
func CheckLicenseAvailable(c *v1alpha1.Collaborator, old *v1alpha1.Collaborator, existing []*v1alpha1.Collaborator, account *v1alpha1.Account) *Violation {
	used := int32(0)
	for _, o := range existing {
		if o.Name != c.Name && IsMember(o) {
			used++
		}
	}
	return CheckLicenseFree(c, old, used, account)
}

// CheckLicenseFree is CheckLicenseAvailable when the number of the account's other
// Members (used) is already known.
func CheckLicenseFree(c *v1alpha1.Collaborator, old *v1alpha1.Collaborator, used int32, account *v1alpha1.Account) *Violation {
	if account == nil || !IsMember(c) || (old != nil && IsMember(old)) {
		return nil
	}
	if used < account.Spec.Licenses {
		return nil
	}
	return &Violation{
		Rule:   "R4",
		Reason: v1alpha1.ReasonLicenseLimitExceeded,
		Message: fmt.Sprintf("Account %q has no free license for Member %q: %d of %d licenses are used; raise spec.licenses or add the collaborator as a Guest",
			Short(account.Name), Short(c.Name), used, account.Spec.Licenses),
	}
}

// SameEmail returns the other Collaborators whose email equals c's, ignoring case.
func SameEmail(c *v1alpha1.Collaborator, collaborators []*v1alpha1.Collaborator) []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for _, o := range collaborators {
		if o.Name != c.Name && strings.EqualFold(o.Spec.Email, c.Spec.Email) {
			out = append(out, o)
		}
	}
	return out
}

// CheckEmailUnique is R5: emails are unique within an account, and the oldest
// Collaborator keeps an email it shares. It returns a violation for c when another
// Collaborator with the same email is older (at admission c is new, so any will do).
func CheckEmailUnique(c *v1alpha1.Collaborator, collaborators []*v1alpha1.Collaborator) *Violation {
	var holder *v1alpha1.Collaborator
	for _, o := range SameEmail(c, collaborators) {
		if Older(o, c) && (holder == nil || Older(o, holder)) {
			holder = o
		}
	}
	if holder == nil {
		return nil
	}
	return &Violation{
		Rule:   "R5",
		Reason: v1alpha1.ReasonDuplicateEmail,
		Message: fmt.Sprintf("email %q is already used by Collaborator %q; emails are unique within an account (case-insensitive)",
			Short(c.Spec.Email), Short(holder.Name)),
	}
}

// CheckCategory is R8: a WorkCenter's category is in the Account's picklist. Without an
// Account there is nothing to check against yet.
func CheckCategory(wc *v1alpha1.WorkCenter, account *v1alpha1.Account) *Violation {
	if wc.Spec.Category == "" || account == nil {
		return nil
	}
	cats := account.Spec.Picklists.WorkCenterCategories
	if slices.Contains(cats, v1alpha1.PicklistItem(wc.Spec.Category)) {
		return nil
	}
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = string(c)
	}
	known := "the Account has no workCenterCategories"
	if len(names) > 0 {
		known = "known categories: " + ListWithTotal(names, 20)
	}
	return &Violation{
		Rule:   "R8",
		Reason: v1alpha1.ReasonUnknownCategory,
		Message: fmt.Sprintf("WorkCenter %q has category %q, which is not in Account %q's workCenterCategories (%s)",
			Short(wc.Name), Short(wc.Spec.Category), Short(account.Name), known),
	}
}

// CheckRoleNotTerminating is R10: no new assignment to a role that is being deleted.
func CheckRoleNotTerminating(c *v1alpha1.Collaborator, workCenter string, role *v1alpha1.WorkCenterRole) *Violation {
	if role == nil || role.DeletionTimestamp.IsZero() {
		return nil
	}
	return &Violation{
		Rule:   "R10",
		Reason: v1alpha1.ReasonRoleTerminating,
		Message: fmt.Sprintf("WorkCenterRole %q is being deleted; it cannot be newly assigned to %q in WorkCenter %q",
			Short(role.Name), Short(c.Name), Short(workCenter)),
	}
}

// ListWithTotal joins up to limit names, each shortened (Short), and says how many
// there are in all when some are left out: "a, b, c and 7 more (10 in total)". The list
// takes at most MaxListInMessage bytes: fewer names are shown when they are long.
func ListWithTotal(names []string, limit int) string {
	return ListWithin(names, limit, MaxListInMessage)
}

// OwningAccount returns the Account that owns a namespace: the oldest (creation time,
// then name), since a namespace holds at most one Account and the oldest wins. nil when
// there is none.
func OwningAccount(accounts []*v1alpha1.Account) *v1alpha1.Account {
	var owner *v1alpha1.Account
	for _, a := range accounts {
		if owner == nil || accountOlder(a, owner) {
			owner = a
		}
	}
	return owner
}

func accountOlder(a, b *v1alpha1.Account) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	return a.Name < b.Name
}

// AccountActive reports whether an Account exists, is Active and is not being deleted:
// only then does R7 keep its last administrator.
func AccountActive(a *v1alpha1.Account) bool {
	return a != nil && a.Spec.State != v1alpha1.AccountDeactivated && a.DeletionTimestamp.IsZero()
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
