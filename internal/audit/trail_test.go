package audit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fencing"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const ns = "acme"

func init() { logf.SetLogger(logr.Discard()) }

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}

// apiServer is a fake API server for Events that counts requests, and how many were in
// flight at once; fail, when set, answers a request instead.
type apiServer struct {
	client.Client
	mu       sync.Mutex
	creates  []*eventsv1.Event
	patches  []string
	inFlight atomic.Int32
	most     atomic.Int32
	fail     func(call int) error
	calls    int
	delay    time.Duration // each request takes as long
}

func newAPIServer(t *testing.T) *apiServer {
	s := &apiServer{}
	enter := func() (int, func()) {
		if n := s.inFlight.Add(1); n > s.most.Load() {
			s.most.Store(n)
		}
		s.mu.Lock()
		s.calls++
		call := s.calls
		s.mu.Unlock()
		time.Sleep(s.delay)
		return call, func() { s.inFlight.Add(-1) }
	}
	s.Client = fake.NewClientBuilder().WithScheme(testScheme()).WithInterceptorFuncs(interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			call, done := enter()
			defer done()
			if s.fail != nil {
				if err := s.fail(call); err != nil {
					return err
				}
			}
			err := c.Create(ctx, obj, opts...)
			if err == nil {
				s.mu.Lock()
				s.creates = append(s.creates, obj.(*eventsv1.Event).DeepCopy())
				s.mu.Unlock()
			}
			return err
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			call, done := enter()
			defer done()
			if s.fail != nil {
				if err := s.fail(call); err != nil {
					return err
				}
			}
			data, _ := patch.Data(obj)
			err := c.Patch(ctx, obj, patch, opts...)
			if err == nil {
				s.mu.Lock()
				s.patches = append(s.patches, obj.GetName()+" "+string(data))
				s.mu.Unlock()
			}
			return err
		},
	}).Build()
	return s
}

func (s *apiServer) created() []*eventsv1.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*eventsv1.Event(nil), s.creates...)
}

// run starts tr and returns a stop that waits for it to return.
func run(t *testing.T, tr *Trail) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = tr.Start(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The Events about one object are written one at a time, in the order recorded, each with what Eventf was
// given; Eventf does not wait for the API server.
func TestEventsWrittenOneAtATimeInOrder(t *testing.T) {
	s := newAPIServer(t)
	s.delay = time.Millisecond // room for a second writer to show
	tr := New(s, testScheme())
	rec := tr.Recorder("collaborator-controller")
	role := fixtures.Role(ns, "eng")
	start := time.Now()
	for i := range 50 {
		rec.Eventf(role, nil, "Normal", "AssignmentActivated", "Assign", "assignment %d active", i)
	}
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("recording 50 Events before the trail started took %s", d)
	}
	if got := tr.Waiting(); got != 50 {
		t.Fatalf("waiting %d, want 50", got)
	}
	stop := run(t, tr)
	defer stop()
	waitFor(t, "50 Events", func() bool { return len(s.created()) == 50 })
	if m := s.most.Load(); m != 1 {
		t.Fatalf("%d writes about one object at once, want 1", m)
	}
	for i, ev := range s.created() {
		if want := fmt.Sprintf("assignment %d active", i); ev.Note != want {
			t.Fatalf("Event %d: note %q, want %q", i, ev.Note, want)
		}
		if ev.Regarding.Kind != "WorkCenterRole" || ev.Regarding.Name != "eng" || ev.Namespace != ns ||
			ev.Reason != "AssignmentActivated" || ev.Action != "Assign" || ev.Type != "Normal" ||
			ev.ReportingController != "collaborator-controller" ||
			!strings.HasPrefix(ev.ReportingInstance, "collaborator-controller-") || ev.EventTime.IsZero() {
			t.Fatalf("Event %d: %+v", i, ev)
		}
	}
	if tr.Waiting() != 0 {
		t.Fatalf("%d still waiting", tr.Waiting())
	}
}

// Notes stay within the API server's 1 KiB, whole runes, whatever they quote.
func TestEventNotesAreBounded(t *testing.T) {
	tr := New(newAPIServer(t), testScheme())
	long := strings.Repeat("ü", 2000)
	tr.Recorder("workcenterrole-controller").Eventf(fixtures.Role(ns, "eng"), nil, "Warning", "RoleInUse", "Delete", "deletion blocked: %s", long)
	note := laneWaiting(t, tr).queue[0].Note
	if len(note) > model.MaxEventNote || !utf8.ValidString(note) || !strings.HasPrefix(note, "deletion blocked: ü") {
		t.Fatalf("note of %d bytes, valid UTF-8 %v: %.60q", len(note), utf8.ValidString(note), note)
	}
}

