package authorizer

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The doors, the label door's values.
const (
	DoorWebhook = "webhook"
	DoorDirect  = "direct"
)

// The results of a review, the label result's values.
const (
	// ResultAllowed, ResultDenied, ResultNoOpinion: the question was answered.
	ResultAllowed   = "allowed"
	ResultDenied    = "denied"
	ResultNoOpinion = "noOpinion"
	// ResultInvalid: the request is no SubjectAccessReview v1 (400, 405, 413).
	ResultInvalid = "invalid"
	// ResultUnauthenticated: the caller presented no valid token, or (webhook door) no
	// valid client certificate (401).
	ResultUnauthenticated = "unauthenticated"
	// ResultForbidden: the direct endpoint's caller may not create
	// subjectaccessreviews.procorem.workcenter.io in the namespace (403).
	ResultForbidden = "forbidden"
	// ResultError: the question could not be answered: the account models are not
	// loaded yet, or a TokenReview or SubjectAccessReview of the caller failed (503).
	ResultError = "error"
)

var (
	doors   = []string{DoorWebhook, DoorDirect}
	results = []string{ResultAllowed, ResultDenied, ResultNoOpinion, ResultInvalid, ResultUnauthenticated, ResultForbidden, ResultError}
)

// Metrics, on controller-runtime's registry (served on /metrics; docs/metrics.md).
// Labels are bounded: two doors, seven results.
var (
	reviewDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "workcenter_authorizer_duration_seconds",
		Help: "Time the authorizer takes to answer one SubjectAccessReview, from its request read to its answer written, by door (webhook, direct).",
		// A check is a lookup in memory: tens of microseconds; the direct endpoint's
		// cache misses call the API server (milliseconds).
		Buckets: []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25},
	}, []string{"door"})
	reviewsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "workcenter_authorizer_reviews_total",
		Help: "SubjectAccessReviews the authorizer answered, by door (webhook, direct) and result (allowed, denied, noOpinion; invalid: no SubjectAccessReview v1; unauthenticated, forbidden: the caller; error: not answered, the account models not loaded or the caller's checks failing).",
	}, []string{"door", "result"})

	// counters and histograms of each door and result, resolved once: observing costs
	// no label lookup.
	counters   = map[string]map[string]prometheus.Counter{}
	histograms = map[string]prometheus.Observer{}
)

func init() {
	metrics.Registry.MustRegister(reviewDuration, reviewsTotal)
	for _, d := range doors {
		histograms[d] = reviewDuration.WithLabelValues(d)
		counters[d] = map[string]prometheus.Counter{}
		for _, r := range results {
			// Every series exists from the start, at zero: rates and alerts see them.
			counters[d][r] = reviewsTotal.WithLabelValues(d, r)
		}
	}
}

// observe counts one review of door with its result, and times it from start.
func observe(door, result string, start time.Time) {
	histograms[door].Observe(time.Since(start).Seconds())
	counters[door][result].Inc()
}
