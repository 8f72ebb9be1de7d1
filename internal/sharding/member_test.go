package sharding

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/workcenter-io/workcenter-operator/internal/fencing"
)

// fakeLease is a Lease lock whose writes succeed unless fail is set; it records them.
type fakeLease struct {
	id      string
	mu      sync.Mutex
	fail    bool
	records []resourcelock.LeaderElectionRecord
}

func (f *fakeLease) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	return nil, nil, errors.New("not used")
}
func (f *fakeLease) Create(_ context.Context, ler resourcelock.LeaderElectionRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return errors.New("conflict")
	}
	f.records = append(f.records, ler)
	return nil
}
func (f *fakeLease) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	return f.Create(ctx, ler)
}
func (f *fakeLease) RecordEvent(string) {}
func (f *fakeLease) Identity() string   { return f.id }
func (f *fakeLease) Describe() string   { return "fake/" + f.id }
func (f *fakeLease) released() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records) > 0 && f.records[len(f.records)-1].HolderIdentity == ""
}

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	return s
}

// testMember is a Member of shard "a" over an API server (a fake client) holding the
// Namespaces, its Lease acquired, its handover worker running.
type testMember struct {
	*Member
	api    client.WithWatch
	lease  *fakeLease
	writes client.WithWatch // the fenced client
	gained chan string
	cancel context.CancelFunc
}

func newTestMember(t *testing.T, renew time.Duration, nss ...*corev1.Namespace) *testMember {
	t.Helper()
	var objs []client.Object
	for _, ns := range nss {
		objs = append(objs, ns)
	}
	api := fake.NewClientBuilder().WithScheme(testScheme()).WithObjects(objs...).Build()
	lease := &fakeLease{id: Identity("a")}
	m, err := NewMember(Options{Name: "a", Namespace: "system", LeaseDuration: 10 * renew, RenewDeadline: renew, RetryPeriod: renew / 4}, lease, api)
	if err != nil {
		t.Fatal(err)
	}
	tm := &testMember{Member: m, api: api, lease: lease, writes: m.Fence(api), gained: make(chan string, 100)}
	m.OnGained(func(ns string) { tm.gained <- ns })
	ctx, cancel := context.WithCancel(context.Background())
	tm.cancel = cancel
	go m.work(ctx)
	t.Cleanup(func() { cancel(); m.queue.ShutDown() })
	return tm
}

// acquire acquires the Lease (at) and starts leading, as the elector does.
func (tm *testMember) acquire(t *testing.T, at time.Time) {
	t.Helper()
	if err := tm.lock.Create(context.Background(), resourcelock.LeaderElectionRecord{HolderIdentity: tm.identity, AcquireTime: metav1.NewTime(at), RenewTime: metav1.NewTime(at)}); err != nil {
		t.Fatal(err)
	}
	tm.started()
}

// relabel writes the assignment of namespace name in the API server, then shows it to
// the Member as its cache would.
func (tm *testMember) relabel(t *testing.T, name string, a Assignment) {
	t.Helper()
	ns := tm.namespace(t, name)
	setOrDelete(&ns.Labels, LabelOwner, a.Owner)
	setOrDelete(&ns.Labels, LabelDrain, a.Drain)
	setOrDelete(&ns.Annotations, AnnotationDrained, a.Drained)
	if err := tm.api.Update(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	tm.Observe(ns, false)
}

func (tm *testMember) namespace(t *testing.T, name string) *corev1.Namespace {
	t.Helper()
	var ns corev1.Namespace
	if err := tm.api.Get(context.Background(), client.ObjectKey{Name: name}, &ns); err != nil {
		t.Fatal(err)
	}
	return &ns
}

// write writes a ConfigMap into namespace through the fenced client.
func (tm *testMember) write(namespace string) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, GenerateName: "w-"}}
	return tm.writes.Create(context.Background(), cm)
}

