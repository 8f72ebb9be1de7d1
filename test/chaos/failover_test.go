package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// Lease settings of the failover test, short so that it runs in seconds (the
// defaults are 15s, 10s and 2s).
const (
	leaseDuration = 4 * time.Second
	renewDeadline = 3 * time.Second
	retryPeriod   = 500 * time.Millisecond
	// leaseID and leaseNamespace: the manager's Lease.
	leaseID        = "workcenter-operator.access.workcenter.io"
	leaseNamespace = "workcenter-system"
)

// takeoverBound is the longest a standby may take to hold the lease once the leader is
// gone: the leader may have renewed just before; the standby sees that renewal at its
// next try, client-go's tries being RetryPeriod apart plus a jitter of up to 1.2
// RetryPeriod; the lease expires LeaseDuration after the standby saw it; the standby
// takes it at its next try. Plus half a second for two processes on a loaded machine.
const takeoverBound = leaseDuration + 2*(retryPeriod+retryPeriod*12/10) + 500*time.Millisecond

// TestFailover runs two managers with leader election (under the generated ClusterRole
// and the leader election Role) and, CHAOS_FAILOVERS times, takes the leader away twice:
// killed (SIGKILL), the standby must hold the lease within takeoverBound and reconcile a
// change made after the kill; frozen (SIGSTOP) past its lease while the accounts change,
// the standby must take over and converge the accounts, and once resumed (SIGCONT) the
// old leader must exit without writing anything: each manager runs as a binary of its
// own name, the user agent the API server records a write's manager under in
// managedFields, and a watch on the account's objects for the whole test flags any
// write in the old leader's name after it was resumed.
func TestFailover(t *testing.T) {
	rounds := int(setting("CHAOS_FAILOVERS", 0))
	if rounds <= 0 {
		t.Skip("CHAOS_FAILOVERS is 0 (make test-chaos runs it)")
	}
	seed := setting("CHAOS_SEED", time.Now().UnixNano())
	ctx := context.Background()
	ctrllog.SetLogger(logr.Discard())
	env, err := testenv.Start(testenv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	c := env.Client
	dir := t.TempDir()
	bin, kubeconfig, err := env.PrepareManager(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.BindLeaderElection(ctx, leaseNamespace); err != nil {
		t.Fatal(err)
	}
	names := [2]string{"manager-a", "manager-b"}
	for _, n := range names {
		if err := copyFile(bin, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"--leader-elect=true", "--leader-elect-namespace=" + leaseNamespace,
		"--leader-elect-lease-duration=" + leaseDuration.String(), "--leader-elect-renew-deadline=" + renewDeadline.String(),
		"--leader-elect-retry-period=" + retryPeriod.String()}
	start := func(i int) *testenv.Manager {
		m, err := testenv.StartManager(filepath.Join(dir, names[i]), kubeconfig, filepath.Join(dir, names[i]+".log"), args...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	var ms [2]*testenv.Manager
	for i := range ms {
		ms[i] = start(i)
	}
	defer func() {
		for _, m := range ms {
			m.Stop()
		}
	}()

	ns, err := env.NewNamespace(ctx, "failover-")
	if err != nil {
		t.Fatal(err)
	}
	w := &writes{}
	watching, stopWatching := context.WithCancel(ctx)
	defer stopWatching()
	if err := w.watch(watching, env, ns); err != nil {
		t.Fatal(err)
	}
	d := &driver{c: c, rng: rand.New(rand.NewPCG(uint64(seed), 3)), namespaces: []string{ns}, wrote: map[string]time.Time{}, roleDeleted: map[string]time.Time{}, deactivated: map[string]bool{}}
	if err := d.seed(ctx, ns, 12); err != nil {
		t.Fatal(err)
	}
	converge := func(when string) {
		if _, err := convergedWithin(ctx, t, c, []string{ns}, time.Minute); err != nil {
			var list v1alpha1.CollaboratorList
			_ = c.List(ctx, &list, client.InNamespace(ns))
			for _, x := range list.Items {
				for _, f := range x.ManagedFields {
					if f.Subresource == "status" {
						t.Logf("Collaborator %s (generation %d, observed %d): status written by %s at %s", x.Name, x.Generation, x.Status.ObservedGeneration, f.Manager, f.Time)
					}
				}
			}
			for i, n := range names {
				log, _ := os.ReadFile(filepath.Join(dir, n+".log"))
				_ = os.WriteFile(filepath.Join(os.TempDir(), fmt.Sprintf("failover-%s-%d.log", n, i)), log, 0o644)
			}
			t.Fatalf("%s: %v (seed %d)", when, err, seed)
		}
	}
	converge("seeded")

	var takeovers, reconciled, exits []time.Duration
	defer func() {
		if len(takeovers) == 0 || len(reconciled) == 0 {
			return
		}
		slices.Sort(takeovers)
		slices.Sort(reconciled)
		slices.Sort(exits)
		summary := fmt.Sprintf("failover: %d takeovers (lease %s, renew %s, retry %s; bound %s), takeover p50 %s max %s, a change after the kill reconciled p50 %s; a frozen leader resumed exits after %v and wrote %d times after its lease was lost",
			len(takeovers), leaseDuration, renewDeadline, retryPeriod, takeoverBound, takeovers[len(takeovers)/2].Round(time.Millisecond),
			takeovers[len(takeovers)-1].Round(time.Millisecond), reconciled[len(reconciled)/2].Round(time.Millisecond), roundAll(exits), w.total())
		t.Log(summary)
		if out := os.Getenv("CHAOS_OUT"); out != "" {
			f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err == nil {
				_, _ = fmt.Fprintln(f, summary)
				f.Close()
			}
		}
	}()
	for round := 1; round <= rounds; round++ {
		// Killed.
		leader, holder := leaderOf(ctx, t, c, ms)
		killed := time.Now()
		ms[leader].Kill()
		name := fmt.Sprintf("after-kill-%d", round)
		if err := c.Create(ctx, fixtures.Collaborator(ns, name, v1alpha1.Guest, "wc0=role1")); err != nil {
			t.Fatal(err)
		}
		took := takeover(ctx, t, c, holder, killed)
		takeovers = append(takeovers, took)
		if took > takeoverBound {
			t.Errorf("round %d: the standby held the lease %s after the leader was killed, more than %s", round, took, takeoverBound)
		}
		for {
			var got v1alpha1.Collaborator
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &got); err != nil {
				t.Fatal(err)
			}
			if got.Status.ObservedGeneration == got.Generation && len(got.Status.WorkCenters) == 1 {
				break
			}
			if time.Since(killed) > time.Minute {
				t.Fatalf("round %d: %s not reconciled 1m after the leader was killed", round, name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		reconciled = append(reconciled, time.Since(killed))
		ms[leader] = start(leader) // the new standby

		// Frozen past its lease, then resumed.
		leader, holder = leaderOf(ctx, t, c, ms)
		if err := ms[leader].Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		frozen := time.Now()
		stop := d.run(ctx)
		took = takeover(ctx, t, c, holder, frozen)
		stop()
		takeovers = append(takeovers, took)
		if took > takeoverBound {
			t.Errorf("round %d: the standby held the lease %s after the leader was frozen, more than %s", round, took, takeoverBound)
		}
		converge(fmt.Sprintf("round %d, the leader frozen", round))
		// Changes the old leader has not seen, for it to be tempted.
		stop = d.run(ctx)
		time.Sleep(300 * time.Millisecond)
		stop()
		resumed := w.expect(names[leader])
		if err := ms[leader].Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ms[leader].Exited():
		case <-time.After(renewDeadline + 10*time.Second):
			t.Errorf("round %d: the old leader still runs %s after it was resumed past its lease", round, time.Since(resumed))
			ms[leader].Kill()
		}
		exited := time.Since(resumed)
		exits = append(exits, exited)
		time.Sleep(time.Second) // writes of the resumed leader's last moments reach the watch
		for _, v := range w.found() {
			t.Errorf("round %d: the old leader wrote after losing its lease: %s", round, v)
		}
		w.expect("") // the restarted manager's own writes, as a standby that may lead later, are not the old leader's
		converge(fmt.Sprintf("round %d, the old leader resumed", round))
		t.Logf("round %d: takeover after SIGKILL %s (change reconciled after %s), after SIGSTOP %s; the resumed old leader exited after %s",
			round, takeovers[len(takeovers)-2].Round(time.Millisecond), reconciled[len(reconciled)-1].Round(time.Millisecond),
			took.Round(time.Millisecond), exited.Round(time.Millisecond))
		ms[leader] = start(leader)
	}
}

// leaderOf waits until exactly one manager reports leading (the
// leader_election_master_status gauge) and the Lease has a holder, and returns both.
func leaderOf(ctx context.Context, t *testing.T, c client.Client, ms [2]*testenv.Manager) (int, string) {
	deadline := time.Now().Add(time.Minute)
	for {
		var leading []int
		for i, m := range ms {
			if leads(m) {
				leading = append(leading, i)
			}
		}
		if h := holderOf(ctx, c); len(leading) == 1 && h != "" {
			return leading[0], h
		}
		if time.Now().After(deadline) {
			t.Fatalf("no single leader after 1m: %v lead", leading)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func leads(m *testenv.Manager) bool {
	families, err := m.Scrape()
	if err != nil {
		return false
	}
	f := families["leader_election_master_status"]
	if f == nil {
		return false
	}
	for _, x := range f.GetMetric() {
		for _, l := range x.GetLabel() {
			if l.GetName() == "name" && l.GetValue() == leaseID && x.GetGauge().GetValue() == 1 {
				return true
			}
		}
	}
	return false
}

func holderOf(ctx context.Context, c client.Client) string {
	var l coordinationv1.Lease
	if err := c.Get(ctx, client.ObjectKey{Namespace: leaseNamespace, Name: leaseID}, &l); err != nil || l.Spec.HolderIdentity == nil {
		return ""
	}
	return *l.Spec.HolderIdentity
}

// takeover waits until the Lease has a holder other than old and returns the time since
// from.
func takeover(ctx context.Context, t *testing.T, c client.Client, old string, from time.Time) time.Duration {
	for {
		if h := holderOf(ctx, c); h != "" && h != old {
			return time.Since(from)
		}
		if time.Since(from) > time.Minute {
			t.Fatalf("nobody took the lease from %s in 1m", old)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// convergedWithin waits until every object of namespaces matches the oracle.
func convergedWithin(ctx context.Context, t *testing.T, c client.Client, namespaces []string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		var last []string
		for _, ns := range namespaces {
			last = append(last, mismatches(ctx, t, c, ns)...)
		}
		if len(last) == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("not converged to the oracle after %s; %d mismatches, first: %v", limit, len(last), last[:min(len(last), 10)])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// writes watches an account's objects and flags every write recorded in managedFields
// under a given manager's name from a given second on.
type writes struct {
	mu      sync.Mutex
	manager string
	since   time.Time
	hits    []string
	count   int
	seen    map[string]bool
}

// expect starts flagging manager's writes from now (to the second, managedFields'
// precision: the manager wrote nothing in this second before, being frozen) and
// returns now.
func (w *writes) expect(manager string) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	w.manager, w.since, w.hits, w.seen = manager, now.Truncate(time.Second), nil, map[string]bool{}
	return now
}

func (w *writes) found() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hits
}

func (w *writes) total() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.count
}

func (w *writes) watch(ctx context.Context, env *testenv.Env, ns string) error {
	ca, err := cache.New(env.Config, cache.Options{Scheme: testenv.Scheme, DefaultNamespaces: map[string]cache.Config{ns: {}}})
	if err != nil {
		return err
	}
	for _, obj := range []client.Object{&v1alpha1.Account{}, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenterRole{}, &v1alpha1.Collaborator{}} {
		inf, err := ca.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { w.observe(o) },
			UpdateFunc: func(_, o any) { w.observe(o) },
		}); err != nil {
			return err
		}
	}
	go func() { _ = ca.Start(ctx) }()
	if !ca.WaitForCacheSync(ctx) {
		return fmt.Errorf("the write watch did not sync")
	}
	return nil
}

func (w *writes) observe(o any) {
	obj, ok := o.(client.Object)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.manager == "" {
		return
	}
	for _, f := range obj.GetManagedFields() {
		if f.Manager == w.manager && f.Time != nil && !f.Time.Time.Before(w.since) {
			hit := fmt.Sprintf("%T %s: %s %s at %s", obj, obj.GetName(), f.Operation, f.Subresource, f.Time.Format(time.RFC3339))
			if !w.seen[hit] {
				w.seen[hit] = true
				w.count++
				w.hits = append(w.hits, hit+" (resourceVersion "+obj.GetResourceVersion()+")")
			}
		}
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