// An Event the same in everything as one written within SeriesWindow patches that
// one's series; one differing only in its note is an Event of its own (client-go would
// have folded it and lost its note); after the window, a new Event.
func TestRepeatsBecomeSeries(t *testing.T) {
	s := newAPIServer(t)
	tr := New(s, testScheme())
	var now atomic.Int64 // the clock, read by the writers
	now.Store(time.Now().UnixNano())
	tr.now = func() time.Time { return time.Unix(0, now.Load()) }
	tr.window = 0 // the clock stands still
	rec := tr.Recorder("collaborator-controller")
	c := fixtures.Collaborator(ns, "ada", v1alpha1.Member)
	stop := run(t, tr)
	defer stop()
	rec.Eventf(c, nil, "Normal", "LicenseGranted", "License", "license granted")
	rec.Eventf(c, nil, "Normal", "LicenseGranted", "License", "license granted")
	rec.Eventf(c, nil, "Normal", "LicenseGranted", "License", "license granted")
	rec.Eventf(c, nil, "Normal", "AssignmentActivated", "Assign", "eng in wc-a")
	rec.Eventf(c, nil, "Normal", "AssignmentActivated", "Assign", "eng in wc-b")
	waitFor(t, "the five", func() bool { return tr.Waiting() == 0 && len(s.created()) == 3 })
	waitFor(t, "two patches", func() bool { s.mu.Lock(); defer s.mu.Unlock(); return len(s.patches) == 2 })
	var ev eventsv1.Event
	first := s.created()[0]
	if err := s.Get(context.Background(), client.ObjectKeyFromObject(first), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Series == nil || ev.Series.Count != 3 {
		t.Fatalf("series %+v, want count 3", ev.Series)
	}
	if notes := []string{s.created()[1].Note, s.created()[2].Note}; notes[0] != "eng in wc-a" || notes[1] != "eng in wc-b" {
		t.Fatalf("notes %q", notes)
	}
	// After the window: a new Event.
	now.Add(int64(SeriesWindow))
	rec.Eventf(c, nil, "Normal", "LicenseGranted", "License", "license granted")
	waitFor(t, "a fourth Event", func() bool { return len(s.created()) == 4 })
	// A series whose Event is gone (expired) is written anew.
	last := s.created()[3]
	if err := s.Delete(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	rec.Eventf(c, nil, "Normal", "LicenseGranted", "License", "license granted")
	waitFor(t, "a fifth Event", func() bool { return len(s.created()) == 5 })
}

// The series memory is bounded: past maxSeries Events, the least recently seen is
// forgotten (and a repeat of it becomes a new Event).
func TestSeriesMemoryIsBounded(t *testing.T) {
	s := newAPIServer(t)
	tr := New(s, testScheme())
	if tr.maxSeries != maxSeries {
		t.Fatalf("a Trail remembers %d, want maxSeries", tr.maxSeries)
	}
	tr.maxSeries = 64
	per := tr.maxSeries / len(tr.lanes) // each lane remembers its share
	rec := tr.Recorder("collaborator-controller")
	c := fixtures.Collaborator(ns, "ada", v1alpha1.Member)
	for i := range per + 10 {
		rec.Eventf(c, nil, "Normal", "AssignmentActivated", "Assign", "%d", i)
	}
	l := laneWaiting(t, tr)
	drain := func() {
		for ev := tr.pop(l); ev != nil; ev = tr.pop(l) {
			tr.write(context.Background(), l, ev)
		}
	}
	drain()
	if len(l.series) != per || l.recent.Len() != per {
		t.Fatalf("remembers %d (%d), want %d", len(l.series), l.recent.Len(), per)
	}
	rec.Eventf(c, nil, "Normal", "AssignmentActivated", "Assign", "0")
	drain()
	if got := len(s.created()); got != per+11 {
		t.Fatalf("%d created, want %d (the forgotten one anew)", got, per+11)
	}
	// A recent one is still a repeat.
	rec.Eventf(c, nil, "Normal", "AssignmentActivated", "Assign", "%d", per+9)
	drain()
	if got := len(s.created()); got != per+11 {
		t.Fatalf("%d created, want %d (a repeat patched)", got, per+11)
	}
}

// What may pass is retried, in order (nothing overtakes the Event being retried); what
// the API server refuses for the Event itself is dropped and counted, and the trail
// goes on.
func TestRetriesAndRefusals(t *testing.T) {
	s := newAPIServer(t)
	gr := schema.GroupResource{Group: "events.k8s.io", Resource: "events"}
	s.fail = func(call int) error {
		switch call {
		case 1:
			return errors.New("connection refused")
		case 2:
			return apierrors.NewServiceUnavailable("restarting")
		case 3:
			return apierrors.NewTooManyRequests("slow down", 1)
		case 5:
			return apierrors.NewForbidden(gr, "x", errors.New("no"))
		}
		return nil
	}
	tr := New(s, testScheme())
	tr.retry = time.Millisecond
	rec := tr.Recorder("account-controller")
	acct := fixtures.Account(ns, "acme", 10)
	for _, note := range []string{"first", "second", "third"} {
		rec.Eventf(acct, nil, "Normal", "Restored", "Restore", note)
	}
	refusedBefore := counter(droppedEvents.WithLabelValues("refused"))
	stop := run(t, tr)
	defer stop()
	waitFor(t, "the trail to drain", func() bool { return tr.Waiting() == 0 && len(s.created()) == 2 })
	time.Sleep(20 * time.Millisecond)
	got := s.created()
	if len(got) != 2 || got[0].Note != "first" || got[1].Note != "third" {
		t.Fatalf("written %v, want first (after three transient failures) and third (second refused)", notes(got))
	}
	if d := counter(droppedEvents.WithLabelValues("refused")) - refusedBefore; d != 1 {
		t.Fatalf("refused counted %v, want 1", d)
	}
}

// An API server that never takes an Event: the trail gives up after maxTries and goes
// on with the next.
func TestGivesUpAfterMaxTries(t *testing.T) {
	s := newAPIServer(t)
	s.fail = func(call int) error {
		if call <= maxTries {
			return apierrors.NewInternalError(errors.New("etcd down"))
		}
		return nil
	}
	tr := New(s, testScheme())
	tr.retry = time.Microsecond
	rec := tr.Recorder("account-controller")
	acct := fixtures.Account(ns, "acme", 10)
	rec.Eventf(acct, nil, "Normal", "Restored", "Restore", "lost")
	rec.Eventf(acct, nil, "Normal", "Restored", "Restore", "kept")
	before := counter(droppedEvents.WithLabelValues("unreachable"))
	stop := run(t, tr)
	defer stop()
	waitFor(t, "the second", func() bool { return len(s.created()) == 1 })
	if got := s.created()[0].Note; got != "kept" {
		t.Fatalf("written %q", got)
	}
	if d := counter(droppedEvents.WithLabelValues("unreachable")) - before; d != 1 {
		t.Fatalf("unreachable counted %v, want 1", d)
	}
}

// A full queue drops the newest Event and counts it; Eventf never blocks.
func TestQueueIsBounded(t *testing.T) {
	tr := New(newAPIServer(t), testScheme())
	rec := tr.Recorder("collaborator-controller")
	c := fixtures.Collaborator(ns, "ada", v1alpha1.Member)
	before := counter(droppedEvents.WithLabelValues("queue"))
	for range MaxQueued + 3 {
		rec.Eventf(c, nil, "Normal", "LicenseGranted", "License", "x")
	}
	if tr.Waiting() != MaxQueued {
		t.Fatalf("waiting %d, want %d", tr.Waiting(), MaxQueued)
	}
	if d := counter(droppedEvents.WithLabelValues("queue")) - before; d != 3 {
		t.Fatalf("queue drops counted %v, want 3", d)
	}
	// Draining gives the array back.
	l := laneWaiting(t, tr)
	for tr.pop(l) != nil {
	}
	if cap(l.queue) > 1024 || l.head != 0 || tr.Waiting() != 0 {
		t.Fatalf("drained queue keeps %d slots, %d waiting", cap(l.queue), tr.Waiting())
	}
}

// A stopped trail writes its backlog before returning.
func TestStopFlushesTheBacklog(t *testing.T) {
	s := newAPIServer(t)
	tr := New(s, testScheme())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := tr.Recorder("collaborator-controller")
	for i := range 20 {
		rec.Eventf(fixtures.Collaborator(ns, fmt.Sprintf("c%d", i), v1alpha1.Member), nil, "Normal", "LicenseGranted", "License", "x")
	}
	if err := tr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := len(s.created()); got != 20 {
		t.Fatalf("%d of 20 written at stop", got)
	}
}

// recordFor records an Event every, for d, each about a Collaborator of its own, and
// returns when it began and how many it recorded.
func recordFor(rec events.EventRecorder, d, every time.Duration) (time.Time, int) {
	start := time.Now()
	n := 0
	for ; time.Since(start) < d; n++ {
		rec.Eventf(fixtures.Collaborator(ns, fmt.Sprintf("c%d", n), v1alpha1.Member), nil, "Normal", "LicenseGranted", "License", "x")
		time.Sleep(every)
	}
	return start, n
}

// laneWaiting is the one lane with Events waiting.
func laneWaiting(t *testing.T, tr *Trail) *lane {
	t.Helper()
	var found *lane
	for _, l := range tr.lanes {
		if l.head < len(l.queue) {
			if found != nil {
				t.Fatal("Events wait in more than one lane")
			}
			found = l
		}
	}
	if found == nil {
		t.Fatal("no Event waits")
	}
	return found
}

// Events about different objects are written Writers at a time; those about each
// object still one at a time and in order.
func TestLanesWriteObjectsInParallel(t *testing.T) {
	s := newAPIServer(t)
	s.delay = 2 * time.Millisecond
	tr := New(s, testScheme())
	rec := tr.Recorder("collaborator-controller")
	for i := range 20 {
		for j := range 40 {
			rec.Eventf(fixtures.Collaborator(ns, fmt.Sprintf("c%d", j), v1alpha1.Member), nil, "Normal", "AssignmentActivated", "Assign", "%d", i)
		}
	}
	stop := run(t, tr)
	defer stop()
	waitFor(t, "800 Events", func() bool { return len(s.created()) == 800 })
	if m := s.most.Load(); m < 2 || m > Writers {
		t.Fatalf("%d writes at once, want 2 to %d", m, Writers)
	}
	next := map[string]int{}
	for _, ev := range s.created() {
		if want := fmt.Sprint(next[ev.Regarding.Name]); ev.Note != want {
			t.Fatalf("%s: Event %q after %d, out of order", ev.Regarding.Name, ev.Note, next[ev.Regarding.Name])
		}
		next[ev.Regarding.Name]++
	}
}

func counter(c prometheus.Counter) float64 { return testutil.ToFloat64(c) }

// While the controllers record a burst, the Events wait: the status writes of the burst
// get the API server (only the first few go out, before the rate shows a burst). Once it
// is over, they are written; so is a lone Event, at once.
func TestEventsWaitForTheEndOfABurst(t *testing.T) {
	s := newAPIServer(t)
	tr := New(s, testScheme())
	if tr.window != BurstWindow || tr.maxDelay != MaxDelay {
		t.Fatalf("a Trail holds by %s / %s, want BurstWindow / MaxDelay", tr.window, tr.maxDelay)
	}
	tr.window, tr.maxDelay = 250*time.Millisecond, 10*time.Second
	stop := run(t, tr)
	defer stop()
	rec := tr.Recorder("collaborator-controller")
	_, recorded := recordFor(rec, 600*time.Millisecond, 5*time.Millisecond)
	// Only those recorded before it showed as one: fewer than BurstEvents.
	if n := len(s.created()); n >= BurstEvents {
		t.Fatalf("%d Events written during the burst", n)
	}
	waitFor(t, "the burst's Events after it", func() bool { return len(s.created()) == recorded })
	at := time.Now()
	rec.Eventf(fixtures.Collaborator(ns, "lone", v1alpha1.Member), nil, "Normal", "LicenseGranted", "License", "x")
	waitFor(t, "the lone Event", func() bool { return len(s.created()) == recorded+1 })
	if d := time.Since(at); d > 2*time.Second {
		t.Fatalf("a lone Event took %s", d)
	}
}

// A steady trickle, fewer than BurstEvents per BurstWindow, is written as it comes.
func TestATrickleIsNotHeld(t *testing.T) {
	s := newAPIServer(t)
	tr := New(s, testScheme())
	stop := run(t, tr)
	defer stop()
	// 10 Events take 270 ms, more than BurstWindow.
	_, recorded := recordFor(tr.Recorder("collaborator-controller"), 600*time.Millisecond, 30*time.Millisecond)
	if n := len(s.created()); n < recorded-2 {
		t.Fatalf("%d of %d Events of a trickle written while it lasted", n, recorded)
	}
}

// A burst that never pauses does not hold an Event past maxDelay.
func TestEventsWaitAtMostMaxDelay(t *testing.T) {
	s := newAPIServer(t)
	tr := New(s, testScheme())
	tr.window, tr.maxDelay = 100*time.Millisecond, 300*time.Millisecond
	stop := run(t, tr)
	defer stop()
	burst, _ := recordFor(tr.Recorder("collaborator-controller"), 1500*time.Millisecond, 5*time.Millisecond)
	got := s.created()
	if len(got) == 0 {
		t.Fatal("no Event written during a burst of 1.5s, with maxDelay 300ms")
	}
	// The first was written about maxDelay after it was recorded, well before the end.
	if first := got[0].EventTime.Time; first.Sub(burst) > 100*time.Millisecond {
		t.Fatalf("the first Event recorded %s into the burst", first.Sub(burst))
	}
}

func notes(evs []*eventsv1.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Note)
	}
	return out
}

