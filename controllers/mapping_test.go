package controllers

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
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

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// member is a Member created minute minutes after epoch, with its recorded license.
func member(name string, minute int, licensed bool, assign ...string) *v1alpha1.Collaborator {
	c := fixtures.Collaborator(ns, name, v1alpha1.Member, assign...)
	c.CreationTimestamp = metav1.NewTime(epoch.Add(time.Duration(minute) * time.Minute))
	c.Status.Licensed = &licensed
	return c
}

// Members m1..m5, created in that order, and l (created last), with the licenses the
// Account acme's 3 give them recorded (m1-m3); a guest g; all holding role "eng" (g:
// "view", l: "lead", which includes "eng").
func mappingWorld() []client.Object {
	var objs []client.Object
	for i, n := range []string{"m1", "m2", "m3", "m4", "m5"} {
		objs = append(objs, member(n, i+1, i < 3, "tower=eng"))
	}
	objs = append(objs, fixtures.Collaborator(ns, "g", v1alpha1.Guest, "tower=view"),
		member("l", 10, false, "annex=lead"),
		fixtures.Role(ns, "eng"), fixtures.Role(ns, "lead", fixtures.Includes("eng")), fixtures.Role(ns, "view"),
		fixtures.WorkCenter(ns, "tower"), fixtures.WorkCenter(ns, "annex"))
	return objs
}

func TestCollaboratorsWokenByAccountChanges(t *testing.T) {
	ctx := context.Background()
	r := &CollaboratorReconciler{reconciler: reconciler{Client: newFakeClient(interceptor.Funcs{}, mappingWorld()...)}}
	acct := fixtures.Account(ns, "acme", 3)
	with := func(mut func(*v1alpha1.Account)) *v1alpha1.Account { a := acct.DeepCopy(); mut(a); return a }
	all := []string{"g", "l", "m1", "m2", "m3", "m4", "m5"}

	expectWoken(t, "created", r.forAccount(ctx, nil, acct), all...)
	expectWoken(t, "deactivated", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })), all...)
	expectWoken(t, "deletion started", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { now := metav1.Now(); a.DeletionTimestamp = &now })), all...)
	// Members by age: m1..m5, then l: 3 licenses went to m1-m3. The cache holds the
	// changed Account when its event is handled, and the account model reads the cache.
	relicensed := func(n int32) []reconcile.Request {
		cur := with(func(a *v1alpha1.Account) { a.Spec.Licenses = n })
		r := &CollaboratorReconciler{reconciler: reconciler{Client: newFakeClient(interceptor.Funcs{}, append(mappingWorld(), cur)...)}}
		return r.forAccount(ctx, acct, cur)
	}
	expectWoken(t, "one more license", relicensed(4), "m4")
	expectWoken(t, "two fewer licenses", relicensed(1), "m2", "m3")
	expectWoken(t, "licenses for everyone", relicensed(20), "l", "m4", "m5")
	expectWoken(t, "display name and picklists", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) {
		a.Spec.DisplayName = "Renamed"
		a.Spec.Picklists.WorkCenterCategories = []v1alpha1.PicklistItem{"Residential"}
	})))
}

