package v1alpha1

// Condition types. Ready, Reconciling and Stalled follow the kstatus conventions that
// Flux and Argo CD read; the others are kind-specific.
const (
	// ConditionReady is on every object from its first reconcile.
	ConditionReady = "Ready"
	// ConditionReconciling is True while the object waits for something that will come,
	// such as a referenced object that does not exist yet. Absent otherwise.
	ConditionReconciling = "Reconciling"
	// ConditionStalled is True when the spec itself is wrong and will not fix itself
	// (R2, R3, R5, R8, InclusionCycle). Absent otherwise.
	ConditionStalled = "Stalled"
	// ConditionLicensed (Account) is True while the members fit within spec.licenses.
	ConditionLicensed = "Licensed"
	// ConditionAdministratorAssigned (Account) is True while at least one Member holds
	// adminRole AccountAdministrator.
	ConditionAdministratorAssigned = "AdministratorAssigned"
	// ConditionInUse (WorkCenterRole) is True while the role is assigned or included.
	ConditionInUse = "InUse"
	// ConditionDeletionBlocked is True while a finalizer of this operator holds the
	// object's deletion.
	ConditionDeletionBlocked = "DeletionBlocked"
)

// Reasons used in conditions, assignment states and events. They are stable API.
const (
	// ReasonReconciled: the object is fully processed and nothing is wrong.
	ReasonReconciled = "Reconciled"
	// ReasonAccountNotFound: the namespace holds no Account yet.
	ReasonAccountNotFound = "AccountNotFound"
	// ReasonAccountDeactivated: the Account is Deactivated; nobody has any access.
	ReasonAccountDeactivated = "AccountDeactivated"
	// ReasonDuplicateAccount: another, older Account lives in the same namespace.
	ReasonDuplicateAccount = "DuplicateAccount"
	// ReasonRoleNotFound: a referenced WorkCenterRole (or one it includes) does not exist yet.
	ReasonRoleNotFound = "RoleNotFound"
	// ReasonWorkCenterNotFound: a referenced WorkCenter does not exist yet.
	ReasonWorkCenterNotFound = "WorkCenterNotFound"
	// ReasonRoleRequiresMember: a Guest is assigned a role with member-only permissions (R2, R3).
	ReasonRoleRequiresMember = "RoleRequiresMember"
	// ReasonRoleTerminating: the assigned role is being deleted (R10).
	ReasonRoleTerminating = "RoleTerminating"
	// ReasonLicenseLimitExceeded: more Members than licenses; this one holds none (R4).
	ReasonLicenseLimitExceeded = "LicenseLimitExceeded"
	// ReasonLicensesAvailable: every Member holds a license.
	ReasonLicensesAvailable = "LicensesAvailable"
	// ReasonDuplicateEmail: an older Collaborator of the account has the same email (R5).
	ReasonDuplicateEmail = "DuplicateEmail"
	// ReasonUnknownCategory: the WorkCenter's category is not in the Account's picklist (R8).
	ReasonUnknownCategory = "UnknownCategory"
	// ReasonTemplateNotFound: a WorkCenter's collaboratorsFrom names no WorkCenter yet.
	ReasonTemplateNotFound = "TemplateNotFound"
	// ReasonNotATemplate: a WorkCenter's collaboratorsFrom names a WorkCenter that is not
	// a template (spec.template).
	ReasonNotATemplate = "NotATemplate"
	// ReasonTemplateChain: a WorkCenter's collaboratorsFrom names itself, or a template
	// that itself publishes from another.
	ReasonTemplateChain = "TemplateChain"
	// ReasonInclusionCycle: the role's includes form a cycle.
	ReasonInclusionCycle = "InclusionCycle"
	// ReasonRoleInUse: the role is assigned or included, so its deletion waits (R6).
	ReasonRoleInUse = "RoleInUse"
	// ReasonRoleNotInUse: nobody holds or includes the role.
	ReasonRoleNotInUse = "RoleNotInUse"
	// ReasonLastAccountAdministrator: the collaborator is the account's last administrator (R7).
	ReasonLastAccountAdministrator = "LastAccountAdministrator"
	// ReasonAccountInUse: the Account still has WorkCenters, custom roles or Collaborators (R11).
	ReasonAccountInUse = "AccountInUse"
	// ReasonNoAccountAdministrator: no Member holds adminRole AccountAdministrator.
	ReasonNoAccountAdministrator = "NoAccountAdministrator"
	// ReasonAdministratorPresent: at least one Member holds adminRole AccountAdministrator.
	ReasonAdministratorPresent = "AdministratorPresent"
	// ReasonBuiltInRoleRestored: a built-in role was recreated or an edit of it reverted (R9).
	ReasonBuiltInRoleRestored = "BuiltInRoleRestored"
	// ReasonAssignmentActivated: an assignment came into effect.
	ReasonAssignmentActivated = "AssignmentActivated"
	// ReasonLicenseGranted: a Member was given one of the account's licenses.
	ReasonLicenseGranted = "LicenseGranted"
	// ReasonWorkCenterArchived: the assignment's WorkCenter is archived; it grants at
	// most workCenter.view and files.download (state Archived).
	ReasonWorkCenterArchived = "WorkCenterArchived"
	// ReasonReconcileError: the last reconcile failed for a reason a retry can fix (an
	// API error, a conflict-free write refused); Ready is Unknown and the message carries
	// the error. status.observedGeneration does not move until a reconcile succeeds.
	ReasonReconcileError = "ReconcileError"
	// ReasonAdministratorNotAssigned: an administrator changed a WorkCenter, or its
	// assignments, through its member type without being assigned to it; the
	// WorkCenter's Event names the person (docs/administration.md).
	ReasonAdministratorNotAssigned = "AdministratorNotAssigned"
)

