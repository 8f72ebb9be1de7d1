package sharding

import (
	"context"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// testCoordinator is a Coordinator over an API server (a fake client) whose Leases its
// Observer is shown after every change (sync), on a clock the test moves.
type testCoordinator struct {
	*Coordinator
	api   client.Client
	clock time.Time
}

func newTestCoordinator(t *testing.T, objs ...client.Object) *testCoordinator {
	api := fake.NewClientBuilder().WithScheme(testScheme()).WithObjects(objs...).Build()
	tc := &testCoordinator{api: api, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	obs := NewObserver()
	obs.now = func() time.Time { return tc.clock }
	tc.Coordinator = &Coordinator{Client: api, Namespaces: api, Observer: obs, Namespace: "system", LeaseDuration: 4 * time.Second, Interval: time.Second}
	return tc
}

func lease(shard, holder string) *coordinationv1.Lease {
	return &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: "system", Name: LeaseName(shard), Labels: map[string]string{LabelLease: "true"}},
		Spec:       coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: ptr(int32(4))},
	}
}

// sync shows the Observer the Leases as the API server holds them now.
func (tc *testCoordinator) sync(t *testing.T) {
	t.Helper()
	var list coordinationv1.LeaseList
	if err := tc.api.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	h := tc.Observer.LeaseHandler()
	seen := map[string]bool{}
	for i := range list.Items {
		h.OnUpdate(nil, &list.Items[i])
		seen[list.Items[i].Name] = true
	}
	for _, sl := range tc.Observer.leases {
		if !seen[sl.lease.Name] {
			h.OnDelete(sl.lease)
		}
	}
}

