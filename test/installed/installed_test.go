// Package installed_test installs the operator on a real API server and runs it as the
// Deployment says, twice: once from the rendered Helm chart (dist/chart, default values,
// rendered with Helm's Go SDK as `helm install --namespace workcenter-operator-system`
// would send it) and once from `kustomize build config/default`.
//
// What it does, for each:
//
//   - starts etcd and kube-apiserver (the envtest control plane built from source), with
//     --enable-aggregator-routing so the API server reaches webhooks through the
//     Service's EndpointSlices, as a cluster without kube-proxy would;
//   - creates every rendered object: CRDs, Namespace, ServiceAccount, the ClusterRoles,
//     Roles and bindings, Services, the Deployment, the webhook configurations, the
//     cert-manager Issuer and Certificate (against stand-in CRDs of cert-manager.io that
//     accept any spec: cert-manager is not installed);
//   - does what cert-manager would: issues the Certificate (self-signed, its dnsNames,
//     into the kubernetes.io/tls Secret it names) and, as its CA injector, writes the
//     CA into the caBundle of the webhook configurations annotated
//     cert-manager.io/inject-ca-from;
//   - does what the kubelet and the container runtime would for the Deployment's one
//     container (kubelet_test.go): unpacks the image `make image` builds for this
//     machine (hack/image) as the container's root file system, projects the Secret
//     volumes at their mountPaths and the ServiceAccount's token (TokenRequest),
//     ca.crt and namespace at /var/run/secrets/kubernetes.io/serviceaccount, sets the
//     container's env (values, field and resource references) and
//     KUBERNETES_SERVICE_HOST/PORT, and runs the container's command and args, chrooted
//     into that file system, as the user the securityContext and the image give
//     (65532; runAsNonRoot checked). The manager authenticates with that token: it has
//     exactly the RBAC the rendered ClusterRoles, Roles and bindings give its
//     ServiceAccount, nothing else;
//   - probes /readyz as the readinessProbe says, then publishes the EndpointSlices the
//     EndpointSlice controller would for every rendered Service that selects the Pod
//     (this machine's address: an endpoint may not be loopback);
//   - checks that the manager holds the leader election Lease in its namespace (read
//     from the mounted namespace file), that the sample account (config/samples)
//     converges (every object Ready), that admission answers through the Service (a
//     Guest given a custom role with member-only permissions is refused by the
//     webhook, a valid object passes a
//     dry run), and that /metrics answers a ServiceAccount bound to the rendered
//     metrics-reader ClusterRole and refuses an anonymous caller.
//
// What it cannot do without a kubelet, a scheduler and a network plugin, and so does
// not cover: scheduling (nodeSelector, affinity, tolerations, topology spread, priority
// classes), image pull (imagePullPolicy, imagePullSecrets; the image is unpacked from
// dist/image's build, not pulled), more than one replica (one Pod runs, in the host's
// network namespace, so its ports 8081, 8443 and 9443 must be free on this machine),
// probes as the kubelet runs them (readiness is polled once until it passes; liveness
// never restarts anything; periods and delays are not honoured), the
// PodDisruptionBudget (no evictions), NetworkPolicy enforcement (no network plugin:
// policies are created, not enforced), cgroup limits (resources), seccomp and dropped
// capabilities, readOnlyRootFilesystem (the unpacked root is writable by root only,
// but not mounted read-only), Secret volumes' updates after start, and the Pod's own
// IP and DNS name. cert-manager and its CA injector are emulated, not run.
//
// It runs as root (chroot and setuid); otherwise it uses an unprivileged user
// namespace, and fails if the kernel refuses one.
package installed_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/workcenter-io/workcenter-operator/internal/localenv"
)

var (
	repoRoot string
	// imageTar is the image `make image` builds, for this machine's platform only.
	imageTar string
	scheme   = func() *k8sruntime.Scheme {
		s := k8sruntime.NewScheme()
		utilruntime.Must(clientgoscheme.AddToScheme(s))
		utilruntime.Must(apiextensionsv1.AddToScheme(s))
		return s
	}()
)

