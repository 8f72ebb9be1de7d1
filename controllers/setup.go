package controllers

import (
	"context"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/audit"
)

// SetupAll registers the four reconcilers with the manager. They share the manager's
// account Book (the account models, kept fresh from the manager's cache) with its
// webhooks.
func SetupAll(_ context.Context, mgr ctrl.Manager) error {
	book, err := accounts.For(mgr)
	if err != nil {
		return err
	}
	c, live := mgr.GetClient(), mgr.GetAPIReader()
	// The audit trail: Events written behind the status writes of a burst, each
	// object's in order (internal/audit says why not client-go's broadcaster).
	trail := audit.New(c, mgr.GetScheme())
	if err := mgr.Add(trail); err != nil {
		return err
	}
	rec := trail.Recorder
	for _, r := range []interface{ SetupWithManager(ctrl.Manager) error }{
		&AccountReconciler{Client: c, APIReader: live, Recorder: rec("account-controller"), book: book},
		&WorkCenterReconciler{Client: c, Recorder: rec("workcenter-controller"), book: book},
		&WorkCenterRoleReconciler{Client: c, APIReader: live, Recorder: rec("workcenterrole-controller"), book: book},
		&CollaboratorReconciler{Client: c, APIReader: live, Recorder: rec("collaborator-controller"), book: book},
	} {
		if err := r.SetupWithManager(mgr); err != nil {
			return err
		}
	}
	return nil
}
