package controllers

import (
	"context"
	"slices"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// SetupWithManager wires what wakes an Account, and why:
//
//   - the Account itself (For, ownChanges): its spec, labels or deletion, our finalizer
//     stripped (R11), a status this manager did not write;
//   - another Account of its namespace (otherAccounts): which of them owns the
//     namespace may move;
//   - a Collaborator or a WorkCenter of its namespace (accountsInNamespace): the
//     Account counts them, and guards its deletion while they exist (R11);
//   - a WorkCenterRole of its namespace (forRole): any change of a built-in role, to
//     restore it (R9), and a custom role appearing, going or starting to be deleted
//     (R11 counts them).
func (r *AccountReconciler) SetupWithManager(mgr ctrl.Manager) error {
	toAccounts := mapHandler(r.models(), accountController, r.accountsInNamespace)
	b := ctrl.NewControllerManagedBy(mgr).
		Named(accountController).
		For(&v1alpha1.Account{}, builder.WithPredicates(ownChanges(r.own, accountController))).
		Watches(&v1alpha1.Account{}, mapHandler(r.models(), accountController, r.otherAccounts), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.Collaborator{}, toAccounts, builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenter{}, toAccounts, builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenterRole{}, pairHandler(r.models(), accountController, r.forRole), builder.WithPredicates(specOrDeletionChanged()))
	return r.complete(b, controller.Options{MaxConcurrentReconciles: kindWorkers, NewQueue: r.queue}, r, r.inNamespace(&v1alpha1.AccountList{}))
}

// forRole wakes the namespace's Accounts for a built-in role, whatever changed (to
// restore it, R9), and for a custom role that appears, goes or starts being deleted (R11
// counts them); a custom role's spec is nothing an Account reads.
func (r *AccountReconciler) forRole(ctx context.Context, old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
	if old != nil && !v1alpha1.IsBuiltInRoleName(cur.Name) &&
		old.DeletionTimestamp.IsZero() == cur.DeletionTimestamp.IsZero() {
		return nil
	}
	return r.accountsInNamespace(ctx, cur)
}

// otherAccounts wakes the other Accounts of the namespace when one appears, goes or
// changes (which of them owns the namespace may move); the Account itself is the For
// watch's to wake, and waking it twice for one event runs it twice.
func (r *AccountReconciler) otherAccounts(ctx context.Context, o client.Object) []reconcile.Request {
	return slices.DeleteFunc(r.accountsInNamespace(ctx, o), func(q reconcile.Request) bool { return q.Name == o.GetName() })
}

// accountsInNamespace wakes every Account of o's namespace.
func (r *AccountReconciler) accountsInNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	var accounts []*v1alpha1.Account
	mapFrom(ctx, r.models(), accountController, o, func(m *model.Account) { accounts = m.Accounts() })
	return requestsFor(accounts)
}
