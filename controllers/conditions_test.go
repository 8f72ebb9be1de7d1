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
		o                    model.Readiness
		ready                metav1.ConditionStatus
		reconciling, stalled bool
	}{
		"ready":   {model.ReadyWith("ok"), metav1.ConditionTrue, false, false},
		"waiting": {model.WaitingFor(v1alpha1.ReasonRoleNotFound, "w"), metav1.ConditionFalse, true, false},
		"stalled": {model.StalledBy(v1alpha1.ReasonDuplicateEmail, "s"), metav1.ConditionFalse, false, true},
		"neither": {model.NotReady(v1alpha1.ReasonLicenseLimitExceeded, "n"), metav1.ConditionFalse, false, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// Start from the opposite state, so that stale conditions must be removed.
			conds := []metav1.Condition{}
			setReadiness(&conds, 1, model.WaitingFor("X", "x"))
			setReadiness(&conds, 1, model.StalledBy("Y", "y"))
			setCondition(&conds, 1, v1alpha1.ConditionReconciling, true, "X", "x")
			setReadiness(&conds, 7, tc.o)
			ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
			if ready == nil || ready.Status != tc.ready || ready.Reason != tc.o.Reason || ready.ObservedGeneration != 7 {
				t.Fatalf("Ready = %+v", ready)
			}
			for typ, want := range map[string]bool{v1alpha1.ConditionReconciling: tc.reconciling, v1alpha1.ConditionStalled: tc.stalled} {
				c := meta.FindStatusCondition(conds, typ)
				if (c != nil) != want {
					t.Fatalf("%s present = %v, want %v", typ, c != nil, want)
				}
				if c != nil && (c.Status != metav1.ConditionTrue || c.Reason != tc.o.Reason || c.ObservedGeneration != 7) {
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
