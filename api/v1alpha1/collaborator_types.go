package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// CollaboratorType says whether a person is a paid Member or a free Guest.
// +kubebuilder:validation:Enum=Member;Guest
type CollaboratorType string

const (
	// Member is a paid collaborator; members hold the account's licenses.
	Member CollaboratorType = "Member"
	// Guest is a free collaborator who cannot hold member-only permissions.
	Guest CollaboratorType = "Guest"
)

// AdminRole is a Member's account-level security role.
// +kubebuilder:validation:Enum=None;WorkCenterAdministrator;UserAdministrator;AccountAdministrator
type AdminRole string

const (
	AdminRoleNone                    AdminRole = "None"
	AdminRoleWorkCenterAdministrator AdminRole = "WorkCenterAdministrator"
	AdminRoleUserAdministrator       AdminRole = "UserAdministrator"
	AdminRoleAccountAdministrator    AdminRole = "AccountAdministrator"
)

// AssignmentState is the state of one WorkCenter assignment of a Collaborator.
// +kubebuilder:validation:Enum=Active;Archived;Rejected;Pending
type AssignmentState string

const (
	// AssignmentActive: the role's permissions are in effect.
	AssignmentActive AssignmentState = "Active"
	// AssignmentArchived: in effect, cut to view and download by an archived WorkCenter.
	AssignmentArchived AssignmentState = "Archived"
	// AssignmentRejected: the spec breaks a rule (RoleRequiresMember, RoleTerminating,
	// InclusionCycle, DuplicateEmail).
	AssignmentRejected AssignmentState = "Rejected"
	// AssignmentPending: waiting for something that will come (a missing reference, a
	// license, an active account).
	AssignmentPending AssignmentState = "Pending"
)

// WorkCenterAssignment gives the collaborator one role in one WorkCenter.
type WorkCenterAssignment struct {
	// name is the WorkCenter's name.
	// +required
	Name ObjectName `json:"name"`
	// role is the WorkCenterRole's name.
	// +required
	Role ObjectName `json:"role"`
}

// WorkCenterSelector gives the collaborator one role in every WorkCenter of the account
// whose labels match, kept live: a WorkCenter created or relabelled to match is assigned,
// one that stops matching is not any more.
type WorkCenterSelector struct {
	// selector picks WorkCenters by their labels (matchLabels, matchExpressions). It may
	// not be empty: that would be every WorkCenter.
	// +required
	// +kubebuilder:validation:XValidation:rule="(has(self.matchLabels) && size(self.matchLabels) > 0) || (has(self.matchExpressions) && size(self.matchExpressions) > 0)",message="an empty selector would match every WorkCenter: give matchLabels or matchExpressions"
	Selector metav1.LabelSelector `json:"selector"`
	// role is the WorkCenterRole's name.
	// +required
	Role ObjectName `json:"role"`
}

// AssignmentSource says where an assignment comes from.
// +kubebuilder:validation:Enum=Spec;Selector;Template
type AssignmentSource string

const (
	// SourceSpec: listed in spec.workCenters.
	SourceSpec AssignmentSource = "Spec"
	// SourceSelector: from an entry of spec.workCenterSelectors matching the WorkCenter.
	SourceSelector AssignmentSource = "Selector"
	// SourceTemplate: the WorkCenter publishes the collaborators of a template
	// (spec.collaboratorsFrom) and the collaborator is assigned to that template.
	SourceTemplate AssignmentSource = "Template"
)

// CollaboratorSpec defines the desired state of a Collaborator.
// +kubebuilder:validation:XValidation:rule="!has(self.adminRole) || self.adminRole == 'None' || (has(self.type) && self.type == 'Member')",message="adminRole other than None requires type: Member (guests cannot be administrators)"
// +kubebuilder:validation:XValidation:rule="(has(self.type) && self.type == 'Member') || !has(self.workCenters) || !self.workCenters.exists(w, w.role == 'workcenter-owner')",message="a Guest cannot hold the workcenter-owner role: it has member-only permissions; make the collaborator a Member first"
type CollaboratorSpec struct {
	// email is the person's address, unique within the account (case-insensitive).
	// +required
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^@[:space:]]+@[^@[:space:]]+$')",message="email must be an address like name@example.com"
	Email string `json:"email"`

	// displayName is the person's name as people see it.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName,omitempty"`

	// type is Member (paid, holds a license) or Guest (free; the default, as new people
	// are added).
	// +optional
	// +kubebuilder:default=Guest
	Type CollaboratorType `json:"type,omitempty"`

	// adminRole is the Member's account-level role; anything but None requires type Member.
	// +optional
	// +kubebuilder:default=None
	AdminRole AdminRole `json:"adminRole,omitempty"`

	// workCenters assigns one role per WorkCenter.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	WorkCenters []WorkCenterAssignment `json:"workCenters,omitempty"`

	// workCenterSelectors assigns a role in every WorkCenter whose labels match, kept
	// live. A WorkCenter listed in workCenters keeps its listed role; one matched by
	// several selectors gets the first's.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	WorkCenterSelectors []WorkCenterSelector `json:"workCenterSelectors,omitempty"`

	// emailPreferences are the person's own email settings: options turned off and how
	// emails are delivered. A role's emailNotifications decide which emails the person
	// may receive; these can only turn some of them off (docs/email.md).
	// +optional
	EmailPreferences *EmailPreferences `json:"emailPreferences,omitempty"`
}

