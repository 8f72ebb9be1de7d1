package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// RBAC that matches (rbac.go) as table tests: each person's rules, written from
// docs/administration.md (RBAC) as literals, "resource[names]: verbs", so that a verb
// too many fails as a verb too few ("and no more"). Then properties: what admission
// allows, RBAC lets through, and the memoized decisions are Decide's.

// ruleStrings writes rules as "resource[names]: verbs" ("resource: verbs" for every
// object), checking the group.
func ruleStrings(t *testing.T, rules []rbacv1.PolicyRule) []string {
	t.Helper()
	out := []string{}
	for _, r := range rules {
		if !slices.Equal(r.APIGroups, []string{"access.workcenter.io"}) || len(r.Resources) != 1 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %+v: want one resource of access.workcenter.io", r)
		}
		s := r.Resources[0]
		if len(r.ResourceNames) > 0 {
			s += "[" + strings.Join(r.ResourceNames, ",") + "]"
		}
		out = append(out, s+": "+strings.Join(r.Verbs, ","))
	}
	return out
}

func expectRules(t *testing.T, what string, got []rbacv1.PolicyRule, want []string) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Errorf("%s: rules %v, want none at all (nil)", what, ruleStrings(t, got))
		}
		return
	}
	if got == nil {
		t.Errorf("%s: nil, want %v", what, want)
		return
	}
	if g := ruleStrings(t, got); !slices.Equal(g, want) {
		t.Errorf("%s:\n got  %q\n want %q\n extra %q\n missing %q", what, g, want, minus(g, want), minus(want, g))
	}
}

// Every member type, in the test account (adminPeople): an Active Account with licenses
// for everyone.
func TestRBACRulesPerMemberType(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	cases := map[string][]string{
		// Guest, contributor in tower-a: itself, the Account, its WorkCenter.
		"jane": {
			"accounts[acme]: get",
			"collaborators[jane]: delete,get,patch,update",
			"workcenters[tower-a]: get",
		},
		// Member, site-engineer in tower-a: and it creates WorkCenters.
		"tom": {
			"accounts[acme]: get",
			"collaborators[tom]: delete,get,patch,update",
			"workcenters: create",
			"workcenters[tower-a]: get",
		},
		// Member, owner of tower-a: manages its collaborators (so reads and updates
		// every Collaborator, creates them, reads the roles it gives) and edits it.
		"priya": {
			"accounts[acme]: get",
			"collaborators: create,get,list,patch,update,watch",
			"collaborators[priya]: delete",
			"workcenterroles: get,list,watch",
			"workcenters: create",
			"workcenters[tower-a]: get,patch,update",
		},
		// Member, coordinator of tower-a (editSettings, collaborators.*), owner of the
		// archived old-depot (view only).
		"carl": {
			"accounts[acme]: get",
			"collaborators: create,get,list,patch,update,watch",
			"collaborators[carl]: delete",
			"workcenterroles: get,list,watch",
			"workcenters: create",
			"workcenters[old-depot]: get",
			"workcenters[tower-a]: get,patch,update",
		},
		// WorkCenter Administrator: every WorkCenter, read and edited; collaborators.*
		// everywhere; no delete of WorkCenters or Collaborators, no roles of its own.
		"daniel": {
			"accounts[acme]: get",
			"collaborators: create,get,list,patch,update,watch",
			"collaborators[daniel]: delete",
			"workcenterroles: get,list,watch",
			"workcenters: create,get,list,patch,update,watch",
		},
		// User Administrator: users.*, collaborators.add and changeRole everywhere; its
		// own WorkCenter only.
		"uma": {
			"accounts[acme]: get",
			"collaborators: create,delete,get,list,patch,update,watch",
			"workcenterroles: get,list,watch",
			"workcenters: create",
			"workcenters[tower-a]: get",
		},
		// Account Administrator: everything on the four kinds, but creating and deleting
		// Accounts (no member type does).
		"maria": {
			"accounts: get,list,watch",
			"accounts[acme]: patch,update",
			"collaborators: create,delete,get,list,patch,update,watch",
			"workcenterroles: create,delete,get,list,patch,update,watch",
			"workcenters: create,delete,get,list,patch,update,watch",
		},
	}
	for who, want := range cases {
		t.Run(who, func(t *testing.T) {
			expectRules(t, who, a.RBACRules(a.Collaborator(who)), want)
		})
	}
}

