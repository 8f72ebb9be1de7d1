package query

import (
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

func TestLookupNamesBothCatalogs(t *testing.T) {
	cases := []struct {
		name                   string
		permission, capability bool
		// asCapability: answered as a capability without a WorkCenter, in one, and in one
		// with --capability.
		asCapability [3]bool
	}{
		{"files.upload", true, false, [3]bool{false, false, false}},
		{"workCenters.delete", false, true, [3]bool{true, true, true}},
		{"users.upgrade", false, true, [3]bool{true, true, true}},
		{"collaborators.changeRole", true, true, [3]bool{true, false, true}},
		{"collaborators.remove", true, true, [3]bool{true, false, true}},
	}
	for _, tc := range cases {
		n, err := Lookup(tc.name)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n.Permission != tc.permission || n.Capability != tc.capability {
			t.Errorf("%s: permission %v capability %v; want %v %v", tc.name, n.Permission, n.Capability, tc.permission, tc.capability)
		}
		got := [3]bool{n.AsCapability("", false), n.AsCapability("tower-a", false), n.AsCapability("tower-a", true)}
		if got != tc.asCapability {
			t.Errorf("%s: answered as a capability %v; want %v", tc.name, got, tc.asCapability)
		}
		if n.Capability && n.Info.Capability != model.Capability(tc.name) {
			t.Errorf("%s: catalog entry %+v", tc.name, n.Info)
		}
	}
	for _, tc := range []struct{ name, want string }{
		{"workCenter.delete", `unknown permission or capability "workCenter.delete"; nearest: workCenters.delete`},
		{"users.upgrad", `unknown permission or capability "users.upgrad"; nearest: users.upgrade`},
		{"folder.delete", `unknown permission or capability "folder.delete"; nearest: folders.delete`},
	} {
		_, err := Lookup(tc.name)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Lookup(%q): %v; want it to start with %q", tc.name, err, tc.want)
		}
	}
	if _, err := Capability("files.upload"); err == nil || !strings.Contains(err.Error(), "is a WorkCenter permission, not an account-level capability") {
		t.Errorf("Capability(files.upload): %v", err)
	}
}

// withUserAdministrator adds uma, a licensed User Administrator, to the account.
func withUserAdministrator(objs []any) []any {
	objs[0].(*v1alpha1.Account).Spec.Licenses = 3
	uma := fixtures.Admin(v1alpha1.AdminRoleUserAdministrator, fixtures.Collaborator(ns, "uma", v1alpha1.Member))
	return append(objs[:9], append([]any{uma}, objs[9:]...)...)
}