// EmailOption names one of a WorkCenterRole's emailNotifications options: the action in a
// WorkCenter that sends an email (docs/email.md).
// +kubebuilder:validation:Enum=fileUploaded;filesFoldersDeleted;fileVersionRestored;fileCommentAdded;filesFoldersCopiedMoved;postCreated;postUpdated;postDeleted;collaboratorRemoved
type EmailOption string

// The email options, named as the fields of EmailNotifications.
const (
	EmailFileUploaded            EmailOption = "fileUploaded"
	EmailFilesFoldersDeleted     EmailOption = "filesFoldersDeleted"
	EmailFileVersionRestored     EmailOption = "fileVersionRestored"
	EmailFileCommentAdded        EmailOption = "fileCommentAdded"
	EmailFilesFoldersCopiedMoved EmailOption = "filesFoldersCopiedMoved"
	EmailPostCreated             EmailOption = "postCreated"
	EmailPostUpdated             EmailOption = "postUpdated"
	EmailPostDeleted             EmailOption = "postDeleted"
	EmailCollaboratorRemoved     EmailOption = "collaboratorRemoved"
)

// EmailDelivery is how a person's emails are delivered.
// +kubebuilder:validation:Enum=Immediate;Digest
type EmailDelivery string

const (
	// EmailImmediate sends each email when its action happens.
	EmailImmediate EmailDelivery = "Immediate"
	// EmailDigest gathers the emails into a digest.
	EmailDigest EmailDelivery = "Digest"
)

// EmailPreferences are a person's own email settings.
type EmailPreferences struct {
	// disabled are the email options the person turned off: no email of those is sent
	// to them, whatever their roles say.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=9
	Disabled []EmailOption `json:"disabled,omitempty"`

	// delivery is Immediate (the default) or Digest.
	// +optional
	// +kubebuilder:default=Immediate
	Delivery EmailDelivery `json:"delivery,omitempty"`
}

// WorkCenterAssignmentStatus is the observed state of one assignment.
type WorkCenterAssignmentStatus struct {
	// name is the WorkCenter's name.
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// role is the WorkCenterRole's name.
	// +kubebuilder:validation:MaxLength=253
	Role string `json:"role"`
	// state is Active, Archived, Rejected or Pending.
	State AssignmentState `json:"state"`
	// reason says why the assignment is not Active, e.g. RoleRequiresMember, RoleNotFound.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Reason string `json:"reason"`
	// message explains the reason for a person.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
	// since is when this assignment (this role in this WorkCenter) first took effect.
	// It is kept, whatever the state, while the spec keeps the same role in the
	// WorkCenter, and dropped when the role changes or the entry leaves the spec. R10
	// reads it: an assignment that took effect before its role's deletion began is an
	// existing one, not a new one, and keeps working while the role waits to be deleted.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
	// source is where the assignment comes from: Spec (spec.workCenters), Selector
	// (spec.workCenterSelectors) or Template (the WorkCenter's collaboratorsFrom).
	// +optional
	Source AssignmentSource `json:"source,omitempty"`
}

// ShadowedAssignment is an assignment a selector or a template would give, not in effect
// because another source gives the collaborator a role in that WorkCenter first.
type ShadowedAssignment struct {
	// name is the WorkCenter's name.
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// role is the role it would give.
	// +kubebuilder:validation:MaxLength=253
	Role string `json:"role"`
	// source is Selector or Template.
	Source AssignmentSource `json:"source"`
	// shadowedBy is the source whose assignment is in effect there instead.
	ShadowedBy AssignmentSource `json:"shadowedBy"`
	// shadowedRole is the role of the assignment in effect there.
	// +kubebuilder:validation:MaxLength=253
	ShadowedRole string `json:"shadowedRole"`
}

// CollaboratorStatus defines the observed state of a Collaborator.
type CollaboratorStatus struct {
	// observedGeneration is the generation last fully processed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// licensed (Members only) is true when the Member holds one of the account's licenses.
	// +optional
	Licensed *bool `json:"licensed,omitempty"`
	// workCenterCount is the number of assignments the collaborator has, from every
	// source.
	// +optional
	WorkCenterCount int32 `json:"workCenterCount"`
	// workCenters has one entry per assignment: each spec entry, then each WorkCenter a
	// selector or a template assigns (source says which); at most 1024 are shown
	// (workCenterCount counts them all).
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1024
	WorkCenters []WorkCenterAssignmentStatus `json:"workCenters,omitempty"`
	// shadowed are the assignments a selector or a template would give where another
	// source assigns the collaborator already (spec, then selectors, then templates).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Shadowed []ShadowedAssignment `json:"shadowed,omitempty"`
	// conditions: Ready, Reconciling, Stalled, DeletionBlocked.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Collaborator is a person of the account: a paid Member or a free Guest, with one role
// per WorkCenter.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=collab,categories=procorem
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Admin",type=string,JSONPath=`.spec.adminRole`
// +kubebuilder:printcolumn:name="WorkCenters",type=integer,JSONPath=`.status.workCenterCount`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Collaborator struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec CollaboratorSpec `json:"spec"`
	// +optional
	Status CollaboratorStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// CollaboratorList contains a list of Collaborator.
type CollaboratorList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Collaborator `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Collaborator{}, &CollaboratorList{})
}