func TestMain(m *testing.M) {
	if runtime.GOOS != "linux" {
		fmt.Println("test/installed runs the linux image: skipped on", runtime.GOOS)
		os.Exit(0)
	}
	root, err := localenv.FindRepoRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	repoRoot = root
	tmp, err := os.MkdirTemp("", "installed-image-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	imageTar = filepath.Join(tmp, "image.tar")
	build := exec.Command("go", "run", "./hack/image", "-o", imageTar, "-tag", "workcenter-operator:installed-test",
		"-platforms", "linux/"+runtime.GOARCH)
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go run ./hack/image: %v\n%s", err, out)
		os.RemoveAll(tmp)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

func TestInstalled(t *testing.T) {
	ip := nodeIP(t)
	for _, install := range []struct {
		name   string
		render func(t *testing.T) []*unstructured.Unstructured
	}{
		{"chart", func(t *testing.T) []*unstructured.Unstructured { return renderChart(t, repoRoot) }},
		{"config-default", func(t *testing.T) []*unstructured.Unstructured {
			return kustomizeBuild(t, filepath.Join(repoRoot, "config", "default"))
		}},
	} {
		t.Run(install.name, func(t *testing.T) {
			start := time.Now()
			objs := install.render(t)
			env := startControlPlane(t)
			c, err := client.New(env.Config, client.Options{Scheme: scheme})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			apply(ctx, t, c, objs)
			certManager(ctx, t, c, objs)
			dep := the(t, objs, "Deployment")
			p := startPod(ctx, t, env.Config, c, dep, ip)
			p.waitReady(ctx, t)
			publishEndpoints(ctx, t, c, objs, p, ip)
			t.Logf("%s: installed and ready in %s", install.name, time.Since(start).Round(100*time.Millisecond))

			checkIdentity(ctx, t, env.Config, p)
			checkLease(ctx, t, c, p)
			checkSamples(ctx, t, c, p)
			checkAdmission(ctx, t, c, p)
			checkMetrics(ctx, t, env.Config, c, objs, p)
			t.Logf("%s: checked in %s", install.name, time.Since(start).Round(100*time.Millisecond))
		})
	}
}

// startControlPlane starts etcd and kube-apiserver with nothing installed.
func startControlPlane(t *testing.T) *envtest.Environment {
	t.Helper()
	env := &envtest.Environment{BinaryAssetsDirectory: builtAssets()}
	// Webhooks are called at an endpoint of their Service's EndpointSlices, not at its
	// ClusterIP, which nothing routes here.
	env.ControlPlane.GetAPIServer().Configure().Set("enable-aggregator-routing", "true")
	if _, err := env.Start(); err != nil {
		t.Fatalf("start the control plane (make envtest builds it): %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Logf("stop the control plane: %v", err)
		}
	})
	return env
}

// builtAssets is the control plane `make envtest` built; KUBEBUILDER_ASSETS wins.
func builtAssets() string {
	found, _ := filepath.Glob(filepath.Join(repoRoot, "bin", "k8s", "*", "kube-apiserver"))
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[len(found)-1])
}

// nodeIP is an address of this machine that may be an endpoint: IPv4, not loopback or
// link-local (the API server refuses those in EndpointSlices).
func nodeIP(t *testing.T) string {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, iface := range ifaces {
		if iface.Flags&net.FlagUp == 0 || iface.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := iface.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.To4() == nil || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
				continue
			}
			return ipn.IP.String()
		}
	}
	t.Fatal("this machine has no IPv4 address but loopback: the API server cannot reach the webhook through an EndpointSlice")
	return ""
}

// the is the one rendered object of kind.
func the(t *testing.T, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	var found []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d rendered %s objects, want 1", len(found), kind)
	}
	return found[0]
}