// A change of the Member set wakes the Members whose recorded license R4 no longer
// gives them, and a Member's own license write is checked against the allocation the
// cache gives now, so a reconcile that raced with the change is woken again.
func TestCollaboratorsWokenByMemberChanges(t *testing.T) {
	ctx := context.Background()
	// world is mappingWorld and the Account, with extra objects added or replacing
	// those of the same name.
	world := func(extra ...client.Object) *CollaboratorReconciler {
		objs := append(mappingWorld(), fixtures.Account(ns, "acme", 3))
		objs = slices.DeleteFunc(objs, func(o client.Object) bool {
			return slices.ContainsFunc(extra, func(e client.Object) bool { return e.GetName() == o.GetName() })
		})
		return &CollaboratorReconciler{reconciler: reconciler{Client: newFakeClient(interceptor.Funcs{}, append(objs, extra...)...)}}
	}
	elder := member("elder", 0, false, "tower=eng")
	elder.Status.Licensed = nil // just created: never reconciled
	// The new Member itself is woken by its own watch (For), not a second time here.
	expectWoken(t, "an older Member created", world(elder).forCollaborator(ctx, nil, elder), "m3")

	r := world()
	gone := member("m1", 1, true, "tower=eng")
	if err := r.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	expectWoken(t, "a licensed Member deleted", r.forCollaborator(ctx, nil, gone), "m4")

	guest := fixtures.Collaborator(ns, "g2", v1alpha1.Guest, "tower=view")
	expectWoken(t, "a Guest created", world(guest).forCollaborator(ctx, nil, guest))

	// A bulk import: Members not reconciled yet (no license recorded), then one more,
	// the youngest. R4 moves nobody older than it: only the not yet reconciled Members as
	// young as it or younger (same second, later name) are woken, not every one waiting.
	waiting := func(name string, minute int) *v1alpha1.Collaborator {
		c := member(name, minute, false, "tower=eng")
		c.Status.Licensed = nil
		return c
	}
	early, sameSecond := waiting("n1", 20), waiting("n9", 30)
	youngest := waiting("n5", 30)
	expectWoken(t, "the youngest Member created while others wait for their first reconcile",
		world(early, sameSecond, youngest).forCollaborator(ctx, nil, youngest), "n9")

	// m4's reconcile read an older cache and wrote licensed true, which R4 does not give
	// it now: its own write is checked, and wakes it again.
	staleOld := member("m4", 4, false, "tower=eng")
	staleNew := member("m4", 4, true, "tower=eng")
	expectWoken(t, "a stale license written", world(staleNew).forCollaborator(ctx, staleOld, staleNew), "m4")
}

