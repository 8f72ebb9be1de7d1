package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/localenv"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// Admission that stays up (docs/operations.md, Replicas): two replicas of the real
// manager binary behind a stand-in for the webhook Service, the leader taken away while
// requests keep coming, every request judged as it should be.
//
// The Service is a TCP proxy on the port the webhook configuration names. Its endpoints
// are what Kubernetes' are: the replicas whose readiness probe passes (polled every
// 200 ms), less a replica once its Pod is terminating (after endpointLag, the time the
// endpoints take to follow a deletion). A connection goes to a random endpoint and stays
// with it, as through kube-proxy; when the replica behind it dies, the proxy resets the
// API server's end (which the API server retries, as it would the reset of a dead Pod's
// connection), and a connection to an endpoint where nothing listens any more fails (as
// a refused one would, which the API server does not retry).
//
// Two ways the leader goes, each while 4 clients send a request every 20 ms each (a
// Collaborator that passes admission, and a Guest given a custom member-only role, which
// only the validating webhook refuses (R2)) and the survivor must take the lease and reconcile a change made
// meanwhile:
//   - drained: its Pod deleted (SIGTERM and, endpointLag later, out of the endpoints), as
//     `kubectl drain` does; the replica serves through its --shutdown-delay;
//   - killed: the same, but SIGKILL once its --shutdown-delay is over, in the middle of
//     its shutdown (a grace period that ran out): no graceful end, no lease released.
//
// Every request must get its expected answer: zero failed, zero wrongly refused or
// allowed. Before that, the follower alone in the Service admits an administrator's
// change and writes its audit Event (followerAudits). Then a replica whose cache cannot sync (its user may not list Collaborators)
// must stay not ready.
const (
	endpointLag   = time.Second
	shutdownDelay = 3 * time.Second
	requestEvery  = 20 * time.Millisecond
	// loadClients send at once, so that the API server holds several connections.
	loadClients = 4
)

