package controllers

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// Ownership is account sharding as the controllers see it (--shard-accounts,
// internal/sharding.Member, docs/scaling.md): which account namespaces this replica
// reconciles. With it, every controller runs on every replica (no leader election) and
// touches only the namespaces its replica's shard owns; the manager's client refuses
// writes into the others.
type Ownership interface {
	// Owns reports whether this replica reconciles namespace now: the events of the
	// other namespaces wake nothing here.
	Owns(namespace string) bool
	// Begin admits a reconcile of namespace: run false drops it (after retry, when
	// positive, it is tried again); else end is called once it is over.
	Begin(namespace string) (end func(), run bool, retry time.Duration)
	// OnGained registers f, called with each namespace this replica starts to
	// reconcile: the controllers queue its objects then.
	OnGained(f func(namespace string))
	// HoldBack registers work of a namespace done outside reconciles (the audit
	// trail's queued Events): a namespace is handed over to another replica once
	// pending reports none; hurry is asked to do it at once.
	HoldBack(pending func(namespace string) int, hurry func(namespace string))
}

// complete builds a controller: without sharding, as configured (it runs on the leader
// only); with it (reconciler.shard), on every replica, with the events of the
// namespaces this replica does not own dropped (deletions pass, for the bookkeeping of
// the predicates), each reconcile admitted by the shard first, and the requests of wake
// queued for each namespace the shard gains.
func (r *reconciler) complete(b *builder.Builder, opts controller.Options, rec reconcile.Reconciler, wake func(ctx context.Context, namespace string) []reconcile.Request) error {
	if r.shard == nil {
		return b.WithOptions(opts).Complete(rec)
	}
	shard := r.shard
	opts.NeedLeaderElection = ptrTo(false)
	return b.WithOptions(opts).
		WithEventFilter(predicate.Funcs{
			CreateFunc:  func(e event.CreateEvent) bool { return shard.Owns(e.Object.GetNamespace()) },
			UpdateFunc:  func(e event.UpdateEvent) bool { return shard.Owns(e.ObjectNew.GetNamespace()) },
			GenericFunc: func(e event.GenericEvent) bool { return shard.Owns(e.Object.GetNamespace()) },
		}).
		WatchesRawSource(source.Func(func(ctx context.Context, q workqueue.TypedRateLimitingInterface[reconcile.Request]) error {
			shard.OnGained(func(namespace string) {
				for _, req := range wake(ctx, namespace) {
					if ctx.Err() != nil {
						return
					}
					q.Add(req)
				}
			})
			return nil
		})).
		Complete(guarded{shard, rec})
}

// guarded is a reconciler that runs only when the shard admits it.
type guarded struct {
	shard Ownership
	r     reconcile.Reconciler
}

func (g guarded) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	end, run, retry := g.shard.Begin(account(req))
	if !run {
		return ctrl.Result{RequeueAfter: retry}, nil
	}
	defer end()
	return g.r.Reconcile(ctx, req)
}

// inNamespace returns the wake of complete for a kind: the requests of every object of
// list's kind in the namespace, from the cache.
func (r *reconciler) inNamespace(list client.ObjectList) func(ctx context.Context, namespace string) []reconcile.Request {
	return func(ctx context.Context, namespace string) []reconcile.Request {
		l := list.DeepCopyObject().(client.ObjectList)
		for {
			err := r.List(ctx, l, client.InNamespace(namespace))
			if err == nil {
				break
			}
			logf.FromContext(ctx).Error(err, "listing the objects of a namespace this replica's shard gained; again in a second",
				"namespace", namespace)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
		var out []reconcile.Request
		_ = meta.EachListItem(l, func(o runtime.Object) error {
			if obj, ok := o.(client.Object); ok {
				out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(obj)})
			}
			return nil
		})
		return out
	}
}
