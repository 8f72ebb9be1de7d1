package query

import (
	"slices"
	"strings"
	"testing"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// TestCompareNames: numbers in names sort by their value, the rest as text, and the
// order is total (no two different names compare equal).
func TestCompareNames(t *testing.T) {
	cases := []struct {
		in, want []string
	}{
		{[]string{"user-1072", "user-142", "user-9", "user-10"}, []string{"user-9", "user-10", "user-142", "user-1072"}},
		{[]string{"tower-b", "tower-a", "tower-a2", "tower-a10", "tower-a1"}, []string{"tower-a", "tower-a1", "tower-a2", "tower-a10", "tower-b"}},
		{[]string{"a010", "a10", "a9", "a01"}, []string{"a01", "a9", "a010", "a10"}},
		{[]string{"maria-lopez", "daniel-kim", "jane-doe"}, []string{"daniel-kim", "jane-doe", "maria-lopez"}},
		{[]string{"10", "9", "x", ""}, []string{"", "9", "10", "x"}},
		{[]string{"wc2b", "wc2a", "wc10a"}, []string{"wc2a", "wc2b", "wc10a"}},
	}
	for _, tc := range cases {
		got := slices.Clone(tc.in)
		SortNames(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("SortNames(%v) = %v; want %v", tc.in, got, tc.want)
		}
	}
	for _, pair := range [][2]string{{"a01", "a1"}, {"x", "x0"}, {"7", "07"}} {
		if CompareNames(pair[0], pair[1]) == 0 || CompareNames(pair[0], pair[1]) != -CompareNames(pair[1], pair[0]) && (CompareNames(pair[0], pair[1]) > 0) == (CompareNames(pair[1], pair[0]) > 0) {
			t.Errorf("CompareNames(%q, %q) = %d, reverse %d: not a total order", pair[0], pair[1], CompareNames(pair[0], pair[1]), CompareNames(pair[1], pair[0]))
		}
	}
}

// TestListsSortNaturally: every list of names an answer holds is in natural order:
// who-can of a permission and of a capability, access's WorkCenters and the WorkCenters
// a capability is held in, the matrix's roles.
func TestListsSortNaturally(t *testing.T) {
	e := account(t, func(objs []any) []any {
		for _, n := range []string{"wc-10", "wc-9", "wc-100"} {
			objs = append(objs, fixtures.WorkCenter(ns, n))
		}
		for _, n := range []string{"role-10", "role-9"} {
			objs = append(objs, fixtures.Role(ns, n))
		}
		for _, n := range []string{"user-1072", "user-142", "user-15"} {
			objs = append(objs, fixtures.Collaborator(ns, n, v1alpha1.Guest, "wc-10=read-only", "wc-9=read-only", "wc-100=read-only"))
		}
		return objs
	})
	var who []string
	for _, h := range e.WhoCan(model.WorkCenterView, "wc-10", false).Allowed {
		who = append(who, h.Collaborator)
	}
	if want := []string{"ann", "user-15", "user-142", "user-1072"}; !slices.Equal(who, want) {
		t.Errorf("who-can: %v; want %v", who, want)
	}
	who = nil
	for _, a := range e.WhoCanCapability(model.AccountLeave, "", false).Allowed {
		if strings.HasPrefix(a.Collaborator, "user-") {
			who = append(who, a.Collaborator)
		}
	}
	if want := []string{"user-15", "user-142", "user-1072"}; !slices.Equal(who, want) {
		t.Errorf("who-can of a capability: %v; want %v", who, want)
	}
	c, _ := e.Collaborator("user-142")
	r := e.Access(c)
	var wcs []string
	for _, w := range r.WorkCenters {
		wcs = append(wcs, w.WorkCenter)
	}
	if want := []string{"old", "tower-a", "wc-9", "wc-10", "wc-100"}; !slices.Equal(wcs, want) {
		t.Errorf("access: %v; want %v", wcs, want)
	}
	found := false
	for _, ca := range r.Capabilities {
		if ca.Capability == string(model.WorkCentersView) {
			found = true
			if want := []string{"wc-9", "wc-10", "wc-100"}; !slices.Equal(ca.WorkCenters, want) {
				t.Errorf("access: %s held in %v; want %v", ca.Capability, ca.WorkCenters, want)
			}
		}
	}
	if !found {
		t.Errorf("access: user-142 (assigned to three WorkCenters) holds no workCenters.view: %+v", r.Capabilities)
	}
	if got, want := e.RoleNames()[3:], []string{"lead", "role-9", "role-10", "site-engineer"}; !slices.Equal(got, want) {
		t.Errorf("roles: %v; want %v", got, want)
	}
}
