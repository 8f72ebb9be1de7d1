package controllers

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
)

// protection is one of our protection finalizers (R6, R7, R11) and the live check that
// decides whether it still holds the object's deletion.
type protection struct {
	finalizer string
	// reason of DeletionBlocked while the finalizer holds.
	reason string
	// blocker returns why the deletion must wait, or "" when it may go. It reads live.
	blocker func(ctx context.Context) (string, error)
	// serial, when set, is held from blocker's live read until the finalizer is released:
	// decisions that read each other's objects (R7: of two administrators deleted at once,
	// the oldest is kept) must not interleave, or each could let itself go on a read taken
	// before the other's release.
	serial sync.Locker
}

// reconcileProtection keeps DeletionBlocked in line with the finalizer: absent while the
// object is not being deleted; once it is, the finalizer is released when blocker finds
// nothing (released is then true and the object may be gone), or DeletionBlocked says
// why it waits.
func reconcileProtection(ctx context.Context, c client.Client, obj client.Object, conds *[]metav1.Condition, p protection) (released bool, err error) {
	gen := obj.GetGeneration()
	if obj.GetDeletionTimestamp().IsZero() {
		setDeletionBlocked(conds, gen, false, "", "")
		return false, nil
	}
	if !controllerutil.ContainsFinalizer(obj, p.finalizer) {
		return true, nil
	}
	if p.serial != nil {
		p.serial.Lock()
		defer p.serial.Unlock()
	}
	msg, err := p.blocker(ctx)
	if err != nil {
		return false, err
	}
	if msg == "" {
		logf.FromContext(ctx).Info("releasing protection finalizer", "finalizer", p.finalizer)
		return true, ensureFinalizer(ctx, c, obj, p.finalizer, false)
	}
	setDeletionBlocked(conds, gen, true, p.reason, msg)
	return false, nil
}

// ensureFinalizer adds or removes a finalizer, writing only when that changes anything.
// An optimistic lock keeps a concurrent change of the finalizer list from being lost.
// The write refreshes obj from the API server, status included: call it before
// computing a new status.
func ensureFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string, want bool) error {
	if controllerutil.ContainsFinalizer(obj, finalizer) == want {
		return nil
	}
	before := obj.DeepCopyObject().(client.Object)
	if want {
		controllerutil.AddFinalizer(obj, finalizer)
	} else {
		controllerutil.RemoveFinalizer(obj, finalizer)
	}
	err := c.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	if apierrors.IsNotFound(err) && !want {
		return nil
	}
	return err
}

// namespaceTerminating reads the namespace live: when it is being deleted, our
// protection finalizers step aside so that deleting an account's namespace never hangs.
func namespaceTerminating(ctx context.Context, live client.Reader, namespace string) (bool, error) {
	var ns corev1.Namespace
	if err := live.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	}
	return !ns.DeletionTimestamp.IsZero(), nil
}

// namespaceLocks hands out one mutex per namespace.
type namespaceLocks struct{ m sync.Map }

func (l *namespaceLocks) of(namespace string) sync.Locker {
	mu, _ := l.m.LoadOrStore(namespace, &sync.Mutex{})
	return mu.(*sync.Mutex)
}