func TestRBACRulesEdgeCases(t *testing.T) {
	base := adminPeople
	cases := map[string]struct {
		account *v1alpha1.Account
		people  []*v1alpha1.Collaborator
		who     string
		want    []string
	}{
		"no Account: nobody gets anything": {nil, base(), "maria", nil},
		// A Deactivated Account: reads need account.viewDeactivated, writes are refused
		// but to Account Administrators.
		"Deactivated, a Guest":                    {newAccount(deactivated()), base(), "jane", []string{}},
		"Deactivated, a Member":                   {newAccount(deactivated()), base(), "priya", []string{}},
		"Deactivated, a WorkCenter Administrator": {newAccount(deactivated()), base(), "daniel", []string{}},
		"Deactivated, an Account Administrator": {newAccount(deactivated()), base(), "maria", []string{
			"accounts: get,list,watch",
			"accounts[acme]: patch,update",
			"collaborators: create,delete,get,list,patch,update,watch",
			"workcenterroles: create,delete,get,list,patch,update,watch",
			"workcenters: create,delete,get,list,patch,update,watch",
		}},
		// R4: two licenses, held by maria and ana; a Member without one leaves only.
		"no license, a Member": {newAccount(licenses(2)), base(), "priya", []string{
			"accounts[acme]: get",
			"collaborators[priya]: delete,get,patch,update",
		}},
		"no license, a WorkCenter Administrator": {newAccount(licenses(2)), base(), "daniel", []string{
			"accounts[acme]: get",
			"collaborators[daniel]: delete,get,patch,update",
		}},
		"no license, a Guest needs none": {newAccount(licenses(2)), base(), "jane", []string{
			"accounts[acme]: get",
			"collaborators[jane]: delete,get,patch,update",
			"workcenters[tower-a]: get",
		}},
		// An Account Administrator without a license still manages licenses.
		"no license, an Account Administrator": {newAccount(licenses(0)), base(), "maria", []string{
			"accounts: get,list,watch",
			"accounts[acme]: patch,update",
			"collaborators[maria]: delete,get,patch,update",
		}},
		// R7: the last Account Administrator does not leave.
		"no license, the last Account Administrator": {newAccount(licenses(0)), without(base(), "ana"), "maria", []string{
			"accounts: get,list,watch",
			"accounts[acme]: patch,update",
			"collaborators[maria]: get,patch,update",
		}},
		// R5: the newer Collaborator with maria's email is nobody's; maria keeps hers.
		"a duplicate email": {newAccount(), append(base(), newCollab("maria-2", member(), admin(aa), created(9),
			email("Maria.Lopez@acme-builders.example"))), "maria-2", nil},
		"the holder of a duplicated email": {newAccount(), append(base(), newCollab("maria-2", created(9),
			email("Maria.Lopez@acme-builders.example"))), "maria", []string{
			"accounts: get,list,watch",
			"accounts[acme]: patch,update",
			"collaborators: create,delete,get,list,patch,update,watch",
			"workcenterroles: create,delete,get,list,patch,update,watch",
			"workcenters: create,delete,get,list,patch,update,watch",
		}},
		// Assignments not in effect give nothing: Rejected (R2: a Guest holding a
		// member-only role; a role in a cycle), Pending (a WorkCenter or role missing).
		"assignments not in effect": {newAccount(), append(base(), newCollab("gus", created(9),
			assigned("tower-b=workcenter-owner", "tower-a=cycle-a", "tower-z=contributor", "old-depot=ghost"))), "gus", []string{
			"accounts[acme]: get",
			"collaborators[gus]: delete,get,patch,update",
		}},
		// A Collaborator being deleted keeps its rules until it is gone.
		"being deleted": {newAccount(), append(base(), func() *v1alpha1.Collaborator {
			c := newCollab("leo", created(9), assigned("tower-b=read-only"))
			now := at(100)
			c.DeletionTimestamp = &now
			c.Finalizers = []string{"example.com/hold"}
			return c
		}()), "leo", []string{
			"accounts[acme]: get",
			"collaborators[leo]: delete,get,patch,update",
			"workcenters[tower-b]: get",
		}},
		// The same WorkCenter twice in a spec counts once.
		"a WorkCenter assigned twice": {newAccount(), append(base(), newCollab("twice", created(9),
			assigned("tower-b=read-only", "tower-b=contributor"))), "twice", []string{
			"accounts[acme]: get",
			"collaborators[twice]: delete,get,patch,update",
			"workcenters[tower-b]: get",
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := adminAccount(t, tc.account, tc.people)
			expectRules(t, tc.who, a.RBACRules(a.Collaborator(tc.who)), tc.want)
		})
	}
}

