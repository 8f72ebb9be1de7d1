package controllers

import (
	"context"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// rbacCoalescing is how long a namespace waits, after a change that can move someone's
// RBAC rules, before they are computed again: a key already waiting keeps its earlier
// time, so a burst of changes is one computation, well within the second the bindings
// follow changes in.
const rbacCoalescing = 200 * time.Millisecond

// SetupWithManager wires what wakes an account's RBAC (its namespace), and why:
//
//   - an Account (forAccount), the initial list's included, so that every account is
//     computed at start: it appears or goes (which Account owns the namespace, and
//     controls the objects), starts being deleted, or changes state (Deactivated:
//     Decide refuses everyone but Account Administrators) or licenses (R4);
//   - a Collaborator (forCollaborator): it appears or goes, changes email, type,
//     adminRole or assignments (its own rules; R4, R5 and R7 move others'), or starts
//     being deleted (R7: an administrator being deleted does not stay);
//   - a WorkCenter (forWorkCenter): it appears, goes, or is archived or un-archived
//     (effective access of those assigned), or who it assigns changes (its labels, for
//     selectors; its template flag or collaboratorsFrom);
//   - a WorkCenterRole (roleAccessChanged): what it grants, or whether it exists or is
//     being deleted (R10), changes (its holders' effective access);
//   - one of the operator's Roles or RoleBindings (from the RBAC cache, which holds
//     only those), the initial list's included, unless the event is this manager's own
//     write: an edit or deletion by anyone else is reverted;
//   - a namespace whose new grants were held (holdGrants) once its statuses are all
//     written (statusBacklog going idle).
//
// Each is coalesced (rbacCoalescing). The Roles and RoleBindings are read from a cache
// of their own, restricted to the operator's label, whatever the manager's cache
// options: the manager never lists the cluster's RBAC.
func (r *RBACReconciler) SetupWithManager(mgr ctrl.Manager) error {
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient: mgr.GetHTTPClient(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		DefaultLabelSelector: labels.SelectorFromSet(labels.Set{v1alpha1.LabelCollaboratorRBAC: "true"}),
		DefaultTransform: func(o any) (any, error) {
			o, err := cache.TransformStripManagedFields()(o)
			if err != nil {
				return o, err
			}
			return r.keepDigests(o)
		},
	})
	if err != nil {
		return err
	}
	if err := mgr.Add(rbacCache{c}); err != nil {
		return err
	}
	r.cache, r.writers = c, make(chan struct{}, rbacWriters)
	if r.backlog == nil { // set up alone: no status controller counts into it
		r.backlog = newStatusBacklog()
	}
	b := r.models()
	bld := ctrl.NewControllerManagedBy(mgr).
		Named(rbacController).
		Watches(&v1alpha1.Account{}, rbacWake(b, true, forAccount)).
		Watches(&v1alpha1.Collaborator{}, rbacWake(b, false, forCollaborator)).
		Watches(&v1alpha1.WorkCenter{}, rbacWake(b, false, forWorkCenter)).
		Watches(&v1alpha1.WorkCenterRole{}, rbacWake(b, false, func(o, n *v1alpha1.WorkCenterRole) bool { return roleAccessChanged(o, n) })).
		WatchesRawSource(source.Kind[client.Object](c, &rbacv1.Role{}, r.wakeForeign())).
		WatchesRawSource(source.Kind[client.Object](c, &rbacv1.RoleBinding{}, r.wakeForeign())).
		// A namespace whose statuses are all written: its new grants wait no more.
		WatchesRawSource(source.Channel(r.backlog.idle, handler.Funcs{
			GenericFunc: func(_ context.Context, e event.GenericEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
				if _, held := r.holding.Load(e.Object.GetNamespace()); held {
					q.Add(namespaceRequest(e.Object.GetNamespace()))
				}
			}}))
	return r.complete(bld, controller.Options{MaxConcurrentReconciles: rbacWorkers, NewQueue: newFairQueue}, r,
		func(_ context.Context, ns string) []reconcile.Request {
			return []reconcile.Request{namespaceRequest(ns)}
		})
}

// rbacCache runs the RBAC cache with the manager's caches, before leader election, so
// that it is warm when this manager leads.
type rbacCache struct{ cache.Cache }

func (c rbacCache) GetCache() cache.Cache { return c.Cache }

func forAccount(old, cur *v1alpha1.Account) bool {
	return old.Spec.State != cur.Spec.State || old.Spec.Licenses != cur.Spec.Licenses ||
		old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero()
}

func forCollaborator(old, cur *v1alpha1.Collaborator) bool {
	o, n := old.Spec, cur.Spec
	return o.Email != n.Email || o.Type != n.Type || o.AdminRole != n.AdminRole ||
		!equality.Semantic.DeepEqual(o.WorkCenters, n.WorkCenters) ||
		!equality.Semantic.DeepEqual(o.WorkCenterSelectors, n.WorkCenterSelectors) ||
		old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero()
}

func forWorkCenter(old, cur *v1alpha1.WorkCenter) bool {
	return old.Spec.Archived != cur.Spec.Archived || model.WorkCenterSourcesChanged(old, cur)
}

// namespaceRequest is the RBAC controller's request for a namespace.
func namespaceRequest(ns string) reconcile.Request {
	return reconcile.Request{NamespacedName: client.ObjectKey{Name: ns}}
}

// wake queues the namespace of an object of one of the four kinds, after touching the
// object in the account book (so that the reconcile reads a model with the change): on
// every create and delete (those of the informers' initial list only with initial), and
// on the updates changed reports.
func rbacWake[T client.Object](b *accounts.Book, initial bool, changed func(old, cur T) bool) handler.EventHandler {
	add := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], o client.Object) {
		b.Touch(o)
		q.AddAfter(namespaceRequest(o.GetNamespace()), rbacCoalescing)
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if initial || !e.IsInInitialList {
				add(q, e.Object)
			}
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if changed(e.ObjectOld.(T), e.ObjectNew.(T)) {
				add(q, e.ObjectNew)
			}
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			add(q, e.Object)
		},
	}
}

// wakeForeign queues the namespace of a Role or RoleBinding of ours that someone else
// created, changed or deleted (and, at start, of every one of them).
func (r *RBACReconciler) wakeForeign() handler.EventHandler {
	add := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], o client.Object) {
		q.AddAfter(namespaceRequest(o.GetNamespace()), rbacCoalescing)
	}
	return handler.Funcs{
		CreateFunc: func(_ context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if !r.ours(e.Object, false) {
				add(q, e.Object)
			}
		},
		UpdateFunc: func(_ context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if !r.ours(e.ObjectNew, false) {
				add(q, e.ObjectNew)
			}
		},
		DeleteFunc: func(_ context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if !r.ours(e.Object, true) {
				add(q, e.Object)
			}
		},
	}
}
