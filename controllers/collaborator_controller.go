package controllers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const (
	collaboratorController = "collaborator"
	// collaboratorWorkers reconcile Collaborators in parallel.
	collaboratorWorkers = 4
)

// CollaboratorReconciler evaluates each assignment of a Collaborator (R2, R3, R5, R10),
// allocates licenses (R4) and protects the account's last administrator (R7).
type CollaboratorReconciler struct {
	client.Client
	// APIReader reads live from the API server, for finalizer decisions.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// book holds the account models; nil builds one per read (unit tests).
	book *accounts.Book
}

func (r *CollaboratorReconciler) models() *accounts.Book { return accounts.Or(r.book, r.Client) }

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
	step := newStatusStep(&c)
	step.written = func(before client.Object) { r.recordTransitions(before.(*v1alpha1.Collaborator), &c) }
	return ctrl.Result{}, step.finish(ctx, r.Client, r.reconcile(ctx, &c, step))
}

func (r *CollaboratorReconciler) reconcile(ctx context.Context, c *v1alpha1.Collaborator, step *statusStep) error {
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
		return nil
	}); err != nil {
		return err
	}
	if err := r.confirmGrant(ctx, c, account, e.Licensed); err != nil {
		return err
	}
	c.Status.WorkCenters = e.Statuses
	c.Status.WorkCenterCount = int32(len(e.Statuses))
	c.Status.Licensed = nil
	if model.IsMember(c) {
		c.Status.Licensed = ptr.To(e.Licensed)
	}
	c.Status.ObservedGeneration = c.Generation
	setReadiness(&c.Status.Conditions, c.Generation, collaboratorOutcome(c, account, e.Duplicate, e.Licensed, e.Statuses))
	var err error
	step.gone, err = reconcileProtection(ctx, r.Client, c, &c.Status.Conditions, protection{
		finalizer: v1alpha1.FinalizerLastAdministrator, reason: v1alpha1.ReasonLastAccountAdministrator,
		blocker: func(ctx context.Context) (string, error) { return r.lastAdministratorBlock(ctx, c) },
	})
	return err
}

// confirmGrant is R4's guard on a license granted to a Member whose status says it holds
// none: the grant is decided against the cached Account, which can lag the live one for
// up to a minute after an API server outage (client-go backs off between watch retries,
// one kind at a time), and a license granted under a limit already lowered breaks R4.
// So such a grant waits (a conflict: retried, nothing written, nothing reported) until
// the cached Account has the live spec (same generation). One live read per grant; a
// Member's first status (nothing recorded yet) needs none, nor does anything else.
func (r *CollaboratorReconciler) confirmGrant(ctx context.Context, c *v1alpha1.Collaborator, cached *v1alpha1.Account, licensed bool) error {
	if !licensed || c.Status.Licensed == nil || *c.Status.Licensed || cached == nil {
		return nil
	}
	live, err := accountOf(ctx, r.APIReader, c.Namespace)
	if err != nil {
		return err
	}
	if live != nil && live.UID == cached.UID && live.Generation == cached.Generation {
		return nil
	}
	return apierrors.NewConflict(v1alpha1.GroupVersion.WithResource("collaborators").GroupResource(), c.Name,
		fmt.Errorf("the cached Account %q lags the live one: the license waits until the cache catches up", cached.Name))
}