func TestCollaboratorsWokenByRoleChanges(t *testing.T) {
	ctx := context.Background()
	eng := fixtures.Role(ns, "eng")
	guest := fixtures.Collaborator(ns, "ge", v1alpha1.Guest, "tower=eng")
	// forRole reads the account as the cache holds it when the event comes: with the
	// changed role.
	woken := func(old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
		objs := slices.DeleteFunc(mappingWorld(), func(o client.Object) bool { return o.GetName() == "eng" })
		objs = append(objs, cur, guest)
		r := &CollaboratorReconciler{reconciler: reconciler{Client: newFakeClient(interceptor.Funcs{}, objs...)}}
		return r.forRole(ctx, old, cur)
	}
	with := func(mut func(*v1alpha1.WorkCenterRole)) *v1alpha1.WorkCenterRole {
		o := eng.DeepCopy()
		mut(o)
		return o
	}
	direct := []string{"ge", "m1", "m2", "m3", "m4", "m5"}
	holders := append(slices.Clone(direct), "l") // l holds lead, which includes eng

	expectWoken(t, "created or deleted", woken(nil, eng), holders...)
	// Created while some holders were already judged with it (a burst): those whose
	// status shows every assignment in effect need nothing; a Pending one is woken.
	judged := func(name string, state v1alpha1.AssignmentState) *v1alpha1.Collaborator {
		c := member(name, 1, true, "tower=eng")
		c.UID = types.UID("uid-" + name)
		c.Generation = 1
		c.Status.ObservedGeneration = 1
		c.Status.WorkCenters = []v1alpha1.WorkCenterAssignmentStatus{{Name: "tower", Role: "eng", State: state}}
		return c
	}
	{
		objs := slices.DeleteFunc(mappingWorld(), func(o client.Object) bool { return o.GetName() == "eng" || o.GetName() == "m1" || o.GetName() == "m2" })
		objs = append(objs, eng, guest, judged("m1", v1alpha1.AssignmentActive), judged("m2", v1alpha1.AssignmentPending))
		r := &CollaboratorReconciler{reconciler: reconciler{Client: newFakeClient(interceptor.Funcs{}, objs...)}}
		expectWoken(t, "created, m1 judged with it already", r.forRole(ctx, nil, eng), "ge", "l", "m2", "m3", "m4", "m5")
		// This manager's last write for a holder's generation counts before the cache,
		// which may not show it yet: m1's cached status says in effect, but it has
		// written since a status that is not (judged while the role was missing): it is
		// woken; m2's says Pending, but its last write is in effect: it is not.
		own := &ownStatuses{}
		r.own = own
		own.remember(judged("m1", v1alpha1.AssignmentPending))
		own.remember(judged("m2", v1alpha1.AssignmentActive))
		expectWoken(t, "created, the last writes not yet cached", r.forRole(ctx, nil, eng), "ge", "l", "m1", "m3", "m4", "m5")
		// A write of an earlier generation says nothing of this one: the cache decides.
		earlier := judged("m2", v1alpha1.AssignmentActive)
		earlier.Generation, earlier.Status.ObservedGeneration = 0, 0
		own.remember(earlier)
		own.remember(judged("m1", v1alpha1.AssignmentActive))
		expectWoken(t, "created, m2's last write of an earlier generation", r.forRole(ctx, nil, eng), "ge", "l", "m2", "m3", "m4", "m5")
		r.own = nil
		// Deleted (gone from the cache): every holder, whatever its status says.
		if err := r.Delete(ctx, eng.DeepCopy()); err != nil {
			t.Fatal(err)
		}
		expectWoken(t, "deleted", r.forRole(ctx, nil, eng), holders...)
	}
	// What it grants changes, but no holder's status reads it: nobody.
	expectWoken(t, "a permission that stays guest-safe", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Permissions = []v1alpha1.Permission{"files.upload"}
	})))
	// R2: the Guest's assignment is Rejected now; the Members' stay Active.
	expectWoken(t, "a member-only permission", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Permissions = []v1alpha1.Permission{"collaborators.remove"}
	})), "ge")
	expectWoken(t, "an include that does not exist", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Includes = []v1alpha1.ObjectName{"nowhere"}
	})), holders...)
	// R10 is about the role assigned, not the roles including it.
	expectWoken(t, "deletion started", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		now := metav1.Now()
		o.DeletionTimestamp, o.Finalizers = &now, []string{v1alpha1.FinalizerInUseProtection}
	})), direct...)
	expectWoken(t, "description, display name, email options", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Description, o.Spec.DisplayName = "edited", "Engineer"
		o.Spec.EmailNotifications = &v1alpha1.EmailNotifications{FileUploaded: new(bool)}
	})))
}

func TestWorkCentersWokenByAccountChanges(t *testing.T) {
	ctx := context.Background()
	r := &WorkCenterReconciler{reconciler{Client: newFakeClient(interceptor.Funcs{}, mappingWorld()...)}}
	acct := fixtures.Account(ns, "acme", 3, "Residential")
	with := func(mut func(*v1alpha1.Account)) *v1alpha1.Account { a := acct.DeepCopy(); mut(a); return a }

	expectWoken(t, "created", r.forAccount(ctx, nil, acct), "annex", "tower")
	expectWoken(t, "categories", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) {
		a.Spec.Picklists.WorkCenterCategories = append(a.Spec.Picklists.WorkCenterCategories, "Commercial")
	})), "annex", "tower")
	expectWoken(t, "deletion started", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { now := metav1.Now(); a.DeletionTimestamp = &now })), "annex", "tower")
	// Which assignments are in effect, so every count, follows the licenses and the state.
	// Licenses: the WorkCenters of the Members whose license moves. m1-m3 hold the 3
	// licenses (recorded); with 4, m4 gains one (tower); with 2, m3 loses its (tower).
	relicensed := func(n int32) []reconcile.Request {
		cur := with(func(a *v1alpha1.Account) { a.Spec.Licenses = n })
		r := &WorkCenterReconciler{reconciler{Client: newFakeClient(interceptor.Funcs{}, append(mappingWorld(), cur)...)}}
		return r.forAccount(ctx, acct, cur)
	}
	expectWoken(t, "one more license", relicensed(4), "tower")
	expectWoken(t, "one license fewer", relicensed(2), "tower")
	expectWoken(t, "state", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })), "annex", "tower")
	expectWoken(t, "name", r.forAccount(ctx, acct, with(func(a *v1alpha1.Account) { a.Spec.DisplayName = "Renamed" })))
}

