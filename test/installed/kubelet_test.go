package installed_test

import (
	"archive/tar"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	appsv1 "k8s.io/api/apps/v1"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

var authnSelfSubjectReview = authnv1.SelfSubjectReview{}

// certManager does what cert-manager would for the rendered Issuer and Certificate:
// a self-signed certificate for the Certificate's dnsNames in the kubernetes.io/tls
// Secret it names (tls.crt, tls.key, ca.crt, ca.crt being the certificate itself, as
// a selfSigned issuer writes it); and what its CA injector would: the CA written into
// the caBundle of every webhook of the configurations annotated
// cert-manager.io/inject-ca-from: <namespace>/<Certificate>.
func certManager(ctx context.Context, t *testing.T, c client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	cas := map[string][]byte{} // namespace/name of the Certificate -> CA PEM
	for _, o := range objs {
		if o.GetKind() != "Certificate" || o.GroupVersionKind().Group != "cert-manager.io" {
			continue
		}
		issuer, _, _ := unstructured.NestedString(o.Object, "spec", "issuerRef", "name")
		var selfSigned bool
		for _, i := range objs {
			if i.GetKind() == "Issuer" && i.GetName() == issuer && i.GetNamespace() == o.GetNamespace() {
				_, selfSigned, _ = unstructured.NestedMap(i.Object, "spec", "selfSigned")
			}
		}
		if !selfSigned {
			t.Fatalf("Certificate %s: issuer %q is not a rendered selfSigned Issuer; the test emulates only that", o.GetName(), issuer)
		}
		dnsNames, _, _ := unstructured.NestedStringSlice(o.Object, "spec", "dnsNames")
		secretName, _, _ := unstructured.NestedString(o.Object, "spec", "secretName")
		if len(dnsNames) == 0 || secretName == "" {
			t.Fatalf("Certificate %s: no dnsNames or secretName", o.GetName())
		}
		certPEM, keyPEM := selfSignedCert(t, dnsNames)
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: secretName, Namespace: o.GetNamespace(),
				Annotations: map[string]string{"cert-manager.io/certificate-name": o.GetName()}},
			Type: corev1.SecretTypeTLS,
			Data: map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM, "ca.crt": certPEM},
		}
		if err := c.Create(ctx, secret); err != nil {
			t.Fatalf("the Certificate's Secret: %v", err)
		}
		cas[o.GetNamespace()+"/"+o.GetName()] = certPEM
		t.Logf("issued Certificate %s/%s for %v into Secret %s", o.GetNamespace(), o.GetName(), dnsNames, secretName)
	}
	for _, o := range objs {
		if !strings.HasSuffix(o.GetKind(), "WebhookConfiguration") {
			continue
		}
		from := o.GetAnnotations()["cert-manager.io/inject-ca-from"]
		ca, ok := cas[from]
		if !ok {
			t.Fatalf("%s %s: inject-ca-from %q names no rendered Certificate", o.GetKind(), o.GetName(), from)
		}
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(o.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKey{Name: o.GetName()}, live); err != nil {
			t.Fatal(err)
		}
		webhooks, _, _ := unstructured.NestedSlice(live.Object, "webhooks")
		for i := range webhooks {
			w := webhooks[i].(map[string]any)
			cc, _ := w["clientConfig"].(map[string]any)
			if cc == nil {
				t.Fatalf("%s %s: a webhook without clientConfig", o.GetKind(), o.GetName())
			}
			cc["caBundle"] = base64.StdEncoding.EncodeToString(ca)
		}
		if err := unstructured.SetNestedSlice(live.Object, webhooks, "webhooks"); err != nil {
			t.Fatal(err)
		}
		if err := c.Update(ctx, live); err != nil {
			t.Fatalf("inject the CA into %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
}

func selfSignedCert(t *testing.T, dnsNames []string) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: dnsNames[0]},
		DNSNames:     dnsNames,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
}

