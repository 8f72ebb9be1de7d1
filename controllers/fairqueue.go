package controllers

import (
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/controller/priorityqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Accounts are served fairly (docs/performance.md, Many accounts): each controller's
// queue is controller-runtime's priority queue, and each request enters it with a
// priority that is minus the number of requests of its namespace already waiting. A
// burst in one account (a GitOps sync of a new tenant, a mass import: thousands of
// creates) queues its requests at -1, -2, ... -n, so a single change in a quiet account,
// at 0, is served next rather than after the burst, and two busy accounts take turns.
// Within one account the order stays that of arrival. controller-runtime's own handlers
// put the initial list at its LowPriority, behind every change; a key already waiting
// keeps the higher of its priorities.

// fairQueue is the queue of a controller: the priority queue, with Add, AddAfter and
// AddRateLimited given their account's turn.
type fairQueue struct {
	priorityqueue.PriorityQueue[reconcile.Request]
	mu sync.Mutex
	// waiting are the keys of each namespace added and not yet taken by a worker.
	waiting map[string]map[reconcile.Request]struct{}
	// backlog, for the status controllers, counts those keys per namespace for the RBAC
	// controller (nil for the RBAC controller's own queue).
	backlog *statusBacklog
}

// queue is the NewQueue of a status controller: a fairQueue counted in the backlog.
func (r *reconciler) queue(name string, rateLimiter workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	q := newFairQueue(name, rateLimiter).(*fairQueue)
	q.backlog = r.backlog
	return q
}

// newFairQueue is a controller.Options.NewQueue.
func newFairQueue(name string, rateLimiter workqueue.TypedRateLimiter[reconcile.Request]) workqueue.TypedRateLimitingInterface[reconcile.Request] {
	return &fairQueue{
		PriorityQueue: priorityqueue.New(name, func(o *priorityqueue.Opts[reconcile.Request]) { o.RateLimiter = rateLimiter }),
		waiting:       map[string]map[reconcile.Request]struct{}{},
	}
}

func (q *fairQueue) Add(r reconcile.Request) { q.AddWithOpts(priorityqueue.AddOpts{}, r) }

func (q *fairQueue) AddAfter(r reconcile.Request, after time.Duration) {
	q.AddWithOpts(priorityqueue.AddOpts{After: after}, r)
}

func (q *fairQueue) AddRateLimited(r reconcile.Request) {
	q.AddWithOpts(priorityqueue.AddOpts{RateLimited: true}, r)
}

// AddWithOpts queues each request at its account's turn, unless a priority is given
// (controller-runtime's LowPriority for the initial list).
func (q *fairQueue) AddWithOpts(o priorityqueue.AddOpts, rs ...reconcile.Request) {
	if o.Priority != nil {
		q.mu.Lock()
		for _, r := range rs {
			q.enter(r)
		}
		q.mu.Unlock()
		q.PriorityQueue.AddWithOpts(o, rs...)
		return
	}
	for _, r := range rs {
		q.mu.Lock()
		turn := q.enter(r)
		q.mu.Unlock()
		one := o
		one.Priority = &turn
		q.PriorityQueue.AddWithOpts(one, r)
	}
}

// enter records r as waiting and returns its turn: minus the requests of its namespace
// waiting before it (its own earlier turn, if it is waiting already).
func (q *fairQueue) enter(r reconcile.Request) int {
	ns := q.waiting[account(r)]
	if ns == nil {
		ns = map[reconcile.Request]struct{}{}
		q.waiting[account(r)] = ns
	}
	if _, ok := ns[r]; !ok {
		ns[r] = struct{}{}
		q.backlog.queued(account(r))
	}
	return -(len(ns) - 1)
}

func (q *fairQueue) Get() (reconcile.Request, bool) {
	r, _, shutdown := q.GetWithPriority()
	return r, shutdown
}

// GetWithPriority takes the next request; it no longer waits.
func (q *fairQueue) GetWithPriority() (reconcile.Request, int, bool) {
	r, p, shutdown := q.PriorityQueue.GetWithPriority()
	if !shutdown {
		q.mu.Lock()
		if ns := q.waiting[account(r)]; ns != nil {
			if _, ok := ns[r]; ok {
				q.backlog.taken(account(r))
			}
			delete(ns, r)
			if len(ns) == 0 {
				delete(q.waiting, account(r))
			}
		}
		q.mu.Unlock()
	}
	return r, p, shutdown
}

// account is the namespace a request is about: its namespace, or its name for a
// request that names a namespace (the RBAC controller's).
func account(r reconcile.Request) string {
	if r.Namespace == "" {
		return r.Name
	}
	return r.Namespace
}