func TestAccountsWokenByRoleChanges(t *testing.T) {
	ctx := context.Background()
	r := &AccountReconciler{reconciler{Client: newFakeClient(interceptor.Funcs{}, append(mappingWorld(), fixtures.Account(ns, "acme", 3))...)}}
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

// An Account's change wakes the other Accounts of its namespace (which owns it may
// move), not itself a second time: its own watch wakes it.
func TestAccountsWokenByAccountChanges(t *testing.T) {
	ctx := context.Background()
	acme, second := fixtures.Account(ns, "acme", 3), fixtures.Account(ns, "second", 1)
	r := &AccountReconciler{reconciler{Client: newFakeClient(interceptor.Funcs{}, append(mappingWorld(), acme, second)...)}}
	expectWoken(t, "an Account changed", r.otherAccounts(ctx, acme), "second")
	expectWoken(t, "the other Account changed", r.otherAccounts(ctx, second), "acme")
	alone := &AccountReconciler{reconciler{Client: newFakeClient(interceptor.Funcs{}, append(mappingWorld(), acme)...)}}
	expectWoken(t, "the only Account changed", alone.otherAccounts(ctx, acme))
}

// Creates of the initial list map to nothing (every object of the controller's kind is
// queued by its own initial create); later creates, updates and deletes map as usual.
func TestMapHandlersSkipOnlyTheInitialList(t *testing.T) {
	h := mapHandler(accounts.New(nil), "test", func(_ context.Context, o client.Object) []reconcile.Request {
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
	// Counted as the controller's wake-ups by a watch, the initial list's not.
	if n := testutil.ToFloat64(watchWakeups.WithLabelValues("test", "WorkCenterRole", "watch")); n != 3 {
		t.Fatalf("watch wake-ups counted: %v, want 3", n)
	}
}

// What a Collaborator's events wake of the WorkCenters is queued after a delay (longer
// for status writes), once per key however many events came: a new Collaborator and its
// first status write, milliseconds apart, cost its WorkCenters one recount each, at the
// create's delay. Nothing is dropped: a spec change still wakes every WorkCenter it
// names, old and new.
func TestCollaboratorWakesOfWorkCentersAreCoalesced(t *testing.T) {
	ctx := context.Background()
	r := &WorkCenterReconciler{reconciler{Client: newFakeClient(interceptor.Funcs{}, mappingWorld()...)}}
	const delay = 100 * time.Millisecond
	h := coalesced(pairHandler(r.models(), workCenterController, r.forCollaborator), delay, 2*delay)
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[reconcile.Request]())
	defer q.ShutDown()
	drain := func(what string, want ...string) {
		t.Helper()
		if q.Len() != 0 {
			t.Fatalf("%s: woke %d WorkCenters at once", what, q.Len())
		}
		time.Sleep(4 * delay)
		var got []string
		for q.Len() > 0 {
			item, _ := q.Get()
			got = append(got, item.Name)
			q.Done(item)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("%s: woke %v after the delay, want %v", what, got, want)
		}
	}
	created := member("m9", 9, false, "tower=eng")
	h.Create(ctx, event.CreateEvent{Object: created}, q)
	written := created.DeepCopy()
	written.Status.WorkCenters = []v1alpha1.WorkCenterAssignmentStatus{{Name: "tower", Role: "eng", State: v1alpha1.AssignmentActive}}
	for range 5 {
		h.Update(ctx, event.UpdateEvent{ObjectOld: created, ObjectNew: written}, q)
	}
	if q.Len() != 0 {
		t.Fatalf("a create woke %d WorkCenters at once", q.Len())
	}
	time.Sleep(delay + delay/2) // past the create's delay, before the status writes'
	if q.Len() != 1 {
		t.Fatalf("a create and five status writes: %d WorkCenters queued at the create's delay, want tower alone", q.Len())
	}
	item, _ := q.Get()
	q.Done(item)
	drain("after the status writes' delay, nothing more")

	moved := written.DeepCopy()
	moved.Generation++
	moved.Spec.WorkCenters[0].Name = "annex"
	h.Update(ctx, event.UpdateEvent{ObjectOld: written, ObjectNew: moved}, q)
	drain("an assignment moved", "annex", "tower")

	h.Update(ctx, event.UpdateEvent{ObjectOld: written, ObjectNew: written.DeepCopy()}, q)
	drain("a write that moves no count")

	h.Delete(ctx, event.DeleteEvent{Object: moved}, q)
	drain("a delete", "annex", "tower")
}

func TestWorkCentersWokenByRoleChanges(t *testing.T) {
	ctx := context.Background()
	eng := fixtures.Role(ns, "eng")
	guest := fixtures.Collaborator(ns, "ge", v1alpha1.Guest, "annex=eng")
	woken := func(old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
		objs := slices.DeleteFunc(mappingWorld(), func(o client.Object) bool { return o.GetName() == "eng" })
		r := &WorkCenterReconciler{reconciler{Client: newFakeClient(interceptor.Funcs{}, append(objs, cur, guest)...)}}
		return r.forRole(ctx, old, cur)
	}
	with := func(mut func(*v1alpha1.WorkCenterRole)) *v1alpha1.WorkCenterRole {
		o := eng.DeepCopy()
		mut(o)
		return o
	}
	// m1..m5 hold eng in tower, l holds lead (including eng) in annex, ge eng in annex.
	expectWoken(t, "created or deleted", woken(nil, eng), "annex", "tower")
	expectWoken(t, "a permission that stays guest-safe", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Permissions = []v1alpha1.Permission{"files.upload"}
	})))
	expectWoken(t, "a member-only permission: the Guest's assignment leaves effect", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Permissions = []v1alpha1.Permission{"collaborators.remove"}
	})), "annex")
	expectWoken(t, "an include that does not exist", woken(eng, with(func(o *v1alpha1.WorkCenterRole) {
		o.Spec.Includes = []v1alpha1.ObjectName{"nowhere"}
	})), "annex", "tower")
}

