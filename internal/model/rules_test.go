package model

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func TestCollaboratorKinds(t *testing.T) {
	types := []v1alpha1.CollaboratorType{v1alpha1.Member, v1alpha1.Guest, ""}
	admins := []v1alpha1.AdminRole{"", v1alpha1.AdminRoleNone, v1alpha1.AdminRoleWorkCenterAdministrator,
		v1alpha1.AdminRoleUserAdministrator, v1alpha1.AdminRoleAccountAdministrator}
	for _, typ := range types {
		for _, ar := range admins {
			t.Run(fmt.Sprintf("%q/%q", typ, ar), func(t *testing.T) {
				c := newCollab("x", admin(ar))
				c.Spec.Type = typ
				isMember := typ == "Member"
				// effective access step 3 (docs/rules.md): Account and WorkCenter Administrators supersede;
				// R1: only a Member can be one.
				isAdmin := isMember && (ar == "AccountAdministrator" || ar == "WorkCenterAdministrator")
				isAccountAdmin := isMember && ar == "AccountAdministrator"
				if IsMember(c) != isMember {
					t.Errorf("IsMember = %v, want %v", IsMember(c), isMember)
				}
				if IsAdministrator(c) != isAdmin {
					t.Errorf("IsAdministrator = %v, want %v", IsAdministrator(c), isAdmin)
				}
				if IsAccountAdministrator(c) != isAccountAdmin {
					t.Errorf("IsAccountAdministrator = %v, want %v", IsAccountAdministrator(c), isAccountAdmin)
				}
			})
		}
	}
}

func TestCheckRoleForGuest(t *testing.T) {
	owner, _ := rolesWith().Effective("workcenter-owner")
	contributor, _ := rolesWith().Effective("contributor")
	cases := map[string]struct {
		collab    *v1alpha1.Collaborator
		role      string
		perms     Set
		wantViol  bool
		wantInMsg []string
	}{
		"member with owner":         {newCollab("m", member()), "workcenter-owner", owner, false, nil},
		"guest with contributor":    {newCollab("g"), "contributor", contributor, false, nil},
		"guest with view only":      {newCollab("g"), "viewer", NewSet("workCenter.view"), false, nil},
		"guest with empty set":      {newCollab("g"), "ghost", Set{}, false, nil},
		"guest with owner":          {newCollab("g"), "workcenter-owner", owner, true, append([]string{`"g"`, `"workcenter-owner"`, `"tower-a"`}, specMemberOnly()...)},
		"guest with one granular":   {newCollab("g"), "mover", NewSet("workCenter.view", "files.move"), true, []string{"mover", "files.move"}},
		"empty type is a guest":     {newCollab("g", func(c *v1alpha1.Collaborator) { c.Spec.Type = "" }), "mover", NewSet("files.copy"), true, []string{"files.copy"}},
		"guest with admin role set": {newCollab("g", admin(v1alpha1.AdminRoleAccountAdministrator)), "workcenter-owner", owner, true, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := CheckRoleForGuest(tc.collab, "tower-a", tc.role, tc.perms)
			if (v != nil) != tc.wantViol {
				t.Fatalf("CheckRoleForGuest = %v, want violation %v", v, tc.wantViol)
			}
			if v == nil {
				return
			}
			if v.Rule != "R2" || v.Reason != "RoleRequiresMember" {
				t.Errorf("violation %s/%s, want R2/RoleRequiresMember", v.Rule, v.Reason)
			}
			mustContain(t, "message", v.Message, tc.wantInMsg...)
			if v.Error() != v.Message {
				t.Errorf("Error() = %q, want the message", v.Error())
			}
			// Only member-only permissions are blamed.
			for p := range tc.perms {
				if !IsMemberOnly(p) && strings.Contains(v.Message, string(p)+",") {
					t.Errorf("message blames %q, which is not member-only: %s", p, v.Message)
				}
			}
		})
	}
}

