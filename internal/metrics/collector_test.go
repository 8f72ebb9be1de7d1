package metrics

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}()

// Times of the fixtures' conditions.
var (
	t1000 = metav1.NewTime(time.Unix(1000, 0))
	t2000 = metav1.NewTime(time.Unix(2000, 0))
)

// cond sets a condition on an object's status conditions.
func cond(conds *[]metav1.Condition, typ string, status metav1.ConditionStatus, reason string, since metav1.Time) {
	*conds = append(*conds, metav1.Condition{Type: typ, Status: status, Reason: reason, LastTransitionTime: since})
}

func ready(conds *[]metav1.Condition) {
	cond(conds, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled, t1000)
}

func account(ns, name string, licenses, used int32, created time.Time) *v1alpha1.Account {
	a := fixtures.Account(ns, name, licenses)
	a.CreationTimestamp = metav1.NewTime(created)
	a.Status.LicensesUsed = used
	ready(&a.Status.Conditions)
	return a
}

// member is a reconciled Member, licensed or not.
func member(ns, name string, licensed bool, assignments ...v1alpha1.WorkCenterAssignmentStatus) *v1alpha1.Collaborator {
	c := fixtures.Collaborator(ns, name, v1alpha1.Member)
	c.Status.Licensed = &licensed
	c.Status.WorkCenters = assignments
	ready(&c.Status.Conditions)
	return c
}

func guest(ns, name string, assignments ...v1alpha1.WorkCenterAssignmentStatus) *v1alpha1.Collaborator {
	c := fixtures.Collaborator(ns, name, v1alpha1.Guest)
	c.Status.WorkCenters = assignments
	ready(&c.Status.Conditions)
	return c
}

func assignment(wc string, state v1alpha1.AssignmentState, reason string) v1alpha1.WorkCenterAssignmentStatus {
	return v1alpha1.WorkCenterAssignmentStatus{Name: wc, Role: "contributor", State: state, Reason: reason}
}

// scrape collects a Collector over the objects through a pedantic registry, as
// "name{label="value",...}" -> value.
func scrape(t *testing.T, objs ...client.Object) map[string]float64 {
	t.Helper()
	return scrapeReader(t, fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build())
}

func scrapeReader(t *testing.T, r client.Reader) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(New(r))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return flatten(families)
}

func flatten(families []*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			out[series(f.GetName(), m.GetLabel())] = m.GetGauge().GetValue()
		}
	}
	return out
}

