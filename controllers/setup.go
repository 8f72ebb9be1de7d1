package controllers

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/audit"
)

// SetupAll registers the four reconcilers with the manager. They read the account
// models from book (accounts.ForManager: kept fresh from the manager's cache), which the
// operator's composition shares with its webhooks; nil makes one for the controllers
// alone. They share one record of the statuses they write (ownStatuses), by which each
// tells a status written by anyone else.
func SetupAll(_ context.Context, mgr ctrl.Manager, book *accounts.Book) error {
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
	rec := trail.Recorder
	for _, r := range []interface{ SetupWithManager(ctrl.Manager) error }{
		&AccountReconciler{Client: c, APIReader: live, Recorder: rec("account-controller"), book: book, own: own},
		&WorkCenterReconciler{Client: c, Recorder: rec("workcenter-controller"), book: book, own: own},
		&WorkCenterRoleReconciler{Client: c, APIReader: live, Recorder: rec("workcenterrole-controller"), book: book, own: own},
		&CollaboratorReconciler{Client: c, APIReader: live, Recorder: rec("collaborator-controller"), book: book, own: own},
	} {
		if err := r.SetupWithManager(mgr); err != nil {
			return err
		}
	}
	return nil
}