// Pending counts a namespace's Events until each is written; Hurry writes them at once,
// whatever the burst, so that an account handed over to another replica
// (internal/sharding) does not wait MaxDelay for its Events.
func TestPendingAndHurry(t *testing.T) {
	s := newAPIServer(t)
	tr := New(s, testScheme())
	tr.window, tr.maxDelay = time.Hour, time.Hour // everything is held
	rec := tr.Recorder("collaborator-controller")
	for i := range 2 * BurstEvents {
		rec.Eventf(fixtures.Collaborator(ns, fmt.Sprintf("c%d", i), v1alpha1.Member), nil, "Normal", "LicenseGranted", "License", "x")
	}
	rec.Eventf(fixtures.Collaborator("other", "o", v1alpha1.Member), nil, "Normal", "LicenseGranted", "License", "x")
	stop := run(t, tr)
	defer stop()
	time.Sleep(50 * time.Millisecond)
	if n := len(s.created()); n != 0 {
		t.Fatalf("%d Events written during the hold", n)
	}
	if p, o := tr.Pending(ns), tr.Pending("other"); p != 2*BurstEvents || o != 1 {
		t.Fatalf("pending %d and %d, want %d and 1", p, o, 2*BurstEvents)
	}
	tr.Hurry(ns)
	waitFor(t, "the hurried namespace's Events", func() bool { return tr.Pending(ns) == 0 })
	if n := len(s.created()); n < 2*BurstEvents {
		t.Fatalf("%d Events written once none of %s is pending", n, ns)
	}
	if tr.Hurry("nothing-pending"); len(tr.urgent) != 0 {
		t.Fatalf("urgent namespaces left: %v", tr.urgent)
	}
}

// An Event refused because its account is another replica's now (fencing.ErrNotOwner)
// is dropped at once, not retried for a minute and a half in front of its lane.
func TestNotOwnerIsNotRetried(t *testing.T) {
	s := newAPIServer(t)
	s.fail = func(call int) error {
		if call == 1 {
			return fmt.Errorf("creating: %w", fencing.ErrNotOwner)
		}
		return nil
	}
	tr := New(s, testScheme())
	tr.retry = time.Hour
	rec := tr.Recorder("account-controller")
	acct := fixtures.Account(ns, "acme", 10)
	rec.Eventf(acct, nil, "Normal", "Restored", "Restore", "handed over")
	rec.Eventf(acct, nil, "Normal", "Restored", "Restore", "next")
	before := counter(droppedEvents.WithLabelValues("refused"))
	stop := run(t, tr)
	defer stop()
	waitFor(t, "the next Event", func() bool { return len(s.created()) == 1 })
	if d := counter(droppedEvents.WithLabelValues("refused")) - before; d != 1 {
		t.Fatalf("refused counted %v, want 1", d)
	}
	if p := tr.Pending(ns); p != 0 {
		t.Fatalf("%d still pending", p)
	}
}
