package controllers

// The machinery every controller's wake-ups are built from: the predicates, the event
// handlers that map an event to the objects it affects, and the count of mappings that
// failed. What wakes each kind, and why, is in that kind's <kind>_wakeups.go.

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
//
// The updates it passes are counted as the controller's wake-ups by its own kind, source
// "self" (watchWakeups).
func ownChanges(own *ownStatuses, controller string) predicate.Predicate {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			pass := specOrDeletionUpdate(e.ObjectOld, e.ObjectNew) || finalizerOfOursRemoved(e.ObjectOld, e.ObjectNew) ||
				own.foreign(e.ObjectOld, e.ObjectNew)
			if pass {
				watchWakeups.WithLabelValues(controller, typeName(e.ObjectNew), "self").Inc()
			}
			return pass
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
//
// A change of its labels alone touches only the people whose selectors match it
// differently after it (model.Account.ReselectedBy): the people listed in it, or
// published to it, keep their assignment there as it was.
func assignedBy(m *model.Account, old, cur *v1alpha1.WorkCenter) []*v1alpha1.Collaborator {
	if old != nil && relabelledOnly(old, cur) {
		return m.ReselectedBy(old, cur)
	}
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

// relabelledOnly reports whether a WorkCenter update changes its labels and nothing else
// a status reads (its spec, its deletion).
func relabelledOnly(old, cur *v1alpha1.WorkCenter) bool {
	return !maps.Equal(old.Labels, cur.Labels) && old.DeletionTimestamp.IsZero() == cur.DeletionTimestamp.IsZero() &&
		equality.Semantic.DeepEqual(old.Spec, cur.Spec)
}

// assignmentsOnly reports whether a Collaborator update changes nothing but its
// assignments (spec.workCenters, spec.workCenterSelectors) or its email preferences,
// and its status: then only the WorkCenters and roles whose assignments differ are
// touched (changedWorkCenters, changedRoles). Anything else (a type, an email, an
// administrator role, a deletion starting) can change the state of every assignment.
func assignmentsOnly(old, cur *v1alpha1.Collaborator) bool {
	if old == nil || old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() {
		return false
	}
	a, b := old.Spec, cur.Spec
	a.WorkCenters, b.WorkCenters = nil, nil
	a.WorkCenterSelectors, b.WorkCenterSelectors = nil, nil
	a.EmailPreferences, b.EmailPreferences = nil, nil
	return equality.Semantic.DeepEqual(a, b)
}

// assignmentKeys is, per WorkCenter, what of c a WorkCenter's or a role's status can
// read: its assignment there from every source (role and source), the listed entry, and
// whether its status shows the assignment in effect.
func assignmentKeys(m *model.Account, c *v1alpha1.Collaborator) map[string]string {
	keys := map[string]string{}
	note := func(wc, what string) { keys[wc] += what + ";" }
	for _, a := range c.Spec.WorkCenters {
		note(string(a.Name), "spec="+string(a.Role))
	}
	if m != nil {
		for _, a := range m.AssignmentsOf(c) {
			note(string(a.Name), string(a.Source)+"="+string(a.Role))
		}
	}
	for _, st := range c.Status.WorkCenters {
		note(st.Name, fmt.Sprintf("effect=%t", model.InEffect(st.State)))
	}
	return keys
}

// changedWorkCenters are the WorkCenters whose assignment of c an update changes (old
// nil on create): all of c's, before and after, unless the update changes nothing but
// assignments and status (assignmentsOnly); then those whose assignment, listed entry or
// state in effect differs. m may be nil (no model: specs and statuses only).
func changedWorkCenters(m *model.Account, old, cur *v1alpha1.Collaborator) []string {
	all := !assignmentsOnly(old, cur)
	if !all && !assignmentListsChanged(old, cur) {
		m = nil // the same assignments before and after: only the statuses can differ
	}
	before, after := map[string]string{}, assignmentKeys(m, cur)
	if old != nil {
		before = assignmentKeys(m, old)
	}
	var out []string
	for wc, k := range after {
		if all || before[wc] != k {
			out = append(out, wc)
		}
	}
	for wc := range before {
		if _, ok := after[wc]; !ok {
			out = append(out, wc)
		}
	}
	return out
}

// assignmentListsChanged reports whether an update changes what a Collaborator lists or
// selects (old nil on create).
func assignmentListsChanged(old, cur *v1alpha1.Collaborator) bool {
	return old == nil || !equality.Semantic.DeepEqual(old.Spec.WorkCenters, cur.Spec.WorkCenters) ||
		!equality.Semantic.DeepEqual(old.Spec.WorkCenterSelectors, cur.Spec.WorkCenterSelectors)
}

// changedRoles are the roles whose use by c an update changes (old nil on create): all
// the roles c lists, selects or is assigned by a template, before and after, unless the
// update changes nothing but assignments (assignmentsOnly); then those whose
// assignments of c (WorkCenter and source) or selectors differ. m may be nil (no model).
func changedRoles(m *model.Account, old, cur *v1alpha1.Collaborator) []string {
	keys := func(c *v1alpha1.Collaborator) map[string]string {
		out := map[string]string{}
		if c == nil {
			return out
		}
		for _, a := range c.Spec.WorkCenters {
			out[string(a.Role)] += "spec=" + string(a.Name) + ";"
		}
		for i, sel := range c.Spec.WorkCenterSelectors {
			out[string(sel.Role)] += fmt.Sprintf("selector%d=%s;", i, metav1.FormatLabelSelector(&sel.Selector))
		}
		if m != nil {
			for _, a := range m.AssignmentsOf(c) {
				out[string(a.Role)] += string(a.Source) + "=" + string(a.Name) + ";"
			}
		}
		return out
	}
	before, after := keys(old), keys(cur)
	all := !assignmentsOnly(old, cur)
	var out []string
	for role, k := range after {
		if all || before[role] != k {
			out = append(out, role)
		}
	}
	for role := range before {
		if _, ok := after[role]; !ok || all {
			out = append(out, role)
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
func pairHandler[T client.Object](b *accounts.Book, controller string, f func(ctx context.Context, old, cur T) []reconcile.Request) handler.EventHandler {
	var zero T
	add := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], about client.Object, reqs []reconcile.Request) {
		if len(reqs) > 0 {
			watchWakeups.WithLabelValues(controller, typeName(about), "watch").Add(float64(len(reqs)))
		}
		for _, req := range reqs {
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if !e.IsInInitialList {
				b.Touch(e.Object)
				add(q, e.Object, f(ctx, zero, e.Object.(T)))
			}
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			b.Touch(e.ObjectNew)
			add(q, e.ObjectNew, f(ctx, e.ObjectOld.(T), e.ObjectNew.(T)))
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			b.Touch(e.Object)
			add(q, e.Object, f(ctx, zero, e.Object.(T)))
		},
	}
}

// mapHandler is handler.EnqueueRequestsFromMapFunc for a map function that needs only
// the object, with pairHandler's skipping of the initial list.
func mapHandler(b *accounts.Book, controller string, f func(ctx context.Context, o client.Object) []reconcile.Request) handler.EventHandler {
	return pairHandler(b, controller, func(ctx context.Context, _, cur client.Object) []reconcile.Request { return f(ctx, cur) })
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

// watchWakeups counts where each controller's requests come from, after the initial
// list: source "watch", the requests its map functions queue for a change of an object
// of kind (the fan-out of a change); "self", its own objects' updates that wake them
// (a spec, a deletion, a finalizer of ours removed, a status someone else wrote). make
// bench-scale prints it for each cold start.
var watchWakeups = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "workcenter_operator_watch_wakeups_total",
	Help: "Requests queued by the watches after the initial list, by controller, kind of the changed object and source (watch: a map function; self: the object's own update).",
}, []string{"controller", "kind", "source"})

func init() { metrics.Registry.MustRegister(watchMappingErrors, watchWakeups) }

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
