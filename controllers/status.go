package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

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
	// own records the statuses this manager writes (nil: recorded nowhere).
	own *ownStatuses
	// gone is set once the object's last finalizer of ours was released: it may not
	// exist any more and has nothing left to report.
	gone bool
	// recheck, when set, ends the reconcile with nothing written and nothing reported:
	// the decision needs a cache that lags the API server, so the object is reconciled
	// again after that long.
	recheck time.Duration
	// written runs after a successful status write of a successful reconcile (or when
	// nothing needed writing): Events are recorded only for transitions that were stored.
	written func(before client.Object)
}

func newStatusStep(obj client.Object, own *ownStatuses) *statusStep {
	s := &statusStep{obj: obj, own: own}
	s.observed()
	return s
}

// observed takes obj as it is now as the base of the status patch; call it after a
// metadata write refreshed obj from the API server.
func (s *statusStep) observed() { s.before = s.obj.DeepCopyObject().(client.Object) }

// waitFor ends the reconcile without a status: it runs again after d.
func (s *statusStep) waitFor(d time.Duration) { s.recheck = d }

// finish writes the status for the reconcile's outcome err and returns what the
// reconcile returns.
func (s *statusStep) finish(ctx context.Context, c client.Client, err error) (ctrl.Result, error) {
	if err == nil && s.recheck > 0 {
		return ctrl.Result{RequeueAfter: s.recheck}, nil
	}
	return ctrl.Result{}, s.write(ctx, c, err)
}

func (s *statusStep) write(ctx context.Context, c client.Client, err error) error {
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
	s.own.remember(s.obj)
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
	s.own.remember(failed)
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

// ownStatuses holds, per object (UID), a digest of the last status this manager wrote
// or is writing: what a status-only update must carry to be its own (ownChanges); and,
// of a Collaborator, whether that status showed every assignment in effect
// (lastJudged). One is shared by the four reconcilers of a manager (SetupAll). A nil
// *ownStatuses records nothing and finds nothing foreign.
type ownStatuses struct {
	digests sync.Map // UID: ownStatus
}

type ownStatus struct {
	digest uint64
	// generation and inEffect: of a Collaborator, the generation the status was judged
	// at and whether it showed every assignment in effect (lastJudged).
	generation int64
	inEffect   bool
}

// remember records the status about to be written to o as ours. Recorded before the
// write, so the watch event of the write never overtakes it; a write that fails leaves a
// digest only that very status would match, which would be correct anyway.
func (s *ownStatuses) remember(o client.Object) {
	if s != nil {
		own := ownStatus{digest: statusDigest(o)}
		if c, ok := o.(*v1alpha1.Collaborator); ok {
			own.generation, own.inEffect = c.Status.ObservedGeneration, allInEffect(c)
		}
		s.digests.Store(o.GetUID(), own)
	}
}

// forget drops what was recorded for a deleted object.
func (s *ownStatuses) forget(o client.Object) {
	if s != nil {
		s.digests.Delete(o.GetUID())
	}
}

// foreign reports an update whose status changed to one this manager did not write.
func (s *ownStatuses) foreign(o, n client.Object) bool {
	if s == nil || equality.Semantic.DeepEqual(statusOf(o), statusOf(n)) {
		return false
	}
	ours, ok := s.digests.Load(n.GetUID())
	return !ok || ours.(ownStatus).digest != statusDigest(n)
}

// lastJudged reports whether the last status this manager wrote or is writing to c,
// judged at c's generation, showed every assignment in effect; known is false when it
// wrote none at that generation. The cache can still show an earlier status than that
// write.
func (s *ownStatuses) lastJudged(c *v1alpha1.Collaborator) (inEffect, known bool) {
	if s == nil {
		return false, false
	}
	v, ok := s.digests.Load(c.UID)
	if !ok || v.(ownStatus).generation != c.Generation {
		return false, false
	}
	return v.(ownStatus).inEffect, true
}

// statusDigest is a digest of an object's status as it is stored (JSON: times to the
// second, as the API server keeps them).
func statusDigest(o client.Object) uint64 {
	data, err := json.Marshal(statusOf(o))
	if err != nil {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write(data)
	return h.Sum64()
}
