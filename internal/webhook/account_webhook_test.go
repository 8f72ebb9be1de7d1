package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

var _ = Describe("Account admission", func() {
	var ns string
	var acct *v1alpha1.Account
	BeforeEach(func() {
		ns = newNamespace()
		acct = newAccount(ns, "acme", 3, "Residential", "Commercial", "Industrial")
		withAccount(acct)
	})

	It("warns when the namespace already has an Account", func() {
		expectAllowed(creating(newAccount(ns, "acme-two", 1)),
			`namespace "`+ns+`" already has Account "acme"; a namespace holds one Account and the oldest wins, so Account "acme-two" will not be Ready (DuplicateAccount)`)
	})

	It("warns when categories that WorkCenters use leave the picklist", func() {
		create(newWorkCenter(ns, "tower-a", "Residential"), newWorkCenter(ns, "tower-b", "Residential"),
			newWorkCenter(ns, "plant", "Industrial"), newWorkCenter(ns, "mall", "Commercial"))
		w := expectAllowed(updating(acct, func(a *v1alpha1.Account) {
			a.Spec.Picklists.WorkCenterCategories = []v1alpha1.PicklistItem{"Commercial"}
		}),
			`category "Residential" leaves Account "acme"'s workCenterCategories but WorkCenters still use it: tower-a, tower-b; they will not be Ready (UnknownCategory)`,
			`category "Industrial" leaves Account "acme"'s workCenterCategories but WorkCenters still use it: plant;`)
		Expect(w).To(HaveLen(2))
	})

	It("warns when fewer licenses take them from Members, naming the newest", func() {
		for _, n := range names("m", 3) {
			create(newCollaborator(ns, n, v1alpha1.Member))
		}
		expectAllowed(updating(acct, func(a *v1alpha1.Account) { a.Spec.Licenses = 1 }),
			`lowering Account "acme"'s licenses to 1 takes the license, and with it every access, from its newest Members: m02, m03 (LicenseLimitExceeded)`)
	})

	It("changes without a warning when nothing is affected", func() {
		expectAllowed(updating(acct, func(a *v1alpha1.Account) {
			a.Spec.DisplayName = "Acme Builders"
			a.Spec.Licenses = 10
			a.Spec.Picklists.WorkCenterCategories = []v1alpha1.PicklistItem{"Residential"}
		}))
	})

	It("warns on DELETE while it still has WorkCenters, custom roles or Collaborators; the deletion waits", func() {
		create(newWorkCenter(ns, "tower-a", ""), newRole(ns, "viewer", includes("read-only")),
			newCollaborator(ns, "gina", v1alpha1.Guest), newCollaborator(ns, "mark", v1alpha1.Member))
		waitForFinalizer(acct, v1alpha1.FinalizerAccountProtection)
		expectAllowed(deleting(acct),
			`Account "acme" still has 1 WorkCenters, 1 custom WorkCenterRoles and 2 Collaborators; its deletion waits (finalizer access.workcenter.io/account-protection, DeletionBlocked AccountInUse)`)
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key(acct), acct)).To(Succeed())
			g.Expect(acct.DeletionTimestamp).NotTo(BeNil())
			g.Expect(cond(acct.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Reason).To(Equal(v1alpha1.ReasonAccountInUse))
		}).Should(Succeed())
	})

	It("deletes an Account with nothing but its built-in roles without a warning", func() {
		waitForFinalizer(acct, v1alpha1.FinalizerAccountProtection)
		expectAllowed(deleting(acct))
		Eventually(func() bool { return apierrors.IsNotFound(k8sClient.Get(ctx, key(acct), acct)) }).Should(BeTrue())
	})
})