// Reasons are every reason above, for those that keep a bounded set of them (metrics'
// labels).
var Reasons = []string{
	ReasonReconciled, ReasonAccountNotFound, ReasonAccountDeactivated, ReasonDuplicateAccount,
	ReasonRoleNotFound, ReasonWorkCenterNotFound, ReasonRoleRequiresMember, ReasonRoleTerminating,
	ReasonLicenseLimitExceeded, ReasonLicensesAvailable, ReasonDuplicateEmail, ReasonUnknownCategory,
	ReasonTemplateNotFound, ReasonNotATemplate, ReasonTemplateChain,
	ReasonInclusionCycle, ReasonRoleInUse, ReasonRoleNotInUse, ReasonLastAccountAdministrator,
	ReasonAccountInUse, ReasonNoAccountAdministrator, ReasonAdministratorPresent, ReasonBuiltInRoleRestored,
	ReasonAssignmentActivated, ReasonLicenseGranted, ReasonWorkCenterArchived, ReasonReconcileError,
	ReasonAdministratorNotAssigned,
}

// Finalizers, one per protection rule.
const (
	// FinalizerInUseProtection holds a WorkCenterRole while it is assigned or included (R6).
	FinalizerInUseProtection = "access.workcenter.io/in-use-protection"
	// FinalizerLastAdministrator holds an account's last AccountAdministrator (R7).
	FinalizerLastAdministrator = "access.workcenter.io/last-administrator"
	// FinalizerAccountProtection holds an Account that still has objects (R11).
	FinalizerAccountProtection = "access.workcenter.io/account-protection"
)

// Labels and annotations.
const (
	// LabelBuiltIn marks the three built-in WorkCenterRoles the Account controller keeps.
	LabelBuiltIn = "access.workcenter.io/built-in"
	// LabelCollaboratorRBAC ("true") marks the Roles and RoleBindings the RBAC controller
	// keeps for Collaborators: the operator caches and manages those only.
	LabelCollaboratorRBAC = "access.workcenter.io/collaborator-rbac"
	// LabelCollaborator names the Collaborator a Role or RoleBinding is for, when its name
	// fits a label value (63 characters); AnnotationCollaborator always does.
	LabelCollaborator = "access.workcenter.io/collaborator"
	// AnnotationCollaborator names the Collaborator a Role or RoleBinding is for.
	AnnotationCollaborator = "access.workcenter.io/collaborator"
	// LabelManagedBy is the recommended label naming the tool that manages an object;
	// ManagedBy is its value on the operator's Roles and RoleBindings.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "workcenter-operator"
)

// Names of the built-in WorkCenterRoles.
const (
	RoleReadOnly        = "read-only"
	RoleContributor     = "contributor"
	RoleWorkCenterOwner = "workcenter-owner"
)

// BuiltInRoleNames lists the built-in roles in a stable order.
var BuiltInRoleNames = []string{RoleReadOnly, RoleContributor, RoleWorkCenterOwner}

// IsBuiltInRoleName reports whether name is one of the three built-in roles.
func IsBuiltInRoleName(name string) bool {
	for _, n := range BuiltInRoleNames {
		if n == name {
			return true
		}
	}
	return false
}