func TestCheckGuestRoles(t *testing.T) {
	roles := rolesWith(
		newRole("foreman", withLevels(v1alpha1.RoleLevels{Tasks: v1alpha1.LevelAdmin})),
		newRole("lead", includes("foreman")),
		newRole("helper", includes("contributor"), granular("folders.create")),
		newRole("half", includes("ghost"), granular("files.copy")),
	)
	type want struct{ wc, role string }
	cases := map[string]struct {
		collab *v1alpha1.Collaborator
		want   []want
	}{
		"guest with guest-safe roles": {
			newCollab("g", assigned("a=contributor", "b=read-only", "c=helper")), nil,
		},
		"guest with owner and a custom member-only role, missing role skipped": {
			newCollab("g", assigned("a=contributor", "b=workcenter-owner", "c=ghost", "d=foreman", "e=lead")),
			[]want{{"b", "workcenter-owner"}, {"d", "foreman"}, {"e", "lead"}},
		},
		"member turned guest holding workcenter-owner (R3)": {
			newCollab("m", guest(), admin(v1alpha1.AdminRoleNone), assigned("a=workcenter-owner")),
			[]want{{"a", "workcenter-owner"}},
		},
		"member turned guest holding a custom member-only role (R3)": {
			newCollab("m", guest(), assigned("a=read-only", "b=lead")),
			[]want{{"b", "lead"}},
		},
		"role with a missing include is checked as far as it resolves": {
			newCollab("g", assigned("a=half")), []want{{"a", "half"}},
		},
		"member keeps member-only roles": {
			newCollab("m", member(), assigned("a=workcenter-owner", "b=lead")), nil,
		},
		"no assignments": {newCollab("g"), nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			vs := CheckGuestRoles(tc.collab, roles)
			if len(vs) != len(tc.want) {
				t.Fatalf("CheckGuestRoles = %d violations %v, want %d", len(vs), vs, len(tc.want))
			}
			for i, w := range tc.want {
				if vs[i].Reason != "RoleRequiresMember" {
					t.Errorf("violation %d reason %q", i, vs[i].Reason)
				}
				if vs[i].Rule != "R2" && vs[i].Rule != "R3" {
					t.Errorf("violation %d rule %q", i, vs[i].Rule)
				}
				mustContain(t, "message", vs[i].Message, `"`+w.wc+`"`, `"`+w.role+`"`, `"`+tc.collab.Name+`"`)
			}
		})
	}
}

