// Package localenv runs a local control plane for the operator: etcd and
// kube-apiserver built from source (`make envtest`), started on loopback through
// controller-runtime's envtest, with the CRDs and, when config/webhook/manifests.yaml
// exists, the validating webhook configuration installed and pointed at the manager's
// in-process webhook server. It creates and starts that manager; what runs in it, the
// operator's controllers and webhooks, is the caller's (Options.Operator). `make
// run-local` (hack/run-local) and the end-to-end suite (test/e2e) both use it, with the
// same operator, so the suite exercises exactly what a developer runs.
//
// Two identities are provisioned: the operator's (OperatorUsername), which the manager
// runs as, bound only to the ClusterRole generated in config/rbac/role.yaml (what an
// install from config/default gives it), and "admin" in system:masters, whose
// kubeconfig is written for kubectl, so that kubectl is subject to the same admission
// rules as any platform engineer.
package localenv

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	crwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

const (
	// OperatorUsername is the identity the in-process manager runs as: the name the
	// operator's ServiceAccount has in a cluster installed from config/default.
	OperatorUsername = "system:serviceaccount:workcenter-operator-system:workcenter-operator-controller-manager"
	// AdminUsername is the kubectl user written to the kubeconfig.
	AdminUsername = "admin"
	// contextName names the cluster, user and context in the kubeconfig.
	contextName = "workcenter-local"
)

// Options configure Start.
type Options struct {
	// RepoRoot holds config/crd/bases, config/webhook and config/samples. Required.
	RepoRoot string
	// AssetsDir holds kube-apiserver, etcd and kubectl; FindAssetsDir(RepoRoot) when empty.
	AssetsDir string
	// Address and Port the apiserver listens on; 127.0.0.1 and any free port by default.
	Address string
	Port    int
	// KubeconfigPath is where the admin kubeconfig is written. Required. Stop removes it.
	KubeconfigPath string
	// StartTimeout bounds the start of etcd and of kube-apiserver, each (default 60s).
	StartTimeout time.Duration
	// Operator adds the operator to the manager before it starts. Required.
	Operator Operator
	// Authorizer starts kube-apiserver with --authorization-config: config/authorization's
	// chain, its webhook pointed at the manager's webhook server (/authorize), which
	// Operator must then serve (internal/authorizer). Only with the webhooks (see
	// Env.Webhooks); without them it is ignored.
	Authorizer bool
}

// Operator adds the operator's controllers to mgr and, when webhooks is true, its
// admission webhooks: the API server then calls them, and the webhooks are to treat
// OperatorUsername, whom mgr runs as, as the operator. ctx ends when Env.Stop stops
// the manager.
type Operator func(ctx context.Context, mgr ctrl.Manager, webhooks bool) error

// Env is a running local environment.
type Env struct {
	// Port the apiserver listens on, and its URL.
	Port int
	Host string
	// KubeconfigPath is the admin user's kubeconfig (absolute); KubectlPath the kubectl
	// binary from the assets directory.
	KubeconfigPath string
	KubectlPath    string
	// Webhooks tells whether the validating webhooks are installed and served.
	Webhooks bool
	// Client is a direct (uncached) admin client.
	Client client.Client
	// AuthorizationConfig is the AuthorizationConfiguration kube-apiserver was started
	// with (Options.Authorizer); "" when it authorizes with RBAC alone.
	AuthorizationConfig string
	// WebhookURL is the manager's webhook server (https://127.0.0.1:PORT) and WebhookCA
	// the CA of its certificate, when Webhooks.
	WebhookURL string
	WebhookCA  []byte

	repoRoot string
	testEnv  *envtest.Environment
	authz    *authorizerFiles
	cancel   context.CancelFunc
	mgrDone  chan struct{} // closed when the manager has returned, with mgrErr set
	mgrErr   error
	started  bool // the manager was started
}

// Scheme knows the built-in kinds and the access.workcenter.io kinds.
func Scheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}

// WebhookManifests is the generated webhook configuration; webhooks are installed
// and served only when it exists.
func WebhookManifests(repoRoot string) string {
	return filepath.Join(repoRoot, "config", "webhook", "manifests.yaml")
}