func TestAdmissionThroughTakeover(t *testing.T) {
	ctx := context.Background()
	ctrllog.SetLogger(logr.Discard())
	env, err := testenv.Start(testenv.Options{Webhooks: true})
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
	hooks := env.WebhookInstallOptions
	svc, err := newService(net.JoinHostPort(hooks.LocalServingHost, strconv.Itoa(hooks.LocalServingPort)))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.close()

	names := [2]string{"replica-a", "replica-b"}
	start := func(i int) *replica {
		r := &replica{name: names[i], webhook: testenv.FreePort(), probe: testenv.FreePort()}
		_, port, _ := net.SplitHostPort(r.webhook)
		m, err := testenv.StartManager(bin, kubeconfig, filepath.Join(dir, names[i]+".log"),
			"--enable-webhooks=true", "--webhook-port="+port, "--webhook-cert-path="+hooks.LocalServingCertDir,
			"--health-probe-bind-address="+r.probe, "--shutdown-delay="+shutdownDelay.String(),
			"--leader-elect=true", "--leader-elect-namespace="+leaseNamespace,
			"--leader-elect-lease-duration="+leaseDuration.String(), "--leader-elect-renew-deadline="+renewDeadline.String(),
			"--leader-elect-retry-period="+retryPeriod.String())
		if err != nil {
			t.Fatal(err)
		}
		r.m = m
		svc.add(r)
		return r
	}
	var rs [2]*replica
	for i := range rs {
		rs[i] = start(i)
	}
	defer func() {
		for _, r := range rs {
			r.m.Kill()
		}
		if t.Failed() {
			for _, n := range names {
				log, _ := os.ReadFile(filepath.Join(dir, n+".log"))
				kept := filepath.Join(os.TempDir(), "ha-"+n+".log")
				if os.WriteFile(kept, log, 0o644) == nil {
					t.Logf("%s's log kept in %s", n, kept)
				}
			}
		}
	}()
	svc.waitReady(t, 2, time.Minute)

	ns, err := env.NewNamespace(ctx, "ha-")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []client.Object{fixtures.Account(ns, "acme", 100), fixtures.WorkCenter(ns, "tower-a"),
		fixtures.Role(ns, "site-lead", fixtures.Includes(v1alpha1.RoleContributor), fixtures.Perms("collaborators.remove"))} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, time.Minute, "the built-in roles", func() bool {
		var r v1alpha1.WorkCenterRole
		return c.Get(ctx, client.ObjectKey{Namespace: ns, Name: string(v1alpha1.RoleWorkCenterOwner)}, &r) == nil
	})

	ms := func() [2]*testenv.Manager { return [2]*testenv.Manager{rs[0].m, rs[1].m} }
	followerAudits(ctx, t, env, c, svc, rs, ms(), ns)
	for round, how := range []string{"drained", "killed"} {
		leader, holder := leaderOf(ctx, t, c, ms())
		load := startLoad(ctx, c, ns)
		time.Sleep(500 * time.Millisecond) // requests to both replicas first
		gone := rs[leader]
		from := time.Now()
		switch how {
		case "drained":
			svc.terminate(gone, endpointLag)
			gone.m.Stop()
		case "killed":
			svc.terminate(gone, endpointLag)
			_ = gone.m.Signal(syscall.SIGTERM)
			time.Sleep(shutdownDelay)
			gone.m.Kill()
		}
		took := takeover(ctx, t, c, holder, from)
		// The new leader reconciles a change made after the old one left.
		name := fmt.Sprintf("after-%s", how)
		if err := c.Create(ctx, fixtures.Collaborator(ns, name, v1alpha1.Member, "tower-a=contributor")); err != nil {
			t.Fatalf("%s: creating %s: %v", how, name, err)
		}
		waitFor(t, time.Minute, name+" Ready", func() bool {
			var got v1alpha1.Collaborator
			return c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &got) == nil &&
				got.Status.ObservedGeneration == got.Generation && len(got.Status.WorkCenters) == 1 &&
				got.Status.WorkCenters[0].State == v1alpha1.AssignmentActive
		})
		time.Sleep(500 * time.Millisecond)
		sent, failures := load.stop()
		t.Logf("leader %s: %s; lease taken over in %s; %d requests, %d not answered as they should be",
			gone.name, how, took.Round(time.Millisecond), sent, len(failures))
		if sent < 50 {
			t.Errorf("%s: only %d requests sent", how, sent)
		}
		for i, f := range failures {
			if i == 5 {
				t.Errorf("... and %d more", len(failures)-5)
				break
			}
			t.Errorf("%s: %s", how, f)
		}
		if round == 0 {
			rs[leader] = start(leader)
			svc.waitReady(t, 2, time.Minute)
		}
	}

	// A replica whose cache cannot sync stays not ready, and out of the Service.
	nobody, err := env.AddUser(envtest.User{Name: "system:serviceaccount:ha:unauthorized"}, &rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		t.Fatal(err)
	}
	limited := filepath.Join(dir, "unauthorized.kubeconfig")
	if err := localenv.WriteKubeconfig(limited, nobody.Config()); err != nil {
		t.Fatal(err)
	}
	probe := testenv.FreePort()
	_, port, _ := net.SplitHostPort(testenv.FreePort())
	stuckLog := filepath.Join(os.TempDir(), "ha-unsynced.log")
	_ = os.Remove(stuckLog)
	stuck, err := testenv.StartManager(bin, limited, stuckLog,
		"--enable-webhooks=true", "--webhook-port="+port, "--webhook-cert-path="+hooks.LocalServingCertDir,
		"--health-probe-bind-address="+probe, "--leader-elect=false")
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Kill()
	for range 30 {
		time.Sleep(200 * time.Millisecond)
		if code, body := readyz(probe); code == http.StatusOK || !strings.Contains(body, "accounts failed") {
			t.Fatalf("a replica that cannot list Collaborators: readyz %d\n%s", code, body)
		}
	}
	if code, body := get("http://" + probe + "/healthz"); code != http.StatusOK {
		t.Errorf("the unsynced replica is not live either (%d %s): it would be restarted for nothing", code, body)
	}
}

// replica is one manager behind the Service.
type replica struct {
	name, webhook, probe string
	m                    *testenv.Manager
}

