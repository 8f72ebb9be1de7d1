// Package operator is the operator's composition: the reconcilers of the
// access.workcenter.io kinds and their admission webhooks, added to a manager. The
// commands that run the operator (the manager binary in cmd, run-local in
// hack/run-local) and the end-to-end suite all compose it here, so they run the same
// operator; the packages under internal/ never import it.
package operator

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/workcenter-io/workcenter-operator/controllers"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/authorizer"
	"github.com/workcenter-io/workcenter-operator/internal/webhook"
)

// Options choose what Setup adds.
type Options struct {
	// Webhooks adds the admission webhooks to the manager's webhook server. Only set it
	// when the API server calls them (config/webhook is installed) and the server has a
	// certificate.
	Webhooks bool
	// OperatorUsernames are the identities the webhooks treat as the operator's own (see
	// webhook.Options); empty asks the API server who the manager's client is.
	OperatorUsernames []string
	// IdentityPrefix is --identity-username-prefix: the prefix of the usernames that name
	// Collaborators, for delegated administration (docs/administration.md); "" for none.
	IdentityPrefix string
	// Authorizer, when set, serves the SubjectAccessReview authorizer
	// (internal/authorizer, docs/authorization.md) on the manager's webhook server, over
	// the same account Book; Setup fills its Accounts and, when empty, its
	// IdentityPrefix. The webhook server needs its certificate.
	Authorizer *authorizer.Options
	// Shard shards the accounts over the replicas (--shard-accounts,
	// internal/sharding): the controllers reconcile only the namespaces it owns, on
	// every replica; nil (the default) reconciles every namespace, on the leader.
	Shard controllers.Ownership
	// Events writes the admission webhooks' Events (webhook.Options.Events); nil for
	// the manager's client.
	Events client.Client
}

// Setup adds every controller to mgr and, with Options.Webhooks, every admission
// webhook, before mgr starts.
func Setup(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	// One account Book, the models both read: the controllers' statuses and admission's
	// verdicts come from the same snapshot of each account.
	book, err := accounts.ForManager(mgr)
	if err != nil {
		return fmt.Errorf("setting up the account book: %w", err)
	}
	// Not ready until the models can be read: every replica serves admission (and the
	// authorizer) from its own cache, so a new one must not judge from an empty one.
	if err := mgr.AddReadyzCheck("accounts", book.SyncedCheck); err != nil {
		return fmt.Errorf("setting up the account book's readiness check: %w", err)
	}
	if err := controllers.SetupAll(ctx, mgr, book, controllers.Options{IdentityPrefix: opts.IdentityPrefix, Shard: opts.Shard}); err != nil {
		return fmt.Errorf("setting up the controllers: %w", err)
	}
	if opts.Webhooks {
		if err := webhook.Setup(mgr, webhook.Options{OperatorUsernames: opts.OperatorUsernames, Book: book,
			IdentityPrefix: opts.IdentityPrefix, Events: opts.Events}); err != nil {
			return fmt.Errorf("setting up the webhooks: %w", err)
		}
	}
	if opts.Authorizer != nil {
		ao := *opts.Authorizer
		ao.Accounts = book
		if ao.IdentityPrefix == "" {
			ao.IdentityPrefix = opts.IdentityPrefix
		}
		if _, err := authorizer.Setup(ctx, mgr, ao); err != nil {
			return fmt.Errorf("setting up the authorizer: %w", err)
		}
	}
	return nil
}
