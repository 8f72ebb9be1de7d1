package access

import (
	"fmt"
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

// Every message that names objects or permissions stays within the field it goes to,
// in whole runes, when every name and list is at its maximum, and still names the
// rule's essentials (the defect: a 244/243/245-character Guest/WorkCenter/role froze a
// Collaborator's status with an R2 message over 1024 bytes).
func TestMessagesAtMaximumLengths(t *testing.T) {
	guestName, wcName, roleName := longest("guest", 253), longest("tower", 253), longest("planner", 253)
	addr := strings.Repeat("ü", 60) + "@" + strings.Repeat("d", 193)
	guestC := newCollab(guestName, guest(), email(addr), assigned(wcName+"="+roleName))
	memberC := newCollab(longest("member", 253), member(), email(addr), assigned(wcName+"="+roleName))
	acct := newAccount(licenses(0))
	acct.Name = longest("account", 253)
	var cats []string
	for i := range 256 {
		cats = append(cats, fmt.Sprintf("%03d", i)+strings.Repeat("ç", 61))
	}
	categories(cats...)(acct)

	var all []string
	for _, p := range All().Sorted() {
		all = append(all, string(p))
	}
	wide := newRole(roleName, granular(all...))
	var cycle []*v1alpha1.WorkCenterRole
	for i := range 32 {
		cycle = append(cycle, newRole(longest(fmt.Sprintf("cyc-%02d", i), 253), includes(longest(fmt.Sprintf("cyc-%02d", (i+1)%32), 253))))
	}
	dangling := []*v1alpha1.WorkCenterRole{}
	for i := range 31 {
		dangling = append(dangling, newRole(longest(fmt.Sprintf("dng-%02d", i), 253), includes(longest(fmt.Sprintf("dng-%02d", i+1), 253))))
	}
	roles := rolesWith(append(append([]*v1alpha1.WorkCenterRole{wide}, cycle...), dangling...)...)
	wc := newWorkCenter(wcName, true)
	wc.Spec.Category = strings.Repeat("ñ", 64)
	terminatingWide := wide.DeepCopy()
	terminating()(terminatingWide)

	var guests []*v1alpha1.Collaborator
	for i := range 300 {
		guests = append(guests, newCollab(longest(fmt.Sprintf("g%03d", i), 253), guest(), assigned(longest(fmt.Sprintf("w%03d", i), 253)+"="+string(cycle[0].Name))))
	}
	holder := newCollab(longest("holder", 253), member(), email(addr), created(1))
	dupe := newCollab(longest("dupe", 253), member(), email(addr), created(2))

	evaluate := func(c *v1alpha1.Collaborator, role string, mod func(*AssignmentInput)) string {
		in := AssignmentInput{Account: acct, Collaborator: c, Assignment: v1alpha1.WorkCenterAssignment{
			Name: v1alpha1.ObjectName(wcName), Role: v1alpha1.ObjectName(role)}, WorkCenter: wc, Roles: roles}
		if mod != nil {
			mod(&in)
		}
		return EvaluateAssignment(in).Message
	}
	cases := map[string]struct {
		msg   string
		max   int
		names []string
	}{
		"R2, assignment":              {evaluate(guestC, roleName, nil), MaxAssignmentMessage, []string{"member-only", "tasks.create", "Guest"}},
		"R2, violation":               {CheckRoleForGuest(guestC, wcName, roleName, All()).Message, MaxAssignmentMessage, []string{"tasks.create"}},
		"cycle, assignment":           {evaluate(memberC, cycle[0].Name, func(in *AssignmentInput) { in.Licensed = true }), MaxAssignmentMessage, []string{"cycle"}},
		"missing include, assignment": {evaluate(memberC, dangling[0].Name, func(in *AssignmentInput) { in.Licensed = true }), MaxAssignmentMessage, []string{"does not exist"}},
		"R4, assignment":              {evaluate(memberC, roleName, nil), MaxAssignmentMessage, []string{"licenses"}},
		"R10, assignment": {evaluate(memberC, roleName, func(in *AssignmentInput) {
			in.Licensed = true
			in.Roles = rolesWith(terminatingWide)
		}), MaxAssignmentMessage, []string{"being deleted"}},
		"archived, assignment": {evaluate(memberC, roleName, func(in *AssignmentInput) { in.Licensed = true }), MaxAssignmentMessage, []string{"archived"}},
		"R5, assignment": {evaluate(dupe, roleName, func(in *AssignmentInput) {
			in.DuplicateEmail = CheckEmailUnique(dupe, []*v1alpha1.Collaborator{holder, dupe})
		}), MaxAssignmentMessage, []string{"already used"}},
		"R8, violation":              {CheckCategory(wc, acct).Message, MaxConditionMessage, []string{"and 236 more"}},
		"R2 role change, 300 guests": {checkRoleChangeMessage(t, roles, cycle[0], guests), MaxConditionMessage, []string{"and 290 more"}},
		"R6 use, 300 users":          {UseOf(string(cycle[0].Name), guests, roles).String(), MaxConditionMessage, []string{"and 290 more"}},
		"list of 300 long names":     {ListWithTotal(names(guests), MaxUsersListed), MaxConditionMessage, []string{"and 290 more (300 in total)"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.msg == "" {
				t.Fatal("no message")
			}
			if len(tc.msg) > tc.max || !utf8.ValidString(tc.msg) {
				t.Fatalf("message of %d bytes (max %d), valid UTF-8 %v: %.200q", len(tc.msg), tc.max, utf8.ValidString(tc.msg), tc.msg)
			}
			mustContain(t, "message", tc.msg, tc.names...)
		})
	}
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

func names(cs []*v1alpha1.Collaborator) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}