func series(name string, labels []*dto.LabelPair) string {
	var parts []string
	for _, l := range labels {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	slices.Sort(parts)
	return name + "{" + strings.Join(parts, ",") + "}"
}

const healthy = `workcenter_metrics_cache_read_errors{}`

func TestCollector(t *testing.T) {
	created := time.Unix(100, 0)
	for name, tc := range map[string]struct {
		objs []client.Object
		want map[string]float64
	}{
		"nothing to measure": {
			want: map[string]float64{healthy: 0},
		},
		"licenses, and collaborators by type and license": {
			objs: []client.Object{
				account("a", "acme", 2, 2, created),
				member("a", "m1", true), member("a", "m2", true), member("a", "m3", false),
				fixtures.Collaborator("a", "m4", v1alpha1.Member), // not reconciled yet
				guest("a", "g1"), guest("a", "g2"),
			},
			want: map[string]float64{
				healthy: 0,
				`workcenter_account_licenses{account="acme",namespace="a"}`:                                             2,
				`workcenter_account_licenses_used{account="acme",namespace="a"}`:                                        2,
				`workcenter_collaborators{account="acme",licensed="true",namespace="a",type="Member"}`:                  2,
				`workcenter_collaborators{account="acme",licensed="false",namespace="a",type="Member"}`:                 1,
				`workcenter_collaborators{account="acme",licensed="unknown",namespace="a",type="Member"}`:               1,
				`workcenter_collaborators{account="acme",licensed="false",namespace="a",type="Guest"}`:                  2,
				`workcenter_objects{account="acme",kind="Account",namespace="a",ready="True",reason="Reconciled"}`:      1,
				`workcenter_objects{account="acme",kind="Collaborator",namespace="a",ready="True",reason="Reconciled"}`: 5,
				`workcenter_objects{account="acme",kind="Collaborator",namespace="a",ready="Unknown",reason=""}`:        1,
			},
		},
		"assignments by state and reason, summed over collaborators": {
			objs: []client.Object{
				account("a", "acme", 5, 1, created),
				member("a", "m1", true, assignment("tower-a", v1alpha1.AssignmentActive, ""),
					assignment("tower-b", v1alpha1.AssignmentArchived, v1alpha1.ReasonWorkCenterArchived)),
				guest("a", "g1", assignment("tower-a", v1alpha1.AssignmentActive, ""),
					assignment("tower-b", v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember),
					assignment("tower-c", v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound)),
				guest("a", "g2", assignment("tower-a", v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember),
					assignment("tower-b", "Exploded", "SomethingNew")),
			},
			want: map[string]float64{
				healthy: 0,
				`workcenter_account_licenses{account="acme",namespace="a"}`:                                             5,
				`workcenter_account_licenses_used{account="acme",namespace="a"}`:                                        1,
				`workcenter_collaborators{account="acme",licensed="true",namespace="a",type="Member"}`:                  1,
				`workcenter_collaborators{account="acme",licensed="false",namespace="a",type="Guest"}`:                  2,
				`workcenter_assignments{account="acme",namespace="a",reason="",state="Active"}`:                         2,
				`workcenter_assignments{account="acme",namespace="a",reason="WorkCenterArchived",state="Archived"}`:     1,
				`workcenter_assignments{account="acme",namespace="a",reason="RoleRequiresMember",state="Rejected"}`:     2,
				`workcenter_assignments{account="acme",namespace="a",reason="WorkCenterNotFound",state="Pending"}`:      1,
				`workcenter_assignments{account="acme",namespace="a",reason="Other",state="Other"}`:                     1,
				`workcenter_objects{account="acme",kind="Account",namespace="a",ready="True",reason="Reconciled"}`:      1,
				`workcenter_objects{account="acme",kind="Collaborator",namespace="a",ready="True",reason="Reconciled"}`: 3,
			},
		},
		"Ready and Stalled, with the oldest stall": {
			objs: func() []client.Object {
				bad1 := fixtures.WorkCenter("a", "bad-1", fixtures.Category("Nope"))
				cond(&bad1.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonUnknownCategory, t2000)
				cond(&bad1.Status.Conditions, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonUnknownCategory, t2000)
				bad2 := fixtures.WorkCenter("a", "bad-2", fixtures.Category("Nope"))
				cond(&bad2.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonUnknownCategory, t1000)
				cond(&bad2.Status.Conditions, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonUnknownCategory, t1000)
				good := fixtures.WorkCenter("a", "good")
				ready(&good.Status.Conditions)
				waiting := fixtures.Role("a", "waiting", fixtures.Includes("later"))
				cond(&waiting.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRoleNotFound, t1000)
				cond(&waiting.Status.Conditions, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonRoleNotFound, t1000)
				// Stalled False is not Stalled.
				cond(&waiting.Status.Conditions, v1alpha1.ConditionStalled, metav1.ConditionFalse, v1alpha1.ReasonInclusionCycle, t1000)
				cycle := fixtures.Role("a", "cycle", fixtures.Includes("cycle"))
				cond(&cycle.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInclusionCycle, t2000)
				cond(&cycle.Status.Conditions, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonInclusionCycle, t2000)
				failing := fixtures.Role("a", "failing")
				cond(&failing.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionUnknown, v1alpha1.ReasonReconcileError, t2000)
				return []client.Object{account("a", "acme", 0, 0, created), bad1, bad2, good, waiting, cycle, failing, fixtures.Role("a", "new")}
			}(),
			want: map[string]float64{
				healthy: 0,
				`workcenter_account_licenses{account="acme",namespace="a"}`:                                                      0,
				`workcenter_account_licenses_used{account="acme",namespace="a"}`:                                                 0,
				`workcenter_objects{account="acme",kind="Account",namespace="a",ready="True",reason="Reconciled"}`:               1,
				`workcenter_objects{account="acme",kind="WorkCenter",namespace="a",ready="True",reason="Reconciled"}`:            1,
				`workcenter_objects{account="acme",kind="WorkCenter",namespace="a",ready="False",reason="UnknownCategory"}`:      2,
				`workcenter_objects{account="acme",kind="WorkCenterRole",namespace="a",ready="False",reason="RoleNotFound"}`:     1,
				`workcenter_objects{account="acme",kind="WorkCenterRole",namespace="a",ready="False",reason="InclusionCycle"}`:   1,
				`workcenter_objects{account="acme",kind="WorkCenterRole",namespace="a",ready="Unknown",reason="ReconcileError"}`: 1,
				`workcenter_objects{account="acme",kind="WorkCenterRole",namespace="a",ready="Unknown",reason=""}`:               1,
				`workcenter_objects_stalled{account="acme",kind="WorkCenter",namespace="a",reason="UnknownCategory"}`:            2,
				`workcenter_objects_stalled{account="acme",kind="WorkCenterRole",namespace="a",reason="InclusionCycle"}`:         1,
				`workcenter_objects_stalled_oldest_timestamp_seconds{account="acme",kind="WorkCenter",namespace="a"}`:            1000,
				`workcenter_objects_stalled_oldest_timestamp_seconds{account="acme",kind="WorkCenterRole",namespace="a"}`:        2000,
			},
		},
		"deletions blocked, by reason, with the longest wait": {
			objs: func() []client.Object {
				acct := account("a", "acme", 1, 1, created)
				acct.Finalizers = []string{v1alpha1.FinalizerAccountProtection}
				acct.DeletionTimestamp = &t2000
				cond(&acct.Status.Conditions, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonAccountInUse, t2000)
				var roles []client.Object
				for i, since := range []metav1.Time{t2000, t1000, {}} {
					r := fixtures.Role("a", "held-"+strconv.Itoa(i))
					r.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
					r.DeletionTimestamp = &t2000
					ready(&r.Status.Conditions)
					cond(&r.Status.Conditions, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse, since)
					roles = append(roles, r)
				}
				free := fixtures.Role("a", "free")
				ready(&free.Status.Conditions)
				admin := member("a", "last-admin", true)
				admin.Finalizers = []string{v1alpha1.FinalizerLastAdministrator}
				admin.DeletionTimestamp = &t1000
				cond(&admin.Status.Conditions, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonLastAccountAdministrator, t1000)
				return append(roles, acct, free, admin)
			}(),
			want: map[string]float64{
				healthy: 0,
				`workcenter_account_licenses{account="acme",namespace="a"}`:                                                                1,
				`workcenter_account_licenses_used{account="acme",namespace="a"}`:                                                           1,
				`workcenter_collaborators{account="acme",licensed="true",namespace="a",type="Member"}`:                                     1,
				`workcenter_objects{account="acme",kind="Account",namespace="a",ready="True",reason="Reconciled"}`:                         1,
				`workcenter_objects{account="acme",kind="WorkCenterRole",namespace="a",ready="True",reason="Reconciled"}`:                  4,
				`workcenter_objects{account="acme",kind="Collaborator",namespace="a",ready="True",reason="Reconciled"}`:                    1,
				`workcenter_deletions_blocked{account="acme",kind="Account",namespace="a",reason="AccountInUse"}`:                          1,
				`workcenter_deletions_blocked{account="acme",kind="WorkCenterRole",namespace="a",reason="RoleInUse"}`:                      3,
				`workcenter_deletions_blocked{account="acme",kind="Collaborator",namespace="a",reason="LastAccountAdministrator"}`:         1,
				`workcenter_deletions_blocked_oldest_timestamp_seconds{account="acme",kind="Account",namespace="a",reason="AccountInUse"}`: 2000,
				// The one without a transition time counts from its deletion (2000).
				`workcenter_deletions_blocked_oldest_timestamp_seconds{account="acme",kind="WorkCenterRole",namespace="a",reason="RoleInUse"}`:              1000,
				`workcenter_deletions_blocked_oldest_timestamp_seconds{account="acme",kind="Collaborator",namespace="a",reason="LastAccountAdministrator"}`: 1000,
			},
		},
		"a namespace without an Account, and one with two": {
			objs: func() []client.Object {
				dup := account("b", "aaa-newer", 50, 0, created.Add(time.Hour))
				dup.Status.Conditions = nil
				cond(&dup.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDuplicateAccount, t1000)
				c := guest("a", "early", assignment("tower-a", v1alpha1.AssignmentPending, v1alpha1.ReasonAccountNotFound))
				c.Status.Conditions = nil
				cond(&c.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonAccountNotFound, t1000)
				return []client.Object{account("b", "zzz-owner", 3, 0, created), dup, c}
			}(),
			want: map[string]float64{
				healthy: 0,
				`workcenter_account_licenses{account="zzz-owner",namespace="b"}`:                                               3,
				`workcenter_account_licenses_used{account="zzz-owner",namespace="b"}`:                                          0,
				`workcenter_objects{account="zzz-owner",kind="Account",namespace="b",ready="True",reason="Reconciled"}`:        1,
				`workcenter_objects{account="zzz-owner",kind="Account",namespace="b",ready="False",reason="DuplicateAccount"}`: 1,
				`workcenter_collaborators{account="",licensed="false",namespace="a",type="Guest"}`:                             1,
				`workcenter_assignments{account="",namespace="a",reason="AccountNotFound",state="Pending"}`:                    1,
				`workcenter_objects{account="",kind="Collaborator",namespace="a",ready="False",reason="AccountNotFound"}`:      1,
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			got := scrape(t, tc.objs...)
			for _, k := range slices.Sorted(maps.Keys(tc.want)) {
				if v, ok := got[k]; !ok {
					t.Errorf("missing %s (want %v)", k, tc.want[k])
				} else if v != tc.want[k] {
					t.Errorf("%s = %v, want %v", k, v, tc.want[k])
				}
			}
			for _, k := range slices.Sorted(maps.Keys(got)) {
				if _, ok := tc.want[k]; !ok {
					t.Errorf("unexpected %s = %v", k, got[k])
				}
			}
		})
	}
}

// failing is a reader whose lists fail (a cache that cannot sync).
type failing struct{ client.Reader }

func (failing) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("cache not synced")
}

