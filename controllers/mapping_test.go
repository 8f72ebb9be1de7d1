package controllers

import (
	"context"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// The map functions wake exactly the objects a change can affect: these tests fail
// when a needed wake-up is dropped, and when a change that affects nobody wakes anyone.

func requestNames(reqs []reconcile.Request) []string {
	var out []string
	for _, r := range reqs {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}

func expectWoken(t *testing.T, what string, reqs []reconcile.Request, want ...string) {
	t.Helper()
	got := requestNames(reqs)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: woke %v, want %v", what, got, want)
	}
}

// members m1..m5, created in that order, a guest g, all holding role "eng" (g: "view"),
// and "lead" including "eng".
func mappingWorld() []client.Object {
	var objs []client.Object
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, n := range []string{"m1", "m2", "m3", "m4", "m5"} {
		c := fixtures.Collaborator(ns, n, v1alpha1.Member, "tower=eng")
		c.CreationTimestamp = metav1.NewTime(base.Add(time.Duration(i) * time.Minute))
		objs = append(objs, c)
	}
	objs = append(objs, fixtures.Collaborator(ns, "g", v1alpha1.Guest, "tower=view"),
		fixtures.Collaborator(ns, "l", v1alpha1.Member, "annex=lead"),
		fixtures.Role(ns, "eng"), fixtures.Role(ns, "lead", fixtures.Includes("eng")), fixtures.Role(ns, "view"),
		fixtures.WorkCenter(ns, "tower"), fixtures.WorkCenter(ns, "annex"))
	return objs
}

func TestCollaboratorsWokenByAccountChanges(t *testing.T) {
	ctx := context.Background()
	r := &CollaboratorReconciler{Client: newFakeClient(interceptor.Funcs{}, mappingWorld()...)}
	acct := fixtures.Account(ns, "acme", 3)
	with := func(mut func(*v1alpha1.Account)) *v1alpha1.Account { a := acct.DeepCopy(); mut(a); return a }
	all := []string{"g", "l", "m1", "m2", "m3", "m4", "m5"}

	expectWoken(t, "created", r.forAccount(ctx, nil, acct), all...)
	expectWoken(t, "deactivated", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })), all...)
	expectWoken(t, "deletion started", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { now := metav1.Now(); a.DeletionTimestamp = &now })), all...)
	// Members by age: m1..m5, then l (created last, no timestamp): 3 licenses go to m1-m3.
	expectWoken(t, "one more license", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { a.Spec.Licenses = 4 })), "m4")
	expectWoken(t, "two fewer licenses", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { a.Spec.Licenses = 1 })), "m2", "m3")
	expectWoken(t, "licenses beyond the Members", r.forAccount(ctx, with(func(a *v1alpha1.Account) { a.Spec.Licenses = 10 }),
		with(func(a *v1alpha1.Account) { a.Spec.Licenses = 20 })))
	expectWoken(t, "display name and picklists", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) {
		a.Spec.DisplayName = "Renamed"
		a.Spec.Picklists.WorkCenterCategories = []v1alpha1.PicklistItem{"Residential"}
	})))
}

func TestCollaboratorsWokenByRoleChanges(t *testing.T) {
	ctx := context.Background()
	r := &CollaboratorReconciler{Client: newFakeClient(interceptor.Funcs{}, mappingWorld()...)}
	eng := fixtures.Role(ns, "eng")
	with := func(mut func(*v1alpha1.WorkCenterRole)) *v1alpha1.WorkCenterRole {
		o := eng.DeepCopy()
		mut(o)
		return o
	}
	holders := []string{"l", "m1", "m2", "m3", "m4", "m5"} // l holds lead, which includes eng

	expectWoken(t, "created or deleted", r.forRole(ctx, nil, eng), holders...)
	expectWoken(t, "permissions", r.forRole(ctx, eng, with(func(o *v1alpha1.WorkCenterRole) { o.Spec.Permissions = []v1alpha1.Permission{"tasks.create"} })), holders...)
	expectWoken(t, "levels", r.forRole(ctx, eng, with(func(o *v1alpha1.WorkCenterRole) { o.Spec.Levels.Folders = v1alpha1.LevelAdmin })), holders...)
	expectWoken(t, "includes", r.forRole(ctx, eng, with(func(o *v1alpha1.WorkCenterRole) { o.Spec.Includes = []v1alpha1.ObjectName{"view"} })), holders...)
	expectWoken(t, "deletion started", r.forRole(ctx, eng, with(func(o *v1alpha1.WorkCenterRole) { now := metav1.Now(); o.DeletionTimestamp = &now })), holders...)
	expectWoken(t, "description, display name, email options", r.forRole(ctx, eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Description, o.Spec.DisplayName = "edited", "Engineer"
		o.Spec.EmailNotifications = &v1alpha1.EmailNotifications{FileUploaded: new(bool)}
	})))
}

