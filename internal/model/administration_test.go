package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Delegated administration (administration.go) as table tests. Every expectation is
// written from docs/administration.md: who holds what, which field a refusal names, and
// the people a message names.

const (
	aa  = v1alpha1.AdminRoleAccountAdministrator
	wca = v1alpha1.AdminRoleWorkCenterAdministrator
	ua  = v1alpha1.AdminRoleUserAdministrator
)

// The account of these tests: one person of each member type (jane, tom, daniel, uma,
// maria), a second Account Administrator (ana), and two Members with WorkCenter roles
// that manage collaborators (priya owns tower-a; carl coordinates it and owns the
// archived old-depot).
func adminPeople() []*v1alpha1.Collaborator {
	return []*v1alpha1.Collaborator{
		newCollab("maria", member(), admin(aa), created(0), email("maria.lopez@acme-builders.example")),
		newCollab("ana", member(), admin(aa), created(1)),
		newCollab("daniel", member(), admin(wca), created(2)),
		newCollab("uma", member(), admin(ua), created(3), assigned("tower-a=site-engineer")),
		newCollab("priya", member(), created(4), assigned("tower-a=workcenter-owner")),
		newCollab("carl", member(), created(5), assigned("tower-a=coordinator", "old-depot=workcenter-owner")),
		newCollab("tom", member(), created(6), assigned("tower-a=site-engineer")),
		newCollab("jane", guest(), created(7), assigned("tower-a=contributor")),
		// gus is a guest holding a member-only role (Rejected until upgraded).
		newCollab("gus", guest(), created(8), assigned("tower-a=workcenter-owner")),
	}
}

func adminRoles() []*v1alpha1.WorkCenterRole {
	return append(builtInObjects(),
		newRole("site-engineer", includes("contributor"),
			withLevels(v1alpha1.RoleLevels{Folders: v1alpha1.LevelStandard, Tasks: v1alpha1.LevelStandard}),
			granular("tasks.create", "tasks.update", "tasks.manageAssignees")),
		newRole("coordinator", includes("site-engineer"),
			granular("collaborators.addGuests", "collaborators.changeRole", "collaborators.remove", "workCenter.editSettings")),
		newRole("cycle-a", includes("cycle-b")),
		newRole("cycle-b", includes("cycle-a")),
	)
}

