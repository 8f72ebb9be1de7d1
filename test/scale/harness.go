//go:build scale

// Package scale is the benchmark harness behind `make bench-scale`: it starts the
// envtest control plane, runs the real manager binary (built from ./cmd, so its flags and
// caches are what users get) as the operator's user bound to the generated ClusterRole,
// drives accounts of a given shape through it, and prints its figures, one table per
// shape, which it also writes to docs/performance.md. It is not part of `make test`: a run
// takes minutes.
package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/profile"
	dto "github.com/prometheus/client_model/go"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// manager is the operator's binary running as a process.
type manager struct{ *testenv.Manager }

func freePort() string { return testenv.FreePort() }

// startManager runs bin with the operator's kubeconfig (testenv.StartManager).
// SCALE_MANAGER_ARGS adds arguments, split on spaces (for example --zap-log-level=5 to
// log every reconcile).
func startManager(bin, kubeconfig, logPath string, extra ...string) (*manager, error) {
	extra = append(extra, strings.Fields(os.Getenv("SCALE_MANAGER_ARGS"))...)
	m, err := testenv.StartManager(bin, kubeconfig, logPath, extra...)
	if err != nil {
		return nil, err
	}
	return &manager{m}, nil
}

func (m *manager) stop() { m.Stop() }

func (m *manager) scrape() (map[string]*dto.MetricFamily, error) { return m.Scrape() }

// liveHeap is the manager's heap in use right after a garbage collection (pprof's heap
// profile with gc=1 runs one first): what its caches and models hold, without the garbage
// a busy moment leaves until the next collection.
func (m *manager) liveHeap() float64 {
	resp, err := http.Get("http://" + m.PprofAddr + "/debug/pprof/heap?gc=1")
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return m.gauge("go_memstats_heap_inuse_bytes")
}

// cpuSeconds is the manager's process_cpu_seconds_total.
func (m *manager) cpuSeconds() float64 { return m.counter("process_cpu_seconds_total") }

// counter reads one counter of the manager, summed over its series.
func (m *manager) counter(name string) float64 {
	fams, err := m.scrape()
	if err != nil || fams[name] == nil {
		return 0
	}
	t := 0.0
	for _, metric := range fams[name].Metric {
		t += metric.GetCounter().GetValue()
	}
	return t
}

// heapProfile is the manager's heap profile, after a GC; with path not empty it is
// also written there.
func (m *manager) heapProfile(path string) (*profile.Profile, error) {
	resp, err := http.Get("http://" + m.PprofAddr + "/debug/pprof/heap?gc=1")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if err := os.WriteFile(path, raw, 0o644); err != nil {
			return nil, err
		}
	}
	return profile.ParseData(raw)
}

