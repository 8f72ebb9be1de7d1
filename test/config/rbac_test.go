package config_test

import (
	"slices"
	"strings"
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

// The manager's ClusterRole holds exactly these permissions, each for a reason: a
// permission added or dropped fails here until this list, and its reason, say why. The
// RBAC controller writes each Collaborator's Role and RoleBinding (roles, rolebindings:
// no get, it reads them from its cache) and must hold every verb those Roles grant on the
// four kinds, Kubernetes refusing a Role that grants more than its writer holds unless
// the writer has escalate, and a RoleBinding to a Role whose permissions the writer
// lacks unless it has bind: the operator holds the verbs (create and delete on
// collaborators and workcenters only for that), so it needs neither.
func TestManagerRoleIsExactly(t *testing.T) {
	want := map[string]string{
		"/namespaces: get, list, patch, watch":                                                  "a namespace being deleted lets protection finalizers go; --shard-accounts labels each account's Namespace with its shard (internal/sharding)",
		"access.workcenter.io/accounts: get, list, patch, update, watch":                        "reconciled; update and patch granted to Account Administrators",
		"access.workcenter.io/collaborators: create, delete, get, list, patch, update, watch":   "reconciled; create and delete only to grant them (the RBAC controller)",
		"access.workcenter.io/workcenters: create, delete, get, list, patch, update, watch":     "reconciled; create and delete only to grant them (the RBAC controller)",
		"access.workcenter.io/workcenterroles: create, delete, get, list, patch, update, watch": "the built-in roles (R9), and granted",
		"access.workcenter.io/accounts/finalizers: update":                                      "R11, and ownerReferences to the Account that block its deletion",
		"access.workcenter.io/collaborators/finalizers: update":                                 "R7",
		"access.workcenter.io/workcenterroles/finalizers: update":                               "R6",
		"access.workcenter.io/accounts/status: get, patch, update":                              "status",
		"access.workcenter.io/collaborators/status: get, patch, update":                         "status",
		"access.workcenter.io/workcenterroles/status: get, patch, update":                       "status",
		"access.workcenter.io/workcenters/status: get, patch, update":                           "status",
		"events.k8s.io/events: create, patch":                                                   "the audit trail",
		"rbac.authorization.k8s.io/roles: create, delete, list, update, watch":                  "each Collaborator's Role",
		"rbac.authorization.k8s.io/rolebindings: create, delete, list, update, watch":           "each Collaborator's RoleBinding",
		"authentication.k8s.io/tokenreviews: create":                                            "the authorizer's direct endpoint authenticates its callers",
		"authorization.k8s.io/subjectaccessreviews: create":                                     "the authorizer's direct endpoint authorizes its callers",
	}
	m := build(t, "default")
	got := map[string]bool{}
	for _, r := range m.Resources() {
		if r.GetKind() != "ClusterRole" || r.GetName() != "workcenter-operator-manager-role" {
			continue
		}
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var role rbacv1.ClusterRole
		if err := sigsyaml.Unmarshal(y, &role); err != nil {
			t.Fatal(err)
		}
		for _, rule := range role.Rules {
			if len(rule.ResourceNames) > 0 || len(rule.NonResourceURLs) > 0 {
				t.Errorf("a rule with resourceNames or nonResourceURLs: %+v", rule)
			}
			verbs := slices.Sorted(slices.Values(rule.Verbs))
			for _, g := range rule.APIGroups {
				for _, res := range rule.Resources {
					got[g+"/"+res+": "+strings.Join(verbs, ", ")] = true
				}
			}
		}
	}
	if len(got) == 0 {
		t.Fatal("no workcenter-operator-manager-role in config/default")
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("the manager's ClusterRole holds %q, which no reason here allows", p)
		}
	}
	for p, why := range want {
		if !got[p] {
			t.Errorf("the manager's ClusterRole lacks %q (%s)", p, why)
		}
	}
}
