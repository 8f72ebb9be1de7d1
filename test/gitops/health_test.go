package gitops_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"github.com/fluxcd/pkg/apis/kustomize"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/workcenter-io/workcenter-operator/internal/localenv"
)

// tb is what the helpers need of a *testing.T, and of GinkgoT() in the envtest suite.
type tb interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
}

// healthTests is a health_test.yaml, in Argo CD's format for its built-in checks.
type healthTests struct {
	Tests []struct {
		HealthStatus health `json:"healthStatus"`
		InputPath    string `json:"inputPath"`
	} `json:"tests"`
}

// repoRoot is the repository root, where config/ is.
func repoRoot(t tb) string {
	t.Helper()
	root, err := localenv.FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readScript reads the one health check of every kind (healthScriptPath).
func readScript(t tb, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, healthScriptPath))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// readObject reads a testdata file as Argo CD (a map, numbers as float64) and as Flux
// (unstructured, integers as int64) see it.
func readObject(t tb, path string) (map[string]any, *unstructured.Unstructured) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	js, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(js); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m, u
}

// judge runs health.lua over obj as a check from argocd-cm runs (base and
// table only) and as one with every library; both must agree.
func judge(t tb, script string, obj map[string]any) health {
	t.Helper()
	restricted, err := runHealthLua(script, obj, false)
	if err != nil {
		t.Fatalf("health.lua fails in argocd-cm's environment (base, table, os.time/date only): %v", err)
	}
	open, err := runHealthLua(script, obj, true)
	if err != nil {
		t.Fatalf("health.lua fails with every library open: %v", err)
	}
	if restricted != open {
		t.Fatalf("health.lua says %+v with argocd-cm's libraries but %+v with every library", restricted, open)
	}
	return restricted
}