func TestCanCapabilityIsTheModelsDecision(t *testing.T) {
	deactivated := func(objs []any) []any {
		objs[0].(*v1alpha1.Account).Spec.State = v1alpha1.AccountDeactivated
		return objs
	}
	noAccount := func(objs []any) []any { return objs[1:] }
	cases := []struct {
		name       string
		change     func([]any) []any
		who        string
		capability model.Capability
		wc         string
		allowed    bool
		step       string
		stepNumber int
		workCenter string // the answer's
		rule       string
		message    string // in the message
	}{
		{name: "an Account Administrator deletes WorkCenters everywhere", who: "ann", capability: model.WorkCentersDelete,
			allowed: true, step: "memberType", stepNumber: 5, message: "ann (AccountAdministrator) may workCenters.delete: Account Administrators hold it in every WorkCenter"},
		{name: "a Member does not, and is told who does", who: "bob", capability: model.WorkCentersDelete,
			step: "memberType", stepNumber: 5, message: "bob (Member) may not workCenters.delete: Account Administrators (ann) hold it in every WorkCenter"},
		{name: "an Account capability ignores the WorkCenter", who: "bob", capability: model.WorkCentersCreate, wc: "tower-a",
			allowed: true, step: "memberType", stepNumber: 5, message: "Members hold it in the account"},
		{name: "a WorkCenter capability without a WorkCenter is its member types'", who: "bob", capability: model.WorkCentersView,
			step: "memberType", stepNumber: 5, message: "in one WorkCenter, workCenter.view there gives it"},
		{name: "a WorkCenter capability in a WorkCenter, by a role's permission", who: "bob", capability: model.WorkCentersView, wc: "tower-a",
			allowed: true, step: "workCenter", stepNumber: 6, workCenter: "tower-a", message: `role "lead" grants workCenter.view there`},
		{name: "a WorkCenter capability refused in a WorkCenter, naming the permission", who: "bob", capability: model.WorkCentersEdit, wc: "tower-a",
			step: "workCenter", stepNumber: 6, workCenter: "tower-a", message: "it needs workCenter.editSettings there"},
		{name: "a Guest does not upgrade users", who: "gus", capability: model.UsersUpgrade,
			step: "memberType", stepNumber: 5, message: "User Administrators (none)"},
		{name: "a User Administrator upgrades users", change: withUserAdministrator, who: "uma", capability: model.UsersUpgrade,
			allowed: true, step: "memberType", stepNumber: 5, message: "User Administrators hold it in the account"},
		{name: "a Member without a license holds nothing", who: "carl", capability: model.WorkCentersCreate,
			step: "license", stepNumber: 4, message: "holds none of Account \"acme\"'s 2 licenses (R4)"},
		{name: "but leaves", who: "carl", capability: model.AccountLeave,
			allowed: true, step: "memberType", stepNumber: 5},
		{name: "the last Account Administrator stays (R7)", who: "ann", capability: model.AccountLeave,
			step: "target", stepNumber: 7, rule: "R7", message: "last AccountAdministrator"},
		{name: "in a Deactivated Account only its Account Administrators", change: deactivated, who: "bob", capability: model.AccountLeave,
			step: "account", stepNumber: 3, message: "is Deactivated"},
		{name: "an Account Administrator reactivates it", change: deactivated, who: "ann", capability: model.AccountReactivate,
			allowed: true, step: "memberType", stepNumber: 5},
		{name: "no Account, nothing", change: noAccount, who: "ann", capability: model.AccountEdit,
			step: "account", stepNumber: 3, message: "has no Account"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := account(t, tc.change)
			c, err := e.Collaborator(tc.who)
			if err != nil {
				t.Fatal(err)
			}
			d := e.CanCapability(c, tc.capability, tc.wc)
			want := e.Model().MayDo(c, string(tc.capability), tc.wc)
			if d.Message != want.Message || d.Allowed != want.Allowed || d.Step != want.Step.String() {
				t.Fatalf("%+v; the model says %+v", d, want)
			}
			if d.Allowed != tc.allowed || d.Step != tc.step || d.StepNumber != tc.stepNumber || d.WorkCenter != tc.workCenter {
				t.Errorf("allowed %v step %d (%s) in %q; want %v, %d (%s) in %q: %s", d.Allowed, d.StepNumber, d.Step, d.WorkCenter,
					tc.allowed, tc.stepNumber, tc.step, tc.workCenter, d.Message)
			}
			if rule := cmpOr(tc.rule, "Delegation"); d.Rule != rule {
				t.Errorf("rule %s; want %s", d.Rule, rule)
			}
			if !strings.Contains(d.Message, tc.message) {
				t.Errorf("message %q; want it to contain %q", d.Message, tc.message)
			}
			info, _ := model.LookupCapability(string(tc.capability))
			if d.Collaborator != c.Name || d.Email != c.Spec.Email || d.Capability != string(tc.capability) || d.Scope != string(info.Scope) ||
				d.MemberType != string(model.MemberTypeOf(c)) {
				t.Errorf("question %+v", d)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestWhoCanCapability(t *testing.T) {
	e := account(t, withUserAdministrator)
	names := func(as []CapabilityAnswer) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Collaborator)
		}
		return out
	}
	cases := []struct {
		capability      model.Capability
		wc              string
		allowed, denied []string
		workCenter      string
	}{
		{model.UsersUpgrade, "", []string{"ann", "uma"}, []string{"bob", "carl", "gina", "gus", "pat"}, ""},
		{model.UsersUpgrade, "tower-a", []string{"ann", "uma"}, []string{"bob", "carl", "gina", "gus", "pat"}, ""},
		{model.WorkCentersDelete, "", []string{"ann"}, []string{"bob", "carl", "gina", "gus", "pat", "uma"}, ""},
		{model.WorkCentersView, "tower-a", []string{"ann", "bob", "gus"}, []string{"carl", "gina", "pat", "uma"}, "tower-a"},
		{model.AccountLeave, "", []string{"bob", "carl", "gina", "gus", "pat", "uma"}, []string{"ann"}, ""},
	}
	for _, tc := range cases {
		r := e.WhoCanCapability(tc.capability, tc.wc, true)
		if got := names(r.Allowed); !slices.Equal(got, tc.allowed) {
			t.Errorf("%s in %q: allowed %v; want %v", tc.capability, tc.wc, got, tc.allowed)
		}
		if got := names(r.Denied); !slices.Equal(got, tc.denied) {
			t.Errorf("%s in %q: denied %v; want %v", tc.capability, tc.wc, got, tc.denied)
		}
		if r.WorkCenter != tc.workCenter || r.Capability != string(tc.capability) {
			t.Errorf("%s in %q: answered %s in %q", tc.capability, tc.wc, r.Capability, r.WorkCenter)
		}
		for _, a := range append(slices.Clone(r.Allowed), r.Denied...) {
			if d := e.Model().MayDo(e.Model().Collaborator(a.Collaborator), string(tc.capability), tc.wc); a.Message != d.Message || a.Step != d.Step.String() {
				t.Errorf("%s: %+v; the model says %+v", a.Collaborator, a, d)
			}
		}
		if r := e.WhoCanCapability(tc.capability, tc.wc, false); r.Denied != nil || !slices.Equal(names(r.Allowed), tc.allowed) {
			t.Errorf("%s without the denied: %+v", tc.capability, r)
		}
	}
}

func TestListAllAndAccessHoldCapabilities(t *testing.T) {
	e := account(t, withUserAdministrator)
	held := func(cs []CapabilityHeld) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Capability)
		}
		return out
	}
	bob, _ := e.Collaborator("bob")
	l := e.ListAll(bob, "tower-a")
	if want := []string{"workCenters.create", "templates.create", "workCenters.view", "account.leave"}; !slices.Equal(held(l.Capabilities), want) {
		t.Errorf("bob in tower-a holds %v; want %v", held(l.Capabilities), want)
	}
	if l.MemberType != "Member" || len(l.Permissions) != len(e.List(bob, "tower-a").Permissions) {
		t.Errorf("bob in tower-a: %+v", l)
	}
	everywhere := e.ListAll(bob, "")
	if want := []string{"workCenters.create", "templates.create", "account.leave"}; !slices.Equal(held(everywhere.Capabilities), want) {
		t.Errorf("bob everywhere holds %v; want %v", held(everywhere.Capabilities), want)
	}
	if len(everywhere.Permissions) != 0 || everywhere.Reason != "" || everywhere.Assignment != nil {
		t.Errorf("a list with no WorkCenter lists permissions: %+v", everywhere)
	}
	uma, _ := e.Collaborator("uma")
	if got, want := held(e.ListAll(uma, "").Capabilities), []string{"workCenters.create", "templates.create", "collaborators.add", "collaborators.changeRole",
		"users.update", "users.remove", "users.upgrade", "users.downgrade", "account.leave"}; !slices.Equal(got, want) {
		t.Errorf("uma everywhere holds %v; want %v", got, want)
	}

	a := e.Access(bob)
	var rows []string
	for _, c := range a.Capabilities {
		where := "everywhere"
		if !c.Everywhere {
			where = strings.Join(c.WorkCenters, ",")
		}
		rows = append(rows, c.Capability+":"+where)
	}
	// bob holds lead in tower-a and in the archived old, which keeps workCenter.view.
	if want := []string{"workCenters.create:everywhere", "templates.create:everywhere", "workCenters.view:old,tower-a", "account.leave:everywhere"}; !slices.Equal(rows, want) {
		t.Errorf("bob's capabilities %v; want %v", rows, want)
	}
	if a.MemberType != "Member" || a.NoCapability != "" {
		t.Errorf("bob: member type %q, no capability %q", a.MemberType, a.NoCapability)
	}
	deactivated := account(t, func(objs []any) []any {
		objs[0].(*v1alpha1.Account).Spec.State = v1alpha1.AccountDeactivated
		return objs
	})
	gus, _ := deactivated.Collaborator("gus")
	if a := deactivated.Access(gus); len(a.Capabilities) != 0 || !strings.Contains(a.NoCapability, "is Deactivated") {
		t.Errorf("gus in a Deactivated Account: %+v", a)
	}
}