// adminAccount is the model of the test account; change adjusts its objects first.
func adminAccount(t *testing.T, acct *v1alpha1.Account, people []*v1alpha1.Collaborator) *Account {
	t.Helper()
	objs := []any{}
	if acct != nil {
		objs = append(objs, acct)
	}
	for _, wc := range []*v1alpha1.WorkCenter{newWorkCenter("tower-a", false), newWorkCenter("tower-b", false), newWorkCenter("old-depot", true)} {
		objs = append(objs, wc)
	}
	for _, r := range adminRoles() {
		objs = append(objs, r)
	}
	for _, c := range people {
		objs = append(objs, c)
	}
	a, err := Build(testNamespace, objs...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func without(people []*v1alpha1.Collaborator, names ...string) []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for _, c := range people {
		if !containsString(names, c.Name) {
			out = append(out, c)
		}
	}
	return out
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// representative is the person of each member type.
var representative = map[string]string{
	"Guest": "jane", "Member": "tom", "WorkCenterAdministrator": "daniel",
	"UserAdministrator": "uma", "AccountAdministrator": "maria",
}

// Every capability for every member type, asked with no WorkCenter and no target: the
// member types of the table hold it, the others do not (a capability about one
// WorkCenter, asked about none, is its holders' alone).
func TestMayDoEveryCapabilityAndMemberType(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	for id, spec := range specCapabilities {
		for _, ty := range specEveryone {
			t.Run(id+"/"+ty, func(t *testing.T) {
				c := a.Collaborator(representative[ty])
				d := a.MayDo(c, id, "")
				want := containsString(spec.holders, ty)
				if d.Allowed != want {
					t.Fatalf("%s may %s: %v, want %v (%s)", c.Name, id, d.Allowed, want, d.Message)
				}
				if d.Step != DecisionMemberType || d.Rule != RuleDelegation || d.Collaborator != c.Name || d.MemberType != MemberType(ty) || d.Capability != id {
					t.Errorf("decision %+v: want step memberType, rule Delegation, %s (%s), capability %s", d, c.Name, ty, id)
				}
				mustContain(t, "message", d.Message, c.Name, ty, id)
				if !want {
					mustContain(t, "refusal", d.Message, "may not", "maria") // an Account Administrator holds everything
				}
			})
		}
	}
}

// Capabilities about one WorkCenter, asked in a WorkCenter: the holders everywhere, and
// whoever holds the capability's WorkCenter permission there.
func TestMayDoInWorkCenter(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	cases := map[string]struct {
		who, capability, workCenter string
		allowed                     bool
		step                        DecisionStep
		says                        []string
	}{
		"owner removes collaborators in its WorkCenter": {"priya", "collaborators.remove", "tower-a", true, DecisionWorkCenter,
			[]string{`role "workcenter-owner" grants collaborators.remove`}},
		"owner of one WorkCenter, not of another": {"priya", "collaborators.remove", "tower-b", false, DecisionWorkCenter,
			[]string{"priya has no assignment", "tower-b", "WorkCenter Administrators (daniel)", "Account Administrators (ana, maria)"}},
		"a role without the permission": {"tom", "collaborators.remove", "tower-a", false, DecisionWorkCenter,
			[]string{`role "site-engineer" does not grant collaborators.remove`, "daniel", "maria"}},
		"coordinator adds collaborators": {"carl", "collaborators.add", "tower-a", true, DecisionWorkCenter,
			[]string{"collaborators.addGuests"}},
		"coordinator changes roles": {"carl", "collaborators.changeRole", "tower-a", true, DecisionWorkCenter, nil},
		"coordinator edits settings": {"carl", "workCenters.edit", "tower-a", true, DecisionWorkCenter,
			[]string{"workCenter.editSettings"}},
		"owner of an archived WorkCenter edits nothing": {"carl", "workCenters.edit", "old-depot", false, DecisionWorkCenter,
			[]string{"archived"}},
		"editSettings does not archive": {"carl", "workCenters.archive", "tower-a", false, DecisionMemberType,
			[]string{"WorkCenter Administrators (daniel)", "Account Administrators (ana, maria)"}},
		"nobody but administrators un-archives": {"carl", "workCenters.unarchive", "old-depot", false, DecisionMemberType, nil},
		"a guest views its WorkCenter":          {"jane", "workCenters.view", "tower-a", true, DecisionWorkCenter, nil},
		"a guest does not view another":         {"jane", "workCenters.view", "tower-b", false, DecisionWorkCenter, nil},
		"a WorkCenter Administrator anywhere": {"daniel", "collaborators.remove", "tower-b", true, DecisionMemberType,
			[]string{"WorkCenter Administrators hold it in every WorkCenter"}},
		"a User Administrator adds anywhere":                      {"uma", "collaborators.add", "tower-b", true, DecisionMemberType, nil},
		"a User Administrator removes where its role allows only": {"uma", "collaborators.remove", "tower-b", false, DecisionWorkCenter, nil},
		"an owner deletes no WorkCenter": {"priya", "workCenters.delete", "tower-a", false, DecisionMemberType,
			[]string{"Account Administrators (ana, maria) hold it"}},
		"an account capability ignores the WorkCenter": {"tom", "workCenters.create", "tower-b", true, DecisionMemberType, nil},
		"a WorkCenter permission, granted": {"jane", "files.upload", "tower-a", true, DecisionWorkCenter,
			[]string{`role "contributor" grants files.upload`}},
		"a WorkCenter permission, not granted": {"tom", "folders.delete", "tower-a", false, DecisionWorkCenter,
			[]string{`role "site-engineer" does not grant folders.delete`}},
		"an administrator's WorkCenter permission": {"daniel", "folders.delete", "tower-b", true, DecisionWorkCenter,
			[]string{"supersedes"}},
		"a WorkCenter permission needs a WorkCenter": {"jane", "files.upload", "", false, DecisionCapability,
			[]string{"WorkCenter permission"}},
		"an unknown capability": {"maria", "workCenter.delete", "tower-a", false, DecisionCapability,
			[]string{"nearest: workCenters.delete"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := a.MayDo(a.Collaborator(tc.who), tc.capability, tc.workCenter)
			if d.Allowed != tc.allowed || d.Step != tc.step {
				t.Fatalf("allowed %v at step %s, want %v at %s: %s", d.Allowed, d.Step, tc.allowed, tc.step, d.Message)
			}
			mustContain(t, "message", d.Message, append(tc.says, tc.who, tc.capability)...)
		})
	}
}

func TestMayDoWithTarget(t *testing.T) {
	people := adminPeople()
	a := adminAccount(t, newAccount(), people)
	c := a.Collaborator
	cases := map[string]struct {
		who        string
		q          Question
		allowed    bool
		step       DecisionStep
		rule       Rule
		says       []string
		wantReason string
	}{
		"a User Administrator updates a Member":                   {"uma", Question{Capability: "users.update", Target: c("tom")}, true, DecisionMemberType, RuleDelegation, nil, ""},
		"a User Administrator updates a WorkCenter Administrator": {"uma", Question{Capability: "users.remove", Target: c("daniel")}, true, DecisionMemberType, RuleDelegation, nil, ""},
		"a User Administrator never acts on an Account Administrator": {"uma", Question{Capability: "users.update", Target: c("maria")}, false, DecisionTarget, RuleDelegation,
			[]string{"except Account Administrators", "maria", "Account Administrators (ana, maria)"}, ""},
		"not even where its role would let it":     {"uma", Question{Capability: "collaborators.add", WorkCenter: "tower-a", Target: c("ana")}, false, DecisionTarget, RuleDelegation, nil, ""},
		"an Account Administrator acts on another": {"maria", Question{Capability: "users.update", Target: c("ana")}, true, DecisionMemberType, RuleDelegation, nil, ""},
		"leaving is for oneself": {"tom", Question{Capability: "account.leave", Target: c("jane")}, false, DecisionTarget, RuleDelegation,
			[]string{"users.remove"}, ""},
		"leaving": {"jane", Question{Capability: "account.leave", Target: c("jane")}, true, DecisionMemberType, RuleDelegation, nil, ""},
		"an Account Administrator leaves while another stays": {"maria", Question{Capability: "account.leave"}, true, DecisionMemberType, RuleDelegation, nil, ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := a.Decide(c(tc.who), tc.q)
			if d.Allowed != tc.allowed || d.Step != tc.step || d.Rule != tc.rule || d.Reason != tc.wantReason {
				t.Fatalf("allowed %v, step %s, rule %s, reason %q; want %v, %s, %s, %q: %s",
					d.Allowed, d.Step, d.Rule, d.Reason, tc.allowed, tc.step, tc.rule, tc.wantReason, d.Message)
			}
			mustContain(t, "message", d.Message, tc.says...)
		})
	}
}

// The last Account Administrator of an active Account does not leave (R7, R7's message);
// of a Deactivated one, it does.
func TestLeavingAsTheLastAccountAdministrator(t *testing.T) {
	people := without(adminPeople(), "ana")
	a := adminAccount(t, newAccount(), people)
	maria := a.Collaborator("maria")
	d := a.MayDo(maria, "account.leave", "")
	if d.Allowed || d.Step != DecisionTarget || d.Rule != R7 || d.Reason != v1alpha1.ReasonLastAccountAdministrator {
		t.Fatalf("the last Account Administrator leaves: %+v", d)
	}
	if want := LastAdministratorBlock(maria, a.Owner(), a.AccountAdministrators()); d.Message != want {
		t.Errorf("message %q, want R7's %q", d.Message, want)
	}
	f := d.Finding(nil)
	if f == nil || !f.Forbidden || f.Rule != R7 || f.Field != nil {
		t.Errorf("finding %+v, want a Forbidden R7 finding for the object", f)
	}
	expectFindings(t, a.MayChangeCollaborator(maria, maria, nil), []wantFinding{
		{rule: R7, reason: v1alpha1.ReasonLastAccountAdministrator, forbidden: true, says: []string{"maria", "last AccountAdministrator"}},
	}, "")

	off := adminAccount(t, newAccount(deactivated()), people)
	if d := off.MayDo(off.Collaborator("maria"), "account.leave", ""); !d.Allowed {
		t.Errorf("the last Account Administrator of a Deactivated Account may not leave: %s", d.Message)
	}
}

// In a Deactivated Account only Account Administrators change anything; without an
// Account nobody does.
func TestAccountStep(t *testing.T) {
	off := adminAccount(t, newAccount(deactivated()), adminPeople())
	for _, ty := range specEveryone {
		c := off.Collaborator(representative[ty])
		for _, id := range []string{"account.reactivate", "account.leave", "workCenters.create", "collaborators.add"} {
			d := off.MayDo(c, id, "tower-a")
			want := ty == "AccountAdministrator"
			if d.Allowed != want {
				t.Errorf("Deactivated: %s may %s: %v, want %v (%s)", c.Name, id, d.Allowed, want, d.Message)
			}
			if !want {
				if d.Step != DecisionAccount {
					t.Errorf("Deactivated: %s %s decided at %s, want account", c.Name, id, d.Step)
				}
				mustContain(t, "message", d.Message, "Deactivated", "Account Administrators (ana, maria)")
			}
		}
	}
	// One finding for the whole change, however many capabilities it needs.
	tom := off.Collaborator("tom")
	expectFindings(t, off.MayChangeWorkCenter(off.Collaborator("daniel"), off.WorkCenter("tower-a"), archivedCopy(off.WorkCenter("tower-a"))), []wantFinding{
		{rule: RuleDelegation, forbidden: true, says: []string{"daniel", "Deactivated"}},
	}, "")
	changed := tom.DeepCopy()
	changed.Spec.DisplayName, changed.Spec.Type = "Tom", v1alpha1.Guest
	expectFindings(t, off.MayChangeCollaborator(off.Collaborator("uma"), tom, changed), []wantFinding{
		{rule: RuleDelegation, forbidden: true, says: []string{"uma", "Deactivated"}},
	}, "")

	none := adminAccount(t, nil, adminPeople())
	if d := none.MayDo(none.Collaborator("maria"), "workCenters.create", ""); d.Allowed || d.Step != DecisionAccount {
		t.Errorf("no Account: %+v", d)
	}
}

func archivedCopy(wc *v1alpha1.WorkCenter) *v1alpha1.WorkCenter {
	out := wc.DeepCopy()
	out.Spec.Archived = true
	return out
}

// A Member holding no license (R4) holds nothing but leaving, and an Account
// Administrator's licenses.manage.
func TestLicenseStep(t *testing.T) {
	// Two licenses: maria and ana, the oldest Members, hold them.
	a := adminAccount(t, newAccount(licenses(2)), adminPeople())
	cases := []struct {
		who, capability, workCenter string
		allowed                     bool
		step                        DecisionStep
	}{
		{"maria", "account.edit", "", true, DecisionMemberType},
		{"daniel", "workCenters.archive", "tower-a", false, DecisionLicense},
		{"tom", "workCenters.create", "", false, DecisionLicense},
		{"priya", "collaborators.remove", "tower-a", false, DecisionLicense},
		{"daniel", "account.leave", "", true, DecisionMemberType},
		{"jane", "account.leave", "", true, DecisionMemberType}, // a Guest needs no license
		{"jane", "workCenters.view", "tower-a", true, DecisionWorkCenter},
	}
	for _, tc := range cases {
		d := a.MayDo(a.Collaborator(tc.who), tc.capability, tc.workCenter)
		if d.Allowed != tc.allowed || d.Step != tc.step {
			t.Errorf("2 licenses: %s may %s: %v at %s, want %v at %s (%s)", tc.who, tc.capability, d.Allowed, d.Step, tc.allowed, tc.step, d.Message)
		}
		if !d.Allowed {
			mustContain(t, "message", d.Message, "licenses", "R4")
		}
	}
	// No license at all: an Account Administrator still manages licenses, and nothing else.
	zero := adminAccount(t, newAccount(licenses(0)), adminPeople())
	maria := zero.Collaborator("maria")
	if d := zero.MayDo(maria, "licenses.manage", ""); !d.Allowed {
		t.Errorf("an unlicensed Account Administrator may not manage licenses: %s", d.Message)
	}
	if d := zero.MayDo(maria, "account.edit", ""); d.Allowed || d.Step != DecisionLicense {
		t.Errorf("an unlicensed Account Administrator edits the Account: %+v", d)
	}
	if d := zero.MayDo(zero.Collaborator("uma"), "licenses.manage", ""); d.Allowed {
		t.Errorf("an unlicensed User Administrator manages licenses: %s", d.Message)
	}
}

func TestMayDoWithoutCollaborator(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	d := a.MayDo(nil, "workCenters.create", "")
	if d.Allowed || d.Step != DecisionIdentity {
		t.Errorf("nobody of the account: %+v", d)
	}
	if fs := a.MayChangeCollaborator(nil, nil, newCollab("new")); fs != nil {
		t.Errorf("nobody of the account has findings (RBAC alone decides): %v", fs)
	}
	if d := a.MayGrant(nil, "tower-a", "read-only"); d.Allowed || d.Step != DecisionIdentity {
		t.Errorf("MayGrant for nobody: %+v", d)
	}
}

// No escalation: a role given must not grant what the giver lacks in the WorkCenter.
func TestMayGrant(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	cases := map[string]struct {
		who, workCenter, role string
		allowed               bool
		says                  []string
	}{
		"an owner gives the owner role":          {"priya", "tower-a", "workcenter-owner", true, nil},
		"a coordinator gives less than it holds": {"carl", "tower-a", "site-engineer", true, nil},
		"a coordinator gives its own role":       {"carl", "tower-a", "coordinator", true, nil},
		"a coordinator gives the owner role": {"carl", "tower-a", "workcenter-owner", false,
			[]string{"files.move", "folders.delete", "tasks.manageApprovers", "no escalation", "does not hold"}},
		"a User Administrator gives what its role holds": {"uma", "tower-a", "contributor", true, nil},
		"a User Administrator gives more than its role":  {"uma", "tower-a", "coordinator", false, []string{"collaborators.addGuests"}},
		"a User Administrator where it holds nothing": {"uma", "tower-b", "read-only", false,
			[]string{"files.download", "workCenter.view"}},
		"in an archived WorkCenter, its owner holds view and download": {"carl", "old-depot", "contributor", false, []string{"files.upload"}},
		"a WorkCenter Administrator gives anything":                    {"daniel", "tower-b", "workcenter-owner", true, nil},
		"an Account Administrator gives anything":                      {"maria", "old-depot", "coordinator", true, nil},
		"a missing role cannot be checked":                             {"priya", "tower-a", "ghost", false, []string{"ghost", "cannot be checked", "daniel"}},
		"a role in a cycle cannot be checked":                          {"priya", "tower-a", "cycle-a", false, []string{"cycle"}},
		"an administrator gives a missing role":                        {"daniel", "tower-a", "ghost", true, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := a.MayGrant(a.Collaborator(tc.who), tc.workCenter, tc.role)
			if d.Allowed != tc.allowed || d.Step != DecisionEscalation || d.Role != tc.role {
				t.Fatalf("allowed %v at %s, want %v at escalation: %s", d.Allowed, d.Step, tc.allowed, d.Message)
			}
			mustContain(t, "message", d.Message, append(tc.says, tc.who, tc.role, tc.workCenter)...)
		})
	}
}