// Start runs Preflight, starts etcd and kube-apiserver, installs the CRDs (and the
// webhook configuration), writes the admin kubeconfig and starts the manager with what
// Options.Operator adds. It returns once the webhook server, when there is one,
// answers. On error everything started is stopped again.
func Start(ctx context.Context, opts Options) (_ *Env, retErr error) {
	if opts.RepoRoot == "" || opts.KubeconfigPath == "" || opts.Operator == nil {
		return nil, errors.New("localenv: RepoRoot, KubeconfigPath and Operator are required")
	}
	if opts.AssetsDir == "" {
		opts.AssetsDir = FindAssetsDir(opts.RepoRoot)
	}
	if opts.Address == "" {
		opts.Address = "127.0.0.1"
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	kubeconfig, err := filepath.Abs(opts.KubeconfigPath)
	if err != nil {
		return nil, err
	}
	if err := Preflight(opts.AssetsDir, opts.Address, opts.Port); err != nil {
		return nil, err
	}

	scheme := Scheme()
	apiServer := &envtest.APIServer{}
	if opts.Port != 0 {
		apiServer.SecureServing.ListenAddr = envtest.ListenAddr{Address: opts.Address, Port: strconv.Itoa(opts.Port)}
	}
	apiServer.Path = filepath.Join(opts.AssetsDir, "kube-apiserver")
	testEnv := &envtest.Environment{
		Scheme: scheme,
		ControlPlane: envtest.ControlPlane{
			APIServer:   apiServer,
			Etcd:        &envtest.Etcd{Path: filepath.Join(opts.AssetsDir, "etcd")},
			KubectlPath: filepath.Join(opts.AssetsDir, "kubectl"),
		},
		BinaryAssetsDirectory:    opts.AssetsDir,
		CRDDirectoryPaths:        []string{filepath.Join(opts.RepoRoot, "config", "crd", "bases")},
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: opts.StartTimeout,
		ControlPlaneStopTimeout:  30 * time.Second,
	}
	webhooks := isFile(WebhookManifests(opts.RepoRoot))
	wio := envtest.WebhookInstallOptions{
		Paths:            []string{filepath.Dir(WebhookManifests(opts.RepoRoot))},
		LocalServingHost: "127.0.0.1",
	}
	var authz *authorizerFiles
	switch {
	case webhooks && opts.Authorizer:
		// The webhook server's CA, before the API server starts (authorizer.go); the
		// webhook configurations are installed once it runs.
		if authz, err = prepareAuthorizer(opts.RepoRoot, &wio); err != nil {
			_ = wio.Cleanup()
			return nil, err
		}
		authz.configure(apiServer)
	case webhooks:
		testEnv.WebhookInstallOptions = wio
	}
	if _, err := testEnv.Start(); err != nil {
		_ = testEnv.Stop()
		_ = authz.remove()
		if authz != nil {
			_ = wio.Cleanup()
		}
		return nil, fmt.Errorf("starting the control plane: %w", err)
	}
	if authz != nil {
		// envtest prepared empty webhook options of its own: the prepared ones take their
		// place, and testEnv.Stop cleans them up.
		_ = testEnv.WebhookInstallOptions.Cleanup()
		testEnv.WebhookInstallOptions = wio
	}
	env := &Env{
		KubeconfigPath: kubeconfig,
		KubectlPath:    testEnv.ControlPlane.KubectlPath,
		Webhooks:       webhooks,
		repoRoot:       opts.RepoRoot,
		testEnv:        testEnv,
		authz:          authz,
		mgrDone:        make(chan struct{}),
	}
	if authz != nil {
		env.AuthorizationConfig = authz.config
	}
	defer func() {
		if retErr != nil {
			_ = env.Stop()
		}
	}()
	if authz != nil {
		if err := testEnv.WebhookInstallOptions.Install(testEnv.Config); err != nil {
			return nil, fmt.Errorf("installing the webhook configurations: %w", err)
		}
	}
	env.Port, _ = strconv.Atoi(apiServer.SecureServing.Port)
	env.Host = apiServer.SecureServing.URL("https", "").String()

	base := &rest.Config{QPS: 200, Burst: 400}
	admin, err := testEnv.AddUser(envtest.User{Name: AdminUsername, Groups: []string{"system:masters"}}, base)
	if err != nil {
		return nil, fmt.Errorf("provisioning the admin user: %w", err)
	}
	if err := WriteKubeconfig(kubeconfig, admin.Config()); err != nil {
		return nil, err
	}
	if env.Client, err = client.New(admin.Config(), client.Options{Scheme: scheme}); err != nil {
		return nil, err
	}
	// The operator has exactly what config/default gives it: the generated ClusterRole.
	if err := BindGeneratedRole(ctx, env.Client, opts.RepoRoot, OperatorUsername); err != nil {
		return nil, err
	}
	operator, err := testEnv.AddUser(envtest.User{Name: OperatorUsername, Groups: []string{"system:serviceaccounts"}}, base)
	if err != nil {
		return nil, fmt.Errorf("provisioning the operator's user: %w", err)
	}

	http1 := func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }
	mgrOpts := ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	}
	if webhooks {
		wio := testEnv.WebhookInstallOptions
		env.WebhookURL = "https://" + net.JoinHostPort(wio.LocalServingHost, strconv.Itoa(wio.LocalServingPort))
		env.WebhookCA = wio.LocalServingCAData
		mgrOpts.WebhookServer = crwebhook.NewServer(crwebhook.Options{
			Host: wio.LocalServingHost, Port: wio.LocalServingPort, CertDir: wio.LocalServingCertDir,
			TLSOpts: []func(*tls.Config){http1},
		})
	}
	mgr, err := ctrl.NewManager(operator.Config(), mgrOpts)
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	mgrCtx, cancel := context.WithCancel(context.Background())
	env.cancel = cancel
	if err := opts.Operator(mgrCtx, mgr, webhooks); err != nil {
		return nil, fmt.Errorf("setting up the operator: %w", err)
	}
	env.started = true
	go func() {
		env.mgrErr = mgr.Start(mgrCtx)
		close(env.mgrDone)
	}()

	if webhooks {
		started := mgr.GetWebhookServer().StartedChecker()
		deadline := time.Now().Add(opts.StartTimeout)
		for started(nil) != nil {
			select {
			case <-env.mgrDone:
				return nil, fmt.Errorf("the manager stopped while starting: %v", env.mgrErr)
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("the webhook server did not start within %s", opts.StartTimeout)
			}
		}
	}
	return env, nil
}

