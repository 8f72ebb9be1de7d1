package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const (
	collaboratorController = "collaborator"
	// collaboratorWorkers reconcile Collaborators in parallel.
	collaboratorWorkers = 4
	// grantRecheck is how long a license grant waits before the cached Account is
	// compared with the live one again (grantConfirmed): the cache lags by milliseconds,
	// and by up to a minute after an API server outage.
	grantRecheck = time.Second
)

// CollaboratorReconciler evaluates each assignment of a Collaborator (R2, R3, R5, R10),
// allocates licenses (R4) and protects the account's last administrator (R7).
type CollaboratorReconciler struct {
	reconciler
	// administrators serializes, per namespace, the release of last-administrator
	// finalizers (R7).
	administrators namespaceLocks
}

// +kubebuilder:rbac:groups=access.workcenter.io,resources=collaborators,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=collaborators/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=collaborators/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one Collaborator's status and finalizer in line with the account.
func (r *CollaboratorReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var c v1alpha1.Collaborator
	if err := r.Get(ctx, req.NamespacedName, &c); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.models().Touch(&c)
	step := newStatusStep(&c, r.own)
	step.written = func(before client.Object) { r.recordTransitions(before.(*v1alpha1.Collaborator), &c) }
	judged := notJudged
	res, err := step.finish(ctx, r.Client, r.reconcile(ctx, &c, step, &judged))
	if err != nil || !res.IsZero() || judged == notJudged || allInEffect(&c) {
		return res, err
	}
	// A role that came while c was judged without it skipped c if its status said all
	// in effect (forRole): c, written not in effect, is judged again.
	var appeared uint64
	if err := r.models().Read(ctx, c.Namespace, func(m *model.Account) error {
		appeared = m.RolesAppeared()
		return nil
	}); err != nil {
		return ctrl.Result{}, err
	}
	if appeared != judged {
		return ctrl.Result{RequeueAfter: time.Millisecond}, nil
	}
	return res, nil
}

// notJudged: the reconcile did not judge the Collaborator's assignments.
const notJudged = ^uint64(0)

// reconcile computes c's status; judged is set to the account model's RolesAppeared
// when c's assignments are judged.
func (r *CollaboratorReconciler) reconcile(ctx context.Context, c *v1alpha1.Collaborator, step *statusStep, judged *uint64) error {
	if c.DeletionTimestamp.IsZero() {
		// R7: every AccountAdministrator carries the finalizer, so the last one cannot go.
		if err := ensureFinalizer(ctx, r.Client, c, v1alpha1.FinalizerLastAdministrator, model.IsAccountAdministrator(c)); err != nil {
			return err
		}
		step.observed()
	}
	var account *v1alpha1.Account
	var e model.Evaluation
	now := metav1.Now().Rfc3339Copy()
	if err := r.models().Read(ctx, c.Namespace, func(m *model.Account) error {
		account, e = m.Owner(), m.Evaluate(c, "", now)
		*judged = m.RolesAppeared()
		return nil
	}); err != nil {
		return err
	}
	confirmed, err := r.grantConfirmed(ctx, c, account, e.Licensed)
	if err != nil {
		return err
	}
	if !confirmed {
		step.waitFor(grantRecheck)
		return nil
	}
	c.Status.WorkCenters = e.Statuses[:min(len(e.Statuses), model.MaxStatusAssignments)]
	c.Status.Shadowed = model.BoundShadowed(e.Shadowed)
	c.Status.WorkCenterCount = int32(len(e.Statuses))
	c.Status.Licensed = e.LicensedStatus
	c.Status.ObservedGeneration = c.Generation
	setReadiness(&c.Status.Conditions, c.Generation, model.CollaboratorReadiness(c, account, e))
	step.gone, err = reconcileProtection(ctx, r.Client, c, &c.Status.Conditions, protection{
		finalizer: v1alpha1.FinalizerLastAdministrator, reason: v1alpha1.ReasonLastAccountAdministrator,
		blocker: func(ctx context.Context) (string, error) { return r.lastAdministratorBlock(ctx, c) },
		serial:  r.administrators.of(c.Namespace),
	})
	return err
}

