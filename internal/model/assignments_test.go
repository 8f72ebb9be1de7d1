package model

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// assignmentFixture is an assignment that is Active: a licensed Member in an active
// account, assigned an existing role in an existing, unarchived WorkCenter.
func assignmentFixture() AssignmentInput {
	return AssignmentInput{
		Account:      newAccount(),
		Collaborator: newCollab("jane", member(), assigned("tower-a=site-engineer")),
		Licensed:     true,
		Assignment:   v1alpha1.WorkCenterAssignment{Name: "tower-a", Role: "site-engineer"},
		WorkCenter:   newWorkCenter("tower-a", false),
		Roles: rolesWith(
			newRole("site-engineer", includes("contributor"), granular("tasks.create")),
			newRole("guest-safe", includes("read-only"), granular("posts.create")),
			newRole("cyc-a", includes("cyc-b")), newRole("cyc-b", includes("cyc-a")),
			newRole("dangling", includes("ghost")),
			newRole("deep-owner", includes("mid-owner")), newRole("mid-owner", includes("workcenter-owner")),
			newRole("going", terminating()),
			newRole("going-owner", terminating(), includes("workcenter-owner")),
		),
	}
}

type assignmentMod func(*AssignmentInput)

func withRole(name string) assignmentMod {
	return func(in *AssignmentInput) { in.Assignment.Role = v1alpha1.ObjectName(name) }
}

func asGuest() assignmentMod {
	return func(in *AssignmentInput) { in.Collaborator.Spec.Type = v1alpha1.Guest; in.Licensed = false }
}

func noAccount() assignmentMod    { return func(in *AssignmentInput) { in.Account = nil } }
func noWorkCenter() assignmentMod { return func(in *AssignmentInput) { in.WorkCenter = nil } }
func unlicensed() assignmentMod   { return func(in *AssignmentInput) { in.Licensed = false } }

// wasInEffect: the assignment took effect before its role's deletion began (at(1000)).
func wasInEffect() assignmentMod { return tookEffect(999) }
func tookEffect(minutes int) assignmentMod {
	return func(in *AssignmentInput) { t := at(minutes); in.Since = &t }
}
func archivedWC() assignmentMod {
	return func(in *AssignmentInput) { in.WorkCenter.Spec.Archived = true }
}
func accountDeactivated() assignmentMod {
	return func(in *AssignmentInput) { in.Account.Spec.State = v1alpha1.AccountDeactivated }
}
func duplicateEmail() assignmentMod {
	return func(in *AssignmentInput) {
		in.DuplicateEmail = &Finding{Rule: "R5", Reason: v1alpha1.ReasonDuplicateEmail,
			Message: `email "jane@example.com" is already used by Collaborator "jane-old"`}
	}
}

