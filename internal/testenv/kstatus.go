package testenv

import (
	"context"
	"fmt"
	"regexp"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The kstatus invariants every object of ours keeps at every moment, not only once
// converged, in the spirit of Flux's runtime/conditions/check: what Flux, Argo CD and
// `kubectl wait` read must never contradict itself. They follow docs/decisions.md
// ("Conditions"): Reconciling, Stalled and DeletionBlocked are True or absent; Ready is
// there from the first reconcile; a reconcile error sets Ready Unknown without moving
// status.observedGeneration.

var camelCase = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// Violations returns every kstatus invariant obj breaks, each naming the object.
func Violations(obj client.Object) []string {
	observed, conds := statusOf(obj)
	name := fmt.Sprintf("%T %s/%s", obj, obj.GetNamespace(), obj.GetName())
	var out []string
	fail := func(format string, args ...any) { out = append(out, name+": "+fmt.Sprintf(format, args...)) }
	gen := obj.GetGeneration()

	if observed > gen {
		fail("status.observedGeneration %d is ahead of metadata.generation %d", observed, gen)
	}
	seen := map[string]bool{}
	for _, c := range conds {
		if seen[c.Type] {
			fail("condition %s appears twice", c.Type)
		}
		seen[c.Type] = true
		switch c.Status {
		case metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown:
		default:
			fail("condition %s has status %q", c.Type, c.Status)
		}
		if !camelCase.MatchString(c.Reason) {
			fail("condition %s has reason %q, not CamelCase", c.Type, c.Reason)
		}
		if c.Message == "" {
			fail("condition %s has no message", c.Type)
		}
		if c.ObservedGeneration > gen {
			fail("condition %s observedGeneration %d is ahead of metadata.generation %d", c.Type, c.ObservedGeneration, gen)
		}
	}
	for _, t := range []string{v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled, v1alpha1.ConditionDeletionBlocked} {
		if c := meta.FindStatusCondition(conds, t); c != nil && c.Status != metav1.ConditionTrue {
			fail("%s is %s: abnormal-true conditions are True or absent", t, c.Status)
		}
	}
	isTrue := func(t string) bool { return meta.IsStatusConditionTrue(conds, t) }
	if isTrue(v1alpha1.ConditionReconciling) && isTrue(v1alpha1.ConditionStalled) {
		fail("Reconciling and Stalled are both True")
	}
	ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	if ready == nil && observed > 0 {
		fail("no Ready condition although generation %d was processed", observed)
	}
	if ready != nil && ready.Status == metav1.ConditionTrue {
		if isTrue(v1alpha1.ConditionReconciling) || isTrue(v1alpha1.ConditionStalled) {
			fail("Ready is True while Reconciling or Stalled is True")
		}
		if ready.ObservedGeneration != observed {
			fail("Ready is True for generation %d but status.observedGeneration is %d", ready.ObservedGeneration, observed)
		}
	}
	if isTrue(v1alpha1.ConditionDeletionBlocked) && obj.GetDeletionTimestamp().IsZero() {
		fail("DeletionBlocked is True but the object is not being deleted")
	}
	return out
}

// statusOf returns status.observedGeneration and status.conditions of one of our kinds.
func statusOf(obj client.Object) (int64, []metav1.Condition) {
	switch o := obj.(type) {
	case *v1alpha1.Account:
		return o.Status.ObservedGeneration, o.Status.Conditions
	case *v1alpha1.WorkCenter:
		return o.Status.ObservedGeneration, o.Status.Conditions
	case *v1alpha1.WorkCenterRole:
		return o.Status.ObservedGeneration, o.Status.Conditions
	case *v1alpha1.Collaborator:
		return o.Status.ObservedGeneration, o.Status.Conditions
	}
	panic(fmt.Sprintf("testenv: %T is not one of the operator's kinds", obj))
}

// NamespaceViolations reads every Account, WorkCenter, WorkCenterRole and Collaborator
// of namespace ns and returns the kstatus invariants they break.
func NamespaceViolations(ctx context.Context, c client.Reader, ns string) ([]string, error) {
	var accts v1alpha1.AccountList
	var wcs v1alpha1.WorkCenterList
	var roles v1alpha1.WorkCenterRoleList
	var collabs v1alpha1.CollaboratorList
	for _, l := range []client.ObjectList{&accts, &wcs, &roles, &collabs} {
		if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
			return nil, err
		}
	}
	return ListViolations(&accts, &wcs, &roles, &collabs), nil
}

// ListViolations returns the kstatus invariants the objects of the lists break.
func ListViolations(lists ...client.ObjectList) []string {
	var out []string
	for _, l := range lists {
		_ = meta.EachListItem(l, func(o runtime.Object) error {
			out = append(out, Violations(o.(client.Object))...)
			return nil
		})
	}
	return out
}
