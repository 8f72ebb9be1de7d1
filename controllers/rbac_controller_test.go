package controllers_test

import (
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/controllers"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// rbacWrites counts, through a watch, every write to the operator's Roles and
// RoleBindings of one namespace, per object ("Role/<name>"), whoever makes it.
type rbacWrites struct {
	mu sync.Mutex
	n  map[string]int
}

func watchRBAC(ns string) *rbacWrites {
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	w := &rbacWrites{n: map[string]int{}}
	for kind, list := range map[string]client.ObjectList{"Role": &rbacv1.RoleList{}, "RoleBinding": &rbacv1.RoleBindingList{}} {
		watcher, err := wc.Watch(ctx, list, client.InNamespace(ns), client.MatchingLabels{v1alpha1.LabelCollaboratorRBAC: "true"})
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(watcher.Stop)
		go func() {
			for ev := range watcher.ResultChan() {
				if o, ok := ev.Object.(client.Object); ok && ev.Type != watch.Bookmark && ev.Type != watch.Error {
					w.mu.Lock()
					w.n[kind+"/"+o.GetName()]++
					w.mu.Unlock()
				}
			}
		}()
	}
	return w
}

// total is every write counted so far; since is the writes after a snapshot, by object.
func (w *rbacWrites) snapshot() map[string]int {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]int{}
	for k, v := range w.n {
		out[k] = v
	}
	return out
}

func (w *rbacWrites) since(before map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range w.snapshot() {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

// settled waits until no write has come for a second.
func (w *rbacWrites) settled() {
	Eventually(func() bool {
		before := w.snapshot()
		time.Sleep(time.Second)
		return len(w.since(before)) == 0
	}).Should(BeTrue())
}

func rbacName(collaborator string) string { return controllers.RBACName(collaborator) }

func getRBACRole(ns, collaborator string) func(Gomega) *rbacv1.Role {
	return func(g Gomega) *rbacv1.Role {
		var o rbacv1.Role
		g.Expect(k8sClient.Get(ctx, key(ns, rbacName(collaborator)), &o)).To(Succeed())
		return &o
	}
}

func getRBACBinding(ns, collaborator string) func(Gomega) *rbacv1.RoleBinding {
	return func(g Gomega) *rbacv1.RoleBinding {
		var o rbacv1.RoleBinding
		g.Expect(k8sClient.Get(ctx, key(ns, rbacName(collaborator)), &o)).To(Succeed())
		return &o
	}
}

// rules writes a Role's rules as "resource[names]: verbs".
func rules(r *rbacv1.Role) []string {
	out := []string{}
	for _, p := range r.Rules {
		s := strings.Join(p.Resources, ",")
		if len(p.ResourceNames) > 0 {
			s += "[" + strings.Join(p.ResourceNames, ",") + "]"
		}
		out = append(out, s+": "+strings.Join(p.Verbs, ","))
	}
	return out
}

// can asks the API server (SubjectAccessReview, RBAC) whether user may verb the
// resource of access.workcenter.io (the object called name, "" for any) in ns.
func can(user, verb, resource, ns, name string) bool {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: ns, Verb: verb, Group: v1alpha1.GroupVersion.Group, Resource: resource, Name: name,
		},
	}}
	ExpectWithOffset(1, k8sClient.Create(ctx, sar)).To(Succeed())
	return sar.Status.Allowed
}