// Many WorkCenters: one rule per set of verbs, names sorted; a verb on every object is
// not repeated on named ones.
func TestRBACRulesGroupNames(t *testing.T) {
	objs := []any{newAccount(), newRole("read-only"), newRole("contributor"), newRole("workcenter-owner")}
	for _, wc := range []string{"wc-c", "wc-a", "wc-b", "wc-d"} {
		objs = append(objs, newWorkCenter(wc, wc == "wc-d"))
	}
	objs = append(objs, newCollab("sam", member(), assigned("wc-c=read-only", "wc-a=read-only", "wc-b=workcenter-owner", "wc-d=workcenter-owner")))
	a, err := Build(testNamespace, objs...)
	if err != nil {
		t.Fatal(err)
	}
	expectRules(t, "sam", a.RBACRules(a.Collaborator("sam")), []string{
		"accounts[acme]: get",
		"collaborators: create,get,list,patch,update,watch",
		"collaborators[sam]: delete",
		"workcenterroles: get,list,watch",
		"workcenters: create",
		"workcenters[wc-a,wc-c,wc-d]: get",
		"workcenters[wc-b]: get,patch,update",
	})
	// Deterministic: the same rules every time, whatever the maps' order.
	first := fmt.Sprint(a.RBACRules(a.Collaborator("sam")))
	for range 20 {
		if again := fmt.Sprint(a.RBACRules(a.Collaborator("sam"))); again != first {
			t.Fatalf("rules differ between calls:\n%s\n%s", first, again)
		}
	}
}

// rbacAllows reports whether rules let verb on resource, for the object called name ("":
// a create, or a list, which no resourceNames rule allows).
func rbacAllows(rules []rbacv1.PolicyRule, verb, resource, name string) bool {
	for _, r := range rules {
		if !slices.Contains(r.Resources, resource) || !slices.Contains(r.Verbs, verb) {
			continue
		}
		if len(r.ResourceNames) == 0 || (name != "" && slices.Contains(r.ResourceNames, name)) {
			return true
		}
	}
	return false
}

// rbacAccounts are the accounts the properties are checked on: the test account Active,
// Deactivated, short of licenses and without any, and without its second Account
// Administrator (R7).
func rbacAccounts(t *testing.T) map[string]*Account {
	return map[string]*Account{
		"active":      adminAccount(t, newAccount(), adminPeople()),
		"deactivated": adminAccount(t, newAccount(deactivated()), adminPeople()),
		"2 licenses":  adminAccount(t, newAccount(licenses(2)), adminPeople()),
		"no license":  adminAccount(t, newAccount(licenses(0)), without(adminPeople(), "ana")),
		"duplicate": adminAccount(t, newAccount(), append(adminPeople(),
			newCollab("tom-2", member(), admin(aa), created(9), email("TOM@example.com")))),
	}
}

