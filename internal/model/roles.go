package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Roles is an account's WorkCenterRoles by name: everything a role's permissions can
// depend on.
type Roles map[string]*v1alpha1.WorkCenterRole

// NewRoles indexes roles by name.
func NewRoles(roles ...*v1alpha1.WorkCenterRole) Roles {
	r := make(Roles, len(roles))
	for _, role := range roles {
		r[role.Name] = role
	}
	return r
}

// specOf returns the spec that decides a role's permissions: the catalog's for built-in
// names, the object's otherwise.
func specOf(role *v1alpha1.WorkCenterRole) v1alpha1.WorkCenterRoleSpec {
	if spec, ok := BuiltInRoleSpec(role.Name); ok {
		return spec
	}
	return role.Spec
}

// DirectPermissions is what a spec grants by itself: workCenter.view, its levels and its
// granular permissions, without its includes.
func DirectPermissions(spec v1alpha1.WorkCenterRoleSpec) Set {
	s := NewSet(WorkCenterView)
	for area, level := range levelsByArea(spec.Levels) {
		s.Union(LevelPermissions(area, level))
	}
	s.Add(spec.Permissions...)
	return s
}

// RoleNotFoundError says that a role, or one it includes (directly or not), is missing.
type RoleNotFoundError struct {
	// Path is the chain of includes from the role asked for to the missing one, both
	// included; a single name when the role asked for is itself missing.
	Path []string
}

// Missing is the name of the role that does not exist.
func (e *RoleNotFoundError) Missing() string { return e.Path[len(e.Path)-1] }

func (e *RoleNotFoundError) Error() string {
	if len(e.Path) == 1 {
		return fmt.Sprintf("WorkCenterRole %q does not exist", Short(e.Path[0]))
	}
	return fmt.Sprintf("WorkCenterRole %q includes %q, which does not exist", Short(e.Path[0]), Short(e.Missing())) +
		pathSuffix(e.Path)
}

// CycleError says that roles include each other in a cycle.
type CycleError struct {
	// Cycle names the roles of the cycle in include order, the first repeated at the end,
	// starting from the smallest name so the same cycle always reads the same.
	Cycle []string
}

func (e *CycleError) Error() string {
	return "WorkCenterRoles include each other in a cycle: " + chain(e.Cycle)
}

func pathSuffix(path []string) string {
	if len(path) <= 2 {
		return ""
	}
	return " (via " + chain(path) + ")"
}

// Effective returns a role's effective permissions: the union of its own levels and
// permissions, workCenter.view, and the effective permissions of every role it includes.
// When an include is missing or the includes form a cycle, it returns what could be
// resolved together with a *RoleNotFoundError or *CycleError. A cycle wins over a
// missing role, since waiting will not fix it.
func (r Roles) Effective(name string) (Set, error) {
	res := resolver{roles: r, state: map[string]int{}}
	set := Set{}
	res.walk(name, nil, set)
	if res.cycle != nil {
		return set, res.cycle
	}
	if res.missing != nil {
		return set, res.missing
	}
	return set, nil
}

type resolver struct {
	roles   Roles
	state   map[string]int // 0 unvisited, 1 on the current path, 2 done
	cycle   *CycleError
	missing *RoleNotFoundError
}

func (res *resolver) walk(name string, path []string, into Set) {
	path = append(path, name)
	switch res.state[name] {
	case 1:
		if res.cycle == nil {
			start := slices.Index(path, name)
			res.cycle = &CycleError{Cycle: canonicalCycle(path[start : len(path)-1])}
		}
		return
	case 2:
		return
	}
	role, ok := res.roles[name]
	if !ok {
		if res.missing == nil {
			res.missing = &RoleNotFoundError{Path: slices.Clone(path)}
		}
		return
	}
	res.state[name] = 1
	spec := specOf(role)
	into.Union(DirectPermissions(spec))
	includes := make([]string, len(spec.Includes))
	for i, inc := range spec.Includes {
		includes[i] = string(inc)
	}
	slices.Sort(includes)
	for _, inc := range includes {
		res.walk(inc, path, into)
	}
	res.state[name] = 2
}

// canonicalCycle rotates a cycle to start at its smallest name and closes it.
func canonicalCycle(c []string) []string {
	start := 0
	for i, n := range c {
		if n < c[start] {
			start = i
		}
	}
	out := append(slices.Clone(c[start:]), c[:start]...)
	return append(out, out[0])
}

