// Package v1alpha1 contains the API types of the access.workcenter.io group: Account,
// WorkCenter, WorkCenterRole and Collaborator, and the constants (condition types,
// reasons, finalizers, labels) that are part of the operator's public API.
//
// +kubebuilder:object:generate=true
// +groupName=access.workcenter.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version used to register these objects.
	GroupVersion = schema.GroupVersion{Group: "access.workcenter.io", Version: "v1alpha1"}

	// SchemeBuilder is used to add Go types to the GroupVersionKind scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types in this group-version to the given scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
