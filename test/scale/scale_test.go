//go:build scale

package scale

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// Settings, from the environment (make bench-scale passes them through):
// SCALE_SIZES the collaborators of the one-account shapes (default 1000,5000,10000; "0"
// for none),
// SCALE_ACCOUNTS "namespaces x collaborators" of the many-accounts shape (default
// 200x50; "0" skips it), SCALE_SELECTORS the collaborators of the one-account shape
// assigning by selector and template (default 10000; "0" skips it), SCALE_QUIET the quiet windows (default 30s), SCALE_CHANGES the
// single changes timed for latency, idle and under load (default 20, at most 45: each
// new Member takes one of the 100 spare licenses), SCALE_OUT the table's file (default
// docs/performance.md; "-" prints only), SCALE_PROFILES a directory for the manager's
// heap profile after cold convergence (<shape>.heap.pprof) and CPU profile of its first
// 20 s (<shape>.cold.cpu.pprof; default none); to follow
// where a change's reconciles go, SCALE_MANAGER_ARGS extra arguments for the manager
// (--zap-log-level=5 logs every reconcile), SCALE_LOGS a directory that keeps the
// managers' logs, SCALE_TRACE a substring of Kind/namespace/name whose writes are printed.
func settings() (sizes []int, accounts [2]int, selectors int, quiet time.Duration, changes int, out string) {
	sizes = []int{1000, 5000, 10000}
	if v := os.Getenv("SCALE_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			if v == "0" { // none
				break
			}
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				panic(fmt.Sprintf("SCALE_SIZES: %v", err))
			}
			sizes = append(sizes, n)
		}
	}
	accounts = [2]int{200, 50}
	if v := os.Getenv("SCALE_ACCOUNTS"); v != "" {
		accounts = [2]int{}
		if v != "0" {
			if _, err := fmt.Sscanf(v, "%dx%d", &accounts[0], &accounts[1]); err != nil {
				panic(fmt.Sprintf("SCALE_ACCOUNTS: %v", err))
			}
		}
	}
	selectors = 10000
	if v := os.Getenv("SCALE_SELECTORS"); v != "" {
		var err error
		if selectors, err = strconv.Atoi(v); err != nil {
			panic(fmt.Sprintf("SCALE_SELECTORS: %v", err))
		}
	}
	quiet = 30 * time.Second
	if v := os.Getenv("SCALE_QUIET"); v != "" {
		var err error
		if quiet, err = time.ParseDuration(v); err != nil {
			panic(fmt.Sprintf("SCALE_QUIET: %v", err))
		}
	}
	changes = 20
	if v := os.Getenv("SCALE_CHANGES"); v != "" {
		changes, _ = strconv.Atoi(v)
	}
	out = os.Getenv("SCALE_OUT")
	if out == "" {
		out = filepath.Join("docs", "performance.md")
	}
	return sizes, accounts, selectors, quiet, changes, out
}

// result is one shape's figures.
type result struct {
	shape   shape
	objects int
	floor   time.Duration
	// floorEvents is the floor with the Events of cold convergence written too.
	floorEvents time.Duration
	// floorStatus is the floor writing the operator's own statuses.
	floorStatus time.Duration
	cold        time.Duration
	// coldEvents is from the manager's start until the last Event of cold convergence
	// was written: the manager writes Events one at a time, behind the status writes.
	coldEvents time.Duration
	gitops     time.Duration
	writes     int
	minimum    int
	events     int
	quiet      int
	restart    int
	// change costs: reconciles and the objects whose status changed, per change.
	costs []changeCost
	p50   time.Duration
	p99   time.Duration
	heap  float64 // bytes in use per cached object, after a GC
	// heapBusy is the heap in use before that GC, garbage included.
	heapBusy float64
	// live is the bytes of the heap's live objects at that GC, from the heap profile
	// (sampled): heap in use also counts the free room of every span holding one.
	live float64
	// heapEvents is the part of heap holding Events (client-go's and the audit trail's),
	// estimated from a heap profile, per cached object.
	heapEvents float64
	rss        float64 // bytes per cached object
	json       float64 // bytes of JSON per object
	// jsonAll is the JSON of every object the manager caches (the four kinds, and the
	// Roles and RoleBindings of the RBAC controller's cache), per object of the four kinds.
	jsonAll float64
	// new Member create-to-Ready while another account converges, and how many were
	// timed while it had not converged yet.
	loadP50, loadP99 time.Duration
	// loadCreateP50 and loadCreateP99 are those new Members' create calls alone.
	loadCreateP50, loadCreateP99 time.Duration
	loadTimed                    int
	// CPU seconds of the manager and the API server during cold convergence.
	coldCPUManager, coldCPUAPIServer float64
	admission                        admissionResult
	// admissionPeople is admission as Collaborators of the account (identities on).
	admissionPeople admissionResult
	// RBAC: from the manager's start until every Collaborator had its Role and
	// RoleBinding, the writes to them until then, in the quiet windows, and the mean
	// reconcile of the RBAC controller (one namespace) over the change costs.
	rbacCold               time.Duration
	rbacColdWrites         int
	rbacQuiet, rbacRestart int
	rbacReconcile          time.Duration
	rbacReconciles         uint64
}

type changeCost struct {
	what       string
	reconciles float64
	changed    int
	// rbacObjects and rbacPeople are the Roles and RoleBindings written after the change,
	// and the Collaborators they are for; rbacWrites the writes (more than rbacObjects
	// when one was written twice).
	rbacObjects, rbacPeople, rbacWrites int
}

