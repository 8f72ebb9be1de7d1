package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The defect: `kubectl replace` of a manifest without the finalizer (or a GitOps tool
// syncing with replace) dropped in-use-protection from a role in use, and the next
// delete removed the role while a Collaborator held it. Admission now refuses to remove
// a protection finalizer from an object in use, for anyone but the operator.
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

	It("refuses to strip in-use-protection from a role in use (R6), naming its users; lets the operator, and lets it go from a role not in use", func() {
		create(newCollaborator(ns, "tom", v1alpha1.Member, "tower-a=eng"))
		synced(newCollaborator(ns, "tom", v1alpha1.Member))
		expectDeniedAs(alice, stripping(newRole(ns, "eng"), v1alpha1.FinalizerInUseProtection),
			"metadata.finalizers", `WorkCenterRole "eng" is assigned to 1 users in 1 assignments: tom`,
			v1alpha1.FinalizerInUseProtection, "R6", v1alpha1.ReasonRoleInUse)

		expectAllowedAs(alice, stripping(newRole(ns, "spare"), v1alpha1.FinalizerInUseProtection))
		expectAllowedAs(operator, stripping(newRole(ns, "eng"), v1alpha1.FinalizerInUseProtection))
	})

	It("refuses to strip last-administrator from the last AccountAdministrator (R7), not from one of two", func() {
		boss := accountAdmin(newCollaborator(ns, "boss", v1alpha1.Member))
		create(boss)
		synced(boss)
		expectDeniedAs(alice, stripping(newCollaborator(ns, "boss", v1alpha1.Member), v1alpha1.FinalizerLastAdministrator),
			`Collaborator "boss" is the last AccountAdministrator of Account "acme"`, "R7", v1alpha1.ReasonLastAccountAdministrator)

		second := accountAdmin(newCollaborator(ns, "second", v1alpha1.Member))
		create(second)
		synced(second)
		expectAllowedAs(alice, stripping(newCollaborator(ns, "boss", v1alpha1.Member), v1alpha1.FinalizerLastAdministrator))
	})

	It("refuses to strip account-protection from an Account in use (R11), saying what it still has", func() {
		expectDeniedAs(alice, stripping(newAccount(ns, "acme", 2), v1alpha1.FinalizerAccountProtection),
			`Account "acme" still has 1 WorkCenters, 2 custom WorkCenterRoles and 0 Collaborators`, "R11", v1alpha1.ReasonAccountInUse)
		expectAllowedAs(operator, stripping(newAccount(ns, "acme", 2), v1alpha1.FinalizerAccountProtection))
	})
})
