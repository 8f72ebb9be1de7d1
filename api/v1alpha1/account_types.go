package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AccountState is the lifecycle state of an Account.
// +kubebuilder:validation:Enum=Active;Deactivated
type AccountState string

const (
	// AccountActive is a working account.
	AccountActive AccountState = "Active"
	// AccountDeactivated is the seeds' cancelled account: objects are kept, nobody has
	// any effective access, and setting Active again restores everything.
	AccountDeactivated AccountState = "Deactivated"
)

// PicklistItem is one entry of an account picklist.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=64
type PicklistItem string

// Picklists are the account's custom picklists.
type Picklists struct {
	// workCenterCategories are the categories a WorkCenter may use.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	WorkCenterCategories []PicklistItem `json:"workCenterCategories,omitempty"`
	// fileTypes are the file types of the account.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	FileTypes []PicklistItem `json:"fileTypes,omitempty"`
	// fileStatuses are the file statuses of the account.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	FileStatuses []PicklistItem `json:"fileStatuses,omitempty"`
}

// AccountSpec defines the desired state of an Account.
type AccountSpec struct {
	// displayName is the account's name as people see it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	DisplayName string `json:"displayName"`

	// logoURL is the account logo; https only.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() == 'https' && url(self).getHostname() != ''",message="logoURL must be an absolute https:// URL"
	LogoURL string `json:"logoURL,omitempty"`

	// state is Active (default) or Deactivated. A Deactivated account keeps its objects
	// but grants nobody any access.
	// +optional
	// +kubebuilder:default=Active
	State AccountState `json:"state,omitempty"`

	// licenses is the number of paid member seats. Guests are free and unlimited.
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000000
	Licenses int32 `json:"licenses"`

	// picklists are the account's custom picklists.
	// +optional
	Picklists Picklists `json:"picklists,omitempty,omitzero"`
}

// AccountStatus defines the observed state of an Account.
type AccountStatus struct {
	// observedGeneration is the generation last fully processed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// members counts the Collaborators of type Member.
	// +optional
	Members int32 `json:"members"`
	// guests counts the Collaborators of type Guest.
	// +optional
	Guests int32 `json:"guests"`
	// licensesUsed counts the Members holding a license.
	// +optional
	LicensesUsed int32 `json:"licensesUsed"`
	// accountAdministrators counts the Members with adminRole AccountAdministrator.
	// +optional
	AccountAdministrators int32 `json:"accountAdministrators"`
	// workCenters counts the account's WorkCenters.
	// +optional
	WorkCenters int32 `json:"workCenters"`
	// archivedWorkCenters counts the archived WorkCenters.
	// +optional
	ArchivedWorkCenters int32 `json:"archivedWorkCenters"`
	// conditions: Ready, Reconciling, Stalled, Licensed, AdministratorAssigned, DeletionBlocked.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// Account is one organization's home: at most one per namespace, and every WorkCenter,
// WorkCenterRole and Collaborator in the namespace belongs to it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=acct,categories=procorem
// +kubebuilder:printcolumn:name="Display Name",type=string,JSONPath=`.spec.displayName`
// +kubebuilder:printcolumn:name="State",type=string,JSONPath=`.spec.state`
// +kubebuilder:printcolumn:name="Members",type=integer,JSONPath=`.status.members`
// +kubebuilder:printcolumn:name="Guests",type=integer,JSONPath=`.status.guests`
// +kubebuilder:printcolumn:name="Licenses",type=integer,JSONPath=`.spec.licenses`
// +kubebuilder:printcolumn:name="Licenses Used",type=integer,JSONPath=`.status.licensesUsed`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Account struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec AccountSpec `json:"spec"`
	// +optional
	Status AccountStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// AccountList contains a list of Account.
type AccountList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Account `json:"items"`
}

func init() {
	SchemeBuilder.Register(&Account{}, &AccountList{})
}
