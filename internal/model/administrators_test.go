package model

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func TestOwningAccount(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	acct := func(name string, at time.Time) *v1alpha1.Account {
		return &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(at)}}
	}
	cases := map[string]struct {
		accounts []*v1alpha1.Account
		want     string
	}{
		"none":                  {nil, ""},
		"one":                   {[]*v1alpha1.Account{acct("a", t0)}, "a"},
		"oldest wins":           {[]*v1alpha1.Account{acct("new", t0.Add(time.Second)), acct("old", t0)}, "old"},
		"same time, name first": {[]*v1alpha1.Account{acct("zeta", t0), acct("alpha", t0)}, "alpha"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := OwningAccount(tc.accounts)
			if (got == nil && tc.want != "") || (got != nil && got.Name != tc.want) {
				t.Fatalf("OwningAccount = %v, want %q", got, tc.want)
			}
		})
	}
}

func TestLastAdministratorHolds(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := metav1.NewTime(t0.Add(time.Hour))
	collab := func(name string, age int, adminRole v1alpha1.AdminRole, deleting bool) *v1alpha1.Collaborator {
		c := &v1alpha1.Collaborator{
			ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(age) * time.Second))},
			Spec:       v1alpha1.CollaboratorSpec{Type: v1alpha1.Member, AdminRole: adminRole},
		}
		if deleting {
			c.DeletionTimestamp = &now
		}
		return c
	}
	active := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: v1alpha1.AccountSpec{State: v1alpha1.AccountActive}}
	deactivated := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: v1alpha1.AccountSpec{State: v1alpha1.AccountDeactivated}}
	deleting := active.DeepCopy()
	deleting.DeletionTimestamp = &now

	aa := v1alpha1.AdminRoleAccountAdministrator
	boss := collab("boss", 1, aa, true)
	cases := map[string]struct {
		c       *v1alpha1.Collaborator
		account *v1alpha1.Account
		others  []*v1alpha1.Collaborator
		want    bool
	}{
		"the last one is held":                     {boss, active, []*v1alpha1.Collaborator{boss, collab("m", 2, v1alpha1.AdminRoleNone, false)}, true},
		"another that stays releases it":           {boss, active, []*v1alpha1.Collaborator{boss, collab("heir", 2, aa, false)}, false},
		"a WorkCenterAdministrator does not count": {boss, active, []*v1alpha1.Collaborator{boss, collab("wca", 2, v1alpha1.AdminRoleWorkCenterAdministrator, false)}, true},
		"no account":                              {boss, nil, []*v1alpha1.Collaborator{boss}, false},
		"deactivated account":                     {boss, deactivated, []*v1alpha1.Collaborator{boss}, false},
		"account being deleted":                   {boss, deleting, []*v1alpha1.Collaborator{boss}, false},
		"not an administrator":                    {collab("m", 1, v1alpha1.AdminRoleNone, true), active, nil, false},
		"two deleted at once: the oldest is kept": {boss, active, []*v1alpha1.Collaborator{boss, collab("younger", 5, aa, true)}, true},
		"two deleted at once: the younger goes":   {collab("younger", 5, aa, true), active, []*v1alpha1.Collaborator{boss, collab("younger", 5, aa, true)}, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := LastAdministratorHolds(tc.c, tc.account, tc.others); got != tc.want {
				t.Fatalf("LastAdministratorHolds = %v, want %v", got, tc.want)
			}
		})
	}
}