func withSpec(c *v1alpha1.Collaborator, change func(*v1alpha1.CollaboratorSpec)) *v1alpha1.Collaborator {
	out := c.DeepCopy()
	change(&out.Spec)
	return out
}

func forbidden(field string, says ...string) wantFinding {
	return wantFinding{rule: RuleDelegation, field: field, forbidden: true, says: says}
}

// audited is the audit trail's warning: who changed the WorkCenter without being
// assigned to it, with which capability.
func audited(says ...string) wantFinding {
	return wantFinding{rule: RuleDelegation, reason: v1alpha1.ReasonAdministratorNotAssigned, warning: true,
		says: append([]string{"is not assigned to WorkCenter", "Events record it"}, says...)}
}

func TestMayChangeCollaborator(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	c := a.Collaborator
	assign := func(wc, role string) v1alpha1.WorkCenterAssignment {
		return v1alpha1.WorkCenterAssignment{Name: v1alpha1.ObjectName(wc), Role: v1alpha1.ObjectName(role)}
	}
	cases := map[string]struct {
		who      string
		old, obj *v1alpha1.Collaborator
		want     []wantFinding
	}{
		// Creating people.
		"a coordinator adds a new guest to its WorkCenter": {"carl", nil, newCollab("sam", assigned("tower-a=contributor")), nil},
		"a coordinator gives a new guest a role above its own": {"carl", nil, newCollab("sam", member(), assigned("tower-a=workcenter-owner")), []wantFinding{
			forbidden("spec.type", "carl (Member) may not users.upgrade", "User Administrators (uma)"),
			forbidden("spec.workCenters[0].role", "workcenter-owner", "files.move"),
		}},
		"a Member adds a person to a WorkCenter it does not manage": {"tom", nil, newCollab("sam", assigned("tower-b=read-only")), []wantFinding{
			forbidden("spec.workCenters[0]", "collaborators.add", "tower-b"),
		}},
		"a Member adds a person to no WorkCenter": {"tom", nil, newCollab("sam"), []wantFinding{
			forbidden("spec", "users.add", "Account Administrators (ana, maria)"),
		}},
		"a User Administrator adds a Member to no WorkCenter": {"uma", nil, newCollab("sam", member()), []wantFinding{
			forbidden("spec", "users.add"),
		}},
		"an Account Administrator adds an administrator": {"maria", nil, newCollab("sam", member(), admin(wca)), nil},
		"a User Administrator adds an administrator": {"uma", nil, newCollab("sam", member(), admin(wca), assigned("tower-a=read-only")), []wantFinding{
			forbidden("spec.adminRole", "administrators.manage"),
		}},

		// Escalation and self-service.
		"make yourself an administrator": {"tom", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) { s.AdminRole = aa }), []wantFinding{
			forbidden("spec.adminRole", "tom (Member) may not administrators.manage", "Account Administrators (ana, maria)"),
		}},
		"a WorkCenter Administrator makes itself an Account Administrator": {"daniel", c("daniel"), withSpec(c("daniel"), func(s *v1alpha1.CollaboratorSpec) { s.AdminRole = aa }), []wantFinding{
			forbidden("spec.adminRole", "administrators.manage"),
		}},
		"an Account Administrator steps down": {"maria", c("maria"), withSpec(c("maria"), func(s *v1alpha1.CollaboratorSpec) { s.AdminRole = v1alpha1.AdminRoleNone }), nil},
		"add yourself to a WorkCenter": {"tom", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) {
			s.WorkCenters = append(s.WorkCenters, assign("tower-b", "contributor"))
		}), []wantFinding{
			forbidden("spec.workCenters[1]", "collaborators.add", "tower-b"),
		}},
		"a WorkCenter Administrator adds itself anywhere": {"daniel", c("daniel"), withSpec(c("daniel"), func(s *v1alpha1.CollaboratorSpec) {
			s.WorkCenters = append(s.WorkCenters, assign("tower-b", "workcenter-owner"))
		}), []wantFinding{audited(`"tower-b"`, "collaborators.add")}},
		"raise your own role": {"tom", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) {
			s.WorkCenters[0].Role = "workcenter-owner"
		}), []wantFinding{
			forbidden("spec.workCenters[0].role", "collaborators.changeRole"),
		}},
		"a coordinator raises its own role": {"carl", c("carl"), withSpec(c("carl"), func(s *v1alpha1.CollaboratorSpec) {
			s.WorkCenters[0].Role = "workcenter-owner"
		}), []wantFinding{
			forbidden("spec.workCenters[0].role", "escalation", "files.move"),
		}},
		"change your own display name": {"tom", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) { s.DisplayName = "Tom" }), []wantFinding{
			forbidden("spec.displayName", "users.update"),
		}},

		// Assignments in WorkCenters.
		"strip an assignment in a WorkCenter you do not manage": {"tom", c("jane"), withSpec(c("jane"), func(s *v1alpha1.CollaboratorSpec) { s.WorkCenters = nil }), []wantFinding{
			forbidden("spec.workCenters", "tom (Member) may not collaborators.remove", "tower-a", "for jane"),
		}},
		"an owner strips an assignment in its WorkCenter": {"priya", c("jane"), withSpec(c("jane"), func(s *v1alpha1.CollaboratorSpec) { s.WorkCenters = nil }), nil},
		"a coordinator lowers a role":                     {"carl", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) { s.WorkCenters[0].Role = "read-only" }), nil},
		"a coordinator raises a role above its own": {"carl", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) { s.WorkCenters[0].Role = "workcenter-owner" }), []wantFinding{
			forbidden("spec.workCenters[0].role", "workcenter-owner", "no escalation"),
		}},
		"a User Administrator moves a person to a WorkCenter it is not in": {"uma", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) {
			s.WorkCenters = []v1alpha1.WorkCenterAssignment{assign("tower-b", "read-only")}
		}), []wantFinding{
			forbidden("spec.workCenters[0].role", "tower-b", "does not hold"),
			forbidden("spec.workCenters", "collaborators.remove", "tower-a"),
		}},
		"a WorkCenter Administrator moves a person": {"daniel", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) {
			s.WorkCenters = []v1alpha1.WorkCenterAssignment{assign("tower-b", "workcenter-owner")}
		}), []wantFinding{audited(`"tower-b"`, "collaborators.add"), audited(`"tower-a"`, "collaborators.remove")}},

		// Users.
		"a User Administrator upgrades a guest":    {"uma", c("jane"), withSpec(c("jane"), func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Member }), nil},
		"a User Administrator downgrades a Member": {"uma", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Guest }), nil},
		"a Member upgrades a guest": {"priya", c("jane"), withSpec(c("jane"), func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Member }), []wantFinding{
			forbidden("spec.type", "users.upgrade", "User Administrators (uma)"),
		}},
		"downgrade yourself": {"tom", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Guest }), []wantFinding{
			forbidden("spec.type", "users.downgrade"),
		}},
		"edit an administrator as a User Administrator": {"uma", c("maria"), withSpec(c("maria"), func(s *v1alpha1.CollaboratorSpec) {
			s.Email, s.DisplayName = "m@example.com", "M"
		}), []wantFinding{
			forbidden("spec.email", "except Account Administrators", "maria"),
			forbidden("spec.displayName", "except Account Administrators"),
		}},
		"a User Administrator re-addresses a WorkCenter Administrator": {"uma", c("daniel"), withSpec(c("daniel"), func(s *v1alpha1.CollaboratorSpec) { s.Email = "d@example.com" }), []wantFinding{
			forbidden("spec.email", "administrators.manage", "Account Administrators (ana, maria)"),
		}},
		"a User Administrator renames a WorkCenter Administrator":            {"uma", c("daniel"), withSpec(c("daniel"), func(s *v1alpha1.CollaboratorSpec) { s.DisplayName = "Dan" }), nil},
		"a User Administrator re-addresses a Member holding no more than it": {"uma", c("tom"), withSpec(c("tom"), func(s *v1alpha1.CollaboratorSpec) { s.Email = "t@example.com" }), nil},
		"a User Administrator re-addresses a Member holding more than it": {"uma", c("carl"), withSpec(c("carl"), func(s *v1alpha1.CollaboratorSpec) { s.Email = "c@example.com" }), []wantFinding{
			forbidden("spec.email", "coordinator", "tower-a", "no escalation"),
		}},
		"a User Administrator upgrades a guest holding more than it": {"uma", c("gus"), withSpec(c("gus"), func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Member }), []wantFinding{
			forbidden("spec.type", "workcenter-owner", "tower-a", "no escalation"),
		}},
		"an Account Administrator upgrades a guest holding more than a User Administrator": {"maria", c("gus"), withSpec(c("gus"), func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Member }), nil},
		"an Account Administrator edits another":                                           {"maria", c("ana"), withSpec(c("ana"), func(s *v1alpha1.CollaboratorSpec) { s.Email = "a@example.com" }), nil},

		// Deleting.
		"leave the account":                      {"jane", c("jane"), nil, nil},
		"an administrator leaves":                {"maria", c("maria"), nil, nil},
		"remove another as a Member":             {"tom", c("jane"), nil, []wantFinding{forbidden("", "users.remove", "User Administrators (uma)")}},
		"remove another as a User Administrator": {"uma", c("tom"), nil, nil},
		"remove an Account Administrator as a User Administrator": {"uma", c("ana"), nil, []wantFinding{
			forbidden("", "except Account Administrators", "ana"),
		}},

		"a change of metadata only": {"jane", c("tom"), func() *v1alpha1.Collaborator {
			o := c("tom").DeepCopy()
			o.Labels = map[string]string{"team": "north"}
			return o
		}(), nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := a.MayChangeCollaborator(c(tc.who), tc.old, tc.obj)
			expectFindings(t, got, tc.want, "")
		})
	}
}

