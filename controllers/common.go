package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The list helpers below read the cache without a deep copy of every object
// (client.UnsafeDisableDeepCopy): what they return is read, never written (a write goes
// through an object read with Get). At thousands of collaborators per account, copying
// every list was most of a reconcile's cost. A live reader ignores the option.

// accountOf returns the Account that owns the namespace (model.OwningAccount), nil
// when there is none.
func accountOf(ctx context.Context, r client.Reader, namespace string) (*v1alpha1.Account, error) {
	var list v1alpha1.AccountList
	if err := r.List(ctx, &list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	return model.OwningAccount(pointers(list.Items)), nil
}

// rolesOf returns the namespace's WorkCenterRoles by name.
func rolesOf(ctx context.Context, r client.Reader, namespace string) (model.Roles, error) {
	var list v1alpha1.WorkCenterRoleList
	if err := r.List(ctx, &list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	roles := make(model.Roles, len(list.Items))
	for i := range list.Items {
		roles[list.Items[i].Name] = &list.Items[i]
	}
	return roles, nil
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
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

// statusStep is the status discipline every reconciler follows, as Cluster API's and
// Flux's deferred status patch: the status is computed from the state of the world and
// written once, at the end, only when it differs, with an optimistic lock, so a reconcile
// that read a stale object can never overwrite a newer write (it fails with a conflict
// and runs again on a fresh read). A reconcile that fails for a reason a retry can fix
// says so: Ready Unknown, reason ReconcileError, the error as message, everything else as
// it was observed and status.observedGeneration unmoved.
type statusStep struct {
	obj client.Object
	// before is obj as last read or written: the base of the patch and its lock.
	before client.Object
	// gone is set once the object's last finalizer of ours was released: it may not
	// exist any more and has nothing left to report.
	gone bool
	// written runs after a successful status write of a successful reconcile (or when
	// nothing needed writing): Events are recorded only for transitions that were stored.
	written func(before client.Object)
}

func newStatusStep(obj client.Object) *statusStep {
	s := &statusStep{obj: obj}
	s.observed()
	return s
}

// observed takes obj as it is now as the base of the status patch; call it after a
// metadata write refreshed obj from the API server.
func (s *statusStep) observed() { s.before = s.obj.DeepCopyObject().(client.Object) }

// finish writes the status for the reconcile's outcome err and returns the error the
// reconcile should return.
func (s *statusStep) finish(ctx context.Context, c client.Client, err error) error {
	if s.gone {
		return err
	}
	if err != nil {
		if retryOnly(err) {
			return err
		}
		return errors.Join(err, s.writeError(ctx, c, err))
	}
	if equality.Semantic.DeepEqual(statusOf(s.obj), statusOf(s.before)) {
		s.recordWritten()
		return nil
	}
	rememberStatus(s.obj)
	werr := c.Status().Patch(ctx, s.obj, client.MergeFromWithOptions(s.before, client.MergeFromWithOptimisticLock{}))
	switch {
	case werr == nil:
		s.recordWritten()
		return nil
	case apierrors.IsNotFound(werr):
		return nil
	case retryOnly(werr):
		return werr
	}
	// The API server refused the status itself: say so, rather than retry in silence.
	werr = fmt.Errorf("writing status: %w", werr)
	return errors.Join(werr, s.writeError(ctx, c, werr))
}

func (s *statusStep) recordWritten() {
	if s.written != nil {
		s.written(s.before)
	}
}

// writeError reports err on the object as it was observed: Ready Unknown ReconcileError.
func (s *statusStep) writeError(ctx context.Context, c client.Client, err error) error {
	failed := s.before.DeepCopyObject().(client.Object)
	conds := conditionsOf(failed)
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: v1alpha1.ConditionReady, Status: metav1.ConditionUnknown, Reason: v1alpha1.ReasonReconcileError,
		Message:            model.Bound("reconcile failed, retrying: "+err.Error(), model.MaxConditionMessage),
		ObservedGeneration: failed.GetGeneration(),
	})
	if equality.Semantic.DeepEqual(statusOf(failed), statusOf(s.before)) {
		return nil
	}
	rememberStatus(failed)
	werr := c.Status().Patch(ctx, failed, client.MergeFromWithOptions(s.before, client.MergeFromWithOptimisticLock{}))
	if werr != nil && !retryOnly(werr) && !apierrors.IsNotFound(werr) {
		logf.FromContext(ctx).Error(werr, "cannot report the reconcile error in status")
	}
	return nil
}

// retryOnly reports errors that need no report in status: a conflict (a newer version
// exists; the next read sees it) or an object that is gone.
func retryOnly(err error) bool {
	return apierrors.IsConflict(err) || apierrors.IsNotFound(err)
}

// statusOf returns the status of one of our kinds, for comparison.
func statusOf(o client.Object) any {
	switch t := o.(type) {
	case *v1alpha1.Account:
		return t.Status
	case *v1alpha1.WorkCenter:
		return t.Status
	case *v1alpha1.WorkCenterRole:
		return t.Status
	case *v1alpha1.Collaborator:
		return t.Status
	}
	panic(fmt.Sprintf("statusOf: unexpected %T", o))
}

// conditionsOf returns the conditions of one of our kinds, to set.
func conditionsOf(o client.Object) *[]metav1.Condition {
	switch t := o.(type) {
	case *v1alpha1.Account:
		return &t.Status.Conditions
	case *v1alpha1.WorkCenter:
		return &t.Status.Conditions
	case *v1alpha1.WorkCenterRole:
		return &t.Status.Conditions
	case *v1alpha1.Collaborator:
		return &t.Status.Conditions
	}
	panic(fmt.Sprintf("conditionsOf: unexpected %T", o))
}

// sortedUnique sorts names and drops repeats.
func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// protection is one of our protection finalizers and the live check that decides
// whether it still holds the object's deletion.
type protection struct {
	finalizer string
	// reason of DeletionBlocked while the finalizer holds.
	reason string
	// blocker returns why the deletion must wait, or "" when it may go. It reads live.
	blocker func(ctx context.Context) (string, error)
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
