package controllers

import (
	"context"
	"testing"

	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// licensesIn reads the model's view of the Account's licenses.
func licensesIn(t *testing.T, b *accounts.Book) int32 {
	t.Helper()
	var n int32
	if err := b.Read(context.Background(), ns, func(m *model.Account) error { n = m.Licenses(); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// The book reads the cache once per namespace, then follows only the objects touched:
// a change the cache holds is seen once it is touched, a deletion removes the object.
func TestBookFollowsTouchedObjects(t *testing.T) {
	ctx := context.Background()
	acct := fixtures.Account(ns, "acme", 3)
	c := newFakeClient(interceptor.Funcs{}, acct, fixtures.Collaborator(ns, "ann", v1alpha1.Member))
	b := accounts.New(c)
	if got := licensesIn(t, b); got != 3 {
		t.Fatalf("built with %d licenses, want 3", got)
	}
	var cur v1alpha1.Account
	if err := c.Get(ctx, client.ObjectKeyFromObject(acct), &cur); err != nil {
		t.Fatal(err)
	}
	cur.Spec.Licenses = 5
	if err := c.Update(ctx, &cur); err != nil {
		t.Fatal(err)
	}
	if got := licensesIn(t, b); got != 3 {
		t.Fatalf("the model re-read an object nobody touched (%d licenses): it would not be O(change)", got)
	}
	b.Touch(&cur)
	if got := licensesIn(t, b); got != 5 {
		t.Fatalf("after the touch: %d licenses, want 5", got)
	}
	ann := fixtures.Collaborator(ns, "ann", v1alpha1.Member)
	if err := c.Delete(ctx, ann); err != nil {
		t.Fatal(err)
	}
	b.Touch(ann)
	if err := b.Read(ctx, ns, func(m *model.Account) error {
		if m.Collaborator("ann") != nil {
			t.Errorf("a deleted, touched Collaborator is still in the model")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// A map handler touches the event's object before it maps, so the map function (and
// every reconcile it queues) sees the change: without the touch this wakes on a model
// one change behind.
func TestPairHandlerTouchesBeforeMapping(t *testing.T) {
	ctx := context.Background()
	acct := fixtures.Account(ns, "acme", 3)
	c := newFakeClient(interceptor.Funcs{}, acct)
	b := accounts.New(c)
	_ = licensesIn(t, b) // the model is built, with 3 licenses
	var cur v1alpha1.Account
	if err := c.Get(ctx, client.ObjectKeyFromObject(acct), &cur); err != nil {
		t.Fatal(err)
	}
	old := cur.DeepCopy()
	cur.Spec.Licenses = 7
	if err := c.Update(ctx, &cur); err != nil {
		t.Fatal(err)
	}
	var seen int32
	h := pairHandler(b, "test", func(ctx context.Context, _, _ *v1alpha1.Account) []reconcile.Request {
		seen = licensesIn(t, b)
		return nil
	})
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	h.Update(ctx, event.UpdateEvent{ObjectOld: old, ObjectNew: &cur}, q)
	if seen != 7 {
		t.Fatalf("the map function saw %d licenses, want the event's 7", seen)
	}
}

// Each reconcile touches the object it reconciles: its own change may reach it through
// For's handler, which does not touch.
func TestReconcileTouchesItsObject(t *testing.T) {
	ctx := context.Background()
	acct := fixtures.Account(ns, "acme", 3)
	c := newFakeClient(interceptor.Funcs{}, acct)
	b := accounts.New(c)
	_ = licensesIn(t, b)
	var cur v1alpha1.Account
	if err := c.Get(ctx, client.ObjectKeyFromObject(acct), &cur); err != nil {
		t.Fatal(err)
	}
	cur.Spec.Licenses = 9
	if err := c.Update(ctx, &cur); err != nil {
		t.Fatal(err)
	}
	r := &AccountReconciler{reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(100), book: b}}
	if _, err := r.Reconcile(ctx, request("acme")); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, client.ObjectKeyFromObject(acct), &cur); err != nil {
		t.Fatal(err)
	}
	if got := licensesIn(t, b); got != 9 {
		t.Fatalf("the reconcile left the model at %d licenses, want 9", got)
	}
}
