package controllers

import (
	"testing"
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The status controllers' queues count their requests per namespace (statusBacklog):
// each key once however often it is added, until a worker takes it; the namespace is
// announced idle when its last one is taken.
func TestStatusBacklogCountsTheQueues(t *testing.T) {
	b := newStatusBacklog()
	r := &reconciler{backlog: b}
	q := r.queue("test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	other := newFairQueue("rbac", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer other.ShutDown()
	a1, a2 := request("a1"), request("a2")
	a1.Namespace, a2.Namespace = "acme", "acme"
	q.Add(a1)
	q.Add(a1)
	q.Add(a2)
	other.Add(a1) // a queue without a backlog counts nowhere
	if n := b.pending("acme"); n != 2 {
		t.Fatalf("two keys queued: pending %d", n)
	}
	for i := range 2 {
		got, _ := q.Get()
		q.Done(got)
		select {
		case e := <-b.idle:
			if i == 0 {
				t.Fatalf("idle after one of two: %v", e.Object.GetNamespace())
			}
			if e.Object.GetNamespace() != "acme" {
				t.Fatalf("idle: %q", e.Object.GetNamespace())
			}
		default:
			if i == 1 {
				t.Fatal("the last one taken announced nothing")
			}
		}
	}
	if n := b.pending("acme"); n != 0 {
		t.Fatalf("all taken: pending %d", n)
	}
}

// holdGrants: new grants wait while the namespace has statuses queued, for grantHold at
// most; with none queued they go at once, and the hold is forgotten.
func TestHoldGrants(t *testing.T) {
	b := newStatusBacklog()
	r := &RBACReconciler{reconciler: reconciler{backlog: b}}
	if d := r.holdGrants("acme"); d != 0 {
		t.Fatalf("nothing queued: held %s", d)
	}
	b.queued("acme")
	if d := r.holdGrants("acme"); d <= 0 || d > grantHold {
		t.Fatalf("statuses queued: held %s", d)
	}
	if d := r.holdGrants("other"); d != 0 {
		t.Fatalf("another namespace's backlog held this one: %s", d)
	}
	r.holding.Store("acme", time.Now().Add(-grantHold))
	if d := r.holdGrants("acme"); d != 0 {
		t.Fatalf("held past grantHold: %s", d)
	}
	b.taken("acme")
	if d := r.holdGrants("acme"); d != 0 {
		t.Fatalf("queue drained: held %s", d)
	}
	if _, ok := r.holding.Load("acme"); ok {
		t.Fatal("the hold is remembered after the backlog drained")
	}
}