var _ = Describe("RBAC", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	It("keeps a Role and a RoleBinding per Collaborator, owned by the Account, and follows changes with one write per person", func() {
		w := watchRBAC(ns)
		create(newAccount(ns, "acme", 5), newWorkCenter(ns, "tower-a"), newWorkCenter(ns, "tower-b"),
			admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "maria", v1alpha1.Member)),
			newCollaborator(ns, "tom", v1alpha1.Member, "tower-a=contributor"),
			newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=read-only"))
		acct := getAccount(ns, "acme")(Default)
		Eventually(func(g Gomega) {
			tom := getRBACRole(ns, "tom")(g)
			g.Expect(rules(tom)).To(Equal([]string{
				"accounts[acme]: get",
				"collaborators[tom]: delete,get,patch,update",
				"workcenters: create",
				"workcenters[tower-a]: get",
			}))
			g.Expect(tom.Labels).To(HaveKeyWithValue(v1alpha1.LabelManagedBy, v1alpha1.ManagedBy))
			g.Expect(tom.Labels).To(HaveKeyWithValue(v1alpha1.LabelCollaboratorRBAC, "true"))
			g.Expect(tom.Labels).To(HaveKeyWithValue(v1alpha1.LabelCollaborator, "tom"))
			g.Expect(tom.Annotations).To(HaveKeyWithValue(v1alpha1.AnnotationCollaborator, "tom"))
			g.Expect(metav1.IsControlledBy(tom, acct)).To(BeTrue(), "the Account controls the Role")
			b := getRBACBinding(ns, "tom")(g)
			g.Expect(metav1.IsControlledBy(b, acct)).To(BeTrue(), "the Account controls the RoleBinding")
			g.Expect(b.RoleRef).To(Equal(rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: rbacName("tom")}))
			g.Expect(b.Subjects).To(Equal([]rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "tom@example.com"}}))
			g.Expect(rules(getRBACRole(ns, "jane")(g))).To(Equal([]string{
				"accounts[acme]: get",
				"collaborators[jane]: delete,get,patch,update",
				"workcenters[tower-a]: get",
			}))
			g.Expect(rules(getRBACRole(ns, "maria")(g))).To(Equal([]string{
				"accounts: get,list,watch",
				"accounts[acme]: patch,update",
				"collaborators: create,delete,get,list,patch,update,watch",
				"workcenterroles: create,delete,get,list,patch,update,watch",
				"workcenters: create,delete,get,list,patch,update,watch",
			}))
		}).Should(Succeed())
		w.settled()
		Expect(w.snapshot()).To(Equal(map[string]int{
			"Role/" + rbacName("maria"): 1, "RoleBinding/" + rbacName("maria"): 1,
			"Role/" + rbacName("tom"): 1, "RoleBinding/" + rbacName("tom"): 1,
			"Role/" + rbacName("jane"): 1, "RoleBinding/" + rbacName("jane"): 1,
		}), "one create per object")

		// Each change costs one write for the person it affects, within a second.
		change := func(what string, mut func(), check func(Gomega), want map[string]int) {
			GinkgoHelper()
			before := w.snapshot()
			start := time.Now()
			mut()
			Eventually(check).WithTimeout(5 * time.Second).WithPolling(20 * time.Millisecond).Should(Succeed())
			AddReportEntry("RBAC follows "+what, time.Since(start).Round(time.Millisecond).String())
			Expect(time.Since(start)).To(BeNumerically("<", 2*time.Second), "the bindings follow %s within a second (two on a busy machine)", what)
			w.settled()
			Expect(w.since(before)).To(Equal(want), "writes for %s", what)
		}
		change("a type change", func() {
			update(getCollaborator(ns, "tom")(Default), func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Guest })
		}, func(g Gomega) {
			g.Expect(rules(getRBACRole(ns, "tom")(g))).NotTo(ContainElement("workcenters: create"))
		}, map[string]int{"Role/" + rbacName("tom"): 1})
		change("an assignment added", func() {
			update(getCollaborator(ns, "jane")(Default), func(c *v1alpha1.Collaborator) {
				c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tower-b", Role: "read-only"})
			})
		}, func(g Gomega) {
			g.Expect(rules(getRBACRole(ns, "jane")(g))).To(ContainElement("workcenters[tower-a,tower-b]: get"))
		}, map[string]int{"Role/" + rbacName("jane"): 1})
		change("an email change", func() {
			update(getCollaborator(ns, "jane")(Default), func(c *v1alpha1.Collaborator) { c.Spec.Email = "jane.doe@example.com" })
		}, func(g Gomega) {
			g.Expect(getRBACBinding(ns, "jane")(g).Subjects[0].Name).To(Equal("jane.doe@example.com"))
		}, map[string]int{"RoleBinding/" + rbacName("jane"): 1})
		change("an adminRole change", func() {
			update(getCollaborator(ns, "maria")(Default), func(c *v1alpha1.Collaborator) {
				c.Spec.AdminRole = v1alpha1.AdminRoleWorkCenterAdministrator
			})
		}, func(g Gomega) {
			g.Expect(rules(getRBACRole(ns, "maria")(g))).To(ContainElement("workcenters: create,get,list,patch,update,watch"))
		}, map[string]int{"Role/" + rbacName("maria"): 1})

		// Nothing that changes no one's rules writes anything.
		before := w.snapshot()
		update(getCollaborator(ns, "jane")(Default), func(c *v1alpha1.Collaborator) { c.Spec.DisplayName = "Jane Doe" })
		update(getWorkCenter(ns, "tower-a")(Default), func(wc *v1alpha1.WorkCenter) { wc.Spec.Description = "the north tower" })
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.DisplayName = "Acme Builders" })
		Consistently(func() map[string]int { return w.since(before) }, "2s").Should(BeEmpty(), "writes for changes that move no rule")

		// An edit or deletion by anyone else is reverted.
		update(getRBACRole(ns, "jane")(Default), func(r *rbacv1.Role) {
			r.Rules = append(r.Rules, rbacv1.PolicyRule{APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"workcenters"}, Verbs: []string{"delete"}})
		})
		Eventually(func(g Gomega) {
			g.Expect(rules(getRBACRole(ns, "jane")(g))).To(Equal([]string{
				"accounts[acme]: get",
				"collaborators[jane]: delete,get,patch,update",
				"workcenters[tower-a,tower-b]: get",
			}))
		}).Should(Succeed())
		remove(getRBACBinding(ns, "jane")(Default))
		Eventually(func(g Gomega) {
			g.Expect(getRBACBinding(ns, "jane")(g).Subjects[0].Name).To(Equal("jane.doe@example.com"))
		}).Should(Succeed())

		// A Collaborator gone: its Role and RoleBinding go.
		w.settled()
		before = w.snapshot()
		remove(getCollaborator(ns, "tom")(Default))
		Eventually(func(g Gomega) {
			var r rbacv1.Role
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, key(ns, rbacName("tom")), &r))).To(BeTrue())
			var b rbacv1.RoleBinding
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, key(ns, rbacName("tom")), &b))).To(BeTrue())
		}).Should(Succeed())
		w.settled()
		Expect(w.since(before)).To(Equal(map[string]int{"Role/" + rbacName("tom"): 1, "RoleBinding/" + rbacName("tom"): 1}))
	})

	// A burst's new grants wait for the namespace's statuses (holdGrants); what takes
	// rights away never waits: a Collaborator deleted loses its RoleBinding, and an
	// assignment removed its rule, at once while the statuses are still queued.
	It("writes revocations at once while a namespace's new grants wait for its statuses", func() {
		create(newAccount(ns, "acme", 5), newWorkCenter(ns, "tower-a"), newWorkCenter(ns, "tower-b"),
			newCollaborator(ns, "tom", v1alpha1.Member, "tower-a=contributor"),
			newCollaborator(ns, "ann", v1alpha1.Member, "tower-a=contributor", "tower-b=read-only"))
		Eventually(getRBACBinding(ns, "tom")).Should(Not(BeNil()))
		Eventually(func(g Gomega) {
			g.Expect(rules(getRBACRole(ns, "ann")(g))).To(ContainElement("workcenters[tower-a,tower-b]: get"))
			g.Expect(getRBACBinding(ns, "ann")(g)).NotTo(BeNil())
		}).Should(Succeed())

		release := controllers.HoldStatuses(ns)
		defer func() {
			if release != nil {
				release()
			}
		}()
		// A new person's grants are held: status written, no Role or RoleBinding.
		create(newCollaborator(ns, "lee", v1alpha1.Member, "tower-b=contributor"))
		Eventually(func(g Gomega) {
			expectCondition(g, getCollaborator(ns, "lee")(g).Status.Conditions, 1, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
		}).Should(Succeed())
		Consistently(func() bool {
			var r rbacv1.Role
			var b rbacv1.RoleBinding
			return apierrors.IsNotFound(k8sClient.Get(ctx, key(ns, rbacName("lee")), &r)) &&
				apierrors.IsNotFound(k8sClient.Get(ctx, key(ns, rbacName("lee")), &b))
		}, "2s").Should(BeTrue(), "new grants are held while the namespace's statuses are queued")

		// Revocations meanwhile: well inside the hold (a minute).
		start := time.Now()
		remove(getCollaborator(ns, "tom")(Default))
		update(getCollaborator(ns, "ann")(Default), func(c *v1alpha1.Collaborator) {
			c.Spec.WorkCenters = c.Spec.WorkCenters[:1] // tower-b's assignment removed
		})
		Eventually(func(g Gomega) {
			var b rbacv1.RoleBinding
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, key(ns, rbacName("tom")), &b))).To(BeTrue(), "tom's RoleBinding")
			var r rbacv1.Role
			g.Expect(apierrors.IsNotFound(k8sClient.Get(ctx, key(ns, rbacName("tom")), &r))).To(BeTrue(), "tom's Role")
			g.Expect(rules(getRBACRole(ns, "ann")(g))).To(ContainElement("workcenters[tower-a]: get"))
			g.Expect(rules(getRBACRole(ns, "ann")(g))).NotTo(ContainElement(ContainSubstring("tower-b")))
		}).WithTimeout(10 * time.Second).Should(Succeed())
		AddReportEntry("revocations while grants are held", time.Since(start).Round(time.Millisecond).String())
		Expect(can("tom@example.com", "get", "workcenters", ns, "tower-a")).To(BeFalse(), "tom, deleted")
		Expect(can("ann@example.com", "get", "workcenters", ns, "tower-b")).To(BeFalse(), "ann, unassigned from tower-b")
		Expect(can("lee@example.com", "get", "workcenters", ns, "tower-b")).To(BeFalse(), "lee, held")

		// The statuses written (the backlog idle), the held grants are written at once,
		// not at the end of the hold.
		release()
		release = nil
		start = time.Now()
		Eventually(func() bool {
			return can("lee@example.com", "get", "workcenters", ns, "tower-b")
		}).WithTimeout(10*time.Second).Should(BeTrue(), "lee's grants after the backlog went idle")
		AddReportEntry("held grants after the backlog went idle", time.Since(start).Round(time.Millisecond).String())
	})

	// The RBAC cache keeps only digests of what the operator writes (keepDigests), and
	// the labels and annotations of others: an update of the operator's keeps them.
	It("keeps the labels and annotations of others on its Roles and RoleBindings through its updates", func() {
		create(newAccount(ns, "acme", 5), newWorkCenter(ns, "tower-a"), newWorkCenter(ns, "tower-b"),
			newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=read-only"))
		Eventually(getRBACBinding(ns, "jane")).Should(Not(BeNil()))
		update(getRBACRole(ns, "jane")(Default), func(r *rbacv1.Role) {
			r.Labels["team"] = "north"
			r.Annotations = map[string]string{"note": "audited", v1alpha1.AnnotationCollaborator: "jane"}
		})
		update(getRBACBinding(ns, "jane")(Default), func(b *rbacv1.RoleBinding) { b.Labels["team"] = "north" })
		update(getCollaborator(ns, "jane")(Default), func(c *v1alpha1.Collaborator) {
			c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tower-b", Role: "read-only"})
			c.Spec.Email = "jane.doe@example.com"
		})
		Eventually(func(g Gomega) {
			role := getRBACRole(ns, "jane")(g)
			g.Expect(rules(role)).To(ContainElement("workcenters[tower-a,tower-b]: get"))
			g.Expect(role.Labels).To(HaveKeyWithValue("team", "north"))
			g.Expect(role.Labels).To(HaveKeyWithValue(v1alpha1.LabelCollaborator, "jane"))
			g.Expect(role.Annotations).To(Equal(map[string]string{"note": "audited", v1alpha1.AnnotationCollaborator: "jane"}))
			b := getRBACBinding(ns, "jane")(g)
			g.Expect(b.Subjects[0].Name).To(Equal("jane.doe@example.com"))
			g.Expect(b.Labels).To(HaveKeyWithValue("team", "north"))
		}).Should(Succeed())
		// Our label taken off by someone else comes back, theirs staying.
		update(getRBACRole(ns, "jane")(Default), func(r *rbacv1.Role) { delete(r.Labels, v1alpha1.LabelCollaborator) })
		Eventually(func(g Gomega) {
			role := getRBACRole(ns, "jane")(g)
			g.Expect(role.Labels).To(HaveKeyWithValue(v1alpha1.LabelCollaborator, "jane"))
			g.Expect(role.Labels).To(HaveKeyWithValue("team", "north"))
		}).Should(Succeed())
	})

	It("binds only the holder of a shared email (R5)", func() {
		create(newAccount(ns, "acme", 5), newWorkCenter(ns, "tower-a"), newCollaborator(ns, "first", v1alpha1.Guest, "tower-a=read-only"))
		Eventually(getRBACBinding(ns, "first")).Should(Not(BeNil()))
		second := newCollaborator(ns, "second", v1alpha1.Member)
		second.Spec.Email = "FIRST@example.com"
		create(second)
		Consistently(func() bool {
			var r rbacv1.Role
			return apierrors.IsNotFound(k8sClient.Get(ctx, key(ns, rbacName("second")), &r))
		}, "2s").Should(BeTrue(), "the newer Collaborator with the email has no Role")
		remove(getCollaborator(ns, "first")(Default))
		Eventually(func(g Gomega) {
			g.Expect(getRBACBinding(ns, "second")(g).Subjects[0].Name).To(Equal("FIRST@example.com"))
		}).Should(Succeed(), "once the holder is gone, the other holds the email")
	})

	It("gives the RBAC half of the answer through the API server, as the model decides", func() {
		create(newAccount(ns, "acme", 5), newWorkCenter(ns, "tower-a"), newWorkCenter(ns, "tower-b"),
			admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "maria", v1alpha1.Member)),
			newCollaborator(ns, "tom", v1alpha1.Member, "tower-a=contributor"),
			newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=read-only"))
		const maria, tom, jane = "maria@example.com", "tom@example.com", "jane@example.com"
		Eventually(func(g Gomega) {
			g.Expect(can(tom, "create", "workcenters", ns, "")).To(BeTrue(), "a Member creates WorkCenters")
			g.Expect(can(jane, "create", "workcenters", ns, "")).To(BeFalse(), "a Guest does not")
			g.Expect(can(tom, "get", "workcenters", ns, "tower-a")).To(BeTrue(), "a Member reads its WorkCenter")
			g.Expect(can(tom, "get", "workcenters", ns, "tower-b")).To(BeFalse(), "and not another")
			g.Expect(can(tom, "list", "workcenters", ns, "")).To(BeFalse(), "nor lists them")
			g.Expect(can(tom, "update", "workcenters", ns, "tower-a")).To(BeFalse(), "a contributor does not edit it")
			g.Expect(can(jane, "delete", "collaborators", ns, "jane")).To(BeTrue(), "anyone leaves")
			g.Expect(can(jane, "delete", "collaborators", ns, "tom")).To(BeFalse(), "but removes nobody else")
			g.Expect(can(jane, "get", "accounts", ns, "acme")).To(BeTrue())
			g.Expect(can(jane, "update", "accounts", ns, "acme")).To(BeFalse())
			g.Expect(can(maria, "delete", "workcenters", ns, "tower-b")).To(BeTrue(), "an Account Administrator does everything")
			g.Expect(can(maria, "create", "workcenterroles", ns, "")).To(BeTrue())
			g.Expect(can(maria, "delete", "accounts", ns, "acme")).To(BeFalse(), "but deleting the Account")
			g.Expect(can("stranger@example.com", "get", "workcenters", ns, "tower-a")).To(BeFalse())
			g.Expect(can(tom, "create", "workcenters", "default", "")).To(BeFalse(), "only in the account's namespace")
		}).Should(Succeed())

		// Deactivated: only Account Administrators keep anything.
		update(getAccount(ns, "acme")(Default), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })
		Eventually(func(g Gomega) {
			g.Expect(can(tom, "create", "workcenters", ns, "")).To(BeFalse())
			g.Expect(can(jane, "get", "workcenters", ns, "tower-a")).To(BeFalse())
			g.Expect(can(maria, "update", "accounts", ns, "acme")).To(BeTrue())
		}).Should(Succeed())
	})

	It("is written by the operator under its own ClusterRole, which grants nothing beyond it (no escalate, no bind)", func() {
		// The operator's identity, bound to the generated ClusterRole and nothing else.
		operator, err := env.Operator(ctx)
		Expect(err).NotTo(HaveOccurred())
		op, err := client.New(operator, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())

		// The widest Role the controller writes, an Account Administrator's, and its binding.
		owner := getAccountObject(ns)
		a, err := model.Build(ns, owner, admin(v1alpha1.AdminRoleAccountAdministrator, newCollaborator(ns, "maria", v1alpha1.Member)))
		Expect(err).NotTo(HaveOccurred())
		r := &controllers.RBACReconciler{}
		role, binding := r.Desired(owner, a.Collaborator("maria"), a.RBACRules(a.Collaborator("maria")))
		role.Name, binding.Name, binding.RoleRef.Name = "proof", "proof", "proof"
		role.OwnerReferences, binding.OwnerReferences = nil, nil
		Expect(op.Create(ctx, role)).To(Succeed())
		Expect(op.Create(ctx, binding)).To(Succeed())
		// Verbs it does not hold: refused, for it holds no escalate.
		for what, rule := range map[string]rbacv1.PolicyRule{
			"deletecollection": {APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"workcenters"}, Verbs: []string{"deletecollection"}},
			"secrets":          {APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
			"status":           {APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"collaborators/status"}, Verbs: []string{"delete"}},
			"create accounts":  {APIGroups: []string{v1alpha1.GroupVersion.Group}, Resources: []string{"accounts"}, Verbs: []string{"create"}},
		} {
			err := op.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "beyond-" + strings.ReplaceAll(what, " ", "-")}, Rules: []rbacv1.PolicyRule{rule}})
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a Role granting %s: %v", what, err)
		}
		// Binding a role whose permissions it does not hold: refused, for it holds no bind.
		err = op.Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "beyond-bind"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "someone@example.com"}}})
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "binding cluster-admin: %v", err)
		// And it reads no Role or RoleBinding of anyone else's, one by one.
		var other rbacv1.Role
		err = op.Get(ctx, key(ns, "proof"), &other)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "get of a Role: %v", err)
	})
})

// getAccountObject creates the Account acme of ns and returns it as stored (its UID).
func getAccountObject(ns string) *v1alpha1.Account {
	var a v1alpha1.Account
	if err := k8sClient.Get(ctx, key(ns, "acme"), &a); apierrors.IsNotFound(err) {
		create(newAccount(ns, "acme", 5))
	}
	Eventually(func() error { return k8sClient.Get(ctx, key(ns, "acme"), &a) }).Should(Succeed())
	return &a
}