func TestEvaluateAssignment(t *testing.T) {
	ownerMemberOnly := specMemberOnly()
	cases := map[string]struct {
		mods      []assignmentMod
		wantState v1alpha1.AssignmentState
		// wantReason is compared exactly; "" for Active.
		wantReason string
		wantInMsg  []string
	}{
		// Each step on its own.
		"active": {nil, v1alpha1.AssignmentActive, "", nil},
		"missing account": {[]assignmentMod{noAccount()},
			v1alpha1.AssignmentPending, "AccountNotFound", nil},
		"deactivated account": {[]assignmentMod{accountDeactivated()},
			v1alpha1.AssignmentPending, "AccountDeactivated", []string{"acme"}},
		"duplicate email": {[]assignmentMod{duplicateEmail()},
			v1alpha1.AssignmentRejected, "DuplicateEmail", []string{"jane-old"}},
		"missing WorkCenter": {[]assignmentMod{noWorkCenter()},
			v1alpha1.AssignmentPending, "WorkCenterNotFound", []string{"tower-a"}},
		"missing role": {[]assignmentMod{withRole("ghost")},
			v1alpha1.AssignmentPending, "RoleNotFound", []string{"ghost"}},
		"new assignment to a terminating role": {[]assignmentMod{withRole("going")},
			v1alpha1.AssignmentRejected, "RoleTerminating", []string{"going", "jane", "tower-a"}},
		"existing assignment to a terminating role stays in effect": {[]assignmentMod{withRole("going"), wasInEffect()},
			v1alpha1.AssignmentActive, "", nil},
		"took effect in the minute its role's deletion began: existing": {[]assignmentMod{withRole("going"), tookEffect(1000)},
			v1alpha1.AssignmentActive, "", nil},
		"took effect only after its role's deletion began: new": {[]assignmentMod{withRole("going"), tookEffect(1001)},
			v1alpha1.AssignmentRejected, "RoleTerminating", nil},
		"existing assignment to a terminating role in an archived WorkCenter": {[]assignmentMod{withRole("going"), wasInEffect(), archivedWC()},
			v1alpha1.AssignmentArchived, "WorkCenterArchived", nil},
		"inclusion cycle": {[]assignmentMod{withRole("cyc-a")},
			v1alpha1.AssignmentRejected, "InclusionCycle", []string{"cyc-a", "cyc-b"}},
		"missing include": {[]assignmentMod{withRole("dangling")},
			v1alpha1.AssignmentPending, "RoleNotFound", []string{"dangling", "ghost"}},
		"guest with a member-only role": {[]assignmentMod{asGuest()},
			v1alpha1.AssignmentRejected, "RoleRequiresMember", []string{"jane", "site-engineer", "tower-a", "tasks.create"}},
		"guest with workcenter-owner": {[]assignmentMod{asGuest(), withRole("workcenter-owner")},
			v1alpha1.AssignmentRejected, "RoleRequiresMember", append([]string{"workcenter-owner"}, ownerMemberOnly...)},
		"guest with a role member-only through includes": {[]assignmentMod{asGuest(), withRole("deep-owner")},
			v1alpha1.AssignmentRejected, "RoleRequiresMember", append([]string{"deep-owner"}, ownerMemberOnly...)},
		"guest with contributor": {[]assignmentMod{asGuest(), withRole("contributor")},
			v1alpha1.AssignmentActive, "", nil},
		"guest with read-only": {[]assignmentMod{asGuest(), withRole("read-only")},
			v1alpha1.AssignmentActive, "", nil},
		"guest with a guest-safe custom role": {[]assignmentMod{asGuest(), withRole("guest-safe")},
			v1alpha1.AssignmentActive, "", nil},
		"guest with default (empty) type is a guest": {[]assignmentMod{func(in *AssignmentInput) { in.Collaborator.Spec.Type = "" }},
			v1alpha1.AssignmentRejected, "RoleRequiresMember", []string{"tasks.create"}},
		"guests need no license": {[]assignmentMod{asGuest(), withRole("contributor"), unlicensed()},
			v1alpha1.AssignmentActive, "", nil},
		"unlicensed member": {[]assignmentMod{unlicensed()},
			v1alpha1.AssignmentPending, "LicenseLimitExceeded", []string{"jane", "acme"}},
		"member with workcenter-owner": {[]assignmentMod{withRole("workcenter-owner")},
			v1alpha1.AssignmentActive, "", nil},
		"archived WorkCenter": {[]assignmentMod{archivedWC()},
			v1alpha1.AssignmentArchived, "WorkCenterArchived", []string{"tower-a"}},

		// The order of the steps: the earlier one wins.
		"missing account before everything": {[]assignmentMod{noAccount(), duplicateEmail(), noWorkCenter(), withRole("ghost"), unlicensed()},
			v1alpha1.AssignmentPending, "AccountNotFound", nil},
		"deactivated before duplicate email": {[]assignmentMod{accountDeactivated(), duplicateEmail(), noWorkCenter()},
			v1alpha1.AssignmentPending, "AccountDeactivated", nil},
		"duplicate email before missing WorkCenter": {[]assignmentMod{duplicateEmail(), noWorkCenter(), withRole("ghost")},
			v1alpha1.AssignmentRejected, "DuplicateEmail", nil},
		"missing WorkCenter before missing role": {[]assignmentMod{noWorkCenter(), withRole("ghost")},
			v1alpha1.AssignmentPending, "WorkCenterNotFound", nil},
		"terminating before member-only for a guest": {[]assignmentMod{asGuest(), withRole("going-owner")},
			v1alpha1.AssignmentRejected, "RoleTerminating", nil},
		"existing terminating role still checked for guests": {[]assignmentMod{asGuest(), withRole("going-owner"), wasInEffect()},
			v1alpha1.AssignmentRejected, "RoleRequiresMember", nil},
		"cycle before guest check": {[]assignmentMod{asGuest(), withRole("cyc-a")},
			v1alpha1.AssignmentRejected, "InclusionCycle", nil},
		"missing include before guest check": {[]assignmentMod{asGuest(), func(in *AssignmentInput) {
			in.Roles["dangling"] = newRole("dangling", includes("ghost", "workcenter-owner"))
		}, withRole("dangling")},
			v1alpha1.AssignmentPending, "RoleNotFound", nil},
		"missing include before license": {[]assignmentMod{unlicensed(), withRole("dangling")},
			v1alpha1.AssignmentPending, "RoleNotFound", nil},
		"license before archived": {[]assignmentMod{unlicensed(), archivedWC()},
			v1alpha1.AssignmentPending, "LicenseLimitExceeded", nil},
		"guest member-only role in an archived WorkCenter is still rejected": {[]assignmentMod{asGuest(), withRole("workcenter-owner"), archivedWC()},
			v1alpha1.AssignmentRejected, "RoleRequiresMember", nil},
		"missing WorkCenter is pending, not rejected, for a guest with owner": {[]assignmentMod{asGuest(), withRole("workcenter-owner"), noWorkCenter()},
			v1alpha1.AssignmentPending, "WorkCenterNotFound", nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := assignmentFixture()
			for _, m := range tc.mods {
				m(&in)
			}
			got := EvaluateAssignment(in)
			if got.State != tc.wantState || got.Reason != tc.wantReason {
				t.Fatalf("EvaluateAssignment = %s/%q (%s), want %s/%q", got.State, got.Reason, got.Message, tc.wantState, tc.wantReason)
			}
			if got.Name != string(in.Assignment.Name) || got.Role != string(in.Assignment.Role) {
				t.Errorf("status names %s=%s, want %s=%s", got.Name, got.Role, in.Assignment.Name, in.Assignment.Role)
			}
			if tc.wantState == v1alpha1.AssignmentActive && got.Message != "" {
				t.Errorf("Active assignment has message %q", got.Message)
			}
			if tc.wantState != v1alpha1.AssignmentActive && got.Message == "" {
				t.Errorf("%s assignment has no message", got.State)
			}
			mustContain(t, "message", got.Message, tc.wantInMsg...)
			if InEffect(got.State) != (tc.wantState == v1alpha1.AssignmentActive || tc.wantState == v1alpha1.AssignmentArchived) {
				t.Errorf("InEffect(%s) = %v", got.State, InEffect(got.State))
			}
			// A terse evaluation (the authorizer's) decides the same, and says nothing.
			in.terse = true
			terse := EvaluateAssignment(in)
			if prebuilt := got.Reason == v1alpha1.ReasonDuplicateEmail || got.Reason == v1alpha1.ReasonRoleTerminating; !prebuilt && tc.wantState != v1alpha1.AssignmentActive && terse.Message != "" {
				t.Errorf("terse evaluation has message %q", terse.Message)
			}
			if terse.State != got.State || terse.Reason != got.Reason || terse.Name != got.Name || terse.Role != got.Role {
				t.Errorf("terse evaluation %s/%q, want %s/%q", terse.State, terse.Reason, got.State, got.Reason)
			}
		})
	}
}