func TestMayChangeWorkCenter(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	tower := a.WorkCenter("tower-a")
	change := func(f func(*v1alpha1.WorkCenterSpec)) *v1alpha1.WorkCenter {
		out := tower.DeepCopy()
		f(&out.Spec)
		return out
	}
	newWC := func(template, archived bool) *v1alpha1.WorkCenter {
		wc := newWorkCenter("tower-c", archived)
		wc.Spec.Template = template
		return wc
	}
	cases := map[string]struct {
		who      string
		old, obj *v1alpha1.WorkCenter
		want     []wantFinding
	}{
		"a Member creates a WorkCenter":       {"tom", nil, newWC(false, false), nil},
		"a Member creates a template":         {"tom", nil, newWC(true, false), nil},
		"a guest creates nothing":             {"jane", nil, newWC(true, false), []wantFinding{forbidden("spec", "workCenters.create"), forbidden("spec.template", "templates.create")}},
		"a Member creates one archived":       {"tom", nil, newWC(false, true), []wantFinding{forbidden("spec.archived", "workCenters.archive", "daniel")}},
		"an owner edits its WorkCenter":       {"priya", tower, change(func(s *v1alpha1.WorkCenterSpec) { s.Description, s.Category = "North", "Residential" }), nil},
		"a Member edits a WorkCenter":         {"tom", tower, change(func(s *v1alpha1.WorkCenterSpec) { s.DisplayName = "Tower" }), []wantFinding{forbidden("spec.displayName", "workCenters.edit", "workCenter.editSettings")}},
		"an owner archives":                   {"priya", tower, change(func(s *v1alpha1.WorkCenterSpec) { s.Archived = true }), []wantFinding{forbidden("spec.archived", "workCenters.archive")}},
		"a WorkCenter Administrator archives": {"daniel", tower, change(func(s *v1alpha1.WorkCenterSpec) { s.Archived = true }), []wantFinding{audited("daniel (WorkCenterAdministrator)", `"tower-a"`, "workCenters.archive")}},
		"a WorkCenter Administrator un-archives": {"daniel", a.WorkCenter("old-depot"), func() *v1alpha1.WorkCenter {
			o := a.WorkCenter("old-depot").DeepCopy()
			o.Spec.Archived = false
			return o
		}(), []wantFinding{audited("daniel", `"old-depot"`, "workCenters.unarchive")}},
		"a WorkCenter Administrator designates a template": {"daniel", tower, change(func(s *v1alpha1.WorkCenterSpec) { s.Template = true }), []wantFinding{forbidden("spec.template", "templates.designate", "Account Administrators (ana, maria)")}},
		"an Account Administrator designates a template":   {"maria", tower, change(func(s *v1alpha1.WorkCenterSpec) { s.Template = true }), []wantFinding{audited("maria", "templates.designate")}},
		"a WorkCenter Administrator deletes":               {"daniel", tower, nil, []wantFinding{forbidden("", "workCenters.delete", "Account Administrators (ana, maria)")}},
		"an Account Administrator deletes":                 {"maria", tower, nil, []wantFinding{audited("maria", "workCenters.delete")}},
		"an owner deletes its WorkCenter":                  {"priya", tower, nil, []wantFinding{forbidden("", "workCenters.delete")}},
		"a change of status only":                          {"jane", tower, tower.DeepCopy(), nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			expectFindings(t, a.MayChangeWorkCenter(a.Collaborator(tc.who), tc.old, tc.obj), tc.want, "")
		})
	}
}

