package webhook_test

import (
	. "github.com/onsi/ginkgo/v2"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

var _ = Describe("WorkCenter admission", func() {
	var ns string
	var acct *v1alpha1.Account
	BeforeEach(func() {
		ns = newNamespace()
		acct = newAccount(ns, "acme", 1, "Residential", "Commercial")
		withAccount(acct)
	})

	DescribeTable("rejects a category that is not in the Account's picklist (R8)",
		func(setup func(ns string) op) {
			expectDenied(setup(ns), `spec.category`, `WorkCenter "tower-a" has category "Industrial", which is not in Account "acme"'s workCenterCategories (known categories: Residential, Commercial)`,
				"R8", v1alpha1.ReasonUnknownCategory)
		},
		Entry("on create", func(ns string) op { return creating(newWorkCenter(ns, "tower-a", "Industrial")) }),
		Entry("on update", func(ns string) op {
			wc := newWorkCenter(ns, "tower-a", "Residential")
			create(wc)
			return updating(wc, func(w *v1alpha1.WorkCenter) { w.Spec.Category = "Industrial" })
		}),
	)

	It("allows a known category, and no category", func() {
		expectAllowed(creating(newWorkCenter(ns, "tower-a", "Commercial")))
		expectAllowed(creating(newWorkCenter(ns, "tower-b", "")))
	})

	It("warns when there is no Account to check the category against yet", func() {
		empty := newNamespace()
		expectAllowed(creating(newWorkCenter(empty, "tower-a", "Industrial")),
			`namespace "`+empty+`" has no Account yet; WorkCenter "tower-a" waits (AccountNotFound) until one appears, and its category "Industrial" is checked against the Account's workCenterCategories then`)
	})

	It("lets a WorkCenter whose category left the picklist be archived, with a warning", func() {
		wc := newWorkCenter(ns, "tower-a", "Residential")
		create(wc)
		update(acct, func(a *v1alpha1.Account) {
			a.Spec.Picklists.WorkCenterCategories = []v1alpha1.PicklistItem{"Commercial"}
		})
		expectAllowed(updating(wc, func(w *v1alpha1.WorkCenter) { w.Spec.Archived = true }),
			`WorkCenter "tower-a" has category "Residential", which is not in Account "acme"'s workCenterCategories (known categories: Commercial); the WorkCenter stays not Ready (UnknownCategory)`)
	})
})