// Done is closed when the manager returns, which before Stop means it failed; Err
// then tells why.
func (e *Env) Done() <-chan struct{} { return e.mgrDone }

// Err is the manager's error once Done is closed.
func (e *Env) Err() error {
	select {
	case <-e.mgrDone:
		return e.mgrErr
	default:
		return nil
	}
}

// Stop stops the manager and the control plane, removes their temporary directories
// and the kubeconfig. The apiserver's port is free again when it returns.
func (e *Env) Stop() error {
	var errs []error
	if e.cancel != nil {
		e.cancel()
		if !e.started {
			close(e.mgrDone)
		}
		select {
		case <-e.mgrDone:
			if err := e.mgrErr; err != nil && !errors.Is(err, context.Canceled) {
				errs = append(errs, fmt.Errorf("manager: %w", err))
			}
		case <-time.After(30 * time.Second):
			errs = append(errs, errors.New("manager: did not stop within 30s"))
		}
		e.cancel = nil
	}
	if e.testEnv != nil {
		if err := e.testEnv.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("control plane: %w", err))
		}
		e.testEnv = nil
	}
	if err := e.authz.remove(); err != nil {
		errs = append(errs, err)
	}
	e.authz = nil
	if e.KubeconfigPath != "" {
		if err := os.Remove(e.KubeconfigPath); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Kubectl runs the kubectl of the assets directory against the environment, as admin.
func (e *Env) Kubectl(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	return e.KubectlStdin(ctx, nil, args...)
}

// KubectlStdin is Kubectl with stdin.
func (e *Env) KubectlStdin(ctx context.Context, stdin []byte, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, e.KubectlPath, append([]string{"--kubeconfig", e.KubeconfigPath}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// ApplySamples applies config/samples with kubectl's built-in kustomize.
func (e *Env) ApplySamples(ctx context.Context) (string, error) {
	out, errOut, err := e.Kubectl(ctx, "apply", "-k", filepath.Join(e.repoRoot, "config", "samples"))
	if err != nil {
		return out, fmt.Errorf("kubectl apply -k config/samples: %v: %s", err, bytes.TrimSpace([]byte(errOut)))
	}
	return out, nil
}

// WriteKubeconfig writes cfg as a kubeconfig with one context, readable by its owner only.
func WriteKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[contextName] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[contextName] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData}
	kc.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: contextName, Namespace: "default"}
	kc.CurrentContext = contextName
	data, err := clientcmd.Write(*kc)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
