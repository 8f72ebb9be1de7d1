// Package chaos is the crash suite: the real manager binary (webhooks included) is
// killed with SIGKILL at random moments while a driver changes accounts at random, and
// after every few kills the cluster must converge to what the account model says
// (internal/model's Converged, the oracle), with no protected object lost (R6, R7).
// For the whole run a watch judges every status write the operator makes (sampler.go:
// no Guest in effect on a member-only role, no license beyond R4's allocation, no more
// licensed Members than the limit), and the API server and etcd may be stopped and
// started again on their data mid-run (nothing lost, convergence again); the same watch
// judges every deletion as it completes (R6, R7, R11). TestFailover runs two managers
// with leader election and takes the leader away: killed, then frozen past its lease and
// resumed. TestRandomObjects (random_test.go) sends valid and mangled objects through
// the API server.
//
// `make test` runs a short version (a few kills, no restart, no failover); `make
// test-chaos` a long one. Settings from the environment: CHAOS_KILLS (default 4),
// CHAOS_CHECK_EVERY (kills between convergence checks, default 2), CHAOS_ACCOUNTS
// (default 1), CHAOS_COLLABORATORS per account (default 24), CHAOS_APISERVER_RESTARTS
// (default 0), CHAOS_FAILOVERS (rounds of TestFailover, default 0: skipped), CHAOS_SEED
// (default: the time), CHAOS_OUT (a file for the figures).
package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

func setting(name string, def int64) int64 {
	if v, err := strconv.ParseInt(os.Getenv(name), 10, 64); err == nil {
		return v
	}
	return def
}

const (
	workCenters = 4
	roles       = 6
	// sampleGrace is how long a state must have held before a status write is judged
	// against it: the operator's cache lags the API server by about as long as the
	// sampler's watch does, milliseconds, and by much less than this.
	sampleGrace = time.Second
	// outage is how long the control plane stays down.
	outage = 3 * time.Second
)

func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// stored is an object's spec, as JSON, and whether it was being deleted.
type stored struct {
	spec     string
	deleting bool
}

// specs reads every object of the namespaces: kind/namespace/name to its spec.
func specs(ctx context.Context, c client.Client, namespaces []string) (map[string]stored, error) {
	out := map[string]stored{}
	for _, ns := range namespaces {
		objs, err := accounts.Objects(ctx, c, ns)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			obj := o.(client.Object)
			var spec any
			switch x := o.(type) {
			case *v1alpha1.Account:
				spec = x.Spec
			case *v1alpha1.WorkCenter:
				spec = x.Spec
			case *v1alpha1.WorkCenterRole:
				spec = x.Spec
			case *v1alpha1.Collaborator:
				spec = x.Spec
			}
			j, err := json.Marshal(spec)
			if err != nil {
				return nil, err
			}
			out[fmt.Sprintf("%T %s/%s", o, obj.GetNamespace(), obj.GetName())] = stored{spec: string(j), deleting: !obj.GetDeletionTimestamp().IsZero()}
		}
	}
	return out, nil
}

