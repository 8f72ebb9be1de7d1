//go:build scale

package scale

import (
	"context"
	"fmt"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// rbacObserver watches the operator's Roles and RoleBindings (labelled
// access.workcenter.io/collaborator-rbac) in every namespace and records each write
// (create, update, delete): how many, on which objects, for which Collaborators.
type rbacObserver struct {
	mu sync.Mutex
	// present are the objects that exist, by kind/namespace/name.
	present map[string]bool
	writes  int
	// byNamespace counts the writes per namespace.
	byNamespace map[string]int
	// written and people are the objects written, and the Collaborators (namespace/name)
	// they are for, since the last mark.
	written map[string]bool
	people  map[string]bool
}

func newRBACObserver() *rbacObserver {
	return &rbacObserver{present: map[string]bool{}, written: map[string]bool{}, people: map[string]bool{}, byNamespace: map[string]int{}}
}

var rbacSelector = client.MatchingLabels{v1alpha1.LabelCollaboratorRBAC: "true"}

// run watches both kinds until ctx ends, resuming a watch the API server closes from the
// last resourceVersion seen, or from a new list when that is too old (the writes in
// between not counted), as observer.run does.
func (o *rbacObserver) run(ctx context.Context, c client.WithWatch) error {
	for kind, newList := range map[string]func() client.ObjectList{
		"Role":        func() client.ObjectList { return &rbacv1.RoleList{} },
		"RoleBinding": func() client.ObjectList { return &rbacv1.RoleBindingList{} },
	} {
		l := newList()
		if err := c.List(ctx, l, rbacSelector); err != nil {
			return err
		}
		o.refresh(kind, l)
		go follow(ctx, c, newList, l.GetResourceVersion(), func(l client.ObjectList) { o.refresh(kind, l) },
			func(t watch.EventType, obj client.Object) { o.record(kind, t, obj) }, nil, rbacSelector)
	}
	return nil
}

// refresh takes the objects of a list as the ones present, without counting writes.
func (o *rbacObserver) refresh(kind string, l client.ObjectList) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k := range o.present {
		if len(k) > len(kind) && k[:len(kind)+1] == kind+"/" {
			delete(o.present, k)
		}
	}
	switch l := l.(type) {
	case *rbacv1.RoleList:
		for i := range l.Items {
			o.present[kind+"/"+l.Items[i].Namespace+"/"+l.Items[i].Name] = true
		}
	case *rbacv1.RoleBindingList:
		for i := range l.Items {
			o.present[kind+"/"+l.Items[i].Namespace+"/"+l.Items[i].Name] = true
		}
	}
}

// record counts a write of a Role or RoleBinding seen on the watch.
func (o *rbacObserver) record(kind string, t watch.EventType, obj client.Object) {
	k := kind + "/" + obj.GetNamespace() + "/" + obj.GetName()
	o.mu.Lock()
	o.writes++
	o.byNamespace[obj.GetNamespace()]++
	o.written[k] = true
	o.people[obj.GetNamespace()+"/"+obj.GetAnnotations()[v1alpha1.AnnotationCollaborator]] = true
	if t == watch.Deleted {
		delete(o.present, k)
	} else {
		o.present[k] = true
	}
	o.mu.Unlock()
}

// count is every write seen so far.
func (o *rbacObserver) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writes
}

// countIn is every write seen so far in the namespaces.
func (o *rbacObserver) countIn(namespaces map[string]bool) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for ns := range namespaces {
		n += o.byNamespace[ns]
	}
	return n
}

// mark forgets which objects were written, for the next change cost.
func (o *rbacObserver) mark() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.written, o.people = map[string]bool{}, map[string]bool{}
}

// since is how many distinct objects, and Collaborators, were written since mark.
func (o *rbacObserver) since() (objects, people int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.written), len(o.people)
}

// inNamespaces counts the objects present in the namespaces.
func (o *rbacObserver) inNamespaces(namespaces map[string]bool) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for k := range o.present {
		if namespaces[nsOf(k)] {
			n++
		}
	}
	return n
}

// waitPresent waits until want objects are present in the namespaces.
func (o *rbacObserver) waitPresent(namespaces map[string]bool, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for o.inNamespaces(namespaces) < want {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d Roles and RoleBindings after %s", o.inNamespaces(namespaces), want, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// settle waits until no Role or RoleBinding has been written for a second (at most two
// minutes): the RBAC controller writes a namespace in one reconcile, which settle
// (reconciles and queues) does not see end.
func (o *rbacObserver) settle() {
	last := o.count()
	for range 120 {
		time.Sleep(time.Second)
		now := o.count()
		if now == last {
			return
		}
		last = now
	}
}

// reconcileMean is the mean duration of one controller's reconciles so far
// (controller_runtime_reconcile_time_seconds), and how many there were.
func (m *manager) reconcileMean(controller string) (time.Duration, uint64) {
	fams, err := m.scrape()
	if err != nil || fams["controller_runtime_reconcile_time_seconds"] == nil {
		return 0, 0
	}
	for _, metric := range fams["controller_runtime_reconcile_time_seconds"].Metric {
		for _, l := range metric.Label {
			if l.GetName() == "controller" && l.GetValue() == controller {
				h := metric.GetHistogram()
				if h.GetSampleCount() == 0 {
					return 0, 0
				}
				return time.Duration(h.GetSampleSum() / float64(h.GetSampleCount()) * float64(time.Second)), h.GetSampleCount()
			}
		}
	}
	return 0, 0
}
