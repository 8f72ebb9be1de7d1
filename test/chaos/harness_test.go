package chaos

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// managed is a control plane with the real manager binary serving the webhooks, as the
// crash suite and the random objects run it.
type managed struct {
	env     *testenv.Env
	logPath string
	start   func() *testenv.Manager
}

// startManaged starts the control plane and the manager, and waits until the webhooks
// answer. The manager's log outlives a failed test, as /tmp/<name>-manager-<seed>.log.
func startManaged(t *testing.T, name string, seed int64, restartable bool) (*managed, *testenv.Manager) {
	t.Helper()
	ctx := context.Background()
	env, err := testenv.Start(testenv.Options{Webhooks: true, Restartable: restartable})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	dir := t.TempDir()
	bin, kubeconfig, err := env.PrepareManager(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	hooks := env.WebhookInstallOptions
	args := []string{"--enable-webhooks=true", "--webhook-port=" + strconv.Itoa(hooks.LocalServingPort), "--webhook-cert-path=" + hooks.LocalServingCertDir}
	h := &managed{env: env, logPath: filepath.Join(dir, "manager.log")}
	t.Cleanup(func() {
		if t.Failed() {
			kept := filepath.Join(os.TempDir(), fmt.Sprintf("%s-manager-%d.log", name, seed))
			if err := copyFile(h.logPath, kept); err == nil {
				t.Logf("manager log kept in %s", kept)
			}
		}
	})
	h.start = func() *testenv.Manager {
		m, err := testenv.StartManager(bin, kubeconfig, h.logPath, args...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	m := h.start()
	deadline := time.Now().Add(time.Minute)
	for env.Client.Create(ctx, fixtures.Account("default", "probe", 1), client.DryRunAll) != nil {
		if time.Now().After(deadline) {
			m.Stop()
			t.Fatalf("the webhooks do not answer after 1m; see %s", h.logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return h, m
}

// quiet checks that a converged manager left alone does not reconcile (no hot loop on
// what the run left behind, valid or not) and never panicked in a reconcile. The
// statuses can match the oracle before a manager started just now has finished its first
// pass over the cache (one reconcile per object, all of them no-ops), so the quiet window
// starts once a second has passed with no reconcile; a hot loop never gives one.
func quiet(t *testing.T, m *testenv.Manager, seed int64) {
	t.Helper()
	settled := time.Now()
	for last, _ := reconcileCounts(t, m); ; {
		time.Sleep(time.Second)
		n, _ := reconcileCounts(t, m)
		if n == last {
			break
		}
		if time.Since(settled) > 30*time.Second {
			t.Fatalf("the converged manager never went a second without a reconcile in 30s: a hot loop (seed %d)", seed)
		}
		last = n
	}
	before, _ := reconcileCounts(t, m)
	time.Sleep(5 * time.Second)
	after, panics := reconcileCounts(t, m)
	if n := after - before; n > 5 {
		t.Errorf("the converged manager reconciled %v times in 5s with nothing changing: a hot loop (seed %d)", n, seed)
	}
	if panics > 0 {
		t.Errorf("reconciles panicked %v times (seed %d)", panics, seed)
	}
	t.Logf("chaos: converged and left alone, the manager's first pass settled %s after convergence, then %v reconciles in 5s; %v reconcile panics",
		time.Since(settled).Round(time.Millisecond)-5*time.Second, after-before, panics)
}