func TestChaos(t *testing.T) {
	kills := int(setting("CHAOS_KILLS", 4))
	every := int(setting("CHAOS_CHECK_EVERY", 2))
	accounts := int(setting("CHAOS_ACCOUNTS", 1))
	people := int(setting("CHAOS_COLLABORATORS", 24))
	seed := setting("CHAOS_SEED", time.Now().UnixNano())
	restarts := int(setting("CHAOS_APISERVER_RESTARTS", 0))
	t.Logf("seed %d (CHAOS_SEED reruns it): %d kills, a convergence check every %d, %d accounts of %d collaborators, %d API server and etcd restarts",
		seed, kills, every, accounts, people, restarts)

	ctx := context.Background()
	ctrllog.SetLogger(logr.Discard()) // the sampler's informers
	h, m := startManaged(t, "chaos", seed, restarts > 0)
	defer func() { m.Stop() }()
	env, start, logPath, c := h.env, h.start, h.logPath, h.env.Client

	d := &driver{c: c, rng: rand.New(rand.NewPCG(uint64(seed), 1)), wrote: map[string]time.Time{}, roleDeleted: map[string]time.Time{}, deactivated: map[string]bool{}}
	for range accounts {
		ns, err := env.NewNamespace(ctx, "chaos-")
		if err != nil {
			t.Fatal(err)
		}
		d.namespaces = append(d.namespaces, ns)
	}
	// The sampler watches the accounts from before their first object to the end.
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	sample := newSampler(sampleGrace)
	if err := sample.watch(sampling, env.Config, c, d.namespaces); err != nil {
		t.Fatal(err)
	}
	for _, ns := range d.namespaces {
		if err := d.seed(ctx, ns, people); err != nil {
			t.Fatal(err)
		}
	}

	var converge []time.Duration
	check := func(when string) time.Duration {
		start := time.Now()
		var last []string
		for {
			last = nil
			for _, ns := range d.namespaces {
				last = append(last, mismatches(ctx, t, c, ns)...)
			}
			if len(last) == 0 {
				break
			}
			if time.Since(start) > 2*time.Minute {
				t.Fatalf("%s: not converged to the oracle after 2m (seed %d); %d mismatches, first: %v; manager log %s",
					when, seed, len(last), last[:min(len(last), 10)], logPath)
			}
			time.Sleep(200 * time.Millisecond)
		}
		took := time.Since(start)
		for _, ns := range d.namespaces {
			for _, v := range d.violations(ctx, t, ns) {
				t.Errorf("%s: %s (seed %d)", when, v, seed)
			}
		}
		return took
	}

	// An outage of the control plane: the API server, then etcd, stopped while the
	// manager runs (it has been killed and restarted moments before, so it is busy),
	// started again on the same data. Every object as the driver left it must be
	// there with the same spec, and everything must converge again.
	restartAt := map[int]bool{}
	for i := 1; i <= restarts; i++ {
		restartAt[max(1, i*kills/(restarts+1))] = true
	}
	var lost int
	var restartConverge []time.Duration
	restart := func(k int) {
		before, err := specs(ctx, c, d.namespaces)
		if err != nil {
			t.Fatal(err)
		}
		sample.pause()
		t.Logf("kill %d: the control plane stopped at %s", k, time.Now().Format("15:04:05.000"))
		if err := env.StopControlPlane(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(outage)
		if err := env.StartControlPlane(); err != nil {
			t.Fatal(err)
		}
		up := time.Now()
		t.Logf("kill %d: the control plane back at %s", k, up.Format("15:04:05.000"))
		// The API server reports healthy a moment before it serves the CRDs' kinds.
		var after map[string]stored
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
			if after, err = specs(ctx, c, d.namespaces); err == nil || time.Now().After(deadline) {
				break
			}
		}
		if err != nil {
			t.Fatalf("after the control plane restart: %v", err)
		}
		for k, b := range before {
			if a, ok := after[k]; !ok && !b.deleting {
				lost++
				t.Errorf("after the control plane restart: %s is gone (seed %d)", k, seed)
			} else if ok && a.spec != b.spec {
				lost++
				t.Errorf("after the control plane restart: %s has spec %s, had %s (seed %d)", k, a.spec, b.spec, seed)
			}
		}
		// client-go's reflector waits up to a minute between two tries after failures.
		for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
			var live []client.Object
			for _, ns := range d.namespaces {
				for _, o := range list(ctx, t, c, ns) {
					live = append(live, o.(client.Object))
				}
			}
			if sample.resume(live) {
				t.Logf("kill %d: the sampler judges again from %s", k, time.Now().Format("15:04:05.000"))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the control plane restart: the sampler's watch has not caught up in 3m")
			}
		}
		check(fmt.Sprintf("after the control plane restart at kill %d", k))
		restartConverge = append(restartConverge, time.Since(up))
	}

	rng := rand.New(rand.NewPCG(uint64(seed), 2))
	for k := 1; k <= kills; k++ {
		stop := d.run(ctx)
		time.Sleep(time.Duration(300+rng.IntN(1500)) * time.Millisecond)
		m.Kill()
		time.Sleep(time.Duration(rng.IntN(700)) * time.Millisecond) // the driver goes on while the manager is down
		m = start()
		if restarts > 0 {
			t.Logf("kill %d: the manager started again at %s", k, time.Now().Format("15:04:05.000"))
		}
		if restartAt[k] {
			time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
			stop()
			restart(k)
			stop = func() {}
		}
		if k%every == 0 || k == kills {
			stop()
			converge = append(converge, check(fmt.Sprintf("after kill %d", k)))
		} else {
			time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
			stop()
		}
	}
	quiet(t, m, seed)

	// The end: each Account deleted while it is in use must stay (R11), held by its
	// finalizer; then everything deleted, and nothing may stay held by a finalizer of
	// ours once nothing needs it.
	for _, ns := range d.namespaces {
		if err := c.Delete(ctx, &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme"}}); err != nil {
			t.Fatal(err)
		}
	}
	check("after the Accounts' deletion")
	for _, ns := range d.namespaces {
		if v := accountGone(ctx, t, c, ns); v != "" {
			t.Errorf("%s (seed %d)", v, seed)
		}
	}
	for _, ns := range d.namespaces {
		if err := deleteAll(ctx, c, ns); err != nil {
			t.Fatal(err)
		}
	}
	emptied := time.Now()
	for _, ns := range d.namespaces {
		for {
			objs := list(ctx, t, c, ns)
			if len(objs) == 0 {
				break
			}
			if time.Since(emptied) > 2*time.Minute {
				var held []string
				for _, o := range objs[:min(len(objs), 10)] {
					held = append(held, fmt.Sprintf("%T %s %v", o, o.(client.Object).GetName(), o.(client.Object).GetFinalizers()))
				}
				t.Fatalf("2m after everything was deleted, %d objects of %s stay, first: %v (seed %d)", len(objs), ns, held, seed)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	released := time.Since(emptied)

	stopSampling()
	events, violations, byRule, first := sample.report()
	for _, v := range first {
		t.Errorf("sampled violation: %s (seed %d)", v, seed)
	}
	slices.Sort(converge)
	lines := []string{
		fmt.Sprintf("chaos: seed %d, %d kills survived, %d convergence checks, convergence after the last kill p50 %s p99 %s, %d changes applied (%d refused by admission), %d deletions of protected objects issued",
			seed, kills, len(converge), converge[len(converge)/2].Round(time.Millisecond), converge[min(len(converge)-1, len(converge)*99/100)].Round(time.Millisecond),
			d.applied, d.refused, d.protectedDeletes),
		fmt.Sprintf("chaos: %d API server and etcd restarts (%s down each), %d lost updates, convergence after the API server is back %v",
			len(restartConverge), outage, lost, roundAll(restartConverge)),
		fmt.Sprintf("chaos: the Accounts deleted while in use stayed (R11); everything deleted, the last finalizer released after %s",
			released.Round(time.Millisecond)),
		fmt.Sprintf("chaos: sampled %d watch events, %d violations (R2 guest in effect on a member-only role %d, R4 license beyond the limit %d, R4 total over the limit %d; grace %s; %d R4 judgements skipped, the sampler's Account behind the live one)",
			events, violations, byRule["R2"], byRule["R4"], byRule["R4-total"], sampleGrace, byRule["skipped"]),
		fmt.Sprintf("chaos: every completed deletion judged a grace after it: %d roles (R6 violations %d), %d AccountAdministrators (R7 %d), %d Accounts (R11 %d)",
			byRule["judged "+model.KindWorkCenterRole], byRule["R6"], byRule["judged "+model.KindCollaborator], byRule["R7"], byRule["judged "+model.KindAccount], byRule["R11"]),
	}
	summary := strings.Join(lines, "\n")
	t.Log(summary)
	if out := os.Getenv("CHAOS_OUT"); out != "" {
		_ = os.WriteFile(out, []byte(summary+"\n"), 0o644)
	}
}

// driver applies random valid and invalid changes to the accounts while it runs.
type driver struct {
	c          client.Client
	rng        *rand.Rand
	namespaces []string

	mu sync.Mutex
	// wrote is when each Collaborator's spec was last written successfully, and
	// roleDeleted when the deletion of each role was asked: an assignment written before
	// its role's deletion was asked holds the role (R6).
	wrote, roleDeleted map[string]time.Time
	applied, refused   int
	protectedDeletes   int
	// deactivated: namespaces whose Account was Deactivated at some point, when R7 lets
	// every administrator go.
	deactivated map[string]bool
}

func key(ns, name string) string { return ns + "/" + name }

// seed creates an account: the Account, WorkCenters, roles in include chains (some
// member-only), Members and Guests, two AccountAdministrators.
func (d *driver) seed(ctx context.Context, ns string, people int) error {
	objs := []client.Object{fixtures.Account(ns, "acme", int32(people*2/3))}
	for i := range workCenters {
		objs = append(objs, fixtures.WorkCenter(ns, fmt.Sprintf("wc%d", i)))
	}
	for i := range roles {
		var opts []func(*v1alpha1.WorkCenterRole)
		if i > 0 && i%2 == 0 {
			opts = append(opts, fixtures.Includes(fmt.Sprintf("role%d", i-1)))
		}
		if i%3 == 2 {
			opts = append(opts, fixtures.Perms(string(model.WorkCenterEditSettings)))
		} else {
			opts = append(opts, fixtures.Perms(string(model.FilesUpload)))
		}
		objs = append(objs, fixtures.Role(ns, fmt.Sprintf("role%d", i), opts...))
	}
	for i := range people {
		objs = append(objs, d.collaborator(ns, fmt.Sprintf("c%02d", i), i < 2))
	}
	for _, o := range objs {
		if err := d.c.Create(ctx, o); err != nil && !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) {
			return err
		}
		if c, ok := o.(*v1alpha1.Collaborator); ok {
			d.wrote[key(ns, c.Name)] = time.Now()
		}
	}
	return nil
}

func (d *driver) collaborator(ns, name string, admin bool) *v1alpha1.Collaborator {
	typ := v1alpha1.Member
	if !admin && d.rng.IntN(3) == 0 {
		typ = v1alpha1.Guest
	}
	var assign []string
	for i := range d.rng.IntN(3) + 1 {
		r := d.rng.IntN(roles + 1) // role6 does not exist
		if typ == v1alpha1.Guest && r%3 == 2 && d.rng.IntN(4) > 0 {
			r = 1 // mostly valid: guests mostly get roles without member-only permissions
		}
		assign = append(assign, fmt.Sprintf("wc%d=role%d", i, r))
	}
	c := fixtures.Collaborator(ns, name, typ, assign...)
	if admin {
		c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
	}
	return c
}

// run starts the driver; the returned function stops it and waits for it.
func (d *driver) run(ctx context.Context) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			d.change(ctx)
			time.Sleep(time.Duration(10+d.rng.IntN(60)) * time.Millisecond)
		}
	}()
	return func() { close(done); wg.Wait() }
}

