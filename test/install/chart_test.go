package install_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	sigsyaml "sigs.k8s.io/yaml"
)

// No drift, precisely. The chart (rendered with given values) and a kustomize build
// agree when:
//
//  1. they hold the same set of objects, each named by API group, kind, namespace and
//     name, except those in kustomizeOnly (the install's Namespace: Helm installs into
//     the namespace it is given, `--namespace ... --create-namespace`);
//  2. each object is the same document in full (spec, rules, webhooks, data, lists in
//     the same order, every field) once the labels and annotations that only one of the
//     two tools writes are taken out of the object's metadata and of its Pod template's:
//     toolLabels and toolAnnotations.
//
// Any other difference, in any object, fails the test and is printed as a diff.
var (
	toolLabels = []string{
		"app.kubernetes.io/managed-by", // kustomize on some objects, Helm on all
		"app.kubernetes.io/instance",   // Helm's release
		"app.kubernetes.io/version",    // Helm's appVersion
		"helm.sh/chart",
	}
	toolAnnotations = []string{
		"helm.sh/resource-policy", // crd.keep: helm uninstall leaves the CRDs
	}
	kustomizeOnly = map[string]string{
		"/Namespace /workcenter-operator-system": "helm install --namespace workcenter-operator-system --create-namespace",
	}
)

// normalize returns a copy of o without the tool-only labels and annotations.
func normalize(o object) object {
	var c object
	b, _ := sigsyaml.Marshal(o)
	_ = sigsyaml.Unmarshal(b, &c)
	strip := func(meta any) {
		md, ok := meta.(map[string]any)
		if !ok {
			return
		}
		for field, drop := range map[string][]string{"labels": toolLabels, "annotations": toolAnnotations} {
			m, ok := md[field].(map[string]any)
			if !ok {
				continue
			}
			for _, k := range drop {
				delete(m, k)
			}
			if len(m) == 0 {
				delete(md, field)
			}
		}
	}
	strip(c["metadata"])
	strip(get(c, "spec", "template", "metadata"))
	return c
}

// drift lists every difference between the chart's objects and kustomize's, as
// defined above; empty when there is none.
func drift(chartObjs, kustomizeObjs []object) []string {
	var out []string
	h, k := byKey(chartObjs), byKey(kustomizeObjs)
	for _, key := range slices.Sorted(maps.Keys(k)) {
		if _, ok := kustomizeOnly[key]; ok {
			continue
		}
		if _, ok := h[key]; !ok {
			out = append(out, "only in kustomize: "+key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(h)) {
		ko, ok := k[key]
		if !ok {
			out = append(out, "only in the chart: "+key)
			continue
		}
		if d := cmp.Diff(normalize(ko), normalize(h[key])); d != "" {
			out = append(out, fmt.Sprintf("%s differs (-kustomize +chart):\n%s", key, d))
		}
	}
	return out
}

func assertNoDrift(t *testing.T, chartObjs, kustomizeObjs []object) {
	t.Helper()
	d := drift(chartObjs, kustomizeObjs)
	for _, line := range d {
		t.Error(line)
	}
	if len(d) == 0 {
		t.Logf("no drift: %d objects compared: %s", len(chartObjs), strings.Join(keys(chartObjs), ", "))
	}
}

func TestChartLints(t *testing.T) {
	for name, values := range map[string]map[string]any{
		"defaults":             nil,
		"everything":           everythingValues(),
		"provided certificate": providedCertValues(t, testCA(t)),
	} {
		t.Run(name, func(t *testing.T) {
			res := lint.RunAll(chartDir, values, namespace, lint.WithKubeVersion(kubeVersion(t)))
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %s", m)
				} else {
					t.Logf("helm lint: %s", m)
				}
			}
		})
	}
}

// The chart with its defaults is config/default.
func TestChartMatchesKustomizeDefault(t *testing.T) {
	assertNoDrift(t, mustHelmTemplate(t, nil), kustomizeBuild(t, filepath.Join(configDir, "default")))
}