// followerAudits: admission's audit Events are written by the replica that admitted the
// change, leader or not (docs/administration.md, The audit trail). With only the follower
// in the Service, a WorkCenter Administrator's change to a WorkCenter it is not assigned
// to is admitted by the follower, and its AdministratorNotAssigned Event is written: a
// follower writing through the leader-fenced client would see it refused and dropped.
func followerAudits(ctx context.Context, t *testing.T, env *testenv.Env, c client.Client, svc *service, rs [2]*replica, ms [2]*testenv.Manager, ns string) {
	t.Helper()
	leader, _ := leaderOf(ctx, t, c, ms)
	follower := rs[1-leader]
	svc.only(follower)
	defer svc.all()
	// A connection being dialled to the leader as it left is reset by the second call.
	time.Sleep(time.Second)
	svc.only(follower)
	daniel := fixtures.Collaborator(ns, "daniel", v1alpha1.Member)
	daniel.Spec.AdminRole = v1alpha1.AdminRoleWorkCenterAdministrator
	if err := c.Create(ctx, daniel); err != nil {
		t.Fatal(err)
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: daniel.Spec.Email, Groups: []string{"system:masters", "system:authenticated"}}
	as, err := client.New(cfg, client.Options{Scheme: c.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	var wc v1alpha1.WorkCenter
	waitFor(t, time.Minute, "daniel's change to tower-a admitted by the follower "+follower.name, func() bool {
		if err := as.Get(ctx, client.ObjectKey{Namespace: ns, Name: "tower-a"}, &wc); err != nil {
			return false
		}
		wc.Spec.Description = "changed by daniel through " + follower.name
		return as.Update(ctx, &wc) == nil
	})
	waitFor(t, time.Minute, "AdministratorNotAssigned Event from the follower", func() bool {
		var list eventsv1.EventList
		if err := c.List(ctx, &list, client.InNamespace(ns)); err != nil {
			return false
		}
		for _, e := range list.Items {
			if e.Reason == v1alpha1.ReasonAdministratorNotAssigned && e.Regarding.Name == "tower-a" &&
				strings.Contains(e.Note, "daniel (WorkCenterAdministrator)") {
				return true
			}
		}
		return false
	})
	if leads(follower.m) {
		t.Fatalf("%s, the follower, became the leader meanwhile: the Event does not show a follower's write", follower.name)
	}
}

// service stands in for the webhook Service (see TestAdmissionThroughTakeover).
type service struct {
	l        net.Listener
	mu       sync.Mutex
	replicas []*replica
	ready    map[*replica]bool
	leaving  map[*replica]bool
	// conns are the API server's connections forwarded to each replica.
	conns    map[*replica]map[net.Conn]struct{}
	stopPoll chan struct{}
}

func newService(addr string) (*service, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &service{l: l, ready: map[*replica]bool{}, leaving: map[*replica]bool{}, conns: map[*replica]map[net.Conn]struct{}{},
		stopPoll: make(chan struct{})}
	go s.serve()
	go s.poll()
	return s, nil
}

func (s *service) close() { close(s.stopPoll); s.l.Close() }

func (s *service) add(r *replica) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replicas = append(s.replicas, r)
}

// terminate takes r out of the endpoints after lag, as the endpoints follow a Pod's
// deletion.
func (s *service) terminate(r *replica, lag time.Duration) {
	out := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.leaving[r] = true
	}
	if lag == 0 {
		out()
		return
	}
	time.AfterFunc(lag, out)
}

// only takes every replica but r out of the endpoints at once and resets the API
// server's connections to them, so that every call goes to r from now on.
func (s *service) only(r *replica) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.replicas {
		if o == r {
			continue
		}
		s.leaving[o] = true
		for conn := range s.conns[o] {
			reset(conn)
		}
	}
}

// all puts every replica back into the endpoints.
func (s *service) all() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.leaving)
}

func (s *service) endpoints() []*replica {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*replica
	for _, r := range s.replicas {
		if s.ready[r] && !s.leaving[r] {
			out = append(out, r)
		}
	}
	return out
}

func (s *service) waitReady(t *testing.T, n int, limit time.Duration) {
	t.Helper()
	waitFor(t, limit, fmt.Sprintf("%d ready replicas", n), func() bool { return len(s.endpoints()) == n })
}

