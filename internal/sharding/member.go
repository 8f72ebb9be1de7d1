package sharding

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/workcenter-io/workcenter-operator/internal/fencing"
)

// ErrLeaseNotHeld is the error of a write refused because this replica's shard Lease
// was not renewed within the renew deadline: its accounts may be another's by now.
var ErrLeaseNotHeld = errors.New("not writing: this replica has not renewed its shard Lease recently; its accounts may be another replica's now")

const (
	// drainEventWait bounds how long a handover waits for the Events of the namespace
	// still queued in the audit trail (hurried, they are written in well under a
	// second); past it they are dropped (fencing.ErrNotOwner) rather than holding the
	// account back.
	drainEventWait = 10 * time.Second
	// recheck is how soon a namespace's handover step is tried again: a drain waiting
	// for its Events, an acknowledgement or a confirmation that failed.
	recheck    = 50 * time.Millisecond
	retryAfter = time.Second
	// handoverWorkers take the namespaces' handover steps (a live read to confirm each
	// assignment, an acknowledgement): a replica starting among thousands of accounts
	// confirms them in parallel.
	handoverWorkers = 4
)

var ownedNamespaces = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "workcenter_shard_owned_namespaces",
	Help: "With --shard-accounts, the account namespaces this replica's shard reconciles now.",
})

func init() { metrics.Registry.MustRegister(ownedNamespaces) }

// Options configure a Member.
type Options struct {
	// Name is the shard's name: its Lease is LeaseName(Name), the namespaces it owns are
	// labelled LabelOwner=Name. Unique among the replicas (the Pod's name), a DNS label.
	Name string
	// Namespace holds the shards' Leases: the leader election namespace.
	Namespace string
	// LeaseDuration, RenewDeadline and RetryPeriod are the Lease's, as leader election's.
	// Writes are trusted for RenewDeadline after each renewal.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
}

// Validate reports a name that cannot name a shard.
func (o Options) Validate() error {
	if errs := validation.IsDNS1123Label(o.Name); len(errs) > 0 {
		return fmt.Errorf("shard name %q: %v", o.Name, errs)
	}
	if errs := validation.IsDNS1123Subdomain(LeaseName(o.Name)); len(errs) > 0 {
		return fmt.Errorf("shard Lease name %q: %v", LeaseName(o.Name), errs)
	}
	if o.Namespace == "" {
		return errors.New("the shards' Lease namespace is not set")
	}
	if o.RenewDeadline <= 0 || o.RenewDeadline >= o.LeaseDuration || o.RetryPeriod <= 0 {
		return fmt.Errorf("shard Lease timings: renew deadline %s must be positive and under the lease duration %s, and the retry period %s positive",
			o.RenewDeadline, o.LeaseDuration, o.RetryPeriod)
	}
	return nil
}

// state is what a replica does with one namespace.
type state int

const (
	// absent: not this shard's (kept only while a write or reconcile of it ends).
	absent state = iota
	// confirming: labelled this shard's; waits for a live read of the Namespace to say
	// so too before anything of it runs (the cache may be behind).
	confirming
	// owned: reconciled here.
	owned
	// draining: being handed over; no reconcile starts, those running finish.
	draining
	// released: handed over; nothing of it runs or is written here. The
	// acknowledgement (AnnotationDrained) is written until seen.
	released
)

// space is one namespace, as this replica's shard sees it.
type space struct {
	state state
	// seen is the Namespace's assignment as the cache last showed it.
	seen Assignment
	// reconciles and writes are those of the namespace in flight.
	reconciles, writes int
	// drainStart is when the drain began (drainEventWait).
	drainStart time.Time
}

func (s *space) idle() bool { return s.reconciles == 0 && s.writes == 0 }

// Member is a replica's shard: it holds the shard's Lease, follows which namespaces the
// shard owns (from the Namespaces' labels), admits the reconciles and the writes of
// those only (Begin, Fence), hands namespaces over when the Coordinator drains them,
// and wakes the controllers for the namespaces it gains (OnGained). It implements the
// controllers' Ownership. A manager Runnable that does not need leader election.
type Member struct {
	opts     Options
	identity string
	lock     *shardLock
	// live reads the Namespace to confirm an assignment, and writes the
	// acknowledgements (AnnotationDrained): a client without a cache.
	live client.Client
	now  func() time.Time

	mu       sync.Mutex
	closed   bool // the Lease was lost or released: nothing is written again
	leading  bool // the Lease is held (acquired, not yet lost)
	spaces   map[string]*space
	inflight int // writes in flight, all namespaces
	owned    int
	gained   []func(namespace string)
	holds    []holdBack
	queue    workqueue.TypedDelayingInterface[string]
}

