// Package audit writes the operator's Events: the audit trail of docs/rules.md (Events) (an
// assignment activated or rejected, a license granted or withheld, a deletion blocked, a
// built-in role restored).
//
// A Trail replaces client-go's events broadcaster, for three reasons measured by
// `make bench-scale` (docs/performance.md):
//   - client-go writes every Event from a goroutine of its own, all at once. A cold start
//     of 5,000 collaborators records 8,300 Events in a few seconds, and they compete with
//     the status writes for an API server that is already the bottleneck: status, what
//     people and GitOps tools wait on, came last. A Trail holds the Events while the
//     controllers keep recording them (at most MaxDelay), then writes them Writers at a
//     time, those about one object one at a time and in the order recorded;
//   - client-go keeps a copy of every Event it sent for 6 to 12 minutes, to spot a
//     series: after that burst, a third of the manager's live heap. A Trail remembers a
//     few words per recent Event (a digest, a name, a count), for at most maxSeries of them;
//   - client-go folds Events that differ only in their note into one series, so the
//     second of two assignments activated on one Collaborator left no note. A Trail folds
//     only Events that are the same in everything, note included.
package audit

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/record/util"
	"k8s.io/client-go/tools/reference"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/workcenter-io/workcenter-operator/internal/fencing"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const (
	// MaxQueued bounds the Events waiting to be written: about 50 MiB at the longest
	// notes. A cold start of 10,000 collaborators queues about 17,000; beyond the bound
	// an Event is dropped, counted and logged, never blocking a reconcile.
	MaxQueued = 50000
	// SeriesWindow is how long an Event the same in everything as an earlier one
	// counts as a repeat of it (client-go's window): the earlier Event's series is
	// patched instead of a new Event written.
	SeriesWindow = 6 * time.Minute
	// maxSeries bounds the Events remembered for series (shared by the lanes); the
	// least recently seen is forgotten first.
	maxSeries = 1024
	// maxTries bounds the attempts at one Event the API server does not take for a
	// reason that may pass (unreachable, overloaded, timing out); between them the
	// Trail waits, from retryDelay doubling up to maxRetryDelay: about 90 seconds.
	maxTries      = 12
	retryDelay    = 250 * time.Millisecond
	maxRetryDelay = 10 * time.Second
	// flushTimeout is how long a Trail that is stopped goes on writing its backlog.
	flushTimeout = 5 * time.Second
	// Writers is how many Events are written at once, each writer with its lane of the
	// objects: a cold start's backlog of 8,000 drains in about 10 s, not 30 one at a time.
	Writers = 4
	// BurstEvents, BurstWindow and MaxDelay put the Events behind the status writes of a
	// burst: while BurstEvents or more were recorded within the last BurstWindow (100
	// per second: a cold start of 1,000 collaborators records 300), the Trail holds
	// them, unless the oldest has waited MaxDelay. A steady trickle below that rate is
	// written at once.
	BurstEvents = 10
	BurstWindow = 100 * time.Millisecond
	MaxDelay    = time.Minute
)

var (
	queuedEvents = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "workcenter_events_queued",
		Help: "Events recorded by the controllers and not yet written to the API server.",
	})
	droppedEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "workcenter_events_dropped_total",
		Help: "Events never written, by cause: queue (more than MaxQueued waiting), refused (the API server refused the Event), unreachable (the API server did not take it in maxTries attempts), stopped (the manager stopped before its backlog was written).",
	}, []string{"cause"})
	writtenEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "workcenter_events_written_total",
		Help: "Events written to the API server: created, or repeated (an earlier Event's series patched).",
	}, []string{"how"})
)

// log is the trail's logger: what it could not record or write, by name and reason.
var log = logf.Log.WithName("events")

func init() {
	metrics.Registry.MustRegister(queuedEvents, droppedEvents, writtenEvents)
	// Every series from the start, at 0: an alert on an increase sees the first drop.
	for _, cause := range []string{"queue", "refused", "unreachable", "stopped"} {
		droppedEvents.WithLabelValues(cause)
	}
	for _, how := range []string{"created", "repeated"} {
		writtenEvents.WithLabelValues(how)
	}
}