// Since is R10's memory: recorded when an assignment first takes effect, carried through
// every other state while the spec keeps it, never moved once set.
func TestEvaluateAssignmentSince(t *testing.T) {
	now, earlier, late := at(5000), at(10), at(1001) // "going" is being deleted since at(1000)
	cases := map[string]struct {
		mods      []assignmentMod
		since     *metav1.Time
		wantState v1alpha1.AssignmentState
		wantSince *metav1.Time
	}{
		"first in effect: now":                                            {nil, nil, v1alpha1.AssignmentActive, &now},
		"first in effect, archived: now":                                  {[]assignmentMod{archivedWC()}, nil, v1alpha1.AssignmentArchived, &now},
		"in effect again: kept":                                           {nil, &earlier, v1alpha1.AssignmentActive, &earlier},
		"never in effect: none":                                           {[]assignmentMod{unlicensed()}, nil, v1alpha1.AssignmentPending, nil},
		"pending while deactivated: kept":                                 {[]assignmentMod{accountDeactivated()}, &earlier, v1alpha1.AssignmentPending, &earlier},
		"pending without a license: kept":                                 {[]assignmentMod{unlicensed()}, &earlier, v1alpha1.AssignmentPending, &earlier},
		"rejected as a guest: kept":                                       {[]assignmentMod{asGuest(), withRole("workcenter-owner")}, &earlier, v1alpha1.AssignmentRejected, &earlier},
		"existing, role terminating: kept, in effect":                     {[]assignmentMod{withRole("going")}, &earlier, v1alpha1.AssignmentActive, &earlier},
		"new, role terminating: none, rejected":                           {[]assignmentMod{withRole("going")}, nil, v1alpha1.AssignmentRejected, nil},
		"reactivated, role terminating: still existing":                   {[]assignmentMod{withRole("going")}, &earlier, v1alpha1.AssignmentActive, &earlier},
		"first in effect after the role's deletion began: rejected, kept": {[]assignmentMod{withRole("going")}, &late, v1alpha1.AssignmentRejected, &late},
		"role changed (the controller passes no since): new, rejected":    {[]assignmentMod{withRole("going-owner")}, nil, v1alpha1.AssignmentRejected, nil},
		"missing role: kept":                                              {[]assignmentMod{withRole("ghost")}, &earlier, v1alpha1.AssignmentPending, &earlier},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := assignmentFixture()
			in.Since, in.Now = tc.since, now
			for _, m := range tc.mods {
				m(&in)
			}
			got := EvaluateAssignment(in)
			if got.State != tc.wantState {
				t.Fatalf("state %s (%s), want %s", got.State, got.Message, tc.wantState)
			}
			if (got.Since == nil) != (tc.wantSince == nil) || (got.Since != nil && !got.Since.Equal(tc.wantSince)) {
				t.Fatalf("since %v, want %v", got.Since, tc.wantSince)
			}
		})
	}
}