func serviceAccountToken(ctx context.Context, t *testing.T, admin *rest.Config, ns, sa string) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa, &authnv1.TokenRequest{
		Spec: authnv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3607))}, // the kubelet's projected token
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", ns, sa, err)
	}
	return tr.Status.Token
}

// pod is the Deployment's Pod, its one container running as a process.
type pod struct {
	name, namespace, serviceAccount string
	labels                          map[string]string
	container                       corev1.Container
	argv                            []string
	token                           string
	logFile                         string

	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
	stopOnce sync.Once
}

// startPod does for the Deployment's Pod template what the kubelet and a container
// runtime would, as far as a process on this machine can.
func startPod(ctx context.Context, t *testing.T, admin *rest.Config, c client.Client, u *unstructured.Unstructured, nodeIP string) *pod {
	t.Helper()
	var dep appsv1.Deployment
	if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &dep); err != nil {
		t.Fatal(err)
	}
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 || len(spec.InitContainers) != 0 {
		t.Fatalf("the Deployment's Pod has %d containers and %d init containers; the test runs exactly one container", len(spec.Containers), len(spec.InitContainers))
	}
	if dep.Spec.Replicas != nil && *dep.Spec.Replicas != 1 {
		t.Logf("the Deployment asks for %d replicas; one runs here (one host network)", *dep.Spec.Replicas)
	}
	ctr := spec.Containers[0]
	p := &pod{
		name: dep.Name + "-0", namespace: dep.Namespace, serviceAccount: spec.ServiceAccountName,
		labels: dep.Spec.Template.Labels, container: ctr, done: make(chan struct{}),
	}
	if p.serviceAccount == "" {
		p.serviceAccount = "default"
	}
	dir := t.TempDir()
	rootfs := filepath.Join(dir, "rootfs")
	cfg := unpackImage(t, rootfs)

	// The command: the container's command and args over the image's entrypoint and cmd.
	switch {
	case len(ctr.Command) > 0:
		p.argv = append(append([]string{}, ctr.Command...), ctr.Args...)
	case len(ctr.Args) > 0:
		p.argv = append(append([]string{}, cfg.Entrypoint...), ctr.Args...)
	default:
		p.argv = append(append([]string{}, cfg.Entrypoint...), cfg.Cmd...)
	}
	if len(p.argv) == 0 {
		t.Fatal("the container has no command and the image no entrypoint")
	}
	if len(ctr.Command) > 0 && strings.Join(ctr.Command, " ") != strings.Join(cfg.Entrypoint, " ") {
		t.Errorf("the Deployment's command %q is not the image's entrypoint %q", ctr.Command, cfg.Entrypoint)
	}

	// The user: the securityContext's, else the image's; runAsNonRoot checked as the
	// kubelet does.
	uid, gid := parseUser(t, cfg.User)
	psc, csc := spec.SecurityContext, ctr.SecurityContext
	if psc != nil && psc.RunAsUser != nil {
		uid = int(*psc.RunAsUser)
	}
	if csc != nil && csc.RunAsUser != nil {
		uid = int(*csc.RunAsUser)
	}
	if psc != nil && psc.RunAsGroup != nil {
		gid = int(*psc.RunAsGroup)
	}
	if csc != nil && csc.RunAsGroup != nil {
		gid = int(*csc.RunAsGroup)
	}
	nonRoot := (psc != nil && psc.RunAsNonRoot != nil && *psc.RunAsNonRoot) || (csc != nil && csc.RunAsNonRoot != nil && *csc.RunAsNonRoot)
	if nonRoot && uid == 0 {
		t.Fatalf("runAsNonRoot, and the container would run as root: the kubelet refuses to start it")
	}
	if !nonRoot {
		t.Errorf("the Pod does not set runAsNonRoot")
	}

	// Volumes: the ServiceAccount's token, and the container's mounts.
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		p.token = serviceAccountToken(ctx, t, admin, p.namespace, p.serviceAccount)
		writeVolume(t, rootfs, "/var/run/secrets/kubernetes.io/serviceaccount", map[string][]byte{
			"token": []byte(p.token), "ca.crt": admin.CAData, "namespace": []byte(p.namespace),
		}, 0o644)
	} else {
		t.Fatal("automountServiceAccountToken is false: the manager has no credentials in a cluster")
	}
	for _, m := range ctr.VolumeMounts {
		var vol *corev1.Volume
		for i := range spec.Volumes {
			if spec.Volumes[i].Name == m.Name {
				vol = &spec.Volumes[i]
			}
		}
		if vol == nil {
			t.Fatalf("volumeMount %s names no volume", m.Name)
		}
		switch {
		case vol.Secret != nil:
			var s corev1.Secret
			if err := c.Get(ctx, client.ObjectKey{Namespace: p.namespace, Name: vol.Secret.SecretName}, &s); err != nil {
				t.Fatalf("volume %s: Secret %s: %v (the kubelet would wait for it; the Pod would not start)", m.Name, vol.Secret.SecretName, err)
			}
			writeVolume(t, rootfs, m.MountPath, keyed(t, s.Data, vol.Secret.Items), mode(vol.Secret.DefaultMode))
		case vol.ConfigMap != nil:
			var cm corev1.ConfigMap
			if err := c.Get(ctx, client.ObjectKey{Namespace: p.namespace, Name: vol.ConfigMap.Name}, &cm); err != nil {
				t.Fatalf("volume %s: ConfigMap %s: %v", m.Name, vol.ConfigMap.Name, err)
			}
			data := map[string][]byte{}
			for k, v := range cm.Data {
				data[k] = []byte(v)
			}
			writeVolume(t, rootfs, m.MountPath, keyed(t, data, vol.ConfigMap.Items), mode(vol.ConfigMap.DefaultMode))
		case vol.EmptyDir != nil:
			writeVolume(t, rootfs, m.MountPath, nil, 0o777)
		default:
			t.Fatalf("volume %s: only secret, configMap and emptyDir volumes are emulated; teach the test", m.Name)
		}
	}

	// The environment: the image's, the kubelet's, the container's.
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	for _, e := range cfg.Env {
		k, v, _ := strings.Cut(e, "=")
		set(k, v)
	}
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(admin.Host, "https://"))
	// In a cluster, the kubernetes Service's ClusterIP; here, the API server itself.
	set("KUBERNETES_SERVICE_HOST", host)
	set("KUBERNETES_SERVICE_PORT", port)
	set("KUBERNETES_SERVICE_PORT_HTTPS", port)
	set("HOSTNAME", p.name)
	if len(ctr.EnvFrom) > 0 {
		t.Fatal("envFrom is not emulated; teach the test")
	}
	for _, e := range ctr.Env {
		v := e.Value
		if f := e.ValueFrom; f != nil {
			v = valueFrom(ctx, t, c, p, ctr, f, nodeIP)
		}
		set(e.Name, expandEnv(v, env))
	}
	var environ []string
	for _, k := range order {
		environ = append(environ, k+"="+env[k])
	}

	// Its ports are the host's: they must be free.
	for _, port := range p.ports() {
		l, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			t.Fatalf("port %d is taken on this machine (%v): the manager runs in the host's network, not a Pod's", port, err)
		}
		l.Close()
	}

	workdir := ctr.WorkingDir
	if workdir == "" {
		workdir = cfg.WorkingDir
	}
	if workdir == "" {
		workdir = "/"
	}
	p.logFile = filepath.Join(dir, "manager.log")
	logf, err := os.Create(p.logFile)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = &exec.Cmd{Path: p.argv[0], Args: p.argv, Env: environ, Dir: workdir, Stdout: logf, Stderr: logf}
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: rootfs, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		p.cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	} else {
		// Unprivileged: a user namespace where this user is uid:gid.
		p.cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWUSER
		p.cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: os.Getuid(), Size: 1}}
		p.cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: os.Getgid(), Size: 1}}
		p.cmd.SysProcAttr.GidMappingsEnableSetgroups = false
		p.cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}
	}
	if err := p.cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start %q chrooted into the image as %d:%d: %v", p.argv, uid, gid, err)
	}
	logf.Close()
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	grace := 30 * time.Second
	if spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second
	}
	t.Cleanup(func() { p.stop(t, grace) })
	t.Logf("started %q as %d:%d in the image's root file system, with %d env vars", p.argv, uid, gid, len(environ))
	return p
}

