package gitops_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/testenv/kstatus"
)

// updateTestdata: write what the live objects show to argocdDir instead of
// comparing (UPDATE_TESTDATA=1).
var updateTestdata = os.Getenv("UPDATE_TESTDATA") == "1"

// The situations, as a platform team would keep them in Git, one account per namespace.
const (
	// acme: a working account with one of every shape a spec can be in.
	acme = `
apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: acme, namespace: acme}
spec:
  displayName: Acme Builders
  licenses: 2
  picklists: {workCenterCategories: [Construction]}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata: {name: tower, namespace: acme}
spec: {displayName: Tower A, category: Construction}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata: {name: archive, namespace: acme}
spec: {displayName: Old Depot, archived: true}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata: {name: plaza, namespace: acme}
spec: {displayName: Plaza, category: Landscaping}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata: {name: engineer, namespace: acme}
spec: {displayName: Engineer, levels: {files: Standard}}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata: {name: site-lead, namespace: acme}
spec: {displayName: Site Lead, levels: {files: Standard, posts: Standard}}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata: {name: foreman, namespace: acme}
spec: {displayName: Foreman, levels: {files: Admin}}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata: {name: reviewer, namespace: acme}
spec: {displayName: Reviewer, includes: [inspector]}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata: {name: loop-a, namespace: acme}
spec: {displayName: Loop A, includes: [loop-b]}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata: {name: loop-b, namespace: acme}
spec: {displayName: Loop B, includes: [loop-a]}
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: maria, namespace: acme}
spec:
  email: maria@acme.example
  type: Member
  adminRole: AccountAdministrator
  workCenters: [{name: tower, role: engineer}]
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: bob, namespace: acme}
spec:
  email: bob@acme.example
  type: Member
  workCenters: [{name: tower, role: site-lead}]
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: waiting, namespace: acme}
spec:
  email: waiting@partner.example
  type: Guest
  workCenters: [{name: future, role: contributor}]
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: guest-owner, namespace: acme}
spec:
  email: owner@partner.example
  type: Guest
  workCenters: [{name: tower, role: foreman}]
`
	// acmeLater are younger than maria and bob: the third Member finds no license left,
	// and the second holder of maria's email is the one flagged.
	acmeLater = `
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: carl, namespace: acme}
spec:
  email: carl@acme.example
  type: Member
  workCenters: [{name: tower, role: engineer}]
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: copycat, namespace: acme}
spec:
  email: maria@acme.example
  type: Guest
`
	// dana is assigned site-lead after its deletion began (R10).
	acmeDana = `
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: dana, namespace: acme}
spec:
  email: dana@partner.example
  type: Guest
  workCenters: [{name: tower, role: site-lead}]
`
	// acmeNewcomer arrives while the operator is stopped.
	acmeNewcomer = `
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: newcomer, namespace: acme}
spec:
  email: newcomer@partner.example
  type: Guest
  workCenters: [{name: tower, role: read-only}]
`
	// dormant: a Deactivated account and its people.
	dormant = `
apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: dormant, namespace: dormant}
spec: {displayName: Dormant Ltd, state: Deactivated, licenses: 1}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata: {name: yard, namespace: dormant}
spec: {displayName: Yard}
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: ana, namespace: dormant}
spec: {email: ana@dormant.example, type: Member, adminRole: AccountAdministrator}
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: ben, namespace: dormant}
spec:
  email: ben@partner.example
  type: Guest
  workCenters: [{name: yard, role: read-only}]
`
	// vacant: an Account nobody administers yet.
	vacant = `
apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: vacant, namespace: vacant}
spec: {displayName: Vacant Inc}
`
	// twin: two Accounts in one namespace, the second one younger.
	twinFirst = `
apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: first, namespace: twin}
spec: {displayName: First}
`
	twinSecond = `
apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: second, namespace: twin}
spec: {displayName: Second}
`
	// closing: an Account deleted while a WorkCenter still uses it (R11).
	closing = `
apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: closing, namespace: closing}
spec: {displayName: Closing Co}
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata: {name: yard, namespace: closing}
spec: {displayName: Yard}
`
	// keeper: the last AccountAdministrator of an active account, deleted (R7).
	keeper = `
apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: keeper, namespace: keeper}
spec: {displayName: Keeper AG, licenses: 1}
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: olga, namespace: keeper}
spec: {email: olga@keeper.example, type: Member, adminRole: AccountAdministrator}
`
	// orphan: a WorkCenter whose Account is not there (yet).
	orphan = `
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata: {name: lonely, namespace: orphan}
spec: {displayName: Lonely}
`
)

