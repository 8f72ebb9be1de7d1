package authorizer

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/cache"

	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The direct endpoint's callers are authenticated with a TokenReview and authorized
// with a SubjectAccessReview, as controller-runtime's metrics filter does (and as
// kube-rbac-proxy does), each answer cached briefly in a bounded LRU cache so that an
// application asking many questions costs the API server one TokenReview and one
// SubjectAccessReview per CacheTTL, not one per question.

// TokenReviewer creates TokenReviews: the manager's
// AuthenticationV1().TokenReviews().
type TokenReviewer interface {
	Create(ctx context.Context, review *authenticationv1.TokenReview, opts metav1.CreateOptions) (*authenticationv1.TokenReview, error)
}

// AccessReviewer creates SubjectAccessReviews: the manager's
// AuthorizationV1().SubjectAccessReviews().
type AccessReviewer interface {
	Create(ctx context.Context, review *authorizationv1.SubjectAccessReview, opts metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error)
}

// CallerOptions tune the direct endpoint's checks of its callers.
type CallerOptions struct {
	// TTL is how long an authenticated token, and a caller's permission, are cached
	// (default 10s): a revoked token or RoleBinding stops working within it.
	TTL time.Duration
	// NegativeTTL is how long a rejected token, and a caller's missing permission, are
	// cached (default 2s).
	NegativeTTL time.Duration
	// Entries bounds each cache (default 4096 tokens, 4096 caller-namespace pairs).
	Entries int
	// Audiences are the audiences a token must have been issued for; empty for the API
	// server's.
	Audiences []string
}

func (o *CallerOptions) defaults() {
	if o.TTL == 0 {
		o.TTL = 10 * time.Second
	}
	if o.NegativeTTL == 0 {
		o.NegativeTTL = 2 * time.Second
	}
	if o.Entries == 0 {
		o.Entries = 4096
	}
}

// callers checks the direct endpoint's callers.
type callers struct {
	tokens  TokenReviewer
	access  AccessReviewer
	opts    CallerOptions
	users   *cache.LRUExpireCache // sha256(token) -> identity
	grants  *cache.LRUExpireCache // caller and namespace -> grant
	flights flights
}

func newCallers(tokens TokenReviewer, access AccessReviewer, opts CallerOptions) *callers {
	opts.defaults()
	return &callers{tokens: tokens, access: access, opts: opts,
		users: cache.NewLRUExpireCache(opts.Entries), grants: cache.NewLRUExpireCache(opts.Entries)}
}

// identity is a TokenReview's answer.
type identity struct {
	user  authenticationv1.UserInfo
	ok    bool
	error string // why the token was not authenticated
}

// grant is a caller's SubjectAccessReview's answer.
type grant struct {
	allowed bool
	reason  string
}

// errUnavailable wraps a failed call to the API server: the caller could not be
// checked (503), as opposed to a caller checked and refused.
type errUnavailable struct{ err error }

func (e errUnavailable) Error() string { return e.err.Error() }
func (e errUnavailable) Unwrap() error { return e.err }

// authenticate is the token's user; ok is false, with why, when the API server does not
// authenticate it.
func (c *callers) authenticate(ctx context.Context, token string) (identity, error) {
	sum := sha256.Sum256([]byte(token))
	key := "t" + string(sum[:])
	if v, ok := c.users.Get(key); ok {
		return v.(identity), nil
	}
	v, err := c.flights.do(key, func() (any, error) {
		tr, err := c.tokens.Create(ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: c.opts.Audiences},
		}, metav1.CreateOptions{})
		if err != nil {
			return nil, errUnavailable{fmt.Errorf("TokenReview: %w", err)}
		}
		id := identity{user: tr.Status.User, ok: tr.Status.Authenticated, error: tr.Status.Error}
		if id.ok && len(c.opts.Audiences) > 0 && !slices.ContainsFunc(tr.Status.Audiences, func(a string) bool { return slices.Contains(c.opts.Audiences, a) }) {
			id = identity{error: "the token is for none of the audiences " + strings.Join(c.opts.Audiences, ", ")}
		}
		ttl := c.opts.TTL
		if !id.ok {
			ttl = c.opts.NegativeTTL
		}
		c.users.Add(key, id, ttl)
		return id, nil
	})
	if err != nil {
		return identity{}, err
	}
	return v.(identity), nil
}

// authorize is whether the caller may create CallerResource in namespace.
func (c *callers) authorize(ctx context.Context, user authenticationv1.UserInfo, namespace string) (grant, error) {
	key := grantKey(user, namespace)
	if v, ok := c.grants.Get(key); ok {
		return v.(grant), nil
	}
	v, err := c.flights.do(key, func() (any, error) {
		extra := make(map[string]authorizationv1.ExtraValue, len(user.Extra))
		for k, v := range user.Extra {
			extra[k] = authorizationv1.ExtraValue(v)
		}
		sar, err := c.access.Create(ctx, &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user.Username, UID: user.UID, Groups: user.Groups, Extra: extra,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace: namespace, Verb: CallerVerb, Group: model.AuthorizationGroup, Version: model.AuthorizationVersion,
				Resource: CallerResource,
			},
		}}, metav1.CreateOptions{})
		if err != nil {
			return nil, errUnavailable{fmt.Errorf("SubjectAccessReview: %w", err)}
		}
		g := grant{allowed: sar.Status.Allowed, reason: sar.Status.Reason}
		ttl := c.opts.TTL
		if !g.allowed {
			ttl = c.opts.NegativeTTL
		}
		c.grants.Add(key, g, ttl)
		return g, nil
	})
	if err != nil {
		return grant{}, err
	}
	return v.(grant), nil
}

// grantKey is the caller's whole identity (a SubjectAccessReview may depend on any of
// it) and the namespace.
func grantKey(u authenticationv1.UserInfo, namespace string) string {
	var b strings.Builder
	b.WriteString("g")
	for _, s := range []string{u.Username, u.UID, namespace} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	groups := slices.Clone(u.Groups)
	slices.Sort(groups)
	for _, g := range groups {
		b.WriteString(g)
		b.WriteByte(1)
	}
	keys := make([]string, 0, len(u.Extra))
	for k := range u.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(2)
		for _, v := range u.Extra[k] {
			b.WriteString(v)
			b.WriteByte(3)
		}
	}
	return b.String()
}

// flights runs one call per key at a time: concurrent misses of the same key (a burst
// of questions from a new caller) wait for the first one's answer instead of each
// calling the API server.
type flights struct {
	mu    sync.Mutex
	calls map[string]*flight
}

type flight struct {
	done chan struct{}
	v    any
	err  error
}

func (f *flights) do(key string, fn func() (any, error)) (any, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flight{}
	}
	if c := f.calls[key]; c != nil {
		f.mu.Unlock()
		<-c.done
		return c.v, c.err
	}
	c := &flight{done: make(chan struct{})}
	f.calls[key] = c
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.calls, key)
		f.mu.Unlock()
		close(c.done)
	}()
	c.v, c.err = fn()
	if c.err == nil && c.v == nil {
		c.err = errors.New("no answer")
	}
	return c.v, c.err
}
