package kstatus

import (
	"strings"
	"testing"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// cond is a condition for generation 2, the generation of role's objects.
func cond(t string, s metav1.ConditionStatus, reason string) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: "why", ObservedGeneration: 2}
}

func forGeneration(c metav1.Condition, gen int64) metav1.Condition {
	c.ObservedGeneration = gen
	return c
}

var (
	readyTrue      = cond(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled)
	readyWaiting   = cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRoleNotFound)
	readyCycle     = cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInclusionCycle)
	readyError     = cond(v1alpha1.ConditionReady, metav1.ConditionUnknown, v1alpha1.ReasonReconcileError)
	reconciling    = cond(v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonRoleNotFound)
	stalled        = cond(v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonInclusionCycle)
	blocked        = cond(v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
	inUse          = cond(v1alpha1.ConditionInUse, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse)
	reconcilingOff = cond(v1alpha1.ConditionReconciling, metav1.ConditionFalse, v1alpha1.ReasonReconciled)
)

// role is a WorkCenterRole at generation 2 with status.observedGeneration observed.
func role(observed int64, conds ...metav1.Condition) *v1alpha1.WorkCenterRole {
	r := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "eng", Generation: 2}}
	r.Status.ObservedGeneration, r.Status.Conditions = observed, conds
	return r
}

func deleting(r *v1alpha1.WorkCenterRole) *v1alpha1.WorkCenterRole {
	now := metav1.Now()
	r.DeletionTimestamp = &now
	return r
}

func atGeneration(r *v1alpha1.WorkCenterRole, gen int64) *v1alpha1.WorkCenterRole {
	r.Generation = gen
	return r
}

func TestViolations(t *testing.T) {
	cases := map[string]struct {
		obj  client.Object
		want string // "" when the status is valid
	}{
		// What the operator writes.
		"never reconciled":                 {role(0), ""},
		"ready":                            {role(2, readyTrue, inUse), ""},
		"waiting":                          {role(2, readyWaiting, reconciling), ""},
		"stalled":                          {role(2, readyCycle, stalled), ""},
		"not ready, nothing to wait for":   {role(2, cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonAccountDeactivated)), ""},
		"deletion blocked while deleting":  {deleting(role(2, readyTrue, blocked)), ""},
		"spec changed, not yet reconciled": {atGeneration(role(2, readyTrue), 3), ""},
		"stalled while deleting":           {deleting(role(2, readyCycle, stalled, blocked)), ""},
		"reconcile error, a generation behind": {
			atGeneration(role(2, forGeneration(readyError, 3), reconciling), 3), ""},
		"reconcile error before the first success": {role(0, forGeneration(readyError, 1)), ""},

		// One broken invariant each.
		"observedGeneration ahead": {role(3, forGeneration(readyTrue, 3)),
			"status.observedGeneration 3 is ahead of metadata.generation 2"},
		"condition ahead":                    {role(2, readyTrue, forGeneration(inUse, 3)), "condition InUse observedGeneration 3 is ahead"},
		"duplicate type":                     {role(2, readyWaiting, readyWaiting), "condition Ready appears twice"},
		"status not True, False or Unknown":  {role(2, readyTrue, cond(v1alpha1.ConditionInUse, "Maybe", v1alpha1.ReasonRoleInUse)), `status "Maybe"`},
		"empty reason":                       {role(2, readyTrue, cond(v1alpha1.ConditionInUse, metav1.ConditionTrue, "")), `reason "", not CamelCase`},
		"reason not CamelCase":               {role(2, readyTrue, cond(v1alpha1.ConditionInUse, metav1.ConditionTrue, "role_in_use")), "not CamelCase"},
		"no message":                         {role(2, metav1.Condition{Type: "Ready", Status: "True", Reason: "Reconciled", ObservedGeneration: 2}), "Ready has no message"},
		"Reconciling False":                  {role(2, readyTrue, reconcilingOff), "Reconciling is False: it is True or absent"},
		"Stalled False":                      {role(2, readyTrue, cond(v1alpha1.ConditionStalled, metav1.ConditionFalse, "Fine")), "Stalled is False"},
		"DeletionBlocked False":              {deleting(role(2, readyTrue, cond(v1alpha1.ConditionDeletionBlocked, metav1.ConditionFalse, "Free"))), "DeletionBlocked is False"},
		"Reconciling and Stalled":            {role(2, readyCycle, forReason(reconciling, v1alpha1.ReasonInclusionCycle), stalled), "Reconciling and Stalled are both True"},
		"no Ready after a reconcile":         {role(2), "no Ready condition"},
		"no Ready although conditions":       {role(0, forGeneration(stalled, 0)), "no Ready condition"},
		"Ready True with Reconciling":        {role(2, readyTrue, reconciling), "Ready is True but kstatus computes InProgress"},
		"Ready True with Stalled":            {role(2, readyTrue, stalled), "kstatus computes Failed (why) but Ready is not False"},
		"Ready Unknown with Stalled":         {role(2, forGeneration(readyError, 2), forReason(stalled, v1alpha1.ReasonReconcileError)), "kstatus computes Failed (why) but Ready is not False"},
		"conditions but no Ready, Current":   {role(2, inUse), "kstatus computes Current (Resource is current) but Ready is not True"},
		"Ready True not Reconciled":          {role(2, cond(v1alpha1.ConditionReady, metav1.ConditionTrue, "AllGood")), "Ready is True with reason AllGood"},
		"Ready False Reconciled":             {role(2, cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonReconciled)), "Ready is False with reason Reconciled"},
		"Ready Unknown not ReconcileError":   {role(2, cond(v1alpha1.ConditionReady, metav1.ConditionUnknown, "Pending")), "Ready is Unknown with reason Pending"},
		"Reconciling says another thing":     {role(2, readyCycle, reconciling), "Reconciling is True with reason RoleNotFound but Ready is False with reason InclusionCycle"},
		"Ready for an older generation":      {role(2, forGeneration(readyTrue, 1)), "condition Ready is for generation 1 but status.observedGeneration is 2"},
		"a condition left from a generation": {role(2, readyTrue, forGeneration(inUse, 1)), "condition InUse is for generation 1"},
		"Ready for a newer generation":       {atGeneration(role(2, forGeneration(readyTrue, 3)), 3), "condition Ready is for generation 3"},
		"reconcile error older than status":  {atGeneration(role(3, forGeneration(readyError, 2)), 3), "ReconcileError is for generation 2, older than status.observedGeneration 3"},
		"DeletionBlocked while not deleting": {role(2, readyTrue, blocked), "DeletionBlocked is True but the object is not being deleted"},
		"not one of our kinds":               {&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}, "not one of the operator's kinds"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Violations(tc.obj)
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("valid status reported: %q", got)
				}
				return
			}
			if len(got) == 0 || !strings.Contains(strings.Join(got, "\n"), tc.want) {
				t.Fatalf("want a violation %q, got %q", tc.want, got)
			}
		})
	}
}

