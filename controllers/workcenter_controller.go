package controllers

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const workCenterController = "workcenter"

// WorkCenterReconciler checks a WorkCenter's category (R8) and counts the assignments
// to it that are in effect.
type WorkCenterReconciler struct {
	client.Client
	Recorder events.EventRecorder
	// book holds the account models; nil builds one per read (unit tests).
	book *accounts.Book
}

func (r *WorkCenterReconciler) models() *accounts.Book { return accounts.Or(r.book, r.Client) }

// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenters,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenters/status,verbs=get;update;patch

// Reconcile brings one WorkCenter's status in line.
func (r *WorkCenterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var wc v1alpha1.WorkCenter
	if err := r.Get(ctx, req.NamespacedName, &wc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.models().Touch(&wc)
	step := newStatusStep(&wc)
	var account *v1alpha1.Account
	step.written = func(before client.Object) {
		if v := model.CheckCategory(&wc, account); v != nil && !hasStalledReason(before.(*v1alpha1.WorkCenter).Status.Conditions, v.Reason) {
			r.Recorder.Eventf(&wc, nil, corev1.EventTypeWarning, v.Reason, "Validate", "%s", v.Message)
		}
	}
	now := metav1.Now().Rfc3339Copy()
	err := r.models().Read(ctx, wc.Namespace, func(m *model.Account) error {
		account = m.Owner()
		// Decided with the same evaluation as the Collaborators' own status, from the
		// state of the account rather than from the Collaborators' status: right from the
		// first reconcile, and not rewritten as each Collaborator converges.
		wc.Status.Collaborators = m.InEffectAssignments(wc.Name, now)
		return nil
	})
	if err == nil {
		wc.Status.ObservedGeneration = wc.Generation
		setReadiness(&wc.Status.Conditions, wc.Generation, workCenterOutcome(&wc, account))
	}
	return ctrl.Result{}, step.finish(ctx, r.Client, err)
}

func workCenterOutcome(wc *v1alpha1.WorkCenter, account *v1alpha1.Account) outcome {
	if account == nil {
		return waitingOutcome(v1alpha1.ReasonAccountNotFound, fmt.Sprintf("waiting for an Account in namespace %q", wc.Namespace))
	}
	if v := model.CheckCategory(wc, account); v != nil {
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
		Watches(&v1alpha1.Account{}, pairHandler(r.models(), r.forAccount), builder.WithPredicates(specOrDeletionChanged())).
		// A count follows its Collaborators' specs and decisions, which their status shows;
		// the wake-ups are coalesced (see specCoalescing).
		Watches(&v1alpha1.Collaborator{}, coalesced(pairHandler(r.models(), r.forCollaborator), specCoalescing, statusCoalescing)).
		Complete(r)
}

// forAccount wakes the namespace's WorkCenters when what their status reads of the
// Account changes: it appears or goes, or its workCenterCategories change (R8).
func (r *WorkCenterReconciler) forAccount(ctx context.Context, old, cur *v1alpha1.Account) []reconcile.Request {
	if old != nil && old.DeletionTimestamp.IsZero() == cur.DeletionTimestamp.IsZero() &&
		slices.Equal(old.Spec.Picklists.WorkCenterCategories, cur.Spec.Picklists.WorkCenterCategories) {
		return nil
	}
	var wcs []*v1alpha1.WorkCenter
	if err := r.models().Read(ctx, cur.Namespace, func(m *model.Account) error { wcs = m.WorkCenters(); return nil }); err != nil {
		mappingFailed(ctx, workCenterController, cur, err)
	}
	return requestsFor(wcs)
}

// forCollaborator wakes the WorkCenters named in the old or new spec or status: when the
// Collaborator appears, goes or its spec changes (the count is decided from specs), and
// after a status write only when an assignment went in or out of effect, which is how a
// change elsewhere (a role, a license, the Account) shows (coalesced, see
// SetupWithManager).
func (r *WorkCenterReconciler) forCollaborator(_ context.Context, old, cur *v1alpha1.Collaborator) []reconcile.Request {
	if old != nil && !specOrDeletionUpdate(old, cur) &&
		equalAssignmentStates(old.Status.WorkCenters, cur.Status.WorkCenters) {
		return nil
	}
	wcs := assignedWorkCenters(cur)
	for _, c := range []*v1alpha1.Collaborator{old, cur} {
		if c == nil {
			continue
		}
		wcs = append(wcs, assignedWorkCenters(c)...)
		for _, s := range c.Status.WorkCenters {
			wcs = append(wcs, s.Name)
		}
	}
	return namedRequests(cur.Namespace, wcs)
}

// specCoalescing is how long a WorkCenter waits, after a Collaborator assigned to it
// appears, goes or changes its spec, before it is recounted; statusCoalescing, after a
// Collaborator's status write that can move its count. A key already waiting keeps its
// earlier time, so the events of that while are counted at once: a new Collaborator's own
// first status write, which follows its creation by milliseconds, is counted with it (one
// recount, not two), and a burst (an account applied, the manager started on thousands of
// objects) brings one recount per WorkCenter per statusCoalescing instead of one per write.
const (
	specCoalescing   = 500 * time.Millisecond
	statusCoalescing = 2 * time.Second
)

// statusOnly reports an update that changes neither the spec nor the deletion: a status
// (or metadata) write.
func statusOnly(old, cur client.Object) bool { return old != nil && !specOrDeletionUpdate(old, cur) }

// coalesced wraps a handler so that everything it wakes is queued after a delay: later
// for the updates statusOnly reports, soon for every other event. However many events
// come within the delay, each key is queued once.
func coalesced(h handler.EventHandler, soon, later time.Duration) handler.EventHandler {
	after := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], d time.Duration) workqueue.TypedRateLimitingInterface[reconcile.Request] {
		return delayingQueue{q, d}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Create(ctx, e, after(q, soon))
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			d := soon
			if statusOnly(e.ObjectOld, e.ObjectNew) {
				d = later
			}
			h.Update(ctx, e, after(q, d))
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Delete(ctx, e, after(q, soon))
		},
		GenericFunc: func(ctx context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			h.Generic(ctx, e, after(q, soon))
		},
	}
}

// delayingQueue queues every Add after delay; a key already waiting keeps its earlier
// time.
type delayingQueue struct {
	workqueue.TypedRateLimitingInterface[reconcile.Request]
	delay time.Duration
}

func (d delayingQueue) Add(r reconcile.Request) { d.AddAfter(r, d.delay) }

func equalAssignmentStates(a, b []v1alpha1.WorkCenterAssignmentStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || model.InEffect(a[i].State) != model.InEffect(b[i].State) {
			return false
		}
	}
	return true
}
