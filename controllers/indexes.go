package controllers

import (
	"context"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Field index keys. Values are plain names; lists are always scoped to one namespace.
const (
	// indexCollaboratorWorkCenter: the WorkCenters a Collaborator is assigned to.
	indexCollaboratorWorkCenter = "spec.workCenters.name"
	// indexCollaboratorRole: the roles a Collaborator holds.
	indexCollaboratorRole = "spec.workCenters.role"
	// indexCollaboratorEmail: the Collaborator's email, lower-cased (R5 is case-insensitive).
	indexCollaboratorEmail = "spec.email"
	// indexCollaboratorType: Member or Guest.
	indexCollaboratorType = "spec.type"
	// indexCollaboratorAdminRole: the Collaborator's admin role.
	indexCollaboratorAdminRole = "spec.adminRole"
)

// collaboratorIndexes are the Collaborator field indexes, by key.
var collaboratorIndexes = map[string]func(*v1alpha1.Collaborator) []string{
	indexCollaboratorWorkCenter: assignedWorkCenters,
	indexCollaboratorRole:       heldRoles,
	indexCollaboratorEmail:      func(c *v1alpha1.Collaborator) []string { return []string{emailKey(c.Spec.Email)} },
	indexCollaboratorType:       func(c *v1alpha1.Collaborator) []string { return []string{string(c.Spec.Type)} },
	indexCollaboratorAdminRole:  func(c *v1alpha1.Collaborator) []string { return []string{string(c.Spec.AdminRole)} },
}

// SetupIndexes registers every field index the reconcilers and map functions use.
func SetupIndexes(ctx context.Context, mgr manager.Manager) error {
	for key, f := range collaboratorIndexes {
		if err := mgr.GetFieldIndexer().IndexField(ctx, &v1alpha1.Collaborator{}, key, indexer(f)); err != nil {
			return err
		}
	}
	return nil
}

func indexer(f func(*v1alpha1.Collaborator) []string) client.IndexerFunc {
	return func(o client.Object) []string { return f(o.(*v1alpha1.Collaborator)) }
}

func emailKey(email string) string { return strings.ToLower(email) }

func assignedWorkCenters(c *v1alpha1.Collaborator) []string {
	out := make([]string, 0, len(c.Spec.WorkCenters))
	for _, a := range c.Spec.WorkCenters {
		out = append(out, string(a.Name))
	}
	return out
}

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
