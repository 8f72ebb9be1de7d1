package authorizer

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The sample people (config/samples): tom.becker is a Member with site-engineer in
// tower-a, jane.doe a Guest with contributor there, maria.lopez the Account
// Administrator; hq-fitout is archived.
const (
	tom   = "tom.becker@acme-builders.example"
	jane  = "jane.doe@steelworks-partner.example"
	maria = "maria.lopez@acme-builders.example"
)

func TestReviews(t *testing.T) {
	s, _, _ := newTestServer(t)
	type want struct {
		opinion string // allowed, denied, noOpinion
		says    []string
	}
	cases := map[string]struct {
		review *authorizationv1.SubjectAccessReview
		want   want
	}{
		"the README's yes": {review(tom, attrs("acme", "files", "upload", "tower-a")),
			want{"allowed", []string{`role "site-engineer" grants files.upload`}}},
		"a guest's tasks.create": {review(jane, attrs("acme", "tasks", "create", "tower-a")),
			want{"denied", []string{"jane-doe (Guest) may not tasks.create"}}},
		"the role lacks it": {review(tom, attrs("acme", "folders", "delete", "tower-a")),
			want{"denied", []string{`role "site-engineer" does not grant folders.delete`}}},
		"an archived WorkCenter cuts it": {review(tom, attrs("acme", "files", "upload", "hq-fitout")),
			want{"denied", []string{"archived"}}},
		"a capability": {review(maria, attrs("acme", "account", "workcenters.delete", "")),
			want{"allowed", []string{"Account Administrators hold it"}}},
		"as kubectl sends it": {review(tom, &authorizationv1.ResourceAttributes{Namespace: "acme", Resource: "files.procorem.workcenter.io", Verb: "upload", Name: "tower-a"}),
			want{"allowed", []string{"files.upload"}}},
		"as kubectl sends it, with the version": {review(jane, &authorizationv1.ResourceAttributes{Namespace: "acme", Resource: "tasks.v1alpha1.procorem.workcenter.io", Verb: "create", Name: "tower-a"}),
			want{"denied", []string{"tasks.create"}}},
		"as kubectl sends a capability": {review(maria, &authorizationv1.ResourceAttributes{Namespace: "acme", Resource: "account.procorem.workcenter.io", Verb: "users.upgrade"}),
			want{"allowed", nil}},
		"another version, as kubectl sends it": {review(tom, &authorizationv1.ResourceAttributes{Namespace: "acme", Resource: "files.v2.procorem.workcenter.io", Verb: "upload", Name: "tower-a"}),
			want{"denied", []string{`version "v2"`}}},
		"a verb in capitals": {review(strings.ToUpper(tom), attrs("acme", "FILES", "Upload", "tower-a")),
			want{"allowed", nil}},

		"another group": {review(tom, &authorizationv1.ResourceAttributes{Namespace: "acme", Group: "apps", Resource: "deployments", Verb: "get"}),
			want{"noOpinion", []string{"only the group procorem.workcenter.io"}}},
		"the core group": {review(tom, &authorizationv1.ResourceAttributes{Namespace: "acme", Resource: "pods", Verb: "get"}),
			want{"noOpinion", []string{"only the group procorem.workcenter.io"}}},
		"a non-resource question": {&authorizationv1.SubjectAccessReview{TypeMeta: review("", nil).TypeMeta,
			Spec: authorizationv1.SubjectAccessReviewSpec{User: tom, NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/healthz", Verb: "get"}}},
			want{"noOpinion", []string{"only resource questions"}}},
		"no Collaborator": {review("kubernetes-admin", attrs("acme", "files", "upload", "tower-a")),
			want{"noOpinion", []string{"not a Collaborator", "RBAC alone decides"}}},
		"a ServiceAccount": {review("system:serviceaccount:acme:docs", attrs("acme", "files", "upload", "tower-a")),
			want{"noOpinion", []string{"not a Collaborator"}}},
		"the direct endpoint's own permission": {review(tom, attrs("acme", CallerResource, CallerVerb, "")),
			want{"noOpinion", []string{"RBAC decides"}}},
		"a namespace without an account": {review(tom, attrs("elsewhere", "files", "upload", "tower-a")),
			want{"noOpinion", []string{`namespace "elsewhere" holds no Collaborator`}}},
		"no namespace": {review(tom, attrs("", "files", "upload", "tower-a")),
			want{"noOpinion", []string{"names the account's namespace"}}},

		"missing name": {review(tom, attrs("acme", "files", "upload", "")),
			want{"denied", []string{"name the WorkCenter"}}},
		"an unknown WorkCenter": {review(tom, attrs("acme", "files", "upload", "tower-z")),
			want{"denied", []string{`WorkCenter "tower-z" does not exist`}}},
		"an unknown verb": {review(tom, attrs("acme", "files", "uplod", "tower-a")),
			want{"denied", []string{"names no permission", "files.upload"}}},
		"an unknown resource": {review(tom, attrs("acme", "widgets", "get", "tower-a")),
			want{"denied", []string{"names no permission"}}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for door, h := range map[string]http.Handler{DoorWebhook: s.WebhookHandler(), DoorDirect: s.DirectHandler()} {
				code, st, failure := post(t, h, "app-token", tc.review)
				if code != http.StatusOK {
					if door == DoorDirect && code == http.StatusForbidden && (tc.review.Spec.ResourceAttributes == nil || tc.review.Spec.ResourceAttributes.Namespace != "acme") {
						continue // the caller may ask in acme only
					}
					t.Fatalf("%s door: %d %s", door, code, failure.Message)
				}
				got := "noOpinion"
				switch {
				case st.Allowed && st.Denied:
					t.Fatalf("%s door: allowed and denied", door)
				case st.Allowed:
					got = "allowed"
				case st.Denied:
					got = "denied"
				}
				if got != tc.want.opinion {
					t.Errorf("%s door: %s, want %s: %s", door, got, tc.want.opinion, st.Reason)
				}
				if st.Reason == "" {
					t.Errorf("%s door: no reason", door)
				}
				for _, w := range tc.want.says {
					if !strings.Contains(st.Reason, w) {
						t.Errorf("%s door: the reason lacks %q: %s", door, w, st.Reason)
					}
				}
			}
		})
	}
}

// Whatever a request holds, the answer is a review or a 4xx Status, never a 500; a
// model that cannot be read (or is not loaded yet) is a 503, which the API server
// retries and then answers by its failure policy.
func TestBadRequests(t *testing.T) {
	s, m, _ := newTestServer(t)
	good := review(tom, attrs("acme", "files", "upload", "tower-a"))
	cases := map[string]struct {
		method, contentType string
		body                any
		code                int
		says                string
		// directCode, when not 0, is the direct endpoint's: a review without a
		// namespace asks whether the caller may ask cluster-wide.
		directCode int
	}{
		"not JSON":            {body: "{", code: 400, says: "no SubjectAccessReview"},
		"two values":          {body: `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview"} {}`, code: 400, says: "more than one"},
		"another kind":        {body: `{"apiVersion":"v1","kind":"Pod"}`, code: 400, says: `kind "Pod"`},
		"v1beta1":             {body: `{"apiVersion":"authorization.k8s.io/v1beta1","kind":"SubjectAccessReview","spec":{"user":"x"}}`, code: 400, says: "subjectAccessReviewVersion: v1"},
		"a wrong field type":  {body: `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":1}}`, code: 400, says: "no SubjectAccessReview"},
		"GET":                 {method: http.MethodGet, body: good, code: 405, says: "POST"},
		"YAML":                {contentType: "application/yaml", body: good, code: 415, says: "JSON"},
		"too large":           {body: `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"` + strings.Repeat("x", maxBody) + `"}}`, code: 413, says: "at most"},
		"an empty spec":       {body: `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview"}`, code: 200, directCode: 403},
		"an empty attributes": {body: `{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"x","resourceAttributes":{}}}`, code: 200, directCode: 403},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			for door, h := range map[string]http.Handler{DoorWebhook: s.WebhookHandler(), DoorDirect: s.DirectHandler()} {
				method := tc.method
				if method == "" {
					method = http.MethodPost
				}
				code, failure := raw(t, h, method, tc.contentType, tc.body)
				want := tc.code
				if door == DoorDirect && tc.directCode != 0 {
					want = tc.directCode
				}
				if code != want {
					t.Errorf("%s door: %d, want %d: %s", door, code, want, failure)
				}
				if !strings.Contains(failure, tc.says) {
					t.Errorf("%s door: %q lacks %q", door, failure, tc.says)
				}
			}
		})
	}

	m.notReady = true
	if code, _, f := post(t, s.WebhookHandler(), "", good); code != http.StatusServiceUnavailable || !strings.Contains(f.Message, "not loaded") {
		t.Errorf("before the cache syncs: %d %q, want 503", code, f.Message)
	}
	m.notReady, m.unsynced = false, true
	if code, _, f := post(t, s.WebhookHandler(), "", good); code != http.StatusServiceUnavailable || !strings.Contains(f.Message, "not loaded") {
		t.Errorf("before the models' informers sync: %d %q, want 503", code, f.Message)
	}
	m.unsynced, m.err = false, errors.New("the cache is gone")
	if code, _, f := post(t, s.WebhookHandler(), "", good); code != http.StatusServiceUnavailable || !strings.Contains(f.Message, "the cache is gone") {
		t.Errorf("a model that cannot be read: %d %q, want 503", code, f.Message)
	}
	// Another group needs no model.
	if code, st, _ := post(t, s.WebhookHandler(), "", review(tom, &authorizationv1.ResourceAttributes{Group: "apps", Resource: "deployments", Verb: "get"})); code != 200 || st.Allowed || st.Denied {
		t.Errorf("another group with the model unreadable: %d %+v", code, st)
	}
}

