package sharding

import (
	"context"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Setup adds account sharding to mgr: the Member of this replica (on every replica), the
// Observer of the shards' Leases and of the namespaces holding objects (every replica),
// and the Coordinator (the leader), which writes with coordinator, a client fenced by
// the leader election Lease. The Leases are read from a cache of their own, restricted
// to the Member's namespace and to LabelLease.
func Setup(mgr manager.Manager, m *Member, coordinator client.Client) error {
	ctx := context.Background()
	obs := NewObserver()
	leases, err := cache.New(mgr.GetConfig(), cache.Options{
		HTTPClient: mgr.GetHTTPClient(), Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(),
		DefaultNamespaces:    map[string]cache.Config{m.opts.Namespace: {}},
		DefaultLabelSelector: labels.SelectorFromSet(labels.Set{LabelLease: "true"}),
		DefaultTransform:     cache.TransformStripManagedFields(),
	})
	if err != nil {
		return err
	}
	if err := mgr.Add(leaseCache{leases}); err != nil {
		return err
	}
	var synced []toolscache.ResourceEventHandlerRegistration
	add := func(c cache.Cache, obj client.Object, h toolscache.ResourceEventHandler) error {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		reg, err := inf.AddEventHandler(h)
		if err != nil {
			return err
		}
		synced = append(synced, reg)
		return nil
	}
	if err := add(leases, &coordinationv1.Lease{}, obs.LeaseHandler()); err != nil {
		return err
	}
	if err := add(mgr.GetCache(), &corev1.Namespace{}, obs.NamespaceHandler()); err != nil {
		return err
	}
	if err := add(mgr.GetCache(), &corev1.Namespace{}, m.NamespaceHandler()); err != nil {
		return err
	}
	for _, o := range []client.Object{&v1alpha1.Account{}, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenterRole{}, &v1alpha1.Collaborator{}} {
		if err := add(mgr.GetCache(), o, obs.ObjectHandler()); err != nil {
			return err
		}
	}
	if err := mgr.Add(m); err != nil {
		return err
	}
	return mgr.Add(&Coordinator{
		Client: coordinator, Namespaces: mgr.GetCache(), Observer: obs,
		Namespace: m.opts.Namespace, LeaseDuration: m.opts.LeaseDuration, Interval: max(m.opts.RetryPeriod, time.Second),
		Synced: func(ctx context.Context) bool {
			return wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
				for _, r := range synced {
					if !r.HasSynced() {
						return false, nil
					}
				}
				return true, nil
			}) == nil
		},
	})
}

// NamespaceHandler follows the Namespaces' assignments (an informer's handler).
func (m *Member) NamespaceHandler() toolscache.ResourceEventHandler {
	observe := func(obj any, deleted bool) {
		if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		if ns, ok := obj.(*corev1.Namespace); ok {
			m.Observe(ns, deleted)
		}
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { observe(obj, false) },
		UpdateFunc: func(_, cur any) { observe(cur, false) },
		DeleteFunc: func(obj any) { observe(obj, true) },
	}
}

// leaseCache runs the Leases' cache with the manager's caches, on every replica.
type leaseCache struct{ cache.Cache }

func (c leaseCache) GetCache() cache.Cache { return c.Cache }
