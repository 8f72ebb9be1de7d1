// Package e2e drives the operator the way a platform engineer does: through the real
// kubectl, against the same local environment `make run-local` starts (internal/localenv:
// etcd and kube-apiserver built from source, the CRDs and webhooks installed, the
// manager in-process running the operator composed by package operator). Specs touch
// the cluster only through kubectl; nothing here uses a Go client. The apiserver
// listens on a free port, so the suite runs while a developer's run-local holds 16443.
package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/workcenter-io/workcenter-operator/cmd/operator"
	"github.com/workcenter-io/workcenter-operator/internal/localenv"
	"github.com/workcenter-io/workcenter-operator/internal/testenv/kstatus"
)

var (
	env      *localenv.Env
	repoRoot string
	tmpDir   string
)

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "End-to-end suite (kubectl against the local environment)")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	// Generous: `go test ./...` runs other envtest suites alongside on a small machine.
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(250 * time.Millisecond)

	var err error
	repoRoot, err = localenv.FindRepoRoot(".")
	Expect(err).NotTo(HaveOccurred())
	tmpDir, err = os.MkdirTemp("", "workcenter-e2e-")
	Expect(err).NotTo(HaveOccurred())

	env, err = localenv.Start(context.Background(), localenv.Options{
		RepoRoot:       repoRoot,
		Port:           0, // any free port: never the 16443 of a developer's run-local
		KubeconfigPath: filepath.Join(tmpDir, "kubeconfig"),
		Operator:       setupOperator,
	})
	Expect(err).NotTo(HaveOccurred())
	GinkgoWriter.Printf("apiserver %s, webhooks installed: %v\n", env.Host, env.Webhooks)
})

// setupOperator adds the operator to the manager as run-local does (hack/run-local):
// every controller and, when the control plane calls them, every webhook, which take the
// manager's local identity for the operator's.
func setupOperator(ctx context.Context, mgr ctrl.Manager, webhooks bool) error {
	return operator.Setup(ctx, mgr, operator.Options{Webhooks: webhooks, OperatorUsernames: []string{localenv.OperatorUsername}})
}

var _ = AfterSuite(func() {
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
	if tmpDir != "" {
		Expect(os.RemoveAll(tmpDir)).To(Succeed())
	}
})

// kubectl runs kubectl against the environment and returns stdout, stderr and its error.
func kubectl(args ...string) (stdout, stderr string, err error) {
	return kubectlStdin("", args...)
}

// kubectlStdin is kubectl with a manifest on stdin (for `-f -`).
func kubectlStdin(stdin string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var in []byte
	if stdin != "" {
		in = []byte(stdin)
	}
	GinkgoWriter.Printf("$ kubectl %s\n", strings.Join(args, " "))
	stdout, stderr, err = env.KubectlStdin(ctx, in, args...)
	for _, s := range []string{stdout, stderr} {
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		GinkgoWriter.Print(s)
	}
	return stdout, stderr, err
}

// mustKubectl runs kubectl and fails the spec, showing stderr, unless it succeeds.
func mustKubectl(args ...string) string {
	GinkgoHelper()
	out, errOut, err := kubectl(args...)
	Expect(err).NotTo(HaveOccurred(), "kubectl %s: %s", strings.Join(args, " "), errOut)
	return out
}

// mustApply applies manifests from stdin and fails the spec unless it succeeds.
func mustApply(manifests string, args ...string) string {
	GinkgoHelper()
	out, errOut, err := kubectlStdin(manifests, append([]string{"apply", "-f", "-"}, args...)...)
	Expect(err).NotTo(HaveOccurred(), "kubectl apply: %s", errOut)
	return out
}

// jsonpath returns one field of one object, read with kubectl get -o jsonpath.
func jsonpath(ns, resource, expr string) string {
	GinkgoHelper()
	return mustKubectl("get", "-n", ns, resource, "-o", "jsonpath="+expr)
}

// jp polls one field of one object, for Eventually.
func jp(ns, resource, expr string) func() (string, error) {
	return func() (string, error) {
		out, errOut, err := kubectl("get", "-n", ns, resource, "-o", "jsonpath="+expr)
		if err != nil {
			return "", fmt.Errorf("%w: %s", err, errOut)
		}
		return out, nil
	}
}

// notFound asserts that resource does not exist in ns.
func notFound(ns, resource string) {
	GinkgoHelper()
	_, errOut, err := kubectl("get", "-n", ns, resource)
	Expect(err).To(HaveOccurred(), "%s exists in %s", resource, ns)
	Expect(errOut).To(ContainSubstring("NotFound"))
}

// ourKinds names the four kinds for kubectl.
const ourKinds = "accounts.access.workcenter.io,workcenters.access.workcenter.io,workcenterroles.access.workcenter.io,collaborators.access.workcenter.io"

// waitReady waits, through kubectl wait, until every object of the four kinds in ns is
// Ready, then checks that each keeps the kstatus invariants (expectKStatus). From then
// on, every spec ends with that check on ns, until ns is deleted.
func waitReady(ns string) {
	GinkgoHelper()
	watched[ns] = true
	mustKubectl("wait", "-n", ns, "--for=condition=Ready", "--timeout=90s", ourKinds, "--all")
	expectKStatus(ns)
}

// watched are the namespaces in which an account was set up and waited Ready: after
// its own assertions, every spec checks the kstatus invariants of everything in them.
var watched = map[string]bool{}

var _ = AfterEach(func() {
	for _, ns := range slices.Sorted(maps.Keys(watched)) {
		expectKStatus(ns)
	}
})

// expectKStatus reads every object of the four kinds in ns with kubectl get -o json and
// fails unless each keeps the kstatus invariants that Flux, Argo CD and kubectl wait
// rely on (kstatus.Violations).
func expectKStatus(ns string) {
	GinkgoHelper()
	var list unstructured.UnstructuredList
	Expect(list.UnmarshalJSON([]byte(mustKubectl("get", "-n", ns, ourKinds, "-o", "json")))).To(Succeed())
	Expect(kstatus.ListViolations(&list)).To(BeEmpty(), "kstatus invariants broken in namespace %s", ns)
}

// newAccount creates namespace ns with an Account in it (one license per member it will
// need, the given WorkCenter categories), applies extra manifests into it and waits
// until everything there, the built-in roles included, is Ready.
func newAccount(ns, extra string, categories ...string) {
	GinkgoHelper()
	mustKubectl("create", "namespace", ns)
	DeferCleanup(func() {
		// envtest runs no namespace controller: a namespace only goes Terminating. The
		// objects in it stay; each spec has a namespace of its own, so that is harmless.
		_, _, _ = kubectl("delete", "namespace", ns, "--wait=false")
		delete(watched, ns)
	})
	if extra != "" {
		extra = "---\n" + extra
	}
	cats := ""
	for _, c := range categories {
		cats += "\n    - " + c
	}
	mustApply(`apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata:
  name: acct
  namespace: `+ns+`
spec:
  displayName: E2E Account
  licenses: 5
  picklists:
    workCenterCategories:`+cats+`
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata:
  name: owner
  namespace: `+ns+`
spec:
  email: owner@`+ns+`.example
  type: Member
  adminRole: AccountAdministrator
`+extra, "-n", ns)
	Eventually(func() error {
		_, _, err := kubectl("get", "-n", ns, "workcenterrole/read-only", "workcenterrole/contributor", "workcenterrole/workcenter-owner")
		return err
	}).Should(Succeed(), "the built-in roles of %s", ns)
	waitReady(ns)
}