// What admission allows, RBAC lets through: for every person of each account and every
// change of the four kinds that MayChange* allows, the rules grant its verb on that
// object (and get, which kubectl reads first). RBAC never stands in the way of the rules
// layer.
func TestRBACLetsThroughWhatAdmissionAllows(t *testing.T) {
	for name, a := range rbacAccounts(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range a.Collaborators() {
				if !a.HoldsEmail(c) {
					continue
				}
				rules := a.RBACRules(c)
				need := func(change string, allowed Findings, verb, resource, object string) {
					t.Helper()
					if len(allowed) > 0 {
						return
					}
					if !rbacAllows(rules, verb, resource, object) {
						t.Errorf("%s: admission allows %s, RBAC has no %s on %s %q; rules %q", c.Name, change, verb, resource, object, ruleStrings(t, rules))
					}
					if verb != VerbCreate && !rbacAllows(rules, VerbGet, resource, object) {
						t.Errorf("%s: admission allows %s, RBAC has no get on %s %q", c.Name, change, resource, object)
					}
				}
				write := func(change string, allowed Findings, resource, object string) {
					t.Helper()
					need(change, allowed, VerbUpdate, resource, object)
					need(change, allowed, VerbPatch, resource, object)
				}
				for _, wc := range a.WorkCenters() {
					edited := wc.DeepCopy()
					edited.Spec.DisplayName += " (edited)"
					write("editing WorkCenter "+wc.Name, a.MayChangeWorkCenter(c, wc, edited), ResourceWorkCenters, wc.Name)
					flipped := wc.DeepCopy()
					flipped.Spec.Archived = !wc.Spec.Archived
					write("(un)archiving WorkCenter "+wc.Name, a.MayChangeWorkCenter(c, wc, flipped), ResourceWorkCenters, wc.Name)
					template := wc.DeepCopy()
					template.Spec.Template = !wc.Spec.Template
					write("the template flag of "+wc.Name, a.MayChangeWorkCenter(c, wc, template), ResourceWorkCenters, wc.Name)
					need("deleting WorkCenter "+wc.Name, a.MayChangeWorkCenter(c, wc, nil), VerbDelete, ResourceWorkCenters, wc.Name)
					if d := a.MayDo(c, string(WorkCentersView), wc.Name); d.Allowed && !rbacAllows(rules, VerbGet, ResourceWorkCenters, wc.Name) {
						t.Errorf("%s may view %s, RBAC has no get on it", c.Name, wc.Name)
					}
				}
				need("creating a WorkCenter", a.MayChangeWorkCenter(c, nil, newWorkCenter("new-wc", false)), VerbCreate, ResourceWorkCenters, "")
				for _, target := range a.Collaborators() {
					for change, edit := range map[string]func(*v1alpha1.CollaboratorSpec){
						"email":   func(s *v1alpha1.CollaboratorSpec) { s.Email = "x-" + s.Email },
						"type":    func(s *v1alpha1.CollaboratorSpec) { s.Type, s.AdminRole = v1alpha1.Guest, v1alpha1.AdminRoleNone },
						"upgrade": func(s *v1alpha1.CollaboratorSpec) { s.Type = v1alpha1.Member },
						"admin":   func(s *v1alpha1.CollaboratorSpec) { s.Type, s.AdminRole = v1alpha1.Member, wca },
						"assign": func(s *v1alpha1.CollaboratorSpec) {
							s.WorkCenters = append(s.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "tower-b", Role: "read-only"})
						},
						"unassign": func(s *v1alpha1.CollaboratorSpec) { s.WorkCenters = nil },
						"role": func(s *v1alpha1.CollaboratorSpec) {
							for i := range s.WorkCenters {
								s.WorkCenters[i].Role = "read-only"
							}
						},
					} {
						changed := withSpec(target, edit)
						if equality.Semantic.DeepEqual(changed.Spec, target.Spec) {
							continue // no change: admission has nothing to decide
						}
						write(change+" of "+target.Name, a.MayChangeCollaborator(c, target, changed), ResourceCollaborators, target.Name)
					}
					need("deleting "+target.Name, a.MayChangeCollaborator(c, target, nil), VerbDelete, ResourceCollaborators, target.Name)
				}
				for _, spec := range []string{"tower-a=read-only", "tower-a=contributor", "old-depot=read-only"} {
					need("creating a Collaborator with "+spec, a.MayChangeCollaborator(c, nil, newCollab("newcomer", assigned(spec))),
						VerbCreate, ResourceCollaborators, "")
				}
				need("creating a Collaborator without assignment", a.MayChangeCollaborator(c, nil, newCollab("newcomer")), VerbCreate, ResourceCollaborators, "")
				role := a.Role("coordinator")
				edited := role.DeepCopy()
				edited.Spec.Description = "edited"
				need("creating a role", a.MayChangeRole(c, nil, newRole("new-role")), VerbCreate, ResourceWorkCenterRoles, "")
				write("editing a role", a.MayChangeRole(c, role, edited), ResourceWorkCenterRoles, role.Name)
				need("deleting a role", a.MayChangeRole(c, role, nil), VerbDelete, ResourceWorkCenterRoles, role.Name)
				acct := a.Owner()
				for change, edit := range map[string]func(*v1alpha1.AccountSpec){
					"displayName": func(s *v1alpha1.AccountSpec) { s.DisplayName += "!" },
					"licenses":    func(s *v1alpha1.AccountSpec) { s.Licenses++ },
					"state": func(s *v1alpha1.AccountSpec) {
						if s.State == v1alpha1.AccountDeactivated {
							s.State = v1alpha1.AccountActive
						} else {
							s.State = v1alpha1.AccountDeactivated
						}
					},
					"categories": func(s *v1alpha1.AccountSpec) {
						s.Picklists.WorkCenterCategories = append(s.Picklists.WorkCenterCategories, "New")
					},
				} {
					changed := acct.DeepCopy()
					edit(&changed.Spec)
					write(change+" of the Account", a.MayChangeAccount(c, acct, changed), ResourceAccounts, acct.Name)
				}
			}
		})
	}
}