func TestScale(t *testing.T) {
	sizes, accounts, selectors, quiet, changes, out := settings()
	ctx := context.Background()
	dir := t.TempDir()
	if keep := os.Getenv("SCALE_LOGS"); keep != "" { // the managers' logs, kept
		dir = keep
	}
	// Each shape is measured on a control plane of its own, fresh: a manager caches and
	// reconciles whatever its API server holds, so an earlier shape's objects would count
	// in a later one's reconciles, cold start and heap.
	var root string
	fresh := func(t *testing.T, prefix string) harness {
		env, err := testenv.Start(testenv.Options{Webhooks: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = env.Stop() })
		root = env.Root
		admin := rest.CopyConfig(env.Config)
		admin.QPS, admin.Burst = 2000, 4000
		c, err := client.NewWithWatch(admin, client.Options{Scheme: env.Scheme})
		if err != nil {
			t.Fatal(err)
		}
		apiserver, err := kubernetes.NewForConfig(admin)
		if err != nil {
			t.Fatal(err)
		}
		// The webhooks are installed only while admission is measured: objects are
		// created with no manager running for cold convergence.
		hooks, err := takeWebhooks(ctx, c, env.WebhookInstallOptions)
		if err != nil {
			t.Fatal(err)
		}
		shapeDir := filepath.Join(dir, prefix)
		if err := os.MkdirAll(shapeDir, 0o755); err != nil {
			t.Fatal(err)
		}
		bin, kubeconfig, err := env.PrepareManager(ctx, shapeDir)
		if err != nil {
			t.Fatal(err)
		}
		run := harness{c: c, obs: newObserver(), rbac: newRBACObserver(), bin: bin, kubeconfig: kubeconfig, dir: dir,
			hooks: hooks, apiserver: apiserver.CoreV1().RESTClient(), admin: admin}
		watchCtx, stopWatch := context.WithCancel(ctx)
		t.Cleanup(stopWatch)
		if err := run.obs.run(watchCtx, c); err != nil {
			t.Fatal(err)
		}
		if err := run.rbac.run(watchCtx, c); err != nil {
			t.Fatal(err)
		}
		return run
	}
	// measure runs one shape on a fresh control plane, stopped after it.
	measure := func(s shape, prefix string) result {
		var r result
		t.Run(prefix, func(t *testing.T) { r = fresh(t, prefix).shape(t, ctx, s, prefix, quiet, changes) })
		if r.objects == 0 {
			t.FailNow()
		}
		return r
	}

	var results []result
	write := func(results []result) {
		if out == "-" {
			return
		}
		path := out
		if !filepath.IsAbs(path) {
			path = filepath.Join(root, out)
		}
		text := render(thisMachine(), results)
		// What follows keptMarker is written by hand (measurements of other commands,
		// before/after comparisons) and kept.
		if old, err := os.ReadFile(path); err == nil {
			if i := strings.Index(string(old), keptMarker); i >= 0 {
				text += "\n" + string(old[i:])
			}
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Error(err)
		}
	}
	for i, n := range sizes {
		s := shape{name: fmt.Sprintf("1 account x %d", n), namespaces: 1, collaborators: n, workCenters: 50, roles: 20, assignments: 3}
		r := measure(s, fmt.Sprintf("one-%d", i))
		results = append(results, r)
		t.Log(r.row())
		write(results) // what is measured so far, should a later shape fail
	}
	if selectors > 0 {
		// Issue 21's shape: a tenth of the people assign by selector over 200 labelled
		// WorkCenters (20 per region), 20 of them published from 2 templates.
		s := shape{name: fmt.Sprintf("1 account x %d, selectors and templates", selectors), namespaces: 1, collaborators: selectors,
			workCenters: 202, roles: 20, assignments: 3, regions: 10, selectorEvery: 10, templates: 2, published: 20}
		r := measure(s, "sources")
		results = append(results, r)
		t.Log(r.row())
		write(results)
	}
	if accounts[0] > 0 {
		s := shape{name: fmt.Sprintf("%d accounts x %d", accounts[0], accounts[1]), namespaces: accounts[0], collaborators: accounts[1],
			workCenters: 10, roles: 10, assignments: 3}
		r := measure(s, "many")
		results = append(results, r)
		t.Log(r.row())
	}
	fmt.Println(render(thisMachine(), results))
	write(results)
}

// harness is what every shape is measured with.
type harness struct {
	c                    client.WithWatch
	obs                  *observer
	rbac                 *rbacObserver
	bin, kubeconfig, dir string
	hooks                *webhooks
	apiserver            rest.Interface
	// admin is the harness's rest config, which impersonates people for admission.
	admin *rest.Config
}