var _ = Describe("What Flux and Argo CD read from the operator's status", Ordered, ContinueOnFailure, func() {
	ctx := context.Background()
	// verdicts are the Argo CD verdicts of the captures' files, for health_test.yaml.
	verdicts := map[capture]health{}

	BeforeAll(func() {
		for _, ns := range []string{"acme", "dormant", "vacant", "twin", "closing", "keeper", "orphan"} {
			Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
		}
		apply(ctx, acme, dormant, vacant, twinFirst, closing, keeper, orphan)

		By("creating the younger objects a second later: creation time decides who is older")
		waitReady(ctx, "acme", "maria", &v1alpha1.Collaborator{})
		waitReady(ctx, "acme", "bob", &v1alpha1.Collaborator{})
		waitReady(ctx, "twin", "first", &v1alpha1.Account{})
		time.Sleep(1100 * time.Millisecond)
		apply(ctx, acmeLater, twinSecond)

		By("deleting objects their finalizers hold")
		waitReady(ctx, "acme", "site-lead", &v1alpha1.WorkCenterRole{})
		waitReady(ctx, "closing", "yard", &v1alpha1.WorkCenter{})
		waitReady(ctx, "keeper", "olga", &v1alpha1.Collaborator{})
		for _, o := range []client.Object{
			&v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "site-lead"}},
			&v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: "closing", Name: "closing"}},
			&v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: "keeper", Name: "olga"}},
		} {
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(o), o)).To(Succeed())
				g.Expect(o.GetFinalizers()).NotTo(BeEmpty(), "the operator protects it")
			}).Should(Succeed())
			Expect(k8sClient.Delete(ctx, o)).To(Succeed())
		}
		time.Sleep(1100 * time.Millisecond) // after the second in which the deletion began
		apply(ctx, acmeDana)
	})

	for _, c := range captures {
		if c.stopped {
			continue
		}
		It(fmt.Sprintf("%s %s/%s: Argo CD %s, Flux %s", c.kind, c.namespace, c.name, c.health, c.kstatus), func() {
			verdicts[c] = expectCapture(ctx, c)
		})
	}

	Describe("while the operator is stopped", Ordered, func() {
		BeforeAll(func() {
			stopManager()
			By("changing specs the operator will not see")
			for _, o := range []client.Object{
				&v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "acme"}},
				&v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "tower"}},
				&v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "maria"}},
			} {
				patch := []byte(`{"spec":{"displayName":"Renamed in Git"}}`)
				Expect(k8sClient.Patch(ctx, o, client.RawPatch(types.MergePatchType, patch))).To(Succeed())
				Expect(o.GetGeneration()).To(Equal(int64(2)))
			}
			apply(ctx, acmeNewcomer)
		})
		for _, c := range captures {
			if !c.stopped {
				continue
			}
			It(fmt.Sprintf("%s %s/%s: Argo CD %s, Flux %s", c.kind, c.namespace, c.name, c.health, c.kstatus), func() {
				verdicts[c] = expectCapture(ctx, c)
			})
		}
	})

	AfterAll(func() {
		if !updateTestdata {
			return
		}
		Expect(verdicts).To(HaveLen(len(captures)), "UPDATE_TESTDATA=1 writes health_test.yaml from every capture: run the whole suite")
		root := env.Root
		for _, kind := range kinds {
			var b strings.Builder
			b.WriteString("# The captures of test/gitops (UPDATE_TESTDATA=1 go test ./test/gitops/ rewrites them),\n")
			b.WriteString("# in Argo CD's format for its built-in checks.\ntests:\n")
			for _, c := range captures {
				if c.kind != kind {
					continue
				}
				message, err := json.Marshal(verdicts[c].Message) // a JSON string is a YAML scalar
				Expect(err).NotTo(HaveOccurred())
				fmt.Fprintf(&b, "- healthStatus:\n    status: %s\n    message: %s\n  inputPath: testdata/%s.yaml\n",
					verdicts[c].Status, message, c.file)
			}
			Expect(os.WriteFile(filepath.Join(root, kindDir(kind), "health_test.yaml"), []byte(b.String()), 0o644)).To(Succeed())
		}
		patch, err := argocdCMPatch(root)
		Expect(err).NotTo(HaveOccurred())
		Expect(os.WriteFile(filepath.Join(root, argocdCMPatchPath), []byte(patch), 0o644)).To(Succeed())
	})
})