// cpuProfile writes the manager's CPU profile over the next d to path (errors are
// logged: a profile is a debugging aid, not a figure).
func (m *manager) cpuProfile(path string, d time.Duration) {
	resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", m.PprofAddr, int(d.Seconds())))
	if err == nil {
		defer resp.Body.Close()
		var raw []byte
		if raw, err = io.ReadAll(resp.Body); err == nil {
			err = os.WriteFile(path, raw, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cpu profile %s: %v\n", path, err)
	}
}

// inUseUnder estimates the bytes in use allocated under functions whose name starts with
// one of prefixes (the profile's sampled inuse_space).
func inUseUnder(p *profile.Profile, prefixes ...string) float64 {
	idx := -1
	for i, st := range p.SampleType {
		if st.Type == "inuse_space" {
			idx = i
		}
	}
	if idx < 0 {
		return 0
	}
	total := 0.0
	for _, s := range p.Sample {
	stack:
		for _, loc := range s.Location {
			for _, line := range loc.Line {
				for _, pre := range prefixes {
					if line.Function != nil && strings.HasPrefix(line.Function.Name, pre) {
						total += float64(s.Value[idx])
						break stack
					}
				}
			}
		}
	}
	return total
}

// reconciles sums controller_runtime_reconcile_total per controller.
func (m *manager) reconciles() map[string]float64 {
	return m.countersBy("controller_runtime_reconcile_total", func(l map[string]string) string { return l["controller"] })
}

// countersBy sums the counters of family per key, key naming a series by its labels.
func (m *manager) countersBy(family string, key func(labels map[string]string) string) map[string]float64 {
	out := map[string]float64{}
	fams, err := m.scrape()
	if err != nil || fams[family] == nil {
		return out
	}
	for _, metric := range fams[family].Metric {
		labels := map[string]string{}
		for _, l := range metric.Label {
			labels[l.GetName()] = l.GetValue()
		}
		out[key(labels)] += metric.GetCounter().GetValue()
	}
	return out
}

// busy sums, per controller, the seconds its reconciles took
// (controller_runtime_reconcile_time_seconds) and the seconds its requests waited in its
// queue (workqueue_queue_duration_seconds): where the manager's time goes.
func (m *manager) busy() (reconciling, waiting map[string]float64) {
	reconciling, waiting = map[string]float64{}, map[string]float64{}
	fams, err := m.scrape()
	if err != nil {
		return reconciling, waiting
	}
	sum := func(family, label string, into map[string]float64) {
		if f := fams[family]; f != nil {
			for _, metric := range f.Metric {
				for _, l := range metric.Label {
					if l.GetName() == label {
						into[l.GetValue()] += metric.GetHistogram().GetSampleSum()
					}
				}
			}
		}
	}
	sum("controller_runtime_reconcile_time_seconds", "controller", reconciling)
	sum("workqueue_queue_duration_seconds", "name", waiting)
	return reconciling, waiting
}

// reconcileErrors sums controller_runtime_reconcile_errors_total per controller
// (conflicts among them: a write from a cache behind the API server).
func (m *manager) reconcileErrors() map[string]float64 {
	return m.countersBy("controller_runtime_reconcile_errors_total", func(l map[string]string) string { return l["controller"] })
}

// wakeups reads workcenter_operator_watch_wakeups_total: the requests queued after the
// initial list, by "controller<-kind/source" (controllers/wakeups.go).
func (m *manager) wakeups() map[string]float64 {
	return m.countersBy("workcenter_operator_watch_wakeups_total", func(l map[string]string) string {
		return l["controller"] + "<-" + l["kind"] + "/" + l["source"]
	})
}

// queued sums workqueue_depth over the controllers.
func (m *manager) queued() float64 {
	fams, err := m.scrape()
	if err != nil || fams["workqueue_depth"] == nil {
		return 0
	}
	t := 0.0
	for _, metric := range fams["workqueue_depth"].Metric {
		t += metric.GetGauge().GetValue()
	}
	return t
}

// gauge reads one gauge of the manager.
func (m *manager) gauge(name string) float64 {
	fams, err := m.scrape()
	if err != nil || fams[name] == nil || len(fams[name].Metric) == 0 {
		return 0
	}
	return fams[name].Metric[0].GetGauge().GetValue()
}

// observer watches every object of the four kinds and records each write: the state of
// each object (converged: Ready True at its generation), and when it was written.
type observer struct {
	mu sync.Mutex
	// objects by kind/namespace/name: whether converged, and when it last was written.
	state map[string]objState
	// writes are MODIFIED events (status and metadata writes); created ADDED events.
	writes, created int
	// written is every object written since the last mark, for change costs.
	written map[string]bool
	// convergedAt is when each object was first seen converged since it last changed spec.
	convergedAt map[string]time.Time
	// resumed counts watches resumed after the API server closed them.
	resumed int
}

type objState struct {
	converged bool
	gen       int64
}

func newObserver() *observer {
	return &observer{state: map[string]objState{}, written: map[string]bool{}, convergedAt: map[string]time.Time{}}
}

func key(kind string, o client.Object) string {
	return kind + "/" + o.GetNamespace() + "/" + o.GetName()
}

// run watches until ctx ends. A watch the API server closes (it drops watchers that
// fall behind a burst of thousands of writes) is resumed from the last resourceVersion
// seen, so no write is missed; when that version is too old, the kind is listed again
// (its objects' states refreshed, the writes in between not counted) and watched from there.
func (o *observer) run(ctx context.Context, c client.WithWatch) error {
	lists := map[string]func() client.ObjectList{
		"Account":        func() client.ObjectList { return &v1alpha1.AccountList{} },
		"WorkCenter":     func() client.ObjectList { return &v1alpha1.WorkCenterList{} },
		"WorkCenterRole": func() client.ObjectList { return &v1alpha1.WorkCenterRoleList{} },
		"Collaborator":   func() client.ObjectList { return &v1alpha1.CollaboratorList{} },
	}
	for kind, newList := range lists {
		l := newList()
		if err := c.List(ctx, l); err != nil {
			return err
		}
		go o.consume(ctx, c, kind, newList, l.GetResourceVersion())
	}
	return nil
}

func (o *observer) consume(ctx context.Context, c client.WithWatch, kind string, newList func() client.ObjectList, rv string) {
	follow(ctx, c, newList, rv, func(l client.ObjectList) {
		_ = meta.EachListItem(l, func(obj runtime.Object) error {
			o.refresh(kind, obj.(client.Object))
			return nil
		})
	}, func(t watch.EventType, obj client.Object) { o.record(kind, t, obj) }, func() {
		o.mu.Lock()
		o.resumed++
		o.mu.Unlock()
	})
}

// follow watches newList's kind from resourceVersion rv until ctx ends, passing every
// event but bookmarks to seen. A watch the API server closes is resumed from the last
// resourceVersion seen (resumed is told), or, when that is too old, from a new list
// given to listed (the events in between are not seen).
func follow(ctx context.Context, c client.WithWatch, newList func() client.ObjectList, rv string,
	listed func(client.ObjectList), seen func(watch.EventType, client.Object), resumed func(), opts ...client.ListOption) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, newList(), append(opts, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true}})...)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		rv = drain(ctx, w, rv, seen)
		w.Stop()
		if rv == "" { // too old: list again
			l := newList()
			if err := c.List(ctx, l, opts...); err != nil {
				continue
			}
			listed(l)
			rv = l.GetResourceVersion()
		}
		if resumed != nil {
			resumed()
		}
	}
}

