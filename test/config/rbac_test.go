package config_test

import (
	"slices"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// The operator's own permissions, as config/default installs them, are the least it
// needs: no wildcard, nothing on Secrets, and none of the verbs that raise privileges.
// The suites run the operator under the generated ClusterRole (internal/testenv), so a
// permission it lacks fails them.
func TestManagerRoleIsLeastPrivilege(t *testing.T) {
	m := build(t, "default")
	seen := 0
	for _, r := range m.Resources() {
		if r.GetKind() != "ClusterRole" && r.GetKind() != "Role" {
			continue
		}
		if name := r.GetName(); name != "workcenter-operator-manager-role" && name != "workcenter-operator-leader-election-role" {
			continue
		}
		seen++
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var role rbacv1.ClusterRole
		if err := sigsyaml.Unmarshal(y, &role); err != nil {
			t.Fatal(err)
		}
		for _, rule := range role.Rules {
			for _, field := range [][]string{rule.APIGroups, rule.Resources, rule.Verbs, rule.ResourceNames, rule.NonResourceURLs} {
				if slices.Contains(field, "*") {
					t.Errorf("%s: a wildcard in %+v", r.GetName(), rule)
				}
			}
			if slices.Contains(rule.APIGroups, "") && slices.Contains(rule.Resources, "secrets") {
				t.Errorf("%s: access to Secrets in %+v", r.GetName(), rule)
			}
			for _, verb := range []string{"bind", "escalate", "impersonate"} {
				if slices.Contains(rule.Verbs, verb) {
					t.Errorf("%s: the privilege-raising verb %q in %+v", r.GetName(), verb, rule)
				}
			}
		}
	}
	if seen != 2 {
		t.Fatalf("found %d of the manager's two roles in config/default", seen)
	}
}
