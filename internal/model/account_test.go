package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

const ns = "acme"

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// world is a set of objects the model is checked against: the reference answers are
// computed from it with the plain rules (oracles_test.go and the rule functions over
// slices of objects), object by object.
type world struct {
	accounts map[string]*v1alpha1.Account
	wcs      map[string]*v1alpha1.WorkCenter
	roles    Roles
	collabs  map[string]*v1alpha1.Collaborator
}

func (w *world) collaborators() []*v1alpha1.Collaborator {
	out := values(w.collabs)
	slices.SortFunc(out, func(a, b *v1alpha1.Collaborator) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// randomChange applies one random change to both the world and the model.
func randomChange(rng *rand.Rand, w *world, m *Account) {
	created := func() metav1.Time {
		if rng.IntN(10) == 0 {
			return metav1.Time{} // not created yet: the newest
		}
		return metav1.NewTime(t0.Add(time.Duration(rng.IntN(20)) * time.Second)) // ties on purpose
	}
	switch rng.IntN(10) {
	case 0:
		name := fmt.Sprintf("acct%d", rng.IntN(3))
		if rng.IntN(4) == 0 {
			delete(w.accounts, name)
			m.Remove(KindAccount, name)
			return
		}
		a := fixtures.Account(ns, name, int32(rng.IntN(12)))
		a.CreationTimestamp = created()
		if rng.IntN(5) == 0 {
			a.Spec.State = v1alpha1.AccountDeactivated
		}
		w.accounts[name] = a
		must(m.Set(a))
	case 1:
		name := fmt.Sprintf("wc%d", rng.IntN(4))
		if rng.IntN(4) == 0 {
			delete(w.wcs, name)
			m.Remove(KindWorkCenter, name)
			return
		}
		wc := fixtures.WorkCenter(ns, name)
		wc.Spec.Archived = rng.IntN(3) == 0
		w.wcs[name] = wc
		must(m.Set(wc))
	case 2:
		name := fmt.Sprintf("role%d", rng.IntN(5))
		if rng.IntN(4) == 0 {
			delete(w.roles, name)
			m.Remove(KindWorkCenterRole, name)
			return
		}
		var opts []func(*v1alpha1.WorkCenterRole)
		if rng.IntN(2) == 0 {
			opts = append(opts, fixtures.Includes(fmt.Sprintf("role%d", rng.IntN(6))))
		}
		if rng.IntN(2) == 0 {
			opts = append(opts, fixtures.Perms(string(FilesUpload)))
		}
		if rng.IntN(3) == 0 {
			opts = append(opts, fixtures.Perms(string(WorkCenterEditSettings))) // member-only
		}
		r := fixtures.Role(ns, name, opts...)
		if rng.IntN(6) == 0 {
			now := metav1.NewTime(t0.Add(10 * time.Second))
			r.DeletionTimestamp = &now
		}
		w.roles[name] = r
		must(m.Set(r))
	default:
		name := fmt.Sprintf("c%d", rng.IntN(25))
		if rng.IntN(5) == 0 {
			delete(w.collabs, name)
			m.Remove(KindCollaborator, name)
			return
		}
		typ := v1alpha1.Guest
		if rng.IntN(3) > 0 {
			typ = v1alpha1.Member
		}
		var assign []string
		for range rng.IntN(4) {
			assign = append(assign, fmt.Sprintf("wc%d=role%d", rng.IntN(5), rng.IntN(6)))
		}
		c := fixtures.Collaborator(ns, name, typ, assign...)
		if old := w.collabs[name]; old != nil {
			c.CreationTimestamp = old.CreationTimestamp // creation time and name never change
		} else {
			c.CreationTimestamp = created()
		}
		c.Spec.Email = fmt.Sprintf("p%d@Example.com", rng.IntN(15))
		if rng.IntN(2) == 0 {
			c.Spec.Email = strings.ToUpper(c.Spec.Email)
		}
		if rng.IntN(4) == 0 {
			c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
		}
		if rng.IntN(8) == 0 {
			now := metav1.NewTime(t0.Add(time.Minute))
			c.DeletionTimestamp = &now
		}
		if rng.IntN(3) == 0 && len(c.Spec.WorkCenters) > 0 {
			since := metav1.NewTime(t0.Add(time.Duration(rng.IntN(20)) * time.Second))
			a := c.Spec.WorkCenters[0]
			c.Status.WorkCenters = []v1alpha1.WorkCenterAssignmentStatus{{Name: string(a.Name), Role: string(a.Role), Since: &since}}
		}
		w.collabs[name] = c
		must(m.Set(c))
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func names(cs []*v1alpha1.Collaborator) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

// TestModelAgreesWithTheRules changes a model one object at a time, at random, and after
// every change checks each of its answers against the plain rules applied to the same
// objects from scratch.
func TestModelAgreesWithTheRules(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		w := &world{accounts: map[string]*v1alpha1.Account{}, wcs: map[string]*v1alpha1.WorkCenter{},
			roles: Roles{}, collabs: map[string]*v1alpha1.Collaborator{}}
		m := New(ns)
		now := metav1.NewTime(t0.Add(time.Hour))
		for step := range 150 {
			randomChange(rng, w, m)
			where := fmt.Sprintf("seed %d step %d", seed, step)
			checkAgainstRules(t, where, w, m, now)
			if t.Failed() {
				return
			}
		}
	}
}

func checkAgainstRules(t *testing.T, where string, w *world, m *Account, now metav1.Time) {
	t.Helper()
	all := w.collaborators()
	owner := OwningAccount(values(w.accounts))
	if m.Owner() != owner {
		t.Errorf("%s: owner %v, want %v", where, m.Owner(), owner)
	}
	if got, want := names(m.Collaborators()), names(all); !slices.Equal(got, want) {
		t.Errorf("%s: collaborators %v, want %v", where, got, want)
	}
	var licenses int32
	if owner != nil {
		licenses = owner.Spec.Licenses
	}
	allocation := AllocateLicenses(all, licenses)
	if !equality.Semantic.DeepEqual(m.Allocation(), allocation) && (len(m.Allocation()) > 0 || len(allocation) > 0) {
		t.Errorf("%s: allocation %v, want %v", where, m.Allocation(), allocation)
	}
	if m.LicensesUsed() != int32(len(allocation)) {
		t.Errorf("%s: %d licenses used, want %d", where, m.LicensesUsed(), len(allocation))
	}
	var admins []string
	for _, c := range all {
		if got, want := m.Licensed(c), owner != nil && HoldsLicense(c, all, licenses); got != want {
			t.Errorf("%s: %s licensed %v, want %v", where, c.Name, got, want)
		}
		if got, want := names(m.SameEmail(c)), names(SameEmail(c, all)); !slices.Equal(got, want) {
			t.Errorf("%s: %s shares its email with %v, want %v", where, c.Name, got, want)
		}
		if IsAccountAdministrator(c) {
			admins = append(admins, c.Name)
		}
		// Evaluate against each assignment decided on its own, the way it is specified.
		dup := CheckEmailUnique(c, all)
		licensed := owner != nil && HoldsLicense(c, all, licenses)
		var want []v1alpha1.WorkCenterAssignmentStatus
		for _, a := range c.Spec.WorkCenters {
			st := EvaluateAssignment(AssignmentInput{
				Account: owner, Collaborator: c, Licensed: licensed, DuplicateEmail: dup,
				Assignment: a, WorkCenter: w.wcs[string(a.Name)], Roles: w.roles,
				Since: InEffectSince(c.Status.WorkCenters, a), Now: now,
			})
			st.Source = v1alpha1.SourceSpec // listed
			want = append(want, st)
		}
		got := m.Evaluate(c, "", now)
		if !equality.Semantic.DeepEqual(got.Statuses, want) && (len(got.Statuses) > 0 || len(want) > 0) {
			t.Errorf("%s: %s evaluates to %+v, want %+v", where, c.Name, got.Statuses, want)
		}
	}
	if got := names(m.AccountAdministrators()); !slices.Equal(got, admins) && (len(got) > 0 || len(admins) > 0) {
		t.Errorf("%s: administrators %v, want %v", where, got, admins)
	}
	for i := range 5 {
		wc, role := fmt.Sprintf("wc%d", i), fmt.Sprintf("role%d", i)
		var assigned, holding []string
		for _, c := range all {
			if slices.Contains(assignedWorkCenters(c), wc) {
				assigned = append(assigned, c.Name)
			}
			if slices.ContainsFunc(c.Spec.WorkCenters, func(a v1alpha1.WorkCenterAssignment) bool { return string(a.Role) == role }) {
				holding = append(holding, c.Name)
			}
		}
		if got := names(m.AssignedTo(wc)); !slices.Equal(got, assigned) && (len(got) > 0 || len(assigned) > 0) {
			t.Errorf("%s: assigned to %s: %v, want %v", where, wc, got, assigned)
		}
		if got := names(m.Holding(role)); !slices.Equal(got, holding) && (len(got) > 0 || len(holding) > 0) {
			t.Errorf("%s: holding %s: %v, want %v", where, role, got, holding)
		}
		gotPerms, gotErr := m.Effective(role)
		wantPerms, wantErr := w.roles.Effective(role)
		if !slices.Equal(gotPerms.Sorted(), wantPerms.Sorted()) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Errorf("%s: %s effective %v (%v), want %v (%v)", where, role, gotPerms, gotErr, wantPerms, wantErr)
		}
	}
}

func assignedWorkCenters(c *v1alpha1.Collaborator) []string {
	var out []string
	for _, a := range c.Spec.WorkCenters {
		out = append(out, string(a.Name))
	}
	return out
}

// A role's effective permissions are memoized; a change of any role, even one the role
// only includes, must be seen at once.
func TestEffectiveFollowsIncludedRoleChanges(t *testing.T) {
	m, err := Build(ns, fixtures.Role(ns, "lead", fixtures.Includes("eng")), fixtures.Role(ns, "eng"))
	must(err)
	if perms, _ := m.Effective("lead"); perms.Has(FilesUpload) {
		t.Fatalf("lead has files.upload before eng grants it")
	}
	must(m.Set(fixtures.Role(ns, "eng", fixtures.Perms(string(FilesUpload)))))
	if perms, _ := m.Effective("lead"); !perms.Has(FilesUpload) {
		t.Fatalf("lead lacks files.upload after eng grants it: the memo was not reset")
	}
	m.Remove(KindWorkCenterRole, "eng")
	if _, err := m.Effective("lead"); err == nil {
		t.Fatalf("lead resolves after eng is gone: the memo was not reset")
	}
}

// Licenses go to the oldest Members: creation time, then name; one not created yet is
// the newest; a Member not in the model yet is ranked all the same; Guests hold none.
func TestLicensedBySeniority(t *testing.T) {
	at := func(c *v1alpha1.Collaborator, sec int) *v1alpha1.Collaborator {
		if sec >= 0 {
			c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
		}
		return c
	}
	member := func(name string, sec int) *v1alpha1.Collaborator {
		return at(fixtures.Collaborator(ns, name, v1alpha1.Member), sec)
	}
	m, err := Build(ns, fixtures.Account(ns, "acme", 2),
		member("b", 1), member("a", 1), member("old", 0), member("unborn", -1),
		at(fixtures.Collaborator(ns, "guest", v1alpha1.Guest), 0))
	must(err)
	for _, tc := range []struct {
		c    *v1alpha1.Collaborator
		want bool
	}{
		{member("old", 0), true},
		{member("a", 1), true}, // same second as b: the name decides
		{member("b", 1), false},
		{member("unborn", -1), false},
		{member("newcomer", 2), false}, // not in the model: old, a and b are older
		{member("aa", 0), true},        // not in the model, older than a: counts as one
		{at(fixtures.Collaborator(ns, "guest", v1alpha1.Guest), 0), false},
	} {
		if got := m.Licensed(tc.c); got != tc.want {
			t.Errorf("%s licensed %v, want %v", tc.c.Name, got, tc.want)
		}
	}
	if got := names(m.Members()); !slices.Equal(got, []string{"old", "a", "b", "unborn"}) {
		t.Errorf("members in seniority order %v", got)
	}
	// Changing a Member into a Guest frees its license for the next Member.
	must(m.Set(at(fixtures.Collaborator(ns, "old", v1alpha1.Guest), 0)))
	if !m.Licensed(member("b", 1)) {
		t.Errorf("b holds no license after old became a Guest")
	}
}

func TestSetRefusesOtherKinds(t *testing.T) {
	if err := New(ns).Set(&metav1.PartialObjectMetadata{}); err == nil {
		t.Fatal("Set accepted an object that is none of the four kinds")
	}
}

// RolesAppeared counts a role coming into the model, not one changing: a role set again
// counts nothing, one removed and set again counts once more.
func TestRolesAppeared(t *testing.T) {
	a := New("acme")
	eng := fixtures.Role("acme", "eng")
	steps := []struct {
		what string
		do   func()
		want uint64
	}{
		{"empty", func() {}, 0},
		{"eng set", func() { _ = a.Set(eng) }, 1},
		{"eng changed", func() {
			edited := eng.DeepCopy()
			edited.Spec.Description = "edited"
			_ = a.Set(edited)
		}, 1},
		{"a Collaborator set", func() { _ = a.Set(fixtures.Collaborator("acme", "tom", v1alpha1.Member, "tower=eng")) }, 1},
		{"eng removed", func() { a.Remove(KindWorkCenterRole, "eng") }, 1},
		{"eng set again", func() { _ = a.Set(eng) }, 2},
		{"view set", func() { _ = a.Set(fixtures.Role("acme", "view")) }, 3},
	}
	for _, s := range steps {
		s.do()
		if got := a.RolesAppeared(); got != s.want {
			t.Fatalf("%s: RolesAppeared %d, want %d", s.what, got, s.want)
		}
	}
}
