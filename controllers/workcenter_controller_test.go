package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

var _ = Describe("WorkCenter", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	withCategory := func(c string) func(*v1alpha1.WorkCenter) {
		return func(wc *v1alpha1.WorkCenter) { wc.Spec.Category = c }
	}

	It("waits for its Account (Reconciling AccountNotFound), then checks the category against the picklist (R8)", func() {
		create(newWorkCenter(ns, "tower-a", withCategory("Industrial")))
		Eventually(func(g Gomega) {
			wc := getWorkCenter(ns, "tower-a")(g)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonAccountNotFound)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonAccountNotFound)
		}).Should(Succeed())
		create(newAccount(ns, "acme", 1, "Residential", "Commercial"))
		Eventually(func(g Gomega) {
			wc := getWorkCenter(ns, "tower-a")(g)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonUnknownCategory)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonUnknownCategory)
			expectAbsent(g, wc.Status.Conditions, v1alpha1.ConditionReconciling)
			msg := cond(wc.Status.Conditions, v1alpha1.ConditionReady).Message
			g.Expect(msg).To(And(ContainSubstring("Industrial"), ContainSubstring("Residential, Commercial")))
		}).Should(Succeed())
		Eventually(func() []string { return eventsFor(ns, "tower-a") }).Should(ContainElement("Warning/" + v1alpha1.ReasonUnknownCategory))

		By("adding the category to the Account's picklist")
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) {
			a.Spec.Picklists.WorkCenterCategories = append(a.Spec.Picklists.WorkCenterCategories, "Industrial")
		})
		Eventually(func(g Gomega) {
			wc := getWorkCenter(ns, "tower-a")(g)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			expectAbsent(g, wc.Status.Conditions, v1alpha1.ConditionStalled, v1alpha1.ConditionReconciling)
			g.Expect(wc.Status.ObservedGeneration).To(Equal(wc.Generation))
		}).Should(Succeed())

		By("removing it again")
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.Picklists.WorkCenterCategories = nil })
		Eventually(func(g Gomega) {
			wc := getWorkCenter(ns, "tower-a")(g)
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonUnknownCategory)
		}).Should(Succeed())
	})

	// The count is decided from the account (the same evaluation as the Collaborators'
	// status), so it must follow what moves an assignment in or out of effect elsewhere:
	// here a license (R4) taken away and given back.
	It("follows licenses: a Member without one is not counted", func() {
		create(newAccount(ns, "acme", 2), newWorkCenter(ns, "tower-a"),
			newCollaborator(ns, "m1", v1alpha1.Member, "tower-a=contributor"))
		Eventually(func(g Gomega) int32 { return getWorkCenter(ns, "tower-a")(g).Status.Collaborators }).Should(Equal(int32(1)))
		create(newCollaborator(ns, "m2", v1alpha1.Member, "tower-a=contributor"))
		Eventually(func(g Gomega) int32 { return getWorkCenter(ns, "tower-a")(g).Status.Collaborators }).Should(Equal(int32(2)))
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.Licenses = 1 })
		Eventually(func(g Gomega) {
			g.Expect(assignment(getCollaborator(ns, "m2")(g), "tower-a").Reason).To(Equal(v1alpha1.ReasonLicenseLimitExceeded))
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(1)))
		}).Should(Succeed())
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.Licenses = 2 })
		Eventually(func(g Gomega) int32 { return getWorkCenter(ns, "tower-a")(g).Status.Collaborators }).Should(Equal(int32(2)))
	})

	It("counts the assignments in effect, archived ones included, and cuts nothing from the count when archived", func() {
		create(newAccount(ns, "acme", 1), newWorkCenter(ns, "tower-a"), newRole(ns, "planner", perms("tasks.create")),
			newCollaborator(ns, "g1", v1alpha1.Guest, "tower-a=contributor"),
			newCollaborator(ns, "g2", v1alpha1.Guest, "tower-a=read-only"),
			newCollaborator(ns, "g3", v1alpha1.Guest, "tower-a=planner"), // rejected: member-only
			newCollaborator(ns, "g4", v1alpha1.Guest, "tower-a=missing")) // pending
		Eventually(func(g Gomega) {
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(2)))
		}).Should(Succeed())
		update(getWorkCenter(ns, "tower-a")(Default), archived)
		Eventually(func(g Gomega) {
			wc := getWorkCenter(ns, "tower-a")(g)
			g.Expect(wc.Status.Collaborators).To(Equal(int32(2)))
			expectCondition(g, wc.Status.Conditions, wc.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			c := getCollaborator(ns, "g1")(g)
			g.Expect(assignment(c, "tower-a").State).To(Equal(v1alpha1.AssignmentArchived))
			g.Expect(getAccount(ns, "acme")(g).Status.ArchivedWorkCenters).To(Equal(int32(1)))
			r := getRole(ns, "contributor")(g)
			g.Expect(r.Status.AssignedTo).To(ContainElement(v1alpha1.RoleAssignment{Collaborator: "g1", WorkCenter: "tower-a", Archived: true}))
		}).Should(Succeed())
		remove(newCollaborator(ns, "g1", v1alpha1.Guest))
		Eventually(func(g Gomega) {
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(1)))
		}).Should(Succeed())
	})
})