// raw sends a request as it comes and returns the code and the failure's message.
func raw(t *testing.T, h http.Handler, method, contentType string, body any) (int, string) {
	t.Helper()
	if contentType == "" {
		contentType = "application/json"
	}
	code, _, f := post(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Method = method
		r.Header.Set("Content-Type", contentType)
		h.ServeHTTP(w, r)
	}), "app-token", body)
	return code, f.Message
}

// The direct endpoint answers only callers the API server authenticates and allows to
// create subjectaccessreviews.procorem.workcenter.io in the review's namespace, and asks
// the API server once per caller and namespace while its answers are cached.
func TestDirectEndpointCallers(t *testing.T) {
	s, _, r := newTestServer(t)
	h := s.DirectHandler()
	q := review(tom, attrs("acme", "files", "upload", "tower-a"))
	cases := []struct {
		name, token string
		review      *authorizationv1.SubjectAccessReview
		code        int
		says        string
	}{
		{"no token", "", q, 401, "Authorization: Bearer"},
		{"an unknown token", "forged", q, 401, "invalid bearer token"},
		{"a caller without the permission", "other-token", q, 403, `"system:serviceaccount:other:app" may not create subjectaccessreviews.procorem.workcenter.io in namespace "acme"`},
		{"a caller in another namespace", "app-token", review(tom, attrs("beta", "files", "upload", "tower-a")), 403, `in namespace "beta"`},
		{"a caller allowed", "app-token", q, 200, ""},
	}
	for _, tc := range cases {
		code, _, f := post(t, h, tc.token, tc.review)
		if code != tc.code || !strings.Contains(f.Message, tc.says) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, f.Message, tc.code, tc.says)
		}
	}
	tokens, access := r.tokenCalls.Load(), r.accessCalls.Load()
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _, f := post(t, h, "app-token", q); code != 200 {
				t.Errorf("%d %s", code, f.Message)
			}
		}()
	}
	wg.Wait()
	if d := r.tokenCalls.Load() - tokens; d != 0 {
		t.Errorf("200 questions of a known caller made %d TokenReviews, want 0 (cached)", d)
	}
	if d := r.accessCalls.Load() - access; d != 0 {
		t.Errorf("200 questions of a known caller made %d SubjectAccessReviews, want 0 (cached)", d)
	}

	// A new caller's burst asks the API server once.
	r.tokens["burst-token"] = "system:serviceaccount:acme:burst"
	r.grants["system:serviceaccount:acme:burst"] = []string{""}
	tokens, access = r.tokenCalls.Load(), r.accessCalls.Load()
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, _, f := post(t, h, "burst-token", q); code != 200 {
				t.Errorf("%d %s", code, f.Message)
			}
		}()
	}
	wg.Wait()
	if d := r.tokenCalls.Load() - tokens; d != 1 {
		t.Errorf("a new caller's 100 concurrent questions made %d TokenReviews, want 1", d)
	}
	if d := r.accessCalls.Load() - access; d != 1 {
		t.Errorf("a new caller's 100 concurrent questions made %d SubjectAccessReviews, want 1", d)
	}

	// The API server unreachable: 503, never cached.
	r.fail = errors.New("connection refused")
	if code, _, f := post(t, h, "new-token", q); code != http.StatusServiceUnavailable || !strings.Contains(f.Message, "connection refused") {
		t.Errorf("TokenReview failing: %d %q, want 503", code, f.Message)
	}
	r.fail = nil
	r.tokens["new-token"] = "system:serviceaccount:acme:docs"
	if code, _, f := post(t, h, "new-token", q); code != 200 {
		t.Errorf("after the API server is back: %d %q", code, f.Message)
	}
}

