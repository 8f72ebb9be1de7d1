package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

// The authorizer (internal/authorizer, docs/authorization.md) in the local control
// plane: kube-apiserver starts with --authorization-config, the AuthorizationConfiguration
// of config/authorization with its webhook pointed at the manager's webhook server on
// loopback, as a cluster's API server is pointed at the webhook Service.
//
// The API server reads the webhook's CA when it starts, so the webhook server's
// certificate must exist before: envtest's webhook install options are prepared (CA,
// serving certificate, port) before the control plane starts, and the webhook
// configurations installed after, with that same CA.

// AuthorizationConfigPath is config/authorization's AuthorizationConfiguration.
func AuthorizationConfigPath(repoRoot string) string {
	return filepath.Join(repoRoot, "config", "authorization", "authorization-config.yaml")
}

// authorizerFiles are the API server's authorization configuration and the webhook's
// kubeconfig, written to dir.
type authorizerFiles struct {
	dir, config string
}

// prepareAuthorizer prepares wio (its CA, certificate and port, as Install would) and
// writes config/authorization's AuthorizationConfiguration, its webhook's kubeconfig
// pointing at https://host:port/authorize with wio's CA, into a new directory.
func prepareAuthorizer(repoRoot string, wio *envtest.WebhookInstallOptions) (_ *authorizerFiles, retErr error) {
	if err := wio.PrepWithoutInstalling(); err != nil {
		return nil, fmt.Errorf("preparing the webhook server's certificate: %w", err)
	}
	data, err := os.ReadFile(AuthorizationConfigPath(repoRoot))
	if err != nil {
		return nil, err
	}
	var cfg apiserverv1.AuthorizationConfiguration
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", AuthorizationConfigPath(repoRoot), err)
	}
	dir, err := os.MkdirTemp("", "localenv-authorization-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			_ = os.RemoveAll(dir)
		}
	}()
	kubeconfig := filepath.Join(dir, "authorizer-kubeconfig.yaml")
	hooks := 0
	for _, a := range cfg.Authorizers {
		if a.Webhook != nil {
			a.Webhook.ConnectionInfo.KubeConfigFile = &kubeconfig
			hooks++
		}
	}
	if hooks != 1 {
		return nil, fmt.Errorf("%s has %d webhooks, want the authorizer's", AuthorizationConfigPath(repoRoot), hooks)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["workcenter-operator"] = &clientcmdapi.Cluster{
		Server:                   "https://" + wio.LocalServingHost + ":" + strconv.Itoa(wio.LocalServingPort) + "/authorize",
		CertificateAuthorityData: wio.LocalServingCAData,
	}
	kc.AuthInfos["kube-apiserver"] = &clientcmdapi.AuthInfo{}
	kc.Contexts["workcenter-operator"] = &clientcmdapi.Context{Cluster: "workcenter-operator", AuthInfo: "kube-apiserver"}
	kc.CurrentContext = "workcenter-operator"
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		return nil, err
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	f := &authorizerFiles{dir: dir, config: filepath.Join(dir, "authorization-config.yaml")}
	if err := os.WriteFile(f.config, out, 0o600); err != nil {
		return nil, err
	}
	return f, nil
}

// configure makes the API server authorize with the files: --authorization-config
// instead of envtest's --authorization-mode=RBAC (they exclude each other).
func (f *authorizerFiles) configure(s *envtest.APIServer) {
	s.Configure().Disable("authorization-mode").Set("authorization-config", f.config)
}

func (f *authorizerFiles) remove() error {
	if f == nil {
		return nil
	}
	return os.RemoveAll(f.dir)
}

// StopManager stops the operator's manager, and so the webhook server the API server
// asks, leaving the control plane up: what an outage of the operator looks like to the
// API server. The environment's Stop still stops the rest.
func (e *Env) StopManager() error {
	if e.cancel == nil {
		return errors.New("the manager is not running")
	}
	e.cancel()
	select {
	case <-e.mgrDone:
	case <-time.After(30 * time.Second):
		return errors.New("the manager did not stop within 30s")
	}
	if err := e.mgrErr; err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}