// prometheus.enable is config/default with its ../prometheus line uncommented.
func TestChartWithPrometheusMatchesKustomize(t *testing.T) {
	cfg := configCopy(t)
	uncomment(t, filepath.Join(cfg, "default", "kustomization.yaml"), "- ../prometheus")
	kust := kustomizeBuild(t, filepath.Join(cfg, "default"))
	if !slices.ContainsFunc(kust, func(o object) bool { return o.kind() == "ServiceMonitor" }) {
		t.Fatal("config/default with ../prometheus renders no ServiceMonitor")
	}
	assertNoDrift(t, mustHelmTemplate(t, map[string]any{"prometheus": map[string]any{"enable": true}}), kust)
}

// With certManager.enable=false and a certificate of one's own, the chart is
// config/default less cert-manager: no Issuer and Certificate, no CA injection
// annotation, the given CA in every webhook's caBundle, the given Secret mounted.
func TestChartWithProvidedCertificateMatchesKustomize(t *testing.T) {
	ca := testCA(t)
	got := mustHelmTemplate(t, providedCertValues(t, ca))

	var want []object
	for _, o := range kustomizeBuild(t, filepath.Join(configDir, "default")) {
		switch o.kind() {
		case "Issuer", "Certificate":
			continue
		case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
			md := o["metadata"].(map[string]any)
			delete(md, "annotations")
			for _, w := range o["webhooks"].([]any) {
				w.(map[string]any)["clientConfig"].(map[string]any)["caBundle"] = base64.StdEncoding.EncodeToString(ca)
			}
		case "Deployment":
			// Without cert-manager there is no metrics certificate: the manager makes one.
			spec := get(o, "spec", "template", "spec").(map[string]any)
			var volumes []any
			for _, v := range spec["volumes"].([]any) {
				switch v.(map[string]any)["name"] {
				case "webhook-certs":
					v.(map[string]any)["secret"].(map[string]any)["secretName"] = "my-webhook-tls"
				case "metrics-certs":
					continue
				}
				volumes = append(volumes, v)
			}
			spec["volumes"] = volumes
			c := spec["containers"].([]any)[0].(map[string]any)
			var mounts, args []any
			for _, m := range c["volumeMounts"].([]any) {
				if m.(map[string]any)["name"] != "metrics-certs" {
					mounts = append(mounts, m)
				}
			}
			for _, a := range c["args"].([]any) {
				if !strings.HasPrefix(a.(string), "--metrics-cert-path=") {
					args = append(args, a)
				}
			}
			c["volumeMounts"], c["args"] = mounts, args
		}
		want = append(want, o)
	}
	assertNoDrift(t, got, want)
}

func TestChartRequiresACertificateWithoutCertManager(t *testing.T) {
	_, err := helmTemplate(t, map[string]any{"certManager": map[string]any{"enable": false}}, namespace)
	if err == nil || !strings.Contains(err.Error(), "webhook.certificate.") {
		t.Fatalf("certManager.enable=false without a certificate: err = %v, want one naming webhook.certificate", err)
	}
}

func TestChartWithoutWebhooks(t *testing.T) {
	objs := mustHelmTemplate(t, map[string]any{"webhook": map[string]any{"enable": false}})
	for _, o := range objs {
		switch o.kind() {
		case "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration":
			t.Errorf("webhook.enable=false still renders %s", o.key())
		case "Certificate":
			if !strings.HasSuffix(o.key(), "-metrics-certs") { // the metrics server's stays
				t.Errorf("webhook.enable=false still renders %s", o.key())
			}
		case "Service":
			if strings.HasSuffix(o.key(), "-webhook-service") {
				t.Errorf("webhook.enable=false still renders %s", o.key())
			}
		case "Deployment":
			args := fmt.Sprint(get(o, "spec", "template", "spec", "containers", 0, "args"))
			if !strings.Contains(args, "--enable-webhooks=false") || strings.Contains(args, "--webhook-cert-path") {
				t.Errorf("webhook.enable=false: manager args %s", args)
			}
			if strings.Contains(fmt.Sprint(get(o, "spec", "template", "spec", "volumes")), "webhook-certs") {
				t.Errorf("webhook.enable=false still mounts the webhook certificate")
			}
		}
	}
}

