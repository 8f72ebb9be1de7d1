package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// outcome is what a reconcile concluded about an object, before it becomes the kstatus
// conditions Ready, Reconciling and Stalled.
type outcome struct {
	ready   bool
	reason  string
	message string
	// waiting: something that will come is missing (Reconciling True).
	waiting bool
	// stalled: the spec itself is wrong and will not fix itself (Stalled True).
	stalled bool
}

func readyOutcome(message string) outcome {
	return outcome{ready: true, reason: v1alpha1.ReasonReconciled, message: message}
}

func waitingOutcome(reason, message string) outcome {
	return outcome{reason: reason, message: message, waiting: true}
}

func stalledOutcome(reason, message string) outcome {
	return outcome{reason: reason, message: message, stalled: true}
}

func notReadyOutcome(reason, message string) outcome {
	return outcome{reason: reason, message: message}
}

// setReadiness writes an outcome as Ready, plus Reconciling or Stalled when they apply;
// both are removed otherwise, as kstatus expects.
func setReadiness(conds *[]metav1.Condition, generation int64, o outcome) {
	setCondition(conds, generation, v1alpha1.ConditionReady, o.ready, o.reason, o.message)
	if o.waiting {
		setCondition(conds, generation, v1alpha1.ConditionReconciling, true, o.reason, o.message)
	} else {
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
	}
	if o.stalled {
		setCondition(conds, generation, v1alpha1.ConditionStalled, true, o.reason, o.message)
	} else {
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionStalled)
	}
}

// setCondition sets one condition; its transition time moves only when its status does.
func setCondition(conds *[]metav1.Condition, generation int64, condType string, status bool, reason, message string) {
	s := metav1.ConditionFalse
	if status {
		s = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: condType, Status: s, Reason: reason, Message: model.Bound(message, model.MaxConditionMessage), ObservedGeneration: generation,
	})
}

// setDeletionBlocked sets DeletionBlocked True while a finalizer of ours holds the
// object, and removes it otherwise.
func setDeletionBlocked(conds *[]metav1.Condition, generation int64, blocked bool, reason, message string) {
	if blocked {
		setCondition(conds, generation, v1alpha1.ConditionDeletionBlocked, true, reason, message)
		return
	}
	meta.RemoveStatusCondition(conds, v1alpha1.ConditionDeletionBlocked)
}
