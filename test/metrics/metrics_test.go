// Package metrics runs the real manager binary (webhooks included) on an envtest
// control plane, makes known changes to an account, scrapes its /metrics and checks
// the workcenter_* values: licenses, collaborators, assignments, Ready and Stalled,
// deletions blocked, admission decisions by rule. It also checks that every metric the
// alerts of config/prometheus/rules.yaml read is served, and that no label takes the
// name of a collaborator, a WorkCenter or a role.
package metrics

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/promql/parser"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsyaml "sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

const timeout = 90 * time.Second

// eventually retries f until it returns nil, failing the test with its last error
// after timeout.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestMetricsOfTheRunningManager(t *testing.T) {
	ctx := context.Background()
	env, err := testenv.Start(testenv.Options{Webhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	dir := t.TempDir()
	bin, kubeconfig, err := env.PrepareManager(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	hooks := env.WebhookInstallOptions
	logPath := filepath.Join(dir, "manager.log")
	m, err := testenv.StartManager(bin, kubeconfig, logPath,
		"--enable-webhooks=true", "--webhook-port="+strconv.Itoa(hooks.LocalServingPort), "--webhook-cert-path="+hooks.LocalServingCertDir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	defer func() {
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("manager log (last 4KiB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	}()
	c := env.Client
	eventually(t, "the webhooks answer", func() error {
		return c.Create(ctx, fixtures.Account("default", "probe", 1), client.DryRunAll)
	})

	ns, err := env.NewNamespace(ctx, "metrics-")
	if err != nil {
		t.Fatal(err)
	}
	get := func(o client.Object) client.Object {
		t.Helper()
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	collaborator := func(name string) *v1alpha1.Collaborator {
		return get(&v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}).(*v1alpha1.Collaborator)
	}
	assignmentIs := func(name string, state v1alpha1.AssignmentState, reason string) func() error {
		return func() error {
			got := collaborator(name).Status.WorkCenters
			if len(got) != 1 || got[0].State != state || got[0].Reason != reason {
				return fmt.Errorf("Collaborator %s: assignments %+v, want one %s %s", name, got, state, reason)
			}
			return nil
		}
	}
	create := func(objs ...client.Object) {
		t.Helper()
		for _, o := range objs {
			if err := c.Create(ctx, o); err != nil {
				t.Fatalf("create %s: %v", o.GetName(), err)
			}
		}
	}

	// An account of 3 licenses, a WorkCenter, a role for everyone (viewer) and a
	// member-only one (planner); three Members on viewer, all licensed and Active.
	create(fixtures.Account(ns, "acme", 3))
	eventually(t, "the built-in roles", func() error {
		return c.Get(ctx, types.NamespacedName{Namespace: ns, Name: v1alpha1.RoleContributor}, &v1alpha1.WorkCenterRole{})
	})
	create(fixtures.WorkCenter(ns, "tower-a"), fixtures.Role(ns, "viewer"), fixtures.Role(ns, "planner", fixtures.Perms("tasks.create")))
	for _, name := range []string{"m1", "m2", "m3"} {
		create(fixtures.Collaborator(ns, name, v1alpha1.Member, "tower-a=viewer"))
		eventually(t, name+" Active", assignmentIs(name, v1alpha1.AssignmentActive, ""))
	}

	// A Guest on the member-only role, as if applied before the operator was installed:
	// admission would refuse it (R2), so the validating webhooks are taken out for it.
	var vwcs admissionv1.ValidatingWebhookConfigurationList
	if err := c.List(ctx, &vwcs); err != nil || len(vwcs.Items) == 0 {
		t.Fatalf("the validating webhook configurations: %v, %d", err, len(vwcs.Items))
	}
	for i := range vwcs.Items {
		if err := c.Delete(ctx, &vwcs.Items[i]); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "a Guest on a member-only role past admission", func() error {
		return c.Create(ctx, fixtures.Collaborator(ns, "g1", v1alpha1.Guest, "tower-a=planner"))
	})
	for _, v := range vwcs.Items {
		if err := c.Create(ctx, &admissionv1.ValidatingWebhookConfiguration{
			ObjectMeta: metav1.ObjectMeta{Name: v.Name, Labels: v.Labels, Annotations: v.Annotations}, Webhooks: v.Webhooks}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the validating webhooks back (a category not in the picklist denied)", func() error {
		if err := c.Create(ctx, fixtures.WorkCenter(ns, "probe", fixtures.Category("Nope")), client.DryRunAll); err == nil {
			return fmt.Errorf("allowed")
		}
		return nil
	})
	eventually(t, "g1 Rejected", assignmentIs("g1", v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember))

	// Licenses lowered to 2: the youngest Member, m3, loses its license (a warning, R4).
	if err := c.Patch(ctx, &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme"}},
		client.RawPatch(types.MergePatchType, []byte(`{"spec":{"licenses":2}}`))); err != nil {
		t.Fatal(err)
	}
	eventually(t, "m3 without a license", assignmentIs("m3", v1alpha1.AssignmentPending, v1alpha1.ReasonLicenseLimitExceeded))

	// Admission refuses a Guest on the member-only role (R2) and a fourth Member (R4).
	if err := c.Create(ctx, fixtures.Collaborator(ns, "g2", v1alpha1.Guest, "tower-a=planner")); err == nil {
		t.Fatal("a Guest on a member-only role was admitted")
	}
	if err := c.Create(ctx, fixtures.Collaborator(ns, "m4", v1alpha1.Member)); err == nil {
		t.Fatal("a Member beyond the licenses was admitted")
	}

	// viewer deleted while three Members hold it: a warning (R6), and the deletion waits.
	viewer := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer"}}
	if err := c.Delete(ctx, viewer); err != nil {
		t.Fatal(err)
	}
	eventually(t, "viewer's deletion blocked", func() error {
		if !meta.IsStatusConditionTrue(get(viewer).(*v1alpha1.WorkCenterRole).Status.Conditions, v1alpha1.ConditionDeletionBlocked) {
			return fmt.Errorf("no DeletionBlocked yet")
		}
		return nil
	})
	stalledSince := meta.FindStatusCondition(collaborator("g1").Status.Conditions, v1alpha1.ConditionStalled)
	blockedSince := meta.FindStatusCondition(get(viewer).(*v1alpha1.WorkCenterRole).Status.Conditions, v1alpha1.ConditionDeletionBlocked)
	if stalledSince == nil || stalledSince.Status != metav1.ConditionTrue {
		t.Fatalf("g1 is not Stalled: %+v", collaborator("g1").Status.Conditions)
	}

	// The account's series, all of them: name, then label pairs besides namespace and account.
	acct := func(name string, kv ...string) string {
		return series(name, append([]string{"namespace", ns, "account", "acme"}, kv...)...)
	}
	want := map[string]float64{
		acct("workcenter_account_licenses"):                                                                            2,
		acct("workcenter_account_licenses_used"):                                                                       2,
		acct("workcenter_collaborators", "licensed", "true", "type", "Member"):                                         2,
		acct("workcenter_collaborators", "licensed", "false", "type", "Member"):                                        1,
		acct("workcenter_collaborators", "licensed", "false", "type", "Guest"):                                         1,
		acct("workcenter_assignments", "reason", "", "state", "Active"):                                                2,
		acct("workcenter_assignments", "reason", "LicenseLimitExceeded", "state", "Pending"):                           1,
		acct("workcenter_assignments", "reason", "RoleRequiresMember", "state", "Rejected"):                            1,
		acct("workcenter_objects", "kind", "Account", "ready", "True", "reason", "Reconciled"):                         1,
		acct("workcenter_objects", "kind", "WorkCenter", "ready", "True", "reason", "Reconciled"):                      1,
		acct("workcenter_objects", "kind", "WorkCenterRole", "ready", "True", "reason", "Reconciled"):                  5,
		acct("workcenter_objects", "kind", "Collaborator", "ready", "True", "reason", "Reconciled"):                    2,
		acct("workcenter_objects", "kind", "Collaborator", "ready", "False", "reason", "LicenseLimitExceeded"):         1,
		acct("workcenter_objects", "kind", "Collaborator", "ready", "False", "reason", "RoleRequiresMember"):           1,
		acct("workcenter_objects_stalled", "kind", "Collaborator", "reason", "RoleRequiresMember"):                     1,
		acct("workcenter_objects_stalled_oldest_timestamp_seconds", "kind", "Collaborator"):                            float64(stalledSince.LastTransitionTime.Unix()),
		acct("workcenter_deletions_blocked", "kind", "WorkCenterRole", "reason", "RoleInUse"):                          1,
		acct("workcenter_deletions_blocked_oldest_timestamp_seconds", "kind", "WorkCenterRole", "reason", "RoleInUse"): float64(blockedSince.LastTransitionTime.Unix()),
	}
	// Counted once each: nothing else in the suite makes these decisions.
	wantDecisions := map[string]float64{
		`workcenter_admission_decisions_total{kind="Collaborator",operation="CREATE",rule="R2",verdict="denied"}`:   1,
		`workcenter_admission_decisions_total{kind="Collaborator",operation="CREATE",rule="R4",verdict="denied"}`:   1,
		`workcenter_admission_decisions_total{kind="Account",operation="UPDATE",rule="R4",verdict="warned"}`:        1,
		`workcenter_admission_decisions_total{kind="WorkCenterRole",operation="DELETE",rule="R6",verdict="warned"}`: 1,
	}

	var families map[string]*dto.MetricFamily
	var got map[string]float64
	eventually(t, "the scraped metrics", func() error {
		if families, err = m.Scrape(); err != nil {
			return err
		}
		got = flatten(families)
		var diffs []string
		// Every series of the account's namespace, and only those wanted.
		for k, v := range got {
			if strings.Contains(k, fmt.Sprintf("namespace=%q", ns)) {
				if w, ok := want[k]; !ok {
					diffs = append(diffs, fmt.Sprintf("unexpected %s %v", k, v))
				} else if w != v {
					diffs = append(diffs, fmt.Sprintf("%s %v, want %v", k, v, w))
				}
			}
		}
		for k, w := range want {
			if _, ok := got[k]; !ok {
				diffs = append(diffs, fmt.Sprintf("missing %s (want %v)", k, w))
			}
		}
		for k, w := range wantDecisions {
			if got[k] != w {
				diffs = append(diffs, fmt.Sprintf("%s %v, want %v", k, got[k], w))
			}
		}
		if got[`workcenter_metrics_cache_read_errors{}`] != 0 {
			diffs = append(diffs, "workcenter_metrics_cache_read_errors is not 0")
		}
		if len(diffs) > 0 {
			slices.Sort(diffs)
			return fmt.Errorf("%d differences:\n  %s", len(diffs), strings.Join(diffs, "\n  "))
		}
		return nil
	})

	// What was scraped, for the record.
	var lines []string
	for k, v := range got {
		if strings.HasPrefix(k, "workcenter_") && !strings.Contains(k, "_duration_seconds") {
			lines = append(lines, fmt.Sprintf("%s %v", k, v))
		}
	}
	slices.Sort(lines)
	t.Logf("scraped from the manager:\n%s", strings.Join(lines, "\n"))

	// Bounded cardinality: no label of ours names a collaborator, WorkCenter or role.
	names := map[string]bool{}
	for _, l := range []client.ObjectList{&v1alpha1.CollaboratorList{}, &v1alpha1.WorkCenterList{}, &v1alpha1.WorkCenterRoleList{}} {
		if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		items, _ := meta.ExtractList(l)
		for _, o := range items {
			names[o.(client.Object).GetName()] = true
		}
	}
	names["g2"], names["m4"] = true, true
	for name, f := range families {
		if !strings.HasPrefix(name, "workcenter_") {
			continue
		}
		for _, metric := range f.GetMetric() {
			for _, l := range metric.GetLabel() {
				if names[l.GetValue()] {
					t.Errorf("%s: label %s=%q is an object's name", name, l.GetName(), l.GetValue())
				}
			}
		}
	}

	// The statuses the gauges were read from keep the kstatus promises.
	violations, err := env.KStatusViolations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		t.Errorf("kstatus: %s", v)
	}

	// Every metric the alerts read is served.
	for _, metric := range alertMetrics(t) {
		if _, ok := families[metric]; !ok {
			t.Errorf("config/prometheus/rules.yaml reads %s, which the manager does not serve", metric)
		}
	}
}

// series is `name{label="value",...}` with the labels sorted, as flatten spells it.
func series(name string, kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, fmt.Sprintf("%s=%q", kv[i], kv[i+1]))
	}
	slices.Sort(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

// flatten is each sample of the gauges and counters as `name{label="value",...}`, the
// labels sorted.
func flatten(families map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			slices.Sort(parts)
			key := name + "{" + strings.Join(parts, ",") + "}"
			switch {
			case m.Gauge != nil:
				out[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				out[key] = m.GetCounter().GetValue()
			}
		}
	}
	return out
}

// alertMetrics are the metric names the alert expressions of rules.yaml select.
func alertMetrics(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var pr struct {
		Spec struct {
			Groups []struct {
				Rules []struct {
					Expr string `json:"expr"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"spec"`
	}
	if err := sigsyaml.Unmarshal(b, &pr); err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	seen := map[string]bool{}
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Fatalf("%q: %v", r.Expr, err)
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				// up is made by Prometheus for each scrape (WorkCenterOperatorAbsent reads
				// it), not served by the manager.
				if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" && vs.Name != "up" {
					seen[vs.Name] = true
				}
				return nil
			})
		}
	}
	if len(seen) == 0 {
		t.Fatal("no metric found in the alerts")
	}
	return slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	})
}
