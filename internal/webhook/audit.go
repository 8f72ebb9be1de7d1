package webhook

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The audit trail of delegated administration (docs/administration.md): an Event on each
// WorkCenter an administrator changed, or whose assignments it changed, without being
// assigned to it. Admission knows of the change before the API server stores it, and the
// API server may still refuse it after admission (a name taken, another webhook, a
// quota, a conflict): so the Event waits until the manager's cache shows the object
// stored as admitted (the same UID with the same spec and lifecycle metadata), or gone
// for a deletion, and is forgotten unwritten after auditWait.

// auditWait is how long an admitted change's Event waits for the cache to show it.
const auditWait = time.Minute

// maxPendingAudits bounds the Events waiting (the oldest are dropped first).
const maxPendingAudits = 10000

// pendingAudits holds the Events of admitted changes until the cache shows them stored.
type pendingAudits struct {
	recorder events.EventRecorder
	mu       sync.Mutex
	byUID    map[types.UID][]pendingAudit
	count    int
}

type pendingAudit struct {
	// digest is the admitted object's state (auditDigest); zero for a deletion.
	digest   [sha256.Size]byte
	deletion bool
	expires  time.Time
	// regarding is the WorkCenter, related the object changed, note the Event's.
	regarding *v1alpha1.WorkCenter
	related   client.Object
	reason    string
	note      string
}

func newPendingAudits(recorder events.EventRecorder) *pendingAudits {
	return &pendingAudits{recorder: recorder, byUID: map[types.UID][]pendingAudit{}}
}

// watch follows the kinds whose changes are audited (Collaborators, WorkCenters) in the
// manager's cache.
func (p *pendingAudits) watch(ctx context.Context, c cache.Cache) error {
	for _, obj := range []client.Object{&v1alpha1.Collaborator{}, &v1alpha1.WorkCenter{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { p.seen(o, false) },
			UpdateFunc: func(_, o any) { p.seen(o, false) },
			DeleteFunc: func(o any) {
				if t, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
					o = t.Obj
				}
				p.seen(o, true)
			},
		}); err != nil {
			return err
		}
	}
	return nil
}

// admitted keeps the audit findings of a change admission allowed, until it is stored.
func (p *pendingAudits) admitted(kind string, op model.Operation, obj client.Object, findings model.Findings) {
	now := time.Now()
	var add []pendingAudit
	for _, f := range findings {
		if f.Audit == nil {
			continue
		}
		pa := pendingAudit{deletion: op == model.Delete, expires: now.Add(auditWait), regarding: f.Audit,
			related: obj, reason: f.Reason, note: kind + " " + quote(obj.GetName()) + ": " + f.Message}
		if !pa.deletion {
			pa.digest = auditDigest(obj)
		}
		add = append(add, pa)
	}
	if len(add) == 0 || obj.GetUID() == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	for p.count+len(add) > maxPendingAudits && p.count > 0 {
		p.dropOldest()
	}
	p.byUID[obj.GetUID()] = append(p.byUID[obj.GetUID()], add...)
	p.count += len(add)
}

// seen writes the Events waiting for o: those of its deletion once it is gone or being
// deleted, those of a create or an update once it is as admitted.
func (p *pendingAudits) seen(o any, gone bool) {
	obj, ok := o.(client.Object)
	if !ok {
		return
	}
	p.mu.Lock()
	waiting := p.byUID[obj.GetUID()]
	if len(waiting) == 0 {
		p.mu.Unlock()
		return
	}
	deleting := gone || obj.GetDeletionTimestamp() != nil
	var digest [sha256.Size]byte
	if !gone {
		digest = auditDigest(obj)
	}
	var write, keep []pendingAudit
	for _, pa := range waiting {
		if (pa.deletion && deleting) || (!pa.deletion && !gone && pa.digest == digest) {
			write = append(write, pa)
		} else {
			keep = append(keep, pa)
		}
	}
	p.count -= len(write)
	if len(keep) == 0 {
		delete(p.byUID, obj.GetUID())
	} else {
		p.byUID[obj.GetUID()] = keep
	}
	p.mu.Unlock()
	for _, pa := range write {
		p.recorder.Eventf(pa.regarding, pa.related, corev1.EventTypeNormal, pa.reason, "Administer", "%s", pa.note)
	}
}

// expire forgets the Events whose change was never stored.
func (p *pendingAudits) expire(now time.Time) {
	for uid, list := range p.byUID {
		n := len(list)
		list = deleteExpired(list, now)
		p.count -= n - len(list)
		if len(list) == 0 {
			delete(p.byUID, uid)
		} else {
			p.byUID[uid] = list
		}
	}
}

func deleteExpired(list []pendingAudit, now time.Time) []pendingAudit {
	out := list[:0]
	for _, pa := range list {
		if pa.expires.After(now) {
			out = append(out, pa)
		}
	}
	return out
}

// dropOldest forgets the Event that expires first.
func (p *pendingAudits) dropOldest() {
	var oldest types.UID
	var at time.Time
	for uid, list := range p.byUID {
		if oldest == "" || list[0].expires.Before(at) {
			oldest, at = uid, list[0].expires
		}
	}
	list := p.byUID[oldest][1:]
	p.count--
	if len(list) == 0 {
		delete(p.byUID, oldest)
	} else {
		p.byUID[oldest] = list
	}
}

// auditDigest is what an admitted change and the stored object must agree on: the spec,
// the owner references and the finalizers other than the operator's (which the operator
// itself may add or remove meanwhile).
func auditDigest(obj client.Object) [sha256.Size]byte {
	var spec any
	switch o := obj.(type) {
	case *v1alpha1.Collaborator:
		spec = o.Spec
	case *v1alpha1.WorkCenter:
		spec = o.Spec
	}
	b, _ := json.Marshal(struct {
		Spec       any
		Owners     []metav1.OwnerReference
		Finalizers []string
	}{spec, obj.GetOwnerReferences(), model.ForeignFinalizers(obj.GetFinalizers())})
	return sha256.Sum256(b)
}

func quote(s string) string { return `"` + model.Short(s) + `"` }
