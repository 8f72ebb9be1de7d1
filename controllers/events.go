package controllers

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"

	"github.com/workcenter-io/workcenter-operator/internal/access"
)

// boundedRecorder keeps every Event note within what the API server accepts (1 KiB for
// events.k8s.io/v1): a note that names objects at their maximum length, or quotes a
// status message, would otherwise be refused and the audit trail would lose it.
type boundedRecorder struct{ events.EventRecorder }

// Eventf records an Event with its note bounded.
func (r boundedRecorder) Eventf(regarding, related runtime.Object, eventtype, reason, action, note string, args ...any) {
	r.EventRecorder.Eventf(regarding, related, eventtype, reason, action, "%s",
		access.Bound(fmt.Sprintf(note, args...), access.MaxEventNote))
}
