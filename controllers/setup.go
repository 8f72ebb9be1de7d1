package controllers

import (
	"context"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
)

// SetupAll registers the field indexes and the four reconcilers with the manager.
func SetupAll(ctx context.Context, mgr ctrl.Manager) error {
	if err := SetupIndexes(ctx, mgr); err != nil {
		return err
	}
	c, live := mgr.GetClient(), mgr.GetAPIReader()
	rec := func(name string) events.EventRecorder { return boundedRecorder{mgr.GetEventRecorder(name)} }
	for _, r := range []interface{ SetupWithManager(ctrl.Manager) error }{
		&AccountReconciler{Client: c, APIReader: live, Recorder: rec("account-controller")},
		&WorkCenterReconciler{Client: c, Recorder: rec("workcenter-controller")},
		&WorkCenterRoleReconciler{Client: c, APIReader: live, Recorder: rec("workcenterrole-controller")},
		&CollaboratorReconciler{Client: c, APIReader: live, Recorder: rec("collaborator-controller")},
	} {
		if err := r.SetupWithManager(mgr); err != nil {
			return err
		}
	}
	return nil
}