func TestCheckRoleChange(t *testing.T) {
	baseRoles := func() Roles {
		return rolesWith(
			newRole("site", includes("base"), granular("folders.create")),
			newRole("base", withLevels(v1alpha1.RoleLevels{Posts: v1alpha1.LevelStandard})),
			newRole("foreman", withLevels(v1alpha1.RoleLevels{Tasks: v1alpha1.LevelAdmin})),
			newRole("lead", includes("foreman", "base")),
			newRole("unrelated"),
		)
	}
	g1 := newCollab("g1", assigned("tower-a=site"))
	g2 := newCollab("g2", assigned("tower-b=site", "tower-c=contributor"))
	m1 := newCollab("m1", member(), assigned("tower-a=site", "tower-b=base"))
	gFore := newCollab("g-fore", assigned("tower-a=foreman"))
	gLead := newCollab("g-lead", assigned("tower-a=lead"))
	gWait := newCollab("g-wait", assigned("tower-a=night-shift"))
	gEmpty := newCollab("g-empty", assigned("tower-d=site"), func(c *v1alpha1.Collaborator) { c.Spec.Type = "" })

	var many []*v1alpha1.Collaborator
	var manyNames []string
	for i := 0; i < 12; i++ {
		name := fmt.Sprintf("guest-%02d", i)
		many = append(many, newCollab(name, assigned("tower-a=site")))
		manyNames = append(manyNames, name)
	}

	cases := map[string]struct {
		role       *v1alpha1.WorkCenterRole
		collabs    []*v1alpha1.Collaborator
		wantViol   bool
		wantInMsg  []string
		wantNotMsg []string
	}{
		"role held by a guest made member-only": {
			role:      newRole("site", includes("base"), granular("folders.create", "tasks.create")),
			collabs:   []*v1alpha1.Collaborator{g1, m1},
			wantViol:  true,
			wantInMsg: []string{`"site"`, "g1", "tower-a", "tasks.create"},
			// A member holder is not a guest: not named.
			wantNotMsg: []string{"m1"},
		},
		"role held by a guest made member-only by a new include": {
			role:      newRole("site", includes("base", "workcenter-owner")),
			collabs:   []*v1alpha1.Collaborator{g1},
			wantViol:  true,
			wantInMsg: []string{"g1", "collaborators.remove", "workCenter.editSettings"},
		},
		"role included by a role a guest holds": {
			role:       newRole("base", withLevels(v1alpha1.RoleLevels{Posts: v1alpha1.LevelStandard, Folders: v1alpha1.LevelAdmin})),
			collabs:    []*v1alpha1.Collaborator{m1, g1, g2},
			wantViol:   true,
			wantInMsg:  []string{`"base"`, "g1 (site in tower-a)", "g2 (site in tower-b)", "folders.delete"},
			wantNotMsg: []string{"m1", "tower-c"},
		},
		"guest with the default (empty) type counts": {
			role:      newRole("site", granular("files.move")),
			collabs:   []*v1alpha1.Collaborator{gEmpty},
			wantViol:  true,
			wantInMsg: []string{"g-empty", "files.move"},
		},
		"member holders do not count": {
			role:    newRole("site", includes("workcenter-owner")),
			collabs: []*v1alpha1.Collaborator{m1},
		},
		"making a role non-member-only is fine": {
			role:    newRole("foreman", withLevels(v1alpha1.RoleLevels{Tasks: v1alpha1.LevelStandard})),
			collabs: []*v1alpha1.Collaborator{gFore, gLead},
		},
		"a guest-safe edit is fine": {
			role:    newRole("site", includes("base", "contributor"), granular("folders.rename")),
			collabs: []*v1alpha1.Collaborator{g1, g2},
		},
		"an unrelated role made member-only is fine": {
			role:    newRole("unrelated", includes("workcenter-owner")),
			collabs: []*v1alpha1.Collaborator{g1, g2},
		},
		"no collaborators": {
			role: newRole("site", includes("workcenter-owner")),
		},
		"a new role a guest waits for, created member-only": {
			role:      newRole("night-shift", granular("tasks.update")),
			collabs:   []*v1alpha1.Collaborator{gWait},
			wantViol:  true,
			wantInMsg: []string{`"night-shift"`, "g-wait", "tasks.update"},
		},
		"a new role a guest waits for, created guest-safe": {
			role:    newRole("night-shift", includes("read-only")),
			collabs: []*v1alpha1.Collaborator{gWait},
		},
		"an edit of a built-in held by a guest grants nothing": {
			role:    newRole("contributor", includes("workcenter-owner"), granular("tasks.create")),
			collabs: []*v1alpha1.Collaborator{g2},
		},
		"many guests are listed with the total": {
			role:      newRole("site", granular("tasks.create")),
			collabs:   many,
			wantViol:  true,
			wantInMsg: append(slices.Clone(manyNames[:10]), "and 2 more (12 in total)"),
			// Sorted: the last two are the ones left out.
			wantNotMsg: []string{"guest-10", "guest-11"},
		},
		// "would make a role held by a guest member-only": a role that was member-only
		// already is not made so by the change; the guest's assignment is Rejected
		// either way, and unrelated edits must not be blocked by it.
		"an edit of a role already member-only is not blamed": {
			role:    newRole("foreman", describe("now with a description"), withLevels(v1alpha1.RoleLevels{Tasks: v1alpha1.LevelAdmin})),
			collabs: []*v1alpha1.Collaborator{gFore},
		},
		"an edit below a role already member-only is not blamed": {
			role:    newRole("base", withLevels(v1alpha1.RoleLevels{Posts: v1alpha1.LevelStandard, Folders: v1alpha1.LevelAdmin})),
			collabs: []*v1alpha1.Collaborator{gLead},
		},
		"only the roles newly made member-only are named": {
			role:       newRole("base", withLevels(v1alpha1.RoleLevels{Posts: v1alpha1.LevelStandard, Folders: v1alpha1.LevelAdmin})),
			collabs:    []*v1alpha1.Collaborator{gLead, g1},
			wantViol:   true,
			wantInMsg:  []string{"g1 (site in tower-a)", "folders.delete"},
			wantNotMsg: []string{"g-lead", "tasks.create"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			roles := baseRoles()
			before := len(roles)
			v := CheckRoleChange(tc.role, roles, tc.collabs)
			if len(roles) != before || (roles[tc.role.Name] != nil && roles[tc.role.Name] == tc.role) {
				t.Errorf("CheckRoleChange modified the roles it was given")
			}
			if (v != nil) != tc.wantViol {
				t.Fatalf("CheckRoleChange = %v, want violation %v", v, tc.wantViol)
			}
			if v == nil {
				return
			}
			if v.Rule != "R2" || v.Reason != "RoleRequiresMember" {
				t.Errorf("violation %s/%s, want R2/RoleRequiresMember", v.Rule, v.Reason)
			}
			mustContain(t, "message", v.Message, tc.wantInMsg...)
			for _, s := range tc.wantNotMsg {
				if strings.Contains(v.Message, s) {
					t.Errorf("message %q mentions %q", v.Message, s)
				}
			}
		})
	}
}

