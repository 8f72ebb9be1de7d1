// Package install_test checks the two ways to install the operator against each other
// and the image they run: the Helm chart in dist/chart (loaded, linted and rendered
// with Helm's Go SDK) renders the same objects as `kustomize build config/default`, and
// `make image` writes an OCI image that runs the static manager as a nonroot user.
package install_test

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	chartDir      = "../../dist/chart"
	configDir     = "../../config"
	releaseName   = "workcenter-operator"
	namespace     = "workcenter-operator-system" // config/default's namespace
	chartNameRoot = "workcenter-operator"
)

// object is one rendered Kubernetes object, as generic JSON-like data.
type object map[string]any

// key names an object the way the API server does: group, kind, namespace, name.
func (o object) key() string {
	apiVersion, _ := o["apiVersion"].(string)
	group := ""
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	md, _ := o["metadata"].(map[string]any)
	ns, _ := md["namespace"].(string)
	name, _ := md["name"].(string)
	return fmt.Sprintf("%s/%s %s/%s", group, o["kind"], ns, name)
}

func (o object) kind() string { k, _ := o["kind"].(string); return k }

// parseYAMLStream splits a multi-document YAML stream into objects, skipping empty ones.
func parseYAMLStream(t *testing.T, what, stream string) []object {
	t.Helper()
	var out []object
	for _, doc := range splitYAML(stream) {
		var o object
		if err := sigsyaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, doc)
		}
		if len(o) == 0 {
			continue
		}
		out = append(out, o)
	}
	return out
}

func splitYAML(stream string) []string {
	var docs []string
	var cur strings.Builder
	for line := range strings.Lines(stream) {
		if strings.TrimRight(line, " \t\r\n") == "---" {
			docs = append(docs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteString(line)
	}
	return append(docs, cur.String())
}

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load %s: %v", chartDir, err)
	}
	return c
}

// helmTemplate renders the chart as `helm template --include-crds` does, client-only:
// the release's objects, without its hooks.
func helmTemplate(t *testing.T, values map[string]any, ns string) ([]object, error) {
	t.Helper()
	r, err := helmRelease(t, values, ns)
	if err != nil {
		return nil, err
	}
	return parseYAMLStream(t, "helm template", r.Manifest), nil
}

// helmHooks renders the chart's hooks (the `helm test` objects), in Helm's order.
func helmHooks(t *testing.T, values map[string]any) []object {
	t.Helper()
	r, err := helmRelease(t, values, namespace)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	var out []object
	for _, h := range r.Hooks {
		out = append(out, parseYAMLStream(t, "hook "+h.Path, h.Manifest)...)
	}
	return out
}

// helmRelease installs the chart client-only (a dry run): values are checked against
// values.schema.json as `helm install` checks them.
func helmRelease(t *testing.T, values map[string]any, ns string) (*release.Release, error) {
	t.Helper()
	cfg := action.NewConfiguration()
	cfg.Releases = storage.Init(driver.NewMemory())
	cfg.KubeClient = &kubefake.PrintingKubeClient{Out: io.Discard}
	install := action.NewInstall(cfg)
	install.DryRunStrategy = action.DryRunClient
	install.Replace = true
	install.IncludeCRDs = true
	install.ReleaseName = releaseName
	install.Namespace = ns
	install.KubeVersion = kubeVersion(t)
	rel, err := install.Run(loadChart(t), values)
	if err != nil {
		return nil, err
	}
	r, ok := rel.(*release.Release)
	if !ok {
		t.Fatalf("helm returned a %T, not a v1 release", rel)
	}
	return r, nil
}

// kubeVersion is the Kubernetes version the chart is rendered for: the control plane
// the project builds and tests with (KUBE_VERSION in the Makefile).
func kubeVersion(t *testing.T) *common.KubeVersion {
	t.Helper()
	v := os.Getenv("KUBE_VERSION")
	if v == "" {
		v = "1.37.1"
	}
	kv, err := common.ParseKubeVersion("v" + strings.TrimPrefix(v, "v"))
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func mustHelmTemplate(t *testing.T, values map[string]any) []object {
	t.Helper()
	objs, err := helmTemplate(t, values, namespace)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return objs
}

// kustomizeBuild runs `kustomize build` on dir (a kustomization directory).
func kustomizeBuild(t *testing.T, dir string) []object {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return parseYAMLStream(t, "kustomize build "+dir, string(y))
}

// configCopy copies config/ into a temporary directory, to build a variant of it the
// way its comments tell a user to (uncommenting a line).
func configCopy(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "config")
	if err := os.CopyFS(dir, os.DirFS(configDir)); err != nil {
		t.Fatal(err)
	}
	return dir
}

// uncomment removes the leading '#' of the line equal to "#"+line in file, and fails
// the test when there is no such line.
func uncomment(t *testing.T, file, line string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte("\n#" + line + "\n")
	if !bytes.Contains(b, want) {
		t.Fatalf("%s has no line %q to uncomment", file, "#"+line)
	}
	if err := os.WriteFile(file, bytes.Replace(b, want, []byte("\n"+line+"\n"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func keys(objs []object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.key())
	}
	slices.Sort(out)
	return out
}

func byKey(objs []object) map[string]object {
	m := map[string]object{}
	for _, o := range objs {
		m[o.key()] = o
	}
	return m
}

// get walks a path of map keys and list indexes in o.
func get(o any, path ...any) any {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			switch m := o.(type) {
			case object:
				o = m[p]
			case map[string]any:
				o = m[p]
			default:
				return nil
			}
		case int:
			l, ok := o.([]any)
			if !ok || p >= len(l) {
				return nil
			}
			o = l[p]
		}
	}
	return o
}
