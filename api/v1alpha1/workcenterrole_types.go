package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Permission is one granular permission of the catalog (docs/rules.md, Permissions).
// +kubebuilder:validation:Enum=workCenter.view;workCenter.editSettings;files.download;files.upload;files.update;files.delete;files.restoreVersion;fileComments.create;fileComments.delete;files.move;files.copy;folders.create;folders.rename;folders.delete;posts.create;posts.edit;posts.delete;tasks.delete;taskComments.create;taskComments.delete;tasks.create;tasks.update;tasks.manageAssignees;tasks.manageApprovers;collaborators.addGuests;collaborators.remove;collaborators.changeRole
type Permission string

// Level is a general permission level of one area, after Procore's.
// +kubebuilder:validation:Enum=None;ReadOnly;Standard;Admin
type Level string

const (
	// LevelNone grants nothing of the area.
	LevelNone Level = "None"
	// LevelReadOnly grants files.download for files, nothing more elsewhere.
	LevelReadOnly Level = "ReadOnly"
	// LevelStandard grants the area's permissions that are not member-only.
	LevelStandard Level = "Standard"
	// LevelAdmin grants all of the area's permissions.
	LevelAdmin Level = "Admin"
)

// RoleLevels sets a general permission level per area. An area left out is None.
type RoleLevels struct {
	// +optional
	WorkCenter Level `json:"workCenter,omitempty"`
	// +optional
	Files Level `json:"files,omitempty"`
	// +optional
	Folders Level `json:"folders,omitempty"`
	// +optional
	Posts Level `json:"posts,omitempty"`
	// +optional
	Tasks Level `json:"tasks,omitempty"`
	// +optional
	Collaborators Level `json:"collaborators,omitempty"`
}

// EmailNotifications chooses which emails people holding the role receive. Every option
// defaults to true.
type EmailNotifications struct {
	// +optional
	// +kubebuilder:default=true
	FileUploaded *bool `json:"fileUploaded,omitempty"`
	// +optional
	// +kubebuilder:default=true
	FilesFoldersDeleted *bool `json:"filesFoldersDeleted,omitempty"`
	// +optional
	// +kubebuilder:default=true
	FileVersionRestored *bool `json:"fileVersionRestored,omitempty"`
	// +optional
	// +kubebuilder:default=true
	FileCommentAdded *bool `json:"fileCommentAdded,omitempty"`
	// +optional
	// +kubebuilder:default=true
	FilesFoldersCopiedMoved *bool `json:"filesFoldersCopiedMoved,omitempty"`
	// +optional
	// +kubebuilder:default=true
	PostCreated *bool `json:"postCreated,omitempty"`
	// +optional
	// +kubebuilder:default=true
	PostUpdated *bool `json:"postUpdated,omitempty"`
	// +optional
	// +kubebuilder:default=true
	PostDeleted *bool `json:"postDeleted,omitempty"`
	// +optional
	// +kubebuilder:default=true
	CollaboratorRemoved *bool `json:"collaboratorRemoved,omitempty"`
}

// ObjectName is the name of another object in the same namespace.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=253
// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
type ObjectName string

// WorkCenterRoleSpec defines the desired state of a WorkCenterRole.
type WorkCenterRoleSpec struct {
	// displayName is the role's name as people see it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName"`

	// description says what the role is for.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description,omitempty"`

	// includes names other roles whose permissions this one also has, kept live.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Includes []ObjectName `json:"includes,omitempty"`

	// levels sets a general permission level per area.
	// +optional
	Levels RoleLevels `json:"levels,omitempty,omitzero"`

	// permissions are granular permissions added on top.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Permissions []Permission `json:"permissions,omitempty"`

	// emailNotifications chooses which emails people holding the role receive.
	// +optional
	// +kubebuilder:default={}
	EmailNotifications *EmailNotifications `json:"emailNotifications,omitempty"`
}

// RoleAssignment is one (collaborator, WorkCenter) pair using a role.
type RoleAssignment struct {
	// collaborator is the Collaborator's name.
	// +kubebuilder:validation:MaxLength=253
	Collaborator string `json:"collaborator"`
	// workCenter is the WorkCenter's name.
	// +kubebuilder:validation:MaxLength=253
	WorkCenter string `json:"workCenter"`
	// archived is true when the WorkCenter is archived.
	// +optional
	Archived bool `json:"archived"`
}

// WorkCenterRoleStatus defines the observed state of a WorkCenterRole.
type WorkCenterRoleStatus struct {
	// observedGeneration is the generation last fully processed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// builtIn is true for read-only, contributor and workcenter-owner.
	// +optional
	BuiltIn bool `json:"builtIn"`
	// permissions is the effective set, sorted: the union of includes, levels and
	// permissions, plus workCenter.view.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Permissions []Permission `json:"permissions,omitempty"`
	// memberOnly is true when any effective permission is member-only.
	// +optional
	MemberOnly bool `json:"memberOnly"`
	// memberOnlyPermissions are the effective permissions that need a paid Member.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	MemberOnlyPermissions []Permission `json:"memberOnlyPermissions,omitempty"`
	// assignments counts the (collaborator, WorkCenter) pairs using this role,
	// archived WorkCenters included.
	// +optional
	Assignments int32 `json:"assignments"`
	// assignedTo lists the first 20 assignments, sorted; assignments is the whole count.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	AssignedTo []RoleAssignment `json:"assignedTo,omitempty"`
	// includedBy lists the roles that include this one, sorted (the first 100).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=100
	IncludedBy []ObjectName `json:"includedBy,omitempty"`
	// conditions: Ready, Reconciling, Stalled, InUse, DeletionBlocked.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// WorkCenterRole is a configurable security role that collaborators hold per WorkCenter.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=wcrole,categories=procorem
// +kubebuilder:validation:XValidation:rule="!has(self.spec.includes) || !(self.metadata.name in self.spec.includes)",message="a role cannot include itself"
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Built-In",type=boolean,JSONPath=`.status.builtIn`
// +kubebuilder:printcolumn:name="Member-Only",type=boolean,JSONPath=`.status.memberOnly`
// +kubebuilder:printcolumn:name="Assignments",type=integer,JSONPath=`.status.assignments`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type WorkCenterRole struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec WorkCenterRoleSpec `json:"spec"`
	// +optional
	Status WorkCenterRoleStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// WorkCenterRoleList contains a list of WorkCenterRole.
type WorkCenterRoleList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkCenterRole `json:"items"`
}

func init() {
	SchemeBuilder.Register(&WorkCenterRole{}, &WorkCenterRoleList{})
}
