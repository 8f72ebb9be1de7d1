package authorizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-logr/logr"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// maxBody bounds a review's size: a SubjectAccessReview is a few hundred bytes, a few
// KiB with many groups and extra values.
const maxBody = 1 << 20

var (
	reviewAPIVersion = authorizationv1.SchemeGroupVersion.String()
	reviewKind       = "SubjectAccessReview"
)

// Server is the authorizer's two doors, as HTTP handlers for the manager's webhook
// server (TLS).
type Server struct {
	authorizer *Authorizer
	callers    *callers
	// clientCerts requires a verified client certificate at the webhook door: the
	// server's TLS configuration verifies those given (ClientCATLS).
	clientCerts bool
	log         logr.Logger
}

// ServerOptions configure the doors.
type ServerOptions struct {
	// Tokens and Access check the direct endpoint's callers; without them it is not
	// served (DirectHandler is nil).
	Tokens TokenReviewer
	Access AccessReviewer
	Caller CallerOptions
	// RequireClientCert makes the webhook door answer only callers (the API server) that
	// presented a client certificate the webhook server verified: its TLS configuration
	// must verify them (ClientCATLS).
	RequireClientCert bool
	Log               logr.Logger
}

// NewServer is the doors of a.
func NewServer(a *Authorizer, opts ServerOptions) *Server {
	s := &Server{authorizer: a, clientCerts: opts.RequireClientCert, log: opts.Log}
	if opts.Tokens != nil && opts.Access != nil {
		s.callers = newCallers(opts.Tokens, opts.Access, opts.Caller)
	}
	return s
}

// WebhookHandler is the authorization webhook (WebhookPath): the API server posts a
// SubjectAccessReview v1 and gets it back with its status.
func (s *Server) WebhookHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		if s.clientCerts && (r.TLS == nil || len(r.TLS.VerifiedChains) == 0) {
			s.fail(w, DoorWebhook, start, http.StatusUnauthorized, metav1.StatusReasonUnauthorized,
				"the authorization webhook answers only callers with a client certificate of its client CA")
			return
		}
		review, ok := s.read(w, r, DoorWebhook, start)
		if !ok {
			return
		}
		s.answer(w, r, DoorWebhook, start, review, false)
	})
}

// DirectHandler is the direct endpoint (DirectPath): an application posts a
// SubjectAccessReview v1 with its bearer token; nil without ServerOptions.Tokens and
// Access.
func (s *Server) DirectHandler() http.Handler {
	if s.callers == nil {
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		token, ok := bearer(r)
		if !ok {
			s.fail(w, DoorDirect, start, http.StatusUnauthorized, metav1.StatusReasonUnauthorized,
				"send the caller's ServiceAccount token as Authorization: Bearer TOKEN")
			return
		}
		id, err := s.callers.authenticate(r.Context(), token)
		if err != nil {
			s.log.Error(err, "authenticating a caller of the direct endpoint")
			s.fail(w, DoorDirect, start, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable,
				"the caller's token could not be reviewed: "+err.Error())
			return
		}
		if !id.ok {
			msg := "the token is not valid"
			if id.error != "" {
				msg += ": " + id.error
			}
			s.fail(w, DoorDirect, start, http.StatusUnauthorized, metav1.StatusReasonUnauthorized, msg)
			return
		}
		review, ok := s.read(w, r, DoorDirect, start)
		if !ok {
			return
		}
		namespace := ""
		if review.Spec.ResourceAttributes != nil {
			namespace = review.Spec.ResourceAttributes.Namespace
		}
		g, err := s.callers.authorize(r.Context(), id.user, namespace)
		if err != nil {
			s.log.Error(err, "authorizing a caller of the direct endpoint", "caller", id.user.Username)
			s.fail(w, DoorDirect, start, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable,
				"the caller's permission could not be reviewed: "+err.Error())
			return
		}
		if !g.allowed {
			where := "cluster-wide"
			if namespace != "" {
				where = fmt.Sprintf("in namespace %q", namespace)
			}
			msg := fmt.Sprintf("user %q may not %s %s.%s %s (bind the ClusterRole workcenter-operator-authorizer-client-role)",
				id.user.Username, CallerVerb, CallerResource, model.AuthorizationGroup, where)
			if g.reason != "" {
				msg += ": " + g.reason
			}
			s.fail(w, DoorDirect, start, http.StatusForbidden, metav1.StatusReasonForbidden, msg)
			return
		}
		s.answer(w, r, DoorDirect, start, review, true)
	})
}