// change applies one random change; refusals by admission (and failures while the
// webhook is down) are expected and counted.
func (d *driver) change(ctx context.Context) {
	ns := d.namespaces[d.rng.IntN(len(d.namespaces))]
	name := func(prefix string, n int) string { return fmt.Sprintf("%s%d", prefix, d.rng.IntN(n)) }
	var err error
	var wroteCollab string
	switch op := d.rng.IntN(20); {
	case op < 6: // a collaborator created or replaced
		n := fmt.Sprintf("c%02d", d.rng.IntN(40))
		c := d.collaborator(ns, n, d.rng.IntN(10) == 0)
		err = d.c.Create(ctx, c)
		if apierrors.IsAlreadyExists(err) {
			err = d.update(ctx, &v1alpha1.Collaborator{}, ns, n, func(o client.Object) {
				o.(*v1alpha1.Collaborator).Spec = c.Spec
			})
		}
		wroteCollab = n
	case op < 8: // a type change
		n := fmt.Sprintf("c%02d", d.rng.IntN(40))
		err = d.update(ctx, &v1alpha1.Collaborator{}, ns, n, func(o client.Object) {
			c := o.(*v1alpha1.Collaborator)
			if c.Spec.Type == v1alpha1.Member {
				c.Spec.Type, c.Spec.AdminRole = v1alpha1.Guest, v1alpha1.AdminRoleNone
			} else {
				c.Spec.Type = v1alpha1.Member
			}
		})
		wroteCollab = n
	case op < 10: // a collaborator deleted (administrators included)
		n := fmt.Sprintf("c%02d", d.rng.IntN(40))
		if d.rng.IntN(3) == 0 {
			n = fmt.Sprintf("c%02d", d.rng.IntN(2))
		}
		err = d.c.Delete(ctx, &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n}})
		d.countProtected(n < "c02")
	case op < 12: // a role's includes or permissions changed
		n := name("role", roles)
		err = d.update(ctx, &v1alpha1.WorkCenterRole{}, ns, n, func(o client.Object) {
			r := o.(*v1alpha1.WorkCenterRole)
			if d.rng.IntN(2) == 0 {
				r.Spec.Includes = nil
				if inc := name("role", roles+1); inc != r.Name {
					r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.ObjectName(inc)}
				}
			} else {
				p := model.Catalog()[d.rng.IntN(len(model.Catalog()))].Permission
				r.Spec.Permissions = []v1alpha1.Permission{p}
			}
		})
	case op < 13: // a role deleted (held by its finalizer while in use)
		n := name("role", roles)
		d.mu.Lock()
		d.roleDeleted[key(ns, n)] = time.Now()
		d.mu.Unlock()
		err = d.c.Delete(ctx, &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n}})
		d.countProtected(true)
	case op < 14: // a role (re)created
		err = d.c.Create(ctx, fixtures.Role(ns, name("role", roles), fixtures.Perms(string(model.FilesUpload))))
	case op < 16: // licenses
		err = d.update(ctx, &v1alpha1.Account{}, ns, "acme", func(o client.Object) {
			o.(*v1alpha1.Account).Spec.Licenses = int32(8 + d.rng.IntN(30))
		})
	case op < 17: // deactivated or active again
		err = d.update(ctx, &v1alpha1.Account{}, ns, "acme", func(o client.Object) {
			a := o.(*v1alpha1.Account)
			a.Spec.State = v1alpha1.AccountActive
			if d.rng.IntN(3) == 0 {
				a.Spec.State = v1alpha1.AccountDeactivated
				d.mu.Lock()
				d.deactivated[ns] = true
				d.mu.Unlock()
			}
		})
	case op < 19: // a WorkCenter archived or not
		err = d.update(ctx, &v1alpha1.WorkCenter{}, ns, name("wc", workCenters), func(o client.Object) {
			o.(*v1alpha1.WorkCenter).Spec.Archived = d.rng.IntN(2) == 0
		})
	default: // a WorkCenter deleted or created
		n := name("wc", workCenters+1)
		if d.rng.IntN(2) == 0 {
			err = d.c.Delete(ctx, &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n}})
		} else {
			err = d.c.Create(ctx, fixtures.WorkCenter(ns, n))
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err != nil {
		d.refused++
		return
	}
	d.applied++
	if wroteCollab != "" {
		d.wrote[key(ns, wroteCollab)] = time.Now()
	}
}