// collaboratorOutcome turns the evaluation into Ready: a wrong spec first (Stalled),
// then what blocks without being the spec's fault, then what is still to come.
func collaboratorOutcome(c *v1alpha1.Collaborator, account *v1alpha1.Account, duplicate *model.Violation,
	licensed bool, statuses []v1alpha1.WorkCenterAssignmentStatus) outcome {
	firstWith := func(reasons ...string) *v1alpha1.WorkCenterAssignmentStatus {
		for i := range statuses {
			if slices.Contains(reasons, statuses[i].Reason) {
				return &statuses[i]
			}
		}
		return nil
	}
	switch {
	case account == nil:
		return waitingOutcome(v1alpha1.ReasonAccountNotFound, fmt.Sprintf("waiting for an Account in namespace %q", c.Namespace))
	case duplicate != nil:
		return stalledOutcome(duplicate.Reason, duplicate.Message)
	}
	if s := firstWith(v1alpha1.ReasonRoleRequiresMember, v1alpha1.ReasonInclusionCycle); s != nil {
		return stalledOutcome(s.Reason, s.Message)
	}
	if account.Spec.State == v1alpha1.AccountDeactivated {
		return notReadyOutcome(v1alpha1.ReasonAccountDeactivated,
			fmt.Sprintf("Account %q is Deactivated: the collaborator has no access until it is Active again", model.Short(account.Name)))
	}
	if s := firstWith(v1alpha1.ReasonRoleTerminating); s != nil {
		return notReadyOutcome(s.Reason, s.Message)
	}
	if model.IsMember(c) && !licensed {
		return notReadyOutcome(v1alpha1.ReasonLicenseLimitExceeded,
			fmt.Sprintf("Account %q has %d licenses and older Members hold them all: Member %q holds none and has no access",
				model.Short(account.Name), account.Spec.Licenses, model.Short(c.Name)))
	}
	if s := firstWith(v1alpha1.ReasonWorkCenterNotFound, v1alpha1.ReasonRoleNotFound); s != nil {
		return waitingOutcome(s.Reason, s.Message)
	}
	inEffect := 0
	for _, s := range statuses {
		if model.InEffect(s.State) {
			inEffect++
		}
	}
	msg := fmt.Sprintf("%d of %d assignments in effect", inEffect, len(statuses))
	if model.IsAdministrator(c) {
		msg += fmt.Sprintf("; as %s, every permission in every WorkCenter", c.Spec.AdminRole)
	}
	return readyOutcome(msg)
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
	if !model.LastAdministratorHolds(c, account, pointers(list.Items)) {
		return "", nil
	}
	return fmt.Sprintf("Collaborator %q is the last AccountAdministrator of Account %q: make another Member an AccountAdministrator first, or deactivate the account",
		model.Short(c.Name), model.Short(account.Name)), nil
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

// packNotes joins entries with "; " into as few notes of at most max bytes as keep
// them whole and in order; an entry longer than max alone is bounded to max.
func packNotes(entries []string, max int) []string {
	var notes []string
	var cur strings.Builder
	for _, e := range entries {
		if cur.Len() > 0 && cur.Len()+len("; ")+len(e) > max {
			notes = append(notes, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("; ")
		}
		cur.WriteString(e)
	}
	if cur.Len() > 0 {
		notes = append(notes, cur.String())
	}
	for i := range notes {
		notes[i] = model.Bound(notes[i], max)
	}
	return notes
}

// SetupWithManager wires the Collaborator controller: a Collaborator is woken by its own
// spec, by its Account, by the WorkCenters and roles it is assigned (including roles that
// include those), by others sharing its email, by Members coming and going (licenses),
// and, while it is a blocked last administrator, by AccountAdministrators appearing.
func (r *CollaboratorReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(collaboratorController).
		// Collaborators are independent keys and most of an account's objects: several
		// workers keep the API server's round trips from serializing convergence.
		WithOptions(controller.Options{MaxConcurrentReconciles: collaboratorWorkers}).
		For(&v1alpha1.Collaborator{}, builder.WithPredicates(ownChanges())).
		Watches(&v1alpha1.Account{}, pairHandler(r.models(), r.forAccount), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenter{}, mapHandler(r.models(), r.forWorkCenter), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenterRole{}, pairHandler(r.models(), r.forRole), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.Collaborator{}, pairHandler(r.models(), r.forCollaborator), builder.WithPredicates(predicate.Or(specOrDeletionChanged(),
			predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
				return licenseFlipped(e.ObjectOld.(*v1alpha1.Collaborator), e.ObjectNew.(*v1alpha1.Collaborator))
			}}))).
		Complete(r)
}