// sourcesMappingWorld: WorkCenters north-1, north-2 (region=north), south-1
// (region=south), a template tmpl published to pub-1 and pub-2; ann listed in north-1
// (eng) and annex (view); sel selecting region=north (view); any selecting every
// WorkCenter with a region (eng), which a relabelling between regions does not move.
func sourcesMappingWorld(extra ...client.Object) []client.Object {
	labelled := func(name, region string) *v1alpha1.WorkCenter {
		wc := fixtures.WorkCenter(ns, name)
		wc.Labels = map[string]string{"region": region}
		return wc
	}
	tmpl := fixtures.WorkCenter(ns, "tmpl")
	tmpl.Spec.Template = true
	pub := func(name string) *v1alpha1.WorkCenter {
		wc := fixtures.WorkCenter(ns, name)
		wc.Spec.CollaboratorsFrom = "tmpl"
		return wc
	}
	ann := fixtures.Collaborator(ns, "ann", v1alpha1.Member, "north-1=eng", "annex=view")
	sel := fixtures.Collaborator(ns, "sel", v1alpha1.Member)
	sel.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{Role: "view",
		Selector: metav1.LabelSelector{MatchLabels: map[string]string{"region": "north"}}}}
	anyRegion := fixtures.Collaborator(ns, "any", v1alpha1.Member)
	anyRegion.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{Role: "eng",
		Selector: metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "region", Operator: metav1.LabelSelectorOpExists}}}}}
	objs := []client.Object{fixtures.Account(ns, "acme", 10),
		fixtures.Role(ns, "eng"), fixtures.Role(ns, "view"),
		labelled("north-1", "north"), labelled("north-2", "north"), labelled("south-1", "south"),
		fixtures.WorkCenter(ns, "annex"), tmpl, pub("pub-1"), pub("pub-2"),
		ann, sel, anyRegion}
	return append(objs, extra...)
}

