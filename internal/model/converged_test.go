package model

import (
	"testing"
	"time"

	"k8s.io/utils/ptr"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// The oracle on a small account where every kind of decision shows: a license withheld,
// a guest rejected on a member-only role, an archived WorkCenter, a role in use only
// through an include, an administrator to protect.
func TestConverged(t *testing.T) {
	born := func(c *v1alpha1.Collaborator, sec int) *v1alpha1.Collaborator {
		c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
		return c
	}
	m, err := Build(ns,
		fixtures.Account(ns, "acme", 1),
		fixtures.WorkCenter(ns, "tower"), fixtures.WorkCenter(ns, "annex", fixtures.Archived),
		fixtures.Role(ns, "base"), fixtures.Role(ns, "lead", fixtures.Includes("base"), fixtures.Perms(string(WorkCenterEditSettings))),
		fixtures.Role(ns, "spare"),
		born(fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "ada", v1alpha1.Member, "tower=lead", "annex=lead")), 0),
		born(fixtures.Collaborator(ns, "bob", v1alpha1.Member, "tower=lead"), 1),
		born(fixtures.Collaborator(ns, "gus", v1alpha1.Guest, "tower=lead", "annex=base"), 2),
	)
	must(err)
	got := m.Converged(metav1.NewTime(t0.Add(time.Hour)))

	states := func(name string) []string {
		var out []string
		for _, s := range got.Collaborators[name].Assignments {
			out = append(out, s.Name+"="+string(s.State)+"/"+s.Reason)
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		want      []string
		licensed  *bool
		protected bool
	}{
		{"ada", []string{"tower=Active/", "annex=Archived/" + v1alpha1.ReasonWorkCenterArchived}, ptr.To(true), true},
		{"bob", []string{"tower=Pending/" + v1alpha1.ReasonLicenseLimitExceeded}, ptr.To(false), false},
		{"gus", []string{"tower=Rejected/" + v1alpha1.ReasonRoleRequiresMember, "annex=Archived/" + v1alpha1.ReasonWorkCenterArchived}, nil, false},
	} {
		f := got.Collaborators[tc.name]
		if g := states(tc.name); len(g) != len(tc.want) || (len(g) > 0 && (g[0] != tc.want[0] || g[len(g)-1] != tc.want[len(tc.want)-1])) {
			t.Errorf("%s: assignments %v, want %v", tc.name, g, tc.want)
		}
		if (f.Licensed == nil) != (tc.licensed == nil) || (f.Licensed != nil && *f.Licensed != *tc.licensed) {
			t.Errorf("%s: licensed %v, want %v", tc.name, f.Licensed, tc.licensed)
		}
		if f.Protected != tc.protected {
			t.Errorf("%s: protected %v, want %v", tc.name, f.Protected, tc.protected)
		}
	}
	if got.WorkCenters["tower"] != 1 || got.WorkCenters["annex"] != 2 {
		t.Errorf("WorkCenter counts %v, want tower 1 (ada), annex 2 (ada, gus archived)", got.WorkCenters)
	}
	if r := got.Roles["base"]; r.Assignments != 1 || !r.InUse || !r.Protected {
		t.Errorf("base: %+v, want 1 assignment, in use, protected", r)
	}
	if r := got.Roles["spare"]; r.Assignments != 0 || r.InUse || !r.Protected {
		t.Errorf("spare: %+v, want unused and protected", r)
	}
	if r := got.Roles["lead"]; r.Assignments != 4 || !r.InUse {
		t.Errorf("lead: %+v, want 4 assignments", r)
	}
	a := got.Account
	if a == nil || a.Members != 2 || a.Guests != 1 || a.AccountAdministrators != 1 || a.LicensesUsed != 1 ||
		a.WorkCenters != 2 || a.ArchivedWorkCenters != 1 || !a.Protected {
		t.Errorf("account facts %+v", a)
	}
	if u := m.Unlicensed(1); len(u) != 1 || u[0] != "bob" {
		t.Errorf("unlicensed %v, want [bob]", u)
	}
}
