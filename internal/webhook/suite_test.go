package webhook_test

import (
	"context"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/workcenter-io/workcenter-operator/controllers"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
	"github.com/workcenter-io/workcenter-operator/internal/webhook"
)

var (
	env *testenv.Env
	// testEnv and scheme are env's control plane and scheme.
	testEnv *envtest.Environment
	scheme  *runtime.Scheme
	cancel  context.CancelFunc

	// operatorName is the username the manager runs as, as webhook.OwnIdentity found it:
	// the operator's own user, bound only to the generated ClusterRole.
	operatorName string

	// operator writes as an identity that R9 lets write built-in roles, as the operator
	// does (envtest's admin, passed to the webhooks as one of the operator's names);
	// alice is another cluster admin, which it does not. Both are direct clients:
	// assertions never read the manager's cache.
	operator, alice actor
	// k8sClient is operator's client, for fixtures and assertions.
	k8sClient client.Client
	// webhookView reads the manager's cache, which the webhooks read: a spec waits
	// until the webhooks see what it just wrote, and never asserts through it.
	webhookView client.Reader
)

func TestWebhooks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Webhook Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)

	var err error
	env, err = testenv.Start(testenv.Options{Webhooks: true})
	Expect(err).NotTo(HaveOccurred())
	testEnv, scheme = env.Environment, env.Scheme
	adminName, err := webhook.OwnIdentity(env.Config)
	Expect(err).NotTo(HaveOccurred())
	operator = newActor(env.Config)
	k8sClient = operator.Client
	aliceUser, err := env.AddUser(envtest.User{Name: "alice", Groups: []string{"system:masters"}}, nil)
	Expect(err).NotTo(HaveOccurred())
	alice = newActor(aliceUser.Config())

	managerConfig, err := env.Operator(context.Background())
	Expect(err).NotTo(HaveOccurred())
	operatorName, err = webhook.OwnIdentity(managerConfig)
	Expect(err).NotTo(HaveOccurred())
	Expect(operatorName).To(Equal(testenv.OperatorUsername))

	wh := &env.WebhookInstallOptions
	mgr, err := ctrl.NewManager(managerConfig, ctrl.Options{
		Scheme:  env.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		WebhookServer: ctrlwebhook.NewServer(ctrlwebhook.Options{
			Host: wh.LocalServingHost, Port: wh.LocalServingPort, CertDir: wh.LocalServingCertDir,
		}),
	})
	Expect(err).NotTo(HaveOccurred())
	webhookView = mgr.GetClient()
	var ctx context.Context
	ctx, cancel = context.WithCancel(context.Background())
	book, err := accounts.ForManager(mgr)
	Expect(err).NotTo(HaveOccurred())
	Expect(controllers.SetupAll(ctx, mgr, book)).To(Succeed())
	Expect(webhook.Setup(mgr, webhook.Options{OperatorUsernames: []string{operatorName, adminName}, Book: book})).To(Succeed())
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
	Expect(env.Stop()).To(Succeed())
})

// After each spec's own assertions, every object of the namespaces it created must keep
// the kstatus invariants.
var _ = AfterEach(func() {
	violations, err := env.KStatusViolations(context.Background())
	Expect(err).NotTo(HaveOccurred())
	Expect(violations).To(BeEmpty(), "kstatus invariants broken")
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
