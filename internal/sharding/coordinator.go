package sharding

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

const (
	// minPass spaces the Coordinator's passes: a burst of events is one pass.
	minPass = 100 * time.Millisecond
	// forgetAfter is how long a Lease taken over stays, once no namespace names its
	// shard, before the Coordinator deletes it (replicas of a Deployment get new names:
	// their Leases would pile up).
	forgetAfter = 10 * time.Minute
)

var liveShards = prometheus.NewGauge(prometheus.GaugeOpts{
	Name: "workcenter_shard_live_shards",
	Help: "With --shard-accounts, on the leader: the shards whose Lease is held and renewed, over which the accounts are spread.",
})

func init() { metrics.Registry.MustRegister(liveShards) }

// Observer follows, on every replica, what the Coordinator decides from: the shards'
// Leases, with the time this replica last saw each of them change (a Lease is expired
// once it has not changed for its duration, by this replica's clock, never by the
// holder's), and the namespaces holding objects of the four kinds. Every replica
// observes, so that a replica that becomes the leader already knows for how long a dead
// shard's Lease has not changed.
type Observer struct {
	now  func() time.Time
	kick chan struct{}

	mu      sync.Mutex
	leases  map[string]*seenLease // by shard name
	objects map[string]int        // objects of the four kinds, by namespace
}

type seenLease struct {
	lease *coordinationv1.Lease
	// since is when this replica saw the Lease's resourceVersion change last.
	since time.Time
}

// NewObserver returns an empty Observer.
func NewObserver() *Observer {
	return &Observer{now: time.Now, kick: make(chan struct{}, 1), leases: map[string]*seenLease{}, objects: map[string]int{}}
}

func (o *Observer) poke() {
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// LeaseHandler follows the shards' Leases (an informer's handler).
func (o *Observer) LeaseHandler() toolscache.ResourceEventHandler {
	set := func(obj any) {
		l, ok := obj.(*coordinationv1.Lease)
		if !ok || !strings.HasPrefix(l.Name, LeasePrefix) {
			return
		}
		shard := strings.TrimPrefix(l.Name, LeasePrefix)
		o.mu.Lock()
		prev := o.leases[shard]
		if prev == nil || prev.lease.ResourceVersion != l.ResourceVersion {
			o.leases[shard] = &seenLease{lease: l.DeepCopy(), since: o.now()}
		}
		o.mu.Unlock()
		// A renewal only pushes the expiry back, which the Coordinator's timer follows; a
		// new holder (a shard that joins, releases, or is taken over) is a pass now.
		if prev == nil || holderOf(prev.lease) != holderOf(l) {
			o.poke()
		}
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    set,
		UpdateFunc: func(_, cur any) { set(cur) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			if l, ok := obj.(*coordinationv1.Lease); ok {
				o.mu.Lock()
				delete(o.leases, strings.TrimPrefix(l.Name, LeasePrefix))
				o.mu.Unlock()
				o.poke()
			}
		},
	}
}

// ObjectHandler counts the objects of a namespace (an informer's handler, for each of
// the four kinds).
func (o *Observer) ObjectHandler() toolscache.ResourceEventHandler {
	count := func(obj any, by int) {
		if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
			obj = d.Obj
		}
		m, ok := obj.(metav1.Object)
		if !ok {
			return
		}
		o.mu.Lock()
		n := o.objects[m.GetNamespace()] + by
		if n <= 0 {
			delete(o.objects, m.GetNamespace())
		} else {
			o.objects[m.GetNamespace()] = n
		}
		o.mu.Unlock()
		if n <= 1 {
			o.poke() // a namespace's first object, or its last gone
		}
	}
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { count(obj, 1) },
		DeleteFunc: func(obj any) { count(obj, -1) },
	}
}

// NamespaceHandler wakes the Coordinator when a Namespace's assignment changes (an
// acknowledgement), or one comes or goes.
func (o *Observer) NamespaceHandler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { o.poke() },
		UpdateFunc: func(old, cur any) {
			a, ok1 := old.(*corev1.Namespace)
			b, ok2 := cur.(*corev1.Namespace)
			if !ok1 || !ok2 || AssignmentOf(a.Labels, a.Annotations) != AssignmentOf(b.Labels, b.Annotations) {
				o.poke()
			}
		},
		DeleteFunc: func(any) { o.poke() },
	}
}

