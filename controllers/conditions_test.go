package controllers

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

func TestSetReadiness(t *testing.T) {
	cases := map[string]struct {
		o                    outcome
		ready                metav1.ConditionStatus
		reconciling, stalled bool
	}{
		"ready":   {readyOutcome("ok"), metav1.ConditionTrue, false, false},
		"waiting": {waitingOutcome(v1alpha1.ReasonRoleNotFound, "w"), metav1.ConditionFalse, true, false},
		"stalled": {stalledOutcome(v1alpha1.ReasonDuplicateEmail, "s"), metav1.ConditionFalse, false, true},
		"neither": {notReadyOutcome(v1alpha1.ReasonLicenseLimitExceeded, "n"), metav1.ConditionFalse, false, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// Start from the opposite state, so that stale conditions must be removed.
			conds := []metav1.Condition{}
			setReadiness(&conds, 1, waitingOutcome("X", "x"))
			setReadiness(&conds, 1, stalledOutcome("Y", "y"))
			setCondition(&conds, 1, v1alpha1.ConditionReconciling, true, "X", "x")
			setReadiness(&conds, 7, tc.o)
			ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
			if ready == nil || ready.Status != tc.ready || ready.Reason != tc.o.reason || ready.ObservedGeneration != 7 {
				t.Fatalf("Ready = %+v", ready)
			}
			for typ, want := range map[string]bool{v1alpha1.ConditionReconciling: tc.reconciling, v1alpha1.ConditionStalled: tc.stalled} {
				c := meta.FindStatusCondition(conds, typ)
				if (c != nil) != want {
					t.Fatalf("%s present = %v, want %v", typ, c != nil, want)
				}
				if c != nil && (c.Status != metav1.ConditionTrue || c.Reason != tc.o.reason || c.ObservedGeneration != 7) {
					t.Fatalf("%s = %+v", typ, c)
				}
			}
		})
	}
}

func TestSetConditionKeepsTransitionTimeWhileStatusHolds(t *testing.T) {
	conds := []metav1.Condition{}
	setCondition(&conds, 1, v1alpha1.ConditionReady, false, "A", "a")
	then := metav1.NewTime(time.Now().Add(-time.Hour))
	conds[0].LastTransitionTime = then
	setCondition(&conds, 2, v1alpha1.ConditionReady, false, "B", "b")
	if !conds[0].LastTransitionTime.Equal(&then) || conds[0].Reason != "B" || conds[0].ObservedGeneration != 2 {
		t.Fatalf("same status: %+v", conds[0])
	}
	setCondition(&conds, 3, v1alpha1.ConditionReady, true, "C", "c")
	if conds[0].LastTransitionTime.Equal(&then) {
		t.Fatalf("a new status must move the transition time")
	}
}

