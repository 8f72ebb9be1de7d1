package controllers

import (
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

// grantHold is how long, at most, the RBAC controller holds a namespace's new grants
// (the Roles and RoleBindings it creates) while the namespace still has statuses to
// write (statusBacklog): after that they are written whatever the backlog.
const grantHold = time.Minute

// statusBacklog counts, per namespace, the requests the status controllers (Account,
// WorkCenter, WorkCenterRole, Collaborator) have queued and not yet taken: the statuses
// still to write there. The RBAC controller creates a namespace's new Roles and
// RoleBindings once it has none (or after grantHold), and is told when that happens
// (idle), so that a burst (a cold start, an account applied at once) writes its statuses
// without sharing the API server with thousands of RBAC creates, each of which makes the
// API server resolve the operator's own permissions. Revocations never wait: deletes and
// updates are written at once. Its methods do nothing on a nil backlog.
type statusBacklog struct {
	mu sync.Mutex
	n  map[string]int
	// idle receives a namespace whose backlog went to zero (dropped when full: the RBAC
	// controller looks again after grantHold anyway).
	idle chan event.GenericEvent
}

// makeBacklog makes SetupAll's backlog; the controllers suite keeps what it makes
// (export_test.go), to hold a namespace's statuses as a burst would.
var makeBacklog = newStatusBacklog

func newStatusBacklog() *statusBacklog {
	return &statusBacklog{n: map[string]int{}, idle: make(chan event.GenericEvent, 1024)}
}

// queued counts a request of namespace entering a status controller's queue.
func (b *statusBacklog) queued(namespace string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.n[namespace]++
	b.mu.Unlock()
}

// taken counts a request of namespace taken by a worker.
func (b *statusBacklog) taken(namespace string) {
	if b == nil {
		return
	}
	b.mu.Lock()
	b.n[namespace]--
	idle := b.n[namespace] <= 0
	if idle {
		delete(b.n, namespace)
	}
	b.mu.Unlock()
	if idle {
		select {
		case b.idle <- event.GenericEvent{Object: &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Namespace: namespace}}}:
		default:
		}
	}
}

// pending is how many status requests of namespace are queued.
func (b *statusBacklog) pending(namespace string) int {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.n[namespace]
}
