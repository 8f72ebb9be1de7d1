package gitops_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fluxcd/pkg/apis/kustomize"
	"sigs.k8s.io/yaml"
)

// docsPage is the page that explains all this to a platform team.
var docsPage = filepath.Join("docs", "gitops.md")

// The table of every captured situation in docs/gitops.md says what the tests check.
func TestDocsTableIsTheCaptures(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, docsPage))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([A-Za-z]+/[a-z_]+)` \\| [^|]+ \\| ([A-Za-z]+) \\| ([A-Za-z]+) \\| ([A-Za-z]+) \\|$")
	rows := map[string][3]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		rows[m[1]] = [3]string{m[2], m[3], m[4]}
	}
	if len(rows) != len(captures) {
		t.Errorf("%s has %d rows of captures, the tests %d", docsPage, len(rows), len(captures))
	}
	for _, c := range captures {
		got, ok := rows[c.kind+"/"+c.file]
		if !ok {
			t.Errorf("%s has no row for %s/%s", docsPage, c.kind, c.file)
			continue
		}
		if want := [3]string{c.health, string(c.kstatus), string(c.flux())}; got != want {
			t.Errorf("%s says %s/%s is %v, the tests check %v", docsPage, c.kind, c.file, got, want)
		}
	}
}

// The YAML snippets of docs/gitops.md are well-formed and say what the page claims.
func TestDocsSnippets(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, docsPage))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	var app, component bool
	var fluxWaits, fluxChecks, fluxExprs int
	shipped := readFluxHealthChecks(t, root)
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(page, -1) {
		var doc map[string]any
		if err := yaml.UnmarshalStrict([]byte(m[1]), &doc); err != nil {
			t.Errorf("a YAML snippet does not parse: %v\n%s", err, m[1])
			continue
		}
		spec, _ := doc["spec"].(map[string]any)
		switch doc["kind"] {
		case "Application":
			policy, _ := spec["syncPolicy"].(map[string]any)
			opts, _ := policy["syncOptions"].([]any)
			app = slices.Contains(opts, any("ServerSideApply=true")) && !slices.Contains(opts, any("Replace=true"))
		case "Kustomization":
			if spec["wait"] == true {
				fluxWaits++
			}
			if exprs, ok := spec["healthCheckExprs"]; ok {
				fluxExprs++
				js, err := json.Marshal(exprs)
				if err != nil {
					t.Fatal(err)
				}
				var got []kustomize.CustomHealthCheck
				if err := json.Unmarshal(js, &got); err != nil || !slices.Equal(got, shipped) {
					t.Errorf("the healthCheckExprs on %s are not those of %s (%v)", docsPage, fluxHealthChecksPath, err)
				}
			}
			checks, _ := spec["healthChecks"].([]any)
			for _, c := range checks {
				c := c.(map[string]any)
				if c["apiVersion"] != "access.workcenter.io/v1alpha1" || !slices.Contains(kinds, c["kind"].(string)) {
					t.Errorf("a Flux health check names %v %v, not one of the operator's kinds", c["apiVersion"], c["kind"])
				}
				fluxChecks++
			}
		case nil:
			comps, _ := doc["components"].([]any)
			component = len(comps) == 1 && strings.HasSuffix(comps[0].(string), "//config/argocd")
		}
	}
	if !app {
		t.Error("no Argo CD Application snippet syncing with ServerSideApply=true")
	}
	if !component {
		t.Error("no kustomization snippet using config/argocd as a component")
	}
	if fluxExprs == 0 || !strings.Contains(page, "(../"+filepath.ToSlash(fluxHealthChecksPath)+")") {
		t.Errorf("%s neither shows nor links the healthCheckExprs of %s", docsPage, fluxHealthChecksPath)
	}
	if fluxWaits == 0 || fluxChecks == 0 {
		t.Errorf("want a Flux Kustomization with wait: true and one with healthChecks, got %d and %d checks", fluxWaits, fluxChecks)
	}
	if !strings.Contains(page, "kubectl -n argocd patch configmap argocd-cm --patch-file "+argocdCMPatchPath) {
		t.Errorf("%s does not show how to patch argocd-cm with %s", docsPage, argocdCMPatchPath)
	}
	for _, kind := range kinds {
		if _, err := os.Stat(filepath.Join(root, kindDir(kind), "health.lua")); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(page, "resource.customizations.health.access.workcenter.io_<Kind>") {
		t.Errorf("%s does not name the argocd-cm keys", docsPage)
	}
}
