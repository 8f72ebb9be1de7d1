package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// WorkCenterSpec defines the desired state of a WorkCenter.
type WorkCenterSpec struct {
	// displayName is the WorkCenter's name as people see it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName"`

	// description says what the WorkCenter is for.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description,omitempty"`

	// category must be one of the Account's picklists.workCenterCategories (R8).
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Category string `json:"category,omitempty"`

	// archived WorkCenters grant every collaborator at most workCenter.view and
	// files.download; their assignments still count.
	// +optional
	Archived bool `json:"archived,omitempty"`

	// template marks the WorkCenter as a template ("WorkCenter is a Template").
	// +optional
	Template bool `json:"template,omitempty"`

	// collaboratorsFrom names a template WorkCenter of the account whose collaborators
	// are published here, kept live: everyone assigned to the template is assigned to
	// this WorkCenter with the same role, unless they have their own assignment here. It
	// waits while the template is missing or not a template; a WorkCenter cannot publish
	// from itself, and a template cannot publish from another.
	// +optional
	CollaboratorsFrom ObjectName `json:"collaboratorsFrom,omitempty"`

	// requireIncomingEmailApprovals requires approval of files sent by email.
	// +optional
	RequireIncomingEmailApprovals bool `json:"requireIncomingEmailApprovals,omitempty"`
}

// WorkCenterStatus defines the observed state of a WorkCenter.
type WorkCenterStatus struct {
	// observedGeneration is the generation last fully processed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// collaborators counts the assignments to this WorkCenter that are in effect
	// (state Active or Archived).
	// +optional
	Collaborators int32 `json:"collaborators"`
	// conditions: Ready, Reconciling, Stalled, DeletionBlocked.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// WorkCenter is a project space of the account that collaborators are assigned to.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=wc,categories=procorem
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="Category",type=string,JSONPath=`.spec.category`
// +kubebuilder:printcolumn:name="Archived",type=boolean,JSONPath=`.spec.archived`
// +kubebuilder:printcolumn:name="Collaborators",type=integer,JSONPath=`.status.collaborators`
// +kubebuilder:printcolumn:name="Source",type=string,JSONPath=`.spec.collaboratorsFrom`,description="The template WorkCenter whose collaborators are published here"
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type WorkCenter struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec WorkCenterSpec `json:"spec"`
	// +optional
	Status WorkCenterStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// WorkCenterList contains a list of WorkCenter.
type WorkCenterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WorkCenter `json:"items"`
}

func init() {
	SchemeBuilder.Register(&WorkCenter{}, &WorkCenterList{})
}
