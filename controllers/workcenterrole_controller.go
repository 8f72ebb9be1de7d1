package controllers

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const (
	// maxAssignedTo is how many assignments status.assignedTo lists.
	maxAssignedTo = 20
	// maxIncludedBy is how many roles status.includedBy lists.
	maxIncludedBy = 100
)

const roleController = "workcenterrole"

// WorkCenterRoleReconciler computes a role's effective permissions and who uses it, and
// holds its deletion while it is assigned or included (R6).
type WorkCenterRoleReconciler struct {
	client.Client
	// APIReader reads live from the API server, for finalizer decisions.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// book holds the account models; nil builds one per read (unit tests).
	book *accounts.Book
}

func (r *WorkCenterRoleReconciler) models() *accounts.Book { return accounts.Or(r.book, r.Client) }

// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenterroles,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenterroles/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=workcenterroles/finalizers,verbs=update

// Reconcile brings one WorkCenterRole's status and finalizer in line.
func (r *WorkCenterRoleReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var role v1alpha1.WorkCenterRole
	if err := r.Get(ctx, req.NamespacedName, &role); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.models().Touch(&role)
	step := newStatusStep(&role)
	step.written = func(before client.Object) {
		recordBlocked(r.Recorder, before.(*v1alpha1.WorkCenterRole).Status.Conditions, &role, role.Status.Conditions)
	}
	return ctrl.Result{}, step.finish(ctx, r.Client, r.reconcile(ctx, &role, step))
}

func (r *WorkCenterRoleReconciler) reconcile(ctx context.Context, role *v1alpha1.WorkCenterRole, step *statusStep) error {
	if role.DeletionTimestamp.IsZero() {
		// R6 from the first reconcile on; restored whenever something strips it.
		if err := ensureFinalizer(ctx, r.Client, role, v1alpha1.FinalizerInUseProtection, true); err != nil {
			return err
		}
		step.observed()
	}
	if err := r.models().Read(ctx, role.Namespace, func(m *model.Account) error {
		computeRoleStatus(role, m.Roles(), m.RoleAssignments(role.Name))
		return nil
	}); err != nil {
		return err
	}
	var err error
	step.gone, err = reconcileProtection(ctx, r.Client, role, &role.Status.Conditions, protection{
		finalizer: v1alpha1.FinalizerInUseProtection, reason: v1alpha1.ReasonRoleInUse,
		blocker: func(ctx context.Context) (string, error) { return r.inUseBlock(ctx, role) },
	})
	return err
}

// computeRoleStatus fills everything in status but DeletionBlocked.
func computeRoleStatus(role *v1alpha1.WorkCenterRole, roles model.Roles, assignments []v1alpha1.RoleAssignment) {
	st := &role.Status
	perms, err := roles.Effective(role.Name)
	st.BuiltIn = v1alpha1.IsBuiltInRoleName(role.Name)
	st.Permissions = perms.Sorted()
	st.MemberOnlyPermissions = perms.MemberOnly()
	st.MemberOnly = len(st.MemberOnlyPermissions) > 0
	st.Assignments = int32(len(assignments))
	st.AssignedTo = nil
	if len(assignments) > 0 {
		st.AssignedTo = slices.Clone(assignments[:min(len(assignments), maxAssignedTo)])
	}
	includedBy := roles.IncludedBy(role.Name)
	st.IncludedBy = nil
	for _, n := range includedBy[:min(len(includedBy), maxIncludedBy)] {
		st.IncludedBy = append(st.IncludedBy, v1alpha1.ObjectName(n))
	}
	st.ObservedGeneration = role.Generation

	inUse := len(assignments) > 0 || len(includedBy) > 0
	if inUse {
		setCondition(&st.Conditions, role.Generation, v1alpha1.ConditionInUse, true, v1alpha1.ReasonRoleInUse,
			fmt.Sprintf("%d assignments; included by %d roles", len(assignments), len(includedBy)))
	} else {
		setCondition(&st.Conditions, role.Generation, v1alpha1.ConditionInUse, false, v1alpha1.ReasonRoleNotInUse,
			"no collaborator holds the role and no role includes it")
	}

	var o outcome
	switch e := err.(type) {
	case *model.CycleError:
		o = stalledOutcome(v1alpha1.ReasonInclusionCycle, e.Error())
	case *model.RoleNotFoundError:
		o = waitingOutcome(v1alpha1.ReasonRoleNotFound, e.Error())
	default:
		kind := "custom"
		if st.BuiltIn {
			kind = "built-in"
		}
		o = readyOutcome(fmt.Sprintf("%s role with %d effective permissions (%d member-only)", kind, len(st.Permissions), len(st.MemberOnlyPermissions)))
	}
	setReadiness(&st.Conditions, role.Generation, o)
}

