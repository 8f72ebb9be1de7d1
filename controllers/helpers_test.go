package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

var ctx = context.Background()

// Fixture builders. Each returns an object ready to create in namespace ns.

func newAccount(ns, name string, licenses int32, categories ...string) *v1alpha1.Account {
	a := &v1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.AccountSpec{DisplayName: "Acme " + name, Licenses: licenses, State: v1alpha1.AccountActive},
	}
	for _, c := range categories {
		a.Spec.Picklists.WorkCenterCategories = append(a.Spec.Picklists.WorkCenterCategories, v1alpha1.PicklistItem(c))
	}
	return a
}

func newWorkCenter(ns, name string, mut ...func(*v1alpha1.WorkCenter)) *v1alpha1.WorkCenter {
	wc := &v1alpha1.WorkCenter{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.WorkCenterSpec{DisplayName: "WorkCenter " + name},
	}
	for _, m := range mut {
		m(wc)
	}
	return wc
}

func archived(wc *v1alpha1.WorkCenter) { wc.Spec.Archived = true }

func newRole(ns, name string, mut ...func(*v1alpha1.WorkCenterRole)) *v1alpha1.WorkCenterRole {
	r := &v1alpha1.WorkCenterRole{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       v1alpha1.WorkCenterRoleSpec{DisplayName: "Role " + name},
	}
	for _, m := range mut {
		m(r)
	}
	return r
}

func includes(names ...string) func(*v1alpha1.WorkCenterRole) {
	return func(r *v1alpha1.WorkCenterRole) {
		for _, n := range names {
			r.Spec.Includes = append(r.Spec.Includes, v1alpha1.ObjectName(n))
		}
	}
}

func perms(ps ...string) func(*v1alpha1.WorkCenterRole) {
	return func(r *v1alpha1.WorkCenterRole) {
		for _, p := range ps {
			r.Spec.Permissions = append(r.Spec.Permissions, v1alpha1.Permission(p))
		}
	}
}

// assign is "workCenter=role".
func newCollaborator(ns, name string, typ v1alpha1.CollaboratorType, assign ...string) *v1alpha1.Collaborator {
	c := &v1alpha1.Collaborator{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: v1alpha1.CollaboratorSpec{
			Email: name + "@example.com", DisplayName: name, Type: typ, AdminRole: v1alpha1.AdminRoleNone,
		},
	}
	for _, a := range assign {
		wc, role, _ := strings.Cut(a, "=")
		c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
			Name: v1alpha1.ObjectName(wc), Role: v1alpha1.ObjectName(role)})
	}
	return c
}

func admin(role v1alpha1.AdminRole, c *v1alpha1.Collaborator) *v1alpha1.Collaborator {
	c.Spec.AdminRole = role
	return c
}

func create(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, k8sClient.Create(ctx, o)).To(Succeed(), "create %s", o.GetName())
	}
}

// update re-reads obj and applies mut, retrying on conflicts.
func update[T client.Object](obj T, mut func(T)) {
	EventuallyWithOffset(1, func() error {
		if err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		mut(obj)
		return k8sClient.Update(ctx, obj)
	}).Should(Succeed())
}

func remove(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, client.IgnoreNotFound(k8sClient.Delete(ctx, o))).To(Succeed())
	}
}

func key(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }

func getAccount(ns, name string) func(Gomega) *v1alpha1.Account {
	return func(g Gomega) *v1alpha1.Account {
		var o v1alpha1.Account
		g.Expect(k8sClient.Get(ctx, key(ns, name), &o)).To(Succeed())
		return &o
	}
}

func getWorkCenter(ns, name string) func(Gomega) *v1alpha1.WorkCenter {
	return func(g Gomega) *v1alpha1.WorkCenter {
		var o v1alpha1.WorkCenter
		g.Expect(k8sClient.Get(ctx, key(ns, name), &o)).To(Succeed())
		return &o
	}
}

func getRole(ns, name string) func(Gomega) *v1alpha1.WorkCenterRole {
	return func(g Gomega) *v1alpha1.WorkCenterRole {
		var o v1alpha1.WorkCenterRole
		g.Expect(k8sClient.Get(ctx, key(ns, name), &o)).To(Succeed())
		return &o
	}
}

func getCollaborator(ns, name string) func(Gomega) *v1alpha1.Collaborator {
	return func(g Gomega) *v1alpha1.Collaborator {
		var o v1alpha1.Collaborator
		g.Expect(k8sClient.Get(ctx, key(ns, name), &o)).To(Succeed())
		return &o
	}
}

// cond finds a condition; the zero Condition when absent.
func cond(conds []metav1.Condition, t string) metav1.Condition {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// expectCondition asserts a condition's status and reason, and that it carries the
// object's generation.
func expectCondition(g Gomega, conds []metav1.Condition, generation int64, t string, status metav1.ConditionStatus, reason string) {
	c := meta.FindStatusCondition(conds, t)
	g.ExpectWithOffset(1, c).NotTo(BeNil(), "condition %s missing in %v", t, conds)
	g.ExpectWithOffset(1, c.Status).To(Equal(status), "condition %s: %s", t, c.Message)
	g.ExpectWithOffset(1, c.Reason).To(Equal(reason), "condition %s: %s", t, c.Message)
	g.ExpectWithOffset(1, c.ObservedGeneration).To(Equal(generation))
}

func expectAbsent(g Gomega, conds []metav1.Condition, types ...string) {
	for _, t := range types {
		g.ExpectWithOffset(1, meta.FindStatusCondition(conds, t)).To(BeNil(), "condition %s should be absent", t)
	}
}

// assignment returns the status entry of a collaborator's assignment to wc.
func assignment(c *v1alpha1.Collaborator, wc string) v1alpha1.WorkCenterAssignmentStatus {
	for _, s := range c.Status.WorkCenters {
		if s.Name == wc {
			return s
		}
	}
	return v1alpha1.WorkCenterAssignmentStatus{}
}

// gone reports whether an object no longer exists.
func gone(obj client.Object) func() bool {
	return func() bool {
		err := k8sClient.Get(ctx, client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err)
	}
}

// eventsFor lists "type/reason" of the Events about an object (all, for "") (events.k8s.io/v1 Events
// read through core/v1, where regarding is involvedObject).
func eventsFor(ns, name string) []string {
	var list corev1.EventList
	ExpectWithOffset(1, k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	var out []string
	for _, e := range list.Items {
		if name == "" || e.InvolvedObject.Name == name {
			out = append(out, fmt.Sprintf("%s/%s", e.Type, e.Reason))
		}
	}
	slices.Sort(out)
	return out
}

// waitForFinalizer waits until the controllers have put finalizer on the object.
func waitForFinalizer(obj client.Object, ns, name, finalizer string) {
	EventuallyWithOffset(1, func(g Gomega) []string {
		g.Expect(k8sClient.Get(ctx, key(ns, name), obj)).To(Succeed())
		return obj.GetFinalizers()
	}).Should(ContainElement(finalizer))
}
