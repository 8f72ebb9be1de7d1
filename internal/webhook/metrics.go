package webhook

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Admission metrics, on controller-runtime's registry (served on /metrics). Labels are
// bounded: four kinds, three operations, four verdicts, and the rules of ruleOf.
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
		Help: "Validating webhook decisions, by kind, operation, verdict (allowed, warned, denied, error: the cache could not be read) and the rule the denial or the first warning is about (R2-R11, InclusionCycle, DuplicateAccount, Pending, other; none when allowed or an error).",
	}, []string{"kind", "operation", "rule", "verdict"})
)

func init() { metrics.Registry.MustRegister(admissionDuration, admissionDecisions) }

// observed wraps a validator with the admission metrics.
func observed[T runtime.Object](v admission.Validator[T]) admission.Validator[T] {
	var zero T
	t := reflect.TypeOf(zero)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	kind := "unknown"
	if t != nil {
		kind = t.Name()
	}
	return observing[T]{v: v, kind: kind}
}

type observing[T runtime.Object] struct {
	v    admission.Validator[T]
	kind string
}

func (o observing[T]) observe(operation string, start time.Time, w admission.Warnings, err error) {
	admissionDuration.WithLabelValues(o.kind, operation).Observe(time.Since(start).Seconds())
	verdict := "allowed"
	switch {
	case apierrors.IsInternalError(err):
		verdict = "error"
	case err != nil:
		verdict = "denied"
	case len(w) > 0:
		verdict = "warned"
	}
	admissionDecisions.WithLabelValues(o.kind, operation, ruleOf(verdict, w, err), verdict).Inc()
}

func (o observing[T]) ValidateCreate(ctx context.Context, obj T) (admission.Warnings, error) {
	start := time.Now()
	w, err := o.v.ValidateCreate(ctx, obj)
	o.observe("CREATE", start, w, err)
	return w, err
}

func (o observing[T]) ValidateUpdate(ctx context.Context, old, obj T) (admission.Warnings, error) {
	start := time.Now()
	w, err := o.v.ValidateUpdate(ctx, old, obj)
	o.observe("UPDATE", start, w, err)
	return w, err
}

func (o observing[T]) ValidateDelete(ctx context.Context, obj T) (admission.Warnings, error) {
	start := time.Now()
	w, err := o.v.ValidateDelete(ctx, obj)
	o.observe("DELETE", start, w, err)
	return w, err
}

// The rule label's values besides the rule numbers (R1 to R11).
const (
	// ruleNone: an allowed request, or an error (nothing was judged).
	ruleNone = "none"
	// rulePending: a warning about a reference that waits for its object.
	rulePending = "Pending"
	// ruleOther: a denial or warnings that name no rule ruleOf knows.
	ruleOther = "other"
)

// reasonRules maps the reasons the validators' answers end with to their rule.
var reasonRules = map[string]string{
	v1alpha1.ReasonRoleRequiresMember:       "R2",
	v1alpha1.ReasonLicenseLimitExceeded:     "R4",
	v1alpha1.ReasonDuplicateEmail:           "R5",
	v1alpha1.ReasonRoleInUse:                "R6",
	v1alpha1.ReasonLastAccountAdministrator: "R7",
	v1alpha1.ReasonUnknownCategory:          "R8",
	v1alpha1.ReasonRoleTerminating:          "R10",
	v1alpha1.ReasonAccountInUse:             "R11",
	v1alpha1.ReasonInclusionCycle:           v1alpha1.ReasonInclusionCycle,
	v1alpha1.ReasonDuplicateAccount:         v1alpha1.ReasonDuplicateAccount,
	v1alpha1.ReasonAccountNotFound:          rulePending,
	v1alpha1.ReasonRoleNotFound:             rulePending,
	v1alpha1.ReasonWorkCenterNotFound:       rulePending,
	rulePending:                             rulePending,
}

var (
	// ruleSuffix is how a denied field's message ends: "(R4, LicenseLimitExceeded)"
	// (detail, checkFinalizerKept), or "(InclusionCycle)".
	ruleSuffix = regexp.MustCompile(`\((R(?:[1-9]|1[01]))(?:, [A-Za-z]+)?\)$|\(([A-Za-z]+)\)$`)
	// ruleInText is a rule named inside a message: "... its built-in label (R9); ...".
	ruleInText = regexp.MustCompile(`\((R(?:[1-9]|1[01]))[,)]`)
	// reasonInText is a reason closing a parenthesis in a warning: "waits (Pending)",
	// "(Pending, AccountNotFound)", "DeletionBlocked RoleInUse)".
	reasonInText = regexp.MustCompile(`([A-Z][A-Za-z]+)\)`)
)

// ruleOf is the rule a decision is about, read from the answer itself, so that the
// validators need not report it: a denial's first rejected field ends with its rule
// (and reason), a warning names its reason. The values are bounded whatever the
// messages hold (names and emails included): R1 to R11 and the constants above.
func ruleOf(verdict string, w admission.Warnings, err error) string {
	switch verdict {
	case "denied":
		return deniedRule(err)
	case "warned":
		for _, text := range w {
			for _, m := range reasonInText.FindAllStringSubmatch(text, -1) {
				if rule, ok := reasonRules[m[1]]; ok {
					return rule
				}
			}
		}
		return ruleOther
	}
	return ruleNone
}

// deniedRule is the rule of a denial's first rejected field (its message otherwise).
func deniedRule(err error) string {
	texts := []string{err.Error()}
	var se *apierrors.StatusError
	if errors.As(err, &se) {
		texts = []string{se.ErrStatus.Message}
		if d := se.ErrStatus.Details; d != nil && len(d.Causes) > 0 {
			texts = nil
			for _, c := range d.Causes {
				texts = append(texts, c.Message)
			}
		}
	}
	for _, text := range texts {
		if m := ruleSuffix.FindStringSubmatch(text); m != nil {
			if m[1] != "" {
				return m[1]
			}
			if rule, ok := reasonRules[m[2]]; ok {
				return rule
			}
		}
		if m := ruleInText.FindStringSubmatch(text); m != nil {
			return m[1]
		}
	}
	return ruleOther
}
