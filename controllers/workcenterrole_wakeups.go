package controllers

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// SetupWithManager wires what wakes a WorkCenterRole, and why:
//
//   - the role itself (For, ownChanges): its spec, labels or deletion, our finalizer
//     stripped (R6), a status this manager did not write;
//   - a Collaborator (forCollaborator): the roles whose assignments of it (listed, by a
//     selector, by a template) and use (R6) its change alters (changedRoles);
//   - another role (forRole): the roles it includes or included (includedBy), and those
//     including it, directly or not (effective permissions), when what it grants can
//     change;
//   - a WorkCenter (forWorkCenter): the roles held there, whose assignedTo shows whether
//     the WorkCenter is archived.
func (r *WorkCenterRoleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		Named(roleController).
		For(&v1alpha1.WorkCenterRole{}, builder.WithPredicates(ownChanges(r.own, roleController))).
		Watches(&v1alpha1.Collaborator{}, pairHandler(r.models(), roleController, r.forCollaborator), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenterRole{}, pairHandler(r.models(), roleController, r.forRole), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenter{}, pairHandler(r.models(), roleController, r.forWorkCenter), builder.WithPredicates(specOrDeletionChanged()))
	return r.complete(b, controller.Options{MaxConcurrentReconciles: kindWorkers, NewQueue: r.queue}, r, r.inNamespace(&v1alpha1.WorkCenterRoleList{}))
}

// forCollaborator wakes the roles whose use by the Collaborator changes (changedRoles:
// listed, by a selector, or in a template it publishes through): all it holds when it
// appears, goes or a spec field other than its assignments changes; otherwise those whose
// assignments of it differ.
func (r *WorkCenterRoleReconciler) forCollaborator(ctx context.Context, old, cur *v1alpha1.Collaborator) []reconcile.Request {
	var roles []string
	read := false
	mapFrom(ctx, r.models(), roleController, cur, func(m *model.Account) { read, roles = true, changedRoles(m, old, cur) })
	if !read {
		roles = changedRoles(nil, old, cur)
	}
	return namedRequests(cur.Namespace, roles)
}

// forRole wakes the roles a changed role includes (or included), for includedBy, and
// the roles that include it, directly or not, for their effective permissions.
func (r *WorkCenterRoleReconciler) forRole(ctx context.Context, old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
	if !roleAccessChanged(old, cur) {
		return nil // no other role's permissions or includedBy can change
	}
	var affected []string
	for _, role := range []*v1alpha1.WorkCenterRole{old, cur} {
		if role == nil {
			continue
		}
		for _, n := range role.Spec.Includes {
			affected = append(affected, string(n))
		}
	}
	dependents := []string{cur.Name}
	mapFrom(ctx, r.models(), roleController, cur, func(m *model.Account) { dependents = m.Roles().Dependents(cur.Name) })
	for _, n := range dependents {
		if n != cur.Name {
			affected = append(affected, n)
		}
	}
	return namedRequests(cur.Namespace, affected)
}

// forWorkCenter wakes the roles the Collaborators assigned to the WorkCenter hold there.
func (r *WorkCenterRoleReconciler) forWorkCenter(ctx context.Context, old, o *v1alpha1.WorkCenter) []reconcile.Request {
	var roles []string
	mapFrom(ctx, r.models(), roleController, o, func(m *model.Account) {
		for _, c := range assignedBy(m, old, o) {
			for _, a := range m.AssignmentsOf(c) {
				if string(a.Name) == o.GetName() {
					roles = append(roles, string(a.Role))
				}
			}
			for _, sel := range c.Spec.WorkCenterSelectors { // one that stopped matching
				roles = append(roles, string(sel.Role))
			}
		}
	})
	return namedRequests(o.GetNamespace(), roles)
}