// poll is the readiness probe of every replica.
func (s *service) poll() {
	for {
		select {
		case <-s.stopPoll:
			return
		case <-time.After(200 * time.Millisecond):
		}
		s.mu.Lock()
		rs := append([]*replica(nil), s.replicas...)
		s.mu.Unlock()
		for _, r := range rs {
			code, _ := readyz(r.probe)
			s.mu.Lock()
			s.ready[r] = code == http.StatusOK
			s.mu.Unlock()
		}
	}
}

func (s *service) serve() {
	for {
		in, err := s.l.Accept()
		if err != nil {
			return
		}
		go s.forward(in)
	}
}

func (s *service) forward(in net.Conn) {
	eps := s.endpoints()
	var out net.Conn
	var err error
	var to *replica
	if len(eps) > 0 {
		to = eps[rand.IntN(len(eps))]
		out, err = net.DialTimeout("tcp", to.webhook, time.Second)
	}
	if len(eps) == 0 || err != nil {
		// Nobody listens there: through kube-proxy the API server's connection would be
		// refused, which it does not retry. A close (not a reset) is what it reads here
		// as the same: a failed call.
		in.Close()
		return
	}
	s.mu.Lock()
	if s.conns[to] == nil {
		s.conns[to] = map[net.Conn]struct{}{}
	}
	s.conns[to][in] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns[to], in)
		s.mu.Unlock()
	}()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(out, in); done <- struct{}{} }()
	go func() { _, _ = io.Copy(in, out); done <- struct{}{} }()
	<-done
	// One side ended: the replica closed (or died), or the API server did.
	reset(in)
	out.Close()
}

// reset closes c with a TCP reset, as a peer that is gone does.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

// load sends requests through the API server until stopped.
type load struct {
	cancel   context.CancelFunc
	done     chan struct{}
	sent     atomic.Int64
	mu       sync.Mutex
	failures []string
}

func startLoad(ctx context.Context, c client.Client, ns string) *load {
	ctx, cancel := context.WithCancel(ctx)
	l := &load{cancel: cancel, done: make(chan struct{})}
	var clients sync.WaitGroup
	for k := range loadClients {
		clients.Go(func() { l.send(ctx, c, ns, k) })
	}
	go func() { clients.Wait(); close(l.done) }()
	return l
}

// send is one client: a request every requestEvery, alternately one to pass and one
// to refuse.
func (l *load) send(ctx context.Context, c client.Client, ns string, k int) {
	{
		for i := k; ctx.Err() == nil; i += loadClients {
			var err error
			var want string
			if i%2 == 0 {
				err = c.Create(ctx, fixtures.Collaborator(ns, fmt.Sprintf("ok-%d", i), v1alpha1.Member, "tower-a=contributor"), client.DryRunAll)
			} else {
				want = "member-only" // R2, which only the webhook knows for a custom role
				err = c.Create(ctx, fixtures.Collaborator(ns, fmt.Sprintf("guest-%d", i), v1alpha1.Guest, "tower-a=site-lead"), client.DryRunAll)
			}
			if ctx.Err() != nil {
				return
			}
			l.sent.Add(1)
			if got := verdict(err, want); got != "" {
				l.mu.Lock()
				l.failures = append(l.failures, fmt.Sprintf("%s: %s", time.Now().Format("15:04:05.000"), got))
				l.mu.Unlock()
			}
			time.Sleep(requestEvery)
		}
	}
}

// verdict is "" when err is the expected answer: success, or a refusal naming want.
func verdict(err error, want string) string {
	switch {
	case want == "" && err == nil:
		return ""
	case want == "":
		return "should pass, got: " + err.Error()
	case err == nil:
		return "should be refused (" + want + "), passed"
	case !strings.Contains(err.Error(), "admission webhook") || !strings.Contains(err.Error(), "denied the request") || !strings.Contains(err.Error(), want):
		return "should be refused (" + want + "), got: " + err.Error()
	}
	return ""
}

func (l *load) stop() (int64, []string) {
	l.cancel()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent.Load(), l.failures
}

func readyz(addr string) (int, string) { return get("http://" + addr + "/readyz?verbose") }

var probes = &http.Client{Timeout: time.Second}

func get(url string) (int, string) {
	resp, err := probes.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func waitFor(t *testing.T, limit time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %s", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