// shape measures one shape in namespaces of its own, with a manager of its own.
func (h harness) shape(t *testing.T, ctx context.Context, s shape, prefix string, quiet time.Duration, changes int) result {
	c, obs, bin, kubeconfig, dir := h.c, h.obs, h.bin, h.kubeconfig, h.dir
	r := result{shape: s, minimum: s.minimumWrites(), objects: s.objectsPerAccount() * s.namespaces}
	logPath := filepath.Join(dir, prefix+".log")

	// Floor: one status write per object, at the manager's concurrency (one worker per
	// controller, four controllers), nothing else running.
	r.floor = floor(t, ctx, c, r.objects, prefix, 0, nil)

	// Cold: everything created with the manager stopped, then the manager started.
	namespaces := map[string]bool{}
	var all []client.Object
	for i := range s.namespaces {
		ns := fmt.Sprintf("%s-%03d", prefix, i)
		mustCreate(t, ctx, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
		namespaces[ns] = true
		all = append(all, s.objects(ns)...)
	}
	if err := createAll(ctx, c, all, 16); err != nil {
		t.Fatal(err)
	}
	writes0, _ := obs.counts()
	rbac0 := h.rbac.countIn(namespaces)
	apiCPU0 := apiserverCPU(t, ctx, h.apiserver)
	start := time.Now()
	m, err := startManager(bin, kubeconfig, logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	if dir := os.Getenv("SCALE_PROFILES"); dir != "" {
		// The manager's CPU during the first 20 s of cold convergence.
		go m.cpuProfile(filepath.Join(dir, prefix+".cold.cpu.pprof"), 20*time.Second)
	}
	if err := obs.waitConverged(namespaces, r.objects, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	r.cold = time.Since(start)
	r.coldCPUManager, r.coldCPUAPIServer = m.cpuSeconds(), apiserverCPU(t, ctx, h.apiserver)-apiCPU0
	reconciling, waiting := m.busy()
	t.Logf("%s cold: reconciles %v (errors %v); seconds reconciling %v; seconds queued %v; wake-ups after the initial list %v",
		s.name, m.reconciles(), m.reconcileErrors(), rounded(reconciling), rounded(waiting), m.wakeups())
	// The writes of convergence: those until every object converged, and any straggler
	// within a second after.
	time.Sleep(time.Second)
	writes1, _ := obs.counts()
	r.writes = writes1 - writes0
	// Every Collaborator's Role and RoleBinding (every email is unique in the shapes).
	if err := h.rbac.waitPresent(namespaces, 2*s.collaborators*s.namespaces, 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	r.rbacCold = time.Since(start)
	h.rbac.settle()
	r.rbacColdWrites = h.rbac.countIn(namespaces) - rbac0
	rbac1 := h.rbac.countIn(namespaces)
	// The Events of cold convergence, written one at a time behind the status writes.
	for m.gauge("workcenter_events_queued") > 0 {
		if time.Since(start) > 30*time.Minute {
			t.Fatal("the manager's Events not written in 30 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.coldEvents = max(time.Since(start), r.cold)

	// Quiet after convergence (and while the Events were written).
	time.Sleep(quiet)
	writes2, _ := obs.counts()
	r.quiet = writes2 - writes1
	r.rbacQuiet = h.rbac.countIn(namespaces) - rbac1
	r.events = countEvents(t, ctx, c, namespaces)

	// Memory: the manager's heap and RSS per cached object, against the JSON size.
	r.heapBusy = m.gauge("go_memstats_heap_inuse_bytes") / float64(r.objects)
	r.heap = m.liveHeap() / float64(r.objects)
	// What Events still hold: the audit trail's digests of recent Events (to spot a
	// series), and any Event object still reachable (its API type, client-go's events).
	profPath := ""
	if dir := os.Getenv("SCALE_PROFILES"); dir != "" {
		profPath = filepath.Join(dir, prefix+".heap.pprof")
	}
	if p, err := m.heapProfile(profPath); err != nil {
		t.Error(err)
	} else {
		r.heapEvents = inUseUnder(p, "k8s.io/client-go/tools/events.", "k8s.io/api/events/", "workcenter-operator/internal/audit.") / float64(r.objects)
		r.live = inUseUnder(p, "") / float64(r.objects)
	}
	r.rss = m.gauge("process_resident_memory_bytes") / float64(r.objects)
	r.json = jsonSize(t, ctx, c, namespaces)
	r.jsonAll = r.json + rbacJSON(t, ctx, c, namespaces)/float64(r.objects)

	// Change costs and latency, on the first account.
	first := prefix + "-000"
	r.costs, r.p50, r.p99 = changeCosts(t, ctx, c, obs, h.rbac, m, s, first, changes)
	r.rbacReconcile, r.rbacReconciles = m.reconcileMean("rbac")

	// Latency of the same single changes while another account of about 1,000 objects
	// is applied at once.
	r.loadP50, r.loadP99, r.loadCreateP50, r.loadCreateP99, r.loadTimed = latencyUnderLoad(t, ctx, c, obs, m, s, first, prefix+"-load", changes)

	// Admission: the manager restarted with its webhooks served and the webhook
	// configurations installed, then dry-run updates of the large account.
	settle(obs, m)
	m.stop()
	if m, err = startManager(bin, kubeconfig, logPath, h.hooks.args()...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	if err := h.hooks.install(ctx, c); err != nil {
		t.Fatal(err)
	}
	r.admission = measureAdmission(t, ctx, c, h.apiserver, m, s, first, 500, nil)
	// The same as the account's own people (delegated administration): an Account
	// Administrator allowed, a Member refused.
	r.admissionPeople = measureAdmission(t, ctx, c, h.apiserver, m, s, first, 500, h.admin)
	if err := h.hooks.uninstall(ctx, c); err != nil {
		t.Fatal(err)
	}

	// Quiet after a restart on the converged account: the last changes settled first,
	// so that what is written after the restart is the restart's own doing.
	settle(obs, m)
	m.stop()
	// The floor again, with as many Events as the manager wrote, for the share of cold
	// convergence the manager's own work takes beyond the API writes the audit trail
	// needs (docs/rules.md, Events; measured while no manager runs, as the first floor).
	r.floorEvents = floor(t, ctx, c, r.objects, prefix, r.events, nil)
	// And with the operator's own status on copies of the first account's Collaborators.
	var converged v1alpha1.CollaboratorList
	if err := c.List(ctx, &converged, client.InNamespace(first)); err != nil {
		t.Fatal(err)
	}
	r.floorStatus = floor(t, ctx, c, r.objects, prefix, 0, converged.Items)
	writes3, _ := obs.counts()
	rbac3 := h.rbac.countIn(namespaces)
	if m, err = startManager(bin, kubeconfig, logPath); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.stop)
	time.Sleep(quiet)
	writes4, _ := obs.counts()
	r.restart = writes4 - writes3
	r.rbacRestart = h.rbac.countIn(namespaces) - rbac3

	// GitOps: the manager running, another account applied at once, newest kinds first.
	gns := prefix + "-gitops"
	mustCreate(t, ctx, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: gns}})
	objs := s.objects(gns)
	slices.Reverse(objs)
	start = time.Now()
	if err := createAll(ctx, c, objs, 16); err != nil {
		t.Fatal(err)
	}
	if err := obs.waitConverged(map[string]bool{gns: true}, s.objectsPerAccount(), 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	r.gitops = time.Since(start)
	m.stop()
	return r
}

func mustCreate(t *testing.T, ctx context.Context, c client.Client, o client.Object) {
	t.Helper()
	if err := c.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
}

// floor times n status writes by the harness, 4 at a time, on objects of a namespace of
// its own that no manager sees (they are deleted afterwards). With events > 0 the same
// workers also create that many Events (events.k8s.io/v1) about those objects, as the
// manager does on transitions: the floor of status writes and Events together.
//
// With like, the objects are copies of like's Collaborators (cycled), and each write is
// the status the operator wrote on the Collaborator it copies: the floor of the
// operator's own status writes, which carry every assignment's state and message, where
// the first floor writes one condition.
func floor(t *testing.T, ctx context.Context, c client.Client, n int, prefix string, events int, like []v1alpha1.Collaborator) time.Duration {
	ns := prefix + "-floor"
	if events > 0 {
		ns += "-events"
	}
	if len(like) > 0 {
		ns += "-status"
	}
	mustCreate(t, ctx, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	s := shape{collaborators: n, workCenters: 1, roles: 2, assignments: 1}
	objs := make([]*v1alpha1.Collaborator, n)
	list := make([]client.Object, n)
	for i := range n {
		objs[i] = s.collaborator(ns, i)
		if len(like) > 0 {
			objs[i].Spec = *like[i%len(like)].Spec.DeepCopy()
			objs[i].Spec.Email = fmt.Sprintf("c%05d@floor.example", i)
		}
		list[i] = objs[i]
	}
	if err := createAll(ctx, c, list, 16); err != nil {
		t.Fatal(err)
	}
	// Each Event names its object from this copy: a worker may be writing the object's
	// status (and decoding the answer into it) at the same time.
	refs := make([]corev1.ObjectReference, n)
	for i, o := range objs {
		refs[i] = corev1.ObjectReference{Kind: "Collaborator", APIVersion: v1alpha1.GroupVersion.String(),
			Namespace: ns, Name: o.Name, UID: o.UID}
	}
	type item struct {
		o     *v1alpha1.Collaborator
		ref   corev1.ObjectReference
		event int // > 0: create the event-th Event about ref instead
		like  *v1alpha1.Collaborator
	}
	work := make(chan item)
	var wg sync.WaitGroup
	start := time.Now()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range work {
				o := it.o
				if it.event > 0 {
					now := metav1.NowMicro()
					ev := &eventsv1.Event{
						ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("%s.floor%d", it.ref.Name, it.event)},
						EventTime:  now, ReportingController: "workcenter-operator/floor", ReportingInstance: "floor",
						Action: "Assign", Reason: v1alpha1.ReasonAssignmentActivated, Type: corev1.EventTypeNormal,
						Regarding: it.ref, Note: "role in WorkCenter is in effect (Active)",
					}
					if err := c.Create(ctx, ev); err != nil {
						t.Error(err)
					}
					continue
				}
				before := o.DeepCopy()
				if it.like != nil {
					// The operator's status, at this copy's generation.
					o.Status = *it.like.Status.DeepCopy()
					for i := range o.Status.Conditions {
						o.Status.Conditions[i].ObservedGeneration = o.Generation
					}
				} else {
					o.Status.WorkCenterCount = int32(len(o.Spec.WorkCenters))
					o.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue,
						Reason: v1alpha1.ReasonReconciled, Message: "floor", ObservedGeneration: o.Generation, LastTransitionTime: metav1.Now()}}
				}
				o.Status.ObservedGeneration = o.Generation
				if err := c.Status().Patch(ctx, o, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	sent := 0
	for i, o := range objs {
		it := item{o: o}
		if len(like) > 0 {
			it.like = &like[i%len(like)]
		}
		work <- it
		// Spread the Events evenly over the objects.
		for ; sent < events && sent*n < (i+1)*events; sent++ {
			work <- item{ref: refs[i], event: sent + 1}
		}
	}
	close(work)
	wg.Wait()
	d := time.Since(start)
	// Clean up, one object at a time: a delete-collection of 15,000 can outlast the
	// connection. What is left only costs memory.
	for _, o := range objs {
		if err := c.Delete(ctx, o); client.IgnoreNotFound(err) != nil {
			t.Logf("cleaning up the floor: %v", err)
			break
		}
	}
	return d
}

func countEvents(t *testing.T, ctx context.Context, c client.Client, namespaces map[string]bool) int {
	n := 0
	for ns := range namespaces {
		var list eventsv1.EventList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		n += len(list.Items)
	}
	return n
}

func jsonSize(t *testing.T, ctx context.Context, c client.Client, namespaces map[string]bool) float64 {
	total, count := 0, 0
	for ns := range namespaces {
		for _, l := range []client.ObjectList{&v1alpha1.AccountList{}, &v1alpha1.WorkCenterList{}, &v1alpha1.WorkCenterRoleList{}, &v1alpha1.CollaboratorList{}} {
			if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(l)
			total += len(data)
			count += metaLen(l)
		}
	}
	return float64(total) / float64(max(count, 1))
}

// rbacJSON is the JSON of the operator's Roles and RoleBindings in namespaces, as the API
// server serves them: what the RBAC controller's cache holds.
func rbacJSON(t *testing.T, ctx context.Context, c client.Client, namespaces map[string]bool) float64 {
	total := 0
	for ns := range namespaces {
		for _, l := range []client.ObjectList{&rbacv1.RoleList{}, &rbacv1.RoleBindingList{}} {
			if err := c.List(ctx, l, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelCollaboratorRBAC: "true"}); err != nil {
				t.Fatal(err)
			}
			data, _ := json.Marshal(l)
			total += len(data)
		}
	}
	return float64(total)
}

func metaLen(l client.ObjectList) int {
	switch x := l.(type) {
	case *v1alpha1.AccountList:
		return len(x.Items)
	case *v1alpha1.WorkCenterList:
		return len(x.Items)
	case *v1alpha1.WorkCenterRoleList:
		return len(x.Items)
	case *v1alpha1.CollaboratorList:
		return len(x.Items)
	}
	return 0
}

// settle waits until the manager is idle: no object written, no reconcile run and
// nothing queued for a second (at most two minutes).
func settle(obs *observer, m *manager) {
	sum := func(v map[string]float64) (t float64) {
		for _, x := range v {
			t += x
		}
		return t
	}
	last, _ := obs.counts()
	lastRec := sum(m.reconciles())
	for range 120 {
		time.Sleep(time.Second)
		now, _ := obs.counts()
		rec := sum(m.reconciles())
		if now == last && rec == lastRec && m.queued() == 0 {
			return
		}
		last, lastRec = now, rec
	}
}

// changeCosts makes single changes on the converged account ns: reconciles (all
// controllers) and the objects whose status changed, per kind of change; and the
// spec-to-Ready latency of `changes` new Members, one at a time.
func changeCosts(t *testing.T, ctx context.Context, c client.Client, obs *observer, rbac *rbacObserver, m *manager, s shape, ns string, changes int) ([]changeCost, time.Duration, time.Duration) {
	measure := func(what string, change func()) changeCost {
		settle(obs, m)
		rbac.settle()
		obs.mark()
		rbac.mark()
		rbacBefore := rbac.count()
		before := m.reconciles()
		change()
		settle(obs, m)
		rbac.settle()
		after := m.reconciles()
		total := 0.0
		by := map[string]float64{}
		for k, v := range after {
			total += v - before[k]
			if v > before[k] {
				by[k] = v - before[k]
			}
		}
		names := obs.writtenNames()
		cost := changeCost{what: what, reconciles: total, changed: obs.writtenSince(), rbacWrites: rbac.count() - rbacBefore}
		cost.rbacObjects, cost.rbacPeople = rbac.since()
		t.Logf("%s: reconciles by controller %v; written %d: %v; RBAC writes %d on %d objects for %d people",
			what, by, len(names), names[:min(len(names), 20)], cost.rbacWrites, cost.rbacObjects, cost.rbacPeople)
		return cost
	}
	patch := func(o client.Object, mut func()) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		before := o.DeepCopyObject().(client.Object)
		mut()
		if err := c.Patch(ctx, o, client.MergeFrom(before)); err != nil {
			t.Fatal(err)
		}
	}
	var costs []changeCost
	role := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: roleName(1)}}
	costs = append(costs, measure("role edit that changes no status (description)", func() {
		patch(role, func() { role.Spec.Description = "edited by the scale harness" })
	}))
	costs = append(costs, measure("one new Member", func() {
		mustCreate(t, ctx, c, s.collaborator(ns, memberIndex(s.collaborators+1000)))
	}))
	acct := &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acct"}}
	costs = append(costs, measure("one more license", func() {
		patch(acct, func() { acct.Spec.Licenses++ })
	}))
	wc := &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: wcName(7)}}
	costs = append(costs, measure("one WorkCenter archived", func() {
		patch(wc, func() { wc.Spec.Archived = true })
	}))
	// Changes of one person's rules or binding: one RBAC write each (a Guest holds
	// guest-safe roles only, so it is made a Member and back: no license is kept).
	guest := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: s.collaborator(ns, 5).Name}}
	costs = append(costs, measure("one Guest made a Member", func() {
		patch(guest, func() { guest.Spec.Type = v1alpha1.Member })
	}))
	costs = append(costs, measure("that Member made a Guest again", func() {
		patch(guest, func() { guest.Spec.Type = v1alpha1.Guest })
	}))
	person := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: s.collaborator(ns, 4).Name}}
	costs = append(costs, measure("one email changed", func() {
		patch(person, func() { person.Spec.Email = "renamed-" + person.Spec.Email })
	}))
	costs = append(costs, measure("one assignment added", func() {
		patch(person, func() {
			person.Spec.WorkCenters = append(person.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
				Name: v1alpha1.ObjectName(wcName(s.workCenters - 1)), Role: v1alpha1.RoleReadOnly})
		})
	}))
	// A change of what a role grants: one RBAC write per holder whose rules it changes.
	// The first member-only role (the chain's head: the next four include it) gains
	// collaborators.changeRole, so its holders and those of the roles including it may
	// manage collaborators: read and update them, and read the roles.
	granting := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: roleName(s.roles / 2)}}
	costs = append(costs, measure(fmt.Sprintf("%s gains collaborators.changeRole", granting.Name), func() {
		patch(granting, func() { granting.Spec.Permissions = append(granting.Spec.Permissions, "collaborators.changeRole") })
	}))

	if s.regions > 0 {
		// Assignments by selector and template: a WorkCenter moved to the next region
		// (the people selecting either region change), and one person added to a template
		// (that person and the WorkCenters published from it change).
		moved := &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: wcName(s.templates + s.published + 3)}}
		costs = append(costs, measure(fmt.Sprintf("one WorkCenter relabelled (%s to the next region)", moved.Name), func() {
			patch(moved, func() { moved.Labels["region"] = s.regionOf(s.templates + s.published + 4) })
		}))
		joining := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: s.collaborator(ns, 7).Name}}
		costs = append(costs, measure(fmt.Sprintf("one person added to a template (%d published)", s.published/s.templates), func() {
			patch(joining, func() {
				joining.Spec.WorkCenters = append(joining.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
					Name: v1alpha1.ObjectName(wcName(0)), Role: v1alpha1.RoleContributor})
			})
		}))
	}

	// Latency: new Members, one at a time, from create to Ready.
	var lat []time.Duration
	for i := range changes {
		settle(obs, m)
		took, _ := newMemberReady(t, ctx, c, obs, s.collaborator(ns, memberIndex(s.collaborators+2000+i*3)))
		lat = append(lat, took)
	}
	slices.Sort(lat)
	if len(lat) == 0 {
		return costs, 0, 0
	}
	return costs, lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
}