// builtinGroups are served by kube-apiserver itself.
var builtinGroups = map[string]bool{
	"": true, "apps": true, "rbac.authorization.k8s.io": true, "admissionregistration.k8s.io": true,
	"apiextensions.k8s.io": true, "policy": true, "networking.k8s.io": true, "scheduling.k8s.io": true,
	"coordination.k8s.io": true, "discovery.k8s.io": true, "batch": true, "autoscaling": true,
}

// applyOrder is Helm's install order, roughly: what others refer to first, the
// webhook configurations last.
func applyOrder(kind string) int {
	for i, k := range []string{"Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PriorityClass",
		"PodDisruptionBudget", "ServiceAccount", "Secret", "ConfigMap", "CustomResourceDefinition",
		"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service", "Deployment"} {
		if k == kind {
			return i
		}
	}
	if strings.HasSuffix(kind, "WebhookConfiguration") {
		return 100
	}
	return 50
}

// apply creates every rendered object, as helm install or kubectl apply would: CRDs
// first (and stand-in CRDs for kinds no rendered CRD defines and the API server does
// not serve, cert-manager's), then the rest in Helm's order.
func apply(ctx context.Context, t *testing.T, c client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	defined := map[schema.GroupKind]bool{}
	var crds, rest []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			crds = append(crds, o)
			group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
			kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
			defined[schema.GroupKind{Group: group, Kind: kind}] = true
		} else {
			rest = append(rest, o)
		}
	}
	standIns := map[schema.GroupVersionKind]bool{}
	for _, o := range rest {
		gvk := o.GroupVersionKind()
		if !builtinGroups[gvk.Group] && !defined[gvk.GroupKind()] {
			standIns[gvk] = true
		}
	}
	for gvk := range standIns {
		crds = append(crds, standInCRD(t, gvk))
	}
	for _, o := range crds {
		create(ctx, t, c, o)
	}
	for _, o := range crds {
		waitEstablished(ctx, t, c, o.GetName())
	}
	// helm install --namespace ... --create-namespace
	create(ctx, t, c, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace}}})
	sortStable(rest, func(a, b *unstructured.Unstructured) bool { return applyOrder(a.GetKind()) < applyOrder(b.GetKind()) })
	for _, o := range rest {
		create(ctx, t, c, o)
	}
	t.Logf("created %d objects (%d CRDs, %d of them stand-ins for %v)", len(objs)+len(standIns), len(crds), len(standIns), keysOf(standIns))
}

func keysOf[K comparable, V any](m map[K]V) []K {
	var out []K
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortStable[T any](s []T, less func(a, b T) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func create(ctx context.Context, t *testing.T, c client.Client, o *unstructured.Unstructured) {
	t.Helper()
	o = o.DeepCopy()
	if err := c.Create(ctx, o); err != nil && !(apierrors.IsAlreadyExists(err) && o.GetKind() == "Namespace") {
		t.Fatalf("create %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
}

// standInCRD defines gvk (namespaced, any spec), for a kind whose operator is not
// installed here (cert-manager's Issuer and Certificate).
func standInCRD(t *testing.T, gvk schema.GroupVersionKind) *unstructured.Unstructured {
	t.Helper()
	plural := strings.ToLower(gvk.Kind) + "s"
	crd := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + gvk.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: gvk.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: gvk.Kind, ListKind: gvk.Kind + "List"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: gvk.Version, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr(true),
				}},
			}},
		},
	}
	m, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(crd)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

func ptr[T any](v T) *T { return &v }

