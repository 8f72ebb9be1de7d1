package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Selectors and templates through the API server (docs/assignments.md): the CRD refuses
// an empty selector, admission one that does not parse, a Guest's member-only selector
// (R2), and a template chain.
var _ = Describe("Selector and template admission", func() {
	var ns string
	BeforeEach(func() {
		ns = newNamespace()
		withAccount(newAccount(ns, "acme", 2))
		create(newRole(ns, "planner", perms("tasks.create")))
	})
	selecting := func(name string, typ v1alpha1.CollaboratorType, role string, sel metav1.LabelSelector) *v1alpha1.Collaborator {
		c := newCollaborator(ns, name, typ)
		c.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{Selector: sel, Role: v1alpha1.ObjectName(role)}}
		return c
	}
	north := metav1.LabelSelector{MatchLabels: map[string]string{"region": "north"}}

	It("refuses an empty selector (it would match every WorkCenter)", func() {
		o := creating(selecting("e", v1alpha1.Member, "read-only", metav1.LabelSelector{}))
		o.created = nil // the CRD's rule refuses it before admission; the model refuses it too (model tests)
		expectDenied(o, "empty selector would match every WorkCenter")
	})
	It("refuses a selector that does not parse", func() {
		expectDenied(creating(selecting("p", v1alpha1.Member, "read-only", metav1.LabelSelector{
			MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "region", Operator: "In"}}})),
			"spec.workCenterSelectors[0].selector", "does not parse")
	})
	It("refuses a Guest's selector naming a member-only role (R2), and lets a guest-safe one through", func() {
		expectDenied(creating(selecting("g", v1alpha1.Guest, "planner", north)), "spec.workCenterSelectors[0].role", "member-only", "R2")
		create(selecting("h", v1alpha1.Guest, "read-only", north))
	})
	It("refuses a WorkCenter publishing from itself or through a chain, and warns while the template is missing", func() {
		self := newWorkCenter(ns, "self", "")
		self.Spec.CollaboratorsFrom = "self"
		expectDenied(creating(self), "spec.collaboratorsFrom", "cannot publish the collaborators of itself")
		tmpl := newWorkCenter(ns, "tmpl", "")
		tmpl.Spec.Template, tmpl.Spec.CollaboratorsFrom = true, "other"
		expectDenied(creating(tmpl), "template \"tmpl\" cannot publish")
		later := newWorkCenter(ns, "later", "")
		later.Spec.CollaboratorsFrom = "not-yet"
		create(later)
	})
})
