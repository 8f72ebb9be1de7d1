package controllers

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// setReadiness writes the model's readiness as Ready, plus Reconciling or Stalled when
// they apply; both are removed otherwise, as kstatus expects.
func setReadiness(conds *[]metav1.Condition, generation int64, o model.Readiness) {
	setCondition(conds, generation, v1alpha1.ConditionReady, o.Ready, o.Reason, o.Message)
	if o.Waiting {
		setCondition(conds, generation, v1alpha1.ConditionReconciling, true, o.Reason, o.Message)
	} else {
		meta.RemoveStatusCondition(conds, v1alpha1.ConditionReconciling)
	}
	if o.Stalled {
		setCondition(conds, generation, v1alpha1.ConditionStalled, true, o.Reason, o.Message)
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
