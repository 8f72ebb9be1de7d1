package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// holdFinalizer is a finalizer of the tests' own, to keep an object terminating.
const holdFinalizer = "test.workcenter.io/hold"

var _ = Describe("Collaborator admission", func() {
	var ns string
	BeforeEach(func() {
		ns = newNamespace()
		withAccount(newAccount(ns, "acme", 2))
		create(newWorkCenter(ns, "tower-a", ""), newWorkCenter(ns, "tower-b", ""),
			newRole(ns, "planner", perms("tasks.create")),
			newRole(ns, "lead", includes("planner")),
			newRole(ns, "viewer", includes("read-only")))
	})

	// Each entry prepares what it needs and returns the write that must be denied.
	DescribeTable("rejects, naming the objects and permissions involved",
		func(setup func(ns string) op, substrings ...string) {
			expectDenied(setup(ns), substrings...)
		},
		Entry("R2: a new Guest holding a member-only role",
			func(ns string) op {
				return creating(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=viewer", "tower-b=planner"))
			},
			`spec.workCenters[1].role`, `Guest "gina" cannot hold role "planner" in WorkCenter "tower-b"`,
			"tasks.create", "R2", v1alpha1.ReasonRoleRequiresMember),
		Entry("R2: a Guest holding a role that includes a member-only one",
			func(ns string) op { return creating(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=lead")) },
			`Guest "gina" cannot hold role "lead" in WorkCenter "tower-a"`, "tasks.create", "R2"),
		Entry("R2: a Guest given a member-only role by an update",
			func(ns string) op {
				g := newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=viewer")
				create(g)
				return updating(g, func(c *v1alpha1.Collaborator) {
					c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tower-b", Role: "planner"})
				})
			},
			`spec.workCenters[1].role`, `Guest "gina" cannot hold role "planner" in WorkCenter "tower-b"`, "tasks.create"),
		Entry("R3: a Member holding a member-only role turned into a Guest",
			func(ns string) op {
				m := newCollaborator(ns, "mark", v1alpha1.Member, "tower-a=planner", "tower-b=viewer")
				create(m)
				return updating(m, func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Guest })
			},
			`spec.type`, `Guest "mark" cannot hold role "planner" in WorkCenter "tower-a"`, "tasks.create",
			"R3", v1alpha1.ReasonRoleRequiresMember),
		Entry("R4: a new Member when every license is used",
			func(ns string) op {
				create(newCollaborator(ns, "m1", v1alpha1.Member), newCollaborator(ns, "m2", v1alpha1.Member))
				return creating(newCollaborator(ns, "m3", v1alpha1.Member))
			},
			`spec.type`, `Account "acme" has no free license for Member "m3": 2 of 2 licenses are used`,
			"R4", v1alpha1.ReasonLicenseLimitExceeded),
		Entry("R4: a Guest upgraded to Member when every license is used",
			func(ns string) op {
				g := newCollaborator(ns, "gina", v1alpha1.Guest)
				create(newCollaborator(ns, "m1", v1alpha1.Member), newCollaborator(ns, "m2", v1alpha1.Member), g)
				return updating(g, func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Member })
			},
			`Account "acme" has no free license for Member "gina": 2 of 2 licenses are used`, "R4"),
		Entry("R5: a new collaborator with another's email, in another case",
			func(ns string) op {
				create(newCollaborator(ns, "jane", v1alpha1.Guest))
				dup := newCollaborator(ns, "jane-again", v1alpha1.Guest)
				dup.Spec.Email = "JANE@Example.COM"
				return creating(dup)
			},
			`spec.email`, `email "JANE@Example.COM" is already used by Collaborator "jane"`,
			"R5", v1alpha1.ReasonDuplicateEmail),
		Entry("R5: an email changed to another's, even by the older collaborator",
			func(ns string) op {
				older := newCollaborator(ns, "aaron", v1alpha1.Guest)
				create(older, newCollaborator(ns, "zoe", v1alpha1.Guest))
				return updating(older, func(c *v1alpha1.Collaborator) { c.Spec.Email = "Zoe@example.com" })
			},
			`email "Zoe@example.com" is already used by Collaborator "zoe"`, "R5"),
		Entry("R10: a new assignment to a role being deleted",
			func(ns string) op {
				create(newCollaborator(ns, "holder", v1alpha1.Guest, "tower-a=viewer"))
				terminating(ns, "viewer")
				return creating(newCollaborator(ns, "newcomer", v1alpha1.Guest, "tower-b=viewer"))
			},
			`spec.workCenters[0].role`, `WorkCenterRole "viewer" is being deleted; it cannot be newly assigned to "newcomer" in WorkCenter "tower-b"`,
			"R10", v1alpha1.ReasonRoleTerminating),
		Entry("R10: a role being deleted moved to another WorkCenter",
			func(ns string) op {
				h := newCollaborator(ns, "holder", v1alpha1.Guest, "tower-a=viewer")
				create(h)
				terminating(ns, "viewer")
				return updating(h, func(c *v1alpha1.Collaborator) {
					c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tower-b", Role: "viewer"})
				})
			},
			`spec.workCenters[1].role`, `WorkCenterRole "viewer" is being deleted; it cannot be newly assigned to "holder" in WorkCenter "tower-b"`),
		Entry("R7: demoting the last AccountAdministrator",
			func(ns string) op {
				a := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member))
				create(a)
				return updating(a, func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleUserAdministrator })
			},
			`spec.adminRole`, `Collaborator "ada" is the last AccountAdministrator of Account "acme"`,
			"R7", v1alpha1.ReasonLastAccountAdministrator),
		Entry("R7: turning the last AccountAdministrator into a Guest",
			func(ns string) op {
				a := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member))
				create(a)
				return updating(a, func(c *v1alpha1.Collaborator) {
					c.Spec.Type, c.Spec.AdminRole = v1alpha1.Guest, v1alpha1.AdminRoleNone
				})
			},
			`spec.type`, `Collaborator "ada" is the last AccountAdministrator of Account "acme"`, "R7"),
		Entry("R7: demoting an AccountAdministrator when the only other one is being deleted",
			func(ns string) op {
				a, b := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member)), accountAdmin(newCollaborator(ns, "bob", v1alpha1.Member))
				controllerutil.AddFinalizer(b, holdFinalizer)
				create(a, b)
				remove(b)
				return updating(a, func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleNone })
			},
			`Collaborator "ada" is the last AccountAdministrator of Account "acme"`, "R7"),
	)

	It("reports every broken rule of one write at once", func() {
		create(newCollaborator(ns, "jane", v1alpha1.Guest), newCollaborator(ns, "m1", v1alpha1.Member), newCollaborator(ns, "m2", v1alpha1.Member))
		c := newCollaborator(ns, "m3", v1alpha1.Member)
		c.Spec.Email = "jane@example.com"
		expectDenied(creating(c), "R4", "R5", "spec.type", "spec.email")
	})

	DescribeTable("allows R7 changes when the account keeps an administrator or does not need one",
		func(prepare func(ns string)) {
			a := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member))
			create(a)
			prepare(ns)
			expectAllowed(updating(a, func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleNone }))
		},
		Entry("another AccountAdministrator stays", func(ns string) {
			create(accountAdmin(newCollaborator(ns, "bob", v1alpha1.Member)))
		}),
		Entry("the Account is Deactivated", func(ns string) {
			update(&v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme"}},
				func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })
		}),
	)

	It("lets an existing holder of a role being deleted keep it and change anything else", func() {
		h := newCollaborator(ns, "holder", v1alpha1.Guest, "tower-a=viewer")
		create(h)
		terminating(ns, "viewer")
		expectAllowed(updating(h, func(c *v1alpha1.Collaborator) { c.Spec.DisplayName = "Holder, renamed" }))
	})

	It("warns, without denying, about the WorkCenters and roles an assignment waits for", func() {
		create(newRole(ns, "partial", includes("planned-later")))
		w := expectAllowed(creating(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-x=viewer", "tower-a=ghost", "tower-b=partial")),
			`WorkCenter "tower-x" does not exist yet; the assignment waits (Pending) until it appears`,
			`WorkCenterRole "ghost" (assigned in WorkCenter "tower-a") does not exist yet; the assignment waits (Pending) until it appears`,
			`WorkCenterRole "partial" includes "planned-later", which does not exist; the assignment in WorkCenter "tower-b" waits (Pending) until it appears`)
		Expect(w).To(HaveLen(3))
	})

	It("warns about a missing Account, and rejects nothing that needs one", func() {
		empty := newNamespace()
		expectAllowed(creating(newCollaborator(empty, "mark", v1alpha1.Member, "tower-a=contributor")),
			`namespace "`+empty+`" has no Account yet; Collaborator "mark" waits (Pending, AccountNotFound) until one appears`,
			`WorkCenter "tower-a" does not exist yet`, `WorkCenterRole "contributor" (assigned in WorkCenter "tower-a") does not exist yet`)
	})

	It("warns on DELETE of the last AccountAdministrator, whose deletion then waits on its finalizer", func() {
		a := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member))
		create(a)
		waitForFinalizer(a, v1alpha1.FinalizerLastAdministrator)
		expectAllowed(deleting(a),
			`Collaborator "ada" is the last AccountAdministrator of Account "acme": its deletion waits (finalizer access.workcenter.io/last-administrator, DeletionBlocked LastAccountAdministrator)`)
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key(a), a)).To(Succeed())
			g.Expect(a.DeletionTimestamp).NotTo(BeNil())
			g.Expect(cond(a.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Reason).To(Equal(v1alpha1.ReasonLastAccountAdministrator))
		}).Should(Succeed())

		By("making another Member an AccountAdministrator, which lets it go")
		create(accountAdmin(newCollaborator(ns, "bob", v1alpha1.Member)))
		Eventually(func() bool { return apierrors.IsNotFound(k8sClient.Get(ctx, key(a), a)) }).Should(BeTrue())
	})

	It("deletes an AccountAdministrator that is not the last one without a warning", func() {
		a, b := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member)), accountAdmin(newCollaborator(ns, "bob", v1alpha1.Member))
		create(a, b)
		waitForFinalizer(a, v1alpha1.FinalizerLastAdministrator)
		expectAllowed(deleting(a))
	})
})

// terminating deletes a role that a collaborator holds, so its in-use finalizer keeps it
// terminating, and waits until the webhooks see it so.
func terminating(ns, name string) {
	role := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	waitForFinalizer(role, v1alpha1.FinalizerInUseProtection)
	remove(role)
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(webhookView.Get(ctx, key(role), role)).To(Succeed())
		g.Expect(role.DeletionTimestamp).NotTo(BeNil())
	}).Should(Succeed())
}
