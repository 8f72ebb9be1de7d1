package model

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func TestEffectivePermissions(t *testing.T) {
	cases := map[string]struct {
		roles          []*v1alpha1.WorkCenterRole
		role           string
		want           []string
		wantMemberOnly []string
	}{
		"empty role has just workCenter.view": {
			roles: []*v1alpha1.WorkCenterRole{newRole("viewer")},
			role:  "viewer",
			want:  []string{"workCenter.view"},
		},
		"None everywhere still has workCenter.view": {
			roles: []*v1alpha1.WorkCenterRole{newRole("viewer", withLevels(v1alpha1.RoleLevels{
				WorkCenter: v1alpha1.LevelNone, Files: v1alpha1.LevelNone, Folders: v1alpha1.LevelNone,
				Posts: v1alpha1.LevelNone, Tasks: v1alpha1.LevelNone, Collaborators: v1alpha1.LevelNone,
			}))},
			role: "viewer",
			want: []string{"workCenter.view"},
		},
		"levels and granular permissions are a union": {
			roles: []*v1alpha1.WorkCenterRole{newRole("site-engineer",
				withLevels(v1alpha1.RoleLevels{Files: v1alpha1.LevelReadOnly, Folders: v1alpha1.LevelStandard, Tasks: v1alpha1.LevelStandard}),
				granular("tasks.create", "folders.create", "posts.edit"))},
			role: "site-engineer",
			want: []string{
				"workCenter.view", "files.download", "folders.create", "folders.rename",
				"tasks.delete", "taskComments.create", "taskComments.delete", "tasks.create", "posts.edit",
			},
			wantMemberOnly: []string{"tasks.create"},
		},
		"the docs' include example": {
			roles: []*v1alpha1.WorkCenterRole{newRole("site-engineer",
				includes("contributor"),
				withLevels(v1alpha1.RoleLevels{
					Files: v1alpha1.LevelStandard, Folders: v1alpha1.LevelReadOnly, Posts: v1alpha1.LevelStandard,
					Tasks: v1alpha1.LevelReadOnly, Collaborators: v1alpha1.LevelNone, WorkCenter: v1alpha1.LevelNone,
				}),
				granular("tasks.create"))},
			role:           "site-engineer",
			want:           append(slices.Clone(specContributor), "tasks.create"),
			wantMemberOnly: []string{"tasks.create"},
		},
		"granular only, member-only": {
			roles:          []*v1alpha1.WorkCenterRole{newRole("mover", granular("files.move", "files.copy"))},
			role:           "mover",
			want:           []string{"workCenter.view", "files.move", "files.copy"},
			wantMemberOnly: []string{"files.copy", "files.move"},
		},
		"includes are resolved transitively": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("a", includes("b"), granular("folders.create")),
				newRole("b", includes("c")),
				newRole("c", includes("d"), withLevels(v1alpha1.RoleLevels{Posts: v1alpha1.LevelStandard})),
				newRole("d", granular("collaborators.addGuests")),
			},
			role: "a",
			want: []string{
				"workCenter.view", "folders.create", "posts.create", "posts.edit", "posts.delete",
				"collaborators.addGuests",
			},
			wantMemberOnly: []string{"collaborators.addGuests"},
		},
		"includes a built-in": {
			roles:          []*v1alpha1.WorkCenterRole{newRole("lead", includes("read-only", "workcenter-owner"))},
			role:           "lead",
			want:           specAll(),
			wantMemberOnly: specMemberOnly(),
		},
		"diamond is not a cycle": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("top", includes("left", "right")),
				newRole("left", includes("base"), granular("folders.create")),
				newRole("right", includes("base"), granular("folders.rename")),
				newRole("base", includes("read-only"), granular("posts.create")),
			},
			role: "top",
			want: []string{"workCenter.view", "files.download", "folders.create", "folders.rename", "posts.create"},
		},
		"double diamond is not a cycle": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("top", includes("l1", "r1")),
				newRole("l1", includes("mid")), newRole("r1", includes("mid")),
				newRole("mid", includes("l2", "r2")),
				newRole("l2", includes("base")), newRole("r2", includes("base")),
				newRole("base", granular("tasks.delete")),
			},
			role: "top",
			want: []string{"workCenter.view", "tasks.delete"},
		},
		"an included role's includes count, not its name": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("x", includes("y")),
				newRole("y", includes("contributor")),
			},
			role: "x",
			want: specContributor,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := rolesWith(tc.roles...).Effective(tc.role)
			if err != nil {
				t.Fatalf("Effective(%q): %v", tc.role, err)
			}
			equalSet(t, "Effective", got, tc.want)
			gotMO := permStrings(got.MemberOnly())
			if !slices.Equal(gotMO, sorted(tc.wantMemberOnly...)) && len(gotMO)+len(tc.wantMemberOnly) > 0 {
				t.Errorf("MemberOnly() = %v, want %v", gotMO, sorted(tc.wantMemberOnly...))
			}
			if got.IsMemberOnly() != (len(tc.wantMemberOnly) > 0) {
				t.Errorf("IsMemberOnly() = %v, want %v", got.IsMemberOnly(), len(tc.wantMemberOnly) > 0)
			}
		})
	}
}