// inUseBlock decides from live reads whether the role is still assigned or included,
// and returns the message why its deletion waits ("" when it may go). Nothing holds it
// when its namespace is being deleted.
func (r *WorkCenterRoleReconciler) inUseBlock(ctx context.Context, role *v1alpha1.WorkCenterRole) (string, error) {
	if gone, err := namespaceTerminating(ctx, r.APIReader, role.Namespace); err != nil || gone {
		return "", err
	}
	var collabs v1alpha1.CollaboratorList
	if err := r.APIReader.List(ctx, &collabs, client.InNamespace(role.Namespace)); err != nil {
		return "", err
	}
	roles, err := rolesOf(ctx, r.APIReader, role.Namespace)
	if err != nil {
		return "", err
	}
	use := model.UseOf(role.Name, pointers(collabs.Items), roles)
	if !use.InUse() {
		return "", nil
	}
	return fmt.Sprintf("WorkCenterRole %q is %s; remove those first", model.Short(role.Name), use), nil
}

// SetupWithManager wires the WorkCenterRole controller: a role is woken by its own spec,
// by Collaborators that start or stop holding it, by roles that include it or that it
// includes (or did), and by WorkCenters being archived where it is held.
func (r *WorkCenterRoleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named(roleController).
		For(&v1alpha1.WorkCenterRole{}, builder.WithPredicates(ownChanges())).
		Watches(&v1alpha1.Collaborator{}, pairHandler(r.models(), r.forCollaborator), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenterRole{}, pairHandler(r.models(), r.forRole), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenter{}, mapHandler(r.models(), r.forWorkCenter), builder.WithPredicates(specOrDeletionChanged())).
		Complete(r)
}

func namedRequests(namespace string, names []string) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(names))
	for _, n := range sortedUnique(names) {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKey{Namespace: namespace, Name: n}})
	}
	return out
}

func (r *WorkCenterRoleReconciler) forCollaborator(_ context.Context, old, cur *v1alpha1.Collaborator) []reconcile.Request {
	roles := heldRoles(cur)
	if old != nil {
		roles = append(roles, heldRoles(old)...)
	}
	return namedRequests(cur.Namespace, roles)
}

// forRole wakes the roles a changed role includes (or included), for includedBy, and
// the roles that include it, directly or not, for their effective permissions.
func (r *WorkCenterRoleReconciler) forRole(ctx context.Context, old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
	if !roleAccessChanged(old, cur) {
		return nil // no other role's permissions or includedBy can change
	}
	affected := names(cur.Spec.Includes)
	if old != nil {
		affected = append(affected, names(old.Spec.Includes)...)
	}
	dependents := []string{cur.Name}
	if err := r.models().Read(ctx, cur.Namespace, func(m *model.Account) error {
		dependents = m.Roles().Dependents(cur.Name)
		return nil
	}); err != nil {
		mappingFailed(ctx, roleController, cur, err)
	}
	for _, n := range dependents {
		if n != cur.Name {
			affected = append(affected, n)
		}
	}
	return namedRequests(cur.Namespace, affected)
}

func (r *WorkCenterRoleReconciler) forWorkCenter(ctx context.Context, o client.Object) []reconcile.Request {
	var cs []*v1alpha1.Collaborator
	if err := r.models().Read(ctx, o.GetNamespace(), func(m *model.Account) error { cs = m.AssignedTo(o.GetName()); return nil }); err != nil {
		mappingFailed(ctx, roleController, o, err)
	}
	var roles []string
	for _, c := range cs {
		for _, a := range c.Spec.WorkCenters {
			if string(a.Name) == o.GetName() {
				roles = append(roles, string(a.Role))
			}
		}
	}
	return namedRequests(o.GetNamespace(), roles)
}
