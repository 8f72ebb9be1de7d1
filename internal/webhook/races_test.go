package webhook_test

import (
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// docs/rules.md enforces each rule twice. Admission judges each write against the
// account as the manager's cache holds it, so two writes admitted at the same moment
// can together break a rule that each alone keeps (docs/decisions.md, "Races"). These
// specs make such pairs of writes at once, several rounds each, and whatever admission
// let through, the account must end in a state that keeps the rules, saying so with a
// condition and an event.
var _ = Describe("Races between two admissions", func() {
	const rounds = 4

	// together makes the writes at the same moment and returns how many were admitted.
	together := func(writes ...func() error) int {
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make([]error, len(writes))
		for i, w := range writes {
			wg.Go(func() {
				<-start
				errs[i] = w()
			})
		}
		close(start)
		wg.Wait()
		admitted := 0
		for _, err := range errs {
			if err == nil {
				admitted++
			}
		}
		return admitted
	}
	demote := func(c *v1alpha1.Collaborator) func() error {
		return func() error {
			return retry.RetryOnConflict(retry.DefaultRetry, func() error {
				cur := fresh(c)
				if err := k8sClient.Get(ctx, key(c), cur); err != nil {
					return err
				}
				cur.Spec.AdminRole = v1alpha1.AdminRoleNone
				return k8sClient.Update(ctx, cur)
			})
		}
	}
	warnings := func(ns, name, reason string) int {
		var list corev1.EventList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		n := 0
		for _, e := range list.Items {
			if e.InvolvedObject.Name == name && e.Type == corev1.EventTypeWarning && e.Reason == reason {
				n++
			}
		}
		return n
	}

	It("demoting the last two AccountAdministrators at once leaves an administrator, or says the account has none", func() {
		for round := range rounds {
			ns := newNamespace()
			acct := newAccount(ns, "acme", 5)
			withAccount(acct)
			ada, bob := accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member)), accountAdmin(newCollaborator(ns, "bob", v1alpha1.Member))
			create(ada, bob)
			synced(ada, bob)
			admitted := together(demote(ada), demote(bob))
			GinkgoWriter.Printf("round %d: %d of 2 demotions admitted\n", round, admitted)
			Expect(admitted).To(BeNumerically(">=", 1), "one of the two demotions keeps an administrator and must pass")
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, key(acct), acct)).To(Succeed())
				c := cond(acct.Status.Conditions, v1alpha1.ConditionAdministratorAssigned)
				if admitted == 1 {
					g.Expect(acct.Status.AccountAdministrators).To(Equal(int32(1)))
					g.Expect(c.Status).To(Equal(metav1.ConditionTrue))
					return
				}
				g.Expect(acct.Status.AccountAdministrators).To(BeZero())
				g.Expect(c.Status).To(Equal(metav1.ConditionFalse))
				g.Expect(c.Reason).To(Equal(v1alpha1.ReasonNoAccountAdministrator))
				g.Expect(warnings(ns, acct.Name, v1alpha1.ReasonNoAccountAdministrator)).To(Equal(1))
			}).Should(Succeed())
		}
	})

	It("two Members taking the last license at once: the older holds it, the other is told it holds none", func() {
		for round := range rounds {
			ns := newNamespace()
			acct := newAccount(ns, "acme", 2)
			withAccount(acct)
			create(accountAdmin(newCollaborator(ns, "ada", v1alpha1.Member)))
			m1, m2 := newCollaborator(ns, "m1", v1alpha1.Member), newCollaborator(ns, "m2", v1alpha1.Member)
			admitted := together(func() error { return k8sClient.Create(ctx, fresh(m1)) }, func() error { return k8sClient.Create(ctx, fresh(m2)) })
			GinkgoWriter.Printf("round %d: %d of 2 Members admitted for 1 license\n", round, admitted)
			Expect(admitted).To(BeNumerically(">=", 1))
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, key(acct), acct)).To(Succeed())
				g.Expect(acct.Status.LicensesUsed).To(Equal(int32(2)), "licenses used never exceed the limit")
				var list v1alpha1.CollaboratorList
				g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
				g.Expect(list.Items).To(HaveLen(1 + admitted))
				licensed := 0
				for _, c := range list.Items {
					g.Expect(c.Status.Licensed).NotTo(BeNil())
					if *c.Status.Licensed {
						licensed++
						continue
					}
					// Only the younger of the two can be left without a license.
					g.Expect(admitted).To(Equal(2))
					ready := cond(c.Status.Conditions, v1alpha1.ConditionReady)
					g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
					g.Expect(ready.Reason).To(Equal(v1alpha1.ReasonLicenseLimitExceeded))
				}
				g.Expect(licensed).To(Equal(2))
				if admitted == 2 {
					licensedCond := cond(acct.Status.Conditions, v1alpha1.ConditionLicensed)
					g.Expect(licensedCond.Status).To(Equal(metav1.ConditionFalse))
					g.Expect(warnings(ns, acct.Name, v1alpha1.ReasonLicenseLimitExceeded)).To(Equal(1))
				}
			}).Should(Succeed())
		}
	})

	It("the same email created twice at once: the older keeps it, the other is Stalled DuplicateEmail", func() {
		for round := range rounds {
			ns := newNamespace()
			withAccount(newAccount(ns, "acme", 5))
			create(newWorkCenter(ns, "tower-a", ""))
			a, b := newCollaborator(ns, "jane-a", v1alpha1.Guest, "tower-a=read-only"), newCollaborator(ns, "jane-b", v1alpha1.Guest, "tower-a=read-only")
			a.Spec.Email, b.Spec.Email = "jane@partner.example", "JANE@partner.example"
			admitted := together(func() error { return k8sClient.Create(ctx, fresh(a)) }, func() error { return k8sClient.Create(ctx, fresh(b)) })
			GinkgoWriter.Printf("round %d: %d of 2 same-email Collaborators admitted\n", round, admitted)
			Expect(admitted).To(BeNumerically(">=", 1))
			if admitted == 1 {
				continue
			}
			Eventually(func(g Gomega) {
				var list v1alpha1.CollaboratorList
				g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
				g.Expect(list.Items).To(HaveLen(2))
				older, younger := list.Items[0], list.Items[1]
				if younger.CreationTimestamp.Before(&older.CreationTimestamp) ||
					younger.CreationTimestamp.Equal(&older.CreationTimestamp) && younger.Name < older.Name {
					older, younger = younger, older
				}
				g.Expect(cond(older.Status.Conditions, v1alpha1.ConditionReady).Status).To(Equal(metav1.ConditionTrue))
				ready := cond(younger.Status.Conditions, v1alpha1.ConditionReady)
				g.Expect(ready.Status).To(Equal(metav1.ConditionFalse))
				g.Expect(ready.Reason).To(Equal(v1alpha1.ReasonDuplicateEmail))
				g.Expect(cond(younger.Status.Conditions, v1alpha1.ConditionStalled).Status).To(Equal(metav1.ConditionTrue))
				g.Expect(warnings(ns, younger.Name, v1alpha1.ReasonDuplicateEmail)).To(BeNumerically(">=", 1))
			}).Should(Succeed())
		}
	})
})
