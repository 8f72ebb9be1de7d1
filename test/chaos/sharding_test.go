package chaos

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/sharding"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// shardTakeoverBound is how long, after a replica is killed or frozen, its accounts may
// take to be labelled another's: the lease duration, after the replica's last renewal
// (its Lease and, when it led, the leader election Lease, which the survivors try for
// every retry period, with client-go's jitter of up to 1.2 of it, twice: to see the last
// renewal and then to take it over), plus one second of slack for the coordinator's pass
// and the processes sharing two loaded cores.
const shardTakeoverBound = leaseDuration + 2*(retryPeriod+retryPeriod*12/10) + time.Second

// shardAccounts is how many account namespaces the suite spreads; shardBurst how many
// Collaborators a burst (a mass import) creates at once in one of them, for a replica to
// be in the middle of writing their statuses and RBAC when it is drained or frozen.
const (
	shardAccounts = 8
	shardBurst    = 200
	// maxInFlight bounds the writes a replica can have admitted and not yet sent at
	// once: the RBAC controller's 32 writers, the other controllers' workers, the audit
	// trail's 4 writers. inFlightWindow is how soon after it resumes they are all sent.
	maxInFlight    = 48
	inFlightWindow = 500 * time.Millisecond
)

// TestShardedAccounts runs the real manager binary as replicas with --shard-accounts
// (internal/sharding, docs/scaling.md) and checks, from the API server's audit log, that
// every write into an account namespace (status, metadata, built-in roles, RBAC Roles and
// RoleBindings, Events) was made by the replica its Namespace was labelled with at that
// moment: a write by a replica must be received after the label naming it was asked
// for, and must end before the label naming another was asked for. So no two replicas
// ever write into one account at once. Each replica runs as a binary of its own name,
// the user agent the audit log records. The story, with random changes of the accounts
// throughout the handovers:
//
//  1. two replicas share the accounts (each holds some), converge them, and each answers
//     admission for every account, its own and the other's;
//  2. the leader is killed (SIGKILL): the survivor holds its accounts within
//     shardTakeoverBound and reconciles a change made after the kill;
//  3. a third replica joins while the accounts change: it takes over the accounts it
//     wins, each drained by the survivor first;
//  4. the leader is frozen (SIGSTOP) past its Lease while the accounts change: the other
//     replica takes its accounts over within shardTakeoverBound; resumed (SIGCONT), the
//     old one writes nothing more and exits, its Leases lost.
func TestShardedAccounts(t *testing.T) {
	ctx := context.Background()
	ctrllog.SetLogger(logr.Discard())
	dir := t.TempDir()
	auditLog := filepath.Join(dir, "audit.log")
	env, err := testenv.Start(testenv.Options{AuditLog: auditLog})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Stop()
	c := env.Client
	bin, kubeconfig, err := env.PrepareManager(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.BindLeaderElection(ctx, leaseNamespace); err != nil {
		t.Fatal(err)
	}
	// The replicas serve the admission webhooks (not installed in the API server: the
	// suite asks each replica directly).
	hooks := envtest.WebhookInstallOptions{LocalServingHost: "127.0.0.1"}
	if err := hooks.PrepWithoutInstalling(); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(hooks.LocalServingCertDir)

	replicas := map[string]*shardReplica{}
	start := func(name string) *shardReplica {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			if err := copyFile(bin, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
		r := &shardReplica{name: name, webhook: testenv.FreePort()}
		_, port, _ := net.SplitHostPort(r.webhook)
		m, err := testenv.StartManager(filepath.Join(dir, name), kubeconfig, filepath.Join(dir, name+".log"),
			"--leader-elect=true", "--leader-elect-namespace="+leaseNamespace,
			"--leader-elect-lease-duration="+leaseDuration.String(), "--leader-elect-renew-deadline="+renewDeadline.String(),
			"--leader-elect-retry-period="+retryPeriod.String(),
			"--shard-accounts=true", "--shard-name="+name,
			"--enable-webhooks=true", "--webhook-port="+port, "--webhook-cert-path="+hooks.LocalServingCertDir)
		if err != nil {
			t.Fatal(err)
		}
		r.m = m
		replicas[name] = r
		return r
	}
	defer func() {
		for _, r := range replicas {
			r.m.Kill()
		}
		if t.Failed() {
			for n := range replicas {
				if err := copyFile(filepath.Join(dir, n+".log"), filepath.Join(os.TempDir(), "sharding-"+n+".log")); err == nil {
					t.Logf("%s's log kept in %s", n, filepath.Join(os.TempDir(), "sharding-"+n+".log"))
				}
			}
			if err := copyFile(auditLog, filepath.Join(os.TempDir(), "sharding-audit.log")); err == nil {
				t.Logf("the audit log kept in %s", filepath.Join(os.TempDir(), "sharding-audit.log"))
			}
		}
	}()
	began := time.Now()
	a, b := start("shard-a"), start("shard-b")
	live := func() []string {
		var out []string
		for n, r := range replicas {
			select {
			case <-r.m.Exited():
			default:
				out = append(out, n)
			}
		}
		slices.Sort(out)
		return out
	}

	// The accounts: names on which each shard of every pair the story makes wins some.
	namespaces := pickNamespaces(shardAccounts, [][]string{{"shard-a", "shard-b"}, {"shard-a", "shard-c"}, {"shard-b", "shard-c"}})
	seed := setting("CHAOS_SEED", time.Now().UnixNano())
	d := &driver{c: c, rng: rand.New(rand.NewPCG(uint64(seed), 7)), namespaces: namespaces, wrote: map[string]time.Time{},
		roleDeleted: map[string]time.Time{}, deactivated: map[string]bool{}}
	for _, ns := range namespaces {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
		if err := d.seed(ctx, ns, 6); err != nil {
			t.Fatal(err)
		}
		for _, o := range []client.Object{fixtures.WorkCenter(ns, "tower-a"),
			fixtures.Role(ns, "site-lead", fixtures.Includes(v1alpha1.RoleContributor), fixtures.Perms("collaborators.remove"))} {
			if err := c.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
	}
	converge := func(when string) {
		t.Helper()
		if _, err := convergedWithin(ctx, t, c, namespaces, time.Minute); err != nil {
			t.Fatalf("%s: %v (seed %d)", when, err, seed)
		}
	}

	// 1. Two replicas.
	assigned := waitAssigned(ctx, t, c, namespaces, live(), time.Minute)
	for _, n := range live() {
		if len(assigned[n]) == 0 {
			t.Fatalf("%s holds no account: %v", n, assigned)
		}
	}
	converge("two replicas")
	stop := d.run(ctx)
	time.Sleep(2 * time.Second)
	stop()
	converge("two replicas, after changes")
	for _, r := range []*shardReplica{a, b} {
		if got := gauge(t, r.m, "workcenter_shard_owned_namespaces"); int(got) != len(assigned[r.name]) {
			t.Errorf("%s reports %v owned namespaces, holds %d", r.name, got, len(assigned[r.name]))
		}
		for _, ns := range namespaces {
			r.admits(t, hooks.LocalServingCAData, ns)
		}
	}
	t.Logf("two replicas: %v; converged %s after the start", assigned, time.Since(began).Round(time.Millisecond))

	// 2. The leader killed.
	leader := leaderAmong(ctx, t, c, replicas)
	survivor := a
	if leader == a {
		survivor = b
	}
	lost := assigned[leader.name]
	killed := time.Now()
	leader.m.Kill()
	for _, ns := range lost {
		if err := c.Create(ctx, fixtures.Collaborator(ns, "after-kill", v1alpha1.Member, "tower-a=contributor")); err != nil {
			t.Fatal(err)
		}
	}
	took := waitOwners(ctx, t, c, lost, survivor.name, killed, time.Minute)
	if took > shardTakeoverBound {
		t.Errorf("the accounts of the killed %s were %s's %s after the kill, more than %s", leader.name, survivor.name, took, shardTakeoverBound)
	}
	for _, ns := range lost {
		waitFor(t, time.Minute, "after-kill reconciled in "+ns, func() bool {
			var got v1alpha1.Collaborator
			return c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "after-kill"}, &got) == nil &&
				got.Status.ObservedGeneration == got.Generation && len(got.Status.WorkCenters) == 1
		})
	}
	reconciledAfterKill := time.Since(killed)
	converge("the leader killed")
	t.Logf("%s (the leader) killed: its %d accounts held by %s after %s (bound %s), a change made after the kill reconciled after %s",
		leader.name, len(lost), survivor.name, took.Round(time.Millisecond), shardTakeoverBound, reconciledAfterKill.Round(time.Millisecond))

	// 3. A third replica joins while the accounts change, and while the account it is
	// to take first is in the middle of a burst (a mass import): its owner drains it
	// with reconciles and writes in flight.
	toThird := slices.DeleteFunc(slices.Clone(namespaces), func(ns string) bool {
		return sharding.Assign(ns, []string{survivor.name, "shard-c"}) != "shard-c"
	})
	stop = d.run(ctx)
	burst(ctx, t, c, toThird[0], "import", shardBurst)
	joined := time.Now()
	third := start("shard-c")
	assigned = waitAssigned(ctx, t, c, namespaces, live(), time.Minute)
	rebalanced := time.Since(joined)
	time.Sleep(time.Second)
	stop()
	if len(assigned[third.name]) == 0 {
		t.Fatalf("%s took no account: %v", third.name, assigned)
	}
	converge("a third replica joined")
	t.Logf("%s joined: %v, rebalanced %s after it started, %s draining an import of %d Collaborators into %s",
		third.name, assigned, rebalanced.Round(time.Millisecond), survivor.name, shardBurst, toThird[0])

	// 4. The leader frozen past its Lease while the accounts change, in the middle of a
	// burst of its own, then resumed.
	leader = leaderAmong(ctx, t, c, replicas)
	other := third
	if leader == third {
		other = survivor
	}
	lost = assigned[leader.name]
	stop = d.run(ctx)
	burst(ctx, t, c, lost[0], "burst", shardBurst)
	if err := leader.m.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	tookFrozen := waitOwners(ctx, t, c, lost, other.name, frozen, time.Minute)
	if tookFrozen > shardTakeoverBound {
		t.Errorf("the accounts of the frozen %s were %s's %s after the freeze, more than %s", leader.name, other.name, tookFrozen, shardTakeoverBound)
	}
	time.Sleep(time.Second) // changes the frozen replica has not seen
	resumed := time.Now()
	if err := leader.m.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-leader.m.Exited():
	case <-time.After(renewDeadline + 15*time.Second):
		t.Errorf("the frozen %s still runs %s after it was resumed past its Leases", leader.name, time.Since(resumed))
	}
	exited := time.Since(resumed)
	time.Sleep(time.Second)
	stop()
	converge("the leader frozen and resumed")
	t.Logf("%s (the leader) frozen: its %d accounts held by %s after %s; resumed, it exited after %s",
		leader.name, len(lost), other.name, tookFrozen.Round(time.Millisecond), exited.Round(time.Millisecond))

	// Who wrote what, and when.
	time.Sleep(500 * time.Millisecond)
	writes, owners, drains := readAudit(t, auditLog, namespaces)
	busy := whileDraining(writes, drains)
	byReplica := map[string]int{}
	for _, w := range writes {
		byReplica[w.replica]++
	}
	// A write the frozen replica had admitted (its Lease renewed recently) and not yet
	// sent when it was stopped is sent when it resumes: the fence checks before a write,
	// and no client-side fence can call back a request it let go. Those, at most one per
	// writer of the replica and all sent at once, are the only writes allowed to land
	// after the takeover; a replica whose fence let it go on writing would go on.
	var violations, admittedBeforeTheFreeze []string
	for _, w := range writes {
		v := owners.check(w)
		switch {
		case v == "":
		case w.replica == leader.name && !w.received.Before(resumed.Add(-50*time.Millisecond)) && w.received.Before(resumed.Add(inFlightWindow)):
			admittedBeforeTheFreeze = append(admittedBeforeTheFreeze, v)
		default:
			violations = append(violations, v)
		}
	}
	if n := len(admittedBeforeTheFreeze); n > maxInFlight {
		t.Errorf("%d writes by the frozen %s landed just after it resumed, past its takeover; at most %d were in flight: %v",
			n, leader.name, maxInFlight, admittedBeforeTheFreeze[:min(n, 5)])
	}
	for i, v := range violations {
		if i == 10 {
			t.Errorf("... and %d more", len(violations)-10)
			break
		}
		t.Errorf("a write by a replica that did not own the account then: %s", v)
	}
	for _, n := range []string{"shard-a", "shard-b", "shard-c"} {
		if byReplica[n] == 0 {
			t.Errorf("no write by %s in the audit log", n)
		}
	}
	summary := fmt.Sprintf("sharding: %d accounts; takeover after SIGKILL %s and after SIGSTOP %s (bound %s: lease %s, renew %s, retry %s); a change after the kill reconciled after %s; a third replica rebalanced in %s, draining an import of %d Collaborators (%d writes made while draining); the resumed replica exited after %s; %d writes by the replicas (%v), %d by a replica not owning the account then, %d sent by the frozen one on resuming (admitted before the freeze); %d changes applied, %d refused; %s in all",
		len(namespaces), took.Round(time.Millisecond), tookFrozen.Round(time.Millisecond), shardTakeoverBound, leaseDuration, renewDeadline, retryPeriod,
		reconciledAfterKill.Round(time.Millisecond), rebalanced.Round(time.Millisecond), shardBurst, busy, exited.Round(time.Millisecond),
		len(writes), byReplica, len(violations), len(admittedBeforeTheFreeze), d.applied, d.refused, time.Since(began).Round(time.Second))
	t.Log(summary)
	if out := os.Getenv("CHAOS_OUT"); out != "" {
		if f, err := os.OpenFile(out, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			_, _ = fmt.Fprintln(f, summary)
			f.Close()
		}
	}
}

