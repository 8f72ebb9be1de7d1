// Package kstatus checks, in tests, that every Account, WorkCenter, WorkCenterRole and
// Collaborator reads the same to Flux as the operator means it, in every status the
// operator stores, not only once converged. The verdict is Flux's own: status.Compute
// from github.com/fluxcd/cli-utils/pkg/kstatus/status, the kstatus that Flux's
// controllers run for `wait` and `healthChecks`. The operator's conditions must agree
// with it:
//
//   - Ready True at the observed generation is Current, never InProgress or Failed.
//   - Current means Ready True (or an object the operator has not reconciled yet).
//   - Failed (Stalled True) means Ready False, for the same reason.
//
// kstatus reads only True conditions and takes the first of Reconciling and Stalled it
// meets, so what it cannot see is checked directly, with the operator's own conventions
// (docs/decisions.md, "Conditions"; controllers/conditions.go):
//
//   - Reconciling, Stalled and DeletionBlocked are True or absent, never False, and
//     Reconciling and Stalled are never both True.
//   - A reconcile writes every condition, and status.observedGeneration, for the
//     generation it read, so they agree; the one exception is a reconcile that failed
//     for a reason a retry can fix: Ready Unknown, reason ReconcileError, for the newer
//     generation, while status.observedGeneration stays where it was.
//   - Ready True has the reason Reconciled, and only Ready Unknown has ReconcileError.
//
// The suites run it after their own assertions on every object of the namespaces a spec
// created (NamespaceViolations); it is a leaf package, so the controllers' own unit
// tests can run it on the conditions their setters write.
package kstatus

import (
	"context"
	"fmt"
	"regexp"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// camelCase is what a reason looks like: "RoleNotFound".
var camelCase = regexp.MustCompile(`^[A-Z][A-Za-z0-9]*$`)

// abnormalTrue are the conditions that are True or absent (kstatus' "abnormal-true").
var abnormalTrue = []string{v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled, v1alpha1.ConditionDeletionBlocked}

// Compute is Flux's verdict on obj (typed or unstructured): status.Compute over the
// object as the API server serves it.
func Compute(obj client.Object) (*status.Result, error) {
	u, err := toUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return status.Compute(u)
}

// Violations returns every invariant obj breaks, each prefixed with the object's kind
// and name. obj is an Account, WorkCenter, WorkCenterRole or Collaborator, typed or
// unstructured (as `kubectl get -o json` prints it).
func Violations(obj client.Object) []string {
	name := fmt.Sprintf("%s %s/%s", kindOf(obj), obj.GetNamespace(), obj.GetName())
	var out []string
	fail := func(format string, args ...any) { out = append(out, name+": "+fmt.Sprintf(format, args...)) }

	observed, conds, err := statusOf(obj)
	if err != nil {
		fail("%v", err)
		return out
	}
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
			fail("condition %s has status %q, not True, False or Unknown", c.Type, c.Status)
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
		switch {
		case isReconcileError(c):
			if c.ObservedGeneration < observed {
				fail("Ready Unknown ReconcileError is for generation %d, older than status.observedGeneration %d", c.ObservedGeneration, observed)
			}
		case c.ObservedGeneration != observed:
			fail("condition %s is for generation %d but status.observedGeneration is %d: one reconcile writes them all",
				c.Type, c.ObservedGeneration, observed)
		}
	}

	for _, t := range abnormalTrue {
		if c := meta.FindStatusCondition(conds, t); c != nil && c.Status != metav1.ConditionTrue {
			fail("%s is %s: it is True or absent", t, c.Status)
		}
	}
	reconciling := meta.IsStatusConditionTrue(conds, v1alpha1.ConditionReconciling)
	stalled := meta.IsStatusConditionTrue(conds, v1alpha1.ConditionStalled)
	if reconciling && stalled {
		fail("Reconciling and Stalled are both True: kstatus would read whichever comes first")
	}

	ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	switch {
	case ready == nil:
		if observed > 0 || len(conds) > 0 {
			fail("no Ready condition although the object was reconciled (status.observedGeneration %d, %d conditions)", observed, len(conds))
		}
	case ready.Status == metav1.ConditionTrue:
		if ready.Reason != v1alpha1.ReasonReconciled {
			fail("Ready is True with reason %s, not %s", ready.Reason, v1alpha1.ReasonReconciled)
		}
	case ready.Status == metav1.ConditionFalse:
		if ready.Reason == v1alpha1.ReasonReconciled || ready.Reason == v1alpha1.ReasonReconcileError {
			fail("Ready is False with reason %s", ready.Reason)
		}
		for _, t := range []string{v1alpha1.ConditionReconciling, v1alpha1.ConditionStalled} {
			if c := meta.FindStatusCondition(conds, t); c != nil && c.Status == metav1.ConditionTrue && c.Reason != ready.Reason {
				fail("%s is True with reason %s but Ready is False with reason %s: they say the same", t, c.Reason, ready.Reason)
			}
		}
	case ready.Status == metav1.ConditionUnknown:
		if ready.Reason != v1alpha1.ReasonReconcileError {
			fail("Ready is Unknown with reason %s, not %s", ready.Reason, v1alpha1.ReasonReconcileError)
		}
	}

	deleting := !obj.GetDeletionTimestamp().IsZero()
	if meta.IsStatusConditionTrue(conds, v1alpha1.ConditionDeletionBlocked) && !deleting {
		fail("DeletionBlocked is True but the object is not being deleted")
	}

	out = append(out, disagreements(obj, name, observed, conds, deleting)...)
	return out
}

