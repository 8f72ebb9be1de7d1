package metrics

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Label values come from fixed sets, whatever a status holds: only the operator writes
// status, but a value outside the set (a status written by hand, an older or newer
// operator) becomes "Other" rather than a new series.
const other = "Other"

// reasons are the reasons of api/v1alpha1 (a test checks that every one is there), and
// "" for a condition without one.
var reasons = func() map[string]bool {
	m := map[string]bool{"": true}
	for _, r := range v1alpha1.Reasons {
		m[r] = true
	}
	return m
}()

func boundedReason(r string) string {
	if reasons[r] {
		return r
	}
	return other
}

func boundedState(s v1alpha1.AssignmentState) string {
	switch s {
	case v1alpha1.AssignmentActive, v1alpha1.AssignmentArchived, v1alpha1.AssignmentRejected, v1alpha1.AssignmentPending:
		return string(s)
	}
	return other
}

func boundedStatus(s metav1.ConditionStatus) string {
	switch s {
	case metav1.ConditionTrue, metav1.ConditionFalse:
		return string(s)
	}
	return string(metav1.ConditionUnknown)
}
