package metrics

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Label values come from fixed sets, whatever a status holds: only the operator writes
// status, but a value outside the set (a status written by hand, an older or newer
// operator) becomes "Other" rather than a new series.
const other = "Other"

// reasons are the reasons of api/v1alpha1 (a test checks that every one is here).
var reasons = map[string]bool{
	"":                                      true,
	v1alpha1.ReasonReconciled:               true,
	v1alpha1.ReasonAccountNotFound:          true,
	v1alpha1.ReasonAccountDeactivated:       true,
	v1alpha1.ReasonDuplicateAccount:         true,
	v1alpha1.ReasonRoleNotFound:             true,
	v1alpha1.ReasonWorkCenterNotFound:       true,
	v1alpha1.ReasonRoleRequiresMember:       true,
	v1alpha1.ReasonRoleTerminating:          true,
	v1alpha1.ReasonLicenseLimitExceeded:     true,
	v1alpha1.ReasonLicensesAvailable:        true,
	v1alpha1.ReasonDuplicateEmail:           true,
	v1alpha1.ReasonUnknownCategory:          true,
	v1alpha1.ReasonInclusionCycle:           true,
	v1alpha1.ReasonRoleInUse:                true,
	v1alpha1.ReasonRoleNotInUse:             true,
	v1alpha1.ReasonLastAccountAdministrator: true,
	v1alpha1.ReasonAccountInUse:             true,
	v1alpha1.ReasonNoAccountAdministrator:   true,
	v1alpha1.ReasonAdministratorPresent:     true,
	v1alpha1.ReasonBuiltInRoleRestored:      true,
	v1alpha1.ReasonAssignmentActivated:      true,
	v1alpha1.ReasonLicenseGranted:           true,
	v1alpha1.ReasonWorkCenterArchived:       true,
	v1alpha1.ReasonReconcileError:           true,
}

func boundedReason(r string) string {
	if reasons[r] {
		return r
	}
	return other
}

func boundedState(s v1alpha1.AssignmentState) string {
	switch s {
	case v1alpha1.AssignmentActive, v1alpha1.AssignmentArchived, v1alpha1.AssignmentRejected, v1alpha1.AssignmentPending:
		return string(s)
	}
	return other
}

func boundedStatus(s metav1.ConditionStatus) string {
	switch s {
	case metav1.ConditionTrue, metav1.ConditionFalse:
		return string(s)
	}
	return string(metav1.ConditionUnknown)
}
