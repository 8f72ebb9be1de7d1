package controllers_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/controllers"
)

// sampleObjects reads config/samples (but the Namespace and the kustomization) into
// objects placed in namespace ns, in file order.
func sampleObjects(ns string) []*unstructured.Unstructured {
	files, err := filepath.Glob(filepath.Join("..", "config", "samples", "*.yaml"))
	Expect(err).NotTo(HaveOccurred())
	var out []*unstructured.Unstructured
	for _, f := range files {
		data, err := os.ReadFile(f)
		Expect(err).NotTo(HaveOccurred())
		dec := yaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				Fail(err.Error())
			}
			if len(u.Object) == 0 || u.GetAPIVersion() != v1alpha1.GroupVersion.String() {
				continue
			}
			u.SetNamespace(ns)
			out = append(out, u)
		}
	}
	Expect(out).NotTo(BeEmpty())
	return out
}

// expectAllReady waits until every object of the access group in ns is Ready True with
// its status and every condition at the object's generation.
func expectAllReady(ns string, want int) {
	Eventually(func(g Gomega) {
		n := 0
		for _, list := range []client.ObjectList{&v1alpha1.AccountList{}, &v1alpha1.WorkCenterList{}, &v1alpha1.WorkCenterRoleList{}, &v1alpha1.CollaboratorList{}} {
			g.Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
			items, err := meta.ExtractList(list)
			g.Expect(err).NotTo(HaveOccurred())
			for _, item := range items {
				o := item.(client.Object)
				conds, observed := conditionsOf(o)
				g.Expect(observed).To(Equal(o.GetGeneration()), "%s observedGeneration", o.GetName())
				expectCondition(g, conds, o.GetGeneration(), v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
				for _, c := range conds {
					g.Expect(c.ObservedGeneration).To(Equal(o.GetGeneration()), "%s condition %s", o.GetName(), c.Type)
				}
				n++
			}
		}
		g.Expect(n).To(Equal(want), "objects in the namespace")
	}, "60s").Should(Succeed())
}

func conditionsOf(o client.Object) ([]metav1.Condition, int64) {
	switch t := o.(type) {
	case *v1alpha1.Account:
		return t.Status.Conditions, t.Status.ObservedGeneration
	case *v1alpha1.WorkCenter:
		return t.Status.Conditions, t.Status.ObservedGeneration
	case *v1alpha1.WorkCenterRole:
		return t.Status.Conditions, t.Status.ObservedGeneration
	case *v1alpha1.Collaborator:
		return t.Status.Conditions, t.Status.ObservedGeneration
	}
	Fail("unexpected kind")
	return nil, 0
}

var _ = Describe("Convergence", func() {
	builtIns := len(v1alpha1.BuiltInRoleNames)

	DescribeTable("the samples converge to Ready whatever the apply order",
		func(order func([]*unstructured.Unstructured)) {
			ns := newNamespace()
			objs := sampleObjects(ns)
			order(objs)
			for _, o := range objs {
				Expect(k8sClient.Create(ctx, o)).To(Succeed(), "create %s %s", o.GetKind(), o.GetName())
			}
			expectAllReady(ns, len(objs)+builtIns)
		},
		Entry("in file order", func([]*unstructured.Unstructured) {}),
		Entry("in reverse order", func(o []*unstructured.Unstructured) { slices.Reverse(o) }),
		Entry("in shuffled order", func(o []*unstructured.Unstructured) {
			rand.New(rand.NewSource(GinkgoRandomSeed())).Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
		}),
	)

	It("stays quiet once converged: no writes, no reconcile loops", func() {
		ns := newNamespace()
		objs := sampleObjects(ns)
		for _, o := range objs {
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
		}
		expectAllReady(ns, len(objs)+builtIns)
		versions := func() map[string]string {
			out := map[string]string{}
			for _, list := range []client.ObjectList{&v1alpha1.AccountList{}, &v1alpha1.WorkCenterList{}, &v1alpha1.WorkCenterRoleList{}, &v1alpha1.CollaboratorList{}} {
				Expect(k8sClient.List(ctx, list, client.InNamespace(ns))).To(Succeed())
				items, _ := meta.ExtractList(list)
				for _, item := range items {
					o := item.(client.Object)
					out[o.GetName()] = o.GetResourceVersion()
				}
			}
			return out
		}
		// Let in-flight reconciles drain, the WorkCenters' coalesced recounts land (up to
		// statusCoalescing after the Collaborators' last status write), and the event sink,
		// which writes asynchronously, flush what convergence emitted: wait until a while
		// longer than the coalescing passes with no new event and no write.
		events := func() int { return len(eventsFor(ns, "")) }
		Eventually(func() bool {
			before, wrote := events(), writes.in(ns)
			time.Sleep(controllers.StatusCoalescing + time.Second)
			return events() == before && writes.in(ns) == wrote
		}).WithTimeout(30 * time.Second).Should(BeTrue())
		startWrites, startVersions, startEvents := writes.in(ns), versions(), events()
		time.Sleep(8 * time.Second)
		quietWrites := writes.in(ns) - startWrites
		AddReportEntry("writes during the 8s quiet period after convergence", quietWrites)
		AddReportEntry("writes to converge the samples", startWrites)
		Expect(quietWrites).To(BeZero(), "writes during the quiet period")
		Expect(versions()).To(Equal(startVersions))
		Expect(events()).To(Equal(startEvents), "events during the quiet period")
	})

	It("wakes only the objects a change affects", func() {
		ns := newNamespace()
		objs := sampleObjects(ns)
		for _, o := range objs {
			Expect(k8sClient.Create(ctx, o)).To(Succeed())
		}
		expectAllReady(ns, len(objs)+builtIns)
		var holders int
		for _, o := range objs {
			if o.GetKind() != "Collaborator" {
				continue
			}
			as, _, _ := unstructured.NestedSlice(o.Object, "spec", "workCenters")
			for _, a := range as {
				if a.(map[string]any)["role"] == "external-reviewer" {
					holders++
					break
				}
			}
		}
		Expect(holders).To(BeNumerically(">", 0))
		Eventually(func() bool { // wait until nothing reconciles
			before := reconciles("collaborator")
			time.Sleep(time.Second)
			return reconciles("collaborator") == before
		}).Should(BeTrue())

		// A change of what the role grants that no holder's status reads (it stays
		// guest-safe and resolvable) reconciles the role, not its holders.
		start := reconciles("collaborator")
		startRoles := reconciles("workcenterrole")
		update(getRole(ns, "external-reviewer")(Default), func(r *v1alpha1.WorkCenterRole) { r.Spec.Levels.Posts = v1alpha1.LevelReadOnly })
		Eventually(func() float64 { return reconciles("workcenterrole") - startRoles }).Should(BeNumerically(">=", 1))
		Consistently(func() float64 { return reconciles("collaborator") - start }, "2s").Should(BeZero(),
			"a guest-safe change of what a role grants changes no holder's status")

		// A change that does reach their status (an include that does not exist: each
		// assignment waits) reconciles its holders, and only them.
		start = reconciles("collaborator")
		update(getRole(ns, "external-reviewer")(Default), func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Includes = append(r.Spec.Includes, "not-yet-there")
		})
		Eventually(func() float64 { return reconciles("collaborator") - start }).Should(BeNumerically(">=", holders))
		Consistently(func() float64 { return reconciles("collaborator") - start }, "2s").Should(BeNumerically("==", holders),
			"a role change reconciles the holders it reaches only, not every collaborator of the account")
		Eventually(func() int {
			var list v1alpha1.CollaboratorList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			waiting := 0
			for _, c := range list.Items {
				for _, a := range c.Status.WorkCenters {
					if a.Role == "external-reviewer" && a.Reason == v1alpha1.ReasonRoleNotFound {
						waiting++
						break
					}
				}
			}
			return waiting
		}).Should(Equal(holders), "every holder's assignment waits for the missing include")

		// A change that grants nothing more or less (its description) reconciles nobody.
		start = reconciles("collaborator")
		update(getRole(ns, "external-reviewer")(Default), func(r *v1alpha1.WorkCenterRole) { r.Spec.Description = "changed" })
		Consistently(func() float64 { return reconciles("collaborator") - start }, "2s").Should(BeZero(),
			"a role's description changes no collaborator's status")
	})
})

// reconciles reads controller-runtime's in-process reconcile counter of a controller.
func reconciles(controller string) float64 {
	families, err := metrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	total := 0.0
	for _, f := range families {
		if f.GetName() != "controller_runtime_reconcile_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" && l.GetValue() == controller {
					total += m.GetCounter().GetValue()
				}
			}
		}
	}
	return total
}
