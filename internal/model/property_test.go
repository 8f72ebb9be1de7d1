package model

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// Property tests: random accounts changed by random sequences of changes, checked
// against the invariants of docs/rules.md after every change. `make test` runs rapid's default number
// of cases (100); `make test-properties` runs RAPID_CHECKS of them (10,000 by default).

// change is one random change to the account model.
func change(t *rapid.T, m *Account) {
	name := func(prefix string, n int) string {
		return fmt.Sprintf("%s%d", prefix, rapid.IntRange(0, n-1).Draw(t, prefix))
	}
	switch rapid.IntRange(0, 9).Draw(t, "kind") {
	case 0:
		a := fixtures.Account(ns, "acme", int32(rapid.IntRange(0, 8).Draw(t, "licenses")))
		if rapid.IntRange(0, 5).Draw(t, "deactivated") == 0 {
			a.Spec.State = v1alpha1.AccountDeactivated
		}
		must(m.Set(a))
	case 1:
		wc := fixtures.WorkCenter(ns, name("wc", 3))
		wc.Spec.Archived = rapid.Bool().Draw(t, "archived")
		// Selectors and templates (docs/assignments.md): a region label, a template, a
		// WorkCenter publishing from one (valid or not).
		if r := rapid.IntRange(0, 2).Draw(t, "region"); r > 0 {
			wc.Labels = map[string]string{"region": fmt.Sprint(r)}
		}
		wc.Spec.Template = rapid.IntRange(0, 3).Draw(t, "template") == 0
		if rapid.IntRange(0, 3).Draw(t, "publishes") == 0 {
			wc.Spec.CollaboratorsFrom = v1alpha1.ObjectName(name("wc", 4))
		}
		must(m.Set(wc))
	case 2:
		r := fixtures.Role(ns, name("role", 5))
		for range rapid.IntRange(0, 2).Draw(t, "includes") {
			r.Spec.Includes = append(r.Spec.Includes, v1alpha1.ObjectName(name("role", 6)))
		}
		for range rapid.IntRange(0, 4).Draw(t, "perms") {
			r.Spec.Permissions = append(r.Spec.Permissions, catalog[rapid.IntRange(0, len(catalog)-1).Draw(t, "perm")].Permission)
		}
		if rapid.IntRange(0, 6).Draw(t, "deleting") == 0 {
			now := metav1.NewTime(t0)
			r.DeletionTimestamp = &now
		}
		must(m.Set(r))
	case 3:
		if rapid.Bool().Draw(t, "removeRole") {
			m.Remove(KindWorkCenterRole, name("role", 5))
		} else {
			m.Remove(KindCollaborator, name("c", 12))
		}
	default:
		n := name("c", 12)
		typ := v1alpha1.Guest
		if rapid.Bool().Draw(t, "member") {
			typ = v1alpha1.Member
		}
		var assign []string
		for i := range rapid.IntRange(0, 3).Draw(t, "assignments") {
			assign = append(assign, fmt.Sprintf("wc%d=%s", i, name("role", 6)))
		}
		c := fixtures.Collaborator(ns, n, typ, assign...)
		if old := m.Collaborator(n); old != nil {
			c.CreationTimestamp = old.CreationTimestamp
		} else {
			c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(rapid.IntRange(0, 30).Draw(t, "born")) * time.Second))
		}
		c.Spec.Email = name("p", 14) + "@example.com"
		if rapid.IntRange(0, 3).Draw(t, "selects") == 0 {
			c.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{
				Selector: metav1.LabelSelector{MatchLabels: map[string]string{"region": fmt.Sprint(rapid.IntRange(1, 2).Draw(t, "selected"))}},
				Role:     v1alpha1.ObjectName(name("role", 6))}}
		}
		if typ == v1alpha1.Member {
			c.Spec.AdminRole = rapid.SampledFrom([]v1alpha1.AdminRole{v1alpha1.AdminRoleNone, v1alpha1.AdminRoleNone,
				v1alpha1.AdminRoleAccountAdministrator, v1alpha1.AdminRoleWorkCenterAdministrator}).Draw(t, "admin")
		}
		must(m.Set(c))
	}
}

// TestInvariants checks the invariants of docs/rules.md on every state a random sequence of changes
// reaches.
func TestInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := New(ns)
		for range rapid.IntRange(1, 40).Draw(t, "changes") {
			change(t, m)
			checkInvariants(t, m)
		}
	})
}

