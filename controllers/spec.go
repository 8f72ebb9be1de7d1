package controllers

import (
	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// assignedWorkCenters are the WorkCenters c's spec assigns it to.
func assignedWorkCenters(c *v1alpha1.Collaborator) []string {
	out := make([]string, 0, len(c.Spec.WorkCenters))
	for _, a := range c.Spec.WorkCenters {
		out = append(out, string(a.Name))
	}
	return out
}

// heldRoles are the roles c's spec assigns it.
func heldRoles(c *v1alpha1.Collaborator) []string {
	out := make([]string, 0, len(c.Spec.WorkCenters))
	for _, a := range c.Spec.WorkCenters {
		out = append(out, string(a.Role))
	}
	return out
}

func names[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, n := range in {
		out[i] = string(n)
	}
	return out
}
