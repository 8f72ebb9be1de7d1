package controllers

import (
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func req(ns, name string) reconcile.Request {
	return reconcile.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}
}

// drain takes n requests from q, in the order a worker would.
func drain(t *testing.T, q workqueue.TypedRateLimitingInterface[reconcile.Request], n int) []reconcile.Request {
	t.Helper()
	var out []reconcile.Request
	for range n {
		got := make(chan reconcile.Request, 1)
		go func() { r, _ := q.Get(); got <- r }()
		select {
		case r := <-got:
			out = append(out, r)
			q.Done(r)
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d requests came out", len(out), n)
		}
	}
	return out
}

func position(rs []reconcile.Request, r reconcile.Request) int {
	for i, x := range rs {
		if x == r {
			return i
		}
	}
	return -1
}

// TestFairQueue: a single change of a quiet account is served next, not after another
// account's burst; two bursts take turns; the initial list waits behind every change;
// nothing queued is lost, and a key waiting twice comes out once.
func TestFairQueue(t *testing.T) {
	t.Run("a quiet account's change goes ahead of a burst", func(t *testing.T) {
		q := newFairQueue("test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
		defer q.ShutDown()
		for i := range 500 {
			q.Add(req("busy", fmt.Sprintf("c%d", i)))
		}
		q.Add(req("quiet", "new-member"))
		q.Add(req("busy", "c7")) // waiting already: once
		out := drain(t, q, 501)
		if p := position(out, req("quiet", "new-member")); p > 1 {
			t.Errorf("the quiet account's change came out %d-th, after the burst", p+1)
		}
		for i := range 499 { // the burst in arrival order
			if position(out, req("busy", fmt.Sprintf("c%d", i))) > position(out, req("busy", fmt.Sprintf("c%d", i+1))) {
				t.Fatalf("c%d after c%d", i, i+1)
			}
		}
		if q.Len() != 0 {
			t.Errorf("%d left", q.Len())
		}
	})
	t.Run("two bursts take turns", func(t *testing.T) {
		q := newFairQueue("test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
		defer q.ShutDown()
		for i := range 100 {
			q.Add(req("a", fmt.Sprintf("x%d", i)))
		}
		for i := range 100 {
			q.Add(req("b", fmt.Sprintf("x%d", i)))
		}
		out := drain(t, q, 200)
		bs := 0
		for _, r := range out[:100] {
			if r.Namespace == "b" {
				bs++
			}
		}
		if bs < 45 || bs > 55 {
			t.Errorf("b had %d of the first 100 turns, want about half", bs)
		}
	})
	t.Run("the initial list waits behind every change", func(t *testing.T) {
		q := newFairQueue("test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
		defer q.ShutDown()
		pq := q.(priorityqueue.PriorityQueue[reconcile.Request])
		for i := range 50 {
			pq.AddWithOpts(priorityqueue.AddOpts{Priority: new(handler.LowPriority)}, req("cold", fmt.Sprintf("c%d", i)))
		}
		for i := range 20 {
			q.Add(req("busy", fmt.Sprintf("c%d", i)))
		}
		out := drain(t, q, 70)
		for i, r := range out[:20] {
			if r.Namespace != "busy" {
				t.Fatalf("%d-th: %v before the changes", i+1, r)
			}
		}
	})
	t.Run("delayed requests come out after their delay, counted once", func(t *testing.T) {
		q := newFairQueue("test", workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
		defer q.ShutDown()
		q.AddAfter(req("a", "later"), 50*time.Millisecond)
		q.Add(req("a", "now"))
		out := drain(t, q, 2)
		if out[0] != req("a", "now") || out[1] != req("a", "later") {
			t.Errorf("order %v", out)
		}
		fq := q.(*fairQueue)
		fq.mu.Lock()
		defer fq.mu.Unlock()
		if len(fq.waiting) != 0 {
			t.Errorf("still counted as waiting: %v", fq.waiting)
		}
	})
}