// view is what a pass decides from.
type view struct {
	now    time.Time
	leases map[string]*seenLease
	// objects are the namespaces holding objects.
	objects map[string]bool
}

func (o *Observer) view() view {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := view{now: o.now(), leases: make(map[string]*seenLease, len(o.leases)), objects: make(map[string]bool, len(o.objects))}
	for k, l := range o.leases {
		v.leases[k] = l
	}
	for ns := range o.objects {
		v.objects[ns] = true
	}
	return v
}

// state is the state of the shard called shard (ShardState), and when it would expire
// if it is Live.
func (v view) state(shard string) (ShardState, time.Time) {
	sl := v.leases[shard]
	if sl == nil {
		return Unknown, time.Time{}
	}
	spec := sl.lease.Spec
	switch holderOf(sl.lease) {
	case TakenOver:
		return Gone, time.Time{}
	case "":
		return Expired, time.Time{} // released
	}
	d := 15 * time.Second
	if spec.LeaseDurationSeconds != nil {
		d = time.Duration(*spec.LeaseDurationSeconds) * time.Second
	}
	expires := sl.since.Add(d)
	if !v.now.Before(expires) {
		return Expired, time.Time{}
	}
	return Live, expires
}

// The Coordinator labels the Namespaces, and a shard acknowledges a drain on its
// Namespace. The shards' Leases are in the leader election namespace, which
// config/rbac/leader_election_role.yaml already covers.
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;patch

// Coordinator assigns the namespaces to the live shards (Next), on the leader only: a
// manager Runnable that needs leader election. Its client writes the Namespaces' labels
// and the Leases it takes over; fence it with the leader election Lease
// (internal/fencing), so that an old leader resumed after a freeze writes nothing.
type Coordinator struct {
	// Client writes; Namespaces reads the Namespaces (the manager's cache).
	Client     client.Client
	Namespaces client.Reader
	Observer   *Observer
	// Namespace holds the Leases; LeaseDuration is that of the Leases created as taken
	// over.
	Namespace     string
	LeaseDuration time.Duration
	// Interval bounds the time between two passes.
	Interval time.Duration
	// Synced waits for the caches the Coordinator reads.
	Synced func(ctx context.Context) bool
}

// NeedLeaderElection is true: one replica assigns.
func (c *Coordinator) NeedLeaderElection() bool { return true }

// Start assigns until ctx ends.
func (c *Coordinator) Start(ctx context.Context) error {
	log := logf.FromContext(ctx).WithName("shard-coordinator")
	if c.Synced != nil && !c.Synced(ctx) {
		return nil
	}
	log.Info("assigning the account namespaces to the shards")
	for {
		wait := c.Pass(ctx)
		select {
		case <-ctx.Done():
			liveShards.Set(0)
			return nil
		case <-time.After(minPass):
		}
		select {
		case <-ctx.Done():
			liveShards.Set(0)
			return nil
		case <-c.Observer.kick:
		case <-time.After(wait):
		}
	}
}

