package controllers_test

import (
	"fmt"
	"strings"
	"unicode/utf8"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// longName is a valid object name of exactly n characters starting with prefix.
func longName(prefix string, n int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for b.Len() < n {
		if b.Len()%50 == 0 && b.Len()+2 <= n {
			b.WriteString(".x")
			continue
		}
		b.WriteByte('x')
	}
	return b.String()
}

// titled gives an object built from a long name a display name within its 128
// characters (the fixtures derive it from the name), as multi-byte as it may be.
func titled[T client.Object](o T) T {
	title := strings.Repeat("Ü", 128)
	switch t := any(o).(type) {
	case *v1alpha1.WorkCenter:
		t.Spec.DisplayName = title
	case *v1alpha1.WorkCenterRole:
		t.Spec.DisplayName = title
	case *v1alpha1.Collaborator:
		t.Spec.DisplayName = title
	}
	return o
}

func withEmail(c *v1alpha1.Collaborator, email string) *v1alpha1.Collaborator {
	c.Spec.Email = email
	return c
}

// expectSettled asserts that every object of the namespace has processed its
// generation: Ready present, not a reconcile error, observedGeneration at generation,
// and every assignment message within its bound, whole runes.
func expectSettled(g Gomega, ns string) {
	check := func(name string, generation, observed int64, conds []metav1.Condition) {
		g.ExpectWithOffset(2, observed).To(Equal(generation), "%s: status.observedGeneration", name)
		ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
		g.ExpectWithOffset(2, ready).NotTo(BeNil(), "%s: no Ready", name)
		g.ExpectWithOffset(2, ready.Reason).NotTo(Equal(v1alpha1.ReasonReconcileError), "%s: %s", name, ready.Message)
		for _, c := range conds {
			g.ExpectWithOffset(2, utf8.ValidString(c.Message)).To(BeTrue(), "%s: %s message", name, c.Type)
		}
	}
	var accts v1alpha1.AccountList
	var wcs v1alpha1.WorkCenterList
	var roles v1alpha1.WorkCenterRoleList
	var collabs v1alpha1.CollaboratorList
	for _, l := range []client.ObjectList{&accts, &wcs, &roles, &collabs} {
		g.Expect(k8sClient.List(ctx, l, client.InNamespace(ns))).To(Succeed())
	}
	for _, o := range accts.Items {
		check("Account "+o.Name, o.Generation, o.Status.ObservedGeneration, o.Status.Conditions)
	}
	for _, o := range wcs.Items {
		check("WorkCenter "+o.Name, o.Generation, o.Status.ObservedGeneration, o.Status.Conditions)
	}
	for _, o := range roles.Items {
		check("WorkCenterRole "+o.Name, o.Generation, o.Status.ObservedGeneration, o.Status.Conditions)
	}
	for _, o := range collabs.Items {
		check("Collaborator "+o.Name, o.Generation, o.Status.ObservedGeneration, o.Status.Conditions)
		g.Expect(o.Status.WorkCenters).To(HaveLen(len(o.Spec.WorkCenters)), "Collaborator %s", o.Name)
		for _, s := range o.Status.WorkCenters {
			g.Expect(len(s.Message)).To(BeNumerically("<=", model.MaxAssignmentMessage))
			g.Expect(utf8.ValidString(s.Message)).To(BeTrue())
		}
	}
}

var _ = Describe("Correctness: reproduced defects", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	// An R2 message built from three long names fits status.workCenters[].message
	// (1024): one that overflows it makes every status patch refused, and the
	// Collaborator never gets a status.
	It("gives a Guest with long names a readable, bounded RoleRequiresMember status", func() {
		guest, wc, role := longName("guest", 244), longName("tower", 243), longName("planner", 245)
		create(newAccount(ns, "acme", 1), titled(newWorkCenter(ns, wc)), titled(newRole(ns, role, perms("tasks.create", "folders.delete"))),
			titled(withEmail(newCollaborator(ns, guest, v1alpha1.Guest, wc+"="+role), "guest@example.com")))
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, guest)(g)
			g.Expect(c.Status.ObservedGeneration).To(Equal(c.Generation))
			s := assignment(c, wc)
			g.Expect(s.State).To(Equal(v1alpha1.AssignmentRejected))
			g.Expect(s.Reason).To(Equal(v1alpha1.ReasonRoleRequiresMember))
			g.Expect(len(s.Message)).To(BeNumerically("<=", model.MaxAssignmentMessage))
			g.Expect(s.Message).To(ContainSubstring("member-only"))
			g.Expect(s.Message).To(ContainSubstring("tasks.create"))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonRoleRequiresMember)
		}).Should(Succeed())
		Eventually(func() []string { return eventsFor(ns, guest) }).Should(ContainElement("Warning/" + v1alpha1.ReasonRoleRequiresMember))
		Eventually(func(g Gomega) { expectSettled(g, ns) }).Should(Succeed())
	})

	It("converges with every name and list at its maximum: every status write succeeds", func() {
		const workCenters, maxIncludes, members = 256, 32, 26
		categories := make([]string, 0, 256)
		for i := range 256 {
			categories = append(categories, fmt.Sprintf("%03d-", i)+strings.Repeat("ç", 60))
		}
		acct := newAccount(ns, "acme", members-6, categories...)
		acct.Spec.DisplayName = strings.Repeat("Ü", 128)
		create(acct)

		wcNames := make([]string, workCenters)
		for i := range wcNames {
			wcNames[i] = longName(fmt.Sprintf("wc-%03d", i), 253)
			wc := titled(newWorkCenter(ns, wcNames[i]))
			wc.Spec.Category = categories[i]
			if i == workCenters-1 {
				wc.Spec.Category = strings.Repeat("ñ", 64) // R8: not in the picklist
			}
			create(wc)
		}
		// 32 roles with the longest names, one including them all and every permission,
		// and a cycle through 32 more.
		var base []string
		for i := range maxIncludes {
			base = append(base, longName(fmt.Sprintf("base-%02d", i), 253))
			create(titled(newRole(ns, base[i], perms("files.upload"))))
		}
		wide := longName("wide", 253)
		var all []string
		for _, p := range model.All().Sorted() {
			all = append(all, string(p))
		}
		create(titled(newRole(ns, wide, perms(all...), func(r *v1alpha1.WorkCenterRole) {
			for _, b := range base {
				r.Spec.Includes = append(r.Spec.Includes, v1alpha1.ObjectName(b))
			}
		})))
		cycle := make([]string, maxIncludes)
		for i := range cycle {
			cycle[i] = longName(fmt.Sprintf("cyc-%02d", i), 253)
		}
		for i := range cycle {
			create(titled(newRole(ns, cycle[i], includes(cycle[(i+1)%len(cycle)]))))
		}

		assignAll := func(c *v1alpha1.Collaborator, role string) *v1alpha1.Collaborator {
			for _, wc := range wcNames {
				c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: v1alpha1.ObjectName(wc), Role: v1alpha1.ObjectName(role)})
			}
			return c
		}
		longEmail := func(c *v1alpha1.Collaborator, prefix string) *v1alpha1.Collaborator {
			return titled(withEmail(c, prefix+strings.Repeat("e", 64-len(prefix))+"@"+strings.Repeat("d", 185)+".com"))
		}
		// A Guest holding the member-only role everywhere (R2 on 256 entries), a Member
		// holding a role in a cycle everywhere, and Members holding a base role, more
		// than there are licenses (R4), who keep it from being deleted (R6).
		create(assignAll(longEmail(newCollaborator(ns, longName("guest", 253), v1alpha1.Guest), "guest"), wide))
		create(assignAll(longEmail(newCollaborator(ns, longName("cycler", 253), v1alpha1.Member), "cycler"), cycle[0]))
		for i := range members - 1 {
			c := longEmail(newCollaborator(ns, longName(fmt.Sprintf("member-%02d", i), 253), v1alpha1.Member), fmt.Sprintf("m%02d", i))
			c.Spec.WorkCenters = []v1alpha1.WorkCenterAssignment{{Name: v1alpha1.ObjectName(wcNames[i]), Role: v1alpha1.ObjectName(base[0])}}
			create(c)
		}
		Eventually(func(g Gomega) { expectSettled(g, ns) }, "3m").Should(Succeed())

		Eventually(func(g Gomega) {
			guest := getCollaborator(ns, longName("guest", 253))(g)
			for _, s := range guest.Status.WorkCenters {
				g.Expect(s.Reason).To(Equal(v1alpha1.ReasonRoleRequiresMember), s.Name)
			}
			cycler := getCollaborator(ns, longName("cycler", 253))(g)
			g.Expect(assignment(cycler, wcNames[0]).Reason).To(BeElementOf(v1alpha1.ReasonInclusionCycle, v1alpha1.ReasonLicenseLimitExceeded))
			a := getAccount(ns, "acme")(g)
			expectCondition(g, a.Status.Conditions, a.Generation, v1alpha1.ConditionLicensed, metav1.ConditionFalse, v1alpha1.ReasonLicenseLimitExceeded)
			w := getWorkCenter(ns, wcNames[workCenters-1])(g)
			expectCondition(g, w.Status.Conditions, w.Generation, v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonUnknownCategory)
		}).Should(Succeed())

		// A role in use by the longest names: its deletion waits, and says who holds it.
		remove(newRole(ns, base[0]))
		Eventually(func(g Gomega) {
			r := getRole(ns, base[0])(g)
			expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
			g.Expect(cond(r.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Message).To(ContainSubstring("more"))
		}).Should(Succeed())
		Eventually(func() []string { return eventsFor(ns, base[0]) }).Should(ContainElement("Warning/" + v1alpha1.ReasonRoleInUse))
		Eventually(func() []string { return eventsFor(ns, longName("guest", 253)) }).Should(ContainElement("Warning/" + v1alpha1.ReasonRoleRequiresMember))
	})

	// "New" (R10) is decided from status.workCenters[].since, which a Pending phase keeps:
	// decided from the previous state, an existing assignment to a role being deleted
	// would be Rejected RoleTerminating after a deactivation and reactivation, and the
	// person would lose access.
	It("keeps an existing assignment to a role being deleted through deactivate and reactivate (R10)", func() {
		create(newAccount(ns, "acme", 1), newWorkCenter(ns, "tower"), newRole(ns, "eng", includes("contributor")),
			newCollaborator(ns, "m", v1alpha1.Member, "tower=eng"))
		Eventually(func(g Gomega) v1alpha1.WorkCenterAssignmentStatus {
			return assignment(getCollaborator(ns, "m")(g), "tower")
		}).Should(MatchFields(v1alpha1.AssignmentActive, ""))
		waitForFinalizer(&v1alpha1.WorkCenterRole{}, ns, "eng", v1alpha1.FinalizerInUseProtection)
		remove(newRole(ns, "eng"))
		Eventually(func(g Gomega) {
			r := getRole(ns, "eng")(g)
			expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
		}).Should(Succeed())

		acct := newAccount(ns, "acme", 1)
		update(acct, func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })
		Eventually(func(g Gomega) v1alpha1.WorkCenterAssignmentStatus {
			return assignment(getCollaborator(ns, "m")(g), "tower")
		}).Should(MatchFields(v1alpha1.AssignmentPending, v1alpha1.ReasonAccountDeactivated))
		update(acct, func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountActive })
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "m")(g)
			g.Expect(assignment(c, "tower")).To(MatchFields(v1alpha1.AssignmentActive, ""))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
		}).Should(Succeed())
		Consistently(func(g Gomega) v1alpha1.WorkCenterAssignmentStatus {
			return assignment(getCollaborator(ns, "m")(g), "tower")
		}, "2s").Should(MatchFields(v1alpha1.AssignmentActive, ""))

		// A new assignment to the terminating role is still refused.
		create(newWorkCenter(ns, "annex"))
		update(newCollaborator(ns, "m", v1alpha1.Member), func(c *v1alpha1.Collaborator) {
			c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "annex", Role: "eng"})
		})
		Eventually(func(g Gomega) v1alpha1.WorkCenterAssignmentStatus {
			return assignment(getCollaborator(ns, "m")(g), "annex")
		}).Should(MatchFields(v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleTerminating))
		Expect(assignment(getCollaborator(ns, "m")(Default), "tower")).To(MatchFields(v1alpha1.AssignmentActive, ""))
	})

	// A finalizer stripped by an update (kubectl replace, a GitOps tool syncing with
	// replace) is restored: the own-kind predicate passes such finalizer-only updates, or
	// a delete would remove a role a Collaborator still holds.
	It("restores a stripped in-use-protection finalizer, so a role in use still waits to be deleted (R6)", func() {
		create(newAccount(ns, "acme", 1), newWorkCenter(ns, "tower"), newRole(ns, "eng", includes("contributor")),
			newCollaborator(ns, "m", v1alpha1.Member, "tower=eng"))
		var role v1alpha1.WorkCenterRole
		waitForFinalizer(&role, ns, "eng", v1alpha1.FinalizerInUseProtection)
		Eventually(func(g Gomega) v1alpha1.WorkCenterAssignmentStatus {
			return assignment(getCollaborator(ns, "m")(g), "tower")
		}).Should(MatchFields(v1alpha1.AssignmentActive, ""))

		update(&role, func(r *v1alpha1.WorkCenterRole) { r.Finalizers = nil })
		waitForFinalizer(&role, ns, "eng", v1alpha1.FinalizerInUseProtection)

		remove(&role)
		Eventually(func(g Gomega) {
			r := getRole(ns, "eng")(g)
			g.Expect(r.DeletionTimestamp).NotTo(BeNil())
			expectCondition(g, r.Status.Conditions, r.Generation, v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
		}).Should(Succeed())
		Consistently(func(g Gomega) v1alpha1.WorkCenterAssignmentStatus {
			return assignment(getCollaborator(ns, "m")(g), "tower")
		}, "2s").Should(MatchFields(v1alpha1.AssignmentActive, ""))
	})

	It("restores a stripped last-administrator finalizer on an AccountAdministrator (R7) and account-protection on an Account (R11)", func() {
		create(newAccount(ns, "acme", 1), admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "boss", v1alpha1.Member)))
		var boss v1alpha1.Collaborator
		waitForFinalizer(&boss, ns, "boss", v1alpha1.FinalizerLastAdministrator)
		update(&boss, func(c *v1alpha1.Collaborator) { c.Finalizers = nil })
		waitForFinalizer(&boss, ns, "boss", v1alpha1.FinalizerLastAdministrator)

		var acct v1alpha1.Account
		waitForFinalizer(&acct, ns, "acme", v1alpha1.FinalizerAccountProtection)
		update(&acct, func(a *v1alpha1.Account) { a.Finalizers = nil })
		waitForFinalizer(&acct, ns, "acme", v1alpha1.FinalizerAccountProtection)
	})
})
