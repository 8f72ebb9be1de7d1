// Package testenv is the one envtest harness of the project's suites (controllers,
// webhooks, CRD schema, scale): it starts a real kube-apiserver and etcd once per suite
// with the CRDs from config/crd/bases and, optionally, the webhook configuration from
// config/webhook (both found from the repository root, wherever the suite runs); it
// registers the scheme, gives a direct admin client for fixtures and assertions (never
// a manager's cache), and gives the operator's identity, bound only to the ClusterRole
// generated from the RBAC markers (config/rbac/role.yaml), so a missing marker fails
// every suite that runs the manager. The kstatus invariants that the suites check after
// their assertions are in the sibling package kstatus. Only tests import it.
package testenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/localenv"
	"github.com/workcenter-io/workcenter-operator/internal/testenv/kstatus"
)

// OperatorUsername is who the operator runs as in the suites: the ServiceAccount that
// config/default deploys it as.
const OperatorUsername = localenv.OperatorUsername

// Scheme holds client-go's types and the API's.
var Scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}()

// Options choose what the environment installs.
type Options struct {
	// Webhooks installs config/webhook; the suite serves it on Env.WebhookInstallOptions'
	// LocalServingHost, LocalServingPort and LocalServingCertDir.
	Webhooks bool
	// Scheme replaces Scheme (for a suite that needs more types).
	Scheme *runtime.Scheme
	// Restartable keeps etcd's data and the API server's certificates in directories of
	// the Env's own, so that StopControlPlane and StartControlPlane restart both on the
	// same data, ports and certificates: clients and kubeconfigs keep working.
	Restartable bool
	// AuditLog, when set, is where the API server writes its audit log (JSON lines, one
	// per request at ResponseComplete): every write (create, update, patch, delete) with
	// its user agent and times, at Metadata level, and the Namespaces' writes with their
	// request body. A suite tells there who wrote what, and when, as the API server saw it.
	AuditLog string
}