// read decodes the request's SubjectAccessReview; on failure it has answered.
func (s *Server) read(w http.ResponseWriter, r *http.Request, door string, start time.Time) (*authorizationv1.SubjectAccessReview, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.fail(w, door, start, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "POST a SubjectAccessReview")
		return nil, false
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		s.fail(w, door, start, http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			fmt.Sprintf("the review must be JSON (Content-Type application/json), not %q", ct))
		return nil, false
	}
	var review authorizationv1.SubjectAccessReview
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&review); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			s.fail(w, door, start, http.StatusRequestEntityTooLarge, metav1.StatusReasonRequestEntityTooLarge,
				fmt.Sprintf("a review takes at most %d bytes", maxBody))
			return nil, false
		}
		s.fail(w, door, start, http.StatusBadRequest, metav1.StatusReasonBadRequest, "the body is no SubjectAccessReview: "+err.Error())
		return nil, false
	}
	if _, err := dec.Token(); err != io.EOF {
		s.fail(w, door, start, http.StatusBadRequest, metav1.StatusReasonBadRequest, "the body holds more than one JSON value")
		return nil, false
	}
	if review.APIVersion != reviewAPIVersion || review.Kind != reviewKind {
		s.fail(w, door, start, http.StatusBadRequest, metav1.StatusReasonBadRequest,
			fmt.Sprintf("expected a %s %s, got apiVersion %q kind %q (subjectAccessReviewVersion: v1)",
				reviewAPIVersion, reviewKind, model.Short(review.APIVersion), model.Short(review.Kind)))
		return nil, false
	}
	return &review, true
}

// answer reviews and writes the answer: the review with its status (the direct
// endpoint echoes the spec, the webhook door does not: the API server reads only the
// status).
func (s *Server) answer(w http.ResponseWriter, r *http.Request, door string, start time.Time, review *authorizationv1.SubjectAccessReview, echo bool) {
	d, err := s.authorizer.Review(r.Context(), &review.Spec)
	if err != nil {
		if !errors.Is(err, ErrNotReady) {
			s.log.Error(err, "answering a SubjectAccessReview", "door", door)
		}
		s.fail(w, door, start, http.StatusServiceUnavailable, metav1.StatusReasonServiceUnavailable, err.Error())
		return
	}
	out := response{APIVersion: reviewAPIVersion, Kind: reviewKind, Status: Status(d)}
	if echo {
		out.Metadata, out.Spec = &review.ObjectMeta, &review.Spec
	}
	result := ResultNoOpinion
	switch d.Opinion {
	case model.Allow:
		result = ResultAllowed
	case model.Deny:
		result = ResultDenied
	}
	write(w, http.StatusOK, out)
	observe(door, result, start)
}

// response is a SubjectAccessReview as the doors answer it.
type response struct {
	APIVersion string                                    `json:"apiVersion"`
	Kind       string                                    `json:"kind"`
	Metadata   *metav1.ObjectMeta                        `json:"metadata,omitempty"`
	Spec       *authorizationv1.SubjectAccessReviewSpec  `json:"spec,omitempty"`
	Status     authorizationv1.SubjectAccessReviewStatus `json:"status"`
}

// fail answers with a Kubernetes Status (what client-go reads an error from), never a
// 500: every failure is the request's (4xx) or a dependency's (503, retried by the API
// server, whose failure policy then decides).
func (s *Server) fail(w http.ResponseWriter, door string, start time.Time, code int, reason metav1.StatusReason, msg string) {
	result := ResultInvalid
	switch code {
	case http.StatusUnauthorized:
		result = ResultUnauthenticated
	case http.StatusForbidden:
		result = ResultForbidden
	case http.StatusServiceUnavailable:
		result = ResultError
	}
	write(w, code, metav1.Status{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Status"},
		Status: metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg})
	observe(door, result, start)
}

func write(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// bearer is the request's bearer token.
func bearer(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(auth, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
