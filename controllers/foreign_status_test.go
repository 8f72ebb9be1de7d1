package controllers_test

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// A status the operator did not write (by hand with --subresource=status, or by an old
// leader that has not yet learnt it lost its lease) is corrected at once, without any
// spec change.
var _ = Describe("A status written by someone else", func() {
	It("is put right by the object's controller", func() {
		ns := newNamespace()
		create(newAccount(ns, "acme", 2), newWorkCenter(ns, "tower-a"), newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=read-only"))
		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "jane")(g)
			g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentActive, ""))
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(1)))
		}).Should(Succeed())

		By("writing a wrong status on the Collaborator and the WorkCenter")
		Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			c := &v1alpha1.Collaborator{}
			if err := k8sClient.Get(ctx, key(ns, "jane"), c); err != nil {
				return err
			}
			c.Status.WorkCenters[0].State, c.Status.WorkCenters[0].Reason = v1alpha1.AssignmentPending, v1alpha1.ReasonWorkCenterNotFound
			for i := range c.Status.Conditions {
				if c.Status.Conditions[i].Type == v1alpha1.ConditionReady {
					c.Status.Conditions[i].Status, c.Status.Conditions[i].Reason = metav1.ConditionFalse, v1alpha1.ReasonWorkCenterNotFound
				}
			}
			return k8sClient.Status().Update(ctx, c)
		})).To(Succeed())
		Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			wc := &v1alpha1.WorkCenter{}
			if err := k8sClient.Get(ctx, key(ns, "tower-a"), wc); err != nil {
				return err
			}
			wc.Status.Collaborators = 42
			return k8sClient.Status().Update(ctx, wc)
		})).To(Succeed())

		Eventually(func(g Gomega) {
			c := getCollaborator(ns, "jane")(g)
			g.Expect(assignment(c, "tower-a")).To(MatchFields(v1alpha1.AssignmentActive, ""))
			expectCondition(g, c.Status.Conditions, c.Generation, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
			g.Expect(getWorkCenter(ns, "tower-a")(g).Status.Collaborators).To(Equal(int32(1)))
		}).WithTimeout(10 * 1e9).Should(Succeed())
	})
})