func TestEffectiveMissingRole(t *testing.T) {
	cases := map[string]struct {
		roles       []*v1alpha1.WorkCenterRole
		role        string
		wantPath    []string
		wantPartial []string
		wantInMsg   []string
	}{
		"the role itself is missing": {
			role:        "ghost",
			wantPath:    []string{"ghost"},
			wantPartial: nil,
			wantInMsg:   []string{`"ghost"`, "does not exist"},
		},
		"a direct include is missing": {
			roles:       []*v1alpha1.WorkCenterRole{newRole("a", includes("ghost"), granular("folders.create"))},
			role:        "a",
			wantPath:    []string{"a", "ghost"},
			wantPartial: []string{"workCenter.view", "folders.create"},
			wantInMsg:   []string{`"a"`, `"ghost"`},
		},
		"an include of an include is missing": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("a", includes("b"), granular("posts.create")),
				newRole("b", includes("ghost"), withLevels(v1alpha1.RoleLevels{Files: v1alpha1.LevelReadOnly})),
			},
			role:        "a",
			wantPath:    []string{"a", "b", "ghost"},
			wantPartial: []string{"workCenter.view", "posts.create", "files.download"},
			wantInMsg:   []string{`"a"`, `"ghost"`, "a -> b -> ghost"},
		},
		"the resolvable siblings are still in the partial set": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("a", includes("ghost", "contributor", "z")),
				newRole("z", granular("tasks.create")),
			},
			role:        "a",
			wantPath:    []string{"a", "ghost"},
			wantPartial: append(slices.Clone(specContributor), "tasks.create"),
		},
		"a missing built-in object is missing": {
			roles:       []*v1alpha1.WorkCenterRole{newRole("a", includes("contributor"))},
			role:        "a",
			wantPath:    []string{"a", "contributor"},
			wantPartial: []string{"workCenter.view"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			roles := NewRoles(tc.roles...) // no built-ins: the last case needs contributor absent
			if name != "a missing built-in object is missing" {
				roles = rolesWith(tc.roles...)
			}
			got, err := roles.Effective(tc.role)
			var nf *RoleNotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("Effective(%q) error = %v (%T), want *RoleNotFoundError", tc.role, err, err)
			}
			if !slices.Equal(nf.Path, tc.wantPath) {
				t.Errorf("Path = %v, want %v", nf.Path, tc.wantPath)
			}
			if nf.Missing() != tc.wantPath[len(tc.wantPath)-1] {
				t.Errorf("Missing() = %q, want %q", nf.Missing(), tc.wantPath[len(tc.wantPath)-1])
			}
			mustContain(t, "error", err.Error(), tc.wantInMsg...)
			equalSet(t, "partial set", got, tc.wantPartial)
		})
	}
}

