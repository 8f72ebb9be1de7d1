package controllers

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// specOrDeletionChanged passes creations, deletions, and updates that change the spec
// (generation), the labels, or the start of deletion; status-only and finalizer-only
// updates are ignored, so our own status writes never wake anything that reads specs.
func specOrDeletionChanged() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, n := e.ObjectOld, e.ObjectNew
			return o.GetGeneration() != n.GetGeneration() ||
				o.GetDeletionTimestamp().IsZero() != n.GetDeletionTimestamp().IsZero() ||
				!maps.Equal(o.GetLabels(), n.GetLabels())
		},
	}
}

// recordBlocked emits a Warning event when DeletionBlocked turns True, naming why.
func recordBlocked(rec events.EventRecorder, before []metav1.Condition, obj client.Object, after []metav1.Condition) {
	now := meta.FindStatusCondition(after, v1alpha1.ConditionDeletionBlocked)
	if now == nil || now.Status != metav1.ConditionTrue {
		return
	}
	if was := meta.FindStatusCondition(before, v1alpha1.ConditionDeletionBlocked); was != nil &&
		was.Status == metav1.ConditionTrue && was.Message == now.Message {
		return
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, now.Reason, "Delete", "deletion blocked: %s", now.Message)
}
