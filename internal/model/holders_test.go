package model

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// TestHoldersReachedProperty: on random accounts, a random change of an existing role
// reaches (HoldersReached) every Collaborator whose evaluated assignments it changes: a
// holder left out would keep a stale status, since the controllers wake only those.
func TestHoldersReachedProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := New(ns)
		for range rapid.IntRange(5, 40).Draw(t, "changes") {
			change(t, m)
		}
		roles := m.Roles()
		var names []string
		for n := range roles {
			names = append(names, n)
		}
		if len(names) == 0 {
			t.Skip("no role")
		}
		slices.Sort(names)
		old := roles[rapid.SampledFrom(names).Draw(t, "role")].DeepCopy()
		next := old.DeepCopy()
		next.Spec.Includes, next.Spec.Permissions = nil, nil
		for range rapid.IntRange(0, 2).Draw(t, "includes") {
			next.Spec.Includes = append(next.Spec.Includes, v1alpha1.ObjectName(fmt.Sprintf("role%d", rapid.IntRange(0, 5).Draw(t, "include"))))
		}
		for range rapid.IntRange(0, 4).Draw(t, "perms") {
			next.Spec.Permissions = append(next.Spec.Permissions, catalog[rapid.IntRange(0, len(catalog)-1).Draw(t, "perm")].Permission)
		}
		if rapid.IntRange(0, 5).Draw(t, "deleting") == 0 && next.DeletionTimestamp == nil {
			now := metav1.NewTime(t0)
			next.DeletionTimestamp = &now
		}
		now := metav1.NewTime(t0.Add(time.Hour))
		before := map[string][]v1alpha1.WorkCenterAssignmentStatus{}
		for _, c := range m.Collaborators() {
			before[c.Name] = m.Evaluate(c, "", now).Statuses
		}
		must(m.Set(next))
		reached := map[string]bool{}
		for _, c := range m.HoldersReached(old) {
			reached[c.Name] = true
		}
		for _, c := range m.Collaborators() {
			after := m.Evaluate(c, "", now).Statuses
			if !equality.Semantic.DeepEqual(before[c.Name], after) && !reached[c.Name] {
				t.Fatalf("%s's assignments changed and it was not reached by %s's change (%v -> %v):\n%+v\n%+v",
					c.Name, old.Name, old.Spec, next.Spec, before[c.Name], after)
			}
		}
	})
}

// TestHoldersReached: which holders a role change reaches, case by case.
func TestHoldersReached(t *testing.T) {
	objs := []any{fixtures.Account(ns, "acme", 10), fixtures.WorkCenter(ns, "wc")}
	for _, r := range builtInObjects() {
		objs = append(objs, r)
	}
	objs = append(objs,
		fixtures.Role(ns, "base", fixtures.Perms("tasks.create")),
		fixtures.Role(ns, "lead", fixtures.Includes("base"), fixtures.Perms("tasks.update")),
		fixtures.Role(ns, "other", fixtures.Perms("tasks.update")),
		fixtures.Collaborator(ns, "gus", v1alpha1.Guest, "wc=lead"),
		fixtures.Collaborator(ns, "mel", v1alpha1.Member, "wc=lead"),
		fixtures.Collaborator(ns, "bea", v1alpha1.Member, "wc=base"),
		fixtures.Collaborator(ns, "oli", v1alpha1.Member, "wc=other"),
	)
	for name, tc := range map[string]struct {
		role string
		edit func(r *v1alpha1.WorkCenterRole)
		want []string
	}{
		"a guest-safe permission added": {"base", func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Permissions = append(r.Spec.Permissions, "files.upload")
		}, nil},
		"a member-only permission added": {"base", func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Permissions = append(r.Spec.Permissions, "collaborators.remove")
		}, []string{"gus"}},
		"a missing include": {"base", func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Includes = append(r.Spec.Includes, "nowhere")
		}, []string{"bea", "gus", "mel"}},
		"a cycle": {"base", func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Includes = append(r.Spec.Includes, "lead")
		}, []string{"bea", "gus", "mel"}},
		"its deletion starts": {"other", func(r *v1alpha1.WorkCenterRole) {
			now := metav1.NewTime(t0)
			r.DeletionTimestamp = &now
		}, []string{"oli"}},
		"a description": {"lead", func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Description = "leads"
		}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Build(ns, objs...)
			if err != nil {
				t.Fatal(err)
			}
			old := m.Role(tc.role).DeepCopy()
			next := old.DeepCopy()
			tc.edit(next)
			must(m.Set(next))
			var got []string
			for _, c := range m.HoldersReached(old) {
				got = append(got, c.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("reached %v, want %v", got, tc.want)
			}
		})
	}
}
