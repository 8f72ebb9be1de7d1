// Package crd_test checks the CustomResourceDefinitions in config/crd/bases against a real
// kube-apiserver and etcd (envtest): that the samples are accepted, that every OpenAPI and
// CEL rule of the schema rejects what it should (and only that), that defaults are
// applied, and that printer columns, short names, the procorem category and the status
// subresource are there. No manager runs: nothing here needs the controllers, and every
// assertion reads through a direct client.
package crd_test

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	accessv1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

var (
	env       *testenv.Env
	cfg       *rest.Config
	k8sClient client.Client
	scheme    = runtime.NewScheme()
	ctx       context.Context
	cancel    context.CancelFunc
	// repoRoot is where the CRDs and samples live.
	repoRoot string
)

func TestCRDs(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "CRD schema suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.TODO())

	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	Expect(accessv1alpha1.AddToScheme(scheme)).To(Succeed())

	var err error
	env, err = testenv.Start(testenv.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	cfg, k8sClient, repoRoot = env.Config, env.Client, env.Root
})

var _ = AfterSuite(func() {
	cancel()
	Expect(env.Stop()).To(Succeed())
})

// newNamespace creates a namespace with a generated name for one spec and deletes it
// afterwards (envtest runs no namespace controller, so it only goes Terminating).
func newNamespace() string {
	name, err := env.NewNamespace(ctx, "crd-test-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
		Expect(client.IgnoreNotFound(k8sClient.Delete(ctx, ns))).To(Succeed())
	})
	return name
}
