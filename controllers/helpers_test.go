package controllers_test

import (
	"context"
	"fmt"
	"slices"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

var ctx = context.Background()

// Fixture builders, shared with the other suites.
var (
	newAccount      = fixtures.Account
	newWorkCenter   = fixtures.WorkCenter
	archived        = fixtures.Archived
	newRole         = fixtures.Role
	includes        = fixtures.Includes
	perms           = fixtures.Perms
	newCollaborator = fixtures.Collaborator
	admin           = fixtures.Admin
)

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
