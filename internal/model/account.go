package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Kinds of the objects an Account model holds.
const (
	KindAccount        = "Account"
	KindWorkCenter     = "WorkCenter"
	KindWorkCenterRole = "WorkCenterRole"
	KindCollaborator   = "Collaborator"
)

// KindOf is the model's kind of obj (KindAccount, ...), "" for any other object.
func KindOf(obj any) string {
	switch obj.(type) {
	case *v1alpha1.Account:
		return KindAccount
	case *v1alpha1.WorkCenter:
		return KindWorkCenter
	case *v1alpha1.WorkCenterRole:
		return KindWorkCenterRole
	case *v1alpha1.Collaborator:
		return KindCollaborator
	}
	return ""
}

// Account is the model of one account: the objects of one namespace and what is derived
// from them. Set and Remove keep it up to date one object at a time, in time proportional
// to that object (and, for a Member, a binary search among the Members); the queries
// answer from indexes kept along the way, so nothing re-reads the whole account.
//
// The model keeps the objects it is given, not copies: they must not be changed after
// Set (a cache's objects are not). Set and Remove must not run concurrently with
// anything else; queries may run concurrently with each other.
type Account struct {
	// Namespace holds the account's objects.
	Namespace string

	accounts      map[string]*v1alpha1.Account
	owner         *v1alpha1.Account
	roles         Roles
	workCenters   map[string]*v1alpha1.WorkCenter
	collaborators map[string]*v1alpha1.Collaborator

	// members are the Members in seniority order (creation time, then name): R4 gives
	// the licenses to the first ones.
	members []seniority
	// byEmail (lower-cased email: names, nearly always one), byWorkCenter, byRole and
	// admins index Collaborators by name.
	byEmail      map[string][]string
	byWorkCenter map[string]nameSet
	byRole       map[string]nameSet
	admins       nameSet
	// indexed are each Collaborator's assignments from every source (AssignmentsOf) as
	// byWorkCenter and byRole index them; selecting, those with a selector; publishers,
	// for each template, the WorkCenters validly publishing its collaborators.
	indexed    map[string]sourced
	selecting  nameSet
	publishers map[string]nameSet

	// effective memoizes roles' effective permissions until a role changes; byType, the
	// people of each member type (namesOf), until a Collaborator changes.
	memo      sync.Mutex
	effective map[string]resolved
	byType    map[MemberType]*typeNames
	// wcNames are the WorkCenters' names, sorted, until one comes or goes.
	wcNames []string
	// holdersText memoizes, with byType, what refusals say of who holds a capability.
	holdersText map[Capability]string
	// collaboratorsGeneration counts the changes to Collaborators, so that a memo made
	// of names is kept only if none came while it was made.
	collaboratorsGeneration uint64
	// rolesAppeared counts the roles that came into the model (RolesAppeared).
	rolesAppeared uint64
}

type nameSet map[string]struct{}

type seniority struct {
	created time.Time
	name    string
}

type resolved struct {
	perms Set
	err   error
}

// New returns the empty model of the account in namespace.
func New(namespace string) *Account {
	return &Account{
		Namespace:     namespace,
		accounts:      map[string]*v1alpha1.Account{},
		roles:         Roles{},
		workCenters:   map[string]*v1alpha1.WorkCenter{},
		collaborators: map[string]*v1alpha1.Collaborator{},
		byEmail:       map[string][]string{},
		byWorkCenter:  map[string]nameSet{},
		byRole:        map[string]nameSet{},
		admins:        nameSet{},
		indexed:       map[string]sourced{},
		selecting:     nameSet{},
		publishers:    map[string]nameSet{},
	}
}

