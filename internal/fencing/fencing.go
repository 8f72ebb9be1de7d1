// Package fencing keeps a manager that may have lost its leader election lease from
// writing. client-go's elector learns that it lost the lease only after RenewDeadline of
// failed renewals: a leader frozen past its lease (a long GC pause, a partition, a
// stopped process) runs its controllers for that long once it resumes, on a cache that
// missed what changed meanwhile, while another manager already leads. Lock records when
// this process last renewed the lease for sure, and Client refuses every write once that
// is older than the window the lease can be trusted for, so the old leader's stale
// reconciles fail instead of overwriting the new leader's work.
package fencing

import (
	"context"
	"errors"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// ErrLeaseNotHeld is the error of a write refused because the lease may be lost.
var ErrLeaseNotHeld = errors.New("not writing: this manager has not renewed its leader election lease recently and may no longer lead")

// ErrNotOwner is the error of a write refused because it goes into an account
// (namespace) that another replica reconciles: with accounts sharded over replicas
// (internal/sharding), each replica writes only into the accounts assigned to it.
var ErrNotOwner = errors.New("not writing: the account (namespace) is not assigned to this replica's shard")

// Lock is a leader election lock that remembers the last time this process held the
// lease for sure: the start of its last successful acquisition or renewal.
type Lock struct {
	resourcelock.Interface
	// Window is how long after a renewal writes are trusted: the renew deadline, under
	// the lease duration other managers wait before they take over.
	Window time.Duration

	mu      sync.Mutex
	renewed time.Time
	now     func() time.Time
}

// NewLock wraps lock; writes are trusted for window after each renewal.
func NewLock(lock resourcelock.Interface, window time.Duration) *Lock {
	return &Lock{Interface: lock, Window: window, now: time.Now}
}

// Create acquires the lease for the first time.
func (l *Lock) Create(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	start := l.now()
	err := l.Interface.Create(ctx, ler)
	l.record(start, ler, err)
	return err
}

// Update renews or acquires the lease, or releases it (an empty holder).
func (l *Lock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	start := l.now()
	err := l.Interface.Update(ctx, ler)
	l.record(start, ler, err)
	return err
}

func (l *Lock) record(start time.Time, ler resourcelock.LeaderElectionRecord, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case err != nil:
	case ler.HolderIdentity == l.Identity():
		l.renewed = start
	default: // released, or written for another holder
		l.renewed = time.Time{}
	}
}

// Held reports whether the lease was renewed within the window.
func (l *Lock) Held() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.renewed.IsZero() && l.now().Sub(l.renewed) < l.Window
}

// Client wraps c so that every write (create, update, patch, delete, and their
// subresource forms) fails with ErrLeaseNotHeld unless lock is held; reads pass. A nil
// lock (no leader election) fences nothing.
func Client(c client.WithWatch, lock *Lock) client.WithWatch {
	if lock == nil {
		return c
	}
	held := func() error {
		if !lock.Held() {
			return ErrLeaseNotHeld
		}
		return nil
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.Patch(ctx, obj, patch, opts...)
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.Apply(ctx, obj, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.Delete(ctx, obj, opts...)
		},
		DeleteAllOf: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.DeleteAllOf(ctx, obj, opts...)
		},
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.SubResource(sub).Create(ctx, obj, subObj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
		SubResourceApply: func(ctx context.Context, c client.Client, sub string, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
			if err := held(); err != nil {
				return err
			}
			return c.SubResource(sub).Apply(ctx, obj, opts...)
		},
	})
}