// drain passes the events of w but bookmarks to seen until it closes, and returns the
// last resourceVersion seen ("" when the server says it is too old).
func drain(ctx context.Context, w watch.Interface, rv string, seen func(watch.EventType, client.Object)) string {
	for {
		select {
		case <-ctx.Done():
			return rv
		case ev, ok := <-w.ResultChan():
			if !ok {
				return rv
			}
			if ev.Type == watch.Error {
				return ""
			}
			obj, isObj := ev.Object.(client.Object)
			if !isObj {
				continue
			}
			rv = obj.GetResourceVersion()
			if ev.Type != watch.Bookmark {
				seen(ev.Type, obj)
			}
		}
	}
}

// refresh takes an object's state from a list, without counting a write.
func (o *observer) refresh(kind string, obj client.Object) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := key(kind, obj)
	conv := converged(obj)
	if prev := o.state[k]; conv && !prev.converged {
		o.convergedAt[k] = time.Now()
	}
	o.state[k] = objState{converged: conv, gen: obj.GetGeneration()}
}

// trace names objects whose writes are printed (SCALE_TRACE, a substring of
// Kind/namespace/name), to follow a change's wake-ups.
var trace = os.Getenv("SCALE_TRACE")

func (o *observer) record(kind string, t watch.EventType, obj client.Object) {
	now := time.Now()
	k := key(kind, obj)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch t {
	case watch.Added:
		o.created++
	case watch.Modified:
		o.writes++
		o.written[k] = true
		if trace != "" && strings.Contains(k, trace) {
			u, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			st, _ := json.Marshal(u["status"])
			fmt.Printf("TRACE %s %s rv %s gen %d status %.400s\n", now.Format("15:04:05.000"), k, obj.GetResourceVersion(), obj.GetGeneration(), st)
		}
	case watch.Deleted:
		delete(o.state, k)
		return
	default:
		return
	}
	conv := converged(obj)
	prev, seen := o.state[k]
	if conv && (!seen || !prev.converged || prev.gen != obj.GetGeneration()) {
		o.convergedAt[k] = now
	}
	o.state[k] = objState{converged: conv, gen: obj.GetGeneration()}
}

// converged: Ready True for the object's current generation.
func converged(obj client.Object) bool {
	var observed int64
	var conds []metav1.Condition
	switch x := obj.(type) {
	case *v1alpha1.Account:
		observed, conds = x.Status.ObservedGeneration, x.Status.Conditions
	case *v1alpha1.WorkCenter:
		observed, conds = x.Status.ObservedGeneration, x.Status.Conditions
	case *v1alpha1.WorkCenterRole:
		observed, conds = x.Status.ObservedGeneration, x.Status.Conditions
	case *v1alpha1.Collaborator:
		observed, conds = x.Status.ObservedGeneration, x.Status.Conditions
	}
	ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	return observed == obj.GetGeneration() && ready != nil && ready.Status == metav1.ConditionTrue &&
		ready.ObservedGeneration == obj.GetGeneration()
}

// counts returns the writes and creations seen so far.
func (o *observer) counts() (writes, created int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writes, o.created
}

// pending counts the objects of the namespaces not converged (want objects expected).
func (o *observer) pending(namespaces map[string]bool, want int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for k, s := range o.state {
		if s.converged && namespaces[nsOf(k)] {
			n++
		}
	}
	return want - n
}

func nsOf(k string) string {
	_, rest, _ := cut(k, "/")
	ns, _, _ := cut(rest, "/")
	return ns
}

func cut(s, sep string) (string, string, bool) {
	for i := 0; i+len(sep) <= len(s); i++ {
		if s[i:i+len(sep)] == sep {
			return s[:i], s[i+len(sep):], true
		}
	}
	return s, "", false
}

// mark forgets which objects were written, for the next change cost.
func (o *observer) mark() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.written = map[string]bool{}
}

// writtenSince counts the distinct objects written since mark.
func (o *observer) writtenSince() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.written)
}

// isConverged reports whether one object is converged, and since when.
func (o *observer) isConverged(k string) (bool, time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.state[k].converged, o.convergedAt[k]
}

// waitConverged waits until want objects of the namespaces are converged.
func (o *observer) waitConverged(namespaces map[string]bool, want int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for o.pending(namespaces, want) > 0 {
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d objects not converged after %s", o.pending(namespaces, want), want, timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func repoPath(root string, parts ...string) string {
	return filepath.Join(append([]string{root}, parts...)...)
}

// writtenNames are the objects written since mark, sorted.
func (o *observer) writtenNames() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.written))
	for k := range o.written {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