func TestCollectorReadError(t *testing.T) {
	got := scrapeReader(t, failing{})
	if want := map[string]float64{healthy: 1}; !maps.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// No label takes the name of a collaborator, a WorkCenter or a role, and the number of
// series does not grow with the number of people, WorkCenters or roles.
func TestBoundedCardinality(t *testing.T) {
	build := func(n int) ([]client.Object, map[string]bool) {
		names := map[string]bool{}
		objs := []client.Object{account("a", "acme", int32(n/2), int32(n/2), time.Unix(100, 0))}
		for i := range n {
			wc := fmt.Sprintf("wc-%d", i)
			role := fmt.Sprintf("role-%d", i)
			w := fixtures.WorkCenter("a", wc)
			cond(&w.Status.Conditions, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonUnknownCategory, metav1.NewTime(time.Unix(int64(1000+i), 0)))
			cond(&w.Status.Conditions, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonUnknownCategory, metav1.NewTime(time.Unix(int64(1000+i), 0)))
			r := fixtures.Role("a", role)
			r.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
			r.DeletionTimestamp = &t2000
			cond(&r.Status.Conditions, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse, metav1.NewTime(time.Unix(int64(1000+i), 0)))
			m := member("a", fmt.Sprintf("member-%d", i), i%2 == 0, assignment(wc, v1alpha1.AssignmentActive, ""))
			g := guest("a", fmt.Sprintf("guest-%d", i), assignment(wc, v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember))
			objs = append(objs, w, r, m, g)
			for _, o := range []client.Object{w, r, m, g} {
				names[o.GetName()] = true
			}
		}
		return objs, names
	}
	small, _ := build(2)
	large, names := build(200)
	few, many := scrape(t, small...), scrape(t, large...)
	if len(few) != len(many) {
		t.Errorf("%d series for 2 of each object, %d for 200 of each: the series must not grow with the objects", len(few), len(many))
	}

	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(New(fake.NewClientBuilder().WithScheme(scheme).WithObjects(large...).Build()))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if names[l.GetValue()] {
					t.Errorf("%s: label %s takes the object name %q", series(f.GetName(), m.GetLabel()), l.GetName(), l.GetValue())
				}
				switch l.GetName() {
				case labelNamespace:
					if l.GetValue() != "a" {
						t.Errorf("%s: namespace %q", f.GetName(), l.GetValue())
					}
				case labelAccount:
					if l.GetValue() != "acme" {
						t.Errorf("%s: account %q", f.GetName(), l.GetValue())
					}
				}
			}
		}
	}
}

// Every reason of the API is a label value of its own, not Other.
func TestEveryAPIReasonIsALabelValue(t *testing.T) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join("..", "..", "api", "v1alpha1", "constants.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		spec, ok := node.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "Reason") || i >= len(spec.Values) {
				continue
			}
			lit, ok := spec.Values[i].(*ast.BasicLit)
			if !ok {
				continue
			}
			v, _ := strconv.Unquote(lit.Value)
			n++
			if boundedReason(v) != v {
				t.Errorf("v1alpha1.%s (%q) is counted as %q: add it to v1alpha1.Reasons", name.Name, v, boundedReason(v))
			}
		}
		return true
	})
	if n < 20 {
		t.Errorf("found %d reasons in api/v1alpha1/constants.go; the parse missed them", n)
	}
	if boundedReason("Made-Up") != other {
		t.Error("an unknown reason must be Other")
	}
}
