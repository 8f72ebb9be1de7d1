package authorizer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"

	"k8s.io/client-go/kubernetes"
	ctrl "sigs.k8s.io/controller-runtime"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The direct endpoint authenticates its callers and authorizes them through the API
// server.
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// Options configure Setup.
type Options struct {
	// Accounts are the account models: the manager's *accounts.Book. Required.
	Accounts Accounts
	// IdentityPrefix is --identity-username-prefix, as for delegated administration.
	IdentityPrefix string
	// Direct serves the direct endpoint (DirectPath) besides the webhook (WebhookPath).
	Direct bool
	// Caller tunes the direct endpoint's checks of its callers.
	Caller CallerOptions
	// RequireClientCert makes the webhook door answer only callers with a verified
	// client certificate; the webhook server's TLS options must then include
	// ClientCATLS.
	RequireClientCert bool
}

// Setup serves the authorizer on the manager's webhook server (which it starts, so the
// server needs its certificate). The Collaborator informer tells which namespaces to
// read; reviews answer 503, and the manager's readiness check "authorizer" fails, until
// the cache has synced.
func Setup(ctx context.Context, mgr ctrl.Manager, opts Options) (*Authorizer, error) {
	if opts.Accounts == nil {
		return nil, errors.New("authorizer: no account models")
	}
	namespaces := newCollaboratorNamespaces()
	inf, err := mgr.GetCache().GetInformer(ctx, &v1alpha1.Collaborator{})
	if err != nil {
		return nil, fmt.Errorf("authorizer: the Collaborator informer: %w", err)
	}
	reg, err := inf.AddEventHandler(namespaces.handler())
	if err != nil {
		return nil, fmt.Errorf("authorizer: the Collaborator informer: %w", err)
	}
	namespaces.synced = reg.HasSynced
	// Not ready, so not behind the webhook Service, until it can answer.
	if err := mgr.AddReadyzCheck("authorizer", func(*http.Request) error {
		if !reg.HasSynced() {
			return ErrNotReady
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	a := New(opts.Accounts, namespaces, opts.IdentityPrefix)
	so := ServerOptions{Caller: opts.Caller, RequireClientCert: opts.RequireClientCert, Log: mgr.GetLogger().WithName("authorizer")}
	if opts.Direct {
		cs, err := kubernetes.NewForConfigAndClient(mgr.GetConfig(), mgr.GetHTTPClient())
		if err != nil {
			return nil, fmt.Errorf("authorizer: %w", err)
		}
		so.Tokens, so.Access = cs.AuthenticationV1().TokenReviews(), cs.AuthorizationV1().SubjectAccessReviews()
	}
	s := NewServer(a, so)
	hooks := mgr.GetWebhookServer()
	hooks.Register(WebhookPath, s.WebhookHandler())
	if h := s.DirectHandler(); h != nil {
		hooks.Register(DirectPath, h)
	}
	return a, nil
}

// ClientCATLS is a webhook server TLS option that verifies the client certificates
// callers give against the CA bundle in caFile, without requiring one: the admission
// webhooks keep answering the API server without one, and the authorization webhook
// (Options.RequireClientCert) answers only callers that gave a verified one.
func ClientCATLS(caFile string) (func(*tls.Config), error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("reading the authorizer's client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	return func(c *tls.Config) {
		c.ClientCAs = pool
		c.ClientAuth = tls.VerifyClientCertIfGiven
	}, nil
}
