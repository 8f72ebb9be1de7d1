package controllers

import (
	"context"
	"slices"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// specCoalescing is how long a WorkCenter waits, after a Collaborator assigned to it
// appears, goes or changes its spec, before it is recounted; statusCoalescing, after a
// Collaborator's status write that can move its count. A key already waiting keeps its
// earlier time, so the events of that while are counted at once: a new Collaborator's own
// first status write, which follows its creation by milliseconds, is counted with it (one
// recount, not two), and a burst (an account applied, the manager started on thousands of
// objects) brings one recount per WorkCenter per statusCoalescing instead of one per write.
const (
	specCoalescing   = 500 * time.Millisecond
	statusCoalescing = 2 * time.Second
)

// SetupWithManager wires what wakes a WorkCenter, and why:
//
//   - the WorkCenter itself (For, ownChanges): its spec, labels or deletion, a status
//     this manager did not write;
//   - its Account (forAccount): every WorkCenter when the Account appears, goes or
//     starts being deleted, its workCenterCategories change (R8), or its state or
//     licenses change (which assignments are in effect);
//   - a WorkCenterRole (forRole, coalesced): the WorkCenters of the holders whose
//     assignments' state it can change (model.Account.HoldersReached; all holders of it
//     and its dependents when it appears or goes), after specCoalescing, so that a count
//     follows a role at once rather than after its holders' status writes;
//   - a Collaborator (forCollaborator, coalesced): the WorkCenters it is or was assigned
//     to, when it appears, goes or changes its spec (after specCoalescing), and when its
//     status shows an assignment going in or out of effect (after statusCoalescing),
//     which is how a change of a role, a license or the Account reaches the count.
func (r *WorkCenterReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		Named(workCenterController).
		For(&v1alpha1.WorkCenter{}, builder.WithPredicates(ownChanges(r.own, workCenterController))).
		Watches(&v1alpha1.Account{}, pairHandler(r.models(), workCenterController, r.forAccount), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenter{}, coalesced(pairHandler(r.models(), workCenterController, r.forTemplate), specCoalescing, specCoalescing),
			builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenterRole{}, coalesced(pairHandler(r.models(), workCenterController, r.forRole), specCoalescing, specCoalescing),
			builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.Collaborator{}, coalesced(pairHandler(r.models(), workCenterController, r.forCollaborator), specCoalescing, statusCoalescing))
	return r.complete(b, controller.Options{MaxConcurrentReconciles: kindWorkers, NewQueue: r.queue}, r, r.inNamespace(&v1alpha1.WorkCenterList{}))
}

// forAccount wakes the namespace's WorkCenters when what their status reads of the
// Account changes: all of them when it appears or goes, its workCenterCategories change
// (R8) or its state changes (which assignments are in effect, so the counts); when only
// its licenses change, those of the Members whose license moves (R4).
func (r *WorkCenterReconciler) forAccount(ctx context.Context, old, cur *v1alpha1.Account) []reconcile.Request {
	all := old == nil || old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() ||
		!slices.Equal(old.Spec.Picklists.WorkCenterCategories, cur.Spec.Picklists.WorkCenterCategories) ||
		old.Spec.State != cur.Spec.State
	if !all && old.Spec.Licenses == cur.Spec.Licenses {
		return nil
	}
	var names []string
	mapFrom(ctx, r.models(), workCenterController, cur, func(m *model.Account) {
		if all {
			for _, wc := range m.WorkCenters() {
				names = append(names, wc.Name)
			}
			return
		}
		// Only the licenses: the WorkCenters of the Members whose license moves
		// (staleLicenses, as for their own statuses).
		for _, c := range staleLicenses(m.MemberLicenses()) {
			for _, a := range m.AssignmentsOf(c) {
				names = append(names, string(a.Name))
			}
		}
	})
	return namedRequests(cur.Namespace, names)
}

// forTemplate wakes the WorkCenters publishing from a WorkCenter that comes, goes, or
// changes its template flag or collaboratorsFrom (their readiness and counts), and those
// its labels assign people to.
func (r *WorkCenterReconciler) forTemplate(ctx context.Context, old, cur *v1alpha1.WorkCenter) []reconcile.Request {
	if old != nil && !model.WorkCenterSourcesChanged(old, cur) {
		return nil
	}
	var wcs []string
	mapFrom(ctx, r.models(), workCenterController, cur, func(m *model.Account) {
		for _, w := range m.WorkCenters() {
			if string(w.Spec.CollaboratorsFrom) == cur.Name {
				wcs = append(wcs, w.Name)
			}
		}
	})
	return namedRequests(cur.Namespace, slices.DeleteFunc(wcs, func(n string) bool { return n == cur.Name }))
}

// forRole wakes the WorkCenters of the holders a role change can move in or out of
// effect.
func (r *WorkCenterReconciler) forRole(ctx context.Context, old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
	if !roleAccessChanged(old, cur) {
		return nil
	}
	var wcs []string
	mapFrom(ctx, r.models(), workCenterController, cur, func(m *model.Account) {
		holders := m.HoldersOfDependents(cur.Name)
		if old != nil {
			holders = m.HoldersReached(old)
		}
		for _, c := range holders {
			for _, a := range m.AssignmentsOf(c) {
				wcs = append(wcs, string(a.Name))
			}
		}
	})
	return namedRequests(cur.Namespace, wcs)
}

// forCollaborator wakes the WorkCenters whose assignment of the Collaborator changes
// (changedWorkCenters, from every source): all of its WorkCenters when it appears, goes
// or a spec field other than its assignments changes (the count is decided from specs);
// those whose assignment differs when only its assignments change; and after a status
// write, only when an assignment went in or out of effect, those where it did.
func (r *WorkCenterReconciler) forCollaborator(ctx context.Context, old, cur *v1alpha1.Collaborator) []reconcile.Request {
	if old != nil && !specOrDeletionUpdate(old, cur) && equalAssignmentStates(old.Status.WorkCenters, cur.Status.WorkCenters) {
		return nil
	}
	var wcs []string
	read := false
	mapFrom(ctx, r.models(), workCenterController, cur, func(m *model.Account) { read, wcs = true, changedWorkCenters(m, old, cur) })
	if !read { // what the specs and statuses name, at least
		wcs = changedWorkCenters(nil, old, cur)
	}
	return namedRequests(cur.Namespace, wcs)
}

// equalAssignmentStates reports whether two statuses have the same assignments in
// effect (model.InEffect), WorkCenter by WorkCenter.
func equalAssignmentStates(a, b []v1alpha1.WorkCenterAssignmentStatus) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || model.InEffect(a[i].State) != model.InEffect(b[i].State) {
			return false
		}
	}
	return true
}
