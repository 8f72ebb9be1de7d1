// Package webhook holds the validating admission webhooks of the four kinds. They call
// the same pure rules (internal/access) as the controllers, so admission and
// reconciliation never disagree.
package webhook

import (
	ctrl "sigs.k8s.io/controller-runtime"
)

// Options configure the validators.
type Options struct {
	// OperatorUsernames are the identities allowed to edit built-in roles (R9): the
	// operator's own.
	OperatorUsernames []string
}

// Setup registers the validating webhooks of Account, WorkCenter, WorkCenterRole and
// Collaborator with the manager's webhook server.
func Setup(mgr ctrl.Manager, opts Options) error {
	// TODO(webhooks): being written; registers nothing yet.
	return nil
}