func (tm *testMember) stateOf(name string) state {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if s := tm.spaces[name]; s != nil {
		return s.state
	}
	return absent
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after 5s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func never(t *testing.T, what string, bad func() bool) {
	t.Helper()
	deadline := time.Now().Add(150 * time.Millisecond)
	for time.Now().Before(deadline) {
		if bad() {
			t.Fatal(what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func nsObj(name string, a Assignment) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	setOrDelete(&ns.Labels, LabelOwner, a.Owner)
	setOrDelete(&ns.Labels, LabelDrain, a.Drain)
	setOrDelete(&ns.Annotations, AnnotationDrained, a.Drained)
	return ns
}

// The handover of a busy namespace: a drain stops new reconciles at once, lets the
// running ones write, and is acknowledged only once none runs, no write is in flight
// and no Event of it is queued; from then on nothing is written into it. Gained again,
// it is woken again.
func TestDrainWaitsForWhatIsInFlight(t *testing.T) {
	tm := newTestMember(t, time.Hour, nsObj("acct", Assignment{Owner: "a"}), nsObj("other", Assignment{Owner: "b"}))
	tm.acquire(t, time.Now())
	tm.Observe(tm.namespace(t, "acct"), false)
	tm.Observe(tm.namespace(t, "other"), false)
	eventually(t, "acct owned after a live read", func() bool { return tm.Owns("acct") })
	if got := <-tm.gained; got != "acct" {
		t.Fatalf("gained %s", got)
	}
	if tm.Owns("other") {
		t.Fatal("owns another shard's namespace")
	}
	if err := tm.write("other"); !errors.Is(err, fencing.ErrNotOwner) {
		t.Fatalf("a write into another shard's namespace: %v", err)
	}
	end, run, _ := tm.Begin("acct")
	if !run {
		t.Fatal("a reconcile of an owned namespace refused")
	}
	var events atomic.Int32
	events.Store(2)
	hurried := make(chan string, 10)
	tm.HoldBack(func(string) int { return int(events.Load()) }, func(ns string) { hurried <- ns })

	tm.relabel(t, "acct", Assignment{Owner: "a", Drain: "a"})
	if _, run, retry := tm.Begin("acct"); run || retry != 0 {
		t.Fatalf("a reconcile started while draining (run %v, retry %s)", run, retry)
	}
	if tm.Owns("acct") {
		t.Fatal("its events still wake reconciles while draining")
	}
	if err := tm.write("acct"); err != nil {
		t.Fatalf("the running reconcile's write refused while draining: %v", err)
	}
	drained := func() bool { return tm.namespace(t, "acct").Annotations[AnnotationDrained] == "a" }
	never(t, "acknowledged while a reconcile runs", drained)
	end()
	if ns := <-hurried; ns != "acct" {
		t.Fatalf("hurried %s", ns)
	}
	never(t, "acknowledged while Events are queued", drained)
	events.Store(0)
	eventually(t, "the acknowledgement", drained)
	if err := tm.write("acct"); !errors.Is(err, fencing.ErrNotOwner) {
		t.Fatalf("a write after the acknowledgement: %v", err)
	}
	// The cache shows the acknowledgement, then the move.
	tm.Observe(tm.namespace(t, "acct"), false)
	tm.relabel(t, "acct", Assignment{Owner: "b"})
	if st := tm.stateOf("acct"); st != absent {
		t.Fatalf("moved to b: state %d", st)
	}
	// And back.
	tm.relabel(t, "acct", Assignment{Owner: "a"})
	eventually(t, "acct owned again", func() bool { return tm.Owns("acct") })
	if got := <-tm.gained; got != "acct" {
		t.Fatalf("gained %s", got)
	}
}

// A drain called off before it is acknowledged: the namespace was never another's, it is
// owned again at once and its objects woken (their events were dropped meanwhile).
func TestDrainCalledOff(t *testing.T) {
	tm := newTestMember(t, time.Hour, nsObj("acct", Assignment{Owner: "a"}))
	tm.acquire(t, time.Now())
	tm.Observe(tm.namespace(t, "acct"), false)
	eventually(t, "acct owned", func() bool { return tm.Owns("acct") })
	<-tm.gained
	end, _, _ := tm.Begin("acct")
	tm.relabel(t, "acct", Assignment{Owner: "a", Drain: "a"})
	tm.relabel(t, "acct", Assignment{Owner: "a"})
	if !tm.Owns("acct") {
		t.Fatal("not owned once the drain is called off")
	}
	if got := <-tm.gained; got != "acct" {
		t.Fatalf("gained %s", got)
	}
	end()
	never(t, "acknowledged a drain called off", func() bool { return tm.namespace(t, "acct").Annotations[AnnotationDrained] != "" })
}

// A namespace the cache says is this shard's but the API server says is not (the cache
// behind) is not reconciled: an assignment is confirmed by a live read first.
func TestAssignmentConfirmedByALiveRead(t *testing.T) {
	tm := newTestMember(t, time.Hour, nsObj("acct", Assignment{Owner: "b"}))
	tm.acquire(t, time.Now())
	tm.Observe(nsObj("acct", Assignment{Owner: "a"}), false) // a stale cache
	never(t, "owned on the cache's word alone", func() bool { return tm.Owns("acct") })
	if err := tm.write("acct"); !errors.Is(err, fencing.ErrNotOwner) {
		t.Fatalf("a write: %v", err)
	}
	tm.Observe(tm.namespace(t, "acct"), false) // the cache catches up
	if st := tm.stateOf("acct"); st != absent {
		t.Fatalf("state %d", st)
	}
}

// A namespace first seen draining (a replica restarted mid-handover) never ran here: it
// is acknowledged at once.
func TestFirstSeenDrainingIsAcknowledgedAtOnce(t *testing.T) {
	tm := newTestMember(t, time.Hour, nsObj("acct", Assignment{Owner: "a", Drain: "a"}))
	tm.acquire(t, time.Now())
	tm.Observe(tm.namespace(t, "acct"), false)
	eventually(t, "the acknowledgement", func() bool { return tm.namespace(t, "acct").Annotations[AnnotationDrained] == "a" })
	if err := tm.write("acct"); !errors.Is(err, fencing.ErrNotOwner) {
		t.Fatalf("a write: %v", err)
	}
}

// Nothing is written, and no reconcile runs, before the Lease is acquired or once it
// was not renewed within the renew deadline (a replica frozen past it): the reconciles
// of its namespaces wait, since the Lease may come back.
func TestFenceNeedsARecentRenewal(t *testing.T) {
	const renew = 150 * time.Millisecond
	tm := newTestMember(t, renew, nsObj("acct", Assignment{Owner: "a"}))
	tm.Observe(tm.namespace(t, "acct"), false)
	eventually(t, "acct owned", func() bool { return tm.Owns("acct") })
	if err := tm.write("acct"); !errors.Is(err, ErrLeaseNotHeld) {
		t.Fatalf("a write before the Lease is acquired: %v", err)
	}
	if _, run, retry := tm.Begin("acct"); run || retry <= 0 {
		t.Fatalf("a reconcile before the Lease is acquired: run %v, retry %s", run, retry)
	}
	select {
	case ns := <-tm.gained:
		t.Fatalf("%s woken before the Lease is acquired", ns)
	default:
	}
	tm.acquire(t, time.Now())
	if got := <-tm.gained; got != "acct" {
		t.Fatalf("gained %s once the Lease is acquired", got)
	}
	if err := tm.write("acct"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(renew + 20*time.Millisecond)
	if err := tm.write("acct"); !errors.Is(err, ErrLeaseNotHeld) {
		t.Fatalf("a write after the renew deadline passed: %v", err)
	}
	if _, run, retry := tm.Begin("acct"); run || retry <= 0 {
		t.Fatalf("a reconcile after the renew deadline passed: run %v, retry %s", run, retry)
	}
}

// The Lease is acquired once per process: a second acquisition (a process that lost it,
// say frozen while the Coordinator took it over, and then found it free again) is
// refused and closes the shard for good, since its namespaces may have gone to others
// meanwhile without it knowing. Renewals keep the acquisition's time and pass.
func TestLeaseAcquiredOncePerProcess(t *testing.T) {
	tm := newTestMember(t, time.Hour, nsObj("acct", Assignment{Owner: "a"}))
	first := time.Now().Add(-time.Minute)
	tm.acquire(t, first)
	ctx := context.Background()
	renew := resourcelock.LeaderElectionRecord{HolderIdentity: tm.identity, AcquireTime: metav1.NewTime(first.Truncate(time.Microsecond)), RenewTime: metav1.Now()}
	if err := tm.lock.Update(ctx, renew); err != nil {
		t.Fatalf("a renewal: %v", err)
	}
	again := resourcelock.LeaderElectionRecord{HolderIdentity: tm.identity, AcquireTime: metav1.Now(), RenewTime: metav1.Now()}
	if err := tm.lock.Update(ctx, again); !errors.Is(err, errLeaseGone) {
		t.Fatalf("a second acquisition: %v", err)
	}
	if err := tm.lock.Create(ctx, again); !errors.Is(err, errLeaseGone) {
		t.Fatalf("a second creation: %v", err)
	}
	if err := tm.lock.Update(ctx, renew); !errors.Is(err, errLeaseGone) {
		t.Fatalf("a renewal once closed: %v", err)
	}
	if err := tm.write("acct"); !errors.Is(err, ErrLeaseNotHeld) {
		t.Fatalf("a write once closed: %v", err)
	}
}

// A release (the manager stopping) closes the shard and waits for the writes in flight
// before it frees the Lease: whoever takes the accounts next finds nothing of this
// replica landing after it.
func TestReleaseWaitsForTheWritesInFlight(t *testing.T) {
	tm := newTestMember(t, time.Hour, nsObj("acct", Assignment{Owner: "a"}))
	tm.acquire(t, time.Now())
	tm.Observe(tm.namespace(t, "acct"), false)
	eventually(t, "acct owned", func() bool { return tm.Owns("acct") })
	done, err := tm.admit("acct")
	if err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		released <- tm.lock.Update(context.Background(), resourcelock.LeaderElectionRecord{})
	}()
	eventually(t, "the shard closed", func() bool { return errors.Is(tm.write("acct"), ErrLeaseNotHeld) })
	never(t, "released with a write in flight", tm.lease.released)
	done()
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	if !tm.lease.released() {
		t.Fatal("not released")
	}
	// A write that never ends: the Lease is not released, it expires.
	tm2 := newTestMember(t, time.Hour, nsObj("acct", Assignment{Owner: "a"}))
	tm2.acquire(t, time.Now())
	tm2.Observe(tm2.namespace(t, "acct"), false)
	eventually(t, "acct owned", func() bool { return tm2.Owns("acct") })
	if _, err := tm2.admit("acct"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := tm2.lock.Update(ctx, resourcelock.LeaderElectionRecord{}); err == nil || tm2.lease.released() {
		t.Fatal("released with a write still in flight")
	}
}