// Trail queues the Events its Recorders record and writes them, those about one object
// one at a time and in order, once started (it is a manager Runnable, on every replica:
// whoever records writes). Eventf never blocks.
type Trail struct {
	client client.Client
	scheme *runtime.Scheme
	host   string
	now    func() time.Time
	// retry is the first wait after a failed attempt (retryDelay; shorter in tests).
	retry time.Duration
	// maxSeries is the most Events remembered for series (maxSeries; fewer in tests).
	maxSeries int
	// window and maxDelay are BurstWindow and MaxDelay (other values in tests).
	window, maxDelay time.Duration

	mu   sync.Mutex
	last int64 // the UnixNano the last Event was named after
	// recorded holds when the last BurstEvents Events were recorded, a ring from next.
	recorded [BurstEvents]time.Time
	next     int
	waiting  int // Events in the lanes' queues
	lanes    []*lane
	// pending counts, per namespace, the Events recorded and not yet written (or
	// dropped): those waiting and the one being written. urgent are the namespaces whose
	// Events are written without holding (Hurry) until none is pending.
	pending map[string]int
	urgent  map[string]bool
}

// lane is one writer's share of the Events: those about the objects that hash to it, in
// the order they were recorded.
type lane struct {
	queue []*eventsv1.Event // guarded by Trail.mu; queue[head:] waits
	head  int
	wake  chan struct{}

	// series and recent belong to the lane's writer.
	series map[digest]*list.Element // of *written
	recent *list.List               // least recently seen first
}

// digest identifies an Event by everything in it but its name and times.
type digest [sha256.Size]byte

// written is what a Trail remembers of an Event it wrote, for a series.
type written struct {
	key       digest
	namespace string
	name      string
	count     int32
	last      time.Time
}

// New returns a Trail writing with c (a client that writes to the API server).
func New(c client.Client, scheme *runtime.Scheme) *Trail {
	host, _ := os.Hostname()
	t := &Trail{
		client: c, scheme: scheme, host: host, now: time.Now, retry: retryDelay, maxSeries: maxSeries,
		window: BurstWindow, maxDelay: MaxDelay, pending: map[string]int{}, urgent: map[string]bool{},
	}
	for range Writers {
		t.lanes = append(t.lanes, &lane{wake: make(chan struct{}, 1), series: map[digest]*list.Element{}, recent: list.New()})
	}
	return t
}

// Recorder returns the recorder of one controller: Events name it as their
// reportingController, and "<controller>-<host>" as their reportingInstance.
func (t *Trail) Recorder(controller string) events.EventRecorder {
	return recorder{trail: t, controller: controller, instance: controller + "-" + t.host}
}

type recorder struct {
	trail                *Trail
	controller, instance string
}

// Eventf queues an Event about regarding; its note is bounded to what the API server
// accepts (model.MaxEventNote): a note that names objects at their maximum length, or
// quotes a status message, would otherwise be refused and the audit trail would lose it.
func (r recorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	ref, err := reference.GetReference(r.trail.scheme, regarding)
	if err != nil {
		log.Error(err, "cannot refer to the object; Event not recorded", "reason", reason)
		return
	}
	if !util.ValidateEventType(eventtype) {
		log.Error(nil, "unsupported Event type; Event not recorded", "type", eventtype, "reason", reason)
		return
	}
	var rel *corev1.ObjectReference
	if related != nil {
		rel, _ = reference.GetReference(r.trail.scheme, related)
	}
	now := r.trail.now()
	ns := ref.Namespace
	if ns == "" {
		ns = metav1.NamespaceDefault
	}
	r.trail.enqueue(&eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Namespace: ns, Name: util.GenerateEventName(ref.Name, r.trail.unique(now))},
		EventTime:           metav1.NewMicroTime(now),
		ReportingController: r.controller,
		ReportingInstance:   r.instance,
		Action:              action,
		Reason:              reason,
		Regarding:           *ref,
		Related:             rel,
		Note:                model.Bound(fmt.Sprintf(note, args...), model.MaxEventNote),
		Type:                eventtype,
	})
}

// unique returns now's UnixNano, or one more than the last it returned: Event names
// (the object's, then that number in hex) never repeat within a process, so an Event
// the API server says exists is one this Trail wrote.
func (t *Trail) unique(now time.Time) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = max(now.UnixNano(), t.last+1)
	return t.last
}

// laneOf is the lane of the Events about ev's object.
func (t *Trail) laneOf(ev *eventsv1.Event) *lane {
	h := fnv.New32a()
	r := ev.Regarding
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s", r.APIVersion, r.Kind, r.Namespace, r.Name)
	return t.lanes[h.Sum32()%uint32(len(t.lanes))]
}