// expectCapture waits until the live object shows c's verdicts (and keeps them a
// moment), checks the kstatus invariants on it, and compares it with its testdata file
// (or writes it). It returns the Argo CD verdict on the file's content.
func expectCapture(ctx context.Context, c capture) health {
	GinkgoHelper()
	script := readScript(GinkgoT(), env.Root)
	checks := readFluxHealthChecks(GinkgoT(), env.Root)
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(c.kind))
	key := types.NamespacedName{Namespace: c.namespace, Name: c.name}
	matches := func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, key, live)).To(Succeed())
		h, err := runHealthLua(script, live.Object, false)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(h.Status).To(Equal(c.health), "Argo CD verdict, message %q", h.Message)
		g.Expect(h.Message).To(ContainSubstring(c.message))
		res, err := kstatus.Compute(live)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(c.kstatus), "Flux verdict, message %q", res.Message)
		cel, celErr := fluxResult(GinkgoT(), checks, live)
		g.Expect(cel).To(Equal(c.flux()), "Flux verdict with healthCheckExprs (%v)", celErr)
	}
	Eventually(matches).Should(Succeed())
	Consistently(matches, time.Second).Should(Succeed())
	Expect(kstatus.Violations(live)).To(BeEmpty(), "the operator's own conventions")

	want := normalize(live)
	out, err := yaml.Marshal(want)
	Expect(err).NotTo(HaveOccurred())
	path := filepath.Join(env.Root, c.path())
	if updateTestdata {
		Expect(os.WriteFile(path, out, 0o644)).To(Succeed())
	}
	checked, err := os.ReadFile(path)
	Expect(err).NotTo(HaveOccurred(), "no testdata for this capture: run UPDATE_TESTDATA=1 go test ./test/gitops/")
	Expect(string(checked)).To(Equal(string(out)),
		"%s is not what the operator writes any more: run UPDATE_TESTDATA=1 go test ./test/gitops/ and review the diff", c.path())

	obj, u := readObject(GinkgoT(), path)
	checkVerdicts(GinkgoT(), c, script, checks, obj, u)
	h, err := runHealthLua(script, obj, false)
	Expect(err).NotTo(HaveOccurred())
	fmt.Fprintf(GinkgoWriter, "%s/%s: Argo CD %s %q; Flux %s, with healthCheckExprs %s\n", c.kind, c.file, h.Status, h.Message, c.kstatus, c.flux())
	return h
}

// apply creates every object of the manifests, as admin.
func apply(ctx context.Context, manifests ...string) {
	GinkgoHelper()
	for _, m := range manifests {
		for _, doc := range strings.Split(m, "\n---\n") {
			u := &unstructured.Unstructured{}
			Expect(yaml.Unmarshal([]byte(doc), &u.Object)).To(Succeed())
			Expect(k8sClient.Create(ctx, u)).To(Succeed(), "creating %s %s", u.GetKind(), u.GetName())
		}
	}
}

// waitReady waits until the object is Ready at its generation.
func waitReady(ctx context.Context, ns, name string, obj client.Object) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, obj)).To(Succeed())
		res, err := kstatus.Compute(obj)
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(res.Status).To(Equal(status.CurrentStatus))
		g.Expect(kstatus.Violations(obj)).To(BeEmpty())
	}).Should(Succeed(), "%s/%s Ready", ns, name)
}

// fixedTime replaces every time in the testdata, so that a rewrite differs only where
// the operator's status does.
const fixedTime = "2026-01-01T00:00:00Z"

var rfc3339 = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)

// normalize is the live object as testdata: what the API server serves, without what
// differs from run to run (uid, resourceVersion, managedFields), with every time and
// the uids of owner references fixed. Nothing a health check reads is changed.
func normalize(live *unstructured.Unstructured) map[string]any {
	u := live.DeepCopy()
	u.SetUID("")
	u.SetResourceVersion("")
	u.SetManagedFields(nil)
	return fixVolatile(u.Object).(map[string]any)
}

// fixedUID replaces the uids of owner references.
const fixedUID = "00000000-0000-0000-0000-000000000000"

func fixVolatile(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, item := range v {
			if k == "uid" {
				v[k] = fixedUID
				continue
			}
			v[k] = fixVolatile(item)
		}
	case []any:
		for i, item := range v {
			v[i] = fixVolatile(item)
		}
	case string:
		return rfc3339.ReplaceAllString(v, fixedTime)
	}
	return v
}
