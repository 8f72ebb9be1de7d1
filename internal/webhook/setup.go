// Package webhook holds the admission webhooks of the four kinds: adapters over the
// rules layer (internal/model, validate.go). A validating webhook reads the account's
// snapshot from the manager's account Book once per request, asks the model for its
// findings and answers with them, so admission, reconciliation and kubectl procorem
// never disagree; the mutating webhooks give objects their protection finalizers
// (protection.go). What is rejected and what is only warned about is docs/rules.md's.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/audit"
)

// Options configure the validators.
type Options struct {
	// OperatorUsernames are the identities allowed to edit built-in roles (R9): the
	// operator's own. When empty, Setup asks the API server who the manager's client is
	// (see OwnIdentity).
	OperatorUsernames []string
	// Book is the account Book the controllers read (accounts.ForManager), so that the
	// webhooks judge from the same models; nil makes one for the webhooks alone.
	Book *accounts.Book
	// IdentityPrefix is --identity-username-prefix: a request whose username, once it is
	// removed, is a Collaborator's email is judged as that Collaborator (delegated
	// administration, docs/administration.md). "" for none.
	IdentityPrefix string
	// Events writes the audit trail's Events (the manager's client when nil). With the
	// accounts sharded over the replicas (internal/sharding), the replica that admitted
	// a change writes its Event, whichever replica reconciles the account: a client not
	// fenced by the account's ownership.
	Events client.Client
}

// Setup registers the validating webhooks of Account, WorkCenter, WorkCenterRole and
// Collaborator, and the mutating webhooks that give Accounts, WorkCenterRoles and
// Collaborators their protection finalizers at creation (protection.go), with the
// manager's webhook server. The validators read the account's objects from the
// manager's account Book, which the controllers share.
func Setup(mgr ctrl.Manager, opts Options) error {
	if len(opts.OperatorUsernames) == 0 {
		me, err := OwnIdentity(mgr.GetConfig())
		if err != nil {
			return fmt.Errorf("determining the operator's own username (allowed to edit built-in roles): %w", err)
		}
		opts.OperatorUsernames = []string{me}
	}
	operators := map[string]bool{}
	for _, u := range opts.OperatorUsernames {
		operators[u] = true
	}
	book := opts.Book
	if book == nil {
		var err error
		if book, err = accounts.ForManager(mgr); err != nil {
			return err
		}
	}
	// The audit trail of delegated administration: an administrator's change of a
	// WorkCenter it is not assigned to is an Event on the WorkCenter, once stored.
	events := opts.Events
	if events == nil {
		events = mgr.GetClient()
	}
	trail := audit.New(events, mgr.GetScheme())
	if err := mgr.Add(trail); err != nil {
		return err
	}
	audits := newPendingAudits(trail.Recorder("admission"))
	if err := audits.watch(context.Background(), mgr.GetCache()); err != nil {
		return err
	}
	r := reader{cache: mgr.GetClient(), live: mgr.GetAPIReader(), book: book, operators: operators,
		prefix: opts.IdentityPrefix, audits: audits}
	if err := registerDefaulter(mgr, &v1alpha1.Account{}, AccountProtection{reader: r}); err != nil {
		return err
	}
	if err := registerDefaulter(mgr, &v1alpha1.WorkCenterRole{}, RoleProtection{}); err != nil {
		return err
	}
	if err := registerDefaulter(mgr, &v1alpha1.Collaborator{}, CollaboratorProtection{}); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.Account{}).
		WithValidator(accountValidator(r)).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.WorkCenter{}).
		WithValidator(workCenterValidator(r)).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.WorkCenterRole{}).
		WithValidator(roleValidator(r)).Complete(); err != nil {
		return err
	}
	return ctrl.NewWebhookManagedBy(mgr, &v1alpha1.Collaborator{}).
		WithValidator(collaboratorValidator(r)).Complete()
}

// OwnIdentity asks the API server, with a SelfSubjectReview, which username cfg
// authenticates as. The operator passes its own to Options.OperatorUsernames, so that
// its restoring of built-in roles passes R9.
func OwnIdentity(cfg *rest.Config) (string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("SelfSubjectReview: %w", err)
	}
	if review.Status.UserInfo.Username == "" {
		return "", errors.New("SelfSubjectReview: the API server returned no username")
	}
	return review.Status.UserInfo.Username, nil
}