// A relabelled WorkCenter wakes only the people whose selectors match it differently
// (not those listed in it, nor a selector matching it before and after), and the roles
// they hold by those selectors; an archived one wakes everyone assigned to it.
func TestWakeupsOfARelabelledWorkCenter(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(interceptor.Funcs{}, sourcesMappingWorld()...)
	people := &CollaboratorReconciler{reconciler: reconciler{Client: c}}
	roles := &WorkCenterRoleReconciler{reconciler{Client: c}}
	var north v1alpha1.WorkCenter
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "north-1"}, &north); err != nil {
		t.Fatal(err)
	}
	south := north.DeepCopy()
	south.Labels = map[string]string{"region": "south"}
	if err := c.Update(ctx, south); err != nil { // the cache holds the new labels
		t.Fatal(err)
	}
	expectWoken(t, "relabelled north to south: people", people.forWorkCenter(ctx, &north, south), "sel")
	expectWoken(t, "relabelled north to south: roles", roles.forWorkCenter(ctx, &north, south), "view")
	archived := south.DeepCopy()
	archived.Spec.Archived = true
	expectWoken(t, "archived: people", people.forWorkCenter(ctx, south, archived), "ann", "any")
	expectWoken(t, "archived: roles", roles.forWorkCenter(ctx, south, archived), "eng")
}

// A Collaborator's change wakes the WorkCenters and roles whose assignment of it changes:
// joining a template wakes the template, the WorkCenters published from it and the role
// held there, not the person's other WorkCenters; a change of type wakes all of them; a
// status write, the WorkCenters whose assignment went in or out of effect.
func TestWakeupsOfAnAssignmentChange(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(interceptor.Funcs{}, sourcesMappingWorld()...)
	wcs := &WorkCenterReconciler{reconciler{Client: c}}
	roles := &WorkCenterRoleReconciler{reconciler{Client: c}}
	var ann v1alpha1.Collaborator
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "ann"}, &ann); err != nil {
		t.Fatal(err)
	}
	joined := ann.DeepCopy()
	joined.Spec.WorkCenters = append(joined.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tmpl", Role: "eng"})
	if err := c.Update(ctx, joined); err != nil {
		t.Fatal(err)
	}
	joined.Generation = ann.Generation + 1 // as the API server counts a spec change
	expectWoken(t, "joined a template: WorkCenters", wcs.forCollaborator(ctx, &ann, joined), "pub-1", "pub-2", "tmpl")
	expectWoken(t, "joined a template: roles", roles.forCollaborator(ctx, &ann, joined), "eng")

	guest := joined.DeepCopy()
	guest.Spec.Type = v1alpha1.Guest
	guest.Generation++
	expectWoken(t, "made a Guest: WorkCenters", wcs.forCollaborator(ctx, joined, guest), "annex", "north-1", "pub-1", "pub-2", "tmpl")
	expectWoken(t, "made a Guest: roles", roles.forCollaborator(ctx, joined, guest), "eng", "view")

	prefs := joined.DeepCopy()
	prefs.Spec.EmailPreferences = &v1alpha1.EmailPreferences{Delivery: v1alpha1.EmailDigest}
	prefs.Generation++
	expectWoken(t, "email preferences: WorkCenters", wcs.forCollaborator(ctx, joined, prefs))
	expectWoken(t, "email preferences: roles", roles.forCollaborator(ctx, joined, prefs))

	written := joined.DeepCopy()
	written.Status.WorkCenters = []v1alpha1.WorkCenterAssignmentStatus{
		{Name: "annex", Role: "view", State: v1alpha1.AssignmentActive}, {Name: "north-1", Role: "eng", State: v1alpha1.AssignmentActive}}
	moved := written.DeepCopy()
	moved.Status.WorkCenters[0].State = v1alpha1.AssignmentRejected
	expectWoken(t, "a status write: one assignment leaves effect", wcs.forCollaborator(ctx, written, moved), "annex")
}
