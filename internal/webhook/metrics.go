package webhook

import (
	"context"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Admission metrics, on controller-runtime's registry (served on /metrics). Labels are
// bounded: four kinds, three operations, four verdicts.
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
		Help: "Validating webhook decisions, by kind, operation and verdict (allowed, warned, denied, error: the cache could not be read).",
	}, []string{"kind", "operation", "verdict"})
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
	admissionDecisions.WithLabelValues(o.kind, operation, verdict).Inc()
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
