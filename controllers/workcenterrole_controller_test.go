package controllers_test

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

var _ = Describe("WorkCenterRole", func() {
	var ns string
	BeforeEach(func() {
		ns = newNamespace()
		create(newAccount(ns, "acme", 100), newWorkCenter(ns, "tower-a"), newWorkCenter(ns, "tower-b", archived))
	})

	It("computes effective permissions from includes, levels and permissions, and who uses the role", func() {
		create(newRole(ns, "site-engineer", includes("contributor"), perms("tasks.create"), func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Levels.Folders = v1alpha1.LevelReadOnly
			r.Spec.Levels.Tasks = v1alpha1.LevelStandard
		}),
			newRole(ns, "site-lead", includes("site-engineer")),
			newCollaborator(ns, "bob", v1alpha1.Member, "tower-a=site-engineer", "tower-b=site-engineer"),
			newCollaborator(ns, "ann", v1alpha1.Member, "tower-a=site-engineer"))
		Eventually(func(g Gomega) {
			r := getRole(ns, "site-engineer")(g)
			g.Expect(r.Status.BuiltIn).To(BeFalse())
			g.Expect(r.Status.Permissions).To(Equal([]v1alpha1.Permission{
				"fileComments.create", "fileComments.delete", "files.delete", "files.download", "files.restoreVersion",
				"files.update", "files.upload", "posts.create", "posts.delete", "posts.edit",
				"taskComments.create", "taskComments.delete", "tasks.create", "tasks.delete", "workCenter.view",
			}))
			g.Expect(r.Status.MemberOnly).To(BeTrue())
			g.Expect(r.Status.MemberOnlyPermissions).To(Equal([]v1alpha1.Permission{"tasks.create"}))
			g.Expect(r.Status.Assignments).To(Equal(int32(3)))
			g.Expect(r.Status.AssignedTo).To(Equal([]v1alpha1.RoleAssignment{
				{Collaborator: "ann", WorkCenter: "tower-a"},
				{Collaborator: "bob", WorkCenter: "tower-a"},
				{Collaborator: "bob", WorkCenter: "tower-b", Archived: true},
			}))
			g.Expect(r.Status.IncludedBy).To(Equal([]v1alpha1.ObjectName{"site-lead"}))
			g.Expect(r.Status.ObservedGeneration).To(Equal(r.Generation))
			expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionInUse, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
			expectAbsent(g, r.Status.Conditions, v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled, v1alpha1.ConditionDeletionBlocked)

			lead := getRole(ns, "site-lead")(g)
			g.Expect(lead.Status.Permissions).To(Equal(r.Status.Permissions), "an include is kept live")
			expectCondition(g, lead.Status.Conditions, lead.Generation, v1alpha1.ConditionInUse, metav1.ConditionFalse, v1alpha1.ReasonRoleNotInUse)
			contributor := getRole(ns, "contributor")(g)
			g.Expect(contributor.Status.IncludedBy).To(Equal([]v1alpha1.ObjectName{"site-engineer"}))
			expectCondition(g, contributor.Status.Conditions, contributor.Generation, v1alpha1.ConditionInUse, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
		}).Should(Succeed())

		By("keeping includes live: a change of the included role reaches the including ones")
		update(getRole(ns, "site-engineer")(Default), func(r *v1alpha1.WorkCenterRole) { r.Spec.Permissions = append(r.Spec.Permissions, "folders.delete") })
		Eventually(func(g Gomega) {
			g.Expect(getRole(ns, "site-lead")(g).Status.MemberOnlyPermissions).To(Equal([]v1alpha1.Permission{"folders.delete", "tasks.create"}))
		}).Should(Succeed())

		By("dropping an include from includedBy when it is removed")
		update(getRole(ns, "site-lead")(Default), func(r *v1alpha1.WorkCenterRole) { r.Spec.Includes = nil })
		Eventually(func(g Gomega) {
			g.Expect(getRole(ns, "site-engineer")(g).Status.IncludedBy).To(BeEmpty())
			g.Expect(getRole(ns, "site-lead")(g).Status.Permissions).To(Equal([]v1alpha1.Permission{"workCenter.view"}))
		}).Should(Succeed())
	})

	It("lists the first 20 assignments, sorted, and counts them all", func() {
		for i := 0; i < 23; i++ {
			create(newCollaborator(ns, fmt.Sprintf("guest-%02d", i), v1alpha1.Guest, "tower-a=read-only"))
		}
		Eventually(func(g Gomega) {
			r := getRole(ns, "read-only")(g)
			g.Expect(r.Status.Assignments).To(Equal(int32(23)))
			g.Expect(r.Status.AssignedTo).To(HaveLen(20))
			g.Expect(r.Status.AssignedTo[0].Collaborator).To(Equal("guest-00"))
			g.Expect(r.Status.AssignedTo[19].Collaborator).To(Equal("guest-19"))
		}).Should(Succeed())
	})

	It("reports a cycle of includes as Stalled InclusionCycle, and a missing include as Reconciling until it appears", func() {
		create(newRole(ns, "a", includes("b")), newRole(ns, "b", includes("c")), newRole(ns, "c", includes("a")),
			newRole(ns, "waiting", includes("later")))
		Eventually(func(g Gomega) {
			for _, n := range []string{"a", "b", "c"} {
				r := getRole(ns, n)(g)
				expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInclusionCycle)
				expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonInclusionCycle)
				g.Expect(cond(r.Status.Conditions, v1alpha1.ConditionStalled).Message).To(ContainSubstring("a -> b -> c -> a"))
				expectAbsent(g, r.Status.Conditions, v1alpha1.ConditionReconciling)
			}
			w := getRole(ns, "waiting")(g)
			expectCondition(g, w.Status.Conditions, w.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRoleNotFound)
			expectCondition(g, w.Status.Conditions, w.Generation, v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonRoleNotFound)
			expectAbsent(g, w.Status.Conditions, v1alpha1.ConditionStalled)
		}).Should(Succeed())

		By("breaking the cycle and creating the missing role")
		update(getRole(ns, "c")(Default), func(r *v1alpha1.WorkCenterRole) { r.Spec.Includes = nil })
		create(newRole(ns, "later", perms("posts.create")))
		Eventually(func(g Gomega) {
			for _, n := range []string{"a", "b", "c", "waiting"} {
				r := getRole(ns, n)(g)
				expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
				expectAbsent(g, r.Status.Conditions, v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled)
			}
			g.Expect(getRole(ns, "waiting")(g).Status.Permissions).To(ContainElement(v1alpha1.Permission("posts.create")))
		}).Should(Succeed())
	})

	Context("in-use protection (R6)", func() {
		It("holds a role while assigned, archived WorkCenters included, naming up to 10 users and the total", func() {
			role := newRole(ns, "site-engineer")
			create(role)
			for i := 0; i < 12; i++ {
				wc := "tower-a"
				if i == 11 {
					wc = "tower-b" // archived: still an assignment
				}
				create(newCollaborator(ns, fmt.Sprintf("user-%02d", i), v1alpha1.Guest, wc+"=site-engineer"))
			}
			waitForFinalizer(&v1alpha1.WorkCenterRole{}, ns, "site-engineer", v1alpha1.FinalizerInUseProtection)
			remove(role)
			Eventually(func(g Gomega) {
				r := getRole(ns, "site-engineer")(g)
				expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
				msg := cond(r.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Message
				g.Expect(msg).To(ContainSubstring("user-00, user-01"))
				g.Expect(msg).To(ContainSubstring("user-09"))
				g.Expect(msg).NotTo(ContainSubstring("user-10"))
				g.Expect(msg).To(ContainSubstring("2 more (12 in total)"))
			}).Should(Succeed())
			Eventually(func() []string { return eventsFor(ns, "site-engineer") }).Should(ContainElement("Warning/" + v1alpha1.ReasonRoleInUse))

			By("releasing it once the last assignment, in the archived WorkCenter, goes")
			for i := 0; i < 11; i++ {
				remove(newCollaborator(ns, fmt.Sprintf("user-%02d", i), v1alpha1.Guest))
			}
			Consistently(func(g Gomega) { getRole(ns, "site-engineer")(g) }, "2s").Should(Succeed())
			update(getCollaborator(ns, "user-11")(Default), func(c *v1alpha1.Collaborator) { c.Spec.WorkCenters = nil })
			Eventually(gone(role)).Should(BeTrue())
		})

		It("holds a role while another role includes it", func() {
			base := newRole(ns, "base")
			create(base, newRole(ns, "top", includes("base")))
			waitForFinalizer(&v1alpha1.WorkCenterRole{}, ns, "base", v1alpha1.FinalizerInUseProtection)
			remove(base)
			Eventually(func(g Gomega) {
				r := getRole(ns, "base")(g)
				expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
				g.Expect(cond(r.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Message).To(ContainSubstring("top"))
			}).Should(Succeed())
			update(getRole(ns, "top")(Default), func(r *v1alpha1.WorkCenterRole) { r.Spec.Includes = nil })
			Eventually(gone(base)).Should(BeTrue())
		})

		It("deletes an unused custom role at once", func() {
			role := newRole(ns, "unused")
			create(role)
			waitForFinalizer(&v1alpha1.WorkCenterRole{}, ns, "unused", v1alpha1.FinalizerInUseProtection)
			remove(role)
			Eventually(gone(role)).Should(BeTrue())
		})

		It("rejects a new assignment to a terminating role (R10) while the existing one stays in effect", func() {
			role := newRole(ns, "site-engineer")
			create(role, newCollaborator(ns, "old", v1alpha1.Guest, "tower-a=site-engineer"))
			Eventually(func(g Gomega) {
				g.Expect(assignment(getCollaborator(ns, "old")(g), "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
				g.Expect(getRole(ns, "site-engineer")(g).Finalizers).To(ContainElement(v1alpha1.FinalizerInUseProtection))
			}).Should(Succeed())
			remove(role)
			// The operator's cache must have seen the deletion before the new assignment
			// is first judged: one judged earlier, in the same second as the deletion, took
			// effect then as far as R10's second-precision times can tell (decisions.md,
			// Assignments), and admission, which refuses it, is not in this suite.
			Eventually(func(g Gomega) {
				g.Expect(cond(getRole(ns, "site-engineer")(g).Status.Conditions, v1alpha1.ConditionDeletionBlocked).Status).To(Equal(metav1.ConditionTrue))
			}).Should(Succeed())
			create(newCollaborator(ns, "new", v1alpha1.Guest, "tower-a=site-engineer"))
			Eventually(func(g Gomega) {
				c := getCollaborator(ns, "new")(g)
				s := assignment(c, "tower-a")
				g.Expect(s.State).To(Equal(v1alpha1.AssignmentRejected))
				g.Expect(s.Reason).To(Equal(v1alpha1.ReasonRoleTerminating))
				expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRoleTerminating)
				g.Expect(assignment(getCollaborator(ns, "old")(g), "tower-a").State).To(Equal(v1alpha1.AssignmentActive))
				r := getRole(ns, "site-engineer")(g)
				g.Expect(cond(r.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Message).To(And(ContainSubstring("new"), ContainSubstring("old")))
			}).Should(Succeed())
			Eventually(func() []string { return eventsFor(ns, "new") }).Should(ContainElement("Warning/" + v1alpha1.ReasonRoleTerminating))

			By("releasing the role once neither holds it, and then waiting for it (Pending RoleNotFound)")
			update(getCollaborator(ns, "old")(Default), func(c *v1alpha1.Collaborator) { c.Spec.WorkCenters = nil })
			Consistently(func(g Gomega) { getRole(ns, "site-engineer")(g) }, "2s").Should(Succeed())
			remove(newCollaborator(ns, "new", v1alpha1.Guest))
			Eventually(gone(role)).Should(BeTrue())
		})

		It("holds a built-in role while assigned, and recreates it once deleted unassigned", func() {
			create(newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=read-only"))
			readOnly := newRole(ns, "read-only")
			Eventually(func(g Gomega) {
				g.Expect(getRole(ns, "read-only")(g).Status.Assignments).To(Equal(int32(1)))
			}).Should(Succeed())
			remove(readOnly)
			Eventually(func(g Gomega) {
				r := getRole(ns, "read-only")(g)
				expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
			}).Should(Succeed())
			update(getCollaborator(ns, "jane")(Default), func(c *v1alpha1.Collaborator) { c.Spec.WorkCenters = nil })
			Eventually(func(g Gomega) {
				r := getRole(ns, "read-only")(g)
				g.Expect(r.DeletionTimestamp).To(BeNil())
				expectAbsent(g, r.Status.Conditions, v1alpha1.ConditionDeletionBlocked)
			}).Should(Succeed())
		})
	})
})
