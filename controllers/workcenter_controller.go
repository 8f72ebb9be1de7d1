package controllers

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/access"
)

const workCenterController = "workcenter"

// WorkCenterReconciler checks a WorkCenter's category (R8) and counts the assignments
// to it that are in effect.
type WorkCenterReconciler struct {
	client.Client
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenters/status,verbs=get;update;patch

// Reconcile brings one WorkCenter's status in line.
func (r *WorkCenterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var wc v1alpha1.WorkCenter
	if err := r.Get(ctx, req.NamespacedName, &wc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	step := newStatusStep(&wc)
	var account *v1alpha1.Account
	step.written = func(before client.Object) {
		if v := access.CheckCategory(&wc, account); v != nil && !hasStalledReason(before.(*v1alpha1.WorkCenter).Status.Conditions, v.Reason) {
			r.Recorder.Eventf(&wc, nil, corev1.EventTypeWarning, v.Reason, "Validate", "%s", v.Message)
		}
	}
	err := func() error {
		var err error
		if account, err = accountOf(ctx, r, wc.Namespace); err != nil {
			return err
		}
		collabs, err := collaboratorsBy(ctx, r, wc.Namespace, indexCollaboratorWorkCenter, wc.Name)
		if err != nil {
			return err
		}
		if wc.Status.Collaborators, err = inEffectAssignments(ctx, r, &wc, account, collabs); err != nil {
			return err
		}
		wc.Status.ObservedGeneration = wc.Generation
		setReadiness(&wc.Status.Conditions, wc.Generation, workCenterOutcome(&wc, account))
		return nil
	}()
	return ctrl.Result{}, step.finish(ctx, r.Client, err)
}

// inEffectAssignments counts the assignments to wc that are in effect, deciding each
// with the same evaluation as the Collaborator controller (accountView.evaluate), from
// the state of the account rather than from the Collaborators' status: the count is
// right from the first reconcile and is not rewritten as each Collaborator converges.
// Collaborators being deleted do not count.
func inEffectAssignments(ctx context.Context, r client.Reader, wc *v1alpha1.WorkCenter, account *v1alpha1.Account,
	collabs []*v1alpha1.Collaborator) (int32, error) {
	if len(collabs) == 0 {
		return 0, nil
	}
	view, err := newAccountView(ctx, r, wc.Namespace, account)
	if err != nil {
		return 0, err
	}
	var n int32
	for _, c := range collabs {
		if !c.DeletionTimestamp.IsZero() {
			continue
		}
		e, err := view.evaluate(ctx, c, wc.Name, true)
		if err != nil {
			return 0, err
		}
		for _, s := range e.statuses {
			if access.InEffect(s.State) {
				n++
			}
		}
	}
	return n, nil
}

func workCenterOutcome(wc *v1alpha1.WorkCenter, account *v1alpha1.Account) outcome {
	if account == nil {
		return waitingOutcome(v1alpha1.ReasonAccountNotFound, fmt.Sprintf("waiting for an Account in namespace %q", wc.Namespace))
	}
	if v := access.CheckCategory(wc, account); v != nil {
		return stalledOutcome(v.Reason, v.Message)
	}
	if wc.Spec.Archived {
		return readyOutcome("archived: collaborators keep at most workCenter.view and files.download")
	}
	return readyOutcome("active")
}

// hasStalledReason reports whether the object was already Stalled for reason: Stalled,
// not Ready, since a reconcile error in between changes only Ready.
func hasStalledReason(conds []metav1.Condition, reason string) bool {
	c := meta.FindStatusCondition(conds, v1alpha1.ConditionStalled)
	return c != nil && c.Status == metav1.ConditionTrue && c.Reason == reason
}

// SetupWithManager wires the WorkCenter controller: a WorkCenter is woken by its own
// spec, by its Account (picklist), and by Collaborators whose assignment to it changed.
func (r *WorkCenterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(workCenterController).
		For(&v1alpha1.WorkCenter{}, builder.WithPredicates(ownChanges())).
		Watches(&v1alpha1.Account{}, pairHandler(r.forAccount), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.Collaborator{}, pairHandler(r.forCollaborator)).
		Complete(r)
}

// forAccount wakes the namespace's WorkCenters when what their status reads of the
// Account changes: it appears or goes, or its workCenterCategories change (R8).
func (r *WorkCenterReconciler) forAccount(ctx context.Context, old, cur *v1alpha1.Account) []reconcile.Request {
	if old != nil && old.DeletionTimestamp.IsZero() == cur.DeletionTimestamp.IsZero() &&
		slices.Equal(old.Spec.Picklists.WorkCenterCategories, cur.Spec.Picklists.WorkCenterCategories) {
		return nil
	}
	var list v1alpha1.WorkCenterList
	if err := r.List(ctx, &list, client.InNamespace(cur.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		mappingFailed(ctx, workCenterController, cur, err)
		return nil
	}
	return requestsFor(pointers(list.Items))
}

// forCollaborator wakes the WorkCenters named in the old or new spec or status, when
// what the count reads changed.
func (r *WorkCenterReconciler) forCollaborator(_ context.Context, old, cur *v1alpha1.Collaborator) []reconcile.Request {
	if old != nil && old.DeletionTimestamp.Equal(cur.DeletionTimestamp) &&
		equalAssignmentStates(old.Status.WorkCenters, cur.Status.WorkCenters) {
		return nil
	}
	wcs := assignedWorkCenters(cur)
	for _, c := range []*v1alpha1.Collaborator{old, cur} {
		if c == nil {
			continue
		}
		for _, s := range c.Status.WorkCenters {
			wcs = append(wcs, s.Name)
		}
	}
	return namedRequests(cur.Namespace, wcs)
}

func equalAssignmentStates(a, b []v1alpha1.WorkCenterAssignmentStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || access.InEffect(a[i].State) != access.InEffect(b[i].State) {
			return false
		}
	}
	return true
}
