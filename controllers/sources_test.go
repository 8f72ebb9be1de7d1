package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Assignments by selector and by template (docs/assignments.md), kept live by the
// controllers: every rule judges them as listed ones.
var _ = Describe("Assignments by selector and by template", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	labelled := func(name string, labels map[string]string, opts ...func(*v1alpha1.WorkCenter)) *v1alpha1.WorkCenter {
		wc := newWorkCenter(ns, name, opts...)
		wc.Labels = labels
		return wc
	}
	states := func(g Gomega, name string) map[string]string {
		c := getCollaborator(ns, name)(g)
		g.Expect(c.Status.ObservedGeneration).To(Equal(c.Generation))
		out := map[string]string{}
		for _, s := range c.Status.WorkCenters {
			out[s.Name] = s.Role + "/" + string(s.Source) + "/" + string(s.State)
		}
		return out
	}

	It("follows labels: a WorkCenter relabelled to match is assigned, one that stops matching is not, and the counts follow", func() {
		guest := newCollaborator(ns, "gia", v1alpha1.Guest, "north-1=read-only")
		guest.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{
			{Selector: metav1.LabelSelector{MatchLabels: map[string]string{"region": "north"}}, Role: "contributor"},
			{Selector: metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold"}}, Role: "site-lead"},
		}
		create(newAccount(ns, "acme", 5),
			newRole(ns, "site-lead", includes("contributor"), perms("collaborators.remove")), // member-only
			labelled("north-1", map[string]string{"region": "north"}),
			labelled("north-2", map[string]string{"region": "north"}),
			labelled("south-1", map[string]string{"region": "south"}),
		)
		// The Guest's member-only selector is refused at admission only with webhooks;
		// here it reaches the controllers and is Rejected where it matches (R2).
		create(guest)
		Eventually(func(g Gomega) map[string]string { return states(g, "gia") }).Should(Equal(map[string]string{
			"north-1": "read-only/Spec/Active", "north-2": "contributor/Selector/Active"}))
		Eventually(func(g Gomega) []v1alpha1.ShadowedAssignment { return getCollaborator(ns, "gia")(g).Status.Shadowed }).Should(Equal(
			[]v1alpha1.ShadowedAssignment{{Name: "north-1", Role: "contributor", Source: v1alpha1.SourceSelector, ShadowedBy: v1alpha1.SourceSpec, ShadowedRole: "read-only"}}))

		update(labelled("south-1", nil), func(wc *v1alpha1.WorkCenter) { wc.Labels = map[string]string{"region": "north", "tier": "gold"} })
		update(labelled("north-2", nil), func(wc *v1alpha1.WorkCenter) { wc.Labels = map[string]string{"region": "east"} })
		Eventually(func(g Gomega) map[string]string { return states(g, "gia") }).Should(Equal(map[string]string{
			"north-1": "read-only/Spec/Active", "south-1": "contributor/Selector/Active"}))
		Eventually(func(g Gomega) int32 { return getWorkCenter(ns, "south-1")(g).Status.Collaborators }).Should(Equal(int32(1)))
		Eventually(func(g Gomega) int32 { return getWorkCenter(ns, "north-2")(g).Status.Collaborators }).Should(Equal(int32(0)))
		// Only gold: the member-only role, Rejected for the Guest (R2).
		update(labelled("south-1", nil), func(wc *v1alpha1.WorkCenter) { wc.Labels = map[string]string{"tier": "gold"} })
		Eventually(func(g Gomega) string {
			return assignment(getCollaborator(ns, "gia")(g), "south-1").Reason
		}).Should(Equal(v1alpha1.ReasonRoleRequiresMember))
		// The role a selector names is in use (R6): its deletion waits.
		Eventually(func(g Gomega) metav1.ConditionStatus {
			return cond(getRole(ns, "site-lead")(g).Status.Conditions, v1alpha1.ConditionInUse).Status
		}).Should(Equal(metav1.ConditionTrue))
	})

	It("publishes a template's collaborators, waits for a missing template, and follows the template's changes", func() {
		create(newAccount(ns, "acme", 5),
			labelled("tmpl", nil, func(w *v1alpha1.WorkCenter) { w.Spec.Template = true }),
			labelled("tower", nil, func(w *v1alpha1.WorkCenter) { w.Spec.CollaboratorsFrom = "tmpl" }),
			labelled("depot", nil, func(w *v1alpha1.WorkCenter) { w.Spec.CollaboratorsFrom = "later" }),
			newCollaborator(ns, "tom", v1alpha1.Member, "tmpl=workcenter-owner"),
			newCollaborator(ns, "ida", v1alpha1.Member, "tmpl=contributor", "tower=read-only"),
		)
		Eventually(func(g Gomega) map[string]string { return states(g, "tom") }).Should(Equal(map[string]string{
			"tmpl": "workcenter-owner/Spec/Active", "tower": "workcenter-owner/Template/Active"}))
		// ida's own assignment in tower wins over the template's.
		Eventually(func(g Gomega) map[string]string { return states(g, "ida") }).Should(Equal(map[string]string{
			"tmpl": "contributor/Spec/Active", "tower": "read-only/Spec/Active"}))
		Eventually(func(g Gomega) int32 { return getWorkCenter(ns, "tower")(g).Status.Collaborators }).Should(Equal(int32(2)))
		// depot's template does not exist yet: it waits.
		Eventually(func(g Gomega) {
			wc := getWorkCenter(ns, "depot")(g)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonTemplateNotFound)
		}).Should(Succeed())
		// A new person in the template is published; one who leaves it is not any more.
		create(newCollaborator(ns, "zoe", v1alpha1.Member, "tmpl=read-only"))
		update(getCollaborator(ns, "tom")(Default), func(c *v1alpha1.Collaborator) { c.Spec.WorkCenters = nil })
		Eventually(func(g Gomega) map[string]string { return states(g, "zoe") }).Should(HaveKeyWithValue("tower", "read-only/Template/Active"))
		Eventually(func(g Gomega) map[string]string { return states(g, "tom") }).Should(BeEmpty())
		Eventually(func(g Gomega) int32 { return getWorkCenter(ns, "tower")(g).Status.Collaborators }).Should(Equal(int32(2)))
		// The template stops being one: tower waits and publishes nobody.
		update(getWorkCenter(ns, "tmpl")(Default), func(w *v1alpha1.WorkCenter) { w.Spec.Template = false })
		Eventually(func(g Gomega) {
			wc := getWorkCenter(ns, "tower")(g)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonNotATemplate)
			g.Expect(wc.Status.Collaborators).To(Equal(int32(1))) // ida's own
		}).Should(Succeed())
		Eventually(func(g Gomega) map[string]string { return states(g, "zoe") }).Should(Equal(map[string]string{"tmpl": "read-only/Spec/Active"}))
	})
})
