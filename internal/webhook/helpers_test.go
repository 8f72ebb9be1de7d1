package webhook_test

import (
	"context"
	"fmt"
	"reflect"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

var ctx = context.Background()

// newNamespace creates a namespace of its own for one spec.
func newNamespace() string {
	ns, err := env.NewNamespace(ctx, "wh-")
	Expect(err).NotTo(HaveOccurred())
	return ns
}

// Fixture builders, shared with the other suites.
var (
	newAccount      = fixtures.Account
	newRole         = fixtures.Role
	includes        = fixtures.Includes
	perms           = fixtures.Perms
	newCollaborator = fixtures.Collaborator
)

func newWorkCenter(ns, name, category string) *v1alpha1.WorkCenter {
	return fixtures.WorkCenter(ns, name, fixtures.Category(category))
}

func accountAdmin(c *v1alpha1.Collaborator) *v1alpha1.Collaborator {
	return fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, c)
}

func key(o client.Object) client.ObjectKey { return client.ObjectKeyFromObject(o) }

func fresh[T client.Object](o T) T { return o.DeepCopyObject().(T) }

// create creates the objects as the operator and waits until the webhooks see them.
func create(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, k8sClient.Create(ctx, o)).To(Succeed(), "create %s", o.GetName())
	}
	synced(objs...)
	operator.warnings.take()
}

// update re-reads obj, applies mut and writes it as the operator, retrying on
// conflicts, then waits until the webhooks see the change.
func update[T client.Object](obj T, mut func(T)) {
	EventuallyWithOffset(1, func() error {
		if err := k8sClient.Get(ctx, key(obj), obj); err != nil {
			return err
		}
		mut(obj)
		return k8sClient.Update(ctx, obj)
	}).Should(Succeed())
	synced(obj)
	operator.warnings.take()
}

// remove deletes the objects as the operator and waits until the webhooks see it.
func remove(objs ...client.Object) {
	for _, o := range objs {
		ExpectWithOffset(1, client.IgnoreNotFound(k8sClient.Delete(ctx, o))).To(Succeed())
	}
	synced(objs...)
	operator.warnings.take()
}

// synced waits until the manager's cache, which the webhooks read, holds each object as
// the API server has it now (or, like it, does not hold it).
func synced(objs ...client.Object) {
	for _, o := range objs {
		EventuallyWithOffset(2, func(g Gomega) {
			live, cached := fresh(o), fresh(o)
			err := k8sClient.Get(ctx, key(o), live)
			if apierrors.IsNotFound(err) {
				g.Expect(apierrors.IsNotFound(webhookView.Get(ctx, key(o), cached))).To(BeTrue(), "cache still has %s", o.GetName())
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(webhookView.Get(ctx, key(o), cached)).To(Succeed())
			g.Expect(cached.GetResourceVersion()).To(Equal(live.GetResourceVersion()))
		}).Should(Succeed())
	}
}

// withAccount creates an Account and waits until its built-in roles exist and the
// webhooks see them.
func withAccount(a *v1alpha1.Account) {
	create(a)
	roles := make([]client.Object, 0, len(v1alpha1.BuiltInRoleNames))
	for _, n := range v1alpha1.BuiltInRoleNames {
		r := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: a.Namespace, Name: n}}
		EventuallyWithOffset(1, func() error { return k8sClient.Get(ctx, key(r), r) }).Should(Succeed())
		roles = append(roles, r)
	}
	synced(roles...)
}

// op is one API write under test, that can be made as a dry run.
type op struct {
	what string
	// do makes the write as actor a, as a dry run or not.
	do func(a actor, dryRun bool) error
	// unchanged asserts that nothing of the write was persisted.
	unchanged func(g Gomega)
	// created is the object a create makes: kubectl procorem validate's offline
	// admission must reach the same verdict on it.
	created client.Object
}

func creating(obj client.Object) op {
	return op{
		what: "create " + obj.GetName(),
		do: func(a actor, dryRun bool) error {
			if dryRun {
				return a.Create(ctx, fresh(obj), client.DryRunAll)
			}
			return a.Create(ctx, fresh(obj))
		},
		unchanged: func(g Gomega) {
			err := k8sClient.Get(ctx, key(obj), fresh(obj))
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "a dry-run create persisted %s", obj.GetName())
		},
		created: obj,
	}
}

// offlineCreate judges a create of obj the way kubectl procorem validate does (the
// model's admission over an in-memory account: model.Account.ValidateCreate), given
// every other object of the namespace as the API server holds it now.
func offlineCreate(obj client.Object) (admission.Warnings, error) {
	m := model.New(obj.GetNamespace())
	objs, err := accounts.Objects(ctx, k8sClient, obj.GetNamespace())
	Expect(err).NotTo(HaveOccurred())
	for _, o := range objs {
		o := o.(client.Object)
		if o.GetName() == obj.GetName() && reflect.TypeOf(o) == reflect.TypeOf(obj) {
			continue
		}
		Expect(m.Set(o)).To(Succeed())
	}
	obj = fresh(obj)
	findings := m.ValidateCreate(obj)
	return findings.Warnings(), findings.Denial(model.KindOf(obj), obj.GetName())
}

// comparedOffline reports whether offline admission can judge the write: a create, by
// anyone but of a built-in role (which only the operator's identity may write, R9).
func comparedOffline(o op) bool {
	if o.created == nil {
		return false
	}
	_, builtIn := model.BuiltInRoleSpec(o.created.GetName())
	_, isRole := o.created.(*v1alpha1.WorkCenterRole)
	return !(builtIn && isRole)
}