func TestMayChangeAccount(t *testing.T) {
	acct := newAccount(categories("Residential", "Commercial"))
	a := adminAccount(t, acct, adminPeople())
	change := func(f func(*v1alpha1.AccountSpec)) *v1alpha1.Account {
		out := acct.DeepCopy()
		f(&out.Spec)
		return out
	}
	cases := map[string]struct {
		who      string
		old, obj *v1alpha1.Account
		want     []wantFinding
	}{
		"an Account Administrator edits the logo": {"maria", acct, change(func(s *v1alpha1.AccountSpec) { s.LogoURL = "https://x.example/l.png" }), nil},
		"a WorkCenter Administrator edits the logo": {"daniel", acct, change(func(s *v1alpha1.AccountSpec) { s.LogoURL = "https://x.example/l.png" }), []wantFinding{
			forbidden("spec.logoURL", "account.edit", "Account Administrators (ana, maria)"),
		}},
		"a User Administrator adds a category and licenses": {"uma", acct, change(func(s *v1alpha1.AccountSpec) {
			s.Picklists.WorkCenterCategories = append(s.Picklists.WorkCenterCategories, "Infrastructure")
			s.Licenses = 20
		}), []wantFinding{
			forbidden("spec.licenses", "licenses.manage"),
			forbidden("spec.picklists.workCenterCategories", "categories.create"),
		}},
		"a Member swaps a category and adds a file type": {"tom", acct, change(func(s *v1alpha1.AccountSpec) {
			s.Picklists.WorkCenterCategories = []v1alpha1.PicklistItem{"Residential", "Industrial"}
			s.Picklists.FileTypes = []v1alpha1.PicklistItem{"Drawing"}
		}), []wantFinding{
			forbidden("spec.picklists.workCenterCategories", "categories.create"),
			forbidden("spec.picklists.workCenterCategories", "categories.delete"),
			forbidden("spec.picklists.fileTypes", "fileTypes.create"),
		}},
		"a new order of categories": {"tom", acct, change(func(s *v1alpha1.AccountSpec) {
			s.Picklists.WorkCenterCategories = []v1alpha1.PicklistItem{"Commercial", "Residential"}
		}), []wantFinding{forbidden("spec.picklists.workCenterCategories", "categories.create")}},
		"a file status removed": {"tom", change(func(s *v1alpha1.AccountSpec) { s.Picklists.FileStatuses = []v1alpha1.PicklistItem{"Draft"} }), acct, []wantFinding{
			forbidden("spec.picklists.fileStatuses", "fileStatuses.delete"),
		}},
		"an Account Administrator deactivates":  {"ana", acct, change(func(s *v1alpha1.AccountSpec) { s.State = v1alpha1.AccountDeactivated }), nil},
		"a User Administrator deactivates":      {"uma", acct, change(func(s *v1alpha1.AccountSpec) { s.State = v1alpha1.AccountDeactivated }), []wantFinding{forbidden("spec.state", "account.deactivate")}},
		"an Account Administrator creates one":  {"maria", nil, acct, []wantFinding{forbidden("", "may not create an Account")}},
		"an Account Administrator deletes it":   {"maria", acct, nil, []wantFinding{forbidden("", "may not delete an Account")}},
		"nobody of the account changes nothing": {"", acct, change(func(s *v1alpha1.AccountSpec) { s.Licenses = 1 }), nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var c *v1alpha1.Collaborator
			if tc.who != "" {
				c = a.Collaborator(tc.who)
			}
			expectFindings(t, a.MayChangeAccount(c, tc.old, tc.obj), tc.want, "")
		})
	}

	// Reactivation, in a Deactivated Account: its Account Administrators only.
	off := change(func(s *v1alpha1.AccountSpec) { s.State = v1alpha1.AccountDeactivated })
	b := adminAccount(t, off, adminPeople())
	expectFindings(t, b.MayChangeAccount(b.Collaborator("maria"), off, acct), nil, "")
	expectFindings(t, b.MayChangeAccount(b.Collaborator("uma"), off, acct), []wantFinding{forbidden("", "Deactivated")}, "")
}

