package model

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func TestCollaboratorReadiness(t *testing.T) {
	active := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: v1alpha1.AccountSpec{State: v1alpha1.AccountActive, Licenses: 1}}
	deactivated := active.DeepCopy()
	deactivated.Spec.State = v1alpha1.AccountDeactivated
	guest := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Name: "g"}, Spec: v1alpha1.CollaboratorSpec{Type: v1alpha1.Guest}}
	member := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Name: "m"}, Spec: v1alpha1.CollaboratorSpec{Type: v1alpha1.Member}}
	dup := &Finding{Reason: v1alpha1.ReasonDuplicateEmail, Message: "dup"}
	st := func(state v1alpha1.AssignmentState, reason string) v1alpha1.WorkCenterAssignmentStatus {
		return v1alpha1.WorkCenterAssignmentStatus{Name: "wc", Role: "r", State: state, Reason: reason, Message: "because " + reason}
	}
	active1 := st(v1alpha1.AssignmentActive, "")
	cases := map[string]struct {
		c        *v1alpha1.Collaborator
		account  *v1alpha1.Account
		dup      *Finding
		licensed bool
		statuses []v1alpha1.WorkCenterAssignmentStatus
		want     Readiness
	}{
		"no account waits": {guest, nil, nil, false, nil,
			Readiness{Reason: v1alpha1.ReasonAccountNotFound, Waiting: true}},
		"duplicate email is stalled, before anything else": {guest, deactivated, dup, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound)},
			Readiness{Reason: v1alpha1.ReasonDuplicateEmail, Stalled: true}},
		"member-only role for a guest is stalled": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound), st(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember)},
			Readiness{Reason: v1alpha1.ReasonRoleRequiresMember, Stalled: true}},
		"inclusion cycle is stalled": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentRejected, v1alpha1.ReasonInclusionCycle)},
			Readiness{Reason: v1alpha1.ReasonInclusionCycle, Stalled: true}},
		"deactivated account: not ready, neither waiting nor stalled": {guest, deactivated, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountDeactivated)},
			Readiness{Reason: v1alpha1.ReasonAccountDeactivated}},
		"terminating role": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{active1, st(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleTerminating)},
			Readiness{Reason: v1alpha1.ReasonRoleTerminating}},
		"unlicensed member, before missing references": {member, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound)},
			Readiness{Reason: v1alpha1.ReasonLicenseLimitExceeded}},
		"missing role waits": {member, active, nil, true,
			[]v1alpha1.WorkCenterAssignmentStatus{active1, st(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound)},
			Readiness{Reason: v1alpha1.ReasonRoleNotFound, Waiting: true}},
		"missing WorkCenter waits": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound)},
			Readiness{Reason: v1alpha1.ReasonWorkCenterNotFound, Waiting: true}},
		"all in effect": {member, active, nil, true,
			[]v1alpha1.WorkCenterAssignmentStatus{active1, st(v1alpha1.AssignmentArchived, v1alpha1.ReasonWorkCenterArchived)},
			Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}},
		"no assignments": {guest, active, nil, false, nil,
			Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := CollaboratorReadiness(tc.c, tc.account, Evaluation{Duplicate: tc.dup, Licensed: tc.licensed, Statuses: tc.statuses})
			if got.Ready != tc.want.Ready || got.Reason != tc.want.Reason || got.Waiting != tc.want.Waiting || got.Stalled != tc.want.Stalled {
				t.Fatalf("readiness = %+v, want %+v", got, tc.want)
			}
			if got.Message == "" {
				t.Fatalf("readiness without a message")
			}
		})
	}
}

func TestWorkCenterReadiness(t *testing.T) {
	account := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme"},
		Spec: v1alpha1.AccountSpec{Picklists: v1alpha1.Picklists{WorkCenterCategories: []v1alpha1.PicklistItem{"Residential"}}}}
	wc := func(category string, archived bool) *v1alpha1.WorkCenter {
		return &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Name: "tower"}, Spec: v1alpha1.WorkCenterSpec{Category: category, Archived: archived}}
	}
	cases := map[string]struct {
		wc      *v1alpha1.WorkCenter
		account *v1alpha1.Account
		want    Readiness
	}{
		"no account waits":        {wc("Residential", false), nil, Readiness{Reason: v1alpha1.ReasonAccountNotFound, Waiting: true}},
		"unknown category stalls": {wc("Aerospace", false), account, Readiness{Reason: v1alpha1.ReasonUnknownCategory, Stalled: true}},
		"known category":          {wc("Residential", false), account, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}},
		"no category":             {wc("", false), account, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}},
		"archived is still ready": {wc("", true), account, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := WorkCenterReadiness(tc.wc, tc.account)
			if got.Ready != tc.want.Ready || got.Reason != tc.want.Reason || got.Waiting != tc.want.Waiting || got.Stalled != tc.want.Stalled {
				t.Fatalf("readiness = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRoleReadiness(t *testing.T) {
	perms := NewSet("workCenter.view", "tasks.create")
	cases := map[string]struct {
		builtIn bool
		err     error
		want    Readiness
		says    string
	}{
		"a cycle stalls":           {false, &CycleError{Cycle: []string{"a", "b", "a"}}, Readiness{Reason: v1alpha1.ReasonInclusionCycle, Stalled: true}, "a -> b -> a"},
		"a missing include waits":  {false, &RoleNotFoundError{Path: []string{"a", "ghost"}}, Readiness{Reason: v1alpha1.ReasonRoleNotFound, Waiting: true}, "ghost"},
		"a custom role is ready":   {false, nil, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}, "custom role with 2 effective permissions (1 member-only)"},
		"a built-in role is ready": {true, nil, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}, "built-in role"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := RoleReadiness(tc.builtIn, perms, tc.err)
			if got.Ready != tc.want.Ready || got.Reason != tc.want.Reason || got.Waiting != tc.want.Waiting || got.Stalled != tc.want.Stalled ||
				!strings.Contains(got.Message, tc.says) {
				t.Fatalf("readiness = %+v, want %+v saying %q", got, tc.want, tc.says)
			}
		})
	}
}

func TestAccountReadiness(t *testing.T) {
	owner := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: "ns"}, Spec: v1alpha1.AccountSpec{State: v1alpha1.AccountActive}}
	second := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme-2", Namespace: "ns"}, Spec: v1alpha1.AccountSpec{State: v1alpha1.AccountActive}}
	deactivated := owner.DeepCopy()
	deactivated.Spec.State = v1alpha1.AccountDeactivated
	cases := map[string]struct {
		acct, owner *v1alpha1.Account
		want        Readiness
		says        string
	}{
		"the owner, Active":                   {owner, owner, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}, "Active"},
		"the owner, Deactivated: still Ready": {deactivated, deactivated, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}, "Deactivated"},
		"not seen by the cache yet":           {owner, nil, Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled}, "Active"},
		"a second Account is not Ready":       {second, owner, Readiness{Reason: v1alpha1.ReasonDuplicateAccount}, `already has Account "acme"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := AccountReadiness(tc.acct, tc.owner)
			if got.Ready != tc.want.Ready || got.Reason != tc.want.Reason || got.Waiting != tc.want.Waiting || got.Stalled != tc.want.Stalled ||
				!strings.Contains(got.Message, tc.says) {
				t.Fatalf("readiness = %+v, want %+v saying %q", got, tc.want, tc.says)
			}
		})
	}
}
