package controllers_test

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
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/workcenter-io/workcenter-operator/controllers"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

var (
	env *testenv.Env
	// testEnv, cfg and scheme are env's control plane, admin config and scheme.
	testEnv   *envtest.Environment
	cfg       *rest.Config
	scheme    *runtime.Scheme
	k8sClient client.Client // direct client: assertions never read the manager's cache
	cancel    context.CancelFunc
	// writes counts, per namespace, every write the manager's client sends.
	writes writeCounter
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)

	var err error
	env, err = testenv.Start(testenv.Options{})
	Expect(err).NotTo(HaveOccurred())
	testEnv, cfg, scheme, k8sClient = env.Environment, env.Config, env.Scheme, env.Client

	// The manager runs as a user bound only to the ClusterRole generated from the RBAC
	// markers (config/rbac/role.yaml), so a missing permission fails the suite.
	operator, err := env.Operator(context.Background())
	Expect(err).NotTo(HaveOccurred())
	mgr, err := ctrl.NewManager(operator, ctrl.Options{
		Scheme:  scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		NewClient: func(config *rest.Config, options client.Options) (client.Client, error) {
			c, err := client.NewWithWatch(config, options)
			if err != nil {
				return nil, err
			}
			return client.WithFieldOwner(countingClient(c), "workcenter-operator"), nil
		},
	})
	Expect(err).NotTo(HaveOccurred())
	book, err := accounts.ForManager(mgr)
	Expect(err).NotTo(HaveOccurred())
	var ctx context.Context
	ctx, cancel = context.WithCancel(context.Background())
	Expect(controllers.SetupAll(ctx, mgr, book)).To(Succeed())
	go func() {
		defer GinkgoRecover()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
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

// operatorUsername is who the manager runs as.
const operatorUsername = testenv.OperatorUsername

// countingClient counts every create, update, patch and delete, of objects and of
// their status, that the manager sends.
func countingClient(c client.WithWatch) client.WithWatch {
	return interceptor.NewClient(c, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			writes.add(obj)
			return c.Create(ctx, obj, opts...)
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			writes.add(obj)
			return c.Update(ctx, obj, opts...)
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			writes.add(obj)
			return c.Patch(ctx, obj, patch, opts...)
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			writes.add(obj)
			return c.Delete(ctx, obj, opts...)
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			writes.add(obj)
			return c.SubResource(sub).Update(ctx, obj, opts...)
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			writes.add(obj)
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	})
}

// newNamespace creates a namespace of its own for one spec.
func newNamespace() string {
	ns, err := env.NewNamespace(context.Background(), "acct-")
	Expect(err).NotTo(HaveOccurred())
	return ns
}

type writeCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (w *writeCounter) add(obj client.Object) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == nil {
		w.n = map[string]int{}
	}
	w.n[obj.GetNamespace()]++
}

// in returns how many writes the manager has sent for objects of namespace ns.
func (w *writeCounter) in(ns string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n[ns]
}