func TestOlder(t *testing.T) {
	c := func(name string, opt collabOpt) *v1alpha1.Collaborator { return newCollab(name, opt) }
	cases := map[string]struct {
		a, b *v1alpha1.Collaborator
		want bool
	}{
		"earlier creation":             {c("z", created(1)), c("a", created(2)), true},
		"later creation":               {c("a", created(2)), c("z", created(1)), false},
		"same time, smaller name":      {c("a", created(3)), c("b", created(3)), true},
		"same time, larger name":       {c("b", created(3)), c("a", created(3)), false},
		"same object":                  {c("a", created(3)), c("a", created(3)), false},
		"created before not yet":       {c("z", created(1000)), c("a", notCreatedYet()), true},
		"not yet is newest":            {c("a", notCreatedYet()), c("z", created(1000)), false},
		"both not yet, smaller name":   {c("a", notCreatedYet()), c("b", notCreatedYet()), true},
		"both not yet, larger name":    {c("b", notCreatedYet()), c("a", notCreatedYet()), false},
		"sub-second times tie on name": {c("b", func(x *v1alpha1.Collaborator) { x.CreationTimestamp = at(5) }), c("a", created(5)), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Older(tc.a, tc.b); got != tc.want {
				t.Errorf("Older(%s, %s) = %v, want %v", tc.a.Name, tc.b.Name, got, tc.want)
			}
		})
	}
}

func TestAllocateLicenses(t *testing.T) {
	people := []*v1alpha1.Collaborator{
		newCollab("alice", member(), created(10)),
		newCollab("bob", member(), created(10)),
		newCollab("carol", member(), created(0)),
		newCollab("dave", member(), admin(v1alpha1.AdminRoleAccountAdministrator), created(5)),
		newCollab("erin", guest(), created(-100)), // the oldest, but a guest
		newCollab("frank", guest(), created(1)),
		newCollab("zed", member(), notCreatedYet()),
	}
	// Oldest first by creation time, then name: carol(0), dave(5), alice(10), bob(10), zed(new).
	cases := map[string]struct {
		licenses int32
		want     []string
	}{
		"0 licenses":                 {0, nil},
		"1 license":                  {1, []string{"carol"}},
		"2 licenses":                 {2, []string{"carol", "dave"}},
		"3 licenses, name tie":       {3, []string{"alice", "carol", "dave"}},
		"4 licenses":                 {4, []string{"alice", "bob", "carol", "dave"}},
		"5 licenses, all":            {5, []string{"alice", "bob", "carol", "dave", "zed"}},
		"more licenses than members": {100, []string{"alice", "bob", "carol", "dave", "zed"}},
	}
	orders := map[string][]*v1alpha1.Collaborator{
		"as listed": people,
		"reversed":  reversed(people),
		"rotated":   append(slices.Clone(people[3:]), people[:3]...),
	}
	for name, tc := range cases {
		for order, in := range orders {
			t.Run(name+"/"+order, func(t *testing.T) {
				got := AllocateLicenses(in, tc.licenses)
				var names []string
				for n, ok := range got {
					if !ok {
						t.Errorf("map holds %q=false", n)
					}
					names = append(names, n)
				}
				slices.Sort(names)
				if !slices.Equal(names, tc.want) {
					t.Errorf("AllocateLicenses(%d) = %v, want %v", tc.licenses, names, tc.want)
				}
				if int32(len(got)) > tc.licenses {
					t.Errorf("%d licensed with %d licenses", len(got), tc.licenses)
				}
			})
		}
	}
	if got := AllocateLicenses(nil, 5); len(got) != 0 {
		t.Errorf("no collaborators: %v", got)
	}
	guestsOnly := []*v1alpha1.Collaborator{newCollab("g1"), newCollab("g2")}
	if got := AllocateLicenses(guestsOnly, 5); len(got) != 0 {
		t.Errorf("guests got licenses: %v", got)
	}
}

