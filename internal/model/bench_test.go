package model

import (
	"fmt"
	"testing"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// benchRoles is a realistic large account: the built-ins plus 200 custom roles in 40
// include chains of depth 5 (chain-NN-0 includes chain-NN-1 ... includes chain-NN-4,
// which includes a built-in), each role with levels and a granular permission. Every
// tenth chain ends in workcenter-owner, so some chains are member-only.
func benchRoles() Roles {
	var roles []*v1alpha1.WorkCenterRole
	levels := []v1alpha1.Level{v1alpha1.LevelNone, v1alpha1.LevelReadOnly, v1alpha1.LevelStandard}
	extras := []string{"folders.create", "posts.edit", "tasks.delete", "taskComments.delete", "files.upload"}
	for c := 0; c < 40; c++ {
		for d := 0; d < 5; d++ {
			r := newRole(fmt.Sprintf("chain-%02d-%d", c, d),
				withLevels(v1alpha1.RoleLevels{Files: levels[(c+d)%3], Folders: levels[c%3], Tasks: levels[d%3]}),
				granular(extras[(c+d)%len(extras)]))
			switch {
			case d < 4:
				includes(fmt.Sprintf("chain-%02d-%d", c, d+1))(r)
			case c%10 == 0:
				includes("workcenter-owner")(r)
			default:
				includes("contributor")(r)
			}
			if d == 0 && c > 0 {
				// Cross links make diamonds, as real accounts have.
				includes(fmt.Sprintf("chain-%02d-2", c-1))(r)
			}
			roles = append(roles, r)
		}
	}
	return rolesWith(roles...)
}

// benchCollaborators is 5,000 people: every third a Member, the rest Guests, each with
// three assignments to the tops of guest-safe chains.
func benchCollaborators() []*v1alpha1.Collaborator {
	out := make([]*v1alpha1.Collaborator, 0, 5000)
	for i := 0; i < 5000; i++ {
		opts := []collabOpt{created(5000 - i)}
		if i%3 == 0 {
			opts = append(opts, member())
		}
		chain := func(k int) int {
			c := (i + k*7) % 40
			if c%10 <= 1 {
				c += 2 // keep guests off member-only chains (and chains linking into them)
			}
			return c
		}
		opts = append(opts, assigned(
			fmt.Sprintf("wc-%d=chain-%02d-0", i%50, chain(0)),
			fmt.Sprintf("wc-%d=chain-%02d-1", 50+i%50, chain(1)),
			fmt.Sprintf("wc-%d=chain-%02d-3", 100+i%50, chain(2)),
		))
		out = append(out, newCollab(fmt.Sprintf("person-%04d", i), opts...))
	}
	return out
}

func BenchmarkRolesEffective(b *testing.B) {
	roles := benchRoles()
	if _, err := roles.Effective("chain-05-0"); err != nil {
		b.Fatal(err)
	}
	b.Run("one role, depth 5", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := roles.Effective("chain-05-0"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("all 203 roles", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for name := range roles {
				if _, err := roles.Effective(name); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkDependents(b *testing.B) {
	roles := benchRoles()
	b.ReportAllocs()
	for b.Loop() {
		_ = roles.Dependents("chain-20-4")
	}
}

func BenchmarkAllocateLicenses(b *testing.B) {
	collabs := benchCollaborators()
	b.ReportAllocs()
	for b.Loop() {
		if got := AllocateLicenses(collabs, 1000); len(got) != 1000 {
			b.Fatalf("%d licensed", len(got))
		}
	}
}

func BenchmarkCheckRoleChange(b *testing.B) {
	roles := benchRoles()
	collabs := benchCollaborators()
	b.Run("guest-safe edit of a shared role", func(b *testing.B) {
		changed := roles["chain-11-4"].DeepCopy()
		changed.Spec.Description = "edited"
		b.ReportAllocs()
		for b.Loop() {
			if v := CheckRoleChange(changed, roles, collabs); v != nil {
				b.Fatal(v)
			}
		}
	})
	b.Run("edit that makes a shared role member-only", func(b *testing.B) {
		changed := roles["chain-11-4"].DeepCopy()
		changed.Spec.Permissions = append(changed.Spec.Permissions, "tasks.create")
		b.ReportAllocs()
		for b.Loop() {
			if v := CheckRoleChange(changed, roles, collabs); v == nil {
				b.Fatal("no violation")
			}
		}
	})
}

func BenchmarkEffectiveAccess(b *testing.B) {
	roles := benchRoles()
	account := newAccount(licenses(100))
	open := newWorkCenter("wc-1", false)
	archived := newWorkCenter("wc-2", true)
	st := &v1alpha1.WorkCenterAssignmentStatus{Name: "wc-1", Role: "chain-05-0", State: v1alpha1.AssignmentActive}
	cases := map[string]AccessInput{
		"member with a depth-5 role": {Account: account, Collaborator: newCollab("m", member()), Licensed: true,
			WorkCenter: open, Assignment: st, Roles: roles},
		"account administrator": {Account: account, Collaborator: newCollab("a", member(), admin(v1alpha1.AdminRoleAccountAdministrator)),
			Licensed: true, WorkCenter: open, Roles: roles},
		"archived WorkCenter": {Account: account, Collaborator: newCollab("m", member()), Licensed: true,
			WorkCenter: archived, Assignment: st, Roles: roles},
	}
	for name, in := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if len(EffectiveAccess(in)) == 0 {
					b.Fatal("no access")
				}
			}
		})
	}
}

func BenchmarkEvaluateAssignment(b *testing.B) {
	roles := benchRoles()
	in := AssignmentInput{
		Account: newAccount(), Collaborator: newCollab("g"), Assignment: v1alpha1.WorkCenterAssignment{Name: "wc-1", Role: "chain-05-0"},
		WorkCenter: newWorkCenter("wc-1", false), Roles: roles,
	}
	b.ReportAllocs()
	for b.Loop() {
		if st := EvaluateAssignment(in); st.State != v1alpha1.AssignmentActive {
			b.Fatal(st)
		}
	}
}

// BenchmarkValidateAsCollaborator is admission of one change made by a Collaborator of a
// 5,000-person account (delegated administration first): allowed to an Account
// Administrator, refused to a Member (the refusal names who holds the capability).
func BenchmarkValidateAsCollaborator(b *testing.B) {
	objs := []any{newAccount(licenses(5000))}
	for _, r := range benchRoles() {
		objs = append(objs, r)
	}
	for i := range 150 {
		objs = append(objs, newWorkCenter(fmt.Sprintf("wc-%d", i), false))
	}
	people := benchCollaborators()
	people[0] = newCollab("boss", member(), admin(v1alpha1.AdminRoleAccountAdministrator), created(0))
	for _, c := range people {
		objs = append(objs, c)
	}
	a, err := Build(testNamespace, objs...)
	if err != nil {
		b.Fatal(err)
	}
	target := people[10]
	renamed := target.DeepCopy()
	renamed.Spec.DisplayName = "renamed"
	member := people[3]
	for name, tc := range map[string]struct {
		username string
		refused  bool
	}{
		"Account Administrator, allowed": {people[0].Spec.Email, false},
		"Member, refused":                {member.Spec.Email, true},
		"no Collaborator":                {"kubernetes-admin", false},
	} {
		b.Run(name, func(b *testing.B) {
			r := Request[*v1alpha1.Collaborator]{Operation: Update, Old: target, Object: renamed, Username: tc.username}
			b.ReportAllocs()
			for b.Loop() {
				if refused := len(a.ValidateCollaborator(r).Errors()) > 0; refused != tc.refused {
					b.Fatalf("refused %v, want %v", refused, tc.refused)
				}
			}
		})
	}
}
