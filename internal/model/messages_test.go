package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func TestBound(t *testing.T) {
	cases := map[string]struct {
		in   string
		max  int
		want string
	}{
		"fits":                     {"abc", 3, "abc"},
		"cut, ascii":               {"abcdef", 5, "ab…"},
		"cut inside a rune":        {"aüüü", 6, "aü…"}, // "aü" is 3 bytes, "…" 3
		"cut right after a rune":   {"üüüü", 7, "üü…"},
		"max smaller than the cut": {"abcdef", 2, ""},
		"empty":                    {"", 0, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Bound(tc.in, tc.max)
			if got != tc.want || len(got) > tc.max || !utf8.ValidString(got) {
				t.Fatalf("Bound(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func TestShort(t *testing.T) {
	at63 := strings.Repeat("a", 63)
	cases := map[string]struct{ in, want string }{
		"short name":         {"tower-a", "tower-a"},
		"63 runes: whole":    {at63, at63},
		"64 runes: shown 62": {at63 + "b", strings.Repeat("a", 62) + "…"},
		"multi-byte":         {strings.Repeat("é", 100), strings.Repeat("é", 62) + "…"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Short(tc.in); got != tc.want {
				t.Fatalf("Short = %q, want %q", got, tc.want)
			}
		})
	}
}

// longest is a valid name of n characters.
func longest(prefix string, n int) string {
	return prefix + strings.Repeat("x", n-len(prefix))
}

// wide is n characters of 4 bytes each: a schema counts characters, a field's limit
// and Bound count bytes.
func wide(n int) string { return strings.Repeat("𝔘", n) }

func TestListWithin(t *testing.T) {
	long := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = longest(fmt.Sprintf("user-%03d-", i), 253)
		}
		return out
	}
	shown := func(prefix string) string { return prefix + strings.Repeat("x", 62-len(prefix)) + "…" }
	cases := map[string]struct {
		names      []string
		limit, max int
		want       string
	}{
		"all fit":             {[]string{"a", "b"}, 10, 100, "a, b"},
		"limit first":         {[]string{"a", "b", "c"}, 2, 100, "a, b and 1 more (3 in total)"},
		"budget first":        {[]string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd"}, 10, 40, "aaaaaaaaaa and 3 more (4 in total)"},
		"exactly at budget":   {[]string{"aaaa", "bbbb"}, 10, 10, "aaaa, bbbb"},
		"nothing fits":        {[]string{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"}, 10, 33, "3 in total"},
		"nothing fits at all": {[]string{"aaaa", "bbbb"}, 10, 5, "2 …"},
		"long names, shortened, as many as fit": {long(12), 10, 400,
			strings.Join([]string{shown("user-000-"), shown("user-001-"), shown("user-002-"), shown("user-003-"), shown("user-004-")}, ", ") + " and 7 more (12 in total)"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ListWithin(tc.names, tc.limit, tc.max)
			if got != tc.want || len(got) > tc.max {
				t.Fatalf("ListWithin = %q (%d bytes), want %q", got, len(got), tc.want)
			}
		})
	}
}

func TestChain(t *testing.T) {
	cases := map[string]struct {
		path []string
		want string
	}{
		"short":  {[]string{"a", "b", "a"}, "a -> b -> a"},
		"at max": {[]string{"a", "b", "c", "d", "e", "f", "g", "a"}, "a -> b -> c -> d -> e -> f -> g -> a"},
		"longer": {[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "a"}, "a -> b -> c -> d -> e -> f -> g -> … 2 more … -> a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := chain(tc.path); got != tc.want {
				t.Fatalf("chain = %q, want %q", got, tc.want)
			}
		})
	}
}

// The reproduced defect: a Guest named with 244 characters, assigned in a WorkCenter
// with a 243-character name to a role with a 245-character name that has member-only
// permissions: the R2 message was over 1024 bytes, so every status patch was refused.
// Each name is now shown by its first 62 characters, and the whole message stays.
func TestLongNamesKeepAReadableMessage(t *testing.T) {
	guestName, wcName, roleName := longest("guest-", 244), longest("tower-", 243), longest("planner-", 245)
	c := newCollab(guestName, guest(), assigned(wcName+"="+roleName))
	got := EvaluateAssignment(AssignmentInput{
		Account: newAccount(), Collaborator: c, WorkCenter: newWorkCenter(wcName, false),
		Assignment: v1alpha1.WorkCenterAssignment{Name: v1alpha1.ObjectName(wcName), Role: v1alpha1.ObjectName(roleName)},
		Roles:      rolesWith(newRole(roleName, granular("tasks.create", "folders.delete"))),
	})
	want := `Guest "guest-` + strings.Repeat("x", 56) + `…" cannot hold role "planner-` + strings.Repeat("x", 54) +
		`…" in WorkCenter "tower-` + strings.Repeat("x", 56) +
		`…": the role has member-only permissions (folders.delete, tasks.create); make the collaborator a Member or choose a role without them`
	if got.State != v1alpha1.AssignmentRejected || got.Reason != v1alpha1.ReasonRoleRequiresMember || got.Message != want {
		t.Fatalf("got %s/%s %q, want Rejected/RoleRequiresMember %q", got.State, got.Reason, got.Message, want)
	}
	if len(got.Message) > MaxAssignmentMessage {
		t.Fatalf("message of %d bytes", len(got.Message))
	}
}

// Every message that names objects or permissions stays within the field it goes to,
// in whole runes, when every name and list is at its maximum and names are made of
// 4-byte characters wherever the schema allows them (emails, categories); and it is
// bounded where it is built: the names inside are shortened, lists say "and N more",
// and the message keeps its end (tail), so a controller's final Bound cuts nothing.
func TestMessagesAtMaximumLengths(t *testing.T) {
	guestName, wcName, roleName := longest("guest", 253), longest("tower", 253), longest("planner", 253)
	addr := wide(200) + "@" + strings.Repeat("d", 53) // 254 characters, 854 bytes
	guestC := newCollab(guestName, guest(), email(addr), assigned(wcName+"="+roleName))
	memberC := newCollab(longest("member", 253), member(), email(addr), assigned(wcName+"="+roleName))
	acct := newAccount(licenses(0))
	acct.Name = longest("account", 253)
	var cats []string
	for i := range 256 {
		cats = append(cats, fmt.Sprintf("%03d", i)+wide(61))
	}
	categories(cats...)(acct)

	var all []string
	for _, p := range All().Sorted() {
		all = append(all, string(p))
	}
	wideRole := newRole(roleName, granular(all...))
	// A cycle of 300 roles, and a chain of 300 includes ending in a missing one.
	var cycle, dangling []*v1alpha1.WorkCenterRole
	for i := range 300 {
		cycle = append(cycle, newRole(longest(fmt.Sprintf("cyc-%03d", i), 253), includes(longest(fmt.Sprintf("cyc-%03d", (i+1)%300), 253))))
		dangling = append(dangling, newRole(longest(fmt.Sprintf("dng-%03d", i), 253), includes(longest(fmt.Sprintf("dng-%03d", i+1), 253))))
	}
	// 100 roles include the first of the cycle.
	var includers []*v1alpha1.WorkCenterRole
	for i := range 100 {
		includers = append(includers, newRole(longest(fmt.Sprintf("inc-%03d", i), 253), includes(cycle[0].Name)))
	}
	roles := rolesWith(append(append(append([]*v1alpha1.WorkCenterRole{wideRole}, cycle...), dangling...), includers...)...)
	wc := newWorkCenter(wcName, true)
	wc.Spec.Category = wide(64)
	terminatingRole := wideRole.DeepCopy()
	terminating()(terminatingRole)

	// 300 guests, each holding the first role of the cycle in 256 WorkCenters.
	var guests []*v1alpha1.Collaborator
	for i := range 300 {
		g := newCollab(longest(fmt.Sprintf("g%03d", i), 253), guest())
		for j := range 256 {
			assigned(longest(fmt.Sprintf("w%03d", j), 253) + "=" + cycle[0].Name)(g)
		}
		guests = append(guests, g)
	}
	manyOwners := newCollab(guestName, guest())
	for j := range 256 {
		assigned(longest(fmt.Sprintf("w%03d", j), 253) + "=" + roleName)(manyOwners)
	}
	holder := newCollab(longest("holder", 253), member(), email(addr), created(1))
	dupe := newCollab(longest("dupe", 253), member(), email(addr), created(2))
	full := newAccount(licenses(1))
	full.Name = acct.Name

	evaluate := func(c *v1alpha1.Collaborator, role string, mod func(*AssignmentInput)) string {
		in := AssignmentInput{Account: acct, Collaborator: c, Assignment: v1alpha1.WorkCenterAssignment{
			Name: v1alpha1.ObjectName(wcName), Role: v1alpha1.ObjectName(role)}, WorkCenter: wc, Roles: roles}
		if mod != nil {
			mod(&in)
		}
		return EvaluateAssignment(in).Message
	}
	licensed := func(in *AssignmentInput) { in.Licensed = true }
	cases := map[string]struct {
		msg string
		max int
		// has are parts the message holds; end is how it ends, whole (nothing was cut).
		has []string
		end string
	}{
		"assignment, AccountNotFound": {evaluate(memberC, roleName, func(in *AssignmentInput) { in.Account = nil }), MaxAssignmentMessage,
			nil, "waiting for an Account in the namespace"},
		"assignment, AccountDeactivated": {evaluate(memberC, roleName, func(in *AssignmentInput) { in.Account = deactivatedCopy(acct) }), MaxAssignmentMessage,
			[]string{`Account "accountx`}, "until it is Active again"},
		"assignment, R5": {evaluate(dupe, roleName, func(in *AssignmentInput) {
			in.DuplicateEmail = CheckEmailUnique(dupe, []*v1alpha1.Collaborator{holder, dupe})
		}), MaxAssignmentMessage, []string{"already used", `"` + wide(62) + `…"`}, "(case-insensitive)"},
		"assignment, WorkCenterNotFound": {evaluate(memberC, roleName, func(in *AssignmentInput) { in.WorkCenter = nil }), MaxAssignmentMessage,
			[]string{`waiting for WorkCenter "towerx`}, `x…"`},
		"assignment, RoleNotFound": {evaluate(memberC, longest("ghost", 253), nil), MaxAssignmentMessage,
			[]string{`waiting for WorkCenterRole "ghostx`}, `x…"`},
		"assignment, R10": {evaluate(memberC, roleName, func(in *AssignmentInput) { licensed(in); in.Roles = rolesWith(terminatingRole) }), MaxAssignmentMessage,
			[]string{"is being deleted", `in WorkCenter "towerx`}, `x…"`},
		"assignment, cycle of 300": {evaluate(memberC, cycle[0].Name, licensed), MaxAssignmentMessage,
			[]string{"cannot be resolved", "in a cycle", "-> … 293 more … -> cyc-000"}, "x…"},
		"assignment, missing include": {evaluate(memberC, dangling[0].Name, licensed), MaxAssignmentMessage,
			[]string{"which does not exist", "-> … 293 more … -> dng-300"}, "x…)"},
		"assignment, R2": {evaluate(guestC, roleName, nil), MaxAssignmentMessage,
			[]string{"member-only", "tasks.create"}, "choose a role without them"},
		"assignment, R4": {evaluate(memberC, roleName, nil), MaxAssignmentMessage,
			[]string{"holds none of Account"}, "0 licenses"},
		"assignment, archived": {evaluate(memberC, roleName, licensed), MaxAssignmentMessage,
			nil, "access is cut to workCenter.view and files.download"},
		"R2, CheckRoleForGuest": {CheckRoleForGuest(guestC, wcName, roleName, All()).Message, MaxEventNote,
			[]string{"tasks.create"}, "choose a role without them"},
		"R2, CheckGuestRoles, 256 assignments": {checkGuestRolesMessages(t, manyOwners, roles), MaxEventNote,
			nil, "choose a role without them"},
		"R2, role change, 300 guests in 256 WorkCenters each": {checkRoleChangeMessage(t, roles, cycle[0], guests), MaxEventNote,
			[]string{"in w000", "x…, cyc-000", "x… and 254 more)", "(300 in total)"}, "assign them another role first"},
		"R4, CheckLicenseAvailable": {CheckLicenseAvailable(memberC, nil, []*v1alpha1.Collaborator{holder}, full).Message, MaxEventNote,
			nil, "add the collaborator as a Guest"},
		"R5, CheckEmailUnique": {CheckEmailUnique(dupe, []*v1alpha1.Collaborator{holder, dupe}).Message, MaxEventNote,
			nil, "(case-insensitive)"},
		"R8, CheckCategory": {CheckCategory(wc, acct).Message, MaxEventNote,
			[]string{"known categories: 000"}, "(256 in total))"},
		"R10, CheckRoleNotTerminating": {CheckRoleNotTerminating(memberC, wcName, terminatingRole).Message, MaxEventNote,
			[]string{"in WorkCenter"}, `x…"`},
		"CycleError of 300": {cycleError(t, roles, cycle[0].Name), MaxEventNote,
			nil, "-> … 293 more … -> cyc-000" + strings.Repeat("x", 55) + "…"},
		"RoleNotFoundError, 300 deep": {cycleError(t, roles, dangling[0].Name), MaxEventNote,
			nil, "-> … 293 more … -> dng-300" + strings.Repeat("x", 55) + "…)"},
		"R6, RoleUse of 300 users, 101 roles": {UseOf(cycle[0].Name, guests, roles).String(), MaxRoleUseMessage,
			[]string{"assigned to 300 users in 76800 assignments: g000", "(300 in total); included by roles: cyc-299"}, "(101 in total)"},
		"R6, RoleUse, included only": {UseOf(cycle[0].Name, nil, roles).String(), MaxRoleUseMessage,
			[]string{"included by roles: cyc-299"}, "(101 in total)"},
		"R11, AccountUse": {UseOfAccount(nil, includers, guests).String(), MaxRoleUseMessage,
			nil, "0 WorkCenters, 100 custom WorkCenterRoles and 300 Collaborators"},
		"ListWithTotal, 300 long names": {ListWithTotal(names(guests), MaxUsersListed), MaxListInMessage,
			nil, "and 293 more (300 in total)"},
		"ListWithTotal, 256 wide items": {ListWithTotal(cats, MaxUsersListed), MaxListInMessage,
			nil, "(256 in total)"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.msg == "" {
				t.Fatal("no message")
			}
			if len(tc.msg) > tc.max || !utf8.ValidString(tc.msg) {
				t.Fatalf("message of %d bytes (max %d), valid UTF-8 %v: %.300q", len(tc.msg), tc.max, utf8.ValidString(tc.msg), tc.msg)
			}
			mustContain(t, "message", tc.msg, tc.has...)
			if !strings.HasSuffix(tc.msg, tc.end) {
				t.Errorf("message does not end in %q (cut?): %q", tc.end, tc.msg)
			}
		})
	}
}