func waitEstablished(ctx context.Context, t *testing.T, c client.Client, name string) {
	t.Helper()
	for {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := c.Get(ctx, client.ObjectKey{Name: name}, &crd); err == nil {
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					return
				}
			}
		}
		if ctx.Err() != nil {
			t.Fatalf("CRD %s is not established", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkIdentity: the mounted token is the rendered ServiceAccount's.
func checkIdentity(ctx context.Context, t *testing.T, admin *rest.Config, p *pod) {
	t.Helper()
	cfg := rest.AnonymousClientConfig(admin)
	cfg.BearerToken = p.token
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnSelfSubjectReview, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("the mounted token does not authenticate: %v", err)
	}
	want := "system:serviceaccount:" + p.namespace + ":" + p.serviceAccount
	if got := review.Status.UserInfo.Username; got != want {
		t.Errorf("the manager's token is %q, want %q", got, want)
	}
}

// checkLease: the manager leads, through the leader election Role in its namespace.
func checkLease(ctx context.Context, t *testing.T, c client.Client, p *pod) {
	t.Helper()
	for {
		var leases unstructured.UnstructuredList
		leases.SetAPIVersion("coordination.k8s.io/v1")
		leases.SetKind("LeaseList")
		if err := c.List(ctx, &leases, client.InNamespace(p.namespace)); err != nil && ctx.Err() == nil {
			t.Fatal(err)
		}
		for _, l := range leases.Items {
			if h, _, _ := unstructured.NestedString(l.Object, "spec", "holderIdentity"); h != "" {
				t.Logf("Lease %s/%s held by %s", p.namespace, l.GetName(), h)
				return
			}
		}
		if ctx.Err() != nil || p.exited() {
			t.Fatalf("no Lease in %s is held: leader election failed\n%s", p.namespace, p.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var sampleKinds = []string{"Account", "WorkCenterRole", "WorkCenter", "Collaborator"}

// checkSamples applies config/samples and waits until every object is Ready.
func checkSamples(ctx context.Context, t *testing.T, c client.Client, p *pod) {
	t.Helper()
	samples := kustomizeBuild(t, filepath.Join(repoRoot, "config", "samples"))
	for _, o := range samples {
		for {
			err := c.Create(ctx, o.DeepCopy())
			if err == nil || (apierrors.IsAlreadyExists(err) && o.GetKind() == "Namespace") {
				break
			}
			// The API server's view of the EndpointSlices may lag by a moment.
			if !strings.Contains(err.Error(), "failed calling webhook") || ctx.Err() != nil {
				t.Fatalf("create sample %s %s: %v\n%s", o.GetKind(), o.GetName(), err, p.logTail())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	start := time.Now()
	for {
		var waiting []string
		n := 0
		for _, kind := range sampleKinds {
			var list unstructured.UnstructuredList
			list.SetAPIVersion("access.workcenter.io/v1alpha1")
			list.SetKind(kind + "List")
			if err := c.List(ctx, &list, client.InNamespace("acme")); err != nil && ctx.Err() == nil {
				t.Fatal(err)
			}
			for _, o := range list.Items {
				n++
				if !ready(&o) {
					waiting = append(waiting, kind+"/"+o.GetName())
				}
			}
		}
		if len(waiting) == 0 && n > 0 {
			t.Logf("the sample account converged: %d objects Ready in %s", n, time.Since(start).Round(10*time.Millisecond))
			return
		}
		if ctx.Err() != nil || p.exited() {
			t.Fatalf("the sample account did not converge; not Ready: %v\n%s", waiting, p.logTail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func ready(o *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(o.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" && m["status"] == "True" && m["observedGeneration"] == o.GetGeneration() {
			return true
		}
		if m["type"] == "Ready" && m["status"] == "True" && m["observedGeneration"] == nil {
			return true
		}
	}
	return false
}

// checkAdmission: through the API server, the Service's EndpointSlice and the
// certificate from the Secret: a Guest given site-engineer (a custom role of the
// samples with member-only permissions, which only the webhook can know: the CRD's
// schema cannot) is refused by the webhook; the same Guest with read-only passes.
func checkAdmission(ctx context.Context, t *testing.T, c client.Client, p *pod) {
	t.Helper()
	guest := func(role string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "access.workcenter.io/v1alpha1", "kind": "Collaborator",
			"metadata": map[string]any{"name": "installed-test-guest", "namespace": "acme"},
			"spec": map[string]any{
				"email": "guest@elsewhere.example", "displayName": "A Guest", "type": "Guest",
				"workCenters": []any{map[string]any{"name": "tower-a", "role": role}},
			},
		}}
	}
	err := c.Create(ctx, guest("site-engineer"), client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), "admission webhook") || !strings.Contains(err.Error(), "denied the request") {
		t.Fatalf("a Guest with site-engineer: want a refusal by the admission webhook, got %v\n%s", err, p.logTail())
	}
	t.Logf("refused: %v", err)
	if err := c.Create(ctx, guest("read-only"), client.DryRunAll); err != nil {
		t.Errorf("a Guest with read-only: %v", err)
	}
}

// checkMetrics: /metrics over HTTPS answers a ServiceAccount bound to the rendered
// metrics-reader ClusterRole (the manager reviews its token and access with the
// metrics auth role it was given) and refuses an anonymous caller.
func checkMetrics(ctx context.Context, t *testing.T, admin *rest.Config, c client.Client, objs []*unstructured.Unstructured, p *pod) {
	t.Helper()
	addr := p.flag("metrics-bind-address")
	if addr == "" || addr == "0" || !p.hasFlag("metrics-secure") {
		t.Logf("metrics are not served securely (--metrics-bind-address=%q): not checked", addr)
		return
	}
	var reader string
	for _, o := range objs {
		if o.GetKind() == "ClusterRole" && strings.HasSuffix(o.GetName(), "metrics-reader") {
			reader = o.GetName()
		}
	}
	if reader == "" {
		t.Fatal("no rendered metrics-reader ClusterRole")
	}
	sa := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{"name": "scraper", "namespace": p.namespace}}}
	binding := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
		"metadata": map[string]any{"name": "installed-test-scraper"},
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": reader},
		"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": "scraper", "namespace": p.namespace}}}}
	create(ctx, t, c, sa)
	create(ctx, t, c, binding)
	token := serviceAccountToken(ctx, t, admin, p.namespace, "scraper")
	_, port, _ := net.SplitHostPort(addr)
	url := "https://127.0.0.1:" + port + "/metrics"
	// With --metrics-cert-path the manager serves the metrics Certificate's Secret (as
	// cert-manager issued it): verified here against its CA, for the Certificate's first
	// name, as the ServiceMonitor verifies it. Otherwise controller-runtime made one.
	tlsConfig := &tls.Config{InsecureSkipVerify: true}
	if p.flag("metrics-cert-path") != "" {
		var secret, serverName string
		for _, o := range objs {
			if o.GetKind() == "Certificate" && strings.HasSuffix(o.GetName(), "metrics-certs") {
				secret, _, _ = unstructured.NestedString(o.Object, "spec", "secretName")
				names, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "dnsNames")
				if len(names) > 0 {
					serverName = names[0]
				}
			}
		}
		var s corev1.Secret
		if err := c.Get(ctx, client.ObjectKey{Namespace: p.namespace, Name: secret}, &s); err != nil {
			t.Fatalf("the metrics certificate's Secret %q: %v", secret, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(s.Data["ca.crt"]) {
			t.Fatalf("Secret %s holds no ca.crt", secret)
		}
		tlsConfig = &tls.Config{RootCAs: pool, ServerName: serverName}
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	get := func(token string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(token); code != http.StatusOK || !strings.Contains(body, "controller_runtime_reconcile_total") {
		t.Errorf("GET /metrics as a metrics reader: %d\n%.300s\n%s", code, body, p.logTail())
	}
	if code, _ := get(""); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("GET /metrics anonymously: %d, want 401 or 403", code)
	}
	t.Logf("%s answers a token bound to %s and refuses an anonymous caller", url, reader)
}
