package webhook

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// Admission metrics, on controller-runtime's registry (served on /metrics). Labels are
// bounded: four kinds, three operations, four verdicts, and the rules of model.Rule.
var (
	admissionDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "workcenter_admission_duration_seconds",
		Help: "Time the validating webhooks take to judge one request, by kind and operation.",
		// Fine below 10ms, where a webhook on the write path of every object should be;
		// controller-runtime's own histogram has a bucket per factor of ten.
		Buckets: []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1},
	}, []string{"kind", "operation"})
	admissionDecisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "workcenter_admission_decisions_total",
		Help: "Validating webhook decisions, by kind, operation, verdict (allowed, warned, denied, error: the cache could not be read) and the rule of the first error, or else the first warning, the decision found (R2-R11, InclusionCycle, DuplicateAccount, Pending; none when allowed or an error).",
	}, []string{"kind", "operation", "rule", "verdict"})
)

func init() { metrics.Registry.MustRegister(admissionDuration, admissionDecisions) }

// observe times and counts one decision: its verdict (allowed, warned, denied, or error:
// the account could not be read) and the rule of its findings (none when allowed or an
// error).
func observe(kind, operation string, start time.Time, verdict string, rule model.Rule) {
	admissionDuration.WithLabelValues(kind, operation).Observe(time.Since(start).Seconds())
	label := string(rule)
	switch {
	case verdict == "allowed" || verdict == "error":
		label = ruleNone
	case label == "":
		label = ruleOther
	}
	admissionDecisions.WithLabelValues(kind, operation, label, verdict).Inc()
}

// The rule label's values besides the rules of model.Rule.
const (
	// ruleNone: an allowed request, or an error (nothing was judged).
	ruleNone = "none"
	// ruleOther: a decision whose findings name no rule.
	ruleOther = "other"
)