// renew renews a shard's Lease, as its replica does.
func (tc *testCoordinator) renew(t *testing.T, shard string) {
	t.Helper()
	var l coordinationv1.Lease
	if err := tc.api.Get(context.Background(), client.ObjectKey{Namespace: "system", Name: LeaseName(shard)}, &l); err != nil {
		t.Fatal(err)
	}
	now := metav1.NewMicroTime(tc.clock)
	l.Spec.RenewTime = &now
	if err := tc.api.Update(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
}

func (tc *testCoordinator) pass(t *testing.T) {
	t.Helper()
	tc.sync(t)
	tc.Pass(context.Background())
	tc.sync(t)
}

func (tc *testCoordinator) assignment(t *testing.T, ns string) Assignment {
	t.Helper()
	var got corev1.Namespace
	if err := tc.api.Get(context.Background(), client.ObjectKey{Name: ns}, &got); err != nil {
		t.Fatal(err)
	}
	return AssignmentOf(got.Labels, got.Annotations)
}

func (tc *testCoordinator) holder(t *testing.T, shard string) string {
	t.Helper()
	var l coordinationv1.Lease
	if err := tc.api.Get(context.Background(), client.ObjectKey{Namespace: "system", Name: LeaseName(shard)}, &l); err != nil {
		t.Fatal(err)
	}
	return *l.Spec.HolderIdentity
}

// The Coordinator's passes: the namespaces with objects spread over the live shards; a
// shard whose Lease stops changing for its duration is taken over (never a Lease renewed
// meanwhile), and only then are its namespaces given to others, without a drain; a
// joining shard gets its namespaces through a drain and an acknowledgement; a namespace
// naming a shard without a Lease waits until that Lease exists, taken over.
func TestCoordinatorPasses(t *testing.T) {
	var objs []client.Object
	nss := namespaces(12)
	for _, ns := range append(nss, "empty") {
		objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	}
	objs = append(objs, lease("a", "a_1"), lease("b", "b_1"))
	tc := newTestCoordinator(t, objs...)
	count := tc.Observer.ObjectHandler()
	for _, ns := range nss {
		count.OnAdd(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "x"}}, false)
	}

	tc.pass(t)
	for _, ns := range nss {
		if got, want := tc.assignment(t, ns), (Assignment{Owner: Assign(ns, []string{"a", "b"})}); got != want {
			t.Errorf("%s: %+v, want %+v", ns, got, want)
		}
	}
	if got := tc.assignment(t, "empty"); got != (Assignment{}) {
		t.Errorf("a namespace without objects assigned: %+v", got)
	}

	// b stops renewing; a renews. Not yet expired: nothing moves.
	tc.clock = tc.clock.Add(3 * time.Second)
	tc.renew(t, "a")
	tc.pass(t)
	if h := tc.holder(t, "b"); h != "b_1" {
		t.Fatalf("b's Lease taken over before it expired: %s", h)
	}
	// Expired, but b renews just before the takeover is written: the takeover loses.
	tc.clock = tc.clock.Add(1500 * time.Millisecond)
	tc.sync(t)
	tc.renew(t, "b")
	tc.Pass(context.Background())
	if h := tc.holder(t, "b"); h != "b_1" {
		t.Fatalf("a Lease renewed meanwhile was taken over: %s", h)
	}
	for _, ns := range nss {
		if got := tc.assignment(t, ns); got.Owner != Assign(ns, []string{"a", "b"}) {
			t.Fatalf("%s moved while b renews: %+v", ns, got)
		}
	}
	tc.sync(t) // the renewal seen now
	// Now b is gone for good.
	tc.clock = tc.clock.Add(4100 * time.Millisecond)
	tc.renew(t, "a")
	tc.pass(t)
	if h := tc.holder(t, "b"); h != TakenOver {
		t.Fatalf("b's expired Lease not taken over: %s", h)
	}
	for _, ns := range nss {
		if got := tc.assignment(t, ns); got != (Assignment{Owner: "a"}) {
			t.Errorf("%s after b died: %+v, want a's without a drain", ns, got)
		}
	}

	// c joins.
	if err := tc.api.Create(context.Background(), lease("c", "c_1")); err != nil {
		t.Fatal(err)
	}
	tc.pass(t)
	moving := 0
	for _, ns := range nss {
		want := Assign(ns, []string{"a", "c"})
		got := tc.assignment(t, ns)
		switch {
		case want == "a" && got != (Assignment{Owner: "a"}):
			t.Errorf("%s stays a's: %+v", ns, got)
		case want == "c" && got != (Assignment{Owner: "a", Drain: "a"}):
			t.Errorf("%s goes to c: %+v, want drained by a first", ns, got)
		case want == "c":
			moving++
		}
	}
	if moving == 0 {
		t.Fatal("c wins none of the namespaces: pick others")
	}
	tc.pass(t)
	for _, ns := range nss {
		if Assign(ns, []string{"a", "c"}) != "c" {
			continue
		}
		if got := tc.assignment(t, ns); got.Owner != "a" {
			t.Fatalf("%s moved to c before a acknowledged: %+v", ns, got)
		}
		// a acknowledges.
		var got corev1.Namespace
		_ = tc.api.Get(context.Background(), client.ObjectKey{Name: ns}, &got)
		got.Annotations = map[string]string{AnnotationDrained: "a"}
		if err := tc.api.Update(context.Background(), &got); err != nil {
			t.Fatal(err)
		}
	}
	tc.pass(t)
	for _, ns := range nss {
		if got, want := tc.assignment(t, ns), (Assignment{Owner: Assign(ns, []string{"a", "c"})}); got != want {
			t.Errorf("%s once acknowledged: %+v, want %+v", ns, got, want)
		}
	}

	// A namespace naming a shard that has no Lease.
	var ns corev1.Namespace
	_ = tc.api.Get(context.Background(), client.ObjectKey{Name: nss[0]}, &ns)
	ns.Labels[LabelOwner] = "z"
	if err := tc.api.Update(context.Background(), &ns); err != nil {
		t.Fatal(err)
	}
	tc.pass(t)
	if got := tc.assignment(t, nss[0]); got.Owner != "z" {
		t.Fatalf("moved from a shard without a Lease before its Lease was taken over: %+v", got)
	}
	if h := tc.holder(t, "z"); h != TakenOver {
		t.Fatalf("z's Lease: %s", h)
	}
	tc.pass(t)
	if got, want := tc.assignment(t, nss[0]), (Assignment{Owner: Assign(nss[0], []string{"a", "c"})}); got != want {
		t.Fatalf("%+v, want %+v", got, want)
	}

	// A Lease taken over long ago, which no namespace names any more, is deleted; b's
	// goes, z's is still named... by nothing either now.
	tc.clock = tc.clock.Add(forgetAfter + time.Minute)
	tc.renew(t, "a")
	tc.renew(t, "c")
	tc.pass(t)
	var list coordinationv1.LeaseList
	_ = tc.api.List(context.Background(), &list)
	var left []string
	for _, l := range list.Items {
		left = append(left, l.Name)
	}
	if len(left) != 2 {
		t.Fatalf("Leases left: %v, want a's and c's", left)
	}
}

// A released Lease (a replica that stopped) is taken over at once: its namespaces move
// without waiting for the lease duration.
func TestReleasedLeaseTakenOverAtOnce(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "acct", Labels: map[string]string{LabelOwner: "b"}}}
	tc := newTestCoordinator(t, ns, lease("a", "a_1"), lease("b", ""))
	tc.Observer.ObjectHandler().OnAdd(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "acct", Name: "x"}}, false)
	tc.pass(t)
	if h := tc.holder(t, "b"); h != TakenOver {
		t.Fatalf("b's released Lease: %q", h)
	}
	tc.pass(t)
	if got := tc.assignment(t, "acct"); got != (Assignment{Owner: "a"}) {
		t.Fatalf("%+v", got)
	}
}
