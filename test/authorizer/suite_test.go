// Package authorizer runs the authorizer (internal/authorizer, docs/authorization.md)
// the way `make run-local` does: kube-apiserver started with config/authorization's
// AuthorizationConfiguration (internal/localenv), its webhook pointed at the manager's
// webhook server, the operator composed by package operator with the authorizer. Every
// question is a real SubjectAccessReview answered by the API server's authorization
// chain: each denial step, a change reflected in the next answer within a second, bad
// input answered with a reason and never an error, the direct endpoint's callers, 1,000
// concurrent reviews, and the manager down (last: the chain decides).
package authorizer

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/workcenter-io/workcenter-operator/cmd/operator"
	"github.com/workcenter-io/workcenter-operator/internal/authorizer"
	"github.com/workcenter-io/workcenter-operator/internal/localenv"
)

var (
	env *localenv.Env
	// admin is a client of the admin, without client-side throttling.
	admin *kubernetes.Clientset
	// adminConfig is its configuration.
	adminConfig *rest.Config
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	ctx := context.Background()
	root, err := localenv.FindRepoRoot(".")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "authorizer-suite-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	env, err = localenv.Start(ctx, localenv.Options{
		RepoRoot:       root,
		KubeconfigPath: filepath.Join(dir, "kubeconfig"),
		Operator:       setupOperator,
		Authorizer:     true,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the local environment:", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping:", err)
		}
	}()
	if env.AuthorizationConfig == "" {
		fmt.Fprintln(os.Stderr, "the API server was not started with the authorization configuration (no webhooks? run make manifests)")
		return 1
	}
	if adminConfig, err = clientcmd.BuildConfigFromFlags("", env.KubeconfigPath); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	adminConfig.QPS, adminConfig.Burst = -1, 0
	if admin, err = kubernetes.NewForConfig(adminConfig); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := env.ApplySamples(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := env.WaitReady(ctx, 2*time.Minute); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// setupOperator is run-local's operator (hack/run-local): every controller, webhook, and
// the authorizer with its direct endpoint.
func setupOperator(ctx context.Context, mgr ctrl.Manager, webhooks bool) error {
	opts := operator.Options{Webhooks: webhooks, OperatorUsernames: []string{localenv.OperatorUsername}}
	if webhooks {
		opts.Authorizer = &authorizer.Options{Direct: true}
	}
	return operator.Setup(ctx, mgr, opts)
}

// ask is the API server's answer to a SubjectAccessReview about user; it fails the test
// on an error (the API server never answers one).
func ask(t testing.TB, user string, ra *authorizationv1.ResourceAttributes) authorizationv1.SubjectAccessReviewStatus {
	t.Helper()
	sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: []string{"system:authenticated"}, ResourceAttributes: ra},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("SubjectAccessReview of %s %+v: %v", user, ra, err)
	}
	return sar.Status
}

// in is a question about the group in namespace.
func in(namespace, resource, verb, name string) *authorizationv1.ResourceAttributes {
	return &authorizationv1.ResourceAttributes{Namespace: namespace, Group: "procorem.workcenter.io", Resource: resource, Verb: verb, Name: name}
}

// opinion is allowed, denied or noOpinion.
func opinion(st authorizationv1.SubjectAccessReviewStatus) string {
	switch {
	case st.Allowed:
		return "allowed"
	case st.Denied:
		return "denied"
	}
	return "noOpinion"
}

// create creates objs as the admin (admission judges them as it judges anyone's).
func create(t testing.TB, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := env.Client.Create(context.Background(), o); err != nil {
			t.Fatalf("creating %T %s: %v", o, o.GetName(), err)
		}
	}
}
