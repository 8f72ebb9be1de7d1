package gitops_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/workcenter-io/workcenter-operator/controllers"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

var (
	env       *testenv.Env
	k8sClient client.Client // direct client: the objects as a GitOps tool reads them
	// stopManager stops the controllers and returns once they have stopped.
	stopManager func()
)

func TestGitOpsSuite(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "GitOps verdicts suite (kstatus and Argo CD health.lua on live objects)")
}

// The controllers run without the admission webhooks: every shape here is one the
// controllers write, including those admission refuses as a create but that a later
// change elsewhere brings about (a category removed from the picklist, a role that
// becomes member-only, an object created before the webhooks were installed).
var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	// Generous: `go test ./...` runs other envtest suites alongside on a small machine.
	SetDefaultEventuallyTimeout(envDuration("GITOPS_TIMEOUT", 60*time.Second))
	SetDefaultEventuallyPollingInterval(200 * time.Millisecond)

	var err error
	env, err = testenv.Start(testenv.Options{})
	Expect(err).NotTo(HaveOccurred())
	k8sClient = env.Client

	operator, err := env.Operator(context.Background())
	Expect(err).NotTo(HaveOccurred())
	mgr, err := ctrl.NewManager(operator, ctrl.Options{Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(context.Background())
	Expect(controllers.SetupAll(ctx, mgr, nil)).To(Succeed())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	stopped := false
	stopManager = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				Expect(err).NotTo(HaveOccurred())
			}
		case <-time.After(30 * time.Second):
			Fail("the manager did not stop within 30s")
		}
	}
})

var _ = AfterSuite(func() {
	if stopManager != nil {
		stopManager()
	}
	Expect(env.Stop()).To(Succeed())
})

// envDuration is the duration in the environment variable name, or def.
func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