func reversed[T any](s []T) []T {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

func TestCheckLicenseAvailable(t *testing.T) {
	m1 := newCollab("m1", member(), created(0))
	m2 := newCollab("m2", member(), created(1))
	g1 := newCollab("g1", created(2))
	cases := map[string]struct {
		c, old   *v1alpha1.Collaborator
		existing []*v1alpha1.Collaborator
		account  *v1alpha1.Account
		wantViol bool
	}{
		"new member, none free": {
			newCollab("new", member(), notCreatedYet()), nil, []*v1alpha1.Collaborator{m1, m2, g1}, newAccount(licenses(2)), true,
		},
		"new member, one free": {
			newCollab("new", member(), notCreatedYet()), nil, []*v1alpha1.Collaborator{m1, m2, g1}, newAccount(licenses(3)), false,
		},
		"new member, 0 licenses": {
			newCollab("new", member(), notCreatedYet()), nil, nil, newAccount(licenses(0)), true,
		},
		"guests use no license": {
			newCollab("new", member(), notCreatedYet()), nil, []*v1alpha1.Collaborator{g1, newCollab("g2"), newCollab("g3")}, newAccount(licenses(1)), false,
		},
		"new guest with 0 licenses": {
			newCollab("new", notCreatedYet()), nil, []*v1alpha1.Collaborator{m1, m2}, newAccount(licenses(0)), false,
		},
		"guest upgraded to member, none free": {
			newCollab("g1", member(), created(2)), g1, []*v1alpha1.Collaborator{m1, m2, g1}, newAccount(licenses(2)), true,
		},
		"guest upgraded to member, one free": {
			newCollab("g1", member(), created(2)), g1, []*v1alpha1.Collaborator{m1, m2, g1}, newAccount(licenses(3)), false,
		},
		"member staying member is not re-checked": {
			newCollab("m2", member(), admin(v1alpha1.AdminRoleUserAdministrator), created(1)), m2, []*v1alpha1.Collaborator{m1, m2}, newAccount(licenses(1)), false,
		},
		"member turned guest is not checked": {
			newCollab("m2", created(1)), m2, []*v1alpha1.Collaborator{m1, m2}, newAccount(licenses(0)), false,
		},
		"the collaborator itself in the list is not counted": {
			newCollab("m3", member(), created(3)), newCollab("m3", created(3)), []*v1alpha1.Collaborator{m1, m2, newCollab("m3", member(), created(3))}, newAccount(licenses(3)), false,
		},
		"no account yet: nothing to check against": {
			newCollab("new", member(), notCreatedYet()), nil, []*v1alpha1.Collaborator{m1, m2}, nil, false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := CheckLicenseAvailable(tc.c, tc.old, tc.existing, tc.account)
			if (v != nil) != tc.wantViol {
				t.Fatalf("CheckLicenseAvailable = %v, want violation %v", v, tc.wantViol)
			}
			if v == nil {
				return
			}
			if v.Rule != "R4" || v.Reason != "LicenseLimitExceeded" {
				t.Errorf("violation %s/%s, want R4/LicenseLimitExceeded", v.Rule, v.Reason)
			}
			mustContain(t, "message", v.Message, `"acme"`, `"`+tc.c.Name+`"`, fmt.Sprintf("of %d licenses", tc.account.Spec.Licenses))
		})
	}
}

