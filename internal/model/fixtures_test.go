package model

import (
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Fixture builders. Every expected value in these tests is written from docs/rules.md, as
// string literals, never computed with the code under test.

const testNamespace = "acme"

// epoch is the creation time fixtures count from.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// at is a creation timestamp minutes after epoch.
func at(minutes int) metav1.Time {
	return metav1.NewTime(epoch.Add(time.Duration(minutes) * time.Minute))
}

type roleOpt func(*v1alpha1.WorkCenterRole)

func newRole(name string, opts ...roleOpt) *v1alpha1.WorkCenterRole {
	r := &v1alpha1.WorkCenterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec:       v1alpha1.WorkCenterRoleSpec{DisplayName: name},
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

func includes(names ...string) roleOpt {
	return func(r *v1alpha1.WorkCenterRole) {
		for _, n := range names {
			r.Spec.Includes = append(r.Spec.Includes, v1alpha1.ObjectName(n))
		}
	}
}

func withLevels(l v1alpha1.RoleLevels) roleOpt {
	return func(r *v1alpha1.WorkCenterRole) { r.Spec.Levels = l }
}

func granular(ps ...string) roleOpt {
	return func(r *v1alpha1.WorkCenterRole) {
		for _, p := range ps {
			r.Spec.Permissions = append(r.Spec.Permissions, v1alpha1.Permission(p))
		}
	}
}

func describe(d string) roleOpt {
	return func(r *v1alpha1.WorkCenterRole) { r.Spec.Description = d }
}

func terminating() roleOpt {
	return func(r *v1alpha1.WorkCenterRole) {
		t := at(1000)
		r.DeletionTimestamp = &t
		r.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
	}
}

// builtInObjects are the three built-in role objects as the Account controller creates
// them. Their spec is left empty on purpose: the model must not read it.
func builtInObjects() []*v1alpha1.WorkCenterRole {
	return []*v1alpha1.WorkCenterRole{
		newRole("read-only"), newRole("contributor"), newRole("workcenter-owner"),
	}
}

// rolesWith returns the account's roles: the built-ins plus extra.
func rolesWith(extra ...*v1alpha1.WorkCenterRole) Roles {
	return NewRoles(append(builtInObjects(), extra...)...)
}

type collabOpt func(*v1alpha1.Collaborator)

func newCollab(name string, opts ...collabOpt) *v1alpha1.Collaborator {
	c := &v1alpha1.Collaborator{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace, CreationTimestamp: at(0)},
		Spec: v1alpha1.CollaboratorSpec{
			Email: name + "@example.com", Type: v1alpha1.Guest, AdminRole: v1alpha1.AdminRoleNone,
		},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func member() collabOpt {
	return func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Member }
}

func guest() collabOpt {
	return func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Guest }
}

func admin(a v1alpha1.AdminRole) collabOpt {
	return func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = a }
}

func email(e string) collabOpt {
	return func(c *v1alpha1.Collaborator) { c.Spec.Email = e }
}

func created(minutes int) collabOpt {
	return func(c *v1alpha1.Collaborator) { c.CreationTimestamp = at(minutes) }
}

func notCreatedYet() collabOpt {
	return func(c *v1alpha1.Collaborator) { c.CreationTimestamp = metav1.Time{} }
}

// assigned adds assignments as workCenter=role pairs.
func assigned(pairs ...string) collabOpt {
	return func(c *v1alpha1.Collaborator) {
		for _, p := range pairs {
			wc, role, ok := strings.Cut(p, "=")
			if !ok {
				panic("assignment fixture must be workCenter=role: " + p)
			}
			c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
				Name: v1alpha1.ObjectName(wc), Role: v1alpha1.ObjectName(role),
			})
		}
	}
}

type accountOpt func(*v1alpha1.Account)

func newAccount(opts ...accountOpt) *v1alpha1.Account {
	a := &v1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Name: "acme", Namespace: testNamespace},
		Spec:       v1alpha1.AccountSpec{DisplayName: "Acme Builders", State: v1alpha1.AccountActive, Licenses: 10},
	}
	for _, o := range opts {
		o(a)
	}
	return a
}

func deactivated() accountOpt {
	return func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated }
}

func licenses(n int32) accountOpt {
	return func(a *v1alpha1.Account) { a.Spec.Licenses = n }
}

func categories(cs ...string) accountOpt {
	return func(a *v1alpha1.Account) {
		for _, c := range cs {
			a.Spec.Picklists.WorkCenterCategories = append(a.Spec.Picklists.WorkCenterCategories, v1alpha1.PicklistItem(c))
		}
	}
}

func newWorkCenter(name string, archived bool) *v1alpha1.WorkCenter {
	return &v1alpha1.WorkCenter{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace},
		Spec:       v1alpha1.WorkCenterSpec{DisplayName: name, Archived: archived},
	}
}

// strs turns a set into sorted strings, for comparison with literal expectations.
func strs(s Set) []string {
	out := make([]string, 0, len(s))
	for p := range s {
		out = append(out, string(p))
	}
	slices.Sort(out)
	return out
}

// sorted returns a sorted copy.
func sorted(ss ...string) []string {
	out := slices.Clone(ss)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

func equalSet(t *testing.T, what string, got Set, want []string) {
	t.Helper()
	if g, w := strs(got), sorted(want...); !slices.Equal(g, w) {
		t.Errorf("%s:\n got  %v\n want %v\n missing %v\n extra %v", what, g, w, minus(w, g), minus(g, w))
	}
}

func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s %q does not mention %q", what, s, p)
		}
	}
}
