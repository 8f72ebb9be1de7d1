package model

import (
	"fmt"
	"iter"
	"slices"
	"sort"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// CheckLicenseFree is CheckLicenseAvailable when the number of the account's other
// Members (used) is already known.
func CheckLicenseFree(c *v1alpha1.Collaborator, old *v1alpha1.Collaborator, used int32, account *v1alpha1.Account) *Finding {
	if account == nil || !IsMember(c) || (old != nil && IsMember(old)) {
		return nil
	}
	if used < account.Spec.Licenses {
		return nil
	}
	return &Finding{
		Rule:   "R4",
		Reason: v1alpha1.ReasonLicenseLimitExceeded,
		Message: fmt.Sprintf("Account %q has no free license for Member %q: %d of %d licenses are used; raise spec.licenses or add the collaborator as a Guest",
			Short(account.Name), Short(c.Name), used, account.Spec.Licenses),
	}
}

// MemberLicensesFrom is MemberLicenses from c's seniority on (c included when it is a
// Member of the model): the only Members whose license a change of c can move, since R4
// gives licenses by seniority. c need not be in the model (one just deleted).
func (a *Account) MemberLicensesFrom(c *v1alpha1.Collaborator) iter.Seq2[*v1alpha1.Collaborator, bool] {
	return func(yield func(*v1alpha1.Collaborator, bool) bool) {
		used := int(a.LicensesUsed())
		s := seniorityOf(c)
		from := sort.Search(len(a.members), func(i int) bool { return !a.members[i].before(s) })
		for i := from; i < len(a.members); i++ {
			if !yield(a.collaborators[a.members[i].name], i < used) {
				return
			}
		}
	}
}

// Members are the Members in seniority order: the first Licenses() of them hold a
// license.
func (a *Account) Members() []*v1alpha1.Collaborator {
	out := make([]*v1alpha1.Collaborator, len(a.members))
	for i, s := range a.members {
		out[i] = a.collaborators[s.name]
	}
	return out
}

// Licenses is the owning Account's spec.licenses, 0 without an Account.
func (a *Account) Licenses() int32 {
	if a.owner == nil {
		return 0
	}
	return a.owner.Spec.Licenses
}

// LicensesUsed is how many Members hold a license.
func (a *Account) LicensesUsed() int32 {
	return min(int32(len(a.members)), max(a.Licenses(), 0))
}

// Licensed is R4 for c: a Member holds a license when fewer than the Account's licenses
// Members are older than it. c need not be in the model (a Member not yet seen counts
// as one of the Members all the same); a Guest, or any collaborator of a namespace
// without an Account, holds none.
func (a *Account) Licensed(c *v1alpha1.Collaborator) bool {
	if !IsMember(c) {
		return false
	}
	s := seniorityOf(c)
	older := sort.Search(len(a.members), func(i int) bool { return !a.members[i].before(s) })
	return int32(older) < a.Licenses()
}

// Allocation is R4 for every Member: the names of those holding a license
// (AllocateLicenses).
func (a *Account) Allocation() map[string]bool {
	out := make(map[string]bool, a.LicensesUsed())
	for _, s := range a.members[:a.LicensesUsed()] {
		out[s.name] = true
	}
	return out
}

// Unlicensed are the Members holding no license when the Account has licenses licenses:
// the youngest, sorted by name.
func (a *Account) Unlicensed(licenses int32) []string {
	var out []string
	for _, s := range a.members[min(int32(len(a.members)), max(licenses, 0)):] {
		out = append(out, s.name)
	}
	slices.Sort(out)
	return out
}

// LosingLicenses is R4 for lowering the Account's licenses from old to licenses: the
// Members ranked between the two limits lose their license, sorted by name.
func (a *Account) LosingLicenses(old, licenses int32) []string {
	if licenses >= old {
		return nil
	}
	n := int32(len(a.members))
	lo, hi := min(max(licenses, 0), n), min(max(old, 0), n)
	var out []string
	for _, s := range a.members[lo:hi] {
		out = append(out, s.name)
	}
	slices.Sort(out)
	return out
}

// MemberLicenses are the Members in seniority order, each with whether it holds a
// license (R4): the first LicensesUsed of them do.
func (a *Account) MemberLicenses() iter.Seq2[*v1alpha1.Collaborator, bool] {
	return func(yield func(*v1alpha1.Collaborator, bool) bool) {
		used := int(a.LicensesUsed())
		for i, s := range a.members {
			if !yield(a.collaborators[s.name], i < used) {
				return
			}
		}
	}
}