// TestCapabilityAnswersAgreeWithTheModel: on random accounts, every capability answer is
// the model's decision, and the answers agree with each other: WhoCanCapability is
// exactly those CanCapability allows, Capabilities (can-i --list) exactly the
// capabilities CanCapability allows there, and Access the capabilities held everywhere
// or in the WorkCenters where CanCapability allows them.
func TestCapabilityAnswersAgreeWithTheModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := randomAccount(t)
		e := New(m, now)
		places := []string{""}
		for _, wc := range m.WorkCenters() {
			places = append(places, wc.Name)
		}
		access := map[string]map[string]CapabilityAccess{}
		for _, c := range m.Collaborators() {
			access[c.Name] = map[string]CapabilityAccess{}
			for _, ca := range e.Access(c).Capabilities {
				access[c.Name][ca.Capability] = ca
			}
		}
		for _, info := range model.Capabilities() {
			for _, wc := range places {
				var can []string
				for _, c := range m.Collaborators() {
					d := e.CanCapability(c, info.Capability, wc)
					if want := m.MayDo(c, string(info.Capability), wc); d.Allowed != want.Allowed || d.Message != want.Message {
						t.Fatalf("%s %s %q: %+v; the model says %+v", c.Name, info.Capability, wc, d, want)
					}
					if d.Allowed {
						can = append(can, c.Name)
					}
					if slices.ContainsFunc(e.Capabilities(c, wc), func(h CapabilityHeld) bool { return h.Capability == string(info.Capability) }) != d.Allowed {
						t.Fatalf("%s %s %q: Capabilities disagrees with CanCapability (%v)", c.Name, info.Capability, wc, d.Allowed)
					}
					ca, held := access[c.Name][string(info.Capability)]
					inAccess := held && (ca.Everywhere || wc != "" && slices.Contains(ca.WorkCenters, wc))
					if wc == "" && inAccess != d.Allowed || wc != "" && d.Allowed && !inAccess {
						t.Fatalf("%s %s %q: Access %+v disagrees with CanCapability (%v)", c.Name, info.Capability, wc, ca, d.Allowed)
					}
				}
				var got []string
				for _, a := range e.WhoCanCapability(info.Capability, wc, false).Allowed {
					got = append(got, a.Collaborator)
				}
				if !slices.Equal(got, can) {
					t.Fatalf("who-can %s in %q: %v; CanCapability allows %v", info.Capability, wc, got, can)
				}
			}
		}
	})
}
