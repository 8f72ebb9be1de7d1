// Package authorizer answers Kubernetes authorization questions about the model's
// permissions (docs/authorization.md): a SubjectAccessReview whose resource attributes
// are in the group procorem.workcenter.io names a WorkCenter permission or an
// account-level capability (model.Authorize's mapping), and the answer is the account
// model's decision, with its reason.
//
// Two doors, one decision (Authorizer.Review):
//
//   - the authorization webhook (WebhookPath): the SubjectAccessReview v1 webhook
//     protocol, for an API server configured with config/authorization;
//   - the direct endpoint (DirectPath): the same SubjectAccessReview posted by an
//     application, authenticated with a TokenReview and authorized with a
//     SubjectAccessReview of its own (create on subjectaccessreviews.procorem.workcenter.io
//     in the review's namespace), both cached briefly.
//
// A check is a lookup in the manager's in-memory account model (internal/accounts),
// never an API call.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Public API (docs/authorization.md).
const (
	// WebhookPath is the authorization webhook's path on the manager's webhook server.
	WebhookPath = "/authorize"
	// DirectPath is the direct endpoint's path on the manager's webhook server.
	DirectPath = "/subjectaccessreviews"
	// CallerResource is the virtual resource, in model.AuthorizationGroup, a caller of
	// the direct endpoint must be allowed to create (CallerVerb) in the namespace of the
	// review it posts. RBAC grants it (config/rbac/authorizer_client_role.yaml); the
	// authorizer itself has no opinion on it.
	CallerResource = "subjectaccessreviews"
	// CallerVerb is the verb of CallerResource a caller needs.
	CallerVerb = "create"
)

// Accounts reads an account's model: the manager's *accounts.Book.
type Accounts interface {
	Read(ctx context.Context, namespace string, f func(*model.Account) error) error
	// Synced reports whether the models can be read (accounts.Book.Synced): until then
	// a review is answered 503, never from part of an account.
	Synced() bool
}

// Namespaces tells which namespaces hold a Collaborator: only those are read from
// Accounts, so that reviews naming other namespaces never make it build a model.
type Namespaces interface {
	// HasCollaborators reports whether namespace holds at least one Collaborator. ok is
	// false while that is not known yet (the cache has not synced).
	HasCollaborators(namespace string) (has, ok bool)
}

// Authorizer answers reviews from the account models.
type Authorizer struct {
	accounts   Accounts
	namespaces Namespaces
	prefix     string
	// empty answers the questions no account needs to be read for (another group),
	// with the model's own reasons.
	empty *model.Account
}

// New is an Authorizer over the account models; prefix is the identity prefix
// (--identity-username-prefix), as for delegated administration.
func New(accounts Accounts, namespaces Namespaces, prefix string) *Authorizer {
	return &Authorizer{accounts: accounts, namespaces: namespaces, prefix: prefix, empty: model.New("")}
}

// ErrNotReady is Review's error before the manager's cache has synced: the answer is not
// known yet (a webhook door answers 503, and the API server applies the failure policy).
var ErrNotReady = errors.New("the account models are not loaded yet")

// Review answers a SubjectAccessReview's spec: both doors call it. The answer is
// model.Authorize's, of the account in the review's namespace, for the review's user.
// Besides the model's own answers:
//
//   - a non-resource question, and one about CallerResource, get no opinion;
//   - a question in the group without a namespace, or in a namespace that holds no
//     Collaborator, gets no opinion (nobody there is a Collaborator), with a reason
//     naming the namespace;
//
// An error means the account could not be read: the question was not answered.
func (a *Authorizer) Review(ctx context.Context, spec *authorizationv1.SubjectAccessReviewSpec) (model.Authorization, error) {
	ra := spec.ResourceAttributes
	if ra == nil {
		return model.Authorization{Reason: "the workcenter-operator authorizer answers only resource questions in the group " +
			model.AuthorizationGroup}, nil
	}
	attrs := model.ResourceAttributes{Group: ra.Group, Version: ra.Version, Resource: ra.Resource,
		Subresource: ra.Subresource, Verb: ra.Verb, Name: ra.Name}
	unqualify(&attrs)
	if attrs.Group != model.AuthorizationGroup {
		return a.empty.Authorize(spec.User, a.prefix, attrs), nil
	}
	if strings.EqualFold(attrs.Resource, CallerResource) {
		return model.Authorization{Reason: fmt.Sprintf("%s.%s is the direct endpoint's permission: RBAC decides it",
			CallerResource, model.AuthorizationGroup)}, nil
	}
	if ra.Namespace == "" {
		return model.Authorization{Reason: fmt.Sprintf("a question about %s names the account's namespace (kubectl auth can-i ... -n NAMESPACE)",
			model.AuthorizationGroup)}, nil
	}
	has, ok := a.namespaces.HasCollaborators(ra.Namespace)
	switch {
	case !ok || !a.accounts.Synced():
		return model.Authorization{}, ErrNotReady
	case !has:
		return model.Authorization{Reason: fmt.Sprintf("namespace %q holds no Collaborator of a workcenter-operator account: no opinion",
			model.Short(ra.Namespace))}, nil
	}
	c := calls.Get().(*call)
	c.user, c.prefix, c.attrs = spec.User, a.prefix, attrs
	err := a.accounts.Read(ctx, ra.Namespace, c.read)
	out := c.out
	*c = call{read: c.read}
	calls.Put(c)
	if err != nil {
		return model.Authorization{}, fmt.Errorf("reading the account of namespace %q: %w", ra.Namespace, err)
	}
	return out, nil
}

// call is one question to an account's model, with its reader bound once: a closure
// made per check would be allocated per check.
type call struct {
	user, prefix string
	attrs        model.ResourceAttributes
	out          model.Authorization
	read         func(*model.Account) error
}

var calls = sync.Pool{New: func() any {
	c := &call{}
	c.read = func(m *model.Account) error {
		c.out = m.Authorize(c.user, c.prefix, c.attrs)
		return nil
	}
	return c
}}

// unqualify reads a resource named with its group, as kubectl sends it when discovery
// does not know the group (no API serves procorem.workcenter.io): `kubectl auth can-i
// upload files.procorem.workcenter.io/tower-a` asks about resource
// "files.procorem.workcenter.io" in the core group; and
// "files.v1alpha1.procorem.workcenter.io" names the version too. The core group has no
// resource with a dot, so nothing else is read differently.
func unqualify(attrs *model.ResourceAttributes) {
	if attrs.Group != "" {
		return
	}
	rest, ok := strings.CutSuffix(strings.ToLower(attrs.Resource), "."+model.AuthorizationGroup)
	if !ok {
		return
	}
	attrs.Group, attrs.Resource = model.AuthorizationGroup, rest
	if resource, version, ok := strings.Cut(rest, "."); ok && (attrs.Version == "" || attrs.Version == version) {
		attrs.Resource, attrs.Version = resource, version
	}
}

// Status is a review's answer in SubjectAccessReview form: allowed, denied, or neither
// (no opinion), with the reason.
func Status(d model.Authorization) authorizationv1.SubjectAccessReviewStatus {
	return authorizationv1.SubjectAccessReviewStatus{
		Allowed: d.Opinion == model.Allow,
		Denied:  d.Opinion == model.Deny,
		Reason:  d.Reason,
	}
}