// auditPolicy is the audit policy of Options.AuditLog.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Request
  resources: [{group: "", resources: [namespaces]}]
  verbs: [create, update, patch, delete]
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
`

// Env is a started control plane.
type Env struct {
	*envtest.Environment
	// Root is the repository root.
	Root string
	// Config is the admin's.
	Config *rest.Config
	// Client is the admin's direct client: fixtures and assertions.
	Client client.Client
	Scheme *runtime.Scheme
	// namespaces created by NewNamespace since the last KStatusViolations.
	namespaces []string
	// dirs to remove on Stop (Restartable).
	dirs []string
}

// Start starts the control plane with the CRDs (and the webhook configuration). The
// binaries come from KUBEBUILDER_ASSETS, or else from what `make envtest` built into
// bin/k8s/, so a suite also runs from an editor.
func Start(opts Options) (*Env, error) {
	root, err := localenv.FindRepoRoot(".")
	if err != nil {
		return nil, err
	}
	scheme := opts.Scheme
	if scheme == nil {
		scheme = Scheme
	}
	e := &Env{Root: root, Scheme: scheme, Environment: &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: builtAssets(root),
	}}
	if opts.Restartable {
		data, err := os.MkdirTemp("", "testenv-etcd-")
		if err != nil {
			return nil, err
		}
		certs, err := os.MkdirTemp("", "testenv-apiserver-")
		if err != nil {
			return nil, err
		}
		e.dirs = []string{data, certs}
		e.ControlPlane.Etcd = &envtest.Etcd{DataDir: data}
		e.ControlPlane.APIServer = &envtest.APIServer{CertDir: certs}
		// With watches open, the API server stops listening at once but never exits on
		// its own: it is given this long, then killed.
		e.ControlPlaneStopTimeout = 2 * time.Second
	}
	if opts.AuditLog != "" {
		policy := opts.AuditLog + ".policy.yaml"
		if err := os.WriteFile(policy, []byte(auditPolicy), 0o644); err != nil {
			return nil, err
		}
		e.ControlPlane.GetAPIServer().Configure().
			Set("audit-policy-file", policy).Set("audit-log-path", opts.AuditLog).Set("audit-log-format", "json")
	}
	if opts.Webhooks {
		e.WebhookInstallOptions = envtest.WebhookInstallOptions{Paths: []string{filepath.Join(root, "config", "webhook")}}
	}
	if e.Config, err = e.Environment.Start(); err != nil {
		return nil, err
	}
	if e.Client, err = client.New(e.Config, client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	return e, nil
}

// builtAssets is the control plane `make envtest` built, "" when there is none.
// KUBEBUILDER_ASSETS, when set (as `make test` does), takes precedence.
func builtAssets(root string) string {
	found, _ := filepath.Glob(filepath.Join(root, "bin", "k8s", "*", "kube-apiserver"))
	if len(found) == 0 {
		return ""
	}
	return filepath.Dir(found[len(found)-1])
}

// Stop stops the control plane.
func (e *Env) Stop() error {
	if e == nil || e.Environment == nil {
		return nil
	}
	err := e.Environment.Stop()
	for _, d := range e.dirs {
		_ = os.RemoveAll(d)
	}
	return err
}

// StopControlPlane stops the API server, then etcd, as an outage would, keeping their
// data (Options.Restartable); StartControlPlane starts them again on it.
func (e *Env) StopControlPlane() error {
	if len(e.dirs) == 0 {
		return fmt.Errorf("the control plane was not started Restartable")
	}
	// A timeout is the API server killed after ControlPlaneStopTimeout: stopped all the same.
	if err := e.ControlPlane.APIServer.Stop(); err != nil && !strings.HasPrefix(err.Error(), "timeout waiting for process") {
		return err
	}
	return e.ControlPlane.Etcd.Stop()
}

// StartControlPlane starts etcd, then the API server, on the data, ports and
// certificates they had, and returns once the API server is healthy.
func (e *Env) StartControlPlane() error {
	if err := e.ControlPlane.Etcd.Start(); err != nil {
		return err
	}
	return e.ControlPlane.APIServer.Start()
}

// Operator returns a config that authenticates as OperatorUsername, bound to the
// ClusterRole generated in config/rbac/role.yaml and to nothing else, without
// client-side throttling (the default of 5 QPS would slow the manager, not the API).
func (e *Env) Operator(ctx context.Context) (*rest.Config, error) {
	if err := localenv.BindGeneratedRole(ctx, e.Client, e.Root, OperatorUsername); err != nil {
		return nil, err
	}
	user, err := e.AddUser(envtest.User{Name: OperatorUsername}, &rest.Config{QPS: 1000, Burst: 2000})
	if err != nil {
		return nil, err
	}
	return user.Config(), nil
}

// NewNamespace creates a namespace with a generated name starting with prefix.
// The namespace is remembered until the next KStatusViolations.
func (e *Env) NewNamespace(ctx context.Context, prefix string) (string, error) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix}}
	if err := e.Client.Create(ctx, ns); err != nil {
		return "", err
	}
	e.namespaces = append(e.namespaces, ns.Name)
	return ns.Name, nil
}

// KStatusViolations checks every object of the namespaces created since the last call
// against the kstatus invariants (kstatus.NamespaceViolations), and forgets them: a
// suite calls it after each spec's own assertions.
func (e *Env) KStatusViolations(ctx context.Context) ([]string, error) {
	var out []string
	for _, ns := range e.namespaces {
		v, err := kstatus.NamespaceViolations(ctx, e.Client, ns)
		if err != nil {
			return nil, err
		}
		out = append(out, v...)
	}
	e.namespaces = nil
	return out, nil
}

// BindLeaderElection gives the operator's user the leader election Role of
// config/rbac/leader_election_role.yaml in namespace (created if missing), as
// config/default does in the manager's namespace: with Operator's ClusterRole, exactly
// what a manager run with --leader-elect may do.
func (e *Env) BindLeaderElection(ctx context.Context, namespace string) error {
	data, err := os.ReadFile(filepath.Join(e.Root, "config", "rbac", "leader_election_role.yaml"))
	if err != nil {
		return err
	}
	var role rbacv1.Role
	if err := yaml.Unmarshal(data, &role); err != nil {
		return fmt.Errorf("config/rbac/leader_election_role.yaml: %w", err)
	}
	role.Namespace = namespace
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: role.Name + "-binding"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: OperatorUsername}},
	}
	for _, o := range []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}, &role, binding} {
		if err := e.Client.Create(ctx, o); client.IgnoreAlreadyExists(err) != nil {
			return err
		}
	}
	return nil
}
