package controllers

import (
	"context"
	"reflect"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// watchMappingErrors counts watch map functions that could not read what an event
// should wake. Each one is a wake-up that may be lost until the next change or restart,
// so it is never dropped in silence: it is logged with the object, and counted here.
var watchMappingErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "workcenter_operator_watch_mapping_errors_total",
	Help: "Watch map functions that failed to read the objects an event should wake, by controller and kind of the event's object.",
}, []string{"controller", "kind"})

func init() { metrics.Registry.MustRegister(watchMappingErrors) }

// mappingFailed reports that controller's map function could not read what a change of
// o should wake.
func mappingFailed(ctx context.Context, controller string, o client.Object, err error) {
	kind := o.GetObjectKind().GroupVersionKind().Kind
	if kind == "" {
		kind = typeName(o)
	}
	logf.FromContext(ctx).Error(err, "watch mapping failed: objects this change should wake may not be reconciled",
		"controller", controller, "kind", kind, "namespace", o.GetNamespace(), "name", o.GetName())
	watchMappingErrors.WithLabelValues(controller, kind).Inc()
}

// typeName is the Go type name of o (Collaborator, WorkCenterRole...): typed objects
// read from the cache carry no kind.
func typeName(o client.Object) string {
	t := reflect.TypeOf(o)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}