func (d *driver) countProtected(yes bool) {
	if yes {
		d.mu.Lock()
		d.protectedDeletes++
		d.mu.Unlock()
	}
}

func (d *driver) update(ctx context.Context, obj client.Object, ns, name string, mut func(client.Object)) error {
	if err := d.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		return err
	}
	if !obj.GetDeletionTimestamp().IsZero() {
		return fmt.Errorf("being deleted")
	}
	mut(obj)
	return d.c.Update(ctx, obj)
}

// violations are the protections broken in ns: an active Account with no
// AccountAdministrator left (R7), a role gone while a Collaborator written before its
// deletion was asked still holds it (R6).
func (d *driver) violations(ctx context.Context, t *testing.T, ns string) []string {
	objs := list(ctx, t, d.c, ns)
	var out []string
	var acct *v1alpha1.Account
	rolesThere := map[string]bool{}
	admins := 0
	for _, o := range objs {
		switch x := o.(type) {
		case *v1alpha1.Account:
			acct = x
		case *v1alpha1.WorkCenterRole:
			rolesThere[x.Name] = true
		case *v1alpha1.Collaborator:
			if model.IsAccountAdministrator(x) {
				admins++
			}
		}
	}
	d.mu.Lock()
	wasDeactivated := d.deactivated[ns]
	d.mu.Unlock()
	if model.AccountActive(acct) && admins == 0 && !wasDeactivated {
		out = append(out, fmt.Sprintf("R7: Account %s/%s is active and has no AccountAdministrator left", ns, acct.Name))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range objs {
		c, ok := o.(*v1alpha1.Collaborator)
		if !ok {
			continue
		}
		for _, a := range c.Spec.WorkCenters {
			deleted, asked := d.roleDeleted[key(ns, string(a.Role))]
			if asked && !rolesThere[string(a.Role)] && d.wrote[key(ns, c.Name)].Before(deleted) {
				out = append(out, fmt.Sprintf("R6: role %s/%s is gone while %s, written before its deletion, holds it", ns, a.Role, c.Name))
			}
		}
	}
	return out
}

// accountGone is R11's violation in ns, if any: the Account gone while the namespace
// still holds WorkCenters, custom roles or Collaborators.
func accountGone(ctx context.Context, t *testing.T, c client.Client, ns string) string {
	objs := list(ctx, t, c, ns)
	m, err := model.Build(ns, objs...)
	if err != nil {
		t.Fatal(err)
	}
	var rs []*v1alpha1.WorkCenterRole
	for _, r := range m.Roles() {
		rs = append(rs, r)
	}
	use := model.UseOfAccount(m.WorkCenters(), rs, m.Collaborators())
	if m.Owner() == nil && use.InUse() {
		return fmt.Sprintf("R11: the Account of %s is gone while in use (%s)", ns, use)
	}
	return ""
}

// deleteAll deletes every object of the four kinds in ns.
func deleteAll(ctx context.Context, c client.Client, ns string) error {
	for _, o := range []client.Object{&v1alpha1.Collaborator{}, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenterRole{}, &v1alpha1.Account{}} {
		if err := c.DeleteAllOf(ctx, o, client.InNamespace(ns)); err != nil {
			return err
		}
	}
	return nil
}

// list reads the namespace's objects of the four kinds live.
func list(ctx context.Context, t *testing.T, c client.Client, ns string) []any {
	objs, err := accounts.Objects(ctx, c, ns)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

// mismatches compares every object of ns with the oracle: the status it must show once
// the operator has caught up, and the finalizers it must carry; an object being deleted
// may stay only while its protection holds.
func mismatches(ctx context.Context, t *testing.T, c client.Client, ns string) []string {
	objs := list(ctx, t, c, ns)
	m, err := model.Build(ns, objs...)
	if err != nil {
		t.Fatal(err)
	}
	want := m.Converged(metav1.Now())
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	for _, o := range objs {
		obj := o.(client.Object)
		if obj.GetDeletionTimestamp().IsZero() {
			if g := observed(o); g != obj.GetGeneration() {
				bad("%T %s: observedGeneration %d of %d", o, obj.GetName(), g, obj.GetGeneration())
				continue
			}
		}
		switch x := o.(type) {
		case *v1alpha1.Collaborator:
			f := want.Collaborators[x.Name]
			if x.DeletionTimestamp.IsZero() {
				if len(f.Assignments) != len(x.Status.WorkCenters) {
					bad("Collaborator %s: %d assignments in status, want %d", x.Name, len(x.Status.WorkCenters), len(f.Assignments))
				} else {
					for i, s := range x.Status.WorkCenters {
						w := f.Assignments[i]
						if s.Name != w.Name || s.Role != w.Role || s.State != w.State || s.Reason != w.Reason {
							bad("Collaborator %s: assignment %s=%s %s/%s, want %s=%s %s/%s", x.Name, s.Name, s.Role, s.State, s.Reason, w.Name, w.Role, w.State, w.Reason)
						}
					}
				}
				if (f.Licensed == nil) != (x.Status.Licensed == nil) || (f.Licensed != nil && *f.Licensed != *x.Status.Licensed) {
					bad("Collaborator %s: licensed %v, want %v", x.Name, x.Status.Licensed, f.Licensed)
				}
			}
			holds := model.LastAdministratorHolds(x, m.Owner(), m.Collaborators())
			checkFinalizer(bad, x, v1alpha1.FinalizerLastAdministrator, f.Protected, holds)
		case *v1alpha1.WorkCenter:
			if x.DeletionTimestamp.IsZero() && x.Status.Collaborators != want.WorkCenters[x.Name] {
				bad("WorkCenter %s: %d collaborators, want %d", x.Name, x.Status.Collaborators, want.WorkCenters[x.Name])
			}
		case *v1alpha1.WorkCenterRole:
			f := want.Roles[x.Name]
			if x.DeletionTimestamp.IsZero() && x.Status.Assignments != f.Assignments {
				bad("WorkCenterRole %s: %d assignments, want %d", x.Name, x.Status.Assignments, f.Assignments)
			}
			checkFinalizer(bad, x, v1alpha1.FinalizerInUseProtection, f.Protected, f.InUse)
		case *v1alpha1.Account:
			a := want.Account
			if a == nil || a.Name != x.Name {
				continue
			}
			st := x.Status
			if x.DeletionTimestamp.IsZero() && (st.Members != a.Members || st.Guests != a.Guests || st.AccountAdministrators != a.AccountAdministrators ||
				st.LicensesUsed != a.LicensesUsed || st.WorkCenters != a.WorkCenters || st.ArchivedWorkCenters != a.ArchivedWorkCenters) {
				bad("Account %s: status %+v, want %+v", x.Name, st, a)
			}
			var rs []*v1alpha1.WorkCenterRole
			for _, r := range m.Roles() {
				rs = append(rs, r)
			}
			inUse := model.UseOfAccount(m.WorkCenters(), rs, m.Collaborators()).InUse()
			checkFinalizer(bad, x, v1alpha1.FinalizerAccountProtection, a.Protected, inUse)
		}
	}
	return out
}

// checkFinalizer: a live object carries finalizer exactly when it is protected; one
// being deleted still exists only while its protection holds it.
func checkFinalizer(bad func(string, ...any), obj client.Object, finalizer string, protected, holds bool) {
	has := controllerutil.ContainsFinalizer(obj, finalizer)
	switch {
	case obj.GetDeletionTimestamp().IsZero() && has != protected:
		bad("%T %s: finalizer %s present %v, want %v", obj, obj.GetName(), finalizer, has, protected)
	case !obj.GetDeletionTimestamp().IsZero() && has && !holds:
		bad("%T %s: being deleted, nothing needs it, still held by %s", obj, obj.GetName(), finalizer)
	}
}

func observed(o any) int64 {
	switch x := o.(type) {
	case *v1alpha1.Account:
		return x.Status.ObservedGeneration
	case *v1alpha1.WorkCenter:
		return x.Status.ObservedGeneration
	case *v1alpha1.WorkCenterRole:
		return x.Status.ObservedGeneration
	case *v1alpha1.Collaborator:
		return x.Status.ObservedGeneration
	}
	return -1
}

// reconcileCounts reads the manager's reconciles and reconcile panics so far, over every
// controller (controller-runtime's metrics).
func reconcileCounts(t *testing.T, m *testenv.Manager) (reconciles, panics float64) {
	t.Helper()
	families, err := m.Scrape()
	if err != nil {
		t.Fatalf("scraping the manager: %v", err)
	}
	sum := func(name string) float64 {
		var n float64
		if f := families[name]; f != nil {
			for _, metric := range f.GetMetric() {
				n += metric.GetCounter().GetValue()
			}
		}
		return n
	}
	return sum("controller_runtime_reconcile_total"), sum("controller_runtime_reconcile_panics_total")
}
