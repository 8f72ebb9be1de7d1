package controllers

import (
	"context"
	"testing"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// fakeShard owns the namespaces listed, and holds its Lease unless notHeld.
type fakeShard struct {
	owned   map[string]bool
	notHeld bool
	running map[string]int
}

func (f *fakeShard) Owns(ns string) bool { return f.owned[ns] }
func (f *fakeShard) Begin(ns string) (func(), bool, time.Duration) {
	switch {
	case !f.owned[ns]:
		return nil, false, 0
	case f.notHeld:
		return nil, false, time.Second
	}
	f.running[ns]++
	return func() { f.running[ns]-- }, true, 0
}
func (f *fakeShard) OnGained(func(string))                   {}
func (f *fakeShard) HoldBack(func(string) int, func(string)) {}

// A sharded controller's reconciles run only in the namespaces its shard owns, are
// counted while they run (a drain waits for them), and wait while the shard's Lease is
// not held; the RBAC controller's requests name the namespace itself.
func TestGuardedReconciles(t *testing.T) {
	shard := &fakeShard{owned: map[string]bool{"mine": true}, running: map[string]int{}}
	var ran []string
	inner := reconcile.Func(func(_ context.Context, req ctrl.Request) (ctrl.Result, error) {
		ran = append(ran, req.String())
		if n := shard.running[account(req)]; n != 1 {
			t.Errorf("%s runs uncounted (%d)", req, n)
		}
		return ctrl.Result{}, nil
	})
	g := guarded{shard, inner}
	for _, req := range []ctrl.Request{
		{NamespacedName: client.ObjectKey{Namespace: "mine", Name: "c1"}},
		{NamespacedName: client.ObjectKey{Namespace: "theirs", Name: "c1"}},
		{NamespacedName: client.ObjectKey{Name: "mine"}},   // RBAC
		{NamespacedName: client.ObjectKey{Name: "theirs"}}, // RBAC
	} {
		res, err := g.Reconcile(context.Background(), req)
		if err != nil || res.RequeueAfter != 0 {
			t.Errorf("%s: %v %v", req, res, err)
		}
	}
	if len(ran) != 2 || ran[0] != "mine/c1" || ran[1] != "/mine" {
		t.Fatalf("ran %v, want mine/c1 and the namespace mine", ran)
	}
	if shard.running["mine"] != 0 {
		t.Fatalf("%d still counted running", shard.running["mine"])
	}
	shard.notHeld = true
	res, _ := g.Reconcile(context.Background(), ctrl.Request{NamespacedName: client.ObjectKey{Namespace: "mine", Name: "c2"}})
	if res.RequeueAfter != time.Second || len(ran) != 2 {
		t.Fatalf("without the Lease: %v, ran %v", res, ran)
	}
}
