package controllers

import (
	"context"
	"fmt"
	"slices"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
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
type WorkCenterRoleReconciler struct{ reconciler }

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
	step := newStatusStep(&role, r.own)
	step.written = func(before client.Object) {
		recordBlocked(r.Recorder, before.(*v1alpha1.WorkCenterRole).Status.Conditions, &role, role.Status.Conditions)
	}
	return step.finish(ctx, r.Client, r.reconcile(ctx, &role, step))
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
		computeRoleStatus(role, m)
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

// computeRoleStatus fills everything in status but DeletionBlocked, from the account
// model: the role's effective permissions, and who holds or includes it (R6).
func computeRoleStatus(role *v1alpha1.WorkCenterRole, m *model.Account) {
	st := &role.Status
	perms, err := m.Effective(role.Name)
	st.BuiltIn = v1alpha1.IsBuiltInRoleName(role.Name)
	st.Permissions = perms.Sorted()
	st.MemberOnlyPermissions = perms.MemberOnly()
	st.MemberOnly = perms.IsMemberOnly()
	assignments := m.RoleAssignments(role.Name)
	st.Assignments = int32(len(assignments))
	st.AssignedTo = nil
	if len(assignments) > 0 {
		st.AssignedTo = slices.Clone(assignments[:min(len(assignments), maxAssignedTo)])
	}
	includedBy := m.Roles().IncludedBy(role.Name)
	st.IncludedBy = nil
	for _, n := range includedBy[:min(len(includedBy), maxIncludedBy)] {
		st.IncludedBy = append(st.IncludedBy, v1alpha1.ObjectName(n))
	}
	st.ObservedGeneration = role.Generation

	// R6's own test of use, as the finalizer's release decides it from live reads.
	if m.UseOf(role.Name).InUse() {
		setCondition(&st.Conditions, role.Generation, v1alpha1.ConditionInUse, true, v1alpha1.ReasonRoleInUse,
			fmt.Sprintf("%d assignments; included by %d roles", len(assignments), len(includedBy)))
	} else {
		setCondition(&st.Conditions, role.Generation, v1alpha1.ConditionInUse, false, v1alpha1.ReasonRoleNotInUse,
			"no collaborator holds the role and no role includes it")
	}

	setReadiness(&st.Conditions, role.Generation, model.RoleReadiness(st.BuiltIn, perms, err))
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