func TestCachesAreBounded(t *testing.T) {
	_, _, r := newTestServer(t)
	c := newCallers(r.tokenReviews(), r.accessReviews(), CallerOptions{Entries: 16})
	for i := range 1000 {
		if _, err := c.authenticate(t.Context(), "token-"+strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.users.Keys()); n > 16 {
		t.Errorf("the token cache holds %d entries, bounded at 16", n)
	}
}

// With RequireClientCert, the webhook door answers only callers whose client
// certificate the TLS server verified.
func TestWebhookClientCertificates(t *testing.T) {
	s, _, _ := newTestServer(t)
	s.clientCerts = true
	h := s.WebhookHandler()
	q := review(tom, attrs("acme", "files", "upload", "tower-a"))
	if code, _, f := post(t, h, "", q); code != http.StatusUnauthorized || !strings.Contains(f.Message, "client certificate") {
		t.Errorf("without a certificate: %d %q", code, f.Message)
	}
	verified := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{{}}}}
		h.ServeHTTP(w, r)
	})
	if code, st, f := post(t, verified, "", q); code != 200 || !st.Allowed {
		t.Errorf("with a verified certificate: %d %+v %s", code, st, f.Message)
	}
}

// Both doors answer exactly what model.Authorize answers, reason included.
func TestDoorsAnswerAsAuthorize(t *testing.T) {
	s, m, _ := newTestServer(t)
	a := m.byNamespace["acme"]
	for _, c := range a.Collaborators() {
		for _, wc := range a.WorkCenters() {
			for _, p := range model.Catalog() {
				res, verb := model.ResourceVerb(string(p.Permission))
				want := a.Authorize(c.Spec.Email, "", model.ResourceAttributes{Group: model.AuthorizationGroup, Resource: res, Verb: verb, Name: wc.Name})
				for door, h := range map[string]http.Handler{DoorWebhook: s.WebhookHandler(), DoorDirect: s.DirectHandler()} {
					_, st, _ := post(t, h, "app-token", review(c.Spec.Email, attrs("acme", res, verb, wc.Name)))
					if st != Status(want) {
						t.Fatalf("%s door, %s %s in %s: %+v, Authorize says %+v", door, c.Name, p.Permission, wc.Name, st, Status(want))
					}
				}
			}
		}
	}
}

// With an identity prefix (--identity-username-prefix), a username names a Collaborator
// only with it, as for delegated administration.
func TestIdentityPrefix(t *testing.T) {
	_, m, _ := newTestServer(t)
	a := New(m, m, "oidc:")
	q := attrs("acme", "files", "upload", "tower-a")
	for user, want := range map[string]model.Opinion{"oidc:" + tom: model.Allow, tom: model.NoOpinion, "oidc:": model.NoOpinion} {
		d, err := a.Review(t.Context(), &authorizationv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: q})
		if err != nil || d.Opinion != want {
			t.Errorf("%q: %s %q %v, want %s", user, d.Opinion, d.Reason, err, want)
		}
	}
}
