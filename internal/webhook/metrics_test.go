package webhook

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// answers is a validator that gives the answer it holds.
type answers struct {
	w   admission.Warnings
	err error
}

func (a answers) ValidateCreate(context.Context, *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return a.w, a.err
}
func (a answers) ValidateUpdate(context.Context, *v1alpha1.WorkCenter, *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return a.w, a.err
}
func (a answers) ValidateDelete(context.Context, *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return a.w, a.err
}

// Every decision is counted once under its verdict, and timed under its kind and
// operation; the answer passes through unchanged.
func TestAdmissionMetrics(t *testing.T) {
	ctx := context.Background()
	gr := schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: "workcenters"}
	for _, tc := range []struct {
		verdict, operation string
		answer             answers
		call               func(admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error)
	}{
		{"allowed", "CREATE", answers{}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateCreate(ctx, &v1alpha1.WorkCenter{})
		}},
		{"warned", "DELETE", answers{w: admission.Warnings{"held by a finalizer"}}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateDelete(ctx, &v1alpha1.WorkCenter{})
		}},
		{"denied", "UPDATE", answers{err: apierrors.NewInvalid(schema.GroupKind{Group: gr.Group, Kind: "WorkCenter"}, "tower", nil)}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateUpdate(ctx, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenter{})
		}},
		{"error", "CREATE", answers{err: apierrors.NewInternalError(errors.New("cache not synced"))}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateCreate(ctx, &v1alpha1.WorkCenter{})
		}},
	} {
		decisions := admissionDecisions.WithLabelValues("WorkCenter", tc.operation, tc.verdict)
		was := testutil.ToFloat64(decisions)
		timed := samples(t, tc.operation)
		w, err := tc.call(observed[*v1alpha1.WorkCenter](tc.answer))
		if len(w) != len(tc.answer.w) || err != tc.answer.err {
			t.Errorf("%s: the answer changed: %v, %v", tc.verdict, w, err)
		}
		if got := testutil.ToFloat64(decisions) - was; got != 1 {
			t.Errorf("%s: counted %v times, want once", tc.verdict, got)
		}
		if got := samples(t, tc.operation) - timed; got != 1 {
			t.Errorf("%s: timed %d times, want once", tc.verdict, got)
		}
	}
}

// samples is how many WorkCenter requests of operation were timed.
func samples(t *testing.T, operation string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := admissionDuration.WithLabelValues("WorkCenter", operation).(prometheus.Histogram).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}