func TestMayChangeRole(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	role := a.Role("site-engineer")
	edited := role.DeepCopy()
	edited.Spec.Permissions = append(edited.Spec.Permissions, "files.move")
	relabelled := role.DeepCopy()
	relabelled.Labels = map[string]string{"x": "y"}
	cases := map[string]struct {
		who      string
		old, obj *v1alpha1.WorkCenterRole
		want     []wantFinding
	}{
		"an Account Administrator creates":   {"maria", nil, newRole("planner"), nil},
		"an owner creates":                   {"priya", nil, newRole("planner"), []wantFinding{forbidden("", "roles.create", "Account Administrators (ana, maria)")}},
		"a WorkCenter Administrator updates": {"daniel", role, edited, []wantFinding{forbidden("", "roles.update")}},
		"an Account Administrator updates":   {"ana", role, edited, nil},
		"a User Administrator deletes":       {"uma", role, nil, []wantFinding{forbidden("", "roles.delete")}},
		"an Account Administrator deletes":   {"maria", role, nil, nil},
		"a change of metadata only":          {"jane", role, relabelled, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			expectFindings(t, a.MayChangeRole(a.Collaborator(tc.who), tc.old, tc.obj), tc.want, "")
		})
	}
}

func TestIdentify(t *testing.T) {
	people := append(adminPeople(),
		newCollab("zed", member(), created(20), email("shared@acme-builders.example")),
		newCollab("abe", guest(), created(21), email("Shared@Acme-Builders.example")),
	)
	a := adminAccount(t, newAccount(), people)
	cases := map[string]struct {
		username, prefix string
		want             string // "" for not a Collaborator
		why              string
	}{
		"the email":                          {"maria.lopez@acme-builders.example", "", "maria", ""},
		"another case":                       {"Maria.Lopez@ACME-Builders.example", "", "maria", ""},
		"with the prefix":                    {"oidc:maria.lopez@acme-builders.example", "oidc:", "maria", ""},
		"the prefix's case matters":          {"OIDC:maria.lopez@acme-builders.example", "oidc:", "", "does not start with the identity prefix"},
		"without the configured prefix":      {"maria.lopez@acme-builders.example", "oidc:", "", "does not start with the identity prefix"},
		"a prefix nobody configured":         {"oidc:maria.lopez@acme-builders.example", "", "", "no Collaborator has the email"},
		"two Collaborators, the oldest":      {"SHARED@acme-builders.example", "", "zed", ""},
		"an empty username":                  {"", "", "", "no username"},
		"an empty username with a prefix":    {"", "oidc:", "", "no username"},
		"nothing but the prefix":             {"oidc:", "oidc:", "", "nothing is left"},
		"an unknown user":                    {"nobody@acme-builders.example", "", "", "no Collaborator has the email"},
		"a ServiceAccount":                   {"system:serviceaccount:flux-system:kustomize-controller", "", "", "no Collaborator"},
		"the platform's admin, not a person": {"admin", "", "", "no Collaborator"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := a.Identify(tc.username, tc.prefix)
			if tc.want != "" {
				if err != nil || c == nil || c.Name != tc.want {
					t.Fatalf("Identify(%q, %q) = %v, %v; want %s", tc.username, tc.prefix, c, err, tc.want)
				}
				return
			}
			var nc *NotCollaborator
			if c != nil || !errors.As(err, &nc) {
				t.Fatalf("Identify(%q, %q) = %v, %v; want a *NotCollaborator", tc.username, tc.prefix, c, err)
			}
			if nc.Username != tc.username {
				t.Errorf("NotCollaborator.Username = %q, want %q", nc.Username, tc.username)
			}
			mustContain(t, "error", err.Error(), tc.why, "RBAC alone")
		})
	}
	// Same creation time: the name decides, as R5 does.
	tied := adminAccount(t, newAccount(), append(adminPeople(),
		newCollab("bob", member(), created(30), email("tie@example.com")),
		newCollab("al", member(), created(30), email("TIE@example.com"))))
	if c, err := tied.Identify("tie@example.com", ""); err != nil || c.Name != "al" {
		t.Errorf("Identify on a tie = %v, %v; want al", c, err)
	}
}