// newMemberReady creates col and returns how long it took to be Ready at its generation,
// and how long of that the create call took (the API server and the admission webhooks).
func newMemberReady(t *testing.T, ctx context.Context, c client.Client, obs *observer, col *v1alpha1.Collaborator) (ready, created time.Duration) {
	start := time.Now()
	mustCreate(t, ctx, c, col)
	created = time.Since(start)
	k := key("Collaborator", col)
	for {
		if ok, at := obs.isConverged(k); ok {
			return at.Sub(start), created
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("new Member %s not Ready after 2m", col.Name)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// memberIndex is the first collaborator index from i that shape.collaborator makes a
// Member (every third is a Guest).
func memberIndex(i int) int {
	for i%3 == 2 {
		i++
	}
	return i
}

func (r result) row() string {
	return fmt.Sprintf("%s: %d objects, cold CPU manager %.1fs apiserver %.1fs, floor %s, cold %s (%.1fx; %.1fx the floor of the operator's statuses, %s), last Event %s, gitops %s, writes %d/%d (%.2fx), events %d, quiet %d, restart %d, p50 %s p99 %s, heap %.1f KiB/obj rss %.1f KiB/obj json %.1f KiB/obj",
		r.shape.name, r.objects, r.coldCPUManager, r.coldCPUAPIServer, r.floor.Round(time.Millisecond), r.cold.Round(time.Millisecond), r.ratio(), r.cold.Seconds()/r.floorStatus.Seconds(), r.floorStatus.Round(time.Millisecond), r.coldEvents.Round(time.Millisecond), r.gitops.Round(time.Millisecond),
		r.writes, r.minimum, float64(r.writes)/float64(r.minimum), r.events, r.quiet, r.restart,
		r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond), r.heap/1024, r.rss/1024, r.json/1024)
}

// rounded is v to a tenth.
func rounded(v map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(v))
	for k, x := range v {
		out[k] = float64(int(x*10+0.5)) / 10
	}
	return out
}

// ms shows a duration to a tenth of a millisecond.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func (r result) ratio() float64 { return r.cold.Seconds() / r.floor.Seconds() }

// machine is where the figures were measured.
type machine struct {
	date      string // UTC, 2006-01-02
	cpus      int
	procs     int // GOMAXPROCS
	goVersion string
}

// thisMachine is the machine running the harness, today.
func thisMachine() machine {
	return machine{date: time.Now().UTC().Format("2006-01-02"), cpus: runtime.NumCPU(), procs: runtime.GOMAXPROCS(0), goVersion: runtime.Version()}
}

// orDash is s, or a dash when the figure was not measured (zero).
func orDash(measured bool, s string) string {
	if !measured {
		return "—"
	}
	return s
}

// render is docs/performance.md: the method, then one table per shape.
// keptMarker begins the part of docs/performance.md that make bench-scale keeps.
const keptMarker = "<!-- Below: written by hand; make bench-scale keeps it. -->"

func render(m machine, results []result) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Performance

Written by `+"`make bench-scale`"+` (`+"`render`"+` in test/scale/scale_test.go) from its measurements
on %s with %d cores (GOMAXPROCS %d), %s.

`, m.date, m.cpus, m.procs, m.goVersion)
	b.WriteString(performanceMethod)
	for _, r := range results {
		row := func(figure, value string) { fmt.Fprintf(&b, "| %s | %s |\n", figure, value) }
		d := func(x time.Duration) string { return x.Round(10 * time.Millisecond).String() }
		fmt.Fprintf(&b, "\n## %s\n\n| figure | value |\n|---|---|\n", r.shape.name)
		row("objects", fmt.Sprint(r.objects))
		row("floor", d(r.floor))
		row("cold", d(r.cold))
		row("cold / floor", fmt.Sprintf("%.1f", r.ratio()))
		row("cold / floor of the operator's statuses", orDash(r.floorStatus > 0,
			fmt.Sprintf("%.1f (%s)", r.cold.Seconds()/r.floorStatus.Seconds(), d(r.floorStatus))))
		row("last Event / floor with events", orDash(r.floorEvents > 0,
			fmt.Sprintf("%.1f (%s / %s)", r.coldEvents.Seconds()/r.floorEvents.Seconds(), d(r.coldEvents), d(r.floorEvents))))
		row("CPU seconds during cold, manager / API server", orDash(r.coldCPUAPIServer > 0,
			fmt.Sprintf("%.1f / %.1f", r.coldCPUManager, r.coldCPUAPIServer)))
		row("gitops", d(r.gitops))
		row("writes / minimum", fmt.Sprintf("%d / %d (%.2f)", r.writes, r.minimum, float64(r.writes)/float64(r.minimum)))
		row("events", fmt.Sprint(r.events))
		row("quiet after; after restart", fmt.Sprintf("%d; %d", r.quiet, r.restart))
		row("new Member p50 / p99", fmt.Sprintf("%s / %s", r.p50.Round(time.Millisecond), r.p99.Round(time.Millisecond)))
		row("new Member p50 / p99 under load (timed)", fmt.Sprintf("%s / %s (%d)", ms(r.loadP50), ms(r.loadP99), r.loadTimed))
		row("of which the create call, p50 / p99 under load", fmt.Sprintf("%s / %s", ms(r.loadCreateP50), ms(r.loadCreateP99)))
		row("heap (before GC) / RSS / JSON per object", fmt.Sprintf("%.1f (%.1f) / %.1f / %.1f KiB (%.1fx heap)",
			r.heap/1024, r.heapBusy/1024, r.rss/1024, r.json/1024, r.heap/r.json))
		row("heap / JSON of every cached object (RBAC's Roles and RoleBindings too)", orDash(r.jsonAll > 0,
			fmt.Sprintf("%.1f KiB (%.1fx)", r.jsonAll/1024, r.heap/r.jsonAll)))
		row("heap without recent Events / JSON", fmt.Sprintf("%.1f KiB (%.1fx)", (r.heap-r.heapEvents)/1024, (r.heap-r.heapEvents)/r.json))
		row("live objects / JSON; without recent Events", fmt.Sprintf("%.1f KiB (%.1fx); %.1f KiB (%.1fx)",
			r.live/1024, r.live/r.json, (r.live-r.heapEvents)/1024, (r.live-r.heapEvents)/r.json))
		for _, c := range r.costs {
			row("change cost: "+c.what, fmt.Sprintf("%.0f / %d; RBAC %d writes, %d objects, %d people", c.reconciles, c.changed, c.rbacWrites, c.rbacObjects, c.rbacPeople))
		}
		row("RBAC: every Role and RoleBinding after start", orDash(r.rbacCold > 0, d(r.rbacCold)))
		row("RBAC writes during cold / minimum (2 per Collaborator)", fmt.Sprintf("%d / %d", r.rbacColdWrites, 2*r.shape.collaborators*r.shape.namespaces))
		row("RBAC writes quiet after; after restart", fmt.Sprintf("%d; %d", r.rbacQuiet, r.rbacRestart))
		row("RBAC reconcile mean (reconciles), one namespace", orDash(r.rbacReconciles > 0, fmt.Sprintf("%s (%d)", ms(r.rbacReconcile), r.rbacReconciles)))
		a := r.admission
		row("webhook p50 / p99 (API server)", fmt.Sprintf("%s / %s", ms(a.apiP50), ms(a.apiP99)))
		row("webhook p50 / p99 (manager)", fmt.Sprintf("%s / %s", ms(a.managerP50), ms(a.managerP99)))
		row("dry-run request p50 / p99", fmt.Sprintf("%s / %s", ms(a.requestP50), ms(a.requestP99)))
		row("webhook latency buckets (API server)", a.apiBuckets)
		row("webhook latency buckets (manager)", a.managerBuckets)
		if p := r.admissionPeople; p.requests > 0 {
			row("webhook p50 / p99 as people (API server)", fmt.Sprintf("%s / %s", ms(p.apiP50), ms(p.apiP99)))
			row("webhook p50 / p99 as people (manager)", fmt.Sprintf("%s / %s", ms(p.managerP50), ms(p.managerP99)))
			row("dry-run request p50 / p99 as people", fmt.Sprintf("%s / %s", ms(p.requestP50), ms(p.requestP99)))
		}
	}
	var small, big result
	for _, r := range results {
		if r.shape.namespaces != 1 {
			continue
		}
		if small.objects == 0 || r.shape.collaborators < small.shape.collaborators {
			small = r
		}
		if r.shape.collaborators > big.shape.collaborators {
			big = r
		}
	}
	if small.objects > 0 && big.shape.collaborators > small.shape.collaborators {
		fmt.Fprintf(&b, "\n## Growth\n\nCold convergence at %d collaborators takes %.1fx the time at %d (%.0fx the objects).\n",
			big.shape.collaborators, big.cold.Seconds()/small.cold.Seconds(), small.shape.collaborators,
			float64(big.objects)/float64(small.objects))
	}
	return b.String()
}

// performanceMethod says how the figures of docs/performance.md are measured and what
// each means.
const performanceMethod = `## Method

The envtest control plane (kube-apiserver and etcd built from source) and the real manager
binary run on the same machine, the manager as the operator's user with the generated
ClusterRole, controllers only; each shape on a control plane of its own, started fresh
for it (before 2026-12-05 the shapes shared one, and each later shape's manager also
cached and reconciled the earlier shapes' objects: their reconciles and heap per object
were overstated). The shapes (by default; SCALE_SIZES and SCALE_ACCOUNTS
change them): one account of 1,000, 5,000 and 10,000 collaborators (50 WorkCenters, 20
custom roles), and 200 accounts of 50 collaborators (10 WorkCenters, 10 custom roles
each); and one account of 10,000 collaborators that also assigns by selector and template
(docs/assignments.md; SCALE_SELECTORS changes its size): 202 WorkCenters, 2 of them
templates and the other 200 labelled with one of 10 regions, 20 of those published from
the templates (spec.collaboratorsFrom), and every tenth collaborator also assigns a role
by a selector on one region (so in 20 WorkCenters more). In each account a third of the
collaborators are guests, each collaborator has 3 assignments, the custom roles form
include chains (half of them member-only), and there are licenses for every Member.
Durations are wall-clock time on the harness's clock.

- **floor**: one status write per object by the harness, 4 at a time, nothing else
  running: what the API server takes for the writes alone. (The manager runs 4 workers in
  each of its four status controllers, and its RBAC writes wait for the statuses:
  docs/administration.md.)
- **cold**: every object created with the manager stopped, then the manager started, until
  every object is Ready at its generation. **cold / floor** is the manager's cost over the
  bare writes.
- **floor of the operator's statuses**: the floor again, each write the status the
  operator wrote on a Collaborator of the converged account (every assignment's state and
  message, the conditions), onto a copy of it; the first floor writes one condition.
- **floor with events**: the floor plus as many Events (events.k8s.io/v1) as the manager
  wrote during cold convergence, written by the same 4 workers: the API writes the audit
  trail needs (docs/rules.md, Events). **last Event**: from the manager's start until the
  last Event of cold convergence is written; over the floor with events, it is the
  manager's whole cost. The manager holds Events during a burst and writes any that has
  waited a minute, so when cold convergence lasts longer than a minute its last part
  shares the API server with the Events.
- **CPU seconds**: process_cpu_seconds_total of the manager and of the API server during
  cold convergence. The API server's share shows who sets the pace.
- **gitops**: the manager running, a fresh account applied at once, collaborators first,
  until every object is Ready.
- **writes**: status and metadata writes seen on a watch during cold convergence, against
  the minimum (one status write per object, built-in roles included, plus each finalizer).
- **events**: the Events in the shape's namespaces after cold convergence.
- **quiet**: writes in the window after convergence, and after a manager restart.
- **new Member**: create-to-Ready of single new Members on the converged account, idle;
  **under load**, while another account of about 1,000 objects is applied at once and
  converges (timed: how many became Ready before it converged, the only ones counted);
  of which the create call: the API server and the admission webhooks, before the
  operator's controllers see the new Member.
- **memory**: the manager's heap in use right after a garbage collection (in brackets,
  before it, garbage included) and its RSS, per cached object, against the objects' JSON
  as the API server serves it; and that heap without what Events hold (estimated from a
  heap profile: the audit trail's digests of recent Events). **live objects**: the bytes
  of the heap's live objects at that collection, from the heap profile (sampled every 512
  KiB allocated, so within some percent): what the caches, queues and models reach. Heap
  in use also counts the free room of every span that still holds a live object, which
  the garbage of the cold start's burst leaves behind, so it varies between runs of the
  same code (at 5,000 collaborators, from 2.9x to 4.0x the objects' JSON) and the live
  objects far less (2.0x to 2.1x). **every cached object**: the JSON of the four kinds and
  of the Roles and RoleBindings the RBAC controller caches (two per Collaborator), still
  per object of the four kinds.
- **change cost**: reconciles of all controllers (controller_runtime_reconcile_total) after
  one change, against the objects whose status (or metadata) was written; then the writes
  to the operator's Roles and RoleBindings (RBAC, docs/administration.md) the change
  caused, the objects written and the Collaborators they are for: one write per person
  whose rules or binding changed. The selector and template shape adds two changes: a
  WorkCenter relabelled to the next region (the people whose selectors matched it before
  or after change) and one person added to a template (that person, the template and the
  WorkCenters published from it change).
- **RBAC**: from the manager's start until every Collaborator has its Role and RoleBinding
  (cold), the writes to them until then against the minimum (a create each), in the quiet
  windows, and the RBAC controller's mean reconcile (one namespace: every person's rules
  computed and compared with the cache) over the start and the change costs.
- **webhook**: latency of 500 server-side dry-run updates of the account's Collaborators
  and roles (one in ten a role), one at a time, as the API server's histogram gives it
  (apiserver_admission_webhook_admission_duration_seconds, interpolated within its buckets
  as histogram_quantile does; its buckets are 5ms, 25ms, 100ms...), as the manager's gives
  it (workcenter_admission_duration_seconds), and the whole request on the harness's
  clock (**dry-run request**). The API server's histogram counts each webhook a request
  passes through: a Collaborator or role dry-run goes through a mutating and a validating
  webhook. **as people**: the same 500 requests made as the account's own people
  (impersonated; delegated administration judges them first, docs/administration.md), in
  turn an Account Administrator (allowed) and a Member (refused, 403, its message naming
  who holds the capability).

A dash marks a figure the run did not measure.
`