// And no more than the model's decisions: every verb RBAC grants on a kind as a whole
// (no resourceNames) or on an object has a decision behind it that allows something of
// that verb there, for some object (the coarse door: admission then decides the fields
// and the target). Reads follow the writes they serve, and the reads of everyone.
func TestRBACGrantsNothingTheModelRefuses(t *testing.T) {
	for name, a := range rbacAccounts(t) {
		t.Run(name, func(t *testing.T) {
			for _, c := range a.Collaborators() {
				rules := a.RBACRules(c)
				if !a.HoldsEmail(c) {
					if rules != nil {
						t.Errorf("%s does not hold its email, and has rules %q", c.Name, ruleStrings(t, rules))
					}
					continue
				}
				may := func(ids ...Capability) bool {
					for _, id := range ids {
						if a.MayDo(c, string(id), "").Allowed {
							return true
						}
						for _, wc := range a.WorkCenters() {
							if a.MayDo(c, string(id), wc.Name).Allowed {
								return true
							}
						}
					}
					return false
				}
				check := func(verb, resource string, why bool) {
					t.Helper()
					if rbacAllows(rules, verb, resource, "") && !why {
						t.Errorf("%s: RBAC grants %s on every %s without a decision that allows it", c.Name, verb, resource)
					}
				}
				check(VerbCreate, ResourceWorkCenters, may(WorkCentersCreate))
				check(VerbDelete, ResourceWorkCenters, may(WorkCentersDelete))
				check(VerbList, ResourceWorkCenters, a.MayDo(c, string(WorkCentersView), "").Allowed)
				check(VerbUpdate, ResourceWorkCenters, a.MayDo(c, string(WorkCentersEdit), "").Allowed || a.MayDo(c, string(TemplatesDesignate), "").Allowed)
				check(VerbCreate, ResourceCollaborators, may(UsersAdd, CollaboratorsAdd))
				check(VerbUpdate, ResourceCollaborators, may(UsersUpdate, UsersUpgrade, UsersDowngrade, AdministratorsManage, CollaboratorsAdd, CollaboratorsRemoveAny, CollaboratorsChangeRole))
				check(VerbDelete, ResourceCollaborators, may(UsersRemove))
				check(VerbList, ResourceWorkCenterRoles, may(CollaboratorsAdd, CollaboratorsChangeRole, RolesCreate, RolesUpdate, RolesDelete))
				check(VerbCreate, ResourceWorkCenterRoles, may(RolesCreate))
				check(VerbUpdate, ResourceWorkCenterRoles, may(RolesUpdate))
				check(VerbDelete, ResourceWorkCenterRoles, may(RolesDelete))
				check(VerbList, ResourceAccounts, may(AccountEdit, AccountDeactivate, AccountReactivate, LicensesManage, CategoriesCreate, CategoriesDelete,
					FileTypesCreate, FileTypesDelete, FileStatusesCreate, FileStatusesDelete))
				check(VerbCreate, ResourceAccounts, false)
				check(VerbDelete, ResourceAccounts, false)
				for _, wc := range a.WorkCenters() {
					if rbacAllows(rules, VerbGet, ResourceWorkCenters, wc.Name) && !a.MayDo(c, string(WorkCentersView), wc.Name).Allowed &&
						!may(WorkCentersEdit, WorkCentersArchive, WorkCentersUnarchive, TemplatesDesignate, WorkCentersDelete) {
						t.Errorf("%s: RBAC grants get on WorkCenter %s, which it may not view", c.Name, wc.Name)
					}
					if rbacAllows(rules, VerbUpdate, ResourceWorkCenters, wc.Name) &&
						!slices.ContainsFunc([]Capability{WorkCentersEdit, WorkCentersArchive, WorkCentersUnarchive, TemplatesDesignate}, func(id Capability) bool {
							return a.MayDo(c, string(id), wc.Name).Allowed
						}) {
						t.Errorf("%s: RBAC grants update on WorkCenter %s, which it may not change", c.Name, wc.Name)
					}
				}
				if rbacAllows(rules, VerbDelete, ResourceCollaborators, c.Name) && !a.MayDo(c, string(AccountLeave), "").Allowed && !may(UsersRemove) {
					t.Errorf("%s: RBAC grants deleting itself, and it may not leave", c.Name)
				}
				if a.Owner().Spec.State == v1alpha1.AccountDeactivated && !a.MayDo(c, string(AccountViewDeactivated), "").Allowed && len(rules) > 0 {
					t.Errorf("%s reads a Deactivated Account: %q", c.Name, ruleStrings(t, rules))
				}
			}
		})
	}
}

