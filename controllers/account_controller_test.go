package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

var _ = Describe("Account", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("keeps the three built-in roles: created, labelled, controlled, edits reverted, recreated when deleted unassigned", func() {
		acct := newAccount(ns, "acme", 5)
		create(acct)
		for _, name := range v1alpha1.BuiltInRoleNames {
			want, _ := model.BuiltInRoleSpec(name)
			Eventually(func(g Gomega) {
				r := getRole(ns, name)(g)
				g.Expect(r.Labels).To(HaveKeyWithValue(v1alpha1.LabelBuiltIn, "true"))
				ref := metav1.GetControllerOf(r)
				g.Expect(ref).NotTo(BeNil())
				g.Expect(ref.Kind).To(Equal("Account"))
				g.Expect(ref.Name).To(Equal("acme"))
				g.Expect(r.Spec).To(Equal(want))
				g.Expect(r.Status.BuiltIn).To(BeTrue())
				expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			}).Should(Succeed())
		}
		By("reverting an edit of contributor's spec and label")
		contributor := getRole(ns, v1alpha1.RoleContributor)(Default)
		update(contributor, func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Permissions = append(r.Spec.Permissions, "tasks.create")
			r.Spec.DisplayName = "Hacked"
			delete(r.Labels, v1alpha1.LabelBuiltIn)
		})
		want, _ := model.BuiltInRoleSpec(v1alpha1.RoleContributor)
		Eventually(func(g Gomega) {
			r := getRole(ns, v1alpha1.RoleContributor)(g)
			g.Expect(r.Spec).To(Equal(want))
			g.Expect(r.Labels).To(HaveKeyWithValue(v1alpha1.LabelBuiltIn, "true"))
			g.Expect(r.Status.MemberOnly).To(BeFalse())
		}).Should(Succeed())

		By("recreating read-only after it is deleted while unassigned")
		readOnly := getRole(ns, v1alpha1.RoleReadOnly)(Default)
		oldUID := readOnly.UID
		remove(readOnly)
		Eventually(func(g Gomega) {
			r := getRole(ns, v1alpha1.RoleReadOnly)(g)
			g.Expect(r.UID).NotTo(Equal(oldUID))
			g.Expect(r.DeletionTimestamp).To(BeNil())
		}).Should(Succeed())
		Eventually(func() []string { return eventsFor(ns, "acme") }).Should(ContainElement("Normal/" + v1alpha1.ReasonBuiltInRoleRestored))
	})

	It("counts people and WorkCenters and reports licensing and administrators", func() {
		create(newAccount(ns, "acme", 2, "Residential"),
			newWorkCenter(ns, "tower-a"), newWorkCenter(ns, "tower-b", archived),
			newCollaborator(ns, "guest-1", v1alpha1.Guest, "tower-a=contributor"),
			newCollaborator(ns, "member-1", v1alpha1.Member, "tower-a=workcenter-owner"))
		Eventually(func(g Gomega) {
			a := getAccount(ns, "acme")(g)
			g.Expect(a.Status.Members).To(Equal(int32(1)))
			g.Expect(a.Status.Guests).To(Equal(int32(1)))
			g.Expect(a.Status.LicensesUsed).To(Equal(int32(1)))
			g.Expect(a.Status.AccountAdministrators).To(Equal(int32(0)))
			g.Expect(a.Status.WorkCenters).To(Equal(int32(2)))
			g.Expect(a.Status.ArchivedWorkCenters).To(Equal(int32(1)))
			g.Expect(a.Status.ObservedGeneration).To(Equal(a.Generation))
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionLicensed, metav1.ConditionTrue, v1alpha1.ReasonLicensesAvailable)
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionAdministratorAssigned, metav1.ConditionFalse, v1alpha1.ReasonNoAccountAdministrator)
			expectAbsent(g, a.Status.Conditions, v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled, v1alpha1.ConditionDeletionBlocked)
		}).Should(Succeed())

		By("an AccountAdministrator and a third Member over the two licenses")
		create(admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "boss", v1alpha1.Member)))
		time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
		create(newCollaborator(ns, "member-3", v1alpha1.Member))
		Eventually(func(g Gomega) {
			a := getAccount(ns, "acme")(g)
			g.Expect(a.Status.Members).To(Equal(int32(3)))
			g.Expect(a.Status.LicensesUsed).To(Equal(int32(2)))
			g.Expect(a.Status.AccountAdministrators).To(Equal(int32(1)))
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionLicensed, metav1.ConditionFalse, v1alpha1.ReasonLicenseLimitExceeded)
			g.Expect(cond(a.Status.Conditions, v1alpha1.ConditionLicensed).Message).To(ContainSubstring("member-3"))
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionAdministratorAssigned, metav1.ConditionTrue, v1alpha1.ReasonAdministratorPresent)
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
		}).Should(Succeed())
	})

	It("never makes a second Account in the namespace Ready (DuplicateAccount); the oldest wins", func() {
		create(newAccount(ns, "first", 1))
		time.Sleep(1100 * time.Millisecond)
		create(newAccount(ns, "second", 1))
		Eventually(func(g Gomega) {
			a := getAccount(ns, "second")(g)
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDuplicateAccount)
			g.Expect(cond(a.Status.Conditions, v1alpha1.ConditionReady).Message).To(ContainSubstring("first"))
			first := getAccount(ns, "first")(g)
			expectCondition(g, first.Status.Conditions, first.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			r := getRole(ns, v1alpha1.RoleReadOnly)(g)
			g.Expect(metav1.GetControllerOf(r).Name).To(Equal("first"))
		}).Should(Succeed())
	})

	It("stays Ready while Deactivated, gives nobody access, and restores everything when Active again", func() {
		create(newAccount(ns, "acme", 5), newWorkCenter(ns, "tower-a"),
			newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=contributor"))
		Eventually(func(g Gomega) {
			g.Expect(assignment(getCollaborator(ns, "jane")(g), "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
		}).Should(Succeed())
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })
		Eventually(func(g Gomega) {
			a := getAccount(ns, "acme")(g)
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			c := getCollaborator(ns, "jane")(g)
			s := assignment(c, "tower-a")
			g.Expect(s.State).To(Equal(v1alpha1.AssignmentPending))
			g.Expect(s.Reason).To(Equal(v1alpha1.ReasonAccountDeactivated))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonAccountDeactivated)
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(0)))
		}).Should(Succeed())
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountActive })
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "jane")(g)
			g.Expect(assignment(c, "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(1)))
		}).Should(Succeed())
	})

	Context("protection (R11)", func() {
		It("holds an Account that still has objects, with DeletionBlocked AccountInUse, until they are gone", func() {
			acct := newAccount(ns, "acme", 1)
			wc := newWorkCenter(ns, "tower-a")
			custom := newRole(ns, "site-engineer")
			guest := newCollaborator(ns, "jane", v1alpha1.Guest)
			create(acct, wc, custom, guest)
			waitForFinalizer(&v1alpha1.Account{}, ns, "acme", v1alpha1.FinalizerAccountProtection)
			remove(acct)
			Eventually(func(g Gomega) {
				a := getAccount(ns, "acme")(g)
				expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonAccountInUse)
				msg := cond(a.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Message
				g.Expect(msg).To(ContainSubstring("1 WorkCenters"))
				g.Expect(msg).To(ContainSubstring("1 custom WorkCenterRoles"))
				g.Expect(msg).To(ContainSubstring("1 Collaborators"))
			}).Should(Succeed())
			Eventually(func() []string { return eventsFor(ns, "acme") }).Should(ContainElement("Warning/" + v1alpha1.ReasonAccountInUse))
			remove(wc, custom, guest)
			Eventually(gone(acct)).Should(BeTrue())
		})

		It("steps aside, with every other protection, when the namespace itself is deleted", func() {
			acct := newAccount(ns, "acme", 1)
			boss := admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "boss", v1alpha1.Member, "tower-a=site-engineer"))
			custom := newRole(ns, "site-engineer")
			create(acct, newWorkCenter(ns, "tower-a"), custom, boss)
			Eventually(func(g Gomega) {
				g.Expect(getCollaborator(ns, "boss")(g).Finalizers).To(ContainElement(v1alpha1.FinalizerLastAdministrator))
				g.Expect(getRole(ns, "site-engineer")(g).Finalizers).To(ContainElement(v1alpha1.FinalizerInUseProtection))
				g.Expect(getAccount(ns, "acme")(g).Finalizers).To(ContainElement(v1alpha1.FinalizerAccountProtection))
			}).Should(Succeed())
			// envtest runs no namespace controller: delete the namespace, then its objects,
			// as the namespace controller would.
			Expect(k8sClient.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})).To(Succeed())
			remove(acct, custom, boss)
			Eventually(gone(acct)).Should(BeTrue())
			Eventually(gone(custom)).Should(BeTrue())
			Eventually(gone(boss)).Should(BeTrue())
		})
	})

	It("puts the account-protection finalizer only on the Account that owns the namespace", func() {
		create(newAccount(ns, "first", 1))
		time.Sleep(1100 * time.Millisecond)
		dup := newAccount(ns, "second", 1)
		create(dup)
		Eventually(func(g Gomega) {
			g.Expect(controllerutil.ContainsFinalizer(getAccount(ns, "first")(g), v1alpha1.FinalizerAccountProtection)).To(BeTrue())
			a := getAccount(ns, "second")(g)
			g.Expect(cond(a.Status.Conditions, v1alpha1.ConditionReady).Reason).To(Equal(v1alpha1.ReasonDuplicateAccount))
			g.Expect(a.Finalizers).NotTo(ContainElement(v1alpha1.FinalizerAccountProtection))
		}).Should(Succeed())
		remove(dup)
		Eventually(gone(dup)).Should(BeTrue())
	})
})