// forAccount wakes the Collaborators an Account change affects: all of them when it
// appears, goes, starts being deleted or changes state; when only its licenses change,
// the Members whose recorded license is not the one R4 now gives them (staleLicenses);
// none for its display name, logo or picklists, which no Collaborator's status reads.
func (r *CollaboratorReconciler) forAccount(ctx context.Context, old, cur *v1alpha1.Account) []reconcile.Request {
	all := old == nil || old.Spec.State != cur.Spec.State || old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero()
	if !all && old.Spec.Licenses == cur.Spec.Licenses {
		return nil
	}
	var out []*v1alpha1.Collaborator
	r.mapFrom(ctx, cur, func(m *model.Account) {
		if all {
			out = m.Collaborators()
		} else {
			out = staleLicenses(m)
		}
	})
	return requestsFor(out)
}

// mapFrom runs f on the model of about's account, for a map function; a model that
// cannot be read is a mapping error.
func (r *CollaboratorReconciler) mapFrom(ctx context.Context, about client.Object, f func(*model.Account)) {
	if err := r.models().Read(ctx, about.GetNamespace(), func(m *model.Account) error { f(m); return nil }); err != nil {
		mappingFailed(ctx, collaboratorController, about, err)
	}
}

func (r *CollaboratorReconciler) forWorkCenter(ctx context.Context, o client.Object) []reconcile.Request {
	var out []*v1alpha1.Collaborator
	r.mapFrom(ctx, o, func(m *model.Account) { out = m.AssignedTo(o.GetName()) })
	return requestsFor(out)
}

// forRole wakes the holders of the role and of every role that includes it, when the
// change can touch their assignments: the role appears, goes or starts being deleted, or
// what it grants changes (includes, levels, permissions). Its display name, description
// and email options change no Collaborator's status.
func (r *CollaboratorReconciler) forRole(ctx context.Context, old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
	if !roleAccessChanged(old, cur) {
		return nil
	}
	var out []*v1alpha1.Collaborator
	r.mapFrom(ctx, cur, func(m *model.Account) {
		for _, role := range m.Roles().Dependents(cur.Name) {
			out = append(out, m.Holding(role)...)
		}
	})
	return requestsFor(out)
}

// roleAccessChanged reports whether a role event can change what the role grants, or
// whether it exists: a create or delete (old nil), the start of its deletion, or a change
// of its includes, levels or permissions.
func roleAccessChanged(old, cur *v1alpha1.WorkCenterRole) bool {
	return old == nil || old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() ||
		!equality.Semantic.DeepEqual(old.Spec.Includes, cur.Spec.Includes) ||
		old.Spec.Levels != cur.Spec.Levels ||
		!equality.Semantic.DeepEqual(old.Spec.Permissions, cur.Spec.Permissions)
}

// forCollaborator wakes the Collaborators another one's change can affect: those sharing
// its old or new email (R5), AccountAdministrators being deleted when an administrator
// comes or goes (R7), and the Members whose license the change moves (R4).
func (r *CollaboratorReconciler) forCollaborator(ctx context.Context, old, cur *v1alpha1.Collaborator) []reconcile.Request {
	var out, stale []*v1alpha1.Collaborator
	r.mapFrom(ctx, cur, func(m *model.Account) {
		for _, c := range []*v1alpha1.Collaborator{old, cur} {
			if c != nil {
				out = append(out, m.SameEmail(c)...)
			}
		}
		if model.IsAccountAdministrator(cur) || (old != nil && model.IsAccountAdministrator(old)) {
			for _, a := range m.AccountAdministrators() {
				if !a.DeletionTimestamp.IsZero() {
					out = append(out, a)
				}
			}
		}
		if membersChanged(old, cur) || licenseFlipped(old, cur) {
			stale = staleLicenses(m)
		}
	})
	reqs := append(requestsFor(out), requestsFor(stale)...)
	// The Collaborator itself is the For watch's to wake, on every event that passes
	// this watch's predicate but one: a status write of its own whose license is stale
	// (licenseFlipped), which that predicate filters out. Waking it here as well would
	// run it twice whenever its worker had started before the second wake-up.
	self := old != nil && !specOrDeletionUpdate(old, cur) &&
		slices.ContainsFunc(stale, func(c *v1alpha1.Collaborator) bool { return c.Name == cur.Name })
	return slices.DeleteFunc(reqs, func(q reconcile.Request) bool { return q.Name == cur.Name && !self })
}

