package controllers_test

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

var _ = Describe("Collaborator", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("waits (Pending, Reconciling) for an Account, a WorkCenter and a role, and becomes Active when they appear", func() {
		create(newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=site-viewer"))
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "jane")(g)
			g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountNotFound))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonAccountNotFound)
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonAccountNotFound)
			expectAbsent(g, c.Status.Conditions, v1alpha1.ConditionStalled)
		}).Should(Succeed())
		create(newAccount(ns, "acme", 1))
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "jane")(g)
			g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonWorkCenterNotFound)
		}).Should(Succeed())
		create(newWorkCenter(ns, "tower-a"))
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "jane")(g)
			g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentPending, v1alpha1.ReasonRoleNotFound))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRoleNotFound)
		}).Should(Succeed())
		create(newRole(ns, "site-viewer", includes("read-only")))
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "jane")(g)
			g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentActive, ""))
			g.Expect(c.Status.Licensed).To(BeNil(), "licensed is for Members only")
			g.Expect(c.Status.ObservedGeneration).To(Equal(c.Generation))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			expectAbsent(g, c.Status.Conditions, v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled)
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(1)))
		}).Should(Succeed())
		Eventually(func() []string { return eventsFor(ns, "jane") }).Should(ContainElement("Normal/" + v1alpha1.ReasonAssignmentActivated))
	})

	Context("with an account", func() {
		BeforeEach(func() {
			create(newAccount(ns, "acme", 2), newWorkCenter(ns, "tower-a"), newWorkCenter(ns, "tower-b", archived),
				newRole(ns, "planner", perms("tasks.create")))
		})

		It("rejects a Guest holding a member-only role (R2) as Stalled RoleRequiresMember, naming role and permissions", func() {
			create(newCollaborator(ns, "guest", v1alpha1.Guest, "tower-a=planner", "tower-b=contributor"))
			Eventually(func(g Gomega) {
				c := getCollaborator(ns, "guest")(g)
				s := assignment(c, "tower-a")
				g.Expect(s).To(MatchFields(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember))
				g.Expect(s.Message).To(And(ContainSubstring("planner"), ContainSubstring("tasks.create")))
				g.Expect(assignment(c, "tower-b").State).To(Equal(v1alpha1.AssignmentArchived))
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRoleRequiresMember)
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonRoleRequiresMember)
				expectAbsent(g, c.Status.Conditions, v1alpha1.ConditionReconciling)
				g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(0)))
				g.Expect(getWorkCenter(ns, "tower-b")(g).Status.Collaborators).To(Equal(int32(1)))
			}).Should(Succeed())
			Eventually(func() []string { return eventsFor(ns, "guest") }).Should(ContainElement("Warning/" + v1alpha1.ReasonRoleRequiresMember))

			By("upgrading the guest to Member in the same change as the owner role")
			update(getCollaborator(ns, "guest")(Default), func(c *v1alpha1.Collaborator) {
				c.Spec.Type = v1alpha1.Member
				c.Spec.WorkCenters[1].Role = "workcenter-owner"
			})
			Eventually(func(g Gomega) {
				c := getCollaborator(ns, "guest")(g)
				g.Expect(assignment(c, "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
				g.Expect(assignment(c, "tower-b").State).To(Equal(v1alpha1.AssignmentArchived))
				g.Expect(c.Status.Licensed).To(Equal(ptr.To(true)))
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
				expectAbsent(g, c.Status.Conditions, v1alpha1.ConditionStalled)
			}).Should(Succeed())
		})

		It("rejects the assignment when a role a guest holds becomes member-only (R2 through the role)", func() {
			create(newRole(ns, "helper", includes("viewer")), newRole(ns, "viewer"),
				newCollaborator(ns, "guest", v1alpha1.Guest, "tower-a=helper"))
			Eventually(func(g Gomega) {
				g.Expect(assignment(getCollaborator(ns, "guest")(g), "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
			}).Should(Succeed())
			update(getRole(ns, "viewer")(Default), func(r *v1alpha1.WorkCenterRole) { r.Spec.Levels.Folders = v1alpha1.LevelAdmin })
			Eventually(func(g Gomega) {
				s := assignment(getCollaborator(ns, "guest")(g), "tower-a")
				g.Expect(s).To(MatchFields(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember))
				g.Expect(s.Message).To(ContainSubstring("folders.delete"))
			}).Should(Succeed())
		})

		It("rejects member-only roles of a Member turned Guest (R3)", func() {
			create(newCollaborator(ns, "bob", v1alpha1.Member, "tower-a=planner"))
			Eventually(func(g Gomega) {
				g.Expect(assignment(getCollaborator(ns, "bob")(g), "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
			}).Should(Succeed())
			update(getCollaborator(ns, "bob")(Default), func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Guest })
			Eventually(func(g Gomega) {
				c := getCollaborator(ns, "bob")(g)
				g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember))
				g.Expect(c.Status.Licensed).To(BeNil())
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonRoleRequiresMember)
			}).Should(Succeed())
		})

		It("gives licenses to the oldest Members first and never more than licenses (R4)", func() {
			for _, n := range []string{"m1", "m2", "m3"} {
				create(newCollaborator(ns, n, v1alpha1.Member, "tower-a=contributor"))
				time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
			}
			Eventually(func(g Gomega) {
				g.Expect(getCollaborator(ns, "m1")(g).Status.Licensed).To(Equal(ptr.To(true)))
				g.Expect(getCollaborator(ns, "m2")(g).Status.Licensed).To(Equal(ptr.To(true)))
				m3 := getCollaborator(ns, "m3")(g)
				g.Expect(m3.Status.Licensed).To(Equal(ptr.To(false)))
				g.Expect(assignment(m3, "tower-a")).To(MatchFields(v1alpha1.AssignmentPending, v1alpha1.ReasonLicenseLimitExceeded))
				expectCondition(g, m3.Status.Conditions, m3.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonLicenseLimitExceeded)
				expectAbsent(g, m3.Status.Conditions, v1alpha1.ConditionStalled)
				a := getAccount(ns, "acme")(g)
				expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionLicensed, metav1.ConditionFalse, v1alpha1.ReasonLicenseLimitExceeded)
				g.Expect(a.Status.LicensesUsed).To(Equal(int32(2)))
			}).Should(Succeed())
			Eventually(func() []string { return eventsFor(ns, "m3") }).Should(ContainElement("Warning/" + v1alpha1.ReasonLicenseLimitExceeded))

			By("freeing a license by deleting an older Member")
			remove(newCollaborator(ns, "m1", v1alpha1.Member))
			Eventually(func(g Gomega) {
				m3 := getCollaborator(ns, "m3")(g)
				g.Expect(m3.Status.Licensed).To(Equal(ptr.To(true)))
				g.Expect(assignment(m3, "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
				a := getAccount(ns, "acme")(g)
				expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionLicensed, metav1.ConditionTrue, v1alpha1.ReasonLicensesAvailable)
			}).Should(Succeed())
			Eventually(func() []string { return eventsFor(ns, "m3") }).Should(ContainElement("Normal/" + v1alpha1.ReasonLicenseGranted))

			By("withholding the newest Member's license when licenses shrink")
			update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.Licenses = 1 })
			Eventually(func(g Gomega) {
				g.Expect(getCollaborator(ns, "m2")(g).Status.Licensed).To(Equal(ptr.To(true)))
				g.Expect(getCollaborator(ns, "m3")(g).Status.Licensed).To(Equal(ptr.To(false)))
			}).Should(Succeed())
		})

		It("keeps emails unique, case-insensitively: all but the oldest are Stalled DuplicateEmail (R5)", func() {
			first := newCollaborator(ns, "first", v1alpha1.Guest, "tower-a=contributor")
			first.Spec.Email = "Jane@Partner.example"
			create(first)
			time.Sleep(1100 * time.Millisecond)
			second := newCollaborator(ns, "second", v1alpha1.Guest, "tower-a=contributor")
			second.Spec.Email = "jane@partner.EXAMPLE"
			create(second)
			Eventually(func(g Gomega) {
				c := getCollaborator(ns, "second")(g)
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDuplicateEmail)
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonDuplicateEmail)
				g.Expect(cond(c.Status.Conditions, v1alpha1.ConditionReady).Message).To(ContainSubstring(`"first"`))
				g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentRejected, v1alpha1.ReasonDuplicateEmail))
				f := getCollaborator(ns, "first")(g)
				expectCondition(g, f.Status.Conditions, f.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			}).Should(Succeed())
			remove(first)
			Eventually(func(g Gomega) {
				c := getCollaborator(ns, "second")(g)
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
				expectAbsent(g, c.Status.Conditions, v1alpha1.ConditionStalled)
			}).Should(Succeed())
		})

		It("gives administrators every WorkCenter without an assignment and counts nothing for them", func() {
			create(admin(v1alpha1.AdminRoleWorkCenterAdministrator, newCollaborator(ns, "wca", v1alpha1.Member)))
			Eventually(func(g Gomega) {
				c := getCollaborator(ns, "wca")(g)
				g.Expect(c.Status.WorkCenters).To(BeEmpty())
				g.Expect(c.Status.Licensed).To(Equal(ptr.To(true)))
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
				g.Expect(cond(c.Status.Conditions, v1alpha1.ConditionReady).Message).To(ContainSubstring("every permission in every WorkCenter"))
			}).Should(Succeed())
		})

		Context("last administrator (R7)", func() {
			// deleteOnlyAdministrator creates the account's only AccountAdministrator,
			// deletes it, and waits until its deletion is blocked.
			deleteOnlyAdministrator := func() *v1alpha1.Collaborator {
				boss := admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "boss", v1alpha1.Member))
				create(boss)
				waitForFinalizer(&v1alpha1.Collaborator{}, ns, "boss", v1alpha1.FinalizerLastAdministrator)
				remove(boss)
				EventuallyWithOffset(1, func(g Gomega) {
					c := getCollaborator(ns, "boss")(g)
					expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonLastAccountAdministrator)
				}).Should(Succeed())
				return boss
			}

			It("holds the last AccountAdministrator with DeletionBlocked until another one is added", func() {
				boss := deleteOnlyAdministrator()
				Eventually(func() []string { return eventsFor(ns, "boss") }).Should(ContainElement("Warning/" + v1alpha1.ReasonLastAccountAdministrator))
				Consistently(func(g Gomega) { getCollaborator(ns, "boss")(g) }, "2s").Should(Succeed())
				create(admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "heir", v1alpha1.Member)))
				Eventually(gone(boss)).Should(BeTrue())
			})

			It("keeps exactly one when two AccountAdministrators are deleted at once", func() {
				a := admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "a-admin", v1alpha1.Member))
				b := admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "b-admin", v1alpha1.Member))
				create(a, b)
				Eventually(func(g Gomega) {
					g.Expect(getCollaborator(ns, "a-admin")(g).Finalizers).To(ContainElement(v1alpha1.FinalizerLastAdministrator))
					g.Expect(getCollaborator(ns, "b-admin")(g).Finalizers).To(ContainElement(v1alpha1.FinalizerLastAdministrator))
				}).Should(Succeed())
				remove(a, b)
				Eventually(func() int {
					n := 0
					for _, o := range []*v1alpha1.Collaborator{a, b} {
						if !gone(o)() {
							n++
						}
					}
					return n
				}).Should(Equal(1))
				Consistently(func() bool { return gone(a)() && gone(b)() }, "2s").Should(BeFalse())
			})

			It("releases the last AccountAdministrator once the Account is Deactivated", func() {
				boss := deleteOnlyAdministrator()
				update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })
				Eventually(gone(boss)).Should(BeTrue())
			})

			It("releases the last AccountAdministrator once the Account is being deleted", func() {
				boss := deleteOnlyAdministrator()
				remove(newAccount(ns, "acme", 0))
				Eventually(gone(boss)).Should(BeTrue())
			})

			It("drops the finalizer from a demoted administrator and reports NoAccountAdministrator", func() {
				create(admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "boss", v1alpha1.Member)))
				waitForFinalizer(&v1alpha1.Collaborator{}, ns, "boss", v1alpha1.FinalizerLastAdministrator)
				update(getCollaborator(ns, "boss")(Default), func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleNone })
				Eventually(func(g Gomega) {
					g.Expect(getCollaborator(ns, "boss")(g).Finalizers).NotTo(ContainElement(v1alpha1.FinalizerLastAdministrator))
					a := getAccount(ns, "acme")(g)
					expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionAdministratorAssigned, metav1.ConditionFalse, v1alpha1.ReasonNoAccountAdministrator)
				}).Should(Succeed())
			})
		})
	})
})

// MatchFields matches an assignment's state and reason.
func MatchFields(state v1alpha1.AssignmentState, reason string) OmegaMatcher {
	return And(
		WithTransform(func(s v1alpha1.WorkCenterAssignmentStatus) v1alpha1.AssignmentState { return s.State }, Equal(state)),
		WithTransform(func(s v1alpha1.WorkCenterAssignmentStatus) string { return s.Reason }, Equal(reason)),
	)
}