// Pass takes over the Leases that expired, moves the namespaces one step each (Next),
// forgets the Leases no longer needed, and returns how long until the next pass is due
// (the next Lease to expire, Interval at most).
func (c *Coordinator) Pass(ctx context.Context) time.Duration {
	log := logf.FromContext(ctx).WithName("shard-coordinator")
	v := c.Observer.view()
	wait := c.Interval
	var live []string
	states := map[string]ShardState{}
	for shard, sl := range v.leases {
		st, expires := v.state(shard)
		switch st {
		case Live:
			live = append(live, shard)
			wait = min(wait, expires.Sub(v.now)+10*time.Millisecond)
		case Expired:
			if err := c.takeOver(ctx, sl.lease); err != nil {
				log.V(1).Info("taking an expired shard Lease over; again next pass", "shard", shard, "error", err.Error())
			} else {
				log.Info("the shard's Lease expired; taken over, its namespaces go to the live shards", "shard", shard)
				st = Gone
			}
		}
		states[shard] = st
	}
	slices.Sort(live)
	liveShards.Set(float64(len(live)))
	state := func(shard string) ShardState { return states[shard] }

	var list corev1.NamespaceList
	if err := c.Namespaces.List(ctx, &list, client.UnsafeDisableDeepCopy); err != nil {
		log.Error(err, "listing the namespaces")
		return c.Interval
	}
	named := map[string]bool{}
	for i := range list.Items {
		ns := &list.Items[i]
		cur := AssignmentOf(ns.Labels, ns.Annotations)
		var next Assignment
		switch {
		case !v.objects[ns.Name]:
			// Nothing to reconcile there: only a Gone shard's marks are cleared, so
			// that its Lease can go. A live owner keeps it (a first object may be on
			// its way to this cache).
			if cur == (Assignment{}) || (cur.Owner != "" && state(cur.Owner) != Gone) {
				next = cur
			}
		case cur.Owner != "" && state(cur.Owner) == Unknown:
			// A shard without a Lease (deleted, or a hand-written label): create it
			// as taken over, so that no process of that name can hold it meanwhile.
			if err := c.createTakenOver(ctx, cur.Owner); err != nil && !apierrors.IsAlreadyExists(err) {
				log.Error(err, "creating the Lease of a shard named by a namespace", "shard", cur.Owner, "namespace", ns.Name)
			}
			next = cur
			wait = minPass
		default:
			next = Next(ns.Name, cur, live, state)
		}
		if next != cur {
			if err := c.assign(ctx, ns, next); err != nil {
				log.V(1).Info("assigning a namespace; again next pass", "namespace", ns.Name, "error", err.Error())
				wait = minPass
			} else {
				log.V(1).Info("namespace assigned", "namespace", ns.Name, "owner", next.Owner, "drain", next.Drain, "was", cur.Owner)
				cur = next
			}
		}
		for _, s := range []string{cur.Owner, cur.Drain, cur.Drained} {
			named[s] = true
		}
	}
	for shard, sl := range v.leases {
		if states[shard] == Gone && !named[shard] && v.now.Sub(sl.since) > forgetAfter {
			err := c.Client.Delete(ctx, sl.lease, client.Preconditions{UID: &sl.lease.UID, ResourceVersion: &sl.lease.ResourceVersion})
			if err != nil && !apierrors.IsNotFound(err) {
				log.V(1).Info("deleting a shard's Lease no longer needed", "shard", shard, "error", err.Error())
			}
		}
	}
	return max(wait, minPass)
}

func holderOf(l *coordinationv1.Lease) string {
	if l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// takeOver writes TakenOver as the holder of an expired or released Lease, provided it
// is still what this replica saw (an optimistic lock): a renewal meanwhile wins.
func (c *Coordinator) takeOver(ctx context.Context, l *coordinationv1.Lease) error {
	l = l.DeepCopy()
	now := metav1.NewMicroTime(time.Now())
	l.Spec.HolderIdentity = ptr(TakenOver)
	l.Spec.AcquireTime, l.Spec.RenewTime = &now, &now
	l.Spec.LeaseDurationSeconds = ptr(int32(c.LeaseDuration / time.Second))
	return c.Client.Update(ctx, l)
}

func (c *Coordinator) createTakenOver(ctx context.Context, shard string) error {
	now := metav1.NewMicroTime(time.Now())
	return c.Client.Create(ctx, &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Namespace: c.Namespace, Name: LeaseName(shard), Labels: map[string]string{LabelLease: "true"}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: ptr(TakenOver), LeaseDurationSeconds: ptr(int32(c.LeaseDuration / time.Second)),
			AcquireTime: &now, RenewTime: &now},
	})
}

// assign writes next as ns's assignment, provided ns is still what the cache showed (an
// optimistic lock).
func (c *Coordinator) assign(ctx context.Context, ns *corev1.Namespace, next Assignment) error {
	orig := ns.DeepCopy()
	upd := ns.DeepCopy()
	setOrDelete(&upd.Labels, LabelOwner, next.Owner)
	setOrDelete(&upd.Labels, LabelDrain, next.Drain)
	setOrDelete(&upd.Annotations, AnnotationDrained, next.Drained)
	return c.Client.Patch(ctx, upd, client.MergeFromWithOptions(orig, client.MergeFromWithOptimisticLock{}))
}

func setOrDelete(m *map[string]string, k, v string) {
	if v == "" {
		delete(*m, k)
		return
	}
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[k] = v
}

func ptr[T any](v T) *T { return &v }
