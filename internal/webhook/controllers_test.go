package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

var _ = Describe("Webhooks and controllers together", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("never block the controllers' finalizers, built-in roles and status", func() {
		acct := newAccount(ns, "acme", 2)
		withAccount(acct)
		ada, bob := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member)), accountAdmin(newCollaborator(ns, "bob", v1alpha1.Member))
		role := newRole(ns, "viewer", includes("read-only"))
		create(newWorkCenter(ns, "tower-a", ""), role, ada, bob)
		waitForFinalizer(acct, v1alpha1.FinalizerAccountProtection)
		waitForFinalizer(ada, v1alpha1.FinalizerLastAdministrator)
		waitForFinalizer(role, v1alpha1.FinalizerInUseProtection)
		for _, n := range v1alpha1.BuiltInRoleNames {
			r := newRole(ns, n)
			Expect(k8sClient.Get(ctx, key(r), r)).To(Succeed())
			Expect(r.Labels).To(HaveKeyWithValue(v1alpha1.LabelBuiltIn, "true"))
			Expect(metav1.IsControlledBy(r, acct)).To(BeTrue())
		}

		By("demoting one of two administrators, after which the controller drops its finalizer")
		update(ada, func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleNone })
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key(ada), ada)).To(Succeed())
			g.Expect(ada.Finalizers).NotTo(ContainElement(v1alpha1.FinalizerLastAdministrator))
			g.Expect(cond(ada.Status.Conditions, v1alpha1.ConditionReady).ObservedGeneration).To(Equal(ada.Generation))
		}).Should(Succeed())
	})

	// The API server skips webhooks that are not configured: whatever got past
	// admission then is Rejected in status, and later writes answer only for what they
	// change.
	It("let objects that broke a rule while the webhooks were off be changed otherwise", Serial, func() {
		withAccount(newAccount(ns, "acme", 1))
		create(newWorkCenter(ns, "tower-a", ""), newWorkCenter(ns, "tower-b", ""), newRole(ns, "planner", perms("tasks.create")))

		By("turning the webhooks off")
		var vwc admissionregistrationv1.ValidatingWebhookConfigurationList
		Expect(k8sClient.List(ctx, &vwc)).To(Succeed())
		Expect(vwc.Items).NotTo(BeEmpty())
		saved := vwc.Items
		restore := func() {
			for i := range saved {
				c := saved[i].DeepCopy()
				c.ResourceVersion, c.UID, c.CreationTimestamp, c.ManagedFields = "", "", metav1.Time{}, nil
				if err := k8sClient.Create(ctx, c); !apierrors.IsAlreadyExists(err) {
					Expect(err).NotTo(HaveOccurred())
				}
			}
		}
		DeferCleanup(restore)
		for i := range saved {
			Expect(k8sClient.Delete(ctx, &saved[i])).To(Succeed())
		}
		gina := newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=planner")
		Eventually(func() error { return k8sClient.Create(ctx, fresh(gina)) }).Should(Succeed())

		By("turning them on again")
		restore()
		probe := newCollaborator(ns, "probe", v1alpha1.Guest, "tower-a=planner")
		Eventually(func() error { return k8sClient.Create(ctx, probe, client.DryRunAll) }).Should(HaveOccurred())
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key(gina), gina)).To(Succeed())
			g.Expect(cond(gina.Status.Conditions, v1alpha1.ConditionReady).Reason).To(Equal(v1alpha1.ReasonRoleRequiresMember))
		}).Should(Succeed())
		synced(gina)

		expectAllowed(updating(gina, func(c *v1alpha1.Collaborator) { c.Spec.DisplayName = "Gina, renamed" }),
			`Guest "gina" cannot hold role "planner" in WorkCenter "tower-a"`, "the assignment stays Rejected (RoleRequiresMember)")
		expectDenied(updating(gina, func(c *v1alpha1.Collaborator) {
			c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tower-b", Role: "planner"})
		}), `spec.workCenters[1].role`, `Guest "gina" cannot hold role "planner" in WorkCenter "tower-b"`)
	})
})