// Build is a model of the given objects.
func Build(namespace string, objects ...any) (*Account, error) {
	a := New(namespace)
	for _, o := range objects {
		if err := a.Set(o); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// Set adds an object of one of the four kinds, or replaces the object of that kind and
// name. An object of another kind is an error.
func (a *Account) Set(obj any) error {
	switch o := obj.(type) {
	case *v1alpha1.Account:
		a.accounts[o.Name] = o
		a.owner = OwningAccount(values(a.accounts))
	case *v1alpha1.WorkCenter:
		old := a.workCenters[o.Name]
		a.workCenters[o.Name] = o
		a.workCenterChanged(old, o)
	case *v1alpha1.WorkCenterRole:
		if _, ok := a.roles[o.Name]; !ok {
			a.rolesAppeared++
		}
		a.roles[o.Name] = o
		a.rolesChanged()
	case *v1alpha1.Collaborator:
		a.removeCollaborator(o.Name)
		a.addCollaborator(o)
	default:
		return fmt.Errorf("the account model holds Accounts, WorkCenters, WorkCenterRoles and Collaborators, not %T", obj)
	}
	return nil
}

// Remove removes the object of kind and name, if the model holds it.
func (a *Account) Remove(kind, name string) {
	switch kind {
	case KindAccount:
		delete(a.accounts, name)
		a.owner = OwningAccount(values(a.accounts))
	case KindWorkCenter:
		if old, ok := a.workCenters[name]; ok {
			delete(a.workCenters, name)
			a.workCenterChanged(old, nil)
		}
	case KindWorkCenterRole:
		if _, ok := a.roles[name]; ok {
			delete(a.roles, name)
			a.rolesChanged()
		}
	case KindCollaborator:
		a.removeCollaborator(name)
	}
}

func (a *Account) collaboratorsChanged() {
	a.memo.Lock()
	a.byType, a.holdersText = nil, nil
	a.collaboratorsGeneration++
	a.memo.Unlock()
}

func (a *Account) rolesChanged() {
	a.memo.Lock()
	a.effective = nil
	a.memo.Unlock()
}

func (a *Account) addCollaborator(c *v1alpha1.Collaborator) {
	a.collaboratorsChanged()
	a.collaborators[c.Name] = c
	if IsMember(c) {
		s := seniorityOf(c)
		i := sort.Search(len(a.members), func(i int) bool { return !a.members[i].before(s) })
		a.members = slices.Insert(a.members, i, s)
	}
	if IsAccountAdministrator(c) {
		a.admins[c.Name] = struct{}{}
	}
	email := emailKey(c.Spec.Email)
	a.byEmail[email] = append(a.byEmail[email], c.Name)
	a.indexAssignments(c)
}

func (a *Account) removeCollaborator(name string) {
	c, ok := a.collaborators[name]
	if !ok {
		return
	}
	a.collaboratorsChanged()
	delete(a.collaborators, name)
	if IsMember(c) {
		s := seniorityOf(c)
		i := sort.Search(len(a.members), func(i int) bool { return !a.members[i].before(s) })
		if i < len(a.members) && a.members[i].name == name {
			a.members = slices.Delete(a.members, i, i+1)
		}
	}
	delete(a.admins, name)
	email := emailKey(c.Spec.Email)
	if rest := slices.DeleteFunc(a.byEmail[email], func(n string) bool { return n == name }); len(rest) > 0 {
		a.byEmail[email] = rest
	} else {
		delete(a.byEmail, email)
	}
	a.unindexAssignments(c)
}

func add(index map[string]nameSet, key, name string) {
	s := index[key]
	if s == nil {
		s = nameSet{}
		index[key] = s
	}
	s[name] = struct{}{}
}

func remove(index map[string]nameSet, key, name string) {
	if s := index[key]; s != nil {
		delete(s, name)
		if len(s) == 0 {
			delete(index, key)
		}
	}
}

func seniorityOf(c *v1alpha1.Collaborator) seniority {
	return seniority{created: c.CreationTimestamp.Time, name: c.Name}
}

// before is Older on the two keys: creation time, then name; an object not yet
// created (zero time) is the newest.
func (s seniority) before(o seniority) bool {
	switch {
	case s.created.IsZero() != o.created.IsZero():
		return o.created.IsZero()
	case !s.created.Equal(o.created):
		return s.created.Before(o.created)
	default:
		return s.name < o.name
	}
}

func values[T any](m map[string]*T) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// Roles are the account's roles by name. Callers must not change the map.
func (a *Account) Roles() Roles { return a.roles }

// Role is the role called name, nil when there is none.
func (a *Account) Role(name string) *v1alpha1.WorkCenterRole { return a.roles[name] }

// RolesAppeared counts the roles that came into this model (created, or seen for the
// first time): a person judged at one count and written at another may have been judged
// without a role that exists now.
func (a *Account) RolesAppeared() uint64 { return a.rolesAppeared }

// Effective is the role's effective permissions (Roles.Effective), computed once
// until a role changes. Callers must not change the set.
func (a *Account) Effective(role string) (Set, error) {
	a.memo.Lock()
	defer a.memo.Unlock()
	if r, ok := a.effective[role]; ok {
		return r.perms, r.err
	}
	perms, err := a.roles.Effective(role)
	if a.effective == nil {
		a.effective = map[string]resolved{}
	}
	a.effective[role] = resolved{perms: perms, err: err}
	return perms, err
}

// WorkCenter is the WorkCenter called name, nil when there is none.
func (a *Account) WorkCenter(name string) *v1alpha1.WorkCenter { return a.workCenters[name] }

// WorkCenters are every WorkCenter, sorted by name.
func (a *Account) WorkCenters() []*v1alpha1.WorkCenter { return sortedValues(a.workCenters) }

// Collaborator is the Collaborator called name, nil when there is none.
func (a *Account) Collaborator(name string) *v1alpha1.Collaborator { return a.collaborators[name] }

// Collaborators are every Collaborator, sorted by name.
func (a *Account) Collaborators() []*v1alpha1.Collaborator { return sortedValues(a.collaborators) }

// AllCollaborators are every Collaborator, in no particular order.
func (a *Account) AllCollaborators() []*v1alpha1.Collaborator { return values(a.collaborators) }

// Len counts the model's objects of each kind.
func (a *Account) Len() (accounts, workCenters, roles, collaborators int) {
	return len(a.accounts), len(a.workCenters), len(a.roles), len(a.collaborators)
}

// AssignedTo are the Collaborators whose spec assigns them to the WorkCenter, sorted by
// name.
func (a *Account) AssignedTo(workCenter string) []*v1alpha1.Collaborator {
	return a.named(a.byWorkCenter[workCenter], "")
}

// Holding are the Collaborators whose spec assigns them the role somewhere, sorted by
// name.
func (a *Account) Holding(role string) []*v1alpha1.Collaborator {
	return a.named(a.byRole[role], "")
}

func (a *Account) named(names nameSet, except string) []*v1alpha1.Collaborator {
	out := make([]*v1alpha1.Collaborator, 0, len(names))
	for n := range names {
		if n != except {
			out = append(out, a.collaborators[n])
		}
	}
	slices.SortFunc(out, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	return out
}

func sortedValues[T any, P interface {
	*T
	GetName() string
}](m map[string]P) []P {
	out := make([]P, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(x, y P) int { return strings.Compare(x.GetName(), y.GetName()) })
	return out
}

// Older reports whether a comes before b in the account's seniority: creation time
// first, then name. An object not created yet (zero timestamp) is the newest. R4 gives
// licenses, R5 an email and R7 the last administrator's place by it.
func Older(a, b *v1alpha1.Collaborator) bool { return seniorityOf(a).before(seniorityOf(b)) }