func checkInvariants(t *rapid.T, m *Account) {
	checkSources(t, m)
	now := metav1.NewTime(t0.Add(time.Hour))
	members := m.Members()
	var licensed, unlicensed []*v1alpha1.Collaborator
	for _, c := range members {
		if m.Licensed(c) {
			licensed = append(licensed, c)
		} else {
			unlicensed = append(unlicensed, c)
		}
	}
	// R4: never more licensed Members than licenses, and they are the oldest.
	if int32(len(licensed)) > max(m.Licenses(), 0) {
		t.Fatalf("%d Members licensed with %d licenses", len(licensed), m.Licenses())
	}
	for _, l := range licensed {
		for _, u := range unlicensed {
			if Older(u, l) {
				t.Fatalf("%s holds a license while the older %s does not", l.Name, u.Name)
			}
		}
	}
	if m.Licenses() > 0 && len(unlicensed) > 0 && int32(len(licensed)) < m.Licenses() {
		t.Fatalf("a license is free (%d of %d used) while %s holds none", len(licensed), m.Licenses(), unlicensed[0].Name)
	}
	// A role's effective permissions hold those of every role it includes, and view.
	for name, r := range m.Roles() {
		perms, err := m.Effective(name)
		if err != nil {
			continue
		}
		if !perms.Has(WorkCenterView) {
			t.Fatalf("role %s lacks workCenter.view: %v", name, perms)
		}
		for _, inc := range r.Spec.Includes {
			included, err := m.Effective(string(inc))
			if err != nil {
				continue
			}
			for p := range included {
				if !perms.Has(p) {
					t.Fatalf("role %s includes %s but lacks its %s", name, inc, p)
				}
			}
		}
	}
	for _, c := range m.Collaborators() {
		for _, wc := range m.WorkCenters() {
			perms := m.Permissions(c, wc.Name, now)
			if len(perms) > 0 && !perms.Has(WorkCenterView) {
				t.Fatalf("%s has %v in %s without workCenter.view", c.Name, perms, wc.Name)
			}
			// R2/R3: a guest never holds a member-only permission.
			if !IsMember(c) && perms.IsMemberOnly() {
				t.Fatalf("Guest %s holds member-only %v in %s", c.Name, perms.MemberOnly(), wc.Name)
			}
			// Archived cuts everything to view and download.
			if wc.Spec.Archived {
				for p := range perms {
					if !ArchivedPermissions().Has(p) {
						t.Fatalf("%s holds %s in archived %s", c.Name, p, wc.Name)
					}
				}
			}
			// Administrators hold everything everywhere (view and download when archived),
			// while the account is active and they hold a license.
			owner := m.Owner()
			if IsAdministrator(c) && owner != nil && owner.Spec.State != v1alpha1.AccountDeactivated && m.Licensed(c) {
				want := All()
				if wc.Spec.Archived {
					want = ArchivedPermissions()
				}
				if len(perms) != len(want) {
					t.Fatalf("administrator %s holds %d permissions in %s, want %d", c.Name, len(perms), wc.Name, len(want))
				}
			}
			// Nobody has access in a Deactivated account, nor an unlicensed Member.
			if (owner == nil || owner.Spec.State == v1alpha1.AccountDeactivated || (IsMember(c) && !m.Licensed(c))) && len(perms) > 0 {
				t.Fatalf("%s holds %v with no active account or no license", c.Name, perms)
			}
		}
	}
}

// oracleAssignments is docs/assignments.md's precedence, computed the slow way: listed
// entries; then each selector in order over the WorkCenters by name; then each
// WorkCenter, by name, validly publishing from a template c is assigned to.
func oracleAssignments(m *Account, c *v1alpha1.Collaborator) []string {
	var out []string
	taken := map[string]string{}
	take := func(wc, role string, src v1alpha1.AssignmentSource) {
		if _, ok := taken[wc]; ok {
			return
		}
		taken[wc] = role
		out = append(out, wc+"="+role+"/"+string(src))
	}
	for _, as := range c.Spec.WorkCenters {
		if _, ok := taken[string(as.Name)]; !ok {
			taken[string(as.Name)] = string(as.Role)
		}
		out = append(out, string(as.Name)+"="+string(as.Role)+"/Spec")
	}
	wcs := m.WorkCenters()
	for _, sel := range c.Spec.WorkCenterSelectors {
		for _, w := range wcs {
			if w.Labels["region"] != "" && w.Labels["region"] == sel.Selector.MatchLabels["region"] {
				take(w.Name, string(sel.Role), v1alpha1.SourceSelector)
			}
		}
	}
	before := maps.Clone(taken)
	for _, w := range wcs {
		t := m.WorkCenter(string(w.Spec.CollaboratorsFrom))
		if w.Spec.CollaboratorsFrom == "" || t == nil || !t.Spec.Template || t.Name == w.Name || t.Spec.CollaboratorsFrom != "" {
			continue
		}
		if role, ok := before[t.Name]; ok {
			take(w.Name, role, v1alpha1.SourceTemplate)
		}
	}
	return out
}

func checkSources(t *rapid.T, m *Account) {
	for _, c := range m.Collaborators() {
		var got []string
		for _, as := range m.AssignmentsOf(c) {
			got = append(got, string(as.Name)+"="+string(as.Role)+"/"+string(as.Source))
		}
		if want := oracleAssignments(m, c); !slices.Equal(got, want) {
			t.Fatalf("%s's assignments %v, want %v", c.Name, got, want)
		}
		for _, as := range m.AssignmentsOf(c) {
			if !slices.ContainsFunc(m.AssignedTo(string(as.Name)), func(x *v1alpha1.Collaborator) bool { return x.Name == c.Name }) {
				t.Fatalf("%s is assigned to %s but the index does not say so", c.Name, as.Name)
			}
		}
	}
	for _, w := range m.WorkCenters() {
		for _, x := range m.AssignedTo(w.Name) {
			if !slices.ContainsFunc(m.AssignmentsOf(x), func(as Assigned) bool { return string(as.Name) == w.Name }) {
				t.Fatalf("the index says %s is assigned to %s, but it is not", x.Name, w.Name)
			}
		}
	}
}
