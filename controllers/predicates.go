package controllers

import (
	"encoding/json"
	"hash/fnv"
	"maps"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
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
//
// A status this operator did not write wakes the object too (foreignStatus): status
// written by hand (`kubectl edit --subresource=status`), or by an old leader that has not
// yet learnt it lost its lease, is corrected at once, not at the next spec change.
func ownChanges() predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return specOrDeletionUpdate(e.ObjectOld, e.ObjectNew) || finalizerOfOursRemoved(e.ObjectOld, e.ObjectNew) ||
				foreignStatus(e.ObjectOld, e.ObjectNew)
		},
		DeleteFunc: func(e event.DeleteEvent) bool {
			ownStatuses.Delete(e.Object.GetUID())
			return true
		},
	}
}

// ownStatuses holds, per object (UID), a digest of the last status this process wrote
// or is writing: what a status-only update must carry to be our own.
var ownStatuses sync.Map

// statusDigest is a digest of an object's status as it is stored (JSON: times to the
// second, as the API server keeps them).
func statusDigest(o client.Object) uint64 {
	data, err := json.Marshal(statusOf(o))
	if err != nil {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write(data)
	return h.Sum64()
}

// rememberStatus records the status about to be written to o as ours. Recorded before
// the write, so the watch event of the write never overtakes it; a write that fails
// leaves a digest only that very status would match, which would be correct anyway.
func rememberStatus(o client.Object) { ownStatuses.Store(o.GetUID(), statusDigest(o)) }

// foreignStatus reports an update whose status changed to one this process did not
// write.
func foreignStatus(o, n client.Object) bool {
	if equality.Semantic.DeepEqual(statusOf(o), statusOf(n)) {
		return false
	}
	ours, ok := ownStatuses.Load(n.GetUID())
	return !ok || ours.(uint64) != statusDigest(n)
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
