package testenv

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func condition(t string, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
	return metav1.Condition{Type: t, Status: s, Reason: reason, Message: "why", ObservedGeneration: gen}
}

var (
	readyTrue   = condition(v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReconciled, 2)
	readyFalse  = condition(v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonRoleNotFound, 2)
	reconciling = condition(v1alpha1.ConditionReconciling, metav1.ConditionTrue, v1alpha1.ReasonRoleNotFound, 2)
	stalled     = condition(v1alpha1.ConditionStalled, metav1.ConditionTrue, v1alpha1.ReasonRoleRequiresMember, 2)
	blocked     = condition(v1alpha1.ConditionDeletionBlocked, metav1.ConditionTrue, v1alpha1.ReasonRoleInUse, 2)
)

func TestViolations(t *testing.T) {
	deleting := metav1.Now()
	cases := map[string]struct {
		observed int64
		conds    []metav1.Condition
		deleted  bool
		want     string // "" when valid
	}{
		"never reconciled":                     {0, nil, false, ""},
		"ready":                                {2, []metav1.Condition{readyTrue}, false, ""},
		"waiting":                              {2, []metav1.Condition{readyFalse, reconciling}, false, ""},
		"stalled":                              {2, []metav1.Condition{readyFalse, stalled}, false, ""},
		"deletion blocked while deleting":      {2, []metav1.Condition{readyTrue, blocked}, true, ""},
		"reconcile error, behind a generation": {1, []metav1.Condition{condition(v1alpha1.ConditionReady, metav1.ConditionUnknown, v1alpha1.ReasonReconcileError, 2)}, false, ""},
		"observedGeneration ahead":             {3, []metav1.Condition{readyFalse}, false, "status.observedGeneration 3 is ahead"},
		"condition ahead":                      {2, []metav1.Condition{condition(v1alpha1.ConditionReady, metav1.ConditionFalse, "X", 3)}, false, "observedGeneration 3 is ahead"},
		"duplicate type":                       {2, []metav1.Condition{readyFalse, readyFalse}, false, "appears twice"},
		"bad status":                           {2, []metav1.Condition{condition(v1alpha1.ConditionReady, "Maybe", "X", 2)}, false, `status "Maybe"`},
		"reason not CamelCase":                 {2, []metav1.Condition{condition(v1alpha1.ConditionReady, metav1.ConditionFalse, "role not found", 2)}, false, "not CamelCase"},
		"no message":                           {2, []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue, Reason: "Reconciled", ObservedGeneration: 2}}, false, "no message"},
		"Reconciling False":                    {2, []metav1.Condition{readyTrue, condition(v1alpha1.ConditionReconciling, metav1.ConditionFalse, "Done", 2)}, false, "True or absent"},
		"Stalled False":                        {2, []metav1.Condition{readyTrue, condition(v1alpha1.ConditionStalled, metav1.ConditionFalse, "Fine", 2)}, false, "True or absent"},
		"Reconciling and Stalled":              {2, []metav1.Condition{readyFalse, reconciling, stalled}, false, "both True"},
		"no Ready after a reconcile":           {2, []metav1.Condition{stalled}, false, "no Ready"},
		"Ready with Reconciling":               {2, []metav1.Condition{readyTrue, reconciling}, false, "Ready is True while"},
		"Ready with Stalled":                   {2, []metav1.Condition{readyTrue, stalled}, false, "Ready is True while"},
		"Ready for another generation":         {1, []metav1.Condition{readyTrue}, false, "Ready is True for generation 2"},
		"DeletionBlocked not deleting":         {2, []metav1.Condition{readyTrue, blocked}, false, "not being deleted"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			role := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "eng", Generation: 2}}
			role.Status.ObservedGeneration, role.Status.Conditions = tc.observed, tc.conds
			if tc.deleted {
				role.DeletionTimestamp = &deleting
			}
			got := strings.Join(Violations(role), "\n")
			if tc.want == "" && got != "" {
				t.Fatalf("valid status reported: %s", got)
			}
			if tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("want a violation %q, got %q", tc.want, got)
			}
		})
	}
}

func TestListViolationsCoversEveryKind(t *testing.T) {
	bad := []metav1.Condition{readyTrue, stalled}
	accts := &v1alpha1.AccountList{Items: []v1alpha1.Account{{ObjectMeta: metav1.ObjectMeta{Name: "a", Generation: 2}}}}
	accts.Items[0].Status.ObservedGeneration, accts.Items[0].Status.Conditions = 2, bad
	wcs := &v1alpha1.WorkCenterList{Items: []v1alpha1.WorkCenter{{ObjectMeta: metav1.ObjectMeta{Name: "w", Generation: 2}}}}
	wcs.Items[0].Status.ObservedGeneration, wcs.Items[0].Status.Conditions = 2, bad
	roles := &v1alpha1.WorkCenterRoleList{Items: []v1alpha1.WorkCenterRole{{ObjectMeta: metav1.ObjectMeta{Name: "r", Generation: 2}}}}
	roles.Items[0].Status.ObservedGeneration, roles.Items[0].Status.Conditions = 2, bad
	collabs := &v1alpha1.CollaboratorList{Items: []v1alpha1.Collaborator{{ObjectMeta: metav1.ObjectMeta{Name: "c", Generation: 2}}}}
	collabs.Items[0].Status.ObservedGeneration, collabs.Items[0].Status.Conditions = 2, bad
	if got := ListViolations(accts, wcs, roles, collabs); len(got) != 4 {
		t.Fatalf("want one violation per object, got %q", got)
	}
}
