package controllers

import (
	"context"
	"iter"
	"slices"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// SetupWithManager wires what wakes a Collaborator, and why:
//
//   - the Collaborator itself (For, ownChanges): its spec, labels or deletion, one of our
//     finalizers stripped (R7), a status this manager did not write;
//   - its Account (forAccount): every Collaborator when the Account appears, goes,
//     starts being deleted or changes state; the Members whose license R4 moves when
//     its licenses change;
//   - a WorkCenter (forWorkCenter): the Collaborators assigned to it, and those its
//     labels, template flag or collaboratorsFrom assign or unassign (assignedBy); for a
//     change of its labels alone, only those whose selectors match it differently;
//   - a WorkCenterRole (forRole): the holders of it and of every role including it
//     whose assignments' status the change can alter (a resolution, a member-only set
//     for Guests, a deletion starting), all of them when it appears or goes;
//   - another Collaborator (forCollaborator): those sharing its email (R5), the
//     AccountAdministrators being deleted when an administrator comes or goes (R7), and
//     the Members whose license R4 moves when the Members change; its own status write
//     that moved a license is checked again (licenseFlipped).
func (r *CollaboratorReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		Named(collaboratorController).
		For(&v1alpha1.Collaborator{}, builder.WithPredicates(ownChanges(r.own, collaboratorController))).
		Watches(&v1alpha1.Account{}, pairHandler(r.models(), collaboratorController, r.forAccount), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenter{}, pairHandler(r.models(), collaboratorController, r.forWorkCenter), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.WorkCenterRole{}, pairHandler(r.models(), collaboratorController, r.forRole), builder.WithPredicates(specOrDeletionChanged())).
		Watches(&v1alpha1.Collaborator{}, pairHandler(r.models(), collaboratorController, r.forCollaborator), builder.WithPredicates(predicate.Or(specOrDeletionChanged(),
			predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
				return licenseFlipped(e.ObjectOld.(*v1alpha1.Collaborator), e.ObjectNew.(*v1alpha1.Collaborator))
			}})))
	// Collaborators are independent keys and most of an account's objects: several
	// workers keep the API server's round trips from serializing convergence.
	return r.complete(b, controller.Options{MaxConcurrentReconciles: collaboratorWorkers, NewQueue: r.queue}, r,
		r.inNamespace(&v1alpha1.CollaboratorList{}))
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
	mapFrom(ctx, r.models(), collaboratorController, cur, func(m *model.Account) {
		if all {
			out = m.Collaborators()
		} else {
			out = staleLicenses(m.MemberLicenses())
		}
	})
	return requestsFor(out)
}

// forWorkCenter wakes the Collaborators assigned to the WorkCenter, and those its change
// assigns or unassigns (assignedBy: selectors matching its old or new labels, the people
// of the templates it publishes from or is).
func (r *CollaboratorReconciler) forWorkCenter(ctx context.Context, old, cur *v1alpha1.WorkCenter) []reconcile.Request {
	var out []*v1alpha1.Collaborator
	mapFrom(ctx, r.models(), collaboratorController, cur, func(m *model.Account) { out = assignedBy(m, old, cur) })
	return requestsFor(out)
}

// forRole wakes, for a role gone, the holders of it and of every role that includes it;
// for one created, those of them whose status does not show every assignment in effect;
// for a change (roleAccessChanged), only those whose assignments' status it can change
// (model.Account.HoldersReached: a resolution, a member-only set for Guests, a deletion
// starting): a role gaining permissions that stay guest-safe wakes nobody.
func (r *CollaboratorReconciler) forRole(ctx context.Context, old, cur *v1alpha1.WorkCenterRole) []reconcile.Request {
	if !roleAccessChanged(old, cur) {
		return nil
	}
	var out []*v1alpha1.Collaborator
	mapFrom(ctx, r.models(), collaboratorController, cur, func(m *model.Account) {
		if old == nil {
			out = m.HoldersOfDependents(cur.Name)
			if m.Role(cur.Name) != nil {
				// Created: while it was missing, every assignment to it or to a role
				// including it was Pending, so a holder judged with all its assignments
				// in effect was judged with it already, or does not need it (a burst:
				// the built-in roles made while the people are reconciled). That
				// judgment is this manager's last status write for the holder's
				// generation, which the cache may not show yet, or else the status the
				// cache shows. The others are woken; a reconcile under way when the role
				// came writes, then judges again (CollaboratorReconciler.Reconcile).
				out = slices.DeleteFunc(out, func(c *v1alpha1.Collaborator) bool {
					if inEffect, known := r.own.lastJudged(c); known {
						return inEffect
					}
					return allInEffect(c)
				})
			}
		} else {
			out = m.HoldersReached(old)
		}
	})
	return requestsFor(out)
}

// allInEffect reports whether c's recorded status, at its generation, shows every one
// of its assignments in effect.
func allInEffect(c *v1alpha1.Collaborator) bool {
	if c.Status.ObservedGeneration != c.Generation || len(c.Status.WorkCenters) == 0 {
		return false
	}
	for _, st := range c.Status.WorkCenters {
		if !model.InEffect(st.State) {
			return false
		}
	}
	return true
}

// forCollaborator wakes the Collaborators another one's change can affect: those sharing
// its old or new email (R5), AccountAdministrators being deleted when an administrator
// comes or goes (R7), and the Members whose license the change moves (R4).
func (r *CollaboratorReconciler) forCollaborator(ctx context.Context, old, cur *v1alpha1.Collaborator) []reconcile.Request {
	var out, stale []*v1alpha1.Collaborator
	mapFrom(ctx, r.models(), collaboratorController, cur, func(m *model.Account) {
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
			stale = staleLicenses(m.MemberLicensesFrom(cur))
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
// one R4 gives them now (model.Account.MemberLicenses): the only Members a change of the
// Member set or of the licenses can affect. A Member whose reconcile raced with the
// change writes a license that is stale; that write moves its license, so it is checked
// again (licenseFlipped) and woken once more. A Member with no license recorded yet is
// woken too: its first reconcile may be under way.
//
// members are the Members to look at, in seniority order with the license R4 gives each:
// all of them (model.Account.MemberLicenses) when the licenses change; from a changed
// Member's seniority on (MemberLicensesFrom) when a Member comes, goes or changes type,
// which moves no older Member's license. So a bulk import, each new Member the youngest,
// does not wake every Member still waiting for its first reconcile once per new Member.
func staleLicenses(members iter.Seq2[*v1alpha1.Collaborator, bool]) []*v1alpha1.Collaborator {
	var stale []*v1alpha1.Collaborator
	for c, licensed := range members {
		if c.Status.Licensed == nil || *c.Status.Licensed != licensed {
			stale = append(stale, c)
		}
	}
	return stale
}