// Messages stay within MaxDecisionMessage bytes whatever the names, and name at most
// maxHoldersShown people of a type with their number.
func TestDecisionMessagesBounded(t *testing.T) {
	long := func(i int) string { return fmt.Sprintf("%s-%02d", strings.Repeat("x", 240), i) }
	people := adminPeople()
	for i := range 30 {
		people = append(people, newCollab(long(i), member(), admin(aa), created(40+i)))
	}
	a := adminAccount(t, newAccount(licenses(100)), people)
	d := a.MayDo(a.Collaborator("tom"), "workCenters.delete", strings.Repeat("w", 253))
	if d.Allowed || len(d.Message) > MaxDecisionMessage {
		t.Fatalf("decision allowed %v, message %d bytes (max %d): %s", d.Allowed, len(d.Message), MaxDecisionMessage, d.Message)
	}
	mustContain(t, "message", d.Message, "tom", "workCenters.delete", "(32 in total)")
	u := a.Collaborator("uma")
	d = a.Decide(u, Question{Capability: "users.update", Target: a.Collaborator(long(3))})
	if d.Allowed || len(d.Message) > MaxDecisionMessage {
		t.Fatalf("decision allowed %v, message %d bytes: %s", d.Allowed, len(d.Message), d.Message)
	}
	for _, s := range []DecisionStep{DecisionIdentity, DecisionEscalation, DecisionStep(99)} {
		if s.String() == "" {
			t.Errorf("step %d has no name", s)
		}
	}
	// No clock: asking twice gives the same answer, and the model is not changed.
	before := a.Collaborator("tom").DeepCopy()
	_ = a.MayDo(a.Collaborator("tom"), "collaborators.remove", "tower-a")
	if !equality.Semantic.DeepEqual(before, a.Collaborator("tom")) {
		t.Errorf("a decision changed the model's Collaborator")
	}
}

// TestValidateDelegated: admission (the Validate functions the webhooks call) judges a
// request of a Collaborator by delegated administration first: its refusals alone
// answer (403), an allowed change keeps every rule, and anyone who is no Collaborator
// (the operator, the platform, a username without the prefix) is judged as before.
func TestValidateDelegated(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	c := a.Collaborator
	tom := c("tom")
	renamed := withSpec(tom, func(s *v1alpha1.CollaboratorSpec) { s.DisplayName = "Tom" })
	// Upgrading jane needs a license: there is none left, so R4 refuses it whoever asks.
	full := adminAccount(t, newAccount(licenses(6)), adminPeople())
	upgraded := withSpec(c("jane"), func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Member })
	update := func(username, prefix string, old, obj *v1alpha1.Collaborator) Request[*v1alpha1.Collaborator] {
		return Request[*v1alpha1.Collaborator]{Operation: Update, Old: old, Object: obj, Username: username, IdentityPrefix: prefix}
	}
	cases := map[string]struct {
		a    *Account
		r    Request[*v1alpha1.Collaborator]
		want []wantFinding
	}{
		"a guest renames another":                      {a, update("jane@example.com", "", tom, renamed), []wantFinding{forbidden("spec.displayName", "jane (Guest) may not users.update")}},
		"the email in another case is the same person": {a, update("JANE@Example.COM", "", tom, renamed), []wantFinding{forbidden("spec.displayName", "jane (Guest)")}},
		"with the prefix":                              {a, update("oidc:jane@example.com", "oidc:", tom, renamed), []wantFinding{forbidden("spec.displayName", "jane (Guest)")}},
		"without the prefix it is nobody":              {a, update("jane@example.com", "oidc:", tom, renamed), nil},
		"a prefix alone is nobody":                     {a, update("oidc:", "oidc:", tom, renamed), nil},
		"a prefixed email when none is set":            {a, update("oidc:jane@example.com", "", tom, renamed), nil},
		"the platform (no Collaborator) renames":       {a, update("kubernetes-admin", "", tom, renamed), nil},
		"no username":                                  {a, update("", "", tom, renamed), nil},
		"the operator is never a Collaborator": {a, func() Request[*v1alpha1.Collaborator] {
			r := update("jane@example.com", "", tom, renamed)
			r.Operator = true
			return r
		}(), nil},
		"a User Administrator renames": {a, update("uma@example.com", "", tom, renamed), nil},
		"a refusal answers alone":      {full, update("tom@example.com", "", c("jane"), upgraded), []wantFinding{forbidden("spec.type", "users.upgrade")}},
		"an allowed change keeps the rules": {full, update("uma@example.com", "", c("jane"), upgraded), []wantFinding{
			{rule: R4, reason: v1alpha1.ReasonLicenseLimitExceeded, field: "spec.type", says: []string{"licenses"}},
		}},
		"an unassigned administrator's change is recorded, after the rules": {full, update("daniel@example.com", "", c("jane"),
			withSpec(c("jane"), func(s *v1alpha1.CollaboratorSpec) {
				s.WorkCenters = append(s.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tower-b", Role: "missing"})
			})), []wantFinding{
			{rule: RulePending, reason: v1alpha1.ReasonRoleNotFound, warning: true, says: []string{`"missing"`}},
			audited("daniel (WorkCenterAdministrator)", `"tower-b"`, "collaborators.add"),
		}},
		"leave the account": {a, Request[*v1alpha1.Collaborator]{Operation: Delete, Object: c("jane"), Username: "jane@example.com"}, nil},
		"remove another": {a, Request[*v1alpha1.Collaborator]{Operation: Delete, Object: c("tom"), Username: "jane@example.com"}, []wantFinding{
			forbidden("", "users.remove"),
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			expectFindings(t, tc.a.ValidateCollaborator(tc.r), tc.want, "")
		})
	}

	t.Run("the last Account Administrator does not leave", func(t *testing.T) {
		people := slices.DeleteFunc(adminPeople(), func(p *v1alpha1.Collaborator) bool { return p.Name == "ana" })
		one := adminAccount(t, newAccount(), people)
		r := Request[*v1alpha1.Collaborator]{Operation: Delete, Object: one.Collaborator("maria"), Username: "maria.lopez@acme-builders.example"}
		expectFindings(t, one.ValidateCollaborator(r), []wantFinding{
			{rule: R7, reason: v1alpha1.ReasonLastAccountAdministrator, forbidden: true, says: []string{"maria"}},
		}, "")
	})

	t.Run("every kind asks first", func(t *testing.T) {
		tower := a.WorkCenter("tower-a")
		expectFindings(t, a.ValidateWorkCenter(Request[*v1alpha1.WorkCenter]{Operation: Delete, Object: tower, Username: "daniel@example.com"}),
			[]wantFinding{forbidden("", "workCenters.delete")}, "")
		role := a.Role("coordinator")
		expectFindings(t, a.ValidateRole(Request[*v1alpha1.WorkCenterRole]{Operation: Delete, Object: role, Username: "uma@example.com"}),
			[]wantFinding{forbidden("", "roles.delete")}, "")
		acct := a.Owner()
		changed := acct.DeepCopy()
		changed.Spec.Licenses++
		expectFindings(t, a.ValidateAccount(Request[*v1alpha1.Account]{Operation: Update, Old: acct, Object: changed, Username: "uma@example.com"}),
			[]wantFinding{forbidden("spec.licenses", "licenses.manage")}, "")
	})

	t.Run("a denial names every refusal", func(t *testing.T) {
		both := withSpec(tom, func(s *v1alpha1.CollaboratorSpec) { s.DisplayName, s.Type = "Tom", v1alpha1.Guest })
		err := a.ValidateCollaborator(update("jane@example.com", "", tom, both)).Denial("Collaborator", "tom")
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want 403, got %v", err)
		}
		for _, want := range []string{"spec.displayName: ", "users.update", "spec.type: ", "users.downgrade"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("denial lacks %q: %s", want, err)
			}
		}
	})
}

