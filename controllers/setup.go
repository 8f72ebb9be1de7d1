package controllers

import (
	"context"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/audit"
)

// kindWorkers is how many objects each of the Account, WorkCenter and WorkCenterRole
// controllers reconciles in parallel (the Collaborator controller has
// collaboratorWorkers, the RBAC controller rbacWorkers). Their objects grow with the
// accounts: each account has its Account, three built-in roles and its own roles and
// WorkCenters, and a first reconcile makes two API round trips (a finalizer, a status).
// With one worker each, a cold start over 40 accounts of 50 collaborators waited on the
// role controller alone (520 roles, 21 s of reconciles in a 22 s convergence). Different
// objects are independent; controller-runtime never runs one object twice at once.
const kindWorkers = 4

// Options configure SetupAll; the zero value is the default.
type Options struct {
	// IdentityPrefix is the operator's --identity-username-prefix: the Kubernetes user of
	// a Collaborator, which the RBAC controller binds to its Role, is IdentityPrefix +
	// spec.email. "" (the default) for none.
	IdentityPrefix string
	// Shard, when set, shards the accounts over the replicas (--shard-accounts,
	// internal/sharding): the controllers run on every replica, without leader
	// election, and reconcile only the namespaces Shard owns. nil (the default): they
	// run on the leader and reconcile every namespace.
	Shard Ownership
}

// SetupAll registers the reconcilers with the manager: one per kind, and the RBAC
// controller (each Collaborator's Role and RoleBinding), configured by opts (at most
// one; none for the defaults). They read the account models from book
// (accounts.ForManager: kept fresh from the manager's cache), which the operator's
// composition shares with its webhooks; nil makes one for the controllers alone. They
// share one record of the statuses they write (ownStatuses), by which each tells a
// status written by anyone else.
func SetupAll(_ context.Context, mgr ctrl.Manager, book *accounts.Book, opts ...Options) error {
	var opt Options
	if len(opts) > 0 {
		opt = opts[0]
	}
	if book == nil {
		var err error
		if book, err = accounts.ForManager(mgr); err != nil {
			return err
		}
	}
	own := &ownStatuses{}
	c, live := mgr.GetClient(), mgr.GetAPIReader()
	// The audit trail: Events written behind the status writes of a burst, each
	// object's in order (internal/audit says why not client-go's broadcaster).
	trail := audit.New(c, mgr.GetScheme())
	if err := mgr.Add(trail); err != nil {
		return err
	}
	shard := opt.Shard
	if shard != nil {
		// An account is handed over once its Events are written.
		shard.HoldBack(trail.Pending, trail.Hurry)
	}
	rec := trail.Recorder
	backlog := makeBacklog()
	for _, r := range []interface{ SetupWithManager(ctrl.Manager) error }{
		&AccountReconciler{reconciler{Client: c, APIReader: live, Recorder: rec("account-controller"), book: book, own: own, shard: shard, backlog: backlog}},
		&WorkCenterReconciler{reconciler{Client: c, Recorder: rec("workcenter-controller"), book: book, own: own, shard: shard, backlog: backlog}},
		&WorkCenterRoleReconciler{reconciler{Client: c, APIReader: live, Recorder: rec("workcenterrole-controller"), book: book, own: own, shard: shard, backlog: backlog}},
		&CollaboratorReconciler{reconciler: reconciler{Client: c, APIReader: live, Recorder: rec("collaborator-controller"), book: book, own: own, shard: shard, backlog: backlog}},
		&RBACReconciler{reconciler: reconciler{Client: c, book: book, shard: shard, backlog: backlog}, IdentityPrefix: opt.IdentityPrefix},
	} {
		if err := r.SetupWithManager(mgr); err != nil {
			return err
		}
	}
	return nil
}

// reconciler is what each reconciler holds: the manager's client, a live reader for the
// decisions the cache cannot make (finalizers), the Events recorder, the account models
// and the record of the statuses this manager writes.
type reconciler struct {
	client.Client
	// APIReader reads live from the API server, for finalizer decisions.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// book holds the account models; nil builds one per read (unit tests).
	book *accounts.Book
	// own records the statuses this manager writes; nil records none (unit tests).
	own *ownStatuses
	// shard is the account sharding (Options.Shard); nil reconciles every namespace.
	shard Ownership
	// backlog counts the statuses still to write per namespace (the status controllers'
	// queues count into it; the RBAC controller holds new grants while it has some).
	backlog *statusBacklog
}

func (r *reconciler) models() *accounts.Book { return accounts.Or(r.book, r.Client) }