// The planner decides once per member type and license what Decide decides per person:
// for every person of each account, every capability, the same answer.
func TestRBACPlannerIsDecide(t *testing.T) {
	for name, a := range rbacAccounts(t) {
		t.Run(name, func(t *testing.T) {
			p := a.rbacPlanner()
			for _, c := range a.Collaborators() {
				may := p.decisions(c)
				for _, info := range Capabilities() {
					if got, want := may(info.Capability), a.MayDo(c, string(info.Capability), "").Allowed; got != want {
						t.Errorf("%s %s: planner %v, Decide %v", c.Name, info.Capability, got, want)
					}
				}
			}
		})
	}
}

// RBAC yields every holder of its email, with RBACRules' rules, and nothing without an
// Account.
func TestRBACYieldsEveryHolder(t *testing.T) {
	a := rbacAccounts(t)["duplicate"]
	seen := map[string]bool{}
	for c, rules := range a.RBAC() {
		seen[c.Name] = true
		if got, want := fmt.Sprint(rules), fmt.Sprint(a.RBACRules(c)); got != want {
			t.Errorf("%s: RBAC %s, RBACRules %s", c.Name, got, want)
		}
	}
	var want []string
	for _, c := range a.Collaborators() {
		if c.Name != "tom-2" {
			want = append(want, c.Name)
		}
	}
	var got []string
	for n := range seen {
		got = append(got, n)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("RBAC yields %v, want %v", got, want)
	}
	for c := range adminAccount(t, nil, adminPeople()).RBAC() {
		t.Errorf("no Account, and RBAC yields %s", c.Name)
	}
	// RBACOf: the named ones, those that exist and hold their email.
	var of []string
	for c, rules := range a.RBACOf([]string{"jane", "tom-2", "ghost", "maria"}) {
		of = append(of, c.Name)
		if got, want := fmt.Sprint(rules), fmt.Sprint(a.RBACRules(c)); got != want {
			t.Errorf("%s: RBACOf %s, RBACRules %s", c.Name, got, want)
		}
	}
	if !slices.Equal(of, []string{"jane", "maria"}) {
		t.Errorf("RBACOf yields %v, want jane and maria", of)
	}
	names := a.CollaboratorNames()
	slices.Sort(names)
	if want := append(slices.Clone(want), "tom-2"); !slices.Equal(names, sorted(want...)) {
		t.Errorf("CollaboratorNames %v, want %v", names, sorted(want...))
	}
}

// Accesses is Access in each WorkCenter assigned, once per WorkCenter, in spec order.
func TestAccessesIsAccess(t *testing.T) {
	for name, a := range rbacAccounts(t) {
		people := append(a.Collaborators(), newCollab("many", member(), created(20), assigned(
			"tower-a=read-only", "tower-b=contributor", "tower-a=coordinator", "old-depot=workcenter-owner", "tower-z=read-only",
			"wc-1=read-only", "wc-2=read-only", "wc-3=read-only", "wc-4=read-only", "tower-b=read-only")))
		for _, c := range people {
			var want []string
			seen := map[string]bool{}
			for _, as := range c.Spec.WorkCenters {
				if !seen[string(as.Name)] {
					seen[string(as.Name)] = true
					acc := a.Access(c, string(as.Name), at(50))
					want = append(want, fmt.Sprintf("%s %s %v %d %v", as.Name, acc.Assignment.State, strs(acc.Permissions), acc.Decided, acc.Cut))
				}
			}
			var got []string
			for _, acc := range a.Accesses(c, at(50)) {
				got = append(got, fmt.Sprintf("%s %s %v %d %v", acc.Assignment.Name, acc.Assignment.State, strs(acc.Permissions), acc.Decided, acc.Cut))
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s, %s: Accesses\n %q\nAccess\n %q", name, c.Name, got, want)
			}
		}
	}
}
