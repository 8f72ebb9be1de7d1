package controllers

// The machinery every controller's wake-ups are built from: the predicates, the event
// handlers that map an event to the objects it affects, and the count of mappings that
// failed. What wakes each kind, and why, is in that kind's <kind>_wakeups.go.

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// --- Predicates ---

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

// statusOnly reports an update that changes neither the spec nor the deletion: a status
// (or metadata) write. old is an update's old object, never nil.
func statusOnly(old, cur client.Object) bool { return !specOrDeletionUpdate(old, cur) }

// ownChanges is the predicate of each controller's For watch: specOrDeletionChanged,
// and also an update that strips one of our finalizers (kubectl replace, a GitOps tool
// syncing with replace, a hand edit), so the object's own controller puts it back
// whenever the object still needs it: R6, R7 and R11 hold whatever happens to metadata.
//
// A status this manager did not write wakes the object too (own.foreign): status
// written by hand (`kubectl edit --subresource=status`), or by an old leader that has not
// yet learnt it lost its lease, is corrected at once, not at the next spec change.
func ownChanges(own *ownStatuses) predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			return specOrDeletionUpdate(e.ObjectOld, e.ObjectNew) || finalizerOfOursRemoved(e.ObjectOld, e.ObjectNew) ||
				own.foreign(e.ObjectOld, e.ObjectNew)
		},
		DeleteFunc: func(e event.DeleteEvent) bool {
			own.forget(e.Object)
			return true
		},
	}
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

// roleAccessChanged reports whether a role event can change what the role grants, or
// whether it exists: a create or delete (old nil), the start of its deletion, or a change
// of its includes, levels or permissions. Its display name, description and email
// options change nothing another object's status reads.
func roleAccessChanged(old, cur *v1alpha1.WorkCenterRole) bool {
	return old == nil || old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() ||
		!equality.Semantic.DeepEqual(old.Spec.Includes, cur.Spec.Includes) ||
		old.Spec.Levels != cur.Spec.Levels ||
		!equality.Semantic.DeepEqual(old.Spec.Permissions, cur.Spec.Permissions)
}

// assignedBy are the Collaborators a WorkCenter's event can assign or unassign (old nil on
// create; on delete, old nil and cur the deleted one): those assigned to it now (from
// every source), those whose selectors matched its old labels, and, when its template
// flag or collaboratorsFrom changes or it comes or goes, the people of the templates
// involved.
func assignedBy(m *model.Account, old, cur *v1alpha1.WorkCenter) []*v1alpha1.Collaborator {
	out := m.AssignedTo(cur.Name)
	if old == nil || model.WorkCenterSourcesChanged(old, cur) {
		if old != nil {
			out = append(out, m.SelectedBy(old)...)
		}
		out = append(out, m.SelectedBy(cur)...)
		for _, w := range []*v1alpha1.WorkCenter{old, cur} {
			if w != nil && w.Spec.CollaboratorsFrom != "" {
				out = append(out, m.AssignedTo(string(w.Spec.CollaboratorsFrom))...)
			}
		}
	}
	return out
}

// --- Handlers ---

// pairHandler is a map handler that sees both the old and the new object of an update,
// so a map function can wake what an object stopped referring to as well as what it
// refers to now. old is nil on create; on delete, old is nil and cur the deleted object.
//
// Creates of the informers' initial list map to nothing: every object of the
// controller's own kind is queued by its own initial create and reconciled once the
// caches are synced, so fanning out from each of thousands of initial creates (every
// Member woken by every Member) would only queue what is queued already.
//
// Before mapping, it touches the event's objects in the account book, so that the map
// function, and every reconcile it queues, reads a model that includes this change.
func pairHandler[T client.Object](b *accounts.Book, f func(ctx context.Context, old, cur T) []reconcile.Request) handler.EventHandler {
	var zero T
	add := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], reqs []reconcile.Request) {
		for _, req := range reqs {
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if !e.IsInInitialList {
				b.Touch(e.Object)
				add(q, f(ctx, zero, e.Object.(T)))
			}
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			b.Touch(e.ObjectNew)
			add(q, f(ctx, e.ObjectOld.(T), e.ObjectNew.(T)))
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			b.Touch(e.Object)
			add(q, f(ctx, zero, e.Object.(T)))
		},
	}
}

// mapHandler is handler.EnqueueRequestsFromMapFunc for a map function that needs only
// the object, with pairHandler's skipping of the initial list.
func mapHandler(b *accounts.Book, f func(ctx context.Context, o client.Object) []reconcile.Request) handler.EventHandler {
	return pairHandler(b, func(ctx context.Context, _, cur client.Object) []reconcile.Request { return f(ctx, cur) })
}

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

// requestsFor are the requests for objs, each once.
func requestsFor[T client.Object](objs []T) []reconcile.Request {
	seen := map[client.ObjectKey]bool{}
	var out []reconcile.Request
	for _, o := range objs {
		k := client.ObjectKeyFromObject(o)
		if !seen[k] {
			seen[k] = true
			out = append(out, reconcile.Request{NamespacedName: k})
		}
	}
	return out
}

// namedRequests are the requests for the objects called names in namespace, each once,
// sorted.
func namedRequests(namespace string, names []string) []reconcile.Request {
	names = slices.Clone(names)
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]reconcile.Request, 0, len(names))
	for _, n := range names {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Namespace: namespace, Name: n}})
	}
	return out
}

// --- Mapping failures ---

// mapFrom runs f on the model of about's account, for controller's map function; a
// model that cannot be read is a mapping failure.
func mapFrom(ctx context.Context, b *accounts.Book, controller string, about client.Object, f func(*model.Account)) {
	if err := b.Read(ctx, about.GetNamespace(), func(m *model.Account) error { f(m); return nil }); err != nil {
		mappingFailed(ctx, controller, about, err)
	}
}

// watchMappingErrors counts watch map functions that could not read what an event
// should wake. Each one is a wake-up that may be lost until the next change or restart,
// so it is never dropped in silence: it is logged with the object, and counted here.
var watchMappingErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "workcenter_operator_watch_mapping_errors_total",
	Help: "Watch map functions that failed to read the objects an event should wake, by controller and kind of the event's object.",
}, []string{"controller", "kind"})

func init() { metrics.Registry.MustRegister(watchMappingErrors) }

// mappingFailed reports that controller's map function could not read what a change of
// o should wake.
func mappingFailed(ctx context.Context, controller string, o client.Object, err error) {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = typeName(o)
	}
	logf.FromContext(ctx).Error(err, "watch mapping failed: objects this change should wake may not be reconciled",
		"controller", controller, "kind", kind, "namespace", o.GetNamespace(), "name", o.GetName())
	watchMappingErrors.WithLabelValues(controller, kind).Inc()
}

// typeName is the Go type name of o (Collaborator, WorkCenterRole...): typed objects
// read from the cache carry no kind.
func typeName(o client.Object) string {
	t := reflect.TypeOf(o)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