func TestSameEmailAndCheckEmailUnique(t *testing.T) {
	janeA := newCollab("jane-a", email("Jane@Example.com"), created(0))
	janeB := newCollab("jane-b", email("jane@example.com"), created(5))
	janeC := newCollab("jane-c", email("JANE@EXAMPLE.COM"), created(5))
	other := newCollab("other", email("other@example.com"), created(-10))
	tieA := newCollab("tie-a", email("tie@example.com"), created(7))
	tieB := newCollab("tie-b", email("TIE@example.com"), created(7))
	all := []*v1alpha1.Collaborator{janeC, other, janeB, tieB, janeA, tieA}

	cases := map[string]struct {
		c          *v1alpha1.Collaborator
		wantSame   []string
		wantHolder string // "" when no violation
	}{
		"the oldest keeps the email":             {janeA, []string{"jane-b", "jane-c"}, ""},
		"a younger one is told the oldest":       {janeB, []string{"jane-a", "jane-c"}, "jane-a"},
		"the youngest is told the oldest, too":   {janeC, []string{"jane-a", "jane-b"}, "jane-a"},
		"a new object is the newest":             {newCollab("jane-new", email("JaNe@example.COM"), notCreatedYet()), []string{"jane-a", "jane-b", "jane-c"}, "jane-a"},
		"same time: the smaller name wins":       {tieA, []string{"tie-b"}, ""},
		"same time: the larger name loses":       {tieB, []string{"tie-a"}, "tie-a"},
		"unique email":                           {other, nil, ""},
		"a new object with a unique email":       {newCollab("new", email("new@example.com"), notCreatedYet()), nil, ""},
		"an update of itself is not a duplicate": {newCollab("other", email("OTHER@example.com"), created(-10)), nil, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var same []string
			for _, o := range SameEmail(tc.c, all) {
				same = append(same, o.Name)
			}
			slices.Sort(same)
			if !slices.Equal(same, tc.wantSame) {
				t.Errorf("SameEmail = %v, want %v", same, tc.wantSame)
			}
			// The holder named is the oldest, whatever the list order.
			for _, list := range [][]*v1alpha1.Collaborator{all, reversed(all)} {
				v := CheckEmailUnique(tc.c, list)
				if (v != nil) != (tc.wantHolder != "") {
					t.Fatalf("CheckEmailUnique = %v, want holder %q", v, tc.wantHolder)
				}
				if v == nil {
					continue
				}
				if v.Rule != "R5" || v.Reason != "DuplicateEmail" {
					t.Errorf("violation %s/%s, want R5/DuplicateEmail", v.Rule, v.Reason)
				}
				mustContain(t, "message", v.Message, `"`+tc.wantHolder+`"`, tc.c.Spec.Email)
				for _, o := range list {
					if o.Name != tc.wantHolder && strings.Contains(v.Message, `"`+o.Name+`"`) {
						t.Errorf("message %q names %q, not only the oldest %q", v.Message, o.Name, tc.wantHolder)
					}
				}
			}
		})
	}
}

// TestEmailUniqueExactlyOneKeeps: in any group sharing an email, exactly one (the oldest)
// has no violation, whatever the list order.
func TestEmailUniqueExactlyOneKeeps(t *testing.T) {
	group := []*v1alpha1.Collaborator{
		newCollab("p", email("x@y.z"), created(3)),
		newCollab("q", email("X@Y.Z"), created(1)),
		newCollab("r", email("x@Y.z"), created(2)),
		newCollab("s", email("x@y.Z"), created(1)),
	}
	for _, in := range [][]*v1alpha1.Collaborator{group, reversed(group)} {
		var keepers []string
		for _, c := range in {
			if CheckEmailUnique(c, in) == nil {
				keepers = append(keepers, c.Name)
			}
		}
		if !slices.Equal(keepers, []string{"q"}) {
			t.Errorf("keepers = %v, want [q] (oldest, then name)", keepers)
		}
	}
}

