package controllers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Events are recorded on transitions only, once the status that carries the transition
// was stored (statusStep.written), never on every reconcile.

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
// an account that lost its last administrator (R7, a race admission cannot close,
// docs/decisions.md) or ran out of licenses (R4) says so in its audit trail, once per
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

// packNotes joins entries with "; " into as few notes of at most max bytes as keep
// them whole and in order; an entry longer than max alone is bounded to max.
func packNotes(entries []string, max int) []string {
	var notes []string
	var cur strings.Builder
	for _, e := range entries {
		if cur.Len() > 0 && cur.Len()+len("; ")+len(e) > max {
			notes = append(notes, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("; ")
		}
		cur.WriteString(e)
	}
	if cur.Len() > 0 {
		notes = append(notes, cur.String())
	}
	for i := range notes {
		notes[i] = model.Bound(notes[i], max)
	}
	return notes
}