// holdBack is work of a namespace done outside reconciles (the audit trail's queued
// Events): a handover waits until none is pending.
type holdBack struct {
	pending func(namespace string) int
	hurry   func(namespace string)
}

// NewMember returns the shard of this replica; lock is the Lease lock (a LeaseLock named
// LeaseName(opts.Name) in opts.Namespace, whose identity is unique to this process) and
// live a client without a cache.
func NewMember(opts Options, lock resourcelock.Interface, live client.Client) (*Member, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	m := &Member{
		opts: opts, identity: lock.Identity(), live: live, now: time.Now,
		spaces: map[string]*space{},
		queue:  workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{}),
	}
	m.lock = &shardLock{Lock: fencing.NewLock(lock, opts.RenewDeadline), m: m}
	return m, nil
}

// Identity is a holder identity for the shard's Lease: the shard's name and a UUID of
// this process.
func Identity(name string) string { return name + "_" + string(uuid.NewUUID()) }

// Name is the shard's name.
func (m *Member) Name() string { return m.opts.Name }

// NeedLeaderElection is false: every replica is a shard.
func (m *Member) NeedLeaderElection() bool { return false }

// Start holds the shard's Lease until ctx ends (then releases it, once nothing is
// written any more) or the Lease is lost (then it returns an error: the manager stops,
// as it does when it loses the leader election Lease).
func (m *Member) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("shard").WithValues("shard", m.opts.Name)
	work, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range handoverWorkers {
		wg.Go(func() { m.work(work) })
	}
	defer func() { m.queue.ShutDown(); stop(); wg.Wait() }()
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock: m.lock, Name: LeaseName(m.opts.Name), ReleaseOnCancel: true,
		LeaseDuration: m.opts.LeaseDuration, RenewDeadline: m.opts.RenewDeadline, RetryPeriod: m.opts.RetryPeriod,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				log.Info("holding the shard Lease", "lease", LeaseName(m.opts.Name), "identity", m.identity)
				m.started()
			},
			OnStoppedLeading: m.close,
		},
	})
	if err != nil {
		return err
	}
	le.Run(ctx)
	m.close()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("shard %s: lost its Lease %s/%s", m.opts.Name, m.opts.Namespace, LeaseName(m.opts.Name))
}

func (m *Member) started() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.leading = true
	for name, s := range m.spaces {
		if s.state == owned {
			m.notify(name)
		}
	}
}

// close stops every write and every reconcile, for good: the Lease is lost or released.
func (m *Member) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed, m.leading = true, false
}

