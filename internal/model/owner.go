package model

import v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"

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

// Owner is the Account that owns the namespace (OwningAccount), nil when there is
// none.
func (a *Account) Owner() *v1alpha1.Account { return a.owner }

// Accounts are every Account in the namespace, sorted by name.
func (a *Account) Accounts() []*v1alpha1.Account { return sortedValues(a.accounts) }
