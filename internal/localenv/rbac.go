package localenv

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// BindGeneratedRole creates the ClusterRole generated from the RBAC markers
// (config/rbac/role.yaml under root) and binds user to it, and to nothing else: the
// operator then has exactly the permissions an install from config/default gives it, so
// a missing marker fails wherever the operator runs locally (run-local and every suite).
// c must be allowed to create RBAC objects (an admin's client).
func BindGeneratedRole(ctx context.Context, c client.Client, root, user string) error {
	data, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		return err
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &role); err != nil {
		return fmt.Errorf("config/rbac/role.yaml: %w", err)
	}
	if len(role.Rules) == 0 {
		return fmt.Errorf("config/rbac/role.yaml has no rules")
	}
	if err := c.Create(ctx, &role); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("creating ClusterRole %s: %w", role.Name, err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: role.Name + "-binding"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	if err := c.Create(ctx, binding); client.IgnoreAlreadyExists(err) != nil {
		return fmt.Errorf("binding ClusterRole %s to %s: %w", role.Name, user, err)
	}
	return nil
}
