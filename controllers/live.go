package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Reads of an account's objects through a client.Reader, for the decisions that read the
// API server live (releasing a protection finalizer, confirming a license grant) rather
// than the account Book. Given a cache instead, they skip its deep copy
// (client.UnsafeDisableDeepCopy): what they return is read, never written.

// accountOf returns the Account that owns the namespace (model.OwningAccount), nil
// when there is none.
func accountOf(ctx context.Context, r client.Reader, namespace string) (*v1alpha1.Account, error) {
	var list v1alpha1.AccountList
	if err := r.List(ctx, &list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	return model.OwningAccount(pointers(list.Items)), nil
}

// rolesOf returns the namespace's WorkCenterRoles by name.
func rolesOf(ctx context.Context, r client.Reader, namespace string) (model.Roles, error) {
	var list v1alpha1.WorkCenterRoleList
	if err := r.List(ctx, &list, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
		return nil, err
	}
	roles := make(model.Roles, len(list.Items))
	for i := range list.Items {
		roles[list.Items[i].Name] = &list.Items[i]
	}
	return roles, nil
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