// Installed in another namespace, every namespaced object and every reference to one
// (webhook Services, certificate names, CA injection, role subjects) follows.
func TestChartInAnotherNamespace(t *testing.T) {
	objs, err := helmTemplate(t, nil, "ops")
	if err != nil {
		t.Fatal(err)
	}
	manifest, _ := sigsyaml.Marshal(objs)
	if strings.Contains(string(manifest), namespace) {
		t.Errorf("rendered into namespace ops, the chart still names %s:\n%s", namespace, manifest)
	}
	for _, want := range []string{
		"namespace: ops",
		"workcenter-operator-webhook-service.ops.svc",
		"cert-manager.io/inject-ca-from: ops/workcenter-operator-serving-cert",
	} {
		if !strings.Contains(string(manifest), want) {
			t.Errorf("rendered into namespace ops, the chart lacks %q", want)
		}
	}
}

// The chart's files/ are copies of generated or shared files under config/, which
// `make helm-chart` refreshes; they must be current.
func TestChartCopiesAreCurrent(t *testing.T) {
	same := func(chartFile, configFile string) {
		t.Helper()
		c, err := os.ReadFile(filepath.Join(chartDir, chartFile))
		if err != nil {
			t.Errorf("%v (run `make helm-chart`)", err)
			return
		}
		k, err := os.ReadFile(filepath.Join(configDir, configFile))
		if err != nil {
			t.Fatal(err)
		}
		if string(c) != string(k) {
			t.Errorf("dist/chart/%s differs from config/%s: run `make helm-chart`", chartFile, configFile)
		}
	}
	crds, _ := filepath.Glob(filepath.Join(configDir, "crd", "bases", "*.yaml"))
	copied, _ := filepath.Glob(filepath.Join(chartDir, "files", "crd", "*.yaml"))
	if len(crds) == 0 || len(copied) != len(crds) {
		t.Errorf("config/crd/bases has %d CRDs, dist/chart/files/crd %d: run `make helm-chart`", len(crds), len(copied))
	}
	for _, f := range crds {
		same(filepath.Join("files", "crd", filepath.Base(f)), filepath.Join("crd", "bases", filepath.Base(f)))
	}
	same("files/rbac/role.yaml", "rbac/role.yaml")
	same("files/webhook/manifests.yaml", "webhook/manifests.yaml")
	same("files/prometheus/monitor.yaml", "prometheus/monitor.yaml")
	same("files/prometheus/metrics_token.yaml", "prometheus/metrics_token.yaml")
	same("files/prometheus/rules.yaml", "prometheus/rules.yaml")
}

// Argo CD reads health checks from its own argocd-cm only, which a chart cannot patch
// (Argo CD's installation owns it): the chart renders nothing for Argo CD, refuses the
// argocd values it once had, and its README says how to install the check
// (config/argocd's kustomize Component, or the argocd-cm patch).
func TestChartLeavesArgoCDToArgoCD(t *testing.T) {
	if files, _ := filepath.Glob(filepath.Join(chartDir, "files", "argocd", "*")); len(files) != 0 {
		t.Errorf("dist/chart/files/argocd holds %v: the chart ships no Argo CD health check", files)
	}
	for _, o := range mustHelmTemplate(t, nil) {
		if o.kind() == "ConfigMap" || strings.Contains(fmt.Sprint(o["metadata"]), "argocd") {
			t.Errorf("the chart renders %s", o.key())
		}
	}
	if _, err := helmTemplate(t, map[string]any{"argocd": map[string]any{"enable": true}}, namespace); err == nil || !strings.Contains(err.Error(), "argocd") {
		t.Errorf("argocd.enable=true: err = %v, want the schema to refuse argocd", err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"config/argocd", "argocd-cm-patch.yaml", "configs.cm"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("dist/chart/README.md does not say how to install the Argo CD health check: no %q", want)
		}
	}
}

// Every value in values.yaml has a row in dist/chart/README.md's table.
func TestChartValuesAreDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := sigsyaml.Unmarshal(b, &values); err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = true
	}
	var leaves []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && len(m) > 0 && prefix != "manager.resources" &&
			prefix != "manager.podSecurityContext" && prefix != "manager.securityContext" && prefix != "manager.strategy" {
			for k, v := range m {
				walk(strings.TrimPrefix(prefix+"."+k, "."), v)
			}
			return
		}
		leaves = append(leaves, prefix)
	}
	walk("", values)
	slices.Sort(leaves)
	for _, l := range leaves {
		if !rows[l] {
			t.Errorf("value %s has no row | `%s` | in dist/chart/README.md", l, l)
		}
		delete(rows, l)
	}
	for r := range rows {
		t.Errorf("dist/chart/README.md documents %s, which values.yaml does not have", r)
	}
}

