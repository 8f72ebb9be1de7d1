package installed_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

const (
	releaseName = "workcenter-operator"
	namespace   = "workcenter-operator-system" // config/default's, and the chart's --namespace
)

// renderChart renders dist/chart with its default values as `helm install --namespace
// workcenter-operator-system` would send them to the API server (Helm's Go SDK,
// client-only dry run, CRDs included; test hooks are not part of the release manifest).
func renderChart(t *testing.T, root string) []*unstructured.Unstructured {
	t.Helper()
	c, err := loader.Load(filepath.Join(root, "dist", "chart"))
	if err != nil {
		t.Fatalf("load the chart: %v", err)
	}
	cfg := action.NewConfiguration()
	cfg.Releases = storage.Init(driver.NewMemory())
	cfg.KubeClient = &kubefake.PrintingKubeClient{Out: io.Discard}
	install := action.NewInstall(cfg)
	install.DryRunStrategy = action.DryRunClient
	install.Replace = true
	install.IncludeCRDs = true
	install.ReleaseName = releaseName
	install.Namespace = namespace
	v := os.Getenv("KUBE_VERSION")
	if v == "" {
		v = "1.37.1"
	}
	if install.KubeVersion, err = common.ParseKubeVersion("v" + strings.TrimPrefix(v, "v")); err != nil {
		t.Fatal(err)
	}
	rel, err := install.Run(c, map[string]any{})
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	r, ok := rel.(*release.Release)
	if !ok {
		t.Fatalf("helm returned a %T, not a v1 release", rel)
	}
	return parseYAML(t, "the chart", r.Manifest)
}

// kustomizeBuild runs `kustomize build dir`, as `make build-installer` does.
func kustomizeBuild(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	y, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	return parseYAML(t, "kustomize build "+dir, string(y))
}

func parseYAML(t *testing.T, what, stream string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
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
	docs = append(docs, cur.String())
	for _, doc := range docs {
		var m map[string]any
		if err := sigsyaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatalf("%s: %v\n%s", what, err, doc)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}
