package install_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/localenv"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// The chart's `helm test` against a real API server with the webhook configuration: its
// ServiceAccount, Role and RoleBinding created as rendered, its Pod's command run as that
// ServiceAccount's user (what a kubelet would run, less the container). With no manager
// serving the webhooks it fails, naming the webhook; with one it passes; it stores
// nothing.
func TestHelmTestHookAgainstTheAPIServer(t *testing.T) {
	ctx := context.Background()
	env, err := testenv.Start(testenv.Options{Webhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()
	dir := t.TempDir()
	bin, operatorKubeconfig, err := env.PrepareManager(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}

	hooks := helmHooks(t, nil)
	pod := the(t, hooks, "Pod")
	if err := env.Client.Create(ctx, &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace}}}); err != nil {
		t.Fatal(err)
	}
	for _, h := range hooks {
		if h.kind() == "Pod" {
			continue
		}
		if err := env.Client.Create(ctx, &unstructured.Unstructured{Object: h}); err != nil {
			t.Fatalf("create %s: %v", h.key(), err)
		}
	}
	sa := get(pod, "spec", "serviceAccountName").(string)
	user, err := env.AddUser(envtest.User{
		Name:   "system:serviceaccount:" + namespace + ":" + sa,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	podKubeconfig := filepath.Join(dir, "helm-test.kubeconfig")
	if err := localenv.WriteKubeconfig(podKubeconfig, user.Config()); err != nil {
		t.Fatal(err)
	}
	container := get(pod, "spec", "containers", 0)
	if cmd := get(container, "command").([]any); len(cmd) != 1 || cmd[0] != "/manager" {
		t.Fatalf("the test Pod runs %v, not the manager", cmd)
	}
	run := func(extra ...string) (string, error) {
		var args []string
		for _, a := range get(container, "args").([]any) {
			args = append(args, a.(string))
		}
		cmd := exec.Command(bin, append(args, extra...)...)
		cmd.Env = append(os.Environ(), "KUBECONFIG="+podKubeconfig)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run("--timeout=3s")
	if err == nil || !strings.Contains(out, "failed calling webhook") {
		t.Errorf("with no manager serving the webhooks: err %v, output:\n%s\nwant a failure naming the webhook", err, out)
	}

	hooksOpts := env.WebhookInstallOptions
	logPath := filepath.Join(dir, "manager.log")
	m, err := testenv.StartManager(bin, operatorKubeconfig, logPath,
		"--enable-webhooks=true", "--webhook-port="+strconv.Itoa(hooksOpts.LocalServingPort), "--webhook-cert-path="+hooksOpts.LocalServingCertDir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	out, err = run()
	if err != nil || !strings.Contains(out, "the mutating and validating webhooks answer") {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("with the manager serving: err %v, output:\n%s\nmanager log (last 4KiB):\n%s", err, out, b[max(0, len(b)-4096):])
	}
	t.Logf("helm test: %s", strings.TrimSpace(out))

	var roles v1alpha1.WorkCenterRoleList
	if err := env.Client.List(ctx, &roles, client.InNamespace(namespace)); err != nil {
		t.Fatal(err)
	}
	if len(roles.Items) != 0 {
		t.Errorf("the helm test stored %d WorkCenterRoles in %s", len(roles.Items), namespace)
	}
}