// IncludedBy returns the names of the roles that include name directly, sorted.
func (r Roles) IncludedBy(name string) []string {
	var out []string
	for n, role := range r {
		if slices.Contains(specOf(role).Includes, v1alpha1.ObjectName(name)) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// Dependents returns name and every role that includes it directly or through other
// roles, sorted: the roles whose effective permissions change when name changes.
func (r Roles) Dependents(name string) []string {
	seen := map[string]bool{name: true}
	queue := []string{name}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, by := range r.IncludedBy(n) {
			if !seen[by] {
				seen[by] = true
				queue = append(queue, by)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Grant is how a role grants a permission: through which includes, and what in the spec
// of the role at the end of them.
type Grant struct {
	// Path is the chain of includes from the role asked about to the role whose own spec
	// grants the permission, both included; a single name when the role grants it itself.
	Path []string
	// Source is what in that role's spec grants it: "permissions" (its granular
	// permissions), "levels.<area>: <Level>", or "workCenter.view" (every role has it).
	Source string
	// BuiltIn reports that the granting role is a built-in role (its spec is the catalog's).
	BuiltIn bool
}

// GrantOf finds how role grants p: the shortest chain of includes (the smallest names
// first among chains of the same length) to a role whose own spec grants p, and what in
// that spec does. It returns false when the role does not grant p, or does not exist.
func (r Roles) GrantOf(role string, p Permission) (Grant, bool) {
	type node struct {
		name string
		path []string
	}
	seen := map[string]bool{role: true}
	queue := []node{{role, []string{role}}}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		obj, ok := r[n.name]
		if !ok {
			continue
		}
		spec := specOf(obj)
		if source := directSource(spec, p); source != "" {
			_, builtIn := BuiltInRoleSpec(n.name)
			return Grant{Path: n.path, Source: source, BuiltIn: builtIn}, true
		}
		includes := make([]string, len(spec.Includes))
		for i, inc := range spec.Includes {
			includes[i] = string(inc)
		}
		slices.Sort(includes)
		for _, inc := range includes {
			if !seen[inc] {
				seen[inc] = true
				queue = append(queue, node{inc, append(slices.Clone(n.path), inc)})
			}
		}
	}
	return Grant{}, false
}

// directSource is what in spec grants p by itself (DirectPermissions), "" when nothing
// does: its granular permissions first, then its levels, then workCenter.view.
func directSource(spec v1alpha1.WorkCenterRoleSpec, p Permission) string {
	if slices.Contains(spec.Permissions, p) {
		return "permissions"
	}
	levels := levelsByArea(spec.Levels)
	for _, area := range Areas {
		if LevelPermissions(area, levels[area]).Has(p) {
			return fmt.Sprintf("levels.%s: %s", area, levels[area])
		}
	}
	if p == WorkCenterView {
		return "workCenter.view"
	}
	return ""
}

// HoldersReached are the Collaborators whose evaluated assignments (status.workCenters:
// state, reason, message) can differ because the role changed from old to its current
// version in the model: what the model holds now is compared with the same roles but old.
// For the role and every role including it (Dependents, before and after):
//
//   - its resolution changed (an include went missing or came back, a cycle formed or
//     broke, the error's wording moved): every holder;
//   - its member-only permissions changed (R2/R3: a Guest's assignment is Rejected with
//     them named): its Guest holders;
//   - and the role itself starting or stopping being deleted (R10): its holders.
//
// A change of what a role grants that stays guest-safe (or member-only with the same
// member-only permissions), resolvable and not terminating reaches nobody: no holder's
// status reads it. A role created or gone (old nil, or absent from the model now)
// reaches every holder of it and of its dependents.
func (a *Account) HoldersReached(old *v1alpha1.WorkCenterRole) []*v1alpha1.Collaborator {
	cur := a.roles[old.Name]
	if cur == nil {
		return a.HoldersOfDependents(old.Name)
	}
	before := maps.Clone(a.roles)
	before[old.Name] = old
	all := map[string]bool{}    // roles whose every holder is reached
	guests := map[string]bool{} // roles whose Guest holders are reached
	if old.DeletionTimestamp.IsZero() != cur.DeletionTimestamp.IsZero() {
		all[cur.Name] = true
	}
	for _, roles := range []Roles{before, a.roles} {
		for _, d := range roles.Dependents(old.Name) {
			if all[d] {
				continue
			}
			was, errWas := before.Effective(d)
			is, errIs := a.Effective(d)
			switch {
			case errorText(errWas) != errorText(errIs):
				all[d] = true
			case errIs == nil && !slices.Equal(was.MemberOnly(), is.MemberOnly()):
				guests[d] = true
			}
		}
	}
	seen := map[string]bool{}
	var out []*v1alpha1.Collaborator
	for role := range all {
		for _, c := range a.Holding(role) {
			if !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c)
			}
		}
	}
	for role := range guests {
		for _, c := range a.Holding(role) {
			if !seen[c.Name] && !IsMember(c) {
				seen[c.Name] = true
				out = append(out, c)
			}
		}
	}
	slices.SortFunc(out, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// HoldersOfDependents are the holders of the role called name and of every role that
// includes it (Dependents), in role order: whom a role's creation or removal can reach.
func (a *Account) HoldersOfDependents(name string) []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for _, role := range a.roles.Dependents(name) {
		out = append(out, a.Holding(role)...)
	}
	return out
}

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