// grantConfirmed is R4's guard on a license granted to a Member whose status says it
// holds none: the grant is decided against the cached Account, which can lag the live
// one for up to a minute after an API server outage (client-go backs off between watch
// retries, one kind at a time), and a license granted under a limit already lowered
// breaks R4. So such a grant is confirmed only once the cached Account has the live spec
// (same UID and generation); until then the reconcile waits, writing and reporting
// nothing, and looks again after grantRecheck. One live read per grant; a Member's first
// status (nothing recorded yet) needs none, nor does anything else.
func (r *CollaboratorReconciler) grantConfirmed(ctx context.Context, c *v1alpha1.Collaborator, cached *v1alpha1.Account, licensed bool) (bool, error) {
	if !licensed || c.Status.Licensed == nil || *c.Status.Licensed || cached == nil {
		return true, nil
	}
	live, err := accountOf(ctx, r.APIReader, c.Namespace)
	if err != nil {
		return false, err
	}
	if live != nil && live.UID == cached.UID && live.Generation == cached.Generation {
		return true, nil
	}
	logf.FromContext(ctx).V(1).Info("license grant waits until the cached Account catches up with the live one",
		"account", cached.Name, "cachedGeneration", cached.Generation)
	return false, nil
}

// lastAdministratorBlock decides from live reads whether c is the account's last
// AccountAdministrator, and returns the message why its deletion waits ("" when it may
// go). It may go when the namespace or the Account is being deleted, the Account is
// Deactivated or missing, or another AccountAdministrator stays. When several are being
// deleted at once and none stays, the oldest is the one kept.
func (r *CollaboratorReconciler) lastAdministratorBlock(ctx context.Context, c *v1alpha1.Collaborator) (string, error) {
	if !model.IsAccountAdministrator(c) {
		return "", nil
	}
	if gone, err := namespaceTerminating(ctx, r.APIReader, c.Namespace); err != nil || gone {
		return "", err
	}
	account, err := accountOf(ctx, r.APIReader, c.Namespace)
	if err != nil {
		return "", err
	}
	var list v1alpha1.CollaboratorList
	if err := r.APIReader.List(ctx, &list, client.InNamespace(c.Namespace)); err != nil {
		return "", err
	}
	return model.LastAdministratorBlock(c, account, pointers(list.Items)), nil
}

// recordTransitions emits an Event for every decision that changed: assignments
// activated or rejected, a license granted or withheld, a deletion blocked. The
// assignments one reconcile activated share an Event, and so do those it rejected for
// one reason: its note names each of them (more Events when the names pass an Event
// note's size). A Collaborator created with three assignments costs the API server one
// Event for them, not three.
func (r *CollaboratorReconciler) recordTransitions(before, after *v1alpha1.Collaborator) {
	prev := map[string]v1alpha1.WorkCenterAssignmentStatus{}
	for _, s := range before.Status.WorkCenters {
		prev[s.Name] = s
	}
	var activated []string
	var reasons []string
	rejected := map[string][]string{}
	for _, s := range after.Status.WorkCenters {
		p, ok := prev[s.Name]
		if ok && p.State == s.State && p.Role == s.Role && p.Reason == s.Reason {
			continue
		}
		switch s.State {
		case v1alpha1.AssignmentActive, v1alpha1.AssignmentArchived:
			activated = append(activated, fmt.Sprintf("role %q in WorkCenter %q is in effect (%s)", s.Role, s.Name, s.State))
		case v1alpha1.AssignmentRejected:
			if rejected[s.Reason] == nil {
				reasons = append(reasons, s.Reason)
			}
			rejected[s.Reason] = append(rejected[s.Reason], fmt.Sprintf("role %q in WorkCenter %q rejected: %s", s.Role, s.Name, s.Message))
		}
	}
	for _, note := range packNotes(activated, model.MaxEventNote) {
		r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, v1alpha1.ReasonAssignmentActivated, "Assign", "%s", note)
	}
	for _, reason := range reasons {
		for _, note := range packNotes(rejected[reason], model.MaxEventNote) {
			r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, reason, "Assign", "%s", note)
		}
	}
	if was, now := before.Status.Licensed, after.Status.Licensed; now != nil && (was == nil || *was != *now) {
		if *now {
			r.Recorder.Eventf(after, nil, corev1.EventTypeNormal, v1alpha1.ReasonLicenseGranted, "License",
				"Member %q was given a license", after.Name)
		} else {
			r.Recorder.Eventf(after, nil, corev1.EventTypeWarning, v1alpha1.ReasonLicenseLimitExceeded, "License",
				"Member %q holds no license: every license is held by older Members", after.Name)
		}
	}
	recordBlocked(r.Recorder, before.Status.Conditions, after, after.Status.Conditions)
}