// shardReplica is one replica of TestShardedAccounts.
type shardReplica struct {
	name, webhook string
	m             *testenv.Manager
}

// pickNamespaces returns n account names (acct-<i>, a run of consecutive i) on which,
// for each of the pairs of shards, each shard of the pair wins two at least: the suite's
// handovers then always move some.
func pickNamespaces(n int, pairs [][]string) []string {
	for first := 0; ; first++ {
		var names []string
		for i := range n {
			names = append(names, fmt.Sprintf("acct-%d", first+i))
		}
		ok := true
		for _, p := range pairs {
			wins := map[string]int{}
			for _, ns := range names {
				wins[sharding.Assign(ns, p)]++
			}
			for _, s := range p {
				ok = ok && wins[s] >= 2
			}
		}
		if ok {
			return names
		}
	}
}

// waitAssigned waits until every namespace is labelled with the shard Assign picks among
// live, with no drain going on, and returns the namespaces of each shard.
func waitAssigned(ctx context.Context, t *testing.T, c client.Client, namespaces, live []string, limit time.Duration) map[string][]string {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out := map[string][]string{}
		var wrong []string
		for _, ns := range namespaces {
			var got corev1.Namespace
			if err := c.Get(ctx, client.ObjectKey{Name: ns}, &got); err != nil {
				t.Fatal(err)
			}
			a := sharding.AssignmentOf(got.Labels, got.Annotations)
			want := sharding.Assign(ns, live)
			if a.Owner != want || a.Drain != "" || a.Drained != "" {
				wrong = append(wrong, fmt.Sprintf("%s: %+v, want %s", ns, a, want))
			}
			out[a.Owner] = append(out[a.Owner], ns)
		}
		if len(wrong) == 0 {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("the accounts are not assigned over %v after %s: %v", live, limit, wrong)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitOwners waits until every namespace is labelled owner, and returns the time since
// from.
func waitOwners(ctx context.Context, t *testing.T, c client.Client, namespaces []string, owner string, from time.Time, limit time.Duration) time.Duration {
	t.Helper()
	for {
		done := true
		for _, ns := range namespaces {
			var got corev1.Namespace
			if err := c.Get(ctx, client.ObjectKey{Name: ns}, &got); err != nil {
				t.Fatal(err)
			}
			done = done && got.Labels[sharding.LabelOwner] == owner
		}
		if done {
			return time.Since(from)
		}
		if time.Since(from) > limit {
			t.Fatalf("%v not %s's after %s", namespaces, owner, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leaderAmong waits until exactly one running replica reports leading and returns it.
func leaderAmong(ctx context.Context, t *testing.T, c client.Client, replicas map[string]*shardReplica) *shardReplica {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var leading []*shardReplica
		for _, r := range replicas {
			select {
			case <-r.m.Exited():
				continue
			default:
			}
			if leads(r.m) {
				leading = append(leading, r)
			}
		}
		if len(leading) == 1 && holderOf(ctx, c) != "" {
			return leading[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no single leader after 1m: %d lead", len(leading))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// gauge reads a gauge without labels from m's metrics.
func gauge(t *testing.T, m *testenv.Manager, name string) float64 {
	t.Helper()
	families, err := m.Scrape()
	if err != nil {
		t.Fatal(err)
	}
	f := families[name]
	if f == nil || len(f.GetMetric()) == 0 {
		t.Fatalf("no %s", name)
	}
	return f.GetMetric()[0].GetGauge().GetValue()
}

// admits asks r's validating webhook, directly, about two Collaborators of namespace:
// one it must allow, a Guest given a custom member-only role it must refuse (R2, which
// only admission knows of such a role). Every replica answers for every account, its
// shard's or not.
func (r *shardReplica) admits(t *testing.T, ca []byte, namespace string) {
	t.Helper()
	for _, tc := range []struct {
		c    *v1alpha1.Collaborator
		want string // "" to allow
	}{
		{fixtures.Collaborator(namespace, "fine", v1alpha1.Guest, "tower-a=contributor"), ""},
		{fixtures.Collaborator(namespace, "guest", v1alpha1.Guest, "tower-a=site-lead"), "member-only"},
	} {
		resp := r.review(t, ca, tc.c)
		switch {
		case tc.want == "" && !resp.Allowed:
			t.Errorf("%s refused %s/%s: %v", r.name, namespace, tc.c.Name, resp.Result)
		case tc.want != "" && (resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, tc.want)):
			t.Errorf("%s: %s/%s allowed %v (%v), want refused for %q", r.name, namespace, tc.c.Name, resp.Allowed, resp.Result, tc.want)
		}
	}
}

func (r *shardReplica) review(t *testing.T, ca []byte, obj *v1alpha1.Collaborator) *admissionv1.AdmissionResponse {
	t.Helper()
	obj.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("Collaborator"))
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	review := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       types.UID(fmt.Sprintf("%s-%s-%s", r.name, obj.Namespace, obj.Name)),
			Kind:      metav1.GroupVersionKind{Group: v1alpha1.GroupVersion.Group, Version: v1alpha1.GroupVersion.Version, Kind: "Collaborator"},
			Resource:  metav1.GroupVersionResource{Group: v1alpha1.GroupVersion.Group, Version: v1alpha1.GroupVersion.Version, Resource: "collaborators"},
			Namespace: obj.Namespace, Name: obj.Name, Operation: admissionv1.Create,
			Object:   runtime.RawExtension{Raw: raw},
			UserInfo: authenticationv1.UserInfo{Username: "admin", Groups: []string{"system:masters", "system:authenticated"}},
		},
	}
	body, err := json.Marshal(review)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	resp, err := hc.Post("https://"+r.webhook+"/validate-access-workcenter-io-v1alpha1-collaborator", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s's webhook: %v", r.name, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &out); err != nil || out.Response == nil {
		t.Fatalf("%s's webhook answered %d %s (%v)", r.name, resp.StatusCode, data, err)
	}
	return out.Response
}

// burst creates n Guests in namespace at once (8 clients) and returns once their owner
// is writing their RBAC (20 Roles of them exist), with most of it still to write.
func burst(ctx context.Context, t *testing.T, c client.Client, namespace, prefix string, n int) time.Time {
	t.Helper()
	names := make(chan string, n)
	for i := range n {
		names <- fmt.Sprintf("%s-%03d", prefix, i)
	}
	close(names)
	for range 8 {
		go func() {
			for name := range names {
				_ = c.Create(ctx, fixtures.Collaborator(namespace, name, v1alpha1.Guest, "tower-a=contributor"))
			}
		}()
	}
	deadline := time.Now().Add(time.Minute)
	for {
		var roles rbacv1.RoleList
		if err := c.List(ctx, &roles, client.InNamespace(namespace)); err != nil {
			t.Fatal(err)
		}
		started := 0
		for _, r := range roles.Items {
			if strings.Contains(r.Name, prefix+"-") {
				started++
			}
		}
		if started >= 20 {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("the burst in %s not written after 1m", namespace)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// --- The audit log ---

// auditEvent is what the suite reads of an audit log line.
type auditEvent struct {
	Verb      string `json:"verb"`
	UserAgent string `json:"userAgent"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	RequestObject *struct {
		Metadata struct {
			Labels map[string]*string `json:"labels"`
		} `json:"metadata"`
	} `json:"requestObject"`
	Received metav1.MicroTime `json:"requestReceivedTimestamp"`
	Done     metav1.MicroTime `json:"stageTimestamp"`
}

// auditWrite is a successful write by a replica into an account namespace.
type auditWrite struct {
	replica, namespace, what string
	received, done           time.Time
}

// ownerChange is a write of a Namespace's owner label: to owner ("" removed).
type ownerChange struct {
	owner          string
	received, done time.Time
}

// ownerLog is each namespace's owner changes, in order.
type ownerLog map[string][]ownerChange

// drainLog is when each namespace was labelled to be drained, and by whom.
type drainLog map[string][]ownerChange

// check returns why w was not made while its replica owned the namespace ("" when it
// was): it must be received after the request of a change naming the replica was (the
// change is visible, through a watch or a read, from the moment it is stored, before its
// request is done), and done before the request of the next change was received. So
// the writes of two owners never overlap: the old one's all ended before the request
// moving the namespace arrived, the new one's all arrived after it.
func (o ownerLog) check(w auditWrite) string {
	ns := w.namespace
	changes := o[ns]
	for i, ch := range changes {
		if ch.owner != w.replica || w.received.Before(ch.received) {
			continue
		}
		if i+1 < len(changes) && w.done.After(changes[i+1].received) {
			continue
		}
		return ""
	}
	return fmt.Sprintf("%s by %s, received %s, done %s; owners of %s: %v", w.what, w.replica,
		w.received.Format("15:04:05.000000"), w.done.Format("15:04:05.000000"), ns, o.describe(ns))
}

func (o ownerLog) describe(ns string) string {
	var parts []string
	for _, ch := range o[ns] {
		parts = append(parts, fmt.Sprintf("%q from %s (asked %s)", ch.owner, ch.done.Format("15:04:05.000000"), ch.received.Format("15:04:05.000000")))
	}
	return strings.Join(parts, ", ")
}

// readAudit reads the writes of the replicas (user agents shard-*) into namespaces, and
// the owner changes of those Namespaces, from the audit log.
func readAudit(t *testing.T, path string, namespaces []string) ([]auditWrite, ownerLog, drainLog) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ours := map[string]bool{}
	for _, ns := range namespaces {
		ours[ns] = true
	}
	var writes []auditWrite
	owners, drains := ownerLog{}, drainLog{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev auditEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("audit log: %v", err)
		}
		if ev.ObjectRef == nil || ev.ResponseStatus == nil || ev.ResponseStatus.Code >= 300 {
			continue
		}
		ref := ev.ObjectRef
		switch {
		case ref.Resource == "namespaces" && ref.Subresource == "" && ours[ref.Name] && ev.RequestObject != nil:
			if v, ok := ev.RequestObject.Metadata.Labels[sharding.LabelOwner]; ok {
				owner := ""
				if v != nil {
					owner = *v
				}
				owners[ref.Name] = append(owners[ref.Name], ownerChange{owner: owner, received: ev.Received.Time, done: ev.Done.Time})
			}
			if v := ev.RequestObject.Metadata.Labels[sharding.LabelDrain]; v != nil {
				drains[ref.Name] = append(drains[ref.Name], ownerChange{owner: *v, received: ev.Received.Time, done: ev.Done.Time})
			}
		case ours[ref.Namespace] && strings.HasPrefix(ev.UserAgent, "shard-"):
			what := fmt.Sprintf("%s/%s/%s", ref.Resource, ref.Namespace, ref.Name)
			if ref.Subresource != "" {
				what += "/" + ref.Subresource
			}
			writes = append(writes, auditWrite{replica: strings.SplitN(ev.UserAgent, "/", 2)[0], namespace: ref.Namespace, what: ev.Verb + " " + what,
				received: ev.Received.Time, done: ev.Done.Time})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for _, chs := range owners {
		sort.SliceStable(chs, func(i, j int) bool { return chs[i].done.Before(chs[j].done) })
	}
	return writes, owners, drains
}

// whileDraining counts the writes a replica made into a namespace after it was labelled
// to drain it: the reconciles and writes it had in flight, which the handover waited for.
func whileDraining(writes []auditWrite, drains drainLog) int {
	n := 0
	for _, w := range writes {
		for _, d := range drains[w.namespace] {
			if d.owner == w.replica && w.received.After(d.done) && w.received.Before(d.done.Add(time.Minute)) {
				n++
				break
			}
		}
	}
	return n
}

// The audit log's judge of TestShardedAccounts: a write counts as its replica's only
// from the moment the label naming it was asked for to the moment the next label was.
func TestOwnerLogCheck(t *testing.T) {
	at := func(ms int) time.Time {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
	}
	log := ownerLog{"ns": {{owner: "a", received: at(0), done: at(10)}, {owner: "b", received: at(100), done: at(110)}}}
	for _, tc := range []struct {
		replica        string
		received, done int
		ok             bool
	}{
		{"a", 20, 30, true},
		{"a", 5, 30, true},    // the label stored, its request not done yet
		{"a", -5, 30, false},  // received before the label naming a was asked for
		{"a", 90, 105, false}, // done after the move to b was asked for
		{"b", 95, 120, false},
		{"b", 105, 130, true},
		{"c", 20, 30, false},
	} {
		v := log.check(auditWrite{replica: tc.replica, namespace: "ns", what: "patch x", received: at(tc.received), done: at(tc.done)})
		if (v == "") != tc.ok {
			t.Errorf("%s [%d, %d]: %q, want ok %v", tc.replica, tc.received, tc.done, v, tc.ok)
		}
	}
}