// membersChanged reports whether a Collaborator event changes the account's Members,
// among whom R4 allocates licenses: a Member appears or goes, or starts being deleted
// (a Member being deleted keeps its seat until it is gone), or a type changes.
func membersChanged(old, cur *v1alpha1.Collaborator) bool {
	if old == nil {
		return model.IsMember(cur)
	}
	return model.IsMember(old) != model.IsMember(cur) ||
		(model.IsMember(cur) && old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero())
}

// licenseFlipped reports whether a status write moved a Member's license (true to false
// or back): the write may have been computed from a view older than a change already
// in the cache, and is checked against the allocation the model gives now.
func licenseFlipped(old, cur *v1alpha1.Collaborator) bool {
	return old != nil && old.Status.Licensed != nil && cur.Status.Licensed != nil &&
		*old.Status.Licensed != *cur.Status.Licensed
}

// staleLicenses returns the Members whose recorded license (status.licensed) is not the
// one R4 gives them now: the only Members a change of the Member set or of the licenses
// can affect. A Member whose reconcile raced with the change writes a license that is
// stale; that write moves its license, so it is checked again (licenseFlipped) and woken
// once more. A Member with no license recorded yet is woken too: its first reconcile may
// be under way.
func staleLicenses(m *model.Account) []*v1alpha1.Collaborator {
	var stale []*v1alpha1.Collaborator
	for i, c := range m.Members() {
		want := int32(i) < m.Licenses()
		if c.Status.Licensed == nil || *c.Status.Licensed != want {
			stale = append(stale, c)
		}
	}
	return stale
}

func requestsFor[T client.Object](objs []T) []reconcile.Request {
	seen := map[client.ObjectKey]bool{}
	var out []reconcile.Request
	for _, o := range objs {
		k := client.ObjectKeyFromObject(o)
		if !seen[k] {
			seen[k] = true
			out = append(out, reconcile.Request{NamespacedName: k})
		}
	}
	return out
}

// pairHandler is a map handler that sees both the old and the new object of an update,
// so a map function can wake what an object stopped referring to as well as what it
// refers to now. old is nil on create; on delete, old is nil and cur the deleted object.
//
// Creates of the informers' initial list map to nothing: every object of the
// controller's own kind is queued by its own initial create and reconciled once the
// caches are synced, so fanning out from each of thousands of initial creates (every
// Member woken by every Member) would only queue what is queued already.
//
// Before mapping, it touches the event's objects in the account book, so that the map
// function, and every reconcile it queues, reads a model that includes this change.
func pairHandler[T client.Object](b *accounts.Book, f func(ctx context.Context, old, cur T) []reconcile.Request) handler.EventHandler {
	var zero T
	add := func(q workqueue.TypedRateLimitingInterface[reconcile.Request], reqs []reconcile.Request) {
		for _, req := range reqs {
			q.Add(req)
		}
	}
	return handler.Funcs{
		CreateFunc: func(ctx context.Context, e event.CreateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			if !e.IsInInitialList {
				b.Touch(e.Object)
				add(q, f(ctx, zero, e.Object.(T)))
			}
		},
		UpdateFunc: func(ctx context.Context, e event.UpdateEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			b.Touch(e.ObjectNew)
			add(q, f(ctx, e.ObjectOld.(T), e.ObjectNew.(T)))
		},
		DeleteFunc: func(ctx context.Context, e event.DeleteEvent, q workqueue.TypedRateLimitingInterface[reconcile.Request]) {
			b.Touch(e.Object)
			add(q, f(ctx, zero, e.Object.(T)))
		},
	}
}

// mapHandler is handler.EnqueueRequestsFromMapFunc for a map function that needs only
// the object, with pairHandler's skipping of the initial list.
func mapHandler(b *accounts.Book, f func(ctx context.Context, o client.Object) []reconcile.Request) handler.EventHandler {
	return pairHandler(b, func(ctx context.Context, _, cur client.Object) []reconcile.Request { return f(ctx, cur) })
}
