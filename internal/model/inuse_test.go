package model

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func TestUseOf(t *testing.T) {
	holder := func(name string, roles ...string) *v1alpha1.Collaborator {
		c := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Name: name}}
		for i, r := range roles {
			c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
				Name: v1alpha1.ObjectName(fmt.Sprintf("wc-%d", i)), Role: v1alpha1.ObjectName(r)})
		}
		return c
	}
	role := func(name string, includes ...v1alpha1.ObjectName) *v1alpha1.WorkCenterRole {
		return &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.WorkCenterRoleSpec{Includes: includes}}
	}
	many := make([]*v1alpha1.Collaborator, 12)
	for i := range many {
		many[i] = holder(fmt.Sprintf("user-%02d", i), "eng")
	}
	cases := map[string]struct {
		collaborators []*v1alpha1.Collaborator
		roles         Roles
		want          string
		inUse         bool
	}{
		"unused": {[]*v1alpha1.Collaborator{holder("ann", "other")}, NewRoles(role("eng")), "not in use", false},
		"held twice by one user, once by another": {
			[]*v1alpha1.Collaborator{holder("bob", "eng", "eng"), holder("ann", "eng")}, NewRoles(role("eng")),
			"assigned to 2 users in 3 assignments: ann, bob", true},
		"included only": {nil, NewRoles(role("eng"), role("lead", "eng"), role("chief", "eng")),
			"included by roles: chief, lead", true},
		"ten users named, then the total": {many, NewRoles(role("eng")),
			"assigned to 12 users in 12 assignments: user-00, user-01, user-02, user-03, user-04, user-05, user-06, user-07, user-08, user-09 and 2 more (12 in total)", true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := UseOf("eng", tc.collaborators, tc.roles)
			if got := u.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			if u.InUse() != tc.inUse {
				t.Errorf("InUse() = %v, want %v", u.InUse(), tc.inUse)
			}
		})
	}
}

func TestUseOfAccount(t *testing.T) {
	cases := map[string]struct {
		wcs    []*v1alpha1.WorkCenter
		roles  []*v1alpha1.WorkCenterRole
		collab []*v1alpha1.Collaborator
		inUse  bool
		says   string
	}{
		"empty":               {nil, nil, nil, false, "0 WorkCenters, 0 custom WorkCenterRoles and 0 Collaborators"},
		"only built-in roles": {nil, builtInObjects(), nil, false, "0 WorkCenters, 0 custom WorkCenterRoles and 0 Collaborators"},
		"a custom role":       {nil, append(builtInObjects(), newRole("eng")), nil, true, "0 WorkCenters, 1 custom WorkCenterRoles and 0 Collaborators"},
		"a WorkCenter":        {[]*v1alpha1.WorkCenter{newWorkCenter("tower", false)}, nil, nil, true, "1 WorkCenters, 0 custom WorkCenterRoles and 0 Collaborators"},
		"a Collaborator":      {nil, nil, []*v1alpha1.Collaborator{newCollab("jane")}, true, "0 WorkCenters, 0 custom WorkCenterRoles and 1 Collaborators"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := UseOfAccount(tc.wcs, tc.roles, tc.collab)
			if u.InUse() != tc.inUse || u.String() != tc.says {
				t.Fatalf("got %v %q, want %v %q", u.InUse(), u.String(), tc.inUse, tc.says)
			}
		})
	}
}

// TestRolesDeletedTogetherFreeEachOther: roles being deleted that only include one
// another (a cycle, a chain) are not in use; a role a needed role includes stays in use,
// through roles being deleted too.
func TestRolesDeletedTogetherFreeEachOther(t *testing.T) {
	now := metav1.Now()
	deleting := func(r *v1alpha1.WorkCenterRole) *v1alpha1.WorkCenterRole {
		r.DeletionTimestamp, r.Finalizers = &now, []string{v1alpha1.FinalizerInUseProtection}
		return r
	}
	roles := func(rs ...*v1alpha1.WorkCenterRole) Roles {
		out := Roles{}
		for _, r := range rs {
			out[r.Name] = r
		}
		return out
	}
	for name, tc := range map[string]struct {
		roles   Roles
		holders []*v1alpha1.Collaborator
		inUse   map[string]bool
	}{
		"a cycle being deleted": {roles(deleting(newRole("a", includes("b"))), deleting(newRole("b", includes("a")))), nil,
			map[string]bool{"a": false, "b": false}},
		"a chain being deleted": {roles(deleting(newRole("a", includes("b"))), deleting(newRole("b", includes("c"))), deleting(newRole("c"))), nil,
			map[string]bool{"a": false, "b": false, "c": false}},
		"a cycle one of whose roles is held": {roles(deleting(newRole("a", includes("b"))), deleting(newRole("b", includes("a")))),
			[]*v1alpha1.Collaborator{newCollab("ann", assigned("wc=a"))}, map[string]bool{"a": true, "b": true}},
		"a live role includes a chain being deleted": {roles(newRole("top", includes("a")), deleting(newRole("a", includes("b"))), deleting(newRole("b"))), nil,
			map[string]bool{"a": true, "b": true, "top": false}},
	} {
		t.Run(name, func(t *testing.T) {
			for role, want := range tc.inUse {
				if got := UseOf(role, tc.holders, tc.roles).InUse(); got != want {
					t.Errorf("%s in use: %v, want %v (%+v)", role, got, want, UseOf(role, tc.holders, tc.roles))
				}
			}
		})
	}
}