func TestCheckCategory(t *testing.T) {
	wc := func(category string) *v1alpha1.WorkCenter {
		w := newWorkCenter("tower-a", false)
		w.Spec.Category = category
		return w
	}
	cases := map[string]struct {
		wc        *v1alpha1.WorkCenter
		account   *v1alpha1.Account
		wantViol  bool
		wantInMsg []string
	}{
		"in the list":                {wc("Commercial"), newAccount(categories("Residential", "Commercial")), false, nil},
		"not in the list":            {wc("Industrial"), newAccount(categories("Residential", "Commercial")), true, []string{`"tower-a"`, `"Industrial"`, `"acme"`, "Residential, Commercial"}},
		"empty category":             {wc(""), newAccount(categories("Residential")), false, nil},
		"empty category, none":       {wc(""), newAccount(), false, nil},
		"no account yet":             {wc("Industrial"), nil, false, nil},
		"account with no categories": {wc("Residential"), newAccount(), true, []string{`"Residential"`, "no workCenterCategories"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := CheckCategory(tc.wc, tc.account)
			if (v != nil) != tc.wantViol {
				t.Fatalf("CheckCategory = %v, want violation %v", v, tc.wantViol)
			}
			if v == nil {
				return
			}
			if v.Rule != "R8" || v.Reason != "UnknownCategory" {
				t.Errorf("violation %s/%s, want R8/UnknownCategory", v.Rule, v.Reason)
			}
			mustContain(t, "message", v.Message, tc.wantInMsg...)
		})
	}
}

func TestCheckRoleNotTerminating(t *testing.T) {
	jane := newCollab("jane")
	cases := map[string]struct {
		role     *v1alpha1.WorkCenterRole
		wantViol bool
	}{
		"no role":           {nil, false},
		"live role":         {newRole("site"), false},
		"terminating":       {newRole("site", terminating()), true},
		"zero time is live": {newRole("site", func(r *v1alpha1.WorkCenterRole) { r.DeletionTimestamp = &metav1.Time{} }), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := CheckRoleNotTerminating(jane, "tower-a", tc.role)
			if (v != nil) != tc.wantViol {
				t.Fatalf("CheckRoleNotTerminating = %v, want violation %v", v, tc.wantViol)
			}
			if v == nil {
				return
			}
			if v.Rule != "R10" || v.Reason != "RoleTerminating" {
				t.Errorf("violation %s/%s, want R10/RoleTerminating", v.Rule, v.Reason)
			}
			mustContain(t, "message", v.Message, `"site"`, `"jane"`, `"tower-a"`)
		})
	}
}

func TestListWithTotal(t *testing.T) {
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("u%d", i+1)
		}
		return out
	}
	cases := map[string]struct {
		names []string
		limit int
		want  string
	}{
		"none":            {nil, 10, ""},
		"one":             {names(1), 10, "u1"},
		"under the limit": {names(3), 10, "u1, u2, u3"},
		"at the limit":    {names(10), 10, "u1, u2, u3, u4, u5, u6, u7, u8, u9, u10"},
		"over the limit":  {names(13), 10, "u1, u2, u3, u4, u5, u6, u7, u8, u9, u10 and 3 more (13 in total)"},
		"one over":        {names(3), 2, "u1, u2 and 1 more (3 in total)"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := ListWithTotal(tc.names, tc.limit); got != tc.want {
				t.Errorf("ListWithTotal = %q, want %q", got, tc.want)
			}
		})
	}
}

// HoldsLicense decides for one Member exactly what AllocateLicenses decides for all.
func TestHoldsLicenseAgreesWithAllocateLicenses(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		n := rng.IntN(30)
		var cs []*v1alpha1.Collaborator
		for i := range n {
			opts := []collabOpt{created(rng.IntN(10))}
			if rng.IntN(3) > 0 {
				opts = append(opts, member())
			} else {
				opts = append(opts, guest())
			}
			cs = append(cs, newCollab(fmt.Sprintf("c%02d", i), opts...))
		}
		licenses := int32(rng.IntN(n + 2))
		want := AllocateLicenses(cs, licenses)
		for _, c := range cs {
			if got := HoldsLicense(c, cs, licenses); got != want[c.Name] {
				t.Fatalf("round %d, %d licenses: HoldsLicense(%s) = %v, AllocateLicenses says %v", round, licenses, c.Name, got, want[c.Name])
			}
		}
	}
}
