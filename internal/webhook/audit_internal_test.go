package webhook

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

type notes []string

func (n *notes) Eventf(_, _ runtime.Object, _, _, _, note string, args ...any) { *n = append(*n, note) }

// TestPendingAudits: an admitted change's Event is written once the cache shows the
// object as admitted (or gone, for a deletion), never for a change that was not stored,
// and forgotten after auditWait.
func TestPendingAudits(t *testing.T) {
	var written notes
	p := newPendingAudits(&written)
	tower := &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Name: "tower-a", Namespace: "acme"}}
	finding := model.Findings{{Rule: model.RuleDelegation, Warning: true, Audit: tower, Message: "maria is not assigned"}}
	collab := func(uid, role string) *v1alpha1.Collaborator {
		return &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Name: "tom", Namespace: "acme", UID: types.UID("uid-" + uid)},
			Spec: v1alpha1.CollaboratorSpec{Email: "tom@example.com", WorkCenters: []v1alpha1.WorkCenterAssignment{{Name: "tower-a", Role: v1alpha1.ObjectName(role)}}}}
	}

	p.admitted("Collaborator", model.Update, collab("1", "contributor"), finding)
	p.seen(collab("1", "read-only"), false) // another change of the object
	p.seen(collab("2", "contributor"), false)
	if len(written) != 0 {
		t.Fatalf("written before the admitted change was stored: %v", written)
	}
	stored := collab("1", "contributor")
	stored.Finalizers = []string{v1alpha1.FinalizerLastAdministrator} // the operator's own
	p.seen(stored, false)
	if len(written) != 1 {
		t.Fatalf("written %d Events once stored, want 1", len(written))
	}
	p.seen(stored, false)
	if len(written) != 1 || p.count != 0 {
		t.Fatalf("written again: %v (%d waiting)", written, p.count)
	}

	p.admitted("Collaborator", model.Delete, collab("3", "contributor"), finding)
	p.seen(collab("3", "contributor"), false)
	if len(written) != 1 {
		t.Fatal("a deletion's Event written while the object is not being deleted")
	}
	p.seen(collab("3", "contributor"), true)
	if len(written) != 2 {
		t.Fatal("a deletion's Event not written once the object is gone")
	}

	p.admitted("Collaborator", model.Create, collab("4", "contributor"), finding)
	p.mu.Lock()
	p.expire(time.Now().Add(auditWait + time.Second))
	p.mu.Unlock()
	p.seen(collab("4", "contributor"), false)
	if len(written) != 2 || p.count != 0 {
		t.Fatalf("an expired Event written, or still waiting: %v, %d", written, p.count)
	}

	for i := range maxPendingAudits + 5 {
		p.admitted("Collaborator", model.Update, collab(fmt.Sprint("bulk-", i), "x"), finding)
	}
	if p.count > maxPendingAudits {
		t.Fatalf("%d Events waiting, bound %d", p.count, maxPendingAudits)
	}
}
