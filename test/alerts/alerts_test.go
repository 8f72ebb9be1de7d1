// Package alerts tests the PrometheusRule in config/prometheus/rules.yaml against the
// unit tests in config/prometheus/rules_test.yaml, with `promtool test rules`
// semantics: the input series are loaded into a PromQL test storage, every alerting
// rule is evaluated at each evaluation interval as Prometheus evaluates it (pending,
// then firing once `for` has passed; templates expanded with Prometheus' own template
// engine), and the firing alerts, labels and annotations included, must be exactly the
// expected ones at each eval_time.
//
// promtool itself is not built here (its module needs packages this module does not
// require); its alert loop is small, and is followed below step by step
// (cmd/promtool/unittest.go and rules/alerting.go of prometheus/prometheus).
package alerts_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/relabel"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/model/timestamp"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/promql/promqltest"
	"github.com/prometheus/prometheus/template"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

// The PrometheusRule and its unit tests.
var (
	rulesFile = filepath.Join("..", "..", "config", "prometheus", "rules.yaml")
	testsFile = filepath.Join("..", "..", "config", "prometheus", "rules_test.yaml")
)

// unitTestFile is promtool's test file.
type unitTestFile struct {
	RuleFiles          []string       `json:"rule_files"`
	EvaluationInterval model.Duration `json:"evaluation_interval,omitempty"`
	GroupEvalOrder     []string       `json:"group_eval_order,omitempty"`
	Tests              []testGroup    `json:"tests"`
}

type testGroup struct {
	Name            string           `json:"name,omitempty"`
	Interval        model.Duration   `json:"interval,omitempty"`
	InputSeries     []inputSeries    `json:"input_series"`
	AlertRuleTests  []alertTestCase  `json:"alert_rule_test,omitempty"`
	PromqlExprTests []promqlTestCase `json:"promql_expr_test,omitempty"`
}

type inputSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type alertTestCase struct {
	EvalTime  model.Duration `json:"eval_time"`
	Alertname string         `json:"alertname"`
	ExpAlerts []expAlert     `json:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `json:"exp_labels,omitempty"`
	ExpAnnotations map[string]string `json:"exp_annotations,omitempty"`
}

type promqlTestCase struct {
	Expr       string         `json:"expr"`
	EvalTime   model.Duration `json:"eval_time"`
	ExpSamples []struct {
		Labels string  `json:"labels"`
		Value  float64 `json:"value"`
	} `json:"exp_samples"`
}

var promqlParser = parser.NewParser(parser.Options{})

// loadRuleGroups parses a rule file with Prometheus' own parser and validation; a
// PrometheusRule is read as its spec, which is a rule file.
func loadRuleGroups(t *testing.T, path string) []rulefmt.RuleGroup {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj struct {
		Kind string          `json:"kind"`
		Spec json.RawMessage `json:"spec"`
	}
	if err := sigsyaml.Unmarshal(b, &obj); err == nil && obj.Kind == "PrometheusRule" {
		if b, err = sigsyaml.JSONToYAML(obj.Spec); err != nil {
			t.Fatal(err)
		}
	}
	groups, errs := rulefmt.Parse(b, false, model.UTF8Validation, promqlParser, slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("%s: %v", path, err)
	}
	if groups == nil {
		t.FailNow()
	}
	return groups.Groups
}

func loadTests(t *testing.T) unitTestFile {
	t.Helper()
	b, err := os.ReadFile(testsFile)
	if err != nil {
		t.Fatal(err)
	}
	var f unitTestFile
	if err := sigsyaml.UnmarshalStrict(b, &f); err != nil {
		t.Fatalf("%s: %v", testsFile, err)
	}
	if f.EvaluationInterval == 0 {
		f.EvaluationInterval = model.Duration(time.Minute)
	}
	return f
}

// TestAlertRules runs every test group of rules_test.yaml.
func TestAlertRules(t *testing.T) {
	f := loadTests(t)
	var groups []rulefmt.RuleGroup
	for _, rf := range f.RuleFiles {
		if !filepath.IsAbs(rf) {
			rf = filepath.Join(filepath.Dir(testsFile), rf)
		}
		groups = append(groups, loadRuleGroups(t, rf)...)
	}
	order := map[string]int{}
	for i, g := range f.GroupEvalOrder {
		order[g] = i
	}
	sort.SliceStable(groups, func(i, j int) bool { return order[groups[i].Name] < order[groups[j].Name] })
	if len(f.Tests) == 0 {
		t.Fatal("no tests")
	}
	for i, tg := range f.Tests {
		name := tg.Name
		if name == "" {
			name = fmt.Sprintf("unnamed#%d", i)
		}
		t.Run(name, func(t *testing.T) {
			if tg.Interval == 0 {
				tg.Interval = f.EvaluationInterval
			}
			for _, err := range tg.run(groups, time.Duration(f.EvaluationInterval)) {
				t.Error(err)
			}
		})
	}
}

// run is promtool's testGroup.test: evaluate the rules at every interval up to the
// last eval_time, comparing the firing alerts at each eval_time.
func (tg *testGroup) run(groups []rulefmt.RuleGroup, evalInterval time.Duration) []error {
	var load strings.Builder
	fmt.Fprintf(&load, "load %v\n", shortDuration(tg.Interval))
	for _, s := range tg.InputSeries {
		fmt.Fprintf(&load, "  %v %v\n", s.Series, s.Values)
	}
	suite, err := promqltest.NewLazyLoader(load.String(), promqltest.LazyLoaderOpts{EnableAtModifier: true, EnableNegativeOffset: true})
	if err != nil {
		return []error{err}
	}
	defer suite.Close()
	suite.SubqueryInterval = evalInterval
	query := func(ctx context.Context, q string, ts time.Time) (promql.Vector, error) {
		return instantQuery(ctx, suite.QueryEngine(), suite, q, ts)
	}

	var rules []*alertingRule
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				return []error{fmt.Errorf("recording rule %s: only alerting rules are evaluated here", r.Record)}
			}
			rules = append(rules, newAlertingRule(r, g.Labels))
		}
	}

	mint := time.Unix(0, 0).UTC()
	var maxd model.Duration
	byTime := map[model.Duration][]alertTestCase{}
	for _, a := range tg.AlertRuleTests {
		if a.Alertname == "" {
			return []error{fmt.Errorf("an alert_rule_test at %v has no alertname", a.EvalTime)}
		}
		byTime[a.EvalTime] = append(byTime[a.EvalTime], a)
		maxd = max(maxd, a.EvalTime)
	}
	for _, p := range tg.PromqlExprTests {
		maxd = max(maxd, p.EvalTime)
	}
	evalTimes := slices.Sorted(func(yield func(model.Duration) bool) {
		for k := range byTime {
			if !yield(k) {
				return
			}
		}
	})
	maxt := mint.Add(time.Duration(maxd))

	var errs []error
	curr := 0
	for ts := mint; !ts.After(maxt); ts = ts.Add(evalInterval) {
		var evalErrs []error
		suite.WithSamplesTill(ts, func(err error) {
			if err != nil {
				evalErrs = append(evalErrs, err)
				return
			}
			for _, r := range rules {
				if err := r.eval(suite.Context(), ts, query); err != nil {
					evalErrs = append(evalErrs, fmt.Errorf("rule %s at %v: %w", r.name, ts.Sub(mint), err))
				}
			}
		})
		if len(evalErrs) > 0 {
			return append(errs, evalErrs...)
		}
		// Alerts asked for at eval_time in [ts, ts+evalInterval) are those of this eval.
		for curr < len(evalTimes) && ts.Sub(mint) <= time.Duration(evalTimes[curr]) &&
			time.Duration(evalTimes[curr]) < ts.Add(evalInterval).Sub(mint) {
			for _, tc := range byTime[evalTimes[curr]] {
				var got []labelsAndAnnotations
				for _, r := range rules {
					if r.name == tc.Alertname {
						got = append(got, r.firing()...)
					}
				}
				var exp []labelsAndAnnotations
				for _, a := range tc.ExpAlerts {
					l := map[string]string{}
					for k, v := range a.ExpLabels {
						l[k] = v
					}
					l[labels.AlertName] = tc.Alertname
					exp = append(exp, labelsAndAnnotations{labels.FromMap(l), labels.FromMap(a.ExpAnnotations)})
				}
				sortAlerts(got)
				sortAlerts(exp)
				if !slices.EqualFunc(exp, got, func(a, b labelsAndAnnotations) bool {
					return labels.Equal(a.labels, b.labels) && labels.Equal(a.annotations, b.annotations)
				}) {
					errs = append(errs, fmt.Errorf("alertname: %s, time: %v,\n  exp: %v\n  got: %v", tc.Alertname, tc.EvalTime, exp, got))
				}
			}
			curr++
		}
	}

	for _, tc := range tg.PromqlExprTests {
		got, err := instantQuery(suite.Context(), suite.QueryEngine(), suite, tc.Expr, mint.Add(time.Duration(tc.EvalTime)))
		if err != nil {
			errs = append(errs, fmt.Errorf("expr %q at %v: %w", tc.Expr, tc.EvalTime, err))
			continue
		}
		var gotS, expS []string
		for _, s := range got {
			gotS = append(gotS, fmt.Sprintf("%s %v", s.Metric, s.F))
		}
		for _, s := range tc.ExpSamples {
			l, err := promqlParser.ParseMetric(s.Labels)
			if err != nil {
				errs = append(errs, fmt.Errorf("expr %q: labels %q: %w", tc.Expr, s.Labels, err))
				continue
			}
			expS = append(expS, fmt.Sprintf("%s %v", l, s.Value))
		}
		slices.Sort(gotS)
		slices.Sort(expS)
		if !slices.Equal(gotS, expS) {
			errs = append(errs, fmt.Errorf("expr %q at %v:\n  exp: %v\n  got: %v", tc.Expr, tc.EvalTime, expS, gotS))
		}
	}
	return errs
}

func instantQuery(ctx context.Context, engine *promql.Engine, suite *promqltest.LazyLoader, q string, ts time.Time) (promql.Vector, error) {
	query, err := engine.NewInstantQuery(ctx, suite.Queryable(), nil, q, ts)
	if err != nil {
		return nil, err
	}
	res := query.Exec(ctx)
	if res.Err != nil {
		return nil, res.Err
	}
	switch v := res.Value.(type) {
	case promql.Vector:
		return v, nil
	case promql.Scalar:
		return promql.Vector{promql.Sample{T: v.T, F: v.V, Metric: labels.EmptyLabels()}}, nil
	}
	return nil, fmt.Errorf("rule result is a %s, not a vector or scalar", res.Value.Type())
}

func shortDuration(d model.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}

type labelsAndAnnotations struct{ labels, annotations labels.Labels }

func (l labelsAndAnnotations) String() string {
	return "{labels: " + l.labels.String() + ", annotations: " + l.annotations.String() + "}"
}

func sortAlerts(as []labelsAndAnnotations) {
	slices.SortFunc(as, func(a, b labelsAndAnnotations) int {
		if c := labels.Compare(a.labels, b.labels); c != 0 {
			return c
		}
		return labels.Compare(a.annotations, b.annotations)
	})
}

// Alert states, as rules.AlertState.
const (
	stateInactive = iota
	statePending
	stateFiring
)

type alert struct {
	labels, annotations                   labels.Labels
	state                                 int
	activeAt, resolvedAt, keepFiringSince time.Time
	value                                 float64
}

// alertingRule is rules.AlertingRule's state machine.
type alertingRule struct {
	name                string
	expr                string
	hold, keepFiringFor time.Duration
	labels, annotations labels.Labels
	active              map[uint64]*alert
}

func newAlertingRule(r rulefmt.Rule, groupLabels map[string]string) *alertingRule {
	l := map[string]string{}
	for k, v := range groupLabels {
		l[k] = v
	}
	for k, v := range r.Labels {
		l[k] = v
	}
	return &alertingRule{
		name: r.Alert, expr: r.Expr, hold: time.Duration(r.For), keepFiringFor: time.Duration(r.KeepFiringFor),
		labels: labels.FromMap(l), annotations: labels.FromMap(r.Annotations), active: map[uint64]*alert{},
	}
}

// resolvedRetention is how long Prometheus keeps a resolved alert (rules/alerting.go).
const resolvedRetention = 15 * time.Minute

// eval is rules.AlertingRule.Eval without the ALERTS series.
func (r *alertingRule) eval(ctx context.Context, ts time.Time, query template.QueryFunc) error {
	res, err := query(ctx, r.expr, ts)
	if err != nil {
		return err
	}
	resultFPs := map[uint64]struct{}{}
	alerts := map[uint64]*alert{}
	for _, smpl := range res {
		data := template.AlertTemplateData(smpl.Metric.Map(), nil, "", smpl)
		defs := "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}"
		expand := func(text string) string {
			out, err := template.NewTemplateExpander(ctx, defs+text, "__alert_"+r.name, data,
				model.Time(timestamp.FromTime(ts)), query, nil, nil).Expand()
			if err != nil {
				return fmt.Sprintf("<error expanding template: %s>", err)
			}
			return out
		}
		lb := labels.NewBuilder(smpl.Metric)
		lb.Del(labels.MetricName)
		r.labels.Range(func(l labels.Label) { lb.Set(l.Name, expand(l.Value)) })
		lb.Set(labels.AlertName, r.name)
		sb := labels.NewScratchBuilder(0)
		r.annotations.Range(func(a labels.Label) { sb.Add(a.Name, expand(a.Value)) })
		sb.Sort()
		lbs := lb.Labels()
		h := lbs.Hash()
		resultFPs[h] = struct{}{}
		if _, dup := alerts[h]; dup {
			return fmt.Errorf("vector contains metrics with the same labelset after applying alert labels")
		}
		alerts[h] = &alert{labels: lbs, annotations: sb.Labels(), activeAt: ts, state: statePending, value: smpl.F}
	}
	for h, a := range alerts {
		if old, ok := r.active[h]; ok && old.state != stateInactive {
			old.value, old.annotations = a.value, a.annotations
			continue
		}
		r.active[h] = a
	}
	for fp, a := range r.active {
		if _, ok := resultFPs[fp]; !ok {
			keepFiring := false
			if a.state == stateFiring && r.keepFiringFor > 0 {
				if a.keepFiringSince.IsZero() {
					a.keepFiringSince = ts
				}
				keepFiring = ts.Sub(a.keepFiringSince) < r.keepFiringFor
			}
			if a.state == statePending || (!a.resolvedAt.IsZero() && ts.Sub(a.resolvedAt) > resolvedRetention) {
				delete(r.active, fp)
			}
			if a.state != stateInactive && !keepFiring {
				a.state = stateInactive
				a.resolvedAt = ts
			}
			if !keepFiring {
				continue
			}
		} else {
			a.keepFiringSince = time.Time{}
		}
		if a.state == statePending && ts.Sub(a.activeAt) >= r.hold {
			a.state = stateFiring
		}
		if a.state == stateFiring && ts.Sub(a.activeAt) < r.hold {
			a.state = statePending
			a.keepFiringSince = time.Time{}
		}
	}
	return nil
}

func (r *alertingRule) firing() []labelsAndAnnotations {
	var out []labelsAndAnnotations
	for _, a := range r.active {
		if a.state == stateFiring {
			out = append(out, labelsAndAnnotations{a.labels.Copy(), a.annotations.Copy()})
		}
	}
	return out
}

// Every alert pages or files a ticket, says what happened and what to do, and is
// tested firing at least once and not firing at least once.
func TestEveryAlertIsActionableAndTested(t *testing.T) {
	f := loadTests(t)
	fires, quiet := map[string]bool{}, map[string]bool{}
	for _, tg := range f.Tests {
		for _, a := range tg.AlertRuleTests {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				quiet[a.Alertname] = true
			}
		}
	}
	seen := map[string]bool{}
	for _, g := range loadRuleGroups(t, rulesFile) {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			seen[r.Alert] = true
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical (page) or warning (ticket)", r.Alert, s)
			}
			if want := runbookBase + strings.ToLower(r.Alert); r.Annotations["runbook_url"] != want {
				t.Errorf("%s: runbook_url %q, want %q", r.Alert, r.Annotations["runbook_url"], want)
			}
			for _, a := range []string{"summary", "description"} {
				if r.Annotations[a] == "" {
					t.Errorf("%s: no %s annotation", r.Alert, a)
				}
			}
			if !fires[r.Alert] {
				t.Errorf("%s: no test expects it to fire", r.Alert)
			}
			if !quiet[r.Alert] {
				t.Errorf("%s: no test expects it to stay quiet", r.Alert)
			}
		}
	}
	for name := range fires {
		if !seen[name] {
			t.Errorf("rules_test.yaml tests %s, which rules.yaml does not define", name)
		}
	}
	if len(seen) == 0 {
		t.Fatal("rules.yaml defines no alert")
	}
}

// config/prometheus renders the ServiceMonitor and the PrometheusRule tested above.
func TestKustomizeRendersMonitorAndRules(t *testing.T) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join("..", "..", "config", "prometheus"))
	if err != nil {
		t.Fatalf("kustomize build config/prometheus: %v", err)
	}
	got := map[string]bool{}
	for _, r := range m.Resources() {
		got[r.GetKind()+"/"+r.GetName()] = true
	}
	for _, want := range []string{"ServiceMonitor/controller-manager-metrics-monitor", "PrometheusRule/controller-manager-alerts"} {
		if !got[want] {
			t.Errorf("config/prometheus does not render %s; it renders %v", want, got)
		}
	}
}

// serviceMonitor is the part of a monitoring.coreos.com/v1 ServiceMonitor read here.
type serviceMonitor struct {
	Metadata struct {
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		JobLabel  string `json:"jobLabel"`
		Endpoints []struct {
			HonorLabels     bool   `json:"honorLabels"`
			BearerTokenFile string `json:"bearerTokenFile"`
			Authorization   *struct {
				Type        string `json:"type"`
				Credentials struct {
					Name string `json:"name"`
					Key  string `json:"key"`
				} `json:"credentials"`
			} `json:"authorization"`
			TLSConfig struct {
				InsecureSkipVerify bool   `json:"insecureSkipVerify"`
				ServerName         string `json:"serverName"`
				CA                 struct {
					Secret struct {
						Name string `json:"name"`
						Key  string `json:"key"`
					} `json:"secret"`
				} `json:"ca"`
			} `json:"tlsConfig"`
			MetricRelabelings []struct {
				SourceLabels []string `json:"sourceLabels"`
				Separator    *string  `json:"separator"`
				Regex        string   `json:"regex"`
				TargetLabel  string   `json:"targetLabel"`
				Replacement  *string  `json:"replacement"`
				Action       string   `json:"action"`
			} `json:"metricRelabelings"`
		} `json:"endpoints"`
		Selector struct {
			MatchLabels map[string]string `json:"matchLabels"`
		} `json:"selector"`
	} `json:"spec"`
}

// buildDefaultWithPrometheus is config/default with its ../prometheus line uncommented, as
// docs/metrics.md says to install it where the Prometheus Operator runs: every object,
// by kind/namespace/name, as a map.
func buildDefaultWithPrometheus(t *testing.T) map[string]map[string]any {
	t.Helper()
	fs := filesys.MakeFsInMemory()
	src := filepath.Join("..", "..", "config")
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == filepath.Join("default", "kustomization.yaml") {
			if !strings.Contains(string(b), "\n#- ../prometheus\n") {
				t.Fatal("config/default/kustomization.yaml has no commented line #- ../prometheus to enable")
			}
			b = []byte(strings.Replace(string(b), "\n#- ../prometheus\n", "\n- ../prometheus\n", 1))
		}
		return fs.WriteFile(filepath.Join("/config", rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/config/default")
	if err != nil {
		t.Fatalf("kustomize build config/default with ../prometheus: %v", err)
	}
	objs := map[string]map[string]any{}
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var o map[string]any
		if err := sigsyaml.Unmarshal(y, &o); err != nil {
			t.Fatal(err)
		}
		objs[r.GetKind()+"/"+r.GetNamespace()+"/"+r.GetName()] = o
	}
	return objs
}

// The ServiceMonitor, installed with config/default: the job label the alerts select,
// a token Prometheus may scrape with (no deprecated bearerTokenFile, no honorLabels), and
// the token's Secret, ServiceAccount and binding to get /metrics, all in the build.
func TestServiceMonitorScrapesAsTheAlertsExpect(t *testing.T) {
	objs := buildDefaultWithPrometheus(t)
	var sm serviceMonitor
	var smKey string
	for key, o := range objs {
		if strings.HasPrefix(key, "ServiceMonitor/") {
			smKey = key
			js, _ := json.Marshal(o)
			if err := json.Unmarshal(js, &sm); err != nil {
				t.Fatal(err)
			}
		}
	}
	if smKey == "" {
		t.Fatalf("no ServiceMonitor in the build: %v", slices.Sorted(mapsKeys(objs)))
	}
	ns := sm.Metadata.Namespace

	// job: the label jobLabel names, on the Service the selector picks.
	var job string
	for key, o := range objs {
		if !strings.HasPrefix(key, "Service/"+ns+"/") {
			continue
		}
		meta := o["metadata"].(map[string]any)
		labels, _ := meta["labels"].(map[string]any)
		match := true
		for k, v := range sm.Spec.Selector.MatchLabels {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			job, _ = labels[sm.Spec.JobLabel].(string)
		}
	}
	if sm.Spec.JobLabel == "" || job != "workcenter-operator" {
		t.Errorf("the ServiceMonitor's job label is %q (jobLabel %q): the alerts select job=\"workcenter-operator\"", job, sm.Spec.JobLabel)
	}
	for _, g := range loadRuleGroups(t, rulesFile) {
		for _, r := range g.Rules {
			if strings.Contains(r.Expr, "job=") && !strings.Contains(r.Expr, `job="`+job+`"`) {
				t.Errorf("%s selects another job than the ServiceMonitor's %q: %s", r.Alert, job, r.Expr)
			}
		}
	}

	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("want one endpoint, got %d", len(sm.Spec.Endpoints))
	}
	e := sm.Spec.Endpoints[0]
	if e.HonorLabels || e.BearerTokenFile != "" {
		t.Errorf("the endpoint sets honorLabels %v, bearerTokenFile %q: neither, please", e.HonorLabels, e.BearerTokenFile)
	}
	if e.Authorization == nil || e.Authorization.Type != "Bearer" || e.Authorization.Credentials.Key != "token" {
		t.Fatalf("the endpoint's authorization is %+v, want Bearer credentials from a Secret's token", e.Authorization)
	}
	secret := objs["Secret/"+ns+"/"+e.Authorization.Credentials.Name]
	if secret == nil {
		t.Fatalf("no Secret %s/%s in the build, which the ServiceMonitor reads its token from", ns, e.Authorization.Credentials.Name)
	}
	annotations, _ := secret["metadata"].(map[string]any)["annotations"].(map[string]any)
	sa, _ := annotations["kubernetes.io/service-account.name"].(string)
	if secret["type"] != "kubernetes.io/service-account-token" || objs["ServiceAccount/"+ns+"/"+sa] == nil {
		t.Fatalf("Secret %s is a %v for ServiceAccount %q, want a kubernetes.io/service-account-token of a ServiceAccount in the build", e.Authorization.Credentials.Name, secret["type"], sa)
	}
	// TLS verified: against the CA of the Certificate whose Secret the manager mounts as
	// its metrics certificate, for a name the Certificate holds and the metrics Service has.
	tls := e.TLSConfig
	if tls.InsecureSkipVerify || tls.CA.Secret.Key != "ca.crt" {
		t.Errorf("the endpoint's tlsConfig %+v: want the CA of the metrics certificate's Secret, verified", tls)
	}
	var certificate map[string]any
	for key, o := range objs {
		if spec, _ := o["spec"].(map[string]any); strings.HasPrefix(key, "Certificate/"+ns+"/") && spec["secretName"] == tls.CA.Secret.Name {
			certificate = o
		}
	}
	if certificate == nil {
		t.Fatalf("no Certificate in the build writes the Secret %q the ServiceMonitor reads the CA from", tls.CA.Secret.Name)
	}
	if names := fmt.Sprint(certificate["spec"].(map[string]any)["dnsNames"]); !strings.Contains(names, tls.ServerName+" ") && !strings.HasSuffix(names, tls.ServerName+"]") {
		t.Errorf("the ServiceMonitor verifies %q, the Certificate holds %s", tls.ServerName, names)
	}
	if svc := strings.Split(tls.ServerName, ".")[0]; objs["Service/"+ns+"/"+svc] == nil {
		t.Errorf("the ServiceMonitor verifies the name of Service %s/%s, which the build does not have", ns, svc)
	}
	deployment := fmt.Sprint(objs)
	if !strings.Contains(deployment, "secretName:"+tls.CA.Secret.Name) || !strings.Contains(deployment, "--metrics-cert-path=") {
		t.Errorf("the manager does not serve the Secret %s as its metrics certificate", tls.CA.Secret.Name)
	}

	// Bound, by name and namespace, to a ClusterRole that lets it get /metrics.
	bound := false
	for key, o := range objs {
		if !strings.HasPrefix(key, "ClusterRoleBinding/") {
			continue
		}
		roleRef := o["roleRef"].(map[string]any)
		role := objs["ClusterRole//"+roleRef["name"].(string)]
		if role == nil || !strings.Contains(fmt.Sprint(role["rules"]), "/metrics") {
			continue
		}
		subjects, _ := o["subjects"].([]any)
		for _, s := range subjects {
			s := s.(map[string]any)
			if s["kind"] == "ServiceAccount" && s["name"] == sa && s["namespace"] == ns {
				bound = true
			}
		}
	}
	if !bound {
		t.Errorf("ServiceAccount %s/%s is bound to no ClusterRole that grants get /metrics", ns, sa)
	}

	// The metrics' own namespace label survives the scrape: Prometheus without
	// honor_labels renames a scraped label that a target label also has to exported_<name>,
	// then applies the metricRelabelings (scrape/scrape.go's mutateSampleLabels, then
	// relabel.Process).
	var cfgs []*relabel.Config
	for _, r := range e.MetricRelabelings {
		c := relabel.DefaultRelabelConfig
		c.SourceLabels = nil
		for _, l := range r.SourceLabels {
			c.SourceLabels = append(c.SourceLabels, model.LabelName(l))
		}
		if r.Separator != nil {
			c.Separator = *r.Separator
		}
		if r.Regex != "" {
			c.Regex = relabel.MustNewRegexp(r.Regex)
		}
		c.TargetLabel = r.TargetLabel
		if r.Replacement != nil {
			c.Replacement = *r.Replacement
		}
		if r.Action != "" {
			c.Action = relabel.Action(strings.ToLower(r.Action))
		}
		if err := c.Validate(model.UTF8Validation); err != nil {
			t.Fatalf("metricRelabelings %+v: %v", r, err)
		}
		cfgs = append(cfgs, &c)
	}
	target := labels.FromStrings("job", job, "namespace", ns, "instance", "10.0.0.7:8443", "pod", "manager-0", "service", "metrics")
	scrape := func(sample labels.Labels) labels.Labels {
		lb := labels.NewBuilder(sample)
		target.Range(func(l labels.Label) {
			if v := sample.Get(l.Name); v != "" {
				lb.Set("exported_"+l.Name, v)
			}
			lb.Set(l.Name, l.Value)
		})
		if !relabel.ProcessBuilder(lb, cfgs...) {
			return labels.EmptyLabels()
		}
		return lb.Labels()
	}
	for _, tc := range []struct{ scraped, stored labels.Labels }{
		{
			labels.FromStrings("__name__", "workcenter_collaborators", "namespace", "acme", "account", "acme", "type", "Member", "licensed", "false"),
			labels.FromStrings("__name__", "workcenter_collaborators", "namespace", "acme", "account", "acme", "type", "Member", "licensed", "false",
				"job", job, "instance", "10.0.0.7:8443", "pod", "manager-0", "service", "metrics"),
		},
		{
			labels.FromStrings("__name__", "controller_runtime_reconcile_errors_total", "controller", "account"),
			labels.FromStrings("__name__", "controller_runtime_reconcile_errors_total", "controller", "account",
				"job", job, "namespace", ns, "instance", "10.0.0.7:8443", "pod", "manager-0", "service", "metrics"),
		},
	} {
		if got := scrape(tc.scraped); !labels.Equal(got, tc.stored) {
			t.Errorf("scraped %s is stored as %s, want %s", tc.scraped, got, tc.stored)
		}
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// runbookBase is where every alert's runbook_url points: docs/runbooks.md, at the
// section named after the alert (GitHub's anchor of a heading is its text in lower case).
const runbookBase = "https://github.com/workcenter-io/workcenter-operator/blob/main/docs/runbooks.md#"

var runbooksFile = filepath.Join("..", "..", "docs", "runbooks.md")

// docs/runbooks.md has one section per alert, headed by its name, that says what the
// alert means and what to do, and no section for an alert that does not exist.
func TestEveryAlertHasARunbook(t *testing.T) {
	b, err := os.ReadFile(runbooksFile)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string]string{}
	var current string
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "## "); ok {
			current = name
			sections[current] = ""
			continue
		}
		if current != "" {
			sections[current] += line + "\n"
		}
	}
	seen := map[string]bool{}
	for _, g := range loadRuleGroups(t, rulesFile) {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			seen[r.Alert] = true
			body, ok := sections[r.Alert]
			if !ok {
				t.Errorf("%s has no section \"## %s\" in docs/runbooks.md", r.Alert, r.Alert)
				continue
			}
			for _, part := range []string{"**What it means.**", "**What to do.**"} {
				if !strings.Contains(body, part) {
					t.Errorf("docs/runbooks.md, %s: no %s", r.Alert, part)
				}
			}
		}
	}
	for name := range sections {
		if !seen[name] {
			t.Errorf("docs/runbooks.md has a section %q, which is no alert of rules.yaml", name)
		}
	}
}