// Argo CD's way of testing its built-in checks (TestLuaHealthScript in its util/lua): walk
// resource_customizations, and for each health.lua run every entry of the
// health_test.yaml beside it, its input file through that script, for exactly the status
// and message it names. The script is the one Argo CD would pick for the input: the input's
// group and kind are the directory's (Argo CD looks built-in checks up by <group>/<Kind>).
// Built-in checks run with every library open; the same check from argocd-cm runs without
// them, and judge runs both. Every testdata file is tested, and every capture has its entry.
func TestArgoCDHealthTestYAML(t *testing.T) {
	root := repoRoot(t)
	customizations := filepath.Join(root, "config", "argocd", "resource_customizations")
	var scripts []string
	err := filepath.WalkDir(customizations, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "health.lua" {
			scripts = append(scripts, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(scripts) != len(kinds) {
		t.Errorf("%d health.lua under %s, want one per kind (%d)", len(scripts), customizations, len(kinds))
	}
	for _, path := range scripts {
		dir := filepath.Dir(path)
		rel, _ := filepath.Rel(customizations, dir)
		group, kind := filepath.Dir(rel), filepath.Base(rel)
		t.Run(kind, func(t *testing.T) {
			if group != argocdGroup || !slices.Contains(kinds, kind) {
				t.Fatalf("%s is not <group>/<Kind> of the operator's kinds", rel)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			script := string(b)
			b, err = os.ReadFile(filepath.Join(dir, "health_test.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			var tests healthTests
			if err := yaml.UnmarshalStrict(b, &tests); err != nil {
				t.Fatalf("health_test.yaml: %v", err)
			}
			tested := map[string]bool{}
			for _, tc := range tests.Tests {
				tested[tc.InputPath] = true
				t.Run(tc.InputPath, func(t *testing.T) {
					obj, u := readObject(t, filepath.Join(dir, tc.InputPath))
					if gk := u.GroupVersionKind().GroupKind(); gk.Group != group || gk.Kind != kind {
						t.Fatalf("%s is a %s: Argo CD would not judge it with %s/%s/health.lua", tc.InputPath, gk, group, kind)
					}
					if got := judge(t, script, obj); got != tc.HealthStatus {
						t.Errorf("health.lua says %+v, health_test.yaml expects %+v", got, tc.HealthStatus)
					}
				})
			}
			files, err := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				if rel := "testdata/" + filepath.Base(f); !tested[rel] {
					t.Errorf("%s is not in health_test.yaml", rel)
				}
			}
			for _, c := range captures {
				if rel := "testdata/" + c.file + ".yaml"; c.kind == kind && !tested[rel] {
					t.Errorf("capture %s has no entry in health_test.yaml", rel)
				}
			}
		})
	}
}

// Each captured object, as checked in: Argo CD's verdict with the operator's words, and
// Flux's, as a person would read the situation (or the gap where kstatus cannot).
func TestCapturedVerdicts(t *testing.T) {
	root := repoRoot(t)
	for _, c := range captures {
		t.Run(c.kind+"/"+c.file, func(t *testing.T) {
			obj, u := readObject(t, filepath.Join(root, c.path()))
			if u.GetKind() != c.kind || u.GetNamespace() != c.namespace || u.GetName() != c.name {
				t.Fatalf("%s holds %s %s/%s, not %s %s/%s", c.path(), u.GetKind(), u.GetNamespace(), u.GetName(), c.kind, c.namespace, c.name)
			}
			checkVerdicts(t, c, readScript(t, root), readFluxHealthChecks(t, root), obj, u)
		})
	}
}

// checkVerdicts fails unless both tools say of obj what c expects: Argo CD with the
// script, Flux with kstatus alone and with the healthCheckExprs checks.
func checkVerdicts(t tb, c capture, script string, checks []kustomize.CustomHealthCheck, obj map[string]any, u *unstructured.Unstructured) {
	t.Helper()
	h := judge(t, script, obj)
	if h.Status != c.health || !strings.Contains(h.Message, c.message) || h.Message == "" {
		t.Errorf("Argo CD: want %s with a message containing %q, got %s %q", c.health, c.message, h.Status, h.Message)
	}
	res, err := status.Compute(u)
	if err != nil {
		t.Fatalf("Flux: status.Compute: %v", err)
	}
	if res.Status != c.kstatus {
		t.Errorf("Flux: want %s, got %s (%s)", c.kstatus, res.Status, res.Message)
	}
	checkFlux(t, checks, u, c.flux())
}

// healthRule is one rule of the health check, shown on a kind's Ready object.
type healthRule struct {
	change  func(obj map[string]any)
	health  string
	message string // the message, or its start (the Account's notes follow Ready's); <Kind> is the kind's name
	exact   bool   // the message in full
	// fluxUnknown: Flux's healthCheckExprs cannot be evaluated on the object (Unknown, see
	// noStatusUnknown) where Argo CD says Progressing.
	fluxUnknown bool
}

// healthRules are the rules of the check, each a change to a kind's Ready object and
// Argo CD's verdict on the result (TestHealthRules); Flux's expressions must agree on every
// one (TestFluxAgreesOnTheHealthRules).
var healthRules = map[string]healthRule{
	"Ready True is Healthy with Ready's message": {
		change: func(o map[string]any) { setReady(o, "True", "Reconciled", "all good") },
		health: healthy, message: "all good"},
	"Stalled is Degraded with Stalled's message": {
		change: func(o map[string]any) {
			setReady(o, "False", "InclusionCycle", "ready says")
			setCondition(o, "Stalled", "True", "InclusionCycle", "stalled says")
		},
		health: degraded, message: "stalled says"},
	"Reconciling is Progressing with Reconciling's message": {
		change: func(o map[string]any) {
			setReady(o, "False", "RoleNotFound", "ready says")
			setCondition(o, "Reconciling", "True", "RoleNotFound", "reconciling says")
		},
		health: progressing, message: "reconciling says"},
	"Ready False waiting for nobody is Degraded": {
		change: func(o map[string]any) { setReady(o, "False", "LicenseLimitExceeded", "no license") },
		health: degraded, message: "no license"},
	"Ready Unknown (a reconcile error, retried) is Progressing": {
		change: func(o map[string]any) { setReady(o, "Unknown", "ReconcileError", "the API server is away") },
		health: progressing, message: "the API server is away"},
	"a generation not observed yet is Progressing, even Ready": {
		change: func(o map[string]any) {
			setReady(o, "True", "Reconciled", "old news")
			o["metadata"].(map[string]any)["generation"] = float64(7)
			o["status"].(map[string]any)["observedGeneration"] = float64(6)
		},
		health: progressing, message: "Waiting for the operator to observe generation 7 (observed 6)"},
	"no status is Progressing": {
		change: func(o map[string]any) { delete(o, "status") },
		health: progressing, message: "Waiting for the operator to reconcile the <Kind>", exact: true, fluxUnknown: true},
	"no Ready condition is Progressing": {
		change: func(o map[string]any) { o["status"].(map[string]any)["conditions"] = []any{} },
		health: progressing, message: "Waiting for the operator to reconcile the <Kind>", exact: true},
	"deletion held by a finalizer is Progressing with the blockers": {
		change: func(o map[string]any) {
			o["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z"
			setCondition(o, "DeletionBlocked", "True", "RoleInUse", "held by ana, bob")
		},
		health: progressing, message: "held by ana, bob"},
	"deletion not held is Progressing": {
		change: func(o map[string]any) { o["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z" },
		health: progressing, message: "Being deleted"},
	"Stalled outweighs Reconciling: Degraded": {
		change: func(o map[string]any) {
			setReady(o, "False", "RoleNotFound", "ready says")
			setCondition(o, "Reconciling", "True", "RoleNotFound", "reconciling says")
			setCondition(o, "Stalled", "True", "InclusionCycle", "stalled says")
		},
		health: degraded, message: "stalled says"},
	"Stalled outweighs Ready True: Degraded": {
		change: func(o map[string]any) {
			setReady(o, "True", "Reconciled", "ready says")
			setCondition(o, "Stalled", "True", "InclusionCycle", "stalled says")
		},
		health: degraded, message: "stalled says"},
	"a generation not observed yet outweighs Stalled: Progressing": {
		change: func(o map[string]any) {
			setCondition(o, "Stalled", "True", "InclusionCycle", "stalled says")
			o["metadata"].(map[string]any)["generation"] = float64(7)
			o["status"].(map[string]any)["observedGeneration"] = float64(6)
		},
		health: progressing, message: "Waiting for the operator to observe generation 7 (observed 6)"},
	"a status without observedGeneration is Progressing, even Ready": {
		change: func(o map[string]any) {
			setReady(o, "True", "Reconciled", "old news")
			delete(o["status"].(map[string]any), "observedGeneration")
		},
		health: progressing, message: "Waiting for the operator to observe generation 1 (observed 0)", exact: true},
	"Ready Unknown outweighs Stalled: Progressing": {
		change: func(o map[string]any) {
			setReady(o, "Unknown", "ReconcileError", "the API server is away")
			setCondition(o, "Stalled", "True", "InclusionCycle", "stalled says")
		},
		health: progressing, message: "the API server is away"},
	"no Ready condition outweighs Stalled: Progressing": {
		change: func(o map[string]any) {
			o["status"].(map[string]any)["conditions"] = []any{}
			setCondition(o, "Stalled", "True", "InclusionCycle", "stalled says")
		},
		health: progressing, message: "Waiting for the operator to reconcile the <Kind>", exact: true},
	"deletion before any status is Progressing": {
		change: func(o map[string]any) {
			delete(o, "status")
			o["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z"
		},
		health: progressing, message: "Being deleted", exact: true},
	"Ready False AccountDeactivated (a Deactivated account's Collaborator) is Healthy": {
		change: func(o map[string]any) { setReady(o, "False", "AccountDeactivated", "no access until Active") },
		health: healthy, message: "no access until Active"},
	"Ready True with AdministratorAssigned and Licensed False (an Account) is Healthy, with their messages": {
		change: func(o map[string]any) {
			setReady(o, "True", "Reconciled", "account is Active")
			setCondition(o, "AdministratorAssigned", "False", "NoAccountAdministrator", "no administrator")
			setCondition(o, "Licensed", "False", "LicenseLimitExceeded", "too few licenses")
		},
		health: healthy, message: "account is Active; no administrator; too few licenses"},
	"Ready True with AdministratorAssigned and Licensed True says only Ready's message": {
		change: func(o map[string]any) {
			setReady(o, "True", "Reconciled", "account is Active")
			setCondition(o, "AdministratorAssigned", "True", "AdministratorPresent", "an administrator")
			setCondition(o, "Licensed", "True", "LicensesAvailable", "licenses enough")
		},
		health: healthy, message: "account is Active", exact: true},
}

// The rules of the check, one by one, on every kind: each shape built from the kind's
// ready object by changing only what the rule reads. The script has no branch on the
// kind, so every rule holds for every kind; the kind-specific ones read a condition or
// reason that the operator writes on one kind only (AdministratorAssigned and Licensed on
// an Account, Ready False AccountDeactivated on a Collaborator).
func TestHealthRules(t *testing.T) {
	root := repoRoot(t)
	cases := healthRules
	script := readScript(t, root)
	for _, kind := range kinds {
		ready, _ := readObject(t, filepath.Join(root, capture{kind: kind, file: readyFile[kind]}.path()))
		for _, name := range slices.Sorted(maps.Keys(cases)) {
			tc := cases[name]
			t.Run(kind+"/"+name, func(t *testing.T) {
				obj := deepCopy(ready)
				tc.change(obj)
				got := judge(t, script, obj)
				message := strings.ReplaceAll(tc.message, "<Kind>", kind)
				if got.Status != tc.health || (got.Message != message && (tc.exact || !strings.HasPrefix(got.Message, message))) {
					t.Errorf("want %s %q, got %s %q", tc.health, message, got.Status, got.Message)
				}
			})
		}
	}
}

// readyFile is each kind's capture of a Ready object, the base of TestHealthRules.
var readyFile = map[string]string{
	"Account": "healthy_ready", "WorkCenter": "healthy_ready", "WorkCenterRole": "healthy_in_use", "Collaborator": "healthy_ready",
}

// The harness is Argo CD's environment, not a laxer one: without useOpenLibs a check
// has no string or math library, and a status Argo CD does not know is Unknown.
func TestLuaEnvironmentIsArgoCDs(t *testing.T) {
	obj := map[string]any{"metadata": map[string]any{"name": "x"}}
	for name, script := range map[string]string{
		"string": `return {status = string.upper("healthy")}`,
		"math":   `return {status = "Healthy", message = "" .. math.floor(1.5)}`,
		"io":     `io.write("x") return {status = "Healthy"}`,
	} {
		if _, err := runHealthLua(script, obj, false); err == nil {
			t.Errorf("the %s library is open to a check from argocd-cm", name)
		}
		if _, err := runHealthLua(script, obj, true); err != nil {
			t.Errorf("the %s library is closed with useOpenLibs: %v", name, err)
		}
	}
	got, err := runHealthLua(`local os = require("os") return {status = "Fine", message = obj.metadata.name .. os.time()}`, obj, false)
	if err != nil || got != (health{Status: unknown, Message: invalidHealthStatus}) {
		t.Errorf("an unknown status: want Unknown %q, got %+v, %v", invalidHealthStatus, got, err)
	}
	if _, err := runHealthLua(`while true do end`, obj, false); err == nil {
		t.Error("a script that never returns is not stopped")
	}
	if _, err := runHealthLua(`return "Healthy"`, obj, false); err == nil {
		t.Error("a script that returns no table is accepted")
	}
}

func setReady(o map[string]any, st, reason, message string) {
	setCondition(o, "Ready", st, reason, message)
}

// setCondition sets one condition of o's status, for o's generation.
func setCondition(o map[string]any, typ, st, reason, message string) {
	s, _ := o["status"].(map[string]any)
	conds, _ := s["conditions"].([]any)
	c := map[string]any{"type": typ, "status": st, "reason": reason, "message": message,
		"observedGeneration": o["metadata"].(map[string]any)["generation"], "lastTransitionTime": "2026-01-01T00:00:00Z"}
	for i, old := range conds {
		if old.(map[string]any)["type"] == typ {
			conds[i] = c
			return
		}
	}
	s["conditions"] = append(conds, c)
}

func deepCopy(m map[string]any) map[string]any {
	b, err := yaml.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := yaml.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}
