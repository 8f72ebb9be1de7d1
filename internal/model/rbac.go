package model

import (
	"iter"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// RBAC that matches (docs/administration.md, RBAC): the Kubernetes RBAC rules the
// operator keeps for each Collaborator in its account's namespace, derived from the
// same decisions admission makes (Decide, and effective access for what a WorkCenter
// permission gives in one WorkCenter), so that RBAC never lets through what the model
// refuses for a whole kind or object, and admission decides the rest: RBAC is the coarse
// door (a verb on a kind, or on named objects), admission the fine rule (a field, a
// target, no escalation).

// The resources of the four kinds, as RBAC names them.
const (
	ResourceAccounts        = "accounts"
	ResourceCollaborators   = "collaborators"
	ResourceWorkCenterRoles = "workcenterroles"
	ResourceWorkCenters     = "workcenters"
)

// The verbs RBAC rules grant on them. deletecollection is never granted: kubectl deletes
// one object at a time, and the operator would have to hold it.
const (
	VerbGet    = "get"
	VerbList   = "list"
	VerbWatch  = "watch"
	VerbCreate = "create"
	VerbUpdate = "update"
	VerbPatch  = "patch"
	VerbDelete = "delete"
)

// RBACVerbs are every verb an RBAC rule of the model may grant, sorted.
var RBACVerbs = []string{VerbCreate, VerbDelete, VerbGet, VerbList, VerbPatch, VerbUpdate, VerbWatch}

// RBACResources are the resources RBAC rules of the model name, sorted.
var RBACResources = []string{ResourceAccounts, ResourceCollaborators, ResourceWorkCenterRoles, ResourceWorkCenters}

// verbs is a set of RBAC verbs, one bit each in RBACVerbs' order.
type verbs uint8

const (
	vCreate verbs = 1 << iota
	vDelete
	vGet
	vList
	vPatch
	vUpdate
	vWatch
)

const (
	vRead  = vGet | vList | vWatch
	vWrite = vUpdate | vPatch
)

// verbNames are the names of every set of verbs, computed once: rules share them
// (clipped, so that an append copies).
var verbNames = func() [1 << 7][]string {
	var out [1 << 7][]string
	for v := range out {
		for i, name := range RBACVerbs {
			if v&(1<<i) != 0 {
				out[v] = append(out[v], name)
			}
		}
	}
	return out
}()

// strings are the verbs' names, sorted. Callers must not change them in place.
func (v verbs) strings() []string { return slices.Clip(verbNames[v]) }

// Indexes of RBACResources.
const (
	rAccounts = iota
	rCollaborators
	rWorkCenterRoles
	rWorkCenters
)

// grants collects verbs per resource, on every object of it or on named ones.
type grants struct {
	all   [4]verbs
	named []namedGrant
}

type namedGrant struct {
	resource int
	name     string
	verbs    verbs
}

func (g *grants) every(resource int, v verbs) { g.all[resource] |= v }

func (g *grants) on(resource int, name string, v verbs) {
	g.named = append(g.named, namedGrant{resource, name, v})
}

// rules are the policy rules of the grants: per resource (sorted), one rule for the
// verbs on every object, then one per set of verbs on named objects (names sorted,
// verbs already granted on every object left out), in the order of their first name.
func (g *grants) rules() []rbacv1.PolicyRule {
	// Each name once, with the union of its verbs, in order of resource and name.
	slices.SortFunc(g.named, func(x, y namedGrant) int {
		if x.resource != y.resource {
			return x.resource - y.resource
		}
		return strings.Compare(x.name, y.name)
	})
	merged := g.named[:0]
	for _, n := range g.named {
		if last := len(merged) - 1; last >= 0 && merged[last].resource == n.resource && merged[last].name == n.name {
			merged[last].verbs |= n.verbs
			continue
		}
		merged = append(merged, n)
	}
	out := []rbacv1.PolicyRule{}
	group := []string{v1alpha1.GroupVersion.Group}
	for res, resource := range RBACResources {
		all := g.all[res]
		if all != 0 {
			out = append(out, rbacv1.PolicyRule{APIGroups: group, Resources: []string{resource}, Verbs: all.strings()})
		}
		// Names in order; a rule per set of verbs, ordered by its first name.
		first := len(out)
		for _, n := range merged {
			v := n.verbs &^ all
			if n.resource != res || v == 0 {
				continue
			}
			names := v.strings()
			i := slices.IndexFunc(out[first:], func(r rbacv1.PolicyRule) bool { return slices.Equal(r.Verbs, names) })
			if i < 0 {
				out = append(out, rbacv1.PolicyRule{APIGroups: group, Resources: []string{resource}, Verbs: names})
				i = len(out) - first - 1
			}
			out[first+i].ResourceNames = append(out[first+i].ResourceNames, n.name)
		}
	}
	return out
}

// rbacClass is what an account-wide decision (Decide with no WorkCenter and no target)
// depends on besides the account: the member type, and whether a Member holds a
// license (R4). account.leave depends on the person too (R7), for Account
// Administrators only.
type rbacClass struct {
	memberType MemberType
	licensed   bool
}

// rbacPlanner computes the rules of the people of one account snapshot, deciding each
// capability once per rbacClass rather than once per person: a refusal's message names
// the capability's holders, which reads the whole account.
type rbacPlanner struct {
	a       *Account
	classes map[rbacClass]map[Capability]bool
}

func (a *Account) rbacPlanner() *rbacPlanner {
	return &rbacPlanner{a: a, classes: map[rbacClass]map[Capability]bool{}}
}

// decisions are Decide(c, capability) with no WorkCenter and no target, for every
// capability, memoized per class but for an Account Administrator's account.leave.
func (p *rbacPlanner) decisions(c *v1alpha1.Collaborator) func(ids ...Capability) bool {
	t := MemberTypeOf(c)
	k := rbacClass{memberType: t, licensed: IsMember(c) && p.a.Licensed(c)}
	decided := p.classes[k]
	if decided == nil {
		decided = make(map[Capability]bool, len(capabilities))
		for _, info := range capabilities {
			// Asked with no WorkCenter, only a member type holding the capability is
			// allowed it (Decide's memberType step): a refusal is not asked for, as its
			// message names every holder in the account.
			decided[info.Capability] = info.Holds(t) && p.a.MayDo(c, string(info.Capability), "").Allowed
		}
		p.classes[k] = decided
	}
	leave := decided[AccountLeave]
	if t == MemberTypeAccountAdministrator {
		leave = p.a.MayDo(c, string(AccountLeave), "").Allowed // R7: the last one stays
	}
	return func(ids ...Capability) bool {
		for _, id := range ids {
			if id == AccountLeave && leave || id != AccountLeave && decided[id] {
				return true
			}
		}
		return false
	}
}

// HoldsEmail reports whether c is the Collaborator its email identifies (Identify): the
// one of the account's Collaborators sharing it (R5, case-insensitively) that keeps it,
// the oldest. Only that one's user is bound to RBAC rules.
func (a *Account) HoldsEmail(c *v1alpha1.Collaborator) bool {
	holder, err := a.Identify(c.Spec.Email, "")
	return err == nil && holder.Name == c.Name
}

// RBACRules are the Kubernetes RBAC rules of c's user in the account's namespace, on
// the four kinds of access.workcenter.io: deterministic (sorted, each verb on an object
// once), and nil when c gets none at all: the namespace has no Account, or c does not
// hold its email (HoldsEmail; R5's holder, the oldest, gets the rules). Every verb comes
// from a decision of the model:
//
//   - everyone: `get`, `update` and `patch` on its own Collaborator (its emailPreferences
//     are its own; admission judges every other field), `get` on the owning Account;
//     `delete` on its own Collaborator with account.leave. In a Deactivated Account, reads need
//     account.viewDeactivated (writes are refused by Decide already).
//   - WorkCenters: `get`, `list`, `watch` on all with workCenters.view, else `get` on the
//     WorkCenters where effective access gives workCenter.view; `create` with
//     workCenters.create; `update`, `patch` on all with workCenters.edit,
//     workCenters.archive, workCenters.unarchive or templates.designate, else on those
//     where effective access gives workCenter.editSettings; `delete` with
//     workCenters.delete.
//   - Collaborators: `get`, `list`, `watch`, `update`, `patch` on all with users.update,
//     users.upgrade, users.downgrade or administrators.manage, or with collaborators.add,
//     collaborators.remove or collaborators.changeRole anywhere (in every WorkCenter, or
//     in one by its WorkCenter permission); `create` with users.add or collaborators.add
//     anywhere; `delete` on all with users.remove.
//   - WorkCenterRoles: `get`, `list`, `watch` with collaborators.add or
//     collaborators.changeRole anywhere (whoever gives roles reads them) or any roles.*
//     capability; `create`, `update` and `patch`, `delete` with roles.create,
//     roles.update, roles.delete.
//   - the Account: `get`, `list`, `watch` on the namespace's Accounts and `update`,
//     `patch` on the owning one with account.edit, account.deactivate,
//     account.reactivate, licenses.manage or a picklist capability. Nobody creates or
//     deletes an Account (MayChangeAccount refuses it to every Collaborator).
//
// Every write comes with `get` on the same objects, which kubectl apply, edit and patch
// read first. So an Account Administrator holding a license, in an Active Account, gets
// every verb on WorkCenters, WorkCenterRoles and Collaborators and all but create and
// delete on Accounts; a Guest with nothing to administer gets its own Collaborator, the
// Account and its WorkCenters.
func (a *Account) RBACRules(c *v1alpha1.Collaborator) []rbacv1.PolicyRule {
	return a.rbacPlanner().rules(c)
}

// RBAC yields every Collaborator that holds its email (HoldsEmail) with its RBACRules,
// in no particular order, nothing when the namespace has no Account. One pass decides
// each capability once per member type and license, so the whole account costs about
// one effective-access evaluation per assignment.
func (a *Account) RBAC() iter.Seq2[*v1alpha1.Collaborator, []rbacv1.PolicyRule] {
	return func(yield func(*v1alpha1.Collaborator, []rbacv1.PolicyRule) bool) {
		if a.owner == nil {
			return
		}
		p := a.rbacPlanner()
		for _, c := range a.collaborators {
			if rules := p.rules(c); rules != nil && !yield(c, rules) {
				return
			}
		}
	}
}

// RBACOf is RBAC for the Collaborators called names only (those the account has): a
// caller computing a large account in parts, so as to hold the model a short while at a
// time.
func (a *Account) RBACOf(names []string) iter.Seq2[*v1alpha1.Collaborator, []rbacv1.PolicyRule] {
	return func(yield func(*v1alpha1.Collaborator, []rbacv1.PolicyRule) bool) {
		if a.owner == nil {
			return
		}
		p := a.rbacPlanner()
		for _, n := range names {
			c := a.collaborators[n]
			if c == nil {
				continue
			}
			if rules := p.rules(c); rules != nil && !yield(c, rules) {
				return
			}
		}
	}
}

// CollaboratorNames are the names of every Collaborator, in no particular order.
func (a *Account) CollaboratorNames() []string {
	out := make([]string, 0, len(a.collaborators))
	for n := range a.collaborators {
		out = append(out, n)
	}
	return out
}

func (p *rbacPlanner) rules(c *v1alpha1.Collaborator) []rbacv1.PolicyRule {
	a := p.a
	if a.owner == nil || !a.HoldsEmail(c) {
		return nil
	}
	g := grants{named: make([]namedGrant, 0, 4+2*len(c.Spec.WorkCenters))}
	may := p.decisions(c)
	reads := a.owner.Spec.State != v1alpha1.AccountDeactivated || may(AccountViewDeactivated)

	// What effective access gives c in the WorkCenters it is assigned to: elsewhere it
	// gives nothing but to administrators, who hold these capabilities everywhere.
	var viewIn, editIn []string
	var addsSomewhere, removesSomewhere, changesSomewhere bool
	for _, acc := range a.Accesses(c, metav1.Time{}) {
		perms, wc := acc.Permissions, acc.Assignment.Name
		if perms.Has(WorkCenterView) {
			viewIn = append(viewIn, wc)
		}
		if perms.Has(WorkCenterEditSettings) {
			editIn = append(editIn, wc)
		}
		addsSomewhere = addsSomewhere || perms.Has(capabilityIndex[CollaboratorsAdd].Permission)
		removesSomewhere = removesSomewhere || perms.Has(capabilityIndex[CollaboratorsRemoveAny].Permission)
		changesSomewhere = changesSomewhere || perms.Has(capabilityIndex[CollaboratorsChangeRole].Permission)
	}
	// A capability about one WorkCenter, held everywhere or in some WorkCenter by its
	// permission.
	adds := may(CollaboratorsAdd) || addsSomewhere
	removes := may(CollaboratorsRemoveAny) || removesSomewhere
	changes := may(CollaboratorsChangeRole) || changesSomewhere

	// Everyone: its own Collaborator (to read, and to update: one's own emailPreferences
	// are one's own to change, and admission judges every other field), the Account.
	if reads {
		g.on(rCollaborators, c.Name, vGet|vWrite)
		g.on(rAccounts, a.owner.Name, vGet)
	}
	if may(AccountLeave) {
		g.on(rCollaborators, c.Name, vGet|vDelete)
	}

	// WorkCenters.
	if may(WorkCentersView) {
		g.every(rWorkCenters, vRead)
	}
	for _, wc := range viewIn {
		g.on(rWorkCenters, wc, vGet)
	}
	if may(WorkCentersCreate) {
		g.every(rWorkCenters, vCreate)
	}
	if may(WorkCentersEdit, WorkCentersArchive, WorkCentersUnarchive, TemplatesDesignate) {
		g.every(rWorkCenters, vGet|vWrite)
	}
	for _, wc := range editIn {
		g.on(rWorkCenters, wc, vGet|vWrite)
	}
	if may(WorkCentersDelete) {
		g.every(rWorkCenters, vGet|vDelete)
	}

	// Collaborators.
	if may(UsersUpdate, UsersUpgrade, UsersDowngrade, AdministratorsManage) || adds || removes || changes {
		g.every(rCollaborators, vRead|vWrite)
	}
	if may(UsersAdd) || adds {
		g.every(rCollaborators, vCreate)
	}
	if may(UsersRemove) {
		g.every(rCollaborators, vGet|vDelete)
	}

	// WorkCenterRoles.
	if adds || changes || may(RolesCreate, RolesUpdate, RolesDelete) {
		g.every(rWorkCenterRoles, vRead)
	}
	if may(RolesCreate) {
		g.every(rWorkCenterRoles, vCreate)
	}
	if may(RolesUpdate) {
		g.every(rWorkCenterRoles, vWrite)
	}
	if may(RolesDelete) {
		g.every(rWorkCenterRoles, vDelete)
	}

	// The Account.
	if may(AccountEdit, AccountDeactivate, AccountReactivate, LicensesManage,
		CategoriesCreate, CategoriesDelete, FileTypesCreate, FileTypesDelete, FileStatusesCreate, FileStatusesDelete) {
		g.every(rAccounts, vRead)
		g.on(rAccounts, a.owner.Name, vGet|vWrite)
	}
	return g.rules()
}
