// Command run-local runs the operator on this machine with nothing installed but Go:
// etcd and kube-apiserver built from source (`make envtest`) on 127.0.0.1, the CRDs and
// the webhook configuration installed (internal/localenv), the manager in-process with
// the operator's controllers and webhooks (package operator), the samples applied and
// Ready, and a kubeconfig for kubectl. The API server authorizes with
// config/authorization's chain, which asks the operator's authorizer about
// procorem.workcenter.io (kubectl auth can-i upload files.procorem.workcenter.io/tower-a
// -n acme --as tom.becker@acme-builders.example). It stays up until SIGINT or SIGTERM, then stops
// everything and removes what it created.
//
//	make run-local
//
// Environment:
//
//	RUN_LOCAL_PORT=16443       the apiserver's port (fixed, so the kubeconfig path stays valid)
//	RUN_LOCAL_NO_SAMPLES=1     do not apply config/samples
//	RUN_LOCAL_VERBOSE=1        stream the operator's logs to stderr instead of bin/run-local/operator.log
//	KUBEBUILDER_ASSETS=dir     where kube-apiserver, etcd and kubectl are (default: bin/k8s/*)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/workcenter-io/workcenter-operator/cmd/operator"
	"github.com/workcenter-io/workcenter-operator/internal/authorizer"
	"github.com/workcenter-io/workcenter-operator/internal/localenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "run-local: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cwd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := localenv.FindRepoRoot(cwd)
	if err != nil {
		return err
	}
	port := localenv.DefaultPort
	if v := os.Getenv("RUN_LOCAL_PORT"); v != "" {
		if port, err = strconv.Atoi(v); err != nil || port <= 0 || port > 65535 {
			return fmt.Errorf("RUN_LOCAL_PORT=%q is not a TCP port", v)
		}
	}
	assets := localenv.FindAssetsDir(root)
	if assets == "" {
		assets = filepath.Join(root, "bin", "k8s")
	}
	// Fail fast, before anything starts or any file is written.
	if err := localenv.Preflight(assets, "127.0.0.1", port); err != nil {
		return err
	}

	stateDir := filepath.Join(root, "bin", "run-local")
	if err := os.MkdirAll(stateDir, 0o755); err != nil {
		return err
	}
	logPath := filepath.Join(stateDir, "operator.log")
	var logOut io.Writer = os.Stderr
	if !envBool("RUN_LOCAL_VERBOSE") {
		f, err := os.Create(logPath)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut = f
	}
	ctrl.SetLogger(zap.New(zap.WriteTo(logOut)))

	start := time.Now()
	say("starting etcd and kube-apiserver on 127.0.0.1:%d (binaries from %s)", port, rel(root, assets))
	env, err := localenv.Start(ctx, localenv.Options{
		RepoRoot:       root,
		AssetsDir:      assets,
		Port:           port,
		KubeconfigPath: filepath.Join(stateDir, "kubeconfig"),
		Operator:       setupOperator,
		Authorizer:     true,
	})
	if err != nil {
		return err
	}
	defer func() {
		say("stopping the operator and the control plane")
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "run-local: stopping: %v\n", err)
		} else {
			say("stopped; port %d is free again", env.Port)
		}
	}()
	if ctx.Err() != nil {
		return nil // interrupted while starting: just stop
	}
	if env.Webhooks && env.AuthorizationConfig != "" {
		say("operator running with its validating webhooks and the authorizer the API server asks (control plane up in %s)", time.Since(start).Round(100*time.Millisecond))
	} else if env.Webhooks {
		say("operator running with its validating webhooks (control plane up in %s)", time.Since(start).Round(100*time.Millisecond))
	} else {
		say("operator running WITHOUT admission webhooks: %s does not exist (run `make manifests`)", rel(root, localenv.WebhookManifests(root)))
	}
	if !envBool("RUN_LOCAL_VERBOSE") {
		say("operator logs: %s", rel(root, logPath))
	}

	if !envBool("RUN_LOCAL_NO_SAMPLES") {
		say("applying config/samples")
		out, err := env.ApplySamples(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		fmt.Print(indent(out))
		say("waiting for every object to be Ready")
		if err := env.WaitReady(ctx, 2*time.Minute); err != nil {
			if ctx.Err() != nil {
				return nil // interrupted while waiting: just stop
			}
			return err
		}
	}

	out, errOut, err := env.Kubectl(ctx, "get", "procorem", "-A")
	if err != nil {
		return fmt.Errorf("kubectl get procorem -A: %v: %s", err, strings.TrimSpace(errOut))
	}
	if out == "" {
		out = strings.TrimSpace(errOut) + "\n" // "No resources found"
	}
	fmt.Println()
	fmt.Print(out)
	fmt.Println()
	fmt.Printf("KUBECONFIG=%s\n", env.KubeconfigPath)
	fmt.Printf("  export KUBECONFIG=%s; kubectl get procorem -A\n", env.KubeconfigPath)
	fmt.Printf("  (kubectl is built at %s)\n", env.KubectlPath)
	if env.AuthorizationConfig != "" {
		fmt.Println("The API server asks the operator about procorem.workcenter.io (docs/authorization.md):")
		fmt.Println("  kubectl auth can-i upload files.procorem.workcenter.io/tower-a -n acme --as tom.becker@acme-builders.example")
		fmt.Println("  kubectl auth can-i create tasks.procorem.workcenter.io/tower-a -n acme --as jane.doe@steelworks-partner.example")
	}
	say("ready in %s; press Ctrl-C to stop", time.Since(start).Round(100*time.Millisecond))

	select {
	case <-ctx.Done():
		fmt.Println()
		return nil
	case <-env.Done():
		return fmt.Errorf("the operator stopped: %v", env.Err())
	}
}

// setupOperator adds the operator to run-local's manager: every controller and, when
// the control plane calls them, every webhook, which take the manager's local identity
// for the operator's.
func setupOperator(ctx context.Context, mgr ctrl.Manager, webhooks bool) error {
	opts := operator.Options{Webhooks: webhooks, OperatorUsernames: []string{localenv.OperatorUsername}}
	if webhooks {
		// The API server asks it (localenv.Options.Authorizer): docs/authorization.md.
		opts.Authorizer = &authorizer.Options{Direct: true}
	}
	return operator.Setup(ctx, mgr, opts)
}

func say(format string, args ...any) {
	fmt.Printf("run-local: "+format+"\n", args...)
}

func envBool(name string) bool {
	v, err := strconv.ParseBool(os.Getenv(name))
	return err == nil && v
}

func rel(root, p string) string {
	if r, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return "  " + strings.Join(lines, "\n  ") + "\n"
}