func deactivatedCopy(a *v1alpha1.Account) *v1alpha1.Account {
	c := a.DeepCopy()
	deactivated()(c)
	return c
}

func cycleError(t *testing.T, roles Roles, name string) string {
	t.Helper()
	_, err := roles.Effective(name)
	if err == nil {
		t.Fatal("no error")
	}
	return err.Error()
}

func checkGuestRolesMessages(t *testing.T, c *v1alpha1.Collaborator, roles Roles) string {
	t.Helper()
	vs := CheckGuestRoles(c, roles)
	if len(vs) != 256 {
		t.Fatalf("%d violations, want 256", len(vs))
	}
	longest := ""
	for _, v := range vs {
		if len(v.Message) > len(longest) {
			longest = v.Message
		}
	}
	return longest
}

func checkRoleChangeMessage(t *testing.T, roles Roles, role *v1alpha1.WorkCenterRole, guests []*v1alpha1.Collaborator) string {
	t.Helper()
	// The role in the cycle gains a member-only permission: every guest holding it is named.
	changed := role.DeepCopy()
	changed.Spec.Includes = nil
	granular("tasks.create")(changed)
	v := CheckRoleChange(changed, roles, guests)
	if v == nil {
		t.Fatal("no violation")
	}
	return v.Message
}

