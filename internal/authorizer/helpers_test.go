package authorizer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const samples = "../../config/samples"

// sampleModel is the account of config/samples (namespace acme), as kubectl procorem
// reads it offline.
func sampleModel(t testing.TB) *model.Account {
	t.Helper()
	set, err := manifests.Load(manifests.Options{Files: []string{samples}})
	if err != nil {
		t.Fatal(err)
	}
	return set.Model("acme")
}

// models is an Accounts and a Namespaces over fixed models.
type models struct {
	byNamespace map[string]*model.Account
	notReady    bool
	unsynced    bool // the models' informers have not synced
	err         error
	reads       atomic.Int64
}

func (m *models) Read(_ context.Context, namespace string, f func(*model.Account) error) error {
	m.reads.Add(1)
	if m.err != nil {
		return m.err
	}
	a := m.byNamespace[namespace]
	if a == nil {
		a = model.New(namespace)
	}
	return f(a)
}

func (m *models) Synced() bool { return !m.unsynced }

func (m *models) HasCollaborators(namespace string) (bool, bool) {
	if m.notReady {
		return false, false
	}
	a := m.byNamespace[namespace]
	return a != nil && len(a.Collaborators()) > 0, true
}

// reviewers are a fake API server's TokenReviews and SubjectAccessReviews: tokens name
// users, and grants say who may create subjectaccessreviews.procorem.workcenter.io in
// which namespace ("" for cluster-wide).
type reviewers struct {
	mu          sync.Mutex
	tokens      map[string]string // token -> username
	grants      map[string][]string
	fail        error
	tokenCalls  atomic.Int64
	accessCalls atomic.Int64
}

func (r *reviewers) tokenReviews() TokenReviewer   { return tokenFunc(r.reviewToken) }
func (r *reviewers) accessReviews() AccessReviewer { return accessFunc(r.reviewAccess) }

func (r *reviewers) reviewToken(_ context.Context, tr *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	r.tokenCalls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	out := tr.DeepCopy()
	if u, ok := r.tokens[tr.Spec.Token]; ok {
		out.Status = authenticationv1.TokenReviewStatus{Authenticated: true,
			User: authenticationv1.UserInfo{Username: u, UID: "uid-" + u, Groups: []string{"system:serviceaccounts", "system:authenticated"}}}
	} else {
		out.Status = authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}
	}
	return out, nil
}

func (r *reviewers) reviewAccess(_ context.Context, sar *authorizationv1.SubjectAccessReview, _ metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	r.accessCalls.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return nil, r.fail
	}
	ra := sar.Spec.ResourceAttributes
	if ra == nil || ra.Group != model.AuthorizationGroup || ra.Resource != CallerResource || ra.Verb != CallerVerb {
		return nil, errors.New("unexpected question")
	}
	out := sar.DeepCopy()
	for _, ns := range r.grants[sar.Spec.User] {
		if ns == "" || ns == ra.Namespace {
			out.Status.Allowed = true
		}
	}
	if !out.Status.Allowed {
		out.Status.Reason = "no RBAC policy matched"
	}
	return out, nil
}

type tokenFunc func(context.Context, *authenticationv1.TokenReview, metav1.CreateOptions) (*authenticationv1.TokenReview, error)

func (f tokenFunc) Create(ctx context.Context, tr *authenticationv1.TokenReview, o metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	return f(ctx, tr, o)
}

type accessFunc func(context.Context, *authorizationv1.SubjectAccessReview, metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error)

func (f accessFunc) Create(ctx context.Context, sar *authorizationv1.SubjectAccessReview, o metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	return f(ctx, sar, o)
}

// newTestServer is both doors over the sample account; the direct endpoint's caller
// "app" (token "app-token") may ask in acme, "other" (token "other-token") nowhere.
func newTestServer(t testing.TB) (*Server, *models, *reviewers) {
	t.Helper()
	m := &models{byNamespace: map[string]*model.Account{"acme": sampleModel(t)}}
	r := &reviewers{
		tokens: map[string]string{"app-token": "system:serviceaccount:acme:docs", "other-token": "system:serviceaccount:other:app"},
		grants: map[string][]string{"system:serviceaccount:acme:docs": {"acme"}},
	}
	s := NewServer(New(m, m, ""), ServerOptions{Tokens: r.tokenReviews(), Access: r.accessReviews()})
	return s, m, r
}

// review is a SubjectAccessReview v1 for user about attrs.
func review(user string, attrs *authorizationv1.ResourceAttributes) *authorizationv1.SubjectAccessReview {
	return &authorizationv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"},
		Spec:     authorizationv1.SubjectAccessReviewSpec{User: user, Groups: []string{"system:authenticated"}, ResourceAttributes: attrs},
	}
}

// attrs are the resource attributes of a question in the group.
func attrs(namespace, resource, verb, name string) *authorizationv1.ResourceAttributes {
	return &authorizationv1.ResourceAttributes{Namespace: namespace, Group: model.AuthorizationGroup, Version: model.AuthorizationVersion,
		Resource: resource, Verb: verb, Name: name}
}

// post sends body to h (a token, when not empty, as the bearer) and returns the code
// and the decoded answer: the review's status, or the Status of a failure.
func post(t testing.TB, h http.Handler, token string, body any) (int, authorizationv1.SubjectAccessReviewStatus, metav1.Status) {
	t.Helper()
	var data []byte
	switch b := body.(type) {
	case []byte:
		data = b
	case string:
		data = []byte(b)
	default:
		var err error
		if data, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var sar authorizationv1.SubjectAccessReview
	var status metav1.Status
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &sar); err != nil {
			t.Fatalf("answer is no SubjectAccessReview: %v\n%s", err, rec.Body.String())
		}
		if sar.APIVersion != "authorization.k8s.io/v1" || sar.Kind != "SubjectAccessReview" {
			t.Fatalf("answer is a %s %s", sar.APIVersion, sar.Kind)
		}
	} else if err := json.Unmarshal(rec.Body.Bytes(), &status); err != nil || status.Kind != "Status" {
		t.Fatalf("failure %d is no Status: %v\n%s", rec.Code, err, rec.Body.String())
	}
	return rec.Code, sar.Status, status
}