// stop does what the kubelet does on deletion: SIGTERM, then SIGKILL after the grace
// period.
func (p *pod) stop(t *testing.T, grace time.Duration) {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			t.Errorf("the manager did not stop within terminationGracePeriodSeconds (%s): killed", grace)
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if t.Failed() {
			t.Logf("manager log:\n%s", p.logTail())
		}
	})
}

func (p *pod) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *pod) logTail() string {
	b, _ := os.ReadFile(p.logFile)
	if len(b) > 6000 {
		b = b[len(b)-6000:]
	}
	state := "running"
	if p.exited() {
		state = fmt.Sprintf("exited: %v", p.waitErr)
	}
	return fmt.Sprintf("--- manager (%s), last of its log:\n%s", state, b)
}

// flag is the value of --name=value in the container's argv.
func (p *pod) flag(name string) string {
	for _, a := range p.argv[1:] {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

func (p *pod) hasFlag(name string) bool {
	for _, a := range p.argv[1:] {
		if a == "--"+name || a == "--"+name+"=true" {
			return true
		}
	}
	return false
}

// ports are the container's ports and its probes'.
func (p *pod) ports() []int {
	var out []int
	for _, cp := range p.container.Ports {
		out = append(out, int(cp.ContainerPort))
	}
	for _, probe := range []*corev1.Probe{p.container.ReadinessProbe, p.container.LivenessProbe} {
		if probe != nil && probe.HTTPGet != nil && probe.HTTPGet.Port.Type == intstr.Int {
			out = append(out, probe.HTTPGet.Port.IntValue())
		}
	}
	if _, port, err := net.SplitHostPort(p.flag("metrics-bind-address")); err == nil {
		if n, err := strconv.Atoi(port); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// containerPort resolves a port by number or by the container's port name.
func (p *pod) containerPort(t *testing.T, port intstr.IntOrString) int {
	t.Helper()
	if port.Type == intstr.Int {
		return port.IntValue()
	}
	for _, cp := range p.container.Ports {
		if cp.Name == port.StrVal {
			return int(cp.ContainerPort)
		}
	}
	t.Fatalf("port %q is none of the container's", port.StrVal)
	return 0
}

// waitReady polls the readinessProbe's HTTP GET until it answers 2xx.
func (p *pod) waitReady(ctx context.Context, t *testing.T) {
	t.Helper()
	probe := p.container.ReadinessProbe
	if probe == nil || probe.HTTPGet == nil {
		t.Fatal("the container has no HTTP readinessProbe")
	}
	scheme := strings.ToLower(string(probe.HTTPGet.Scheme))
	if scheme == "" {
		scheme = "http"
	}
	url := fmt.Sprintf("%s://127.0.0.1:%d%s", scheme, p.containerPort(t, probe.HTTPGet.Port), probe.HTTPGet.Path)
	hc := &http.Client{Timeout: time.Second}
	start := time.Now()
	for {
		if resp, err := hc.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode >= 200 && resp.StatusCode < 400 {
				t.Logf("ready (%s) %s after start", url, time.Since(start).Round(10*time.Millisecond))
				return
			}
		}
		if p.exited() || ctx.Err() != nil {
			t.Fatalf("the readinessProbe %s never passed\n%s", url, p.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// publishEndpoints does what the EndpointSlice controller does for a ready Pod: an
// EndpointSlice for each rendered Service whose selector matches the Pod's labels,
// its ports resolved against the container's, at the node's address.
func publishEndpoints(ctx context.Context, t *testing.T, c client.Client, objs []*unstructured.Unstructured, p *pod, ip string) {
	t.Helper()
	n := 0
	for _, o := range objs {
		if o.GetKind() != "Service" || o.GetNamespace() != p.namespace {
			continue
		}
		var svc corev1.Service
		if err := k8sruntime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &svc); err != nil {
			t.Fatal(err)
		}
		if len(svc.Spec.Selector) == 0 {
			continue
		}
		matches := true
		for k, v := range svc.Spec.Selector {
			matches = matches && p.labels[k] == v
		}
		if !matches {
			t.Errorf("Service %s selects %v, which the Pod's labels %v do not match", svc.Name, svc.Spec.Selector, p.labels)
			continue
		}
		slice := &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: svc.Name + "-installed", Namespace: svc.Namespace,
				Labels: map[string]string{discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: "test-installed"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Endpoints: []discoveryv1.Endpoint{{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)},
				TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: p.namespace, Name: p.name}}},
		}
		for _, sp := range svc.Spec.Ports {
			target := sp.TargetPort
			if target.Type == intstr.Int && target.IntValue() == 0 {
				target = intstr.FromInt32(sp.Port)
			}
			slice.Ports = append(slice.Ports, discoveryv1.EndpointPort{
				Name: ptr(sp.Name), Protocol: ptr(sp.Protocol), Port: ptr(int32(p.containerPort(t, target))),
			})
		}
		if err := c.Create(ctx, slice); err != nil {
			t.Fatalf("EndpointSlice of %s: %v", svc.Name, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no rendered Service selects the Pod")
	}
}

func parseUser(t *testing.T, user string) (int, int) {
	t.Helper()
	u, g, _ := strings.Cut(user, ":")
	uid, err := strconv.Atoi(u)
	if err != nil {
		t.Fatalf("the image's user %q is not numeric: runAsNonRoot cannot be verified", user)
	}
	gid := uid
	if g != "" {
		if gid, err = strconv.Atoi(g); err != nil {
			t.Fatalf("the image's group %q is not numeric", g)
		}
	}
	return uid, gid
}

func mode(m *int32) os.FileMode {
	if m == nil {
		return 0o644 // the kubelet's default
	}
	return os.FileMode(*m)
}

func keyed(t *testing.T, data map[string][]byte, items []corev1.KeyToPath) map[string][]byte {
	t.Helper()
	if len(items) == 0 {
		return data
	}
	out := map[string][]byte{}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			t.Fatalf("volume item %s: no such key", it.Key)
		}
		out[it.Path] = v
	}
	return out
}

// writeVolume puts files at mountPath in the root file system, as a mount would show
// them (readable by the container's user).
func writeVolume(t *testing.T, rootfs, mountPath string, files map[string][]byte, m os.FileMode) {
	t.Helper()
	dir := filepath.Join(rootfs, filepath.FromSlash(mountPath))
	if !strings.HasPrefix(dir, rootfs+string(filepath.Separator)) {
		t.Fatalf("mountPath %s leaves the root", mountPath)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if m == 0o777 {
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
	}
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, m); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
}

func valueFrom(ctx context.Context, t *testing.T, c client.Client, p *pod, ctr corev1.Container, f *corev1.EnvVarSource, nodeIP string) string {
	t.Helper()
	switch {
	case f.FieldRef != nil:
		switch f.FieldRef.FieldPath {
		case "metadata.name":
			return p.name
		case "metadata.namespace":
			return p.namespace
		case "spec.serviceAccountName":
			return p.serviceAccount
		case "spec.nodeName":
			return "envtest-node"
		case "status.podIP", "status.hostIP":
			return nodeIP
		}
		if k, ok := strings.CutPrefix(f.FieldRef.FieldPath, "metadata.labels['"); ok {
			return p.labels[strings.TrimSuffix(k, "']")]
		}
		t.Fatalf("env fieldRef %s is not emulated; teach the test", f.FieldRef.FieldPath)
	case f.ResourceFieldRef != nil:
		var q resource.Quantity
		switch f.ResourceFieldRef.Resource {
		case "limits.cpu":
			q = ctr.Resources.Limits[corev1.ResourceCPU]
		case "limits.memory":
			q = ctr.Resources.Limits[corev1.ResourceMemory]
		case "requests.cpu":
			q = ctr.Resources.Requests[corev1.ResourceCPU]
		case "requests.memory":
			q = ctr.Resources.Requests[corev1.ResourceMemory]
		default:
			t.Fatalf("env resourceFieldRef %s is not emulated", f.ResourceFieldRef.Resource)
		}
		divisor := f.ResourceFieldRef.Divisor
		if divisor.IsZero() {
			divisor = resource.MustParse("1")
		}
		// As the kubelet: the quantity in divisors, rounded up.
		n := (q.MilliValue() + divisor.MilliValue() - 1) / divisor.MilliValue()
		return strconv.FormatInt(n, 10)
	case f.SecretKeyRef != nil:
		var s corev1.Secret
		if err := c.Get(ctx, client.ObjectKey{Namespace: p.namespace, Name: f.SecretKeyRef.Name}, &s); err != nil {
			t.Fatalf("env secretKeyRef %s: %v", f.SecretKeyRef.Name, err)
		}
		return string(s.Data[f.SecretKeyRef.Key])
	case f.ConfigMapKeyRef != nil:
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: p.namespace, Name: f.ConfigMapKeyRef.Name}, &cm); err != nil {
			t.Fatalf("env configMapKeyRef %s: %v", f.ConfigMapKeyRef.Name, err)
		}
		return cm.Data[f.ConfigMapKeyRef.Key]
	}
	t.Fatal("an env valueFrom the test does not know")
	return ""
}

// expandEnv expands $(VAR) references to earlier variables, as the kubelet does.
func expandEnv(v string, env map[string]string) string {
	for k, val := range env {
		v = strings.ReplaceAll(v, "$("+k+")", val)
	}
	return v
}

// imageConfig is what the container runtime reads from the image's config.
type imageConfig struct {
	Entrypoint, Cmd, Env []string
	User, WorkingDir     string
}

// unpackImage lays out the image built in TestMain (this machine's platform) in dir:
// its layers in order, owners kept when running as root; the root readable by anyone.
func unpackImage(t *testing.T, dir string) imageConfig {
	t.Helper()
	img, err := tarball.ImageFromPath(imageTar, nil)
	if err != nil {
		t.Fatalf("read the image: %v", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The container's user must get to its root (after chroot, only the root's own
	// permissions count).
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, filepath.FromSlash(h.Name))
			if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
				t.Fatalf("layer entry %q leaves the root", h.Name)
			}
			perm := os.FileMode(h.Mode & 0o777)
			if h.Mode&0o1000 != 0 {
				perm |= os.ModeSticky
			}
			switch h.Typeflag {
			case tar.TypeDir:
				err = os.MkdirAll(p, 0o755)
			case tar.TypeReg:
				var b []byte
				if b, err = io.ReadAll(tr); err == nil {
					if err = os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
						err = os.WriteFile(p, b, 0o600)
					}
				}
			default:
				t.Fatalf("layer entry %q of type %c: not expected in this image", h.Name, h.Typeflag)
			}
			if err == nil {
				err = os.Chmod(p, perm)
			}
			if err == nil && os.Geteuid() == 0 {
				err = os.Lchown(p, h.Uid, h.Gid)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		rc.Close()
	}
	return imageConfig{Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd, Env: cf.Config.Env,
		User: cf.Config.User, WorkingDir: cf.Config.WorkingDir}
}