// Compute is Flux's own verdict: what `wait` and `healthChecks` on a Kustomization read.
func TestComputeIsFluxVerdict(t *testing.T) {
	cases := map[string]struct {
		obj  client.Object
		want status.Status
	}{
		"ready":                            {role(2, readyTrue, inUse), status.CurrentStatus},
		"waiting":                          {role(2, readyWaiting, reconciling), status.InProgressStatus},
		"stalled":                          {role(2, readyCycle, stalled), status.FailedStatus},
		"not ready, nothing to wait for":   {role(2, cond(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonAccountDeactivated)), status.InProgressStatus},
		"reconcile error":                  {role(2, readyError), status.InProgressStatus},
		"spec changed, not yet reconciled": {atGeneration(role(2, readyTrue), 3), status.InProgressStatus},
		"deletion blocked":                 {deleting(role(2, readyTrue, blocked)), status.TerminatingStatus},
		// kstatus cannot tell an object nobody reconciled yet from one without
		// conditions: Flux reads it as Current (docs/gitops.md).
		"never reconciled": {role(0), status.CurrentStatus},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Compute(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.want {
				t.Fatalf("want %s, got %s (%s)", tc.want, res.Status, res.Message)
			}
		})
	}
}

func forReason(c metav1.Condition, reason string) metav1.Condition {
	c.Reason = reason
	return c
}

func TestViolationsNameTheObject(t *testing.T) {
	got := Violations(role(2))
	if len(got) != 1 || !strings.HasPrefix(got[0], "WorkCenterRole acme/eng: ") {
		t.Fatalf("want one violation naming WorkCenterRole acme/eng, got %q", got)
	}
}

// Every kind is read, typed and as `kubectl get -o json` prints it.
func TestListViolationsCoversEveryKind(t *testing.T) {
	bad := []metav1.Condition{readyTrue, stalled}
	meta := metav1.ObjectMeta{Namespace: "acme", Name: "x", Generation: 2}
	accts := &v1alpha1.AccountList{Items: []v1alpha1.Account{{ObjectMeta: meta}}}
	accts.Items[0].Status.ObservedGeneration, accts.Items[0].Status.Conditions = 2, bad
	wcs := &v1alpha1.WorkCenterList{Items: []v1alpha1.WorkCenter{{ObjectMeta: meta}}}
	wcs.Items[0].Status.ObservedGeneration, wcs.Items[0].Status.Conditions = 2, bad
	roles := &v1alpha1.WorkCenterRoleList{Items: []v1alpha1.WorkCenterRole{{ObjectMeta: meta}}}
	roles.Items[0].Status.ObservedGeneration, roles.Items[0].Status.Conditions = 2, bad
	collabs := &v1alpha1.CollaboratorList{Items: []v1alpha1.Collaborator{{ObjectMeta: meta}}}
	collabs.Items[0].Status.ObservedGeneration, collabs.Items[0].Status.Conditions = 2, bad

	got := ListViolations(accts, wcs, roles, collabs)
	if len(got) != 4 {
		t.Fatalf("want one violation per object, got %q", got)
	}
	for i, kind := range []string{"Account", "WorkCenter", "WorkCenterRole", "Collaborator"} {
		if !strings.HasPrefix(got[i], kind+" acme/x: ") {
			t.Errorf("violation %d does not name the %s: %q", i, kind, got[i])
		}
	}

	var u unstructured.UnstructuredList
	for _, o := range []runtime.Object{&accts.Items[0], &wcs.Items[0], &roles.Items[0], &collabs.Items[0]} {
		gvks, _, err := scheme.ObjectKinds(o)
		if err != nil {
			t.Fatal(err)
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			t.Fatal(err)
		}
		item := unstructured.Unstructured{Object: m}
		item.SetGroupVersionKind(gvks[0])
		u.Items = append(u.Items, item)
	}
	if got := ListViolations(&u); strings.Join(got, "\n") != strings.Join(ListViolations(accts, wcs, roles, collabs), "\n") {
		t.Fatalf("unstructured objects are not read as typed ones: %q", got)
	}
}