// TestHoldersFollowChanges: the people a refusal names are memoized per snapshot; a
// Collaborator set, changed or removed shows in the next refusal.
func TestHoldersFollowChanges(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	refusal := func() string { return a.MayDo(a.Collaborator("jane"), string(UsersUpgrade), "").Message }
	if got := refusal(); !strings.Contains(got, "User Administrators (uma)") {
		t.Fatalf("before: %s", got)
	}
	must(a.Set(newCollab("abe", member(), admin(ua), created(20))))
	if got := refusal(); !strings.Contains(got, "User Administrators (abe, uma)") {
		t.Fatalf("after a new User Administrator: %s", got)
	}
	must(a.Set(newCollab("abe", member(), created(20))))
	if got := refusal(); !strings.Contains(got, "User Administrators (uma)") {
		t.Fatalf("after its demotion: %s", got)
	}
	a.Remove(KindCollaborator, "uma")
	if got := refusal(); !strings.Contains(got, "User Administrators (none)") {
		t.Fatalf("after its removal: %s", got)
	}
}

// TestLifecycleMetadata: ownerReferences and finalizers other than the operator's delete
// an object, or hold its deletion: a Collaborator sets or changes them only with the
// capability that deletes it. Labels and annotations are not delegated administration.
func TestLifecycleMetadata(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	owner := func(name string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Collaborator", Name: name, UID: types.UID("uid-" + name)}}
	}
	collab := func(name string, f func(*v1alpha1.Collaborator)) *v1alpha1.Collaborator {
		o := a.Collaborator(name).DeepCopy()
		f(o)
		return o
	}
	wc := func(f func(*v1alpha1.WorkCenter)) *v1alpha1.WorkCenter {
		o := a.WorkCenter("tower-a").DeepCopy()
		f(o)
		return o
	}
	t.Run("Collaborators", func(t *testing.T) {
		for name, tc := range map[string]struct {
			who      string
			old, obj *v1alpha1.Collaborator
			want     []wantFinding
		}{
			"a guest makes another's Collaborator hers, for the garbage collector": {"jane", a.Collaborator("tom"),
				collab("tom", func(o *v1alpha1.Collaborator) { o.OwnerReferences = owner("jane") }),
				[]wantFinding{forbidden("metadata.ownerReferences", "users.remove")}},
			"a guest holds another's deletion with a finalizer": {"jane", a.Collaborator("tom"),
				collab("tom", func(o *v1alpha1.Collaborator) { o.Finalizers = append(o.Finalizers, "example.com/hold") }),
				[]wantFinding{forbidden("metadata.finalizers", "users.remove")}},
			"a guest owns her own Collaborator to something": {"jane", a.Collaborator("jane"),
				collab("jane", func(o *v1alpha1.Collaborator) { o.OwnerReferences = owner("jane") }), nil},
			"a User Administrator sets an owner": {"uma", a.Collaborator("tom"),
				collab("tom", func(o *v1alpha1.Collaborator) { o.OwnerReferences = owner("uma") }), nil},
			"the operator's finalizer is not the person's": {"carl", nil,
				func() *v1alpha1.Collaborator {
					o := newCollab("sam", assigned("tower-a=contributor"))
					o.Finalizers = []string{v1alpha1.FinalizerLastAdministrator}
					return o
				}(), nil},
			"a create with an owner": {"carl", nil,
				func() *v1alpha1.Collaborator {
					o := newCollab("sam", assigned("tower-a=contributor"))
					o.OwnerReferences = owner("carl")
					return o
				}(), []wantFinding{forbidden("metadata.ownerReferences", "users.remove")}},
			"labels and annotations": {"jane", a.Collaborator("tom"),
				collab("tom", func(o *v1alpha1.Collaborator) {
					o.Labels, o.Annotations = map[string]string{"team": "x"}, map[string]string{"note": "y"}
				}), nil},
		} {
			t.Run(name, func(t *testing.T) {
				expectFindings(t, a.MayChangeCollaborator(a.Collaborator(tc.who), tc.old, tc.obj), tc.want, "")
			})
		}
	})
	t.Run("WorkCenters", func(t *testing.T) {
		expectFindings(t, a.MayChangeWorkCenter(a.Collaborator("priya"), a.WorkCenter("tower-a"),
			wc(func(o *v1alpha1.WorkCenter) { o.OwnerReferences = owner("priya") })),
			[]wantFinding{forbidden("metadata.ownerReferences", "workCenters.delete")}, "")
		expectFindings(t, a.MayChangeWorkCenter(a.Collaborator("tom"), nil, func() *v1alpha1.WorkCenter {
			o := newWorkCenter("tower-c", false)
			o.OwnerReferences = owner("tom")
			return o
		}()), []wantFinding{forbidden("metadata.ownerReferences", "workCenters.delete")}, "")
		expectFindings(t, a.MayChangeWorkCenter(a.Collaborator("maria"), a.WorkCenter("tower-a"),
			wc(func(o *v1alpha1.WorkCenter) { o.Finalizers = []string{"example.com/hold"} })),
			[]wantFinding{audited("maria", "workCenters.delete")}, "")
	})
	t.Run("roles and the Account", func(t *testing.T) {
		role := a.Role("coordinator")
		held := role.DeepCopy()
		held.Finalizers = append(held.Finalizers, "example.com/hold")
		expectFindings(t, a.MayChangeRole(a.Collaborator("uma"), role, held), []wantFinding{forbidden("metadata.finalizers", "roles.delete")}, "")
		expectFindings(t, a.MayChangeRole(a.Collaborator("maria"), role, held), nil, "")
		acct := a.Owner()
		owned := acct.DeepCopy()
		owned.OwnerReferences = owner("maria")
		expectFindings(t, a.MayChangeAccount(a.Collaborator("maria"), acct, owned), []wantFinding{forbidden("metadata.ownerReferences", "no member type")}, "")
	})
}