// R10 across a deactivation: an assignment in effect before its role's deletion began
// goes Pending while the Account is Deactivated, keeps its since, and is Active again
// on reactivation; the same assignment arriving only now is new and Rejected.
func TestSinceCarriedThroughDeactivation(t *testing.T) {
	step := func(since *metav1.Time, now metav1.Time, mods ...assignmentMod) v1alpha1.WorkCenterAssignmentStatus {
		in := assignmentFixture()
		in.Since, in.Now = since, now
		for _, m := range append([]assignmentMod{withRole("going")}, mods...) {
			m(&in)
		}
		return EvaluateAssignment(in)
	}
	first := step(nil, at(500), func(in *AssignmentInput) {
		in.Roles["going"] = newRole("going") // not being deleted yet
	})
	paused := step(first.Since, at(1100), accountDeactivated())
	again := step(paused.Since, at(1200))
	if first.State != v1alpha1.AssignmentActive || paused.State != v1alpha1.AssignmentPending || again.State != v1alpha1.AssignmentActive {
		t.Fatalf("states %s, %s, %s; want Active, Pending, Active", first.State, paused.State, again.State)
	}
	if want := at(500); !again.Since.Equal(&want) {
		t.Fatalf("since %v, want %v", again.Since, want)
	}
	if late := step(nil, at(1200)); late.State != v1alpha1.AssignmentRejected || late.Reason != v1alpha1.ReasonRoleTerminating {
		t.Fatalf("a new assignment: %s/%s, want Rejected/RoleTerminating", late.State, late.Reason)
	}
}

