package controllers

import (
	"maps"
	"slices"

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
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool { return specOrDeletionUpdate(e.ObjectOld, e.ObjectNew) }}
}

func specOrDeletionUpdate(o, n client.Object) bool {
	return o.GetGeneration() != n.GetGeneration() ||
		o.GetDeletionTimestamp().IsZero() != n.GetDeletionTimestamp().IsZero() ||
		!maps.Equal(o.GetLabels(), n.GetLabels())
}

// ownChanges is the predicate of each controller's own kind: specOrDeletionChanged, and
// also an update that strips one of our finalizers (kubectl replace, a GitOps tool
// syncing with replace, a hand edit), so the object's own controller puts it back
// whenever the object still needs it: R6, R7 and R11 hold whatever happens to metadata.
func ownChanges() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return specOrDeletionUpdate(e.ObjectOld, e.ObjectNew) || finalizerOfOursRemoved(e.ObjectOld, e.ObjectNew)
	}}
}

// ourFinalizers are the protection finalizers this operator keeps.
var ourFinalizers = []string{
	v1alpha1.FinalizerInUseProtection, v1alpha1.FinalizerLastAdministrator, v1alpha1.FinalizerAccountProtection,
}

func finalizerOfOursRemoved(o, n client.Object) bool {
	for _, f := range ourFinalizers {
		if slices.Contains(o.GetFinalizers(), f) && !slices.Contains(n.GetFinalizers(), f) {
			return true
		}
	}
	return false
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

// recordTurnedFalse records a Warning event when condition t turns from True to False:
// an account that lost its last administrator (a race admission cannot close,
// docs/decisions.md) or ran out of licenses says so in its audit trail, once per
// transition. A condition False from the first reconcile (an account still being
// applied) is in status, not an event.
func recordTurnedFalse(rec events.EventRecorder, before []metav1.Condition, obj client.Object, after []metav1.Condition, t, action string) {
	now := meta.FindStatusCondition(after, t)
	if now == nil || now.Status != metav1.ConditionFalse {
		return
	}
	if was := meta.FindStatusCondition(before, t); was == nil || was.Status != metav1.ConditionTrue {
		return
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, now.Reason, action, "%s False: %s", t, now.Message)
}