func updating[T client.Object](obj T, mut func(T)) op {
	var before map[string]any
	return op{
		what: "update " + obj.GetName(),
		do: func(a actor, dryRun bool) error {
			// The controllers write finalizers meanwhile: retry on conflicts.
			return retry.RetryOnConflict(retry.DefaultRetry, func() error {
				cur := fresh(obj)
				if err := k8sClient.Get(ctx, key(obj), cur); err != nil {
					return err
				}
				before = writable(cur)
				mut(cur)
				if dryRun {
					return a.Update(ctx, cur, client.DryRunAll)
				}
				return a.Update(ctx, cur)
			})
		},
		unchanged: func(g Gomega) {
			cur := fresh(obj)
			g.Expect(k8sClient.Get(ctx, key(obj), cur)).To(Succeed())
			g.Expect(writable(cur)).To(Equal(before), "a dry-run update persisted %s", obj.GetName())
		},
	}
}

// writable is what an update of the main resource can change, without what the
// controllers write meanwhile (status, finalizers, resourceVersion).
func writable(o client.Object) map[string]any {
	o = fresh(o)
	u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	Expect(err).NotTo(HaveOccurred())
	return map[string]any{"spec": u["spec"], "labels": o.GetLabels(), "annotations": o.GetAnnotations()}
}

func deleting(obj client.Object) op {
	return op{
		what: "delete " + obj.GetName(),
		do: func(a actor, dryRun bool) error {
			if dryRun {
				return a.Delete(ctx, fresh(obj), client.DryRunAll)
			}
			return a.Delete(ctx, fresh(obj))
		},
		unchanged: func(g Gomega) {
			cur := fresh(obj)
			g.Expect(k8sClient.Get(ctx, key(obj), cur)).To(Succeed())
			g.Expect(cur.GetDeletionTimestamp()).To(BeNil(), "a dry-run delete persisted for %s", obj.GetName())
		},
	}
}

// expectDenied makes the write as a dry run, then for real, as the operator: both are
// denied with a message holding every substring, and the dry run persisted nothing.
// It returns the error.
func expectDenied(o op, substrings ...string) error {
	return expectDeniedAs(operator, o, substrings...)
}

func expectDeniedAs(a actor, o op, substrings ...string) error {
	var errs []error
	for _, dryRun := range []bool{true, false} {
		err := o.do(a, dryRun)
		ExpectWithOffset(2, err).To(HaveOccurred(), "%s (dry run %t) was allowed", o.what, dryRun)
		ExpectWithOffset(2, apierrors.IsInvalid(err) || apierrors.IsForbidden(err)).To(BeTrue(), "%s: not a denial: %v", o.what, err)
		for _, s := range substrings {
			ExpectWithOffset(2, err.Error()).To(ContainSubstring(s), "%s (dry run %t)", o.what, dryRun)
		}
		o.unchanged(Default)
		errs = append(errs, err)
	}
	ExpectWithOffset(2, errs[0].Error()).To(Equal(errs[1].Error()), "a dry run shows the same denial")
	if comparedOffline(o) {
		_, offErr := offlineCreate(o.created)
		ExpectWithOffset(2, offErr).To(HaveOccurred(), "%s: denied by the API server, admitted by kubectl procorem validate", o.what)
		ExpectWithOffset(2, errs[1].Error()).To(HaveSuffix(offErr.Error()), "%s: kubectl procorem validate gives admission's message", o.what)
	}
	return errs[1]
}

// expectAllowed makes the write as a dry run, then for real, as the operator: both are
// allowed, the dry run persists nothing, and both draw the same warnings, one holding
// each of want (none when want is empty). It returns the warnings.
func expectAllowed(o op, want ...string) []string {
	return expectAllowedAs(operator, o, want...)
}

func expectAllowedAs(a actor, o op, want ...string) []string {
	var got [][]string
	for _, dryRun := range []bool{true, false} {
		a.warnings.take()
		ExpectWithOffset(2, o.do(a, dryRun)).To(Succeed(), "%s (dry run %t)", o.what, dryRun)
		w := a.warnings.take()
		if dryRun {
			o.unchanged(Default)
		}
		if len(want) == 0 {
			ExpectWithOffset(2, w).To(BeEmpty(), "%s (dry run %t): no warnings", o.what, dryRun)
		}
		for _, s := range want {
			ExpectWithOffset(2, w).To(ContainElement(ContainSubstring(s)), "%s (dry run %t)", o.what, dryRun)
		}
		got = append(got, w)
	}
	ExpectWithOffset(2, got[0]).To(Equal(got[1]), "a dry run shows the same warnings")
	if comparedOffline(o) {
		offWarnings, offErr := offlineCreate(o.created)
		ExpectWithOffset(2, offErr).NotTo(HaveOccurred(), "%s: admitted by the API server, refused by kubectl procorem validate", o.what)
		for _, w := range offWarnings {
			ExpectWithOffset(2, got[1]).To(ContainElement(w), "%s: kubectl procorem validate warns what admission warns", o.what)
		}
	}
	return got[1]
}

// cond returns a condition, or the zero Condition.
func cond(conds []metav1.Condition, t string) metav1.Condition {
	if c := meta.FindStatusCondition(conds, t); c != nil {
		return *c
	}
	return metav1.Condition{}
}

// names returns "prefix01".."prefixNN".
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%02d", prefix, i+1)
	}
	return out
}

var _ = BeforeEach(func() {
	operator.warnings.take()
	alice.warnings.take()
})

// waitForFinalizer waits until the controllers have put finalizer on obj, and the
// webhooks see it there.
func waitForFinalizer(obj client.Object, finalizer string) {
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, key(obj), obj)).To(Succeed())
		g.Expect(obj.GetFinalizers()).To(ContainElement(finalizer))
	}).Should(Succeed())
	synced(obj)
}