// A guest holding the role in several WorkCenters is named once, with the first two
// and a count, so that the list of guests is a list of people.
func TestCheckRoleChangeNamesEachGuestOnce(t *testing.T) {
	roles := rolesWith(newRole("site"))
	guests := []*v1alpha1.Collaborator{
		newCollab("gina", guest(), assigned("tower-a=site", "tower-b=site", "tower-c=site", "tower-d=read-only")),
		newCollab("gus", guest(), assigned("tower-b=site", "tower-c=site")),
		newCollab("mia", member(), assigned("tower-a=site")),
	}
	v := CheckRoleChange(newRole("site", granular("tasks.create")), roles, guests)
	want := `WorkCenterRole "site" would give member-only permissions (tasks.create) to guests: ` +
		`gina (site in tower-a, site in tower-b and 1 more), gus (site in tower-b, site in tower-c); make them Members or assign them another role first`
	if v == nil || v.Message != want {
		t.Fatalf("got %v, want %q", v, want)
	}
}

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		names []string
		want  []string
	}{
		{"adminrole", []string{"type", "adminRole", "email"}, []string{"adminRole"}},
		{"Actve", []string{"Active", "Archived", "Pending"}, []string{"Active"}},
		{"zzz", []string{"Active", "Archived"}, nil},
	} {
		if got := Closest(tc.name, tc.names); !slices.Equal(got, tc.want) {
			t.Errorf("Closest(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
