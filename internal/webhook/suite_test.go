package webhook_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/controllers"
	"github.com/workcenter-io/workcenter-operator/internal/webhook"
)

var (
	testEnv *envtest.Environment
	scheme  = runtime.NewScheme()
	cancel  context.CancelFunc

	// operator writes as the identity the operator runs as (envtest's admin), which
	// R9 lets write built-in roles; alice is another cluster admin, which it does not.
	// Both are direct clients: assertions never read the manager's cache.
	operator, alice actor
	// k8sClient is operator's client, for fixtures and assertions.
	k8sClient client.Client
	// webhookView reads the manager's cache, which the webhooks read: a spec waits
	// until the webhooks see what it just wrote, and never asserts through it.
	webhookView client.Reader
	// operatorName is the operator's username, as webhook.OwnIdentity found it.
	operatorName string
)

func TestWebhooks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Webhook Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: envtest.WebhookInstallOptions{
			Paths: []string{filepath.Join("..", "..", "config", "webhook")},
		},
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())

	operatorName, err = webhook.OwnIdentity(cfg)
	Expect(err).NotTo(HaveOccurred())
	Expect(operatorName).NotTo(BeEmpty())
	operator = newActor(cfg)
	k8sClient = operator.Client
	aliceUser, err := testEnv.AddUser(envtest.User{Name: "alice", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	alice = newActor(aliceUser.Config())

	wh := &testEnv.WebhookInstallOptions
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:  scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		WebhookServer: ctrlwebhook.NewServer(ctrlwebhook.Options{
			Host: wh.LocalServingHost, Port: wh.LocalServingPort, CertDir: wh.LocalServingCertDir,
		}),
	})
	Expect(err).NotTo(HaveOccurred())
	webhookView = mgr.GetClient()
	var ctx context.Context
	ctx, cancel = context.WithCancel(context.Background())
	Expect(controllers.SetupAll(ctx, mgr)).To(Succeed())
	Expect(webhook.Setup(mgr, webhook.Options{OperatorUsernames: []string{operatorName}})).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
	Eventually(func() error { return mgr.GetWebhookServer().StartedChecker()(nil) }).Should(Succeed())
	Expect(mgr.GetCache().WaitForCacheSync(ctx)).To(BeTrue())
})

var _ = AfterSuite(func() {
	if cancel != nil {
		cancel()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
})

// actor is a direct client as one user, that collects the warnings the API server
// returns to it.
type actor struct {
	client.Client
	warnings *warningLog
}

func newActor(cfg *rest.Config) actor {
	cfg = rest.CopyConfig(cfg)
	log := &warningLog{}
	cfg.WarningHandlerWithContext = log
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	return actor{Client: c, warnings: log}
}

// warningLog is a rest.WarningHandlerWithContext that keeps the warnings.
type warningLog struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warningLog) HandleWarningHeaderWithContext(_ context.Context, code int, _ string, message string) {
	if code != 299 || message == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, message)
}

// take returns the warnings received since the last take, and forgets them.
func (w *warningLog) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.msgs
	w.msgs = nil
	return out
}