func (t *Trail) enqueue(ev *eventsv1.Event) {
	l := t.laneOf(ev)
	t.mu.Lock()
	if t.waiting >= MaxQueued {
		t.mu.Unlock()
		droppedEvents.WithLabelValues("queue").Inc()
		log.Error(nil, "too many Events waiting; Event dropped",
			"waiting", MaxQueued, "regarding", ev.Regarding.Name, "reason", ev.Reason, "note", ev.Note)
		return
	}
	l.queue = append(l.queue, ev)
	t.waiting++
	t.pending[ev.Namespace]++
	t.recorded[t.next] = ev.EventTime.Time
	t.next = (t.next + 1) % BurstEvents
	queuedEvents.Set(float64(t.waiting))
	t.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Waiting returns how many Events are recorded and not yet written.
func (t *Trail) Waiting() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.waiting
}

// Pending returns how many Events about objects of namespace are recorded and not yet
// written or dropped, the one being written included. A replica handing an account over
// to another (internal/sharding) waits for none to be pending: its Events are written
// before the new owner writes.
func (t *Trail) Pending(namespace string) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pending[namespace]
}

// Hurry writes the Events waiting, whatever the burst, until none of namespace's is
// pending: a handover does not wait up to MaxDelay for them.
func (t *Trail) Hurry(namespace string) {
	t.mu.Lock()
	if t.pending[namespace] > 0 {
		t.urgent[namespace] = true
	}
	t.mu.Unlock()
	for _, l := range t.lanes {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// done records that ev was written or dropped.
func (t *Trail) done(ev *eventsv1.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[ev.Namespace]--; t.pending[ev.Namespace] <= 0 {
		delete(t.pending, ev.Namespace)
		delete(t.urgent, ev.Namespace)
	}
}

// pop takes the oldest Event waiting in l, or nil.
func (t *Trail) pop(l *lane) *eventsv1.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l.head == len(l.queue) {
		return nil
	}
	ev := l.queue[l.head]
	l.queue[l.head] = nil
	l.head++
	switch {
	case l.head == len(l.queue):
		// Empty: start over, keeping the array unless a burst made it large.
		if cap(l.queue) > 1024 {
			l.queue = nil
		} else {
			l.queue = l.queue[:0]
		}
		l.head = 0
	case l.head > 1024 && l.head*2 > len(l.queue):
		// Mostly drained: move the rest down, so a long backlog does not keep the
		// array of everything it ever held.
		l.queue = append([]*eventsv1.Event(nil), l.queue[l.head:]...)
		l.head = 0
	}
	t.waiting--
	queuedEvents.Set(float64(t.waiting))
	return ev
}

// Start writes Events until ctx ends, then goes on writing the backlog for up to
// flushTimeout. Each lane has a writer (Writers in all): the Events about one object are
// written one at a time, in the order recorded. While the controllers record Events in a
// burst (a cold start, a GitOps sync of thousands of objects: BurstEvents within
// BurstWindow) the writers hold them, so that the status writes people and tools wait
// on are not slowed by the audit trail; they write once the burst is over, and write an
// Event that has waited maxDelay whatever the load. An Event's eventTime is when it was
// recorded, not when written.
func (t *Trail) Start(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, l := range t.lanes {
		wg.Go(func() { t.run(ctx, l) })
	}
	wg.Wait()
	return nil
}

// run is the writer of l.
func (t *Trail) run(ctx context.Context, l *lane) {
	for {
		hold, waiting := t.hold(l)
		if waiting && hold <= 0 {
			ev := t.pop(l)
			t.write(ctx, l, ev)
			t.done(ev)
			continue
		}
		var timer <-chan time.Time
		if waiting {
			timer = time.After(hold)
		}
		select {
		case <-ctx.Done():
			flush, cancel := context.WithTimeout(context.Background(), flushTimeout)
			defer cancel()
			for ev := t.pop(l); ev != nil; ev = t.pop(l) {
				if flush.Err() != nil {
					droppedEvents.WithLabelValues("stopped").Inc()
				} else {
					t.write(flush, l, ev)
				}
				t.done(ev)
			}
			return
		case <-l.wake:
		case <-timer:
		}
	}
}

// hold says whether an Event waits in l, and how long its oldest should still be held.
func (t *Trail) hold(l *lane) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l.head == len(l.queue) {
		return 0, false
	}
	if len(t.urgent) > 0 {
		return 0, true
	}
	now := t.now()
	// The burst lasts while the oldest of the last BurstEvents is within the window.
	burst := t.window - now.Sub(t.recorded[t.next])
	return min(burst, t.maxDelay-now.Sub(l.queue[l.head].EventTime.Time)), true
}

// NeedLeaderElection is false: a replica writes the Events it records.
func (t *Trail) NeedLeaderElection() bool { return false }

