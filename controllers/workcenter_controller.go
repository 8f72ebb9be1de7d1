package controllers

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const workCenterController = "workcenter"

// WorkCenterReconciler checks a WorkCenter's category (R8) and counts the assignments
// to it that are in effect.
type WorkCenterReconciler struct{ reconciler }

// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenters/status,verbs=get;update;patch

// Reconcile brings one WorkCenter's status in line.
func (r *WorkCenterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var wc v1alpha1.WorkCenter
	if err := r.Get(ctx, req.NamespacedName, &wc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.models().Touch(&wc)
	step := newStatusStep(&wc, r.own)
	var account *v1alpha1.Account
	var from *v1alpha1.WorkCenter
	step.written = func(before client.Object) {
		if v := model.CheckCategory(&wc, account); v != nil && !hasStalledReason(before.(*v1alpha1.WorkCenter).Status.Conditions, v.Reason) {
			r.Recorder.Eventf(&wc, nil, corev1.EventTypeWarning, v.Reason, "Validate", "%s", v.Message)
		}
	}
	now := metav1.Now().Rfc3339Copy()
	err := r.models().Read(ctx, wc.Namespace, func(m *model.Account) error {
		account = m.Owner()
		from = m.WorkCenter(string(wc.Spec.CollaboratorsFrom))
		// Decided with the same evaluation as the Collaborators' own status, from the
		// state of the account rather than from the Collaborators' status: right from the
		// first reconcile, and not rewritten as each Collaborator converges.
		wc.Status.Collaborators = m.InEffectAssignments(wc.Name, now)
		return nil
	})
	if err == nil {
		wc.Status.ObservedGeneration = wc.Generation
		setReadiness(&wc.Status.Conditions, wc.Generation, model.WorkCenterReadiness(&wc, account, from))
	}
	return step.finish(ctx, r.Client, err)
}

// hasStalledReason reports whether the object was already Stalled for reason: Stalled,
// not Ready, since a reconcile error in between changes only Ready.
func hasStalledReason(conds []metav1.Condition, reason string) bool {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionStalled)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason
}
