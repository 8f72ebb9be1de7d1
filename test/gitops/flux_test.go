package gitops_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/pkg/apis/kustomize"
	fluxcel "github.com/fluxcd/pkg/runtime/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// fluxHealthChecksPath is the Flux Kustomization whose healthCheckExprs judge the
// operator's kinds as Argo CD's health check does.
var fluxHealthChecksPath = filepath.Join("config", "flux", "health-checks.yaml")

// fluxKustomization is the part of a kustomize.toolkit.fluxcd.io/v1 Kustomization that
// config/flux sets; it is read strictly, so a misspelt field fails.
type fluxKustomization struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Interval  string `json:"interval"`
		Path      string `json:"path"`
		Prune     bool   `json:"prune"`
		SourceRef struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"sourceRef"`
		TargetNamespace  string                        `json:"targetNamespace"`
		Timeout          string                        `json:"timeout"`
		Wait             bool                          `json:"wait"`
		HealthCheckExprs []kustomize.CustomHealthCheck `json:"healthCheckExprs"`
	} `json:"spec"`
}

// readFluxHealthChecks reads config/flux's healthCheckExprs.
func readFluxHealthChecks(t tb, root string) []kustomize.CustomHealthCheck {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, fluxHealthChecksPath))
	if err != nil {
		t.Fatal(err)
	}
	var k fluxKustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%s: %v", fluxHealthChecksPath, err)
	}
	return k.Spec.HealthCheckExprs
}

// fluxResult is what kustomize-controller's health check reads of an object with the
// healthCheckExprs: the status reader of github.com/fluxcd/pkg/runtime/cel, which
// kustomize-controller puts in front of kstatus for the kinds the expressions name. An
// expression that cannot be evaluated makes the status Unknown, with the error.
func fluxResult(t tb, checks []kustomize.CustomHealthCheck, u *unstructured.Unstructured) (status.Status, error) {
	t.Helper()
	newReader, err := fluxcel.NewStatusReader(checks)
	if err != nil {
		t.Fatalf("Flux refuses the healthCheckExprs: %v", err)
	}
	reader := newReader(nil) // the mapper is used to fetch objects, not to judge one in hand
	if gk := u.GroupVersionKind().GroupKind(); !reader.Supports(gk) {
		t.Fatalf("the healthCheckExprs do not cover %s", gk)
	}
	res, err := reader.ReadStatusForObject(context.Background(), nil, u)
	if err != nil {
		t.Fatalf("Flux: %v", err)
	}
	return res.Status, res.Error
}

// fluxForArgoCD is the Flux status that means what an Argo CD health status means.
var fluxForArgoCD = map[string]status.Status{
	healthy:     status.CurrentStatus,
	progressing: status.InProgressStatus,
	degraded:    status.FailedStatus,
}

// noStatusUnknown is the one place where the expressions and Argo CD's check differ: an
// object the operator has not reconciled yet has no status, and Flux's CEL environment has
// no way to ask whether the top-level field status exists (has() needs a field of a
// variable, and status is the variable), so the expressions fail to evaluate and Flux
// reports Unknown with the error. Like InProgress it is not Current: Flux waits until its
// timeout and names the object, where kstatus without the expressions passes it.
const noStatusUnknown = "no such attribute"

// checkFlux fails unless Flux's expressions say want of u; for Unknown, the evaluation error
// must be the missing status.
func checkFlux(t tb, checks []kustomize.CustomHealthCheck, u *unstructured.Unstructured, want status.Status) {
	t.Helper()
	got, err := fluxResult(t, checks, u)
	if got != want {
		t.Errorf("Flux with healthCheckExprs: want %s, got %s (%v)", want, got, err)
		return
	}
	if want == status.UnknownStatus {
		if err == nil || !strings.Contains(err.Error(), noStatusUnknown) {
			t.Errorf("Flux with healthCheckExprs: Unknown, but not for want of a status: %v", err)
		}
	} else if err != nil {
		t.Errorf("Flux with healthCheckExprs: %s, yet an expression failed: %v", got, err)
	}
}

// config/flux is a Kustomization Flux takes: the expressions parse in Flux's CEL
// environment, and there is one entry per kind of the operator's group and version, the
// same expressions in each (the kinds share every rule, as the Argo CD check does).
func TestFluxHealthCheckExprs(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, fluxHealthChecksPath))
	if err != nil {
		t.Fatal(err)
	}
	var k fluxKustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%s: %v", fluxHealthChecksPath, err)
	}
	if k.APIVersion != "kustomize.toolkit.fluxcd.io/v1" || k.Kind != "Kustomization" || !k.Spec.Wait {
		t.Errorf("%s is a %s %s (wait %v), want a kustomize.toolkit.fluxcd.io/v1 Kustomization with wait: true", fluxHealthChecksPath, k.APIVersion, k.Kind, k.Spec.Wait)
	}
	checks := k.Spec.HealthCheckExprs
	if _, err := fluxcel.NewStatusReader(checks); err != nil {
		t.Fatalf("Flux refuses the healthCheckExprs: %v", err)
	}
	var got []string
	for i, c := range checks {
		got = append(got, c.Kind)
		if c.APIVersion != v1alpha1.GroupVersion.String() {
			t.Errorf("healthCheckExprs[%d]: apiVersion %q, want %q", i, c.APIVersion, v1alpha1.GroupVersion.String())
		}
		if c.InProgress == "" || c.Failed == "" || c.Current == "" {
			t.Errorf("healthCheckExprs[%d] (%s): want inProgress, failed and current", i, c.Kind)
		}
		if c.HealthCheckExpressions != checks[0].HealthCheckExpressions {
			t.Errorf("healthCheckExprs[%d] (%s) differs from [0] (%s): the kinds share every rule", i, c.Kind, checks[0].Kind)
		}
	}
	if !slices.Equal(got, kinds) {
		t.Errorf("healthCheckExprs name %v, want %v", got, kinds)
	}
}

// Flux's evaluator, run over every recorded object (every entry of every health_test.yaml),
// agrees with the Argo CD check's expected status: Healthy is Current, Progressing
// InProgress, Degraded Failed; the one exception is noStatusUnknown.
func TestFluxVerdictsOnEveryRecordedObject(t *testing.T) {
	root := repoRoot(t)
	checks := readFluxHealthChecks(t, root)
	byFile := map[string]capture{}
	for _, c := range captures {
		byFile[c.kind+"/testdata/"+c.file+".yaml"] = c
	}
	n := 0
	for _, kind := range kinds {
		b, err := os.ReadFile(filepath.Join(root, kindDir(kind), "health_test.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var tests healthTests
		if err := yaml.UnmarshalStrict(b, &tests); err != nil {
			t.Fatal(err)
		}
		for _, tc := range tests.Tests {
			n++
			t.Run(kind+"/"+tc.InputPath, func(t *testing.T) {
				_, u := readObject(t, filepath.Join(root, kindDir(kind), tc.InputPath))
				want, ok := fluxForArgoCD[tc.HealthStatus.Status]
				if !ok {
					t.Fatalf("Argo CD status %s has no Flux counterpart", tc.HealthStatus.Status)
				}
				if c, ok := byFile[kind+"/"+tc.InputPath]; ok && c.fluxUnknown != "" {
					want = status.UnknownStatus
				}
				checkFlux(t, checks, u, want)
			})
		}
	}
	if n != len(captures) {
		t.Errorf("%d recorded objects in health_test.yaml, %d captures", n, len(captures))
	}
}

// The rules of the check, on every kind: Flux's evaluator says what Argo CD's check says.
func TestFluxAgreesOnTheHealthRules(t *testing.T) {
	root := repoRoot(t)
	checks := readFluxHealthChecks(t, root)
	script := readScript(t, root)
	for _, kind := range kinds {
		ready, _ := readObject(t, filepath.Join(root, capture{kind: kind, file: readyFile[kind]}.path()))
		for _, name := range slices.Sorted(maps.Keys(healthRules)) {
			rule := healthRules[name]
			t.Run(kind+"/"+name, func(t *testing.T) {
				obj := deepCopy(ready)
				rule.change(obj)
				argo := judge(t, script, obj)
				want := fluxForArgoCD[argo.Status]
				if rule.fluxUnknown {
					want = status.UnknownStatus
				}
				checkFlux(t, checks, toUnstructured(t, obj), want)
			})
		}
	}
}

// Each of the three expressions, and each of its top-level alternatives (`||`), decides
// some verdict: with it replaced by false, or the alternative left out, Flux says
// something else of at least one recorded object or rule. A part that no case reaches
// would be untested.
func TestFluxEveryExpressionDecides(t *testing.T) {
	root := repoRoot(t)
	checks := readFluxHealthChecks(t, root)
	var objs []*unstructured.Unstructured
	for _, c := range captures {
		_, u := readObject(t, filepath.Join(root, c.path()))
		objs = append(objs, u)
	}
	for _, kind := range kinds {
		ready, _ := readObject(t, filepath.Join(root, capture{kind: kind, file: readyFile[kind]}.path()))
		for _, name := range slices.Sorted(maps.Keys(healthRules)) {
			obj := deepCopy(ready)
			healthRules[name].change(obj)
			objs = append(objs, toUnstructured(t, obj))
		}
	}
	verdicts := func(checks []kustomize.CustomHealthCheck) []status.Status {
		var out []status.Status
		for _, u := range objs {
			s, _ := fluxResult(t, checks, u)
			out = append(out, s)
		}
		return out
	}
	base := verdicts(checks)
	fields := func(e *kustomize.HealthCheckExpressions) map[string]*string {
		return map[string]*string{"inProgress": &e.InProgress, "failed": &e.Failed, "current": &e.Current}
	}
	for _, field := range []string{"inProgress", "failed", "current"} {
		expr := *fields(&checks[0].HealthCheckExpressions)[field]
		alternatives := topLevelOr(expr)
		variants := map[string]string{"the whole expression": "false"}
		if len(alternatives) > 1 {
			for i, alt := range alternatives {
				variants[fmt.Sprintf("alternative %q", strings.Join(strings.Fields(alt), " "))] =
					strings.Join(slices.Delete(slices.Clone(alternatives), i, i+1), " || ")
			}
		}
		for what, variant := range variants {
			changed := slices.Clone(checks)
			for i := range changed { // every kind: they share the expressions
				*fields(&changed[i].HealthCheckExpressions)[field] = variant
			}
			if slices.Equal(verdicts(changed), base) {
				t.Errorf("%s: %s decides nothing: no test object's verdict changes without it", field, what)
			}
		}
	}
}

// topLevelOr splits a CEL expression at its top-level ||, outside parentheses and brackets.
func topLevelOr(expr string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '(', '[':
			depth++
		case ')', ']':
			depth--
		case '|':
			if depth == 0 && i+1 < len(expr) && expr[i+1] == '|' {
				parts = append(parts, strings.TrimSpace(expr[start:i]))
				start = i + 2
				i++
			}
		}
	}
	return append(parts, strings.TrimSpace(expr[start:]))
}

// toUnstructured is obj (decoded as Argo CD sees it) as Flux reads it: integers as int64.
func toUnstructured(t tb, obj map[string]any) *unstructured.Unstructured {
	t.Helper()
	js, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	if js, err = yaml.YAMLToJSON(js); err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatal(fmt.Errorf("%w: %s", err, js))
	}
	return u
}