// write writes ev, as a new Event or as a repeat of one written in the last
// SeriesWindow, retrying what may pass.
func (t *Trail) write(ctx context.Context, l *lane, ev *eventsv1.Event) {
	key := digestOf(ev)
	now := t.now()
	var repeat *written
	if e, ok := l.series[key]; ok {
		if w := e.Value.(*written); now.Sub(w.last) < SeriesWindow {
			repeat = w
		} else {
			l.forget(e)
		}
	}
	wait := t.retry
	for tries := 1; ; tries++ {
		var err error
		how := "created"
		if repeat != nil {
			how = "repeated"
			err = t.patchSeries(ctx, repeat, now)
			if apierrors.IsNotFound(err) {
				// Gone (expired or deleted): write it anew.
				l.forget(l.series[key])
				repeat, how = nil, "created"
			}
		}
		if repeat == nil {
			err = t.client.Create(ctx, ev.DeepCopy())
			if apierrors.IsAlreadyExists(err) {
				// An earlier attempt was written and its answer lost.
				err = nil
			}
		}
		if err == nil {
			writtenEvents.WithLabelValues(how).Inc()
			if repeat == nil {
				l.remember(key, ev, now, max(1, t.maxSeries/len(t.lanes)))
			} else {
				repeat.count++
				repeat.last = now
				l.recent.MoveToBack(l.series[key])
			}
			return
		}
		if !transient(err) {
			droppedEvents.WithLabelValues("refused").Inc()
			switch {
			case apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause):
				log.V(1).Info("namespace terminating; Event dropped", "regarding", ev.Regarding.Name, "reason", ev.Reason)
			case errors.Is(err, fencing.ErrNotOwner):
				log.Info("the account was handed over to another replica before its Event was written; Event dropped",
					"namespace", ev.Namespace, "regarding", ev.Regarding.Name, "reason", ev.Reason)
			default:
				log.Error(err, "the API server refused an Event; dropped", "regarding", ev.Regarding.Name, "reason", ev.Reason, "note", ev.Note)
			}
			return
		}
		if tries >= maxTries || ctx.Err() != nil {
			droppedEvents.WithLabelValues("unreachable").Inc()
			log.Error(err, "Event not written; dropped", "tries", tries, "regarding", ev.Regarding.Name, "reason", ev.Reason, "note", ev.Note)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, maxRetryDelay)
	}
}

// patchSeries counts one more occurrence of w's Event.
func (t *Trail) patchSeries(ctx context.Context, w *written, now time.Time) error {
	ev := &eventsv1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: w.namespace, Name: w.name}}
	patch, err := json.Marshal(map[string]eventsv1.EventSeries{
		"series": {Count: w.count + 1, LastObservedTime: metav1.NewMicroTime(now)}})
	if err != nil {
		return err
	}
	return t.client.Patch(ctx, ev, client.RawPatch(types.MergePatchType, patch))
}

// remember keeps what a series needs of ev, forgetting the least recently seen beyond
// most.
func (l *lane) remember(key digest, ev *eventsv1.Event, now time.Time, most int) {
	for l.recent.Len() >= most {
		l.forget(l.recent.Front())
	}
	l.series[key] = l.recent.PushBack(&written{key: key, namespace: ev.Namespace, name: ev.Name, count: 1, last: now})
}

func (l *lane) forget(e *list.Element) {
	if e == nil {
		return
	}
	delete(l.series, e.Value.(*written).key)
	l.recent.Remove(e)
}

// digestOf hashes what makes two Events the same: everything but name and times.
func digestOf(ev *eventsv1.Event) digest {
	h := sha256.New()
	ref := func(r corev1.ObjectReference) {
		fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", r.APIVersion, r.Kind, r.Namespace, r.Name, r.UID, r.FieldPath)
	}
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00", ev.Namespace, ev.Type, ev.Action, ev.Reason,
		ev.ReportingController, ev.ReportingInstance, ev.Note)
	ref(ev.Regarding)
	if ev.Related != nil {
		ref(*ev.Related)
	}
	var d digest
	h.Sum(d[:0])
	return d
}

// transient tells errors worth another attempt: the API server unreachable, overloaded
// or timing out. Anything else it said is about the Event and would be said again; an
// account another replica reconciles now (fencing.ErrNotOwner) stays its.
func transient(err error) bool {
	if errors.Is(err, fencing.ErrNotOwner) {
		return false
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		return true
	}
	return apierrors.IsServerTimeout(err) || apierrors.IsTimeout(err) || apierrors.IsTooManyRequests(err) ||
		apierrors.IsInternalError(err) || apierrors.IsServiceUnavailable(err) || apierrors.IsUnexpectedServerError(err)
}