// disagreements compares Flux's verdict (status.Compute) with what the Ready condition
// says. While the object is being deleted kstatus answers Terminating whatever the
// conditions, and while a generation is not observed yet InProgress: both are right, and
// there is nothing to compare.
func disagreements(obj client.Object, name string, observed int64, conds []metav1.Condition, deleting bool) []string {
	res, err := Compute(obj)
	if err != nil {
		return []string{fmt.Sprintf("%s: kstatus cannot compute a status: %v", name, err)}
	}
	if deleting {
		if res.Status != status.TerminatingStatus {
			return []string{fmt.Sprintf("%s: being deleted but kstatus computes %s", name, res.Status)}
		}
		return nil
	}
	if observed != 0 && observed != obj.GetGeneration() {
		if res.Status != status.InProgressStatus {
			return []string{fmt.Sprintf("%s: generation %d is not observed yet (%d) but kstatus computes %s", name, obj.GetGeneration(), observed, res.Status)}
		}
		return nil
	}
	var out []string
	fail := func(format string, args ...any) { out = append(out, name+": "+fmt.Sprintf(format, args...)) }
	ready := meta.FindStatusCondition(conds, v1alpha1.ConditionReady)
	readyTrue := ready != nil && ready.Status == metav1.ConditionTrue
	switch res.Status {
	case status.CurrentStatus:
		if !readyTrue && len(conds) > 0 {
			fail("kstatus computes Current (%s) but Ready is not True", res.Message)
		}
	case status.InProgressStatus:
		if readyTrue {
			fail("Ready is True but kstatus computes InProgress: %s", res.Message)
		}
	case status.FailedStatus:
		if ready == nil || ready.Status != metav1.ConditionFalse {
			fail("kstatus computes Failed (%s) but Ready is not False", res.Message)
		}
	default:
		fail("kstatus computes %s for an object not being deleted: %s", res.Status, res.Message)
	}
	return out
}

// isReconcileError is the condition a failed reconcile writes: Ready Unknown
// ReconcileError, for the generation it read.
func isReconcileError(c metav1.Condition) bool {
	return c.Type == v1alpha1.ConditionReady && c.Status == metav1.ConditionUnknown && c.Reason == v1alpha1.ReasonReconcileError
}

// scheme knows the operator's kinds, to read unstructured objects as typed ones.
var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// statusOf returns status.observedGeneration and status.conditions of one of the
// operator's kinds.
func statusOf(obj client.Object) (int64, []metav1.Condition, error) {
	switch o := obj.(type) {
	case *v1alpha1.Account:
		return o.Status.ObservedGeneration, o.Status.Conditions, nil
	case *v1alpha1.WorkCenter:
		return o.Status.ObservedGeneration, o.Status.Conditions, nil
	case *v1alpha1.WorkCenterRole:
		return o.Status.ObservedGeneration, o.Status.Conditions, nil
	case *v1alpha1.Collaborator:
		return o.Status.ObservedGeneration, o.Status.Conditions, nil
	case *unstructured.Unstructured:
		typed, err := scheme.New(o.GroupVersionKind())
		if err != nil {
			return 0, nil, fmt.Errorf("not one of the operator's kinds: %w", err)
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, typed); err != nil {
			return 0, nil, err
		}
		return statusOf(typed.(client.Object))
	}
	return 0, nil, fmt.Errorf("%T is not one of the operator's kinds", obj)
}

// toUnstructured is obj as the API server serves it, with its apiVersion and kind.
func toUnstructured(obj client.Object) (*unstructured.Unstructured, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	gvks, _, err := scheme.ObjectKinds(obj)
	if err != nil {
		return nil, fmt.Errorf("%T is not one of the operator's kinds: %w", obj, err)
	}
	u.SetGroupVersionKind(gvks[0])
	return u, nil
}

func kindOf(obj client.Object) string {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		return u.GetKind()
	}
	if gvks, _, err := scheme.ObjectKinds(obj); err == nil {
		return gvks[0].Kind
	}
	return fmt.Sprintf("%T", obj)
}

// ListViolations returns the invariants the items of the lists break.
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

// NamespaceViolations reads every Account, WorkCenter, WorkCenterRole and Collaborator
// of namespace ns through c (a direct client: never a manager's cache) and returns the
// invariants they break.
func NamespaceViolations(ctx context.Context, c client.Reader, ns string) ([]string, error) {
	lists := []client.ObjectList{
		&v1alpha1.AccountList{}, &v1alpha1.WorkCenterList{}, &v1alpha1.WorkCenterRoleList{}, &v1alpha1.CollaboratorList{},
	}
	for _, l := range lists {
		if err := c.List(ctx, l, client.InNamespace(ns)); err != nil {
			return nil, err
		}
	}
	return ListViolations(lists...), nil
}