func TestEffectiveCycle(t *testing.T) {
	cases := map[string]struct {
		roles     []*v1alpha1.WorkCenterRole
		asked     []string
		wantCycle []string
		wantPerms []string // what the partial set holds, at least
	}{
		"cycle of two, asked from either end": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("a", includes("b"), granular("posts.create")),
				newRole("b", includes("a"), granular("posts.edit")),
			},
			asked:     []string{"a", "b"},
			wantCycle: []string{"a", "b", "a"},
			wantPerms: []string{"workCenter.view", "posts.create", "posts.edit"},
		},
		"cycle of three, asked from each role": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("a", includes("b")), newRole("b", includes("c")), newRole("c", includes("a")),
			},
			asked:     []string{"a", "b", "c"},
			wantCycle: []string{"a", "b", "c", "a"},
			wantPerms: []string{"workCenter.view"},
		},
		"cycle starts at the smallest name, keeping include order": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("x", includes("m")), newRole("m", includes("q")), newRole("q", includes("x")),
			},
			asked:     []string{"x", "m", "q"},
			wantCycle: []string{"m", "q", "x", "m"},
		},
		"role including itself": {
			roles:     []*v1alpha1.WorkCenterRole{newRole("selfish", includes("selfish"))},
			asked:     []string{"selfish"},
			wantCycle: []string{"selfish", "selfish"},
		},
		"a role outside the cycle reaching into it": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("outer", includes("b"), granular("tasks.delete")),
				newRole("a", includes("b")), newRole("b", includes("c")), newRole("c", includes("a")),
			},
			asked:     []string{"outer"},
			wantCycle: []string{"a", "b", "c", "a"},
			wantPerms: []string{"workCenter.view", "tasks.delete"},
		},
		"a cycle wins over a missing role": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("a", includes("b", "ghost")), newRole("b", includes("a")),
			},
			asked:     []string{"a", "b"},
			wantCycle: []string{"a", "b", "a"},
		},
		"a cycle next to a built-in include": {
			roles: []*v1alpha1.WorkCenterRole{
				newRole("lead", includes("contributor", "deputy")),
				newRole("deputy", includes("lead")),
			},
			asked:     []string{"lead", "deputy"},
			wantCycle: []string{"deputy", "lead", "deputy"},
			wantPerms: specContributor,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			roles := rolesWith(tc.roles...)
			for _, asked := range tc.asked {
				got, err := roles.Effective(asked)
				var ce *CycleError
				if !errors.As(err, &ce) {
					t.Fatalf("Effective(%q) error = %v (%T), want *CycleError", asked, err, err)
				}
				if !slices.Equal(ce.Cycle, tc.wantCycle) {
					t.Errorf("Effective(%q) cycle = %v, want %v", asked, ce.Cycle, tc.wantCycle)
				}
				mustContain(t, "error", err.Error(), "cycle")
				for _, n := range tc.wantCycle {
					mustContain(t, "error", err.Error(), n)
				}
				for _, p := range tc.wantPerms {
					if !got.Has(Permission(p)) {
						t.Errorf("Effective(%q) partial set %v lacks %q", asked, strs(got), p)
					}
				}
			}
		})
	}
}

func TestEffectiveDoesNotMutateRoles(t *testing.T) {
	r := newRole("a", includes("c", "b"), granular("posts.edit"))
	roles := rolesWith(r, newRole("b"), newRole("c"))
	if _, err := roles.Effective("a"); err != nil {
		t.Fatal(err)
	}
	if got := r.Spec.Includes; !slices.Equal(got, []v1alpha1.ObjectName{"c", "b"}) {
		t.Errorf("Effective reordered the role's includes: %v", got)
	}
}