// Since is stored with whole seconds: the output never carries more than the API server
// keeps, so a status computed again compares equal to the one stored.
func TestSinceInWholeSeconds(t *testing.T) {
	in := assignmentFixture()
	in.Now = metav1.NewTime(epoch.Add(1500 * time.Millisecond))
	got := EvaluateAssignment(in)
	if want := metav1.NewTime(epoch.Add(time.Second)); got.Since == nil || !got.Since.Equal(&want) {
		t.Fatalf("since %v, want %v", got.Since, want)
	}
}

func TestInEffect(t *testing.T) {
	cases := map[v1alpha1.AssignmentState]bool{
		v1alpha1.AssignmentActive:   true,
		v1alpha1.AssignmentArchived: true,
		v1alpha1.AssignmentRejected: false,
		v1alpha1.AssignmentPending:  false,
		"":                          false,
	}
	for state, want := range cases {
		if got := InEffect(state); got != want {
			t.Errorf("InEffect(%q) = %v, want %v", state, got, want)
		}
	}
}

// accessFixture is a licensed Member holding contributor, Active, in tower-a.
type accessCase struct {
	account    *v1alpha1.Account
	collab     *v1alpha1.Collaborator
	licensed   bool
	wc         *v1alpha1.WorkCenter
	assignment *v1alpha1.WorkCenterAssignmentStatus
	roles      Roles
	want       []string
}

func inEffect(role string, state v1alpha1.AssignmentState) *v1alpha1.WorkCenterAssignmentStatus {
	return &v1alpha1.WorkCenterAssignmentStatus{Name: "tower-a", Role: role, State: state}
}