// The comparison itself notices a difference in any field, a missing object and an
// extra one, so a passing comparison means something.
func TestDriftIsDetected(t *testing.T) {
	base := kustomizeBuild(t, filepath.Join(configDir, "default"))
	mutations := map[string]func([]object) []object{
		"a webhook's failurePolicy": func(objs []object) []object {
			for _, o := range objs {
				if o.kind() == "ValidatingWebhookConfiguration" {
					o["webhooks"].([]any)[0].(map[string]any)["failurePolicy"] = "Unknown"
				}
			}
			return objs
		},
		"an argument's order": func(objs []object) []object {
			for _, o := range objs {
				if o.kind() == "Deployment" {
					args := get(o, "spec", "template", "spec", "containers", 0, "args").([]any)
					args[0], args[1] = args[1], args[0]
				}
			}
			return objs
		},
		"a selector label": func(objs []object) []object {
			for _, o := range objs {
				if o.kind() == "Deployment" {
					get(o, "spec", "template", "metadata", "labels").(map[string]any)["extra"] = "x"
				}
			}
			return objs
		},
		"a missing ClusterRole": func(objs []object) []object {
			return slices.DeleteFunc(objs, func(o object) bool { return o.kind() == "ClusterRole" })
		},
		"an extra object": func(objs []object) []object {
			return append(objs, object{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x", "namespace": namespace}})
		},
		"a CRD's schema": func(objs []object) []object {
			for _, o := range objs {
				if o.kind() == "CustomResourceDefinition" {
					get(o, "spec", "versions", 0).(map[string]any)["served"] = false
				}
			}
			return objs
		},
	}
	if d := drift(kustomizeBuild(t, filepath.Join(configDir, "default")), base); len(d) != 0 {
		t.Fatalf("two builds of config/default drift: %v", d)
	}
	for name, mutate := range mutations {
		if d := drift(mutate(kustomizeBuild(t, filepath.Join(configDir, "default"))), base); len(d) == 0 {
			t.Errorf("a change of %s is not seen as drift", name)
		}
	}
}

func providedCertValues(t *testing.T, ca []byte) map[string]any {
	t.Helper()
	return map[string]any{
		"certManager": map[string]any{"enable": false},
		"webhook": map[string]any{"certificate": map[string]any{
			"secretName": "my-webhook-tls",
			"ca":         string(ca),
		}},
	}
}

// testCA is the PEM of a throwaway self-signed CA certificate.
func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// TestChartServiceMonitorVerifiesTheMetricsCertificate: with cert-manager the
// ServiceMonitor verifies the metrics server against the metrics Certificate's CA, for
// the metrics Service's name; without it (the manager makes its own certificate at start)
// there is nothing to verify against.
func TestChartServiceMonitorVerifiesTheMetricsCertificate(t *testing.T) {
	monitor := func(values map[string]any) map[string]any {
		t.Helper()
		values["prometheus"] = map[string]any{"enable": true}
		for _, o := range mustHelmTemplate(t, values) {
			if o.kind() == "ServiceMonitor" {
				return get(o, "spec", "endpoints", 0, "tlsConfig").(map[string]any)
			}
		}
		t.Fatal("no ServiceMonitor")
		return nil
	}
	tls := monitor(map[string]any{})
	if got := fmt.Sprint(tls); got != "map[ca:map[secret:map[key:ca.crt name:metrics-server-cert]] serverName:workcenter-operator-controller-manager-metrics-service."+namespace+".svc]" {
		t.Errorf("with cert-manager: tlsConfig %s", got)
	}
	if got := fmt.Sprint(monitor(providedCertValues(t, testCA(t)))); got != "map[insecureSkipVerify:true]" {
		t.Errorf("without cert-manager: tlsConfig %s", got)
	}
}