func TestRoleErrorMessages(t *testing.T) {
	cases := map[string]struct {
		err  error
		want string
	}{
		"missing role": {&RoleNotFoundError{Path: []string{"ghost"}}, `WorkCenterRole "ghost" does not exist`},
		"missing include": {&RoleNotFoundError{Path: []string{"a", "ghost"}},
			`WorkCenterRole "a" includes "ghost", which does not exist`},
		"missing include via": {&RoleNotFoundError{Path: []string{"a", "b", "ghost"}},
			`WorkCenterRole "a" includes "ghost", which does not exist (via a -> b -> ghost)`},
		"cycle": {&CycleError{Cycle: []string{"a", "b", "c", "a"}},
			"WorkCenterRoles include each other in a cycle: a -> b -> c -> a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("Error() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIncludedByAndDependents(t *testing.T) {
	roles := rolesWith(
		newRole("base", includes("read-only")),
		newRole("a", includes("base")),
		newRole("b", includes("a")),
		newRole("c", includes("base", "contributor")),
		newRole("e", includes("b")),
		newRole("loner"),
		newRole("x", includes("y")), newRole("y", includes("x")), // a cycle must not loop forever
	)
	// An edited built-in's includes do not count: its spec is the built-in one.
	roles["contributor"] = newRole("contributor", includes("base"))

	cases := map[string]struct {
		name           string
		wantIncludedBy []string
		wantDependents []string
	}{
		"base":         {"base", []string{"a", "c"}, []string{"a", "b", "base", "c", "e"}},
		"a":            {"a", []string{"b"}, []string{"a", "b", "e"}},
		"e (top)":      {"e", nil, []string{"e"}},
		"loner":        {"loner", nil, []string{"loner"}},
		"read-only":    {"read-only", []string{"base"}, []string{"a", "b", "base", "c", "e", "read-only"}},
		"contributor":  {"contributor", []string{"c"}, []string{"c", "contributor"}},
		"cycle":        {"x", []string{"y"}, []string{"x", "y"}},
		"missing name": {"ghost", nil, []string{"ghost"}},
		"owner unused": {"workcenter-owner", nil, []string{"workcenter-owner"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := roles.IncludedBy(tc.name); !slices.Equal(got, tc.wantIncludedBy) {
				t.Errorf("IncludedBy(%q) = %v, want %v", tc.name, got, tc.wantIncludedBy)
			}
			if got := roles.Dependents(tc.name); !slices.Equal(got, tc.wantDependents) {
				t.Errorf("Dependents(%q) = %v, want %v", tc.name, got, tc.wantDependents)
			}
		})
	}
}

func TestNewRolesIndexesByName(t *testing.T) {
	roles := NewRoles(newRole("a"), newRole("b"))
	if len(roles) != 2 || roles["a"].Name != "a" || roles["b"].Name != "b" {
		t.Errorf("NewRoles = %v", roles)
	}
	if len(NewRoles()) != 0 {
		t.Errorf("NewRoles() not empty")
	}
}

// TestEffectiveResolvesEachRoleOnce: a lattice of diamonds 64 levels deep has 2^64 include
// paths; a resolver that does not remember the roles it finished never returns.
func TestEffectiveResolvesEachRoleOnce(t *testing.T) {
	const depth = 64
	var roles []*v1alpha1.WorkCenterRole
	name := func(level int, side string) string { return fmt.Sprintf("l%02d-%s", level, side) }
	for i := 0; i < depth; i++ {
		for _, side := range []string{"a", "b"} {
			r := newRole(name(i, side))
			if i+1 < depth {
				includes(name(i+1, "a"), name(i+1, "b"))(r)
			} else {
				granular("folders.rename")(r)
			}
			roles = append(roles, r)
		}
	}
	top := newRole("top", includes(name(0, "a"), name(0, "b")))
	all := rolesWith(append(roles, top)...)

	done := make(chan Set, 1)
	go func() {
		s, err := all.Effective("top")
		if err != nil {
			t.Errorf("Effective: %v", err)
		}
		done <- s
	}()
	select {
	case s := <-done:
		equalSet(t, "Effective", s, []string{"workCenter.view", "folders.rename"})
	case <-time.After(10 * time.Second):
		t.Fatal("Effective did not return within 10s: roles reached through several paths are resolved again each time")
	}
}