func TestEffectiveAccess(t *testing.T) {
	roles := rolesWith(
		newRole("site-engineer", includes("contributor"), granular("tasks.create")),
		newRole("viewer"),
	)
	open, archived := newWorkCenter("tower-a", false), newWorkCenter("tower-a", true)
	mem := func(opts ...collabOpt) *v1alpha1.Collaborator {
		return newCollab("jane", append([]collabOpt{member()}, opts...)...)
	}
	viewDownload := []string{"workCenter.view", "files.download"}
	cases := map[string]accessCase{
		// Step 1.
		"account missing": {nil, mem(admin(v1alpha1.AdminRoleAccountAdministrator)), true, open,
			inEffect("contributor", v1alpha1.AssignmentActive), roles, nil},
		"account deactivated": {newAccount(deactivated()), mem(), true, open,
			inEffect("contributor", v1alpha1.AssignmentActive), roles, nil},
		"account deactivated, AccountAdministrator": {newAccount(deactivated()), mem(admin(v1alpha1.AdminRoleAccountAdministrator)), true, open,
			nil, roles, nil},
		"account deactivated, guest": {newAccount(deactivated()), newCollab("g"), false, open,
			inEffect("read-only", v1alpha1.AssignmentActive), roles, nil},
		// Step 2.
		"unlicensed member": {newAccount(), mem(), false, open,
			inEffect("contributor", v1alpha1.AssignmentActive), roles, nil},
		"unlicensed AccountAdministrator": {newAccount(), mem(admin(v1alpha1.AdminRoleAccountAdministrator)), false, open,
			inEffect("contributor", v1alpha1.AssignmentActive), roles, nil},
		"unlicensed WorkCenterAdministrator": {newAccount(), mem(admin(v1alpha1.AdminRoleWorkCenterAdministrator)), false, open,
			nil, roles, nil},
		// Step 3.
		"AccountAdministrator with no assignment": {newAccount(), mem(admin(v1alpha1.AdminRoleAccountAdministrator)), true, open,
			nil, roles, specAll()},
		"WorkCenterAdministrator with no assignment": {newAccount(), mem(admin(v1alpha1.AdminRoleWorkCenterAdministrator)), true, open,
			nil, roles, specAll()},
		"AccountAdministrator supersedes a read-only assignment": {newAccount(), mem(admin(v1alpha1.AdminRoleAccountAdministrator)), true, open,
			inEffect("read-only", v1alpha1.AssignmentActive), roles, specAll()},
		"AccountAdministrator supersedes a rejected assignment": {newAccount(), mem(admin(v1alpha1.AdminRoleAccountAdministrator)), true, open,
			&v1alpha1.WorkCenterAssignmentStatus{Name: "tower-a", Role: "ghost", State: v1alpha1.AssignmentPending}, roles, specAll()},
		"UserAdministrator does not supersede: no assignment": {newAccount(), mem(admin(v1alpha1.AdminRoleUserAdministrator)), true, open,
			nil, roles, nil},
		"UserAdministrator does not supersede: gets the role": {newAccount(), mem(admin(v1alpha1.AdminRoleUserAdministrator)), true, open,
			inEffect("contributor", v1alpha1.AssignmentActive), roles, specContributor},
		"guest claiming an admin role is not an administrator": {newAccount(), newCollab("g", admin(v1alpha1.AdminRoleAccountAdministrator)), false, open,
			inEffect("read-only", v1alpha1.AssignmentActive), roles, specReadOnly},
		// Step 4.
		"member with an active role": {newAccount(), mem(), true, open,
			inEffect("site-engineer", v1alpha1.AssignmentActive), roles, append([]string{"tasks.create"}, specContributor...)},
		"member with workcenter-owner": {newAccount(), mem(), true, open,
			inEffect("workcenter-owner", v1alpha1.AssignmentActive), roles, specAll()},
		"guest with contributor": {newAccount(), newCollab("g"), false, open,
			inEffect("contributor", v1alpha1.AssignmentActive), roles, specContributor},
		"empty role gives view": {newAccount(), newCollab("g"), false, open,
			inEffect("viewer", v1alpha1.AssignmentActive), roles, []string{"workCenter.view"}},
		"no assignment": {newAccount(), mem(), true, open, nil, roles, nil},
		"pending assignment": {newAccount(), mem(), true, open,
			inEffect("contributor", v1alpha1.AssignmentPending), roles, nil},
		"rejected assignment": {newAccount(), newCollab("g"), false, open,
			inEffect("workcenter-owner", v1alpha1.AssignmentRejected), roles, nil},
		// Step 5.
		"archived cuts workcenter-owner to view and download": {newAccount(), mem(), true, archived,
			inEffect("workcenter-owner", v1alpha1.AssignmentArchived), roles, viewDownload},
		"archived cuts even with a stale Active state": {newAccount(), mem(), true, archived,
			inEffect("contributor", v1alpha1.AssignmentActive), roles, viewDownload},
		"archived cuts AccountAdministrator": {newAccount(), mem(admin(v1alpha1.AdminRoleAccountAdministrator)), true, archived,
			nil, roles, viewDownload},
		"archived cuts WorkCenterAdministrator": {newAccount(), mem(admin(v1alpha1.AdminRoleWorkCenterAdministrator)), true, archived,
			nil, roles, viewDownload},
		"archived never adds download": {newAccount(), newCollab("g"), false, archived,
			inEffect("viewer", v1alpha1.AssignmentArchived), roles, []string{"workCenter.view"}},
		"archived read-only keeps both": {newAccount(), newCollab("g"), false, archived,
			inEffect("read-only", v1alpha1.AssignmentArchived), roles, viewDownload},
		"archived, unlicensed member still nothing": {newAccount(), mem(), false, archived,
			inEffect("contributor", v1alpha1.AssignmentArchived), roles, nil},
		"archived, rejected assignment still nothing": {newAccount(), newCollab("g"), false, archived,
			inEffect("workcenter-owner", v1alpha1.AssignmentRejected), roles, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := EffectiveAccess(AccessInput{
				Account: tc.account, Collaborator: tc.collab, Licensed: tc.licensed,
				WorkCenter: tc.wc, Assignment: tc.assignment, Roles: tc.roles,
			})
			if got == nil {
				t.Fatalf("EffectiveAccess returned a nil set")
			}
			equalSet(t, "EffectiveAccess", got, tc.want)
		})
	}
}