func TestWorkCentersWokenByAccountChanges(t *testing.T) {
	ctx := context.Background()
	r := &WorkCenterReconciler{Client: newFakeClient(interceptor.Funcs{}, mappingWorld()...)}
	acct := fixtures.Account(ns, "acme", 3, "Residential")
	with := func(mut func(*v1alpha1.Account)) *v1alpha1.Account { a := acct.DeepCopy(); mut(a); return a }

	expectWoken(t, "created", r.forAccount(ctx, nil, acct), "annex", "tower")
	expectWoken(t, "categories", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) {
		a.Spec.Picklists.WorkCenterCategories = append(a.Spec.Picklists.WorkCenterCategories, "Commercial")
	})), "annex", "tower")
	expectWoken(t, "deletion started", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { now := metav1.Now(); a.DeletionTimestamp = &now })), "annex", "tower")
	expectWoken(t, "licenses, state, name", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) {
		a.Spec.Licenses, a.Spec.State, a.Spec.DisplayName = 9, v1alpha1.AccountDeactivated, "Renamed"
	})))
}

func TestAccountsWokenByRoleChanges(t *testing.T) {
	ctx := context.Background()
	r := &AccountReconciler{Client: newFakeClient(interceptor.Funcs{}, append(mappingWorld(), fixtures.Account(ns, "acme", 3))...)}
	custom := fixtures.Role(ns, "eng")
	edited := custom.DeepCopy()
	edited.Spec.Permissions = []v1alpha1.Permission{"tasks.create"}
	builtIn := fixtures.Role(ns, v1alpha1.RoleContributor)
	reverted := builtIn.DeepCopy()
	reverted.Spec.Permissions = []v1alpha1.Permission{"tasks.create"}
	deleting := custom.DeepCopy()
	now := metav1.Now()
	deleting.DeletionTimestamp = &now

	expectWoken(t, "custom role created or deleted", r.forRole(ctx, nil, custom), "acme")
	expectWoken(t, "custom role deletion started", r.forRole(ctx, custom, deleting), "acme")
	expectWoken(t, "built-in role edited (to revert)", r.forRole(ctx, builtIn, reverted), "acme")
	expectWoken(t, "custom role edited", r.forRole(ctx, custom, edited))
}

// Creates of the initial list map to nothing (every object of the controller's kind is
// queued by its own initial create); later creates, updates and deletes map as usual.
func TestMapHandlersSkipOnlyTheInitialList(t *testing.T) {
	h := mapHandler(func(_ context.Context, o client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: ns, Name: "woken-by-" + o.GetName()}}}
	})
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	ctx := context.Background()
	h.Create(ctx, event.CreateEvent{Object: fixtures.Role(ns, "listed"), IsInInitialList: true}, q)
	if q.Len() != 0 {
		t.Fatalf("an initial-list create was mapped: %d queued", q.Len())
	}
	h.Create(ctx, event.CreateEvent{Object: fixtures.Role(ns, "created")}, q)
	h.Update(ctx, event.UpdateEvent{ObjectOld: fixtures.Role(ns, "updated"), ObjectNew: fixtures.Role(ns, "updated")}, q)
	h.Delete(ctx, event.DeleteEvent{Object: fixtures.Role(ns, "deleted")}, q)
	if q.Len() != 3 {
		t.Fatalf("want a create, an update and a delete mapped, got %d queued", q.Len())
	}
}