// closeAndWait closes and waits until no write is in flight, or ctx ends (an error: the
// Lease is then not released, and expires).
func (m *Member) closeAndWait(ctx context.Context) error {
	m.close()
	for {
		m.mu.Lock()
		n := m.inflight
		m.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d writes still in flight: %w", n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// --- What the controllers ask (controllers.Ownership) ---

// Owns reports whether this shard reconciles namespace now: events of the others wake
// nothing here.
func (m *Member) Owns(namespace string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.spaces[namespace]
	return s != nil && s.state == owned
}

// Begin admits a reconcile of namespace: run is false when this shard does not own it
// now (the request is dropped; should it gain the namespace, OnGained wakes it), or,
// with retry > 0, when it owns it but its Lease is not held just now (not yet acquired,
// or not renewed within the renew deadline: the request waits retry). Else end must be
// called once the reconcile is over: a drain waits for it.
func (m *Member) Begin(namespace string) (end func(), run bool, retry time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.spaces[namespace]
	if s == nil || s.state != owned || m.closed {
		return nil, false, 0
	}
	if !m.leading || !m.lock.Held() {
		return nil, false, m.opts.RetryPeriod
	}
	s.reconciles++
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		s.reconciles--
		m.settle(namespace, s)
	}, true, 0
}

// OnGained registers f, called (in a goroutine of its own) with each namespace this
// shard starts to reconcile, so that the controllers queue its objects: their events
// were not this shard's to follow until then.
func (m *Member) OnGained(f func(namespace string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gained = append(m.gained, f)
}

// HoldBack registers work of a namespace done outside reconciles: a handover waits
// (drainEventWait at most) until pending reports none, asking hurry to do it at once.
func (m *Member) HoldBack(pending func(namespace string) int, hurry func(namespace string)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.holds = append(m.holds, holdBack{pending, hurry})
}

// notify runs the OnGained functions for namespace; m.mu is held.
func (m *Member) notify(namespace string) {
	if !m.leading {
		return // started() notifies every owned namespace
	}
	for _, f := range m.gained {
		go f(namespace)
	}
}

// admit admits a write into namespace ("" for a cluster-scoped object): refused once the
// Lease is lost, released or not renewed within the renew deadline, and into a namespace
// this shard does not own (or drains, for the reconciles already running). done must be
// called once the write returns.
func (m *Member) admit(namespace string) (done func(), err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || !m.leading || !m.lock.Held() {
		return nil, ErrLeaseNotHeld
	}
	var s *space
	if namespace != "" {
		s = m.spaces[namespace]
		if s == nil || (s.state != owned && s.state != draining) {
			return nil, fmt.Errorf("%w: namespace %s (shard %s)", fencing.ErrNotOwner, namespace, m.opts.Name)
		}
		s.writes++
	}
	m.inflight++
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.inflight--
		if s != nil {
			s.writes--
			m.settle(namespace, s)
		}
	}, nil
}

// --- The Namespaces' labels ---

// Observe follows a Namespace's assignment, as the cache shows it (deleted: gone).
func (m *Member) Observe(ns *corev1.Namespace, deleted bool) {
	a := AssignmentOf(ns.Labels, ns.Annotations)
	me := m.opts.Name
	mine := !deleted && a.Owner == me
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.spaces[ns.Name]
	if s == nil {
		if !mine {
			return
		}
		s = &space{}
		m.spaces[ns.Name] = s
	}
	s.seen = a
	switch {
	case !mine:
		m.set(s, absent)
		m.settle(ns.Name, s)
	case a.Drain == me:
		switch s.state {
		case absent, confirming: // never ran here: handed over at once
			m.set(s, released)
			m.queue.Add(ns.Name)
		case owned:
			m.set(s, draining)
			s.drainStart = m.now()
			m.queue.Add(ns.Name)
		case draining:
			m.queue.Add(ns.Name)
		case released:
			if a.Drained != me {
				m.queue.Add(ns.Name)
			}
		}
	default:
		switch s.state {
		case absent, released:
			m.set(s, confirming)
			m.queue.Add(ns.Name)
		case draining: // the drain is called off: it never stopped being ours
			m.set(s, owned)
			m.notify(ns.Name)
		}
	}
}

// set moves s to st, counting the owned; m.mu is held.
func (m *Member) set(s *space, st state) {
	if s.state == owned {
		m.owned--
	}
	if st == owned {
		m.owned++
	}
	s.state = st
	ownedNamespaces.Set(float64(m.owned))
}

// settle forgets an absent namespace with nothing in flight, and checks a draining one
// once idle; m.mu is held.
func (m *Member) settle(namespace string, s *space) {
	switch {
	case s.state == absent && s.idle():
		if m.spaces[namespace] == s {
			delete(m.spaces, namespace)
		}
	case s.state == draining && s.idle():
		m.queue.Add(namespace)
	}
}

// --- The handover steps (one worker) ---

func (m *Member) work(ctx context.Context) {
	for {
		name, shutdown := m.queue.Get()
		if shutdown {
			return
		}
		m.step(ctx, name)
		m.queue.Done(name)
	}
}

// step takes the namespace's next step: confirm it, finish its drain, or acknowledge
// the drain.
func (m *Member) step(ctx context.Context, name string) {
	m.mu.Lock()
	s := m.spaces[name]
	if s == nil {
		m.mu.Unlock()
		return
	}
	st, seen, idle := s.state, s.seen, s.idle()
	holds := m.holds
	m.mu.Unlock()
	log := logf.FromContext(ctx).WithName("shard").WithValues("shard", m.opts.Name, "namespace", name)
	switch st {
	case confirming:
		var ns corev1.Namespace
		if err := m.live.Get(ctx, client.ObjectKey{Name: name}, &ns); err != nil {
			log.Error(err, "confirming the namespace's assignment")
			m.queue.AddAfter(name, retryAfter)
			return
		}
		a := AssignmentOf(ns.Labels, ns.Annotations)
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.spaces[name] != s || s.state != confirming {
			return
		}
		if a.Owner == m.opts.Name && a.Drain != m.opts.Name {
			m.set(s, owned)
			log.Info("reconciling the namespace's account")
			m.notify(name)
			return
		}
		// The cache is behind the API server: its next event decides.
		m.queue.AddAfter(name, retryAfter)
	case draining:
		if !idle {
			return // the last reconcile or write to end queues it again
		}
		pending := 0
		for _, h := range holds {
			if n := h.pending(name); n > 0 {
				pending += n
				h.hurry(name)
			}
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.spaces[name] != s || s.state != draining || !s.idle() {
			return
		}
		if pending > 0 && m.now().Sub(s.drainStart) < drainEventWait {
			m.queue.AddAfter(name, recheck)
			return
		}
		if pending > 0 {
			log.Info("handing the namespace over with Events of it still queued; they are dropped", "events", pending)
		}
		m.set(s, released)
		m.queue.Add(name)
	case released:
		if seen.Owner != m.opts.Name || seen.Drain != m.opts.Name || seen.Drained == m.opts.Name {
			return
		}
		if err := m.acknowledge(ctx, name); err != nil {
			log.V(1).Info("acknowledging the drain; again shortly", "error", err.Error())
			m.queue.AddAfter(name, recheck)
			return
		}
		log.Info("handed the namespace's account over")
	}
}

// acknowledge writes AnnotationDrained=this shard on the Namespace, provided it still
// says owner and drain this shard (an optimistic lock on what the live read returned).
func (m *Member) acknowledge(ctx context.Context, name string) error {
	var ns corev1.Namespace
	if err := m.live.Get(ctx, client.ObjectKey{Name: name}, &ns); err != nil {
		return err
	}
	a := AssignmentOf(ns.Labels, ns.Annotations)
	if a.Owner != m.opts.Name || a.Drain != m.opts.Name || a.Drained == m.opts.Name {
		return nil // the drain was called off, or is acknowledged: the cache will tell
	}
	orig := ns.DeepCopy()
	if ns.Annotations == nil {
		ns.Annotations = map[string]string{}
	}
	ns.Annotations[AnnotationDrained] = m.opts.Name
	return m.live.Patch(ctx, &ns, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
}

// --- The Lease ---

// errLeaseGone refuses a renewal once the shard gave its Lease up or lost it, and a
// second acquisition by the same process: between the two, the Coordinator may have
// handed its namespaces to others while this process could not tell (frozen,
// partitioned), so it must start again with a fresh cache.
var errLeaseGone = errors.New("the shard's Lease was lost or released by this process; it is not acquired again (restart the process)")

// shardLock is the Lease lock of a Member: a fencing.Lock (writes trusted for
// RenewDeadline after each renewal) that is acquired once per process, and that closes
// the Member and waits for its writes in flight before it releases the Lease.
type shardLock struct {
	*fencing.Lock
	m *Member

	mu       sync.Mutex
	acquired time.Time // the AcquireTime of this process's acquisition
	once     bool      // acquired once
}

func (l *shardLock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	if l.refused(ler) {
		return errLeaseGone
	}
	err := l.Lock.Create(ctx, ler)
	l.record(ler, err)
	return err
}

func (l *shardLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	if ler.HolderIdentity == "" {
		// A release: nothing may be written once the Lease is free.
		if err := l.m.closeAndWait(ctx); err != nil {
			return fmt.Errorf("not releasing the shard Lease: %w", err)
		}
		return l.Lock.Update(ctx, ler)
	}
	if l.refused(ler) {
		return errLeaseGone
	}
	err := l.Lock.Update(ctx, ler)
	l.record(ler, err)
	return err
}

// refused reports a write of the Lease this process must not make: after the Member
// closed, or an acquisition other than its first (a renewal keeps the AcquireTime).
func (l *shardLock) refused(ler resourcelock.LeaderElectionRecord) bool {
	l.m.mu.Lock()
	closed := l.m.closed
	l.m.mu.Unlock()
	if closed {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.once && ler.AcquireTime.Time.Sub(l.acquired).Abs() >= time.Millisecond {
		l.m.close()
		return true
	}
	return false
}

func (l *shardLock) record(ler resourcelock.LeaderElectionRecord, err error) {
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.once {
		l.acquired, l.once = ler.AcquireTime.Time, true
	}
}
