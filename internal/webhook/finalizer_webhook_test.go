package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The defect: `kubectl replace` of a manifest without the finalizer (or a GitOps tool
// syncing with replace) dropped in-use-protection from a role in use, and the next
// delete removed the role while a Collaborator held it. Admission now refuses to remove
// a protection finalizer from an object in use, for anyone but the operator, whether or
// not the object is being deleted.
var _ = Describe("Protection finalizers at admission", func() {
	var ns string
	BeforeEach(func() {
		ns = newNamespace()
		withAccount(newAccount(ns, "acme", 2))
		create(newWorkCenter(ns, "tower-a", ""), newRole(ns, "eng", includes("contributor")), newRole(ns, "spare"))
	})

	stripping := func(obj client.Object, finalizer string) op {
		waitForFinalizer(obj, finalizer)
		return updating(obj, func(o client.Object) { controllerutil.RemoveFinalizer(o, finalizer) })
	}
	// replacing is `kubectl replace` of a manifest that lacks the finalizer: the whole
	// object as written, with a spec change, and no finalizers.
	replacing := func(role *v1alpha1.WorkCenterRole) op {
		waitForFinalizer(role, v1alpha1.FinalizerInUseProtection)
		return updating(role, func(r *v1alpha1.WorkCenterRole) {
			r.Finalizers = nil
			r.Spec.Description = "replaced from Git"
		})
	}

	It("refuses to strip in-use-protection from a role in use (R6), naming its users; lets the operator, and lets it go from a role not in use", func() {
		create(newCollaborator(ns, "tom", v1alpha1.Member, "tower-a=eng"))
		synced(newCollaborator(ns, "tom", v1alpha1.Member))
		expectDeniedAs(alice, stripping(newRole(ns, "eng"), v1alpha1.FinalizerInUseProtection),
			"metadata.finalizers", `WorkCenterRole "eng" is assigned to 1 users in 1 assignments: tom`,
			v1alpha1.FinalizerInUseProtection, "the operator removes it once nothing uses it", "(R6, RoleInUse)")
		expectDeniedAs(alice, replacing(newRole(ns, "eng")), "metadata.finalizers", "tom", "(R6, RoleInUse)")

		expectAllowedAs(alice, stripping(newRole(ns, "spare"), v1alpha1.FinalizerInUseProtection))
		expectAllowedAs(operator, stripping(newRole(ns, "eng"), v1alpha1.FinalizerInUseProtection))
	})

	It("names up to 10 users and the total, and the roles that include it", func() {
		users := names("user", 12)
		for _, u := range users {
			create(newCollaborator(ns, u, v1alpha1.Guest, "tower-a=spare"))
		}
		create(newRole(ns, "spare-plus", includes("spare")))
		expectDeniedAs(alice, stripping(newRole(ns, "spare"), v1alpha1.FinalizerInUseProtection),
			`WorkCenterRole "spare" is assigned to 12 users in 12 assignments: user01, user02`,
			"user10 and 2 more (12 in total); included by roles: spare-plus", "(R6, RoleInUse)")
	})

	It("refuses to strip in-use-protection from a role in use that is being deleted (R6): the deletion keeps waiting", func() {
		create(newCollaborator(ns, "tom", v1alpha1.Member, "tower-a=eng"))
		synced(newCollaborator(ns, "tom", v1alpha1.Member))
		terminating(ns, "eng")
		expectDeniedAs(alice, stripping(newRole(ns, "eng"), v1alpha1.FinalizerInUseProtection),
			"metadata.finalizers", `WorkCenterRole "eng" is assigned to 1 users in 1 assignments: tom`, "(R6, RoleInUse)")
		role := newRole(ns, "eng")
		Expect(k8sClient.Get(ctx, key(role), role)).To(Succeed())
		Expect(role.DeletionTimestamp).NotTo(BeNil())
		Expect(role.Finalizers).To(ContainElement(v1alpha1.FinalizerInUseProtection))
	})

	It("refuses to strip last-administrator from the last AccountAdministrator (R7), not from one of two; lets the operator", func() {
		boss := accountAdmin(newCollaborator(ns, "boss", v1alpha1.Member))
		create(boss)
		synced(boss)
		expectDeniedAs(alice, stripping(newCollaborator(ns, "boss", v1alpha1.Member), v1alpha1.FinalizerLastAdministrator),
			"metadata.finalizers", `Collaborator "boss" is the last AccountAdministrator of Account "acme"`, "(R7, LastAccountAdministrator)")
		By("demoting it and stripping the finalizer in one update")
		expectDeniedAs(alice, updating(newCollaborator(ns, "boss", v1alpha1.Member), func(c *v1alpha1.Collaborator) {
			c.Spec.AdminRole = v1alpha1.AdminRoleNone
			controllerutil.RemoveFinalizer(c, v1alpha1.FinalizerLastAdministrator)
		}), "metadata.finalizers", "(R7, LastAccountAdministrator)")
		expectAllowedAs(operator, stripping(newCollaborator(ns, "boss", v1alpha1.Member), v1alpha1.FinalizerLastAdministrator))

		second := accountAdmin(newCollaborator(ns, "second", v1alpha1.Member))
		create(second)
		synced(second)
		expectAllowedAs(alice, stripping(newCollaborator(ns, "boss", v1alpha1.Member), v1alpha1.FinalizerLastAdministrator))
	})

	It("refuses to strip account-protection from an Account in use (R11), saying what it still has; lets the operator, and lets it go from an Account not in use", func() {
		expectDeniedAs(alice, stripping(newAccount(ns, "acme", 2), v1alpha1.FinalizerAccountProtection),
			"metadata.finalizers", `Account "acme" still has 1 WorkCenters, 2 custom WorkCenterRoles and 0 Collaborators`, "(R11, AccountInUse)")
		expectAllowedAs(operator, stripping(newAccount(ns, "acme", 2), v1alpha1.FinalizerAccountProtection))

		empty := newNamespace()
		withAccount(newAccount(empty, "bare", 2))
		expectAllowedAs(alice, stripping(newAccount(empty, "bare", 2), v1alpha1.FinalizerAccountProtection))
	})
})

// A protection finalizer added only when a controller first reconciles the object comes
// too late with hundreds of objects queued, or the manager down: two administrators
// deleted a few seconds apart would meet no finalizer and leave the account with none.
// The mutating webhooks add each protection finalizer when the object is created (or
// becomes one that needs it), in the API server's answer, before any controller has
// seen the object.
var _ = Describe("Protection from creation", func() {
	It("gives the owning Account, every role and every AccountAdministrator its finalizer in the create response", func() {
		ns := newNamespace()
		acct := newAccount(ns, "acme", 3)
		Expect(k8sClient.Create(ctx, acct)).To(Succeed())
		Expect(acct.Finalizers).To(ContainElement(v1alpha1.FinalizerAccountProtection))
		synced(acct)
		role := newRole(ns, "eng")
		Expect(k8sClient.Create(ctx, role)).To(Succeed())
		Expect(role.Finalizers).To(ContainElement(v1alpha1.FinalizerInUseProtection))
		ada := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member))
		Expect(k8sClient.Create(ctx, ada)).To(Succeed())
		Expect(ada.Finalizers).To(ContainElement(v1alpha1.FinalizerLastAdministrator))
		mo := newCollaborator(ns, "mo", v1alpha1.Member)
		Expect(k8sClient.Create(ctx, mo)).To(Succeed())
		Expect(mo.Finalizers).NotTo(ContainElement(v1alpha1.FinalizerLastAdministrator))

		By("a Member promoted to AccountAdministrator carries it from the promotion on")
		synced(mo, ada)
		update(mo, func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator })
		Expect(mo.Finalizers).To(ContainElement(v1alpha1.FinalizerLastAdministrator))
	})

	It("keeps an AccountAdministrator when both are deleted right after they are created (R7)", func() {
		ns := newNamespace()
		withAccount(newAccount(ns, "acme", 3))
		first, second := accountAdmin(newCollaborator(ns, "first", v1alpha1.Member)), accountAdmin(newCollaborator(ns, "second", v1alpha1.Member))
		Expect(k8sClient.Create(ctx, first)).To(Succeed())
		Expect(k8sClient.Create(ctx, second)).To(Succeed())
		Expect(k8sClient.Delete(ctx, first)).To(Succeed())
		Expect(k8sClient.Delete(ctx, second)).To(Succeed())

		remaining := func() []string {
			var list v1alpha1.CollaboratorList
			Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
			var out []string
			for _, c := range list.Items {
				out = append(out, c.Name)
			}
			return out
		}
		Eventually(remaining).Should(HaveLen(1), "the controller lets one of the two go")
		Consistently(remaining, "2s").Should(HaveLen(1), "the last AccountAdministrator stays")
	})
})
