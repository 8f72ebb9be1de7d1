package gitops_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// argocdCMPatchPath is the argocd-cm patch that installs the health checks.
var argocdCMPatchPath = filepath.Join("config", "argocd", "argocd-cm-patch.yaml")

// healthScriptPath is the health check as the argocd-cm patch and the chart carry it: the
// Account's copy of the one script, which every kind's directory holds byte for byte
// (TestArgoCDKindsShareTheOneScript). Each is a regular file, not a link: Argo CD embeds
// resource_customizations with go:embed, which takes no symbolic links.
var healthScriptPath = filepath.Join(kindDir("Account"), "health.lua")

// configKey is the argocd-cm key of a kind's health check.
func configKey(kind string) string {
	return "resource.customizations.health.access.workcenter.io_" + kind
}

// argocdCMPatch renders the argocd-cm patch: health.lua under each kind's key.
func argocdCMPatch(root string) (string, error) {
	script, err := os.ReadFile(filepath.Join(root, healthScriptPath))
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(`# Installs the operator's health check into Argo CD: one script for the four kinds
# (resource_customizations/access.workcenter.io/<Kind>/health.lua, the same in each), under
# resource.customizations.health.access.workcenter.io_<Kind> (docs/gitops.md).
# Generated from health.lua: UPDATE_TESTDATA=1 go test ./test/gitops/
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
data:
`)
	for _, kind := range kinds {
		b.WriteString("  " + configKey(kind) + ": |\n")
		for _, line := range strings.Split(strings.TrimRight(string(script), "\n"), "\n") {
			if line == "" {
				b.WriteString("\n")
				continue
			}
			b.WriteString("    " + line + "\n")
		}
	}
	return b.String(), nil
}

// Each kind's directory holds health.lua where Argo CD's layout puts a kind's check
// (resource_customizations/access.workcenter.io/<Kind>/health.lua): a regular file, as
// Argo CD's go:embed needs, and the same script byte for byte in every kind, so the copies
// cannot drift apart. No other Lua file lies anywhere under config/argocd.
func TestArgoCDKindsShareTheOneScript(t *testing.T) {
	root := repoRoot(t)
	want, err := os.ReadFile(filepath.Join(root, healthScriptPath))
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range kinds {
		path := filepath.Join(root, kindDir(kind), "health.lua")
		fi, err := os.Lstat(path)
		if err != nil {
			t.Fatal(err)
		}
		if !fi.Mode().IsRegular() {
			t.Errorf("%s is not a regular file (%s): Argo CD's go:embed takes no links", path, fi.Mode())
			continue
		}
		if got, err := os.ReadFile(path); err != nil || string(got) != string(want) {
			t.Errorf("%s differs from %s: the kinds share one script; cp %s %s", kindDir(kind)+"/health.lua", healthScriptPath, healthScriptPath, kindDir(kind)+"/health.lua")
		}
	}
	var found []string
	err = filepath.WalkDir(filepath.Join(root, "config", "argocd"), func(path string, d os.DirEntry, err error) error {
		if err == nil && filepath.Ext(path) == ".lua" {
			rel, _ := filepath.Rel(root, path)
			found = append(found, rel)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != len(kinds) {
		t.Errorf("config/argocd holds %d Lua files, want one health.lua per kind (%d): %v", len(found), len(kinds), found)
	}
}

// The patch holds health.lua, byte for byte, under each kind's key: it fails on any
// drift between the script and the patch.
func TestArgoCDConfigMapPatchHoldsTheChecks(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, argocdCMPatchPath))
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(b, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Name != "argocd-cm" || len(cm.Data) != len(kinds) {
		t.Fatalf("want argocd-cm with %d keys, got %s with %v", len(kinds), cm.Name, cm.Data)
	}
	script := readScript(t, root)
	for _, kind := range kinds {
		if cm.Data[configKey(kind)] != script {
			t.Errorf("%s in %s is not %s: run UPDATE_TESTDATA=1 go test ./test/gitops/", configKey(kind), argocdCMPatchPath, healthScriptPath)
		}
	}
	want, err := argocdCMPatch(root)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s is not as generated: run UPDATE_TESTDATA=1 go test ./test/gitops/", argocdCMPatchPath)
	}
}

// config/argocd is a kustomize Component for Argo CD's own installation: over an
// argocd-cm that has settings of its own, it adds the check under the four kinds' keys and
// keeps the rest.
func TestArgoCDComponentPatchesArgoCDsConfigMap(t *testing.T) {
	root := repoRoot(t)
	fs := filesys.MakeFsInMemory()
	src := filepath.Join(root, "config", "argocd")
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		return fs.WriteFile(filepath.Join("/argocd-install/workcenter", rel), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, content string) {
		if err := fs.WriteFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	// Argo CD's install.yaml carries an argocd-cm without a namespace; kustomize sets it.
	write("/argocd-install/install.yaml", `apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  labels: {app.kubernetes.io/part-of: argocd}
data:
  url: https://argocd.example.com
`)
	write("/argocd-install/kustomization.yaml", `namespace: argocd
resources: [install.yaml]
components: [workcenter]
`)
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/argocd-install")
	if err != nil {
		t.Fatalf("kustomize build: %v", err)
	}
	if len(m.Resources()) != 1 {
		t.Fatalf("want only argocd-cm, got %d resources", len(m.Resources()))
	}
	out, err := m.Resources()[0].AsYAML()
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(out, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Namespace != "argocd" || cm.Data["url"] != "https://argocd.example.com" {
		t.Errorf("Argo CD's own settings are not kept: %s", out)
	}
	script := readScript(t, root)
	for _, kind := range kinds {
		if cm.Data[configKey(kind)] != script {
			t.Errorf("the rendered argocd-cm lacks %s under %s", healthScriptPath, configKey(kind))
		}
	}
}

// config/argocd goes to Argo CD's namespace, never with the operator's install.
func TestArgoCDChecksAreNotInTheOperatorsInstall(t *testing.T) {
	root := repoRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "config", "default", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "argocd") {
		t.Error("config/default refers to config/argocd")
	}
}