// TestSharedAccessSets: effective access answers with sets built once (callers must not
// change them): an administrator's is every permission, All() is still a fresh set each
// time, and an archived WorkCenter's cut leaves exactly what Intersect would.
func TestSharedAccessSets(t *testing.T) {
	in := AccessInput{Account: newAccount(), Collaborator: newCollab("boss", member(), admin(v1alpha1.AdminRoleAccountAdministrator)),
		Licensed: true, WorkCenter: newWorkCenter("tower-a", false), Roles: rolesWith()}
	equalSet(t, "administrator", EffectiveAccess(in), specAll())
	first := All()
	delete(first, "workCenter.view")
	equalSet(t, "All()", All(), specAll())
	equalSet(t, "administrator after All() changed", EffectiveAccess(in), specAll())
	for _, perms := range []Set{{}, NewSet(WorkCenterView), NewSet(FilesDownload, FilesUpload), NewSet(WorkCenterView, FilesDownload, TasksCreate), All()} {
		equalSet(t, "archivedCut("+perms.String()+")", archivedCut(perms), permStrings(perms.Intersect(ArchivedPermissions()).Sorted()))
	}
}

// TestGuestUpgradedToOwnerInOneChange: a Guest made a Member and given workcenter-owner
// in the same apply gets everything when a license is free, and nothing (Pending) when
// none is.
func TestGuestUpgradedToOwnerInOneChange(t *testing.T) {
	cases := map[string]struct {
		licenses      int32
		wantViolation bool
		wantState     v1alpha1.AssignmentState
		wantReason    string
		want          []string
	}{
		"a license is free":  {2, false, v1alpha1.AssignmentActive, "", specAll()},
		"no license is free": {1, true, v1alpha1.AssignmentPending, "LicenseLimitExceeded", nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			account := newAccount(licenses(tc.licenses))
			boss := newCollab("boss", member(), admin(v1alpha1.AdminRoleAccountAdministrator), created(0))
			old := newCollab("jane", guest(), created(5), assigned("tower-a=contributor"))
			upgraded := old.DeepCopy()
			upgraded.Spec.Type = v1alpha1.Member
			upgraded.Spec.WorkCenters = nil
			assigned("tower-a=workcenter-owner")(upgraded)
			roles := rolesWith()

			// Admission: R3/R2 has nothing to say about a Member; R4 decides.
			if vs := CheckGuestRoles(upgraded, roles); len(vs) != 0 {
				t.Errorf("CheckGuestRoles on the upgraded Member = %v", vs)
			}
			v := CheckLicenseAvailable(upgraded, old, []*v1alpha1.Collaborator{boss, old}, account)
			if (v != nil) != tc.wantViolation {
				t.Errorf("CheckLicenseAvailable = %v, want violation %v", v, tc.wantViolation)
			}

			// Reconciliation: licenses, then the assignment, then the access.
			licensed := AllocateLicenses([]*v1alpha1.Collaborator{boss, upgraded}, tc.licenses)
			wc := newWorkCenter("tower-a", false)
			st := EvaluateAssignment(AssignmentInput{
				Account: account, Collaborator: upgraded, Licensed: licensed["jane"],
				Assignment: upgraded.Spec.WorkCenters[0], WorkCenter: wc, Roles: roles,
			})
			if st.State != tc.wantState || st.Reason != tc.wantReason {
				t.Fatalf("assignment = %s/%q (%s), want %s/%q", st.State, st.Reason, st.Message, tc.wantState, tc.wantReason)
			}
			got := EffectiveAccess(AccessInput{
				Account: account, Collaborator: upgraded, Licensed: licensed["jane"],
				WorkCenter: wc, Assignment: &st, Roles: roles,
			})
			equalSet(t, "EffectiveAccess", got, tc.want)
		})
	}
}