func TestCollaboratorOutcome(t *testing.T) {
	active := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: v1alpha1.AccountSpec{State: v1alpha1.AccountActive, Licenses: 1}}
	deactivated := active.DeepCopy()
	deactivated.Spec.State = v1alpha1.AccountDeactivated
	guest := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Name: "g"}, Spec: v1alpha1.CollaboratorSpec{Type: v1alpha1.Guest}}
	member := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Name: "m"}, Spec: v1alpha1.CollaboratorSpec{Type: v1alpha1.Member}}
	dup := &model.Finding{Reason: v1alpha1.ReasonDuplicateEmail, Message: "dup"}
	st := func(state v1alpha1.AssignmentState, reason string) v1alpha1.WorkCenterAssignmentStatus {
		return v1alpha1.WorkCenterAssignmentStatus{Name: "wc", Role: "r", State: state, Reason: reason, Message: "because " + reason}
	}
	active1 := st(v1alpha1.AssignmentActive, "")
	cases := map[string]struct {
		c        *v1alpha1.Collaborator
		account  *v1alpha1.Account
		dup      *model.Finding
		licensed bool
		statuses []v1alpha1.WorkCenterAssignmentStatus
		want     outcome
	}{
		"no account waits": {guest, nil, nil, false, nil,
			outcome{reason: v1alpha1.ReasonAccountNotFound, waiting: true}},
		"duplicate email is stalled, before anything else": {guest, deactivated, dup, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound)},
			outcome{reason: v1alpha1.ReasonDuplicateEmail, stalled: true}},
		"member-only role for a guest is stalled": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound), st(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember)},
			outcome{reason: v1alpha1.ReasonRoleRequiresMember, stalled: true}},
		"inclusion cycle is stalled": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentRejected, v1alpha1.ReasonInclusionCycle)},
			outcome{reason: v1alpha1.ReasonInclusionCycle, stalled: true}},
		"deactivated account: not ready, neither waiting nor stalled": {guest, deactivated, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountDeactivated)},
			outcome{reason: v1alpha1.ReasonAccountDeactivated}},
		"terminating role": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{active1, st(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleTerminating)},
			outcome{reason: v1alpha1.ReasonRoleTerminating}},
		"unlicensed member, before missing references": {member, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound)},
			outcome{reason: v1alpha1.ReasonLicenseLimitExceeded}},
		"missing role waits": {member, active, nil, true,
			[]v1alpha1.WorkCenterAssignmentStatus{active1, st(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound)},
			outcome{reason: v1alpha1.ReasonRoleNotFound, waiting: true}},
		"missing WorkCenter waits": {guest, active, nil, false,
			[]v1alpha1.WorkCenterAssignmentStatus{st(v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound)},
			outcome{reason: v1alpha1.ReasonWorkCenterNotFound, waiting: true}},
		"all in effect": {member, active, nil, true,
			[]v1alpha1.WorkCenterAssignmentStatus{active1, st(v1alpha1.AssignmentArchived, v1alpha1.ReasonWorkCenterArchived)},
			outcome{ready: true, reason: v1alpha1.ReasonReconciled}},
		"no assignments": {guest, active, nil, false, nil,
			outcome{ready: true, reason: v1alpha1.ReasonReconciled}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := collaboratorOutcome(tc.c, tc.account, tc.dup, tc.licensed, tc.statuses)
			if got.ready != tc.want.ready || got.reason != tc.want.reason || got.waiting != tc.want.waiting || got.stalled != tc.want.stalled {
				t.Fatalf("outcome = %+v, want %+v", got, tc.want)
			}
			if got.message == "" {
				t.Fatalf("outcome without a message")
			}
		})
	}
}

func TestWorkCenterOutcome(t *testing.T) {
	account := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Name: "acme"},
		Spec: v1alpha1.AccountSpec{Picklists: v1alpha1.Picklists{WorkCenterCategories: []v1alpha1.PicklistItem{"Residential"}}}}
	wc := func(category string, archived bool) *v1alpha1.WorkCenter {
		return &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Name: "tower"}, Spec: v1alpha1.WorkCenterSpec{Category: category, Archived: archived}}
	}
	cases := map[string]struct {
		wc      *v1alpha1.WorkCenter
		account *v1alpha1.Account
		want    outcome
	}{
		"no account waits":        {wc("Residential", false), nil, outcome{reason: v1alpha1.ReasonAccountNotFound, waiting: true}},
		"unknown category stalls": {wc("Aerospace", false), account, outcome{reason: v1alpha1.ReasonUnknownCategory, stalled: true}},
		"known category":          {wc("Residential", false), account, outcome{ready: true, reason: v1alpha1.ReasonReconciled}},
		"no category":             {wc("", false), account, outcome{ready: true, reason: v1alpha1.ReasonReconciled}},
		"archived is still ready": {wc("", true), account, outcome{ready: true, reason: v1alpha1.ReasonReconciled}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := workCenterOutcome(tc.wc, tc.account)
			if got.ready != tc.want.ready || got.reason != tc.want.reason || got.waiting != tc.want.waiting || got.stalled != tc.want.stalled {
				t.Fatalf("outcome = %+v, want %+v", got, tc.want)
			}
		})
	}
}
