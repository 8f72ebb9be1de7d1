package model

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// The property test of delegated administration (docs/administration.md): random
// accounts, random changes of a Collaborator by random Collaborators of the account,
// judged as admission judges them (ValidateCollaborator with the requester's username).
// For every change admission allows:
//   - each capability the change needs, by the table of docs/administration.md, is one
//     Decide allows the requester (admission allows nothing the capability function
//     refuses);
//   - no one (a Kubernetes user: an email) holds, in any WorkCenter, a permission after
//     the change that they did not hold before and the requester lacked there (no
//     escalation, re-addressing a person included).
// The account has licenses for everyone and no duplicate emails, so that license
// allocation (R4) and R5's holders, which follow from the account rather than from whoever
// changed it, do not move permissions by themselves.

// delegationWorld is the objects of a random account.
type delegationWorld struct {
	objs map[string]any // kind/name → object
}

func (w delegationWorld) model() *Account {
	m := New(ns)
	for _, o := range w.objs {
		switch o := o.(type) {
		case *v1alpha1.Collaborator:
			must(m.Set(o.DeepCopy()))
		case *v1alpha1.WorkCenter:
			must(m.Set(o.DeepCopy()))
		case *v1alpha1.WorkCenterRole:
			must(m.Set(o.DeepCopy()))
		case *v1alpha1.Account:
			must(m.Set(o.DeepCopy()))
		}
	}
	return m
}

var delegationAdminRoles = []v1alpha1.AdminRole{v1alpha1.AdminRoleNone, v1alpha1.AdminRoleNone, v1alpha1.AdminRoleNone,
	v1alpha1.AdminRoleWorkCenterAdministrator, v1alpha1.AdminRoleUserAdministrator, v1alpha1.AdminRoleAccountAdministrator}

func drawAssignments(t *rapid.T, label string) []v1alpha1.WorkCenterAssignment {
	var out []v1alpha1.WorkCenterAssignment
	for _, i := range rapid.Permutation([]int{0, 1, 2}).Draw(t, label+"wcs")[:rapid.IntRange(0, 3).Draw(t, label+"n")] {
		out = append(out, v1alpha1.WorkCenterAssignment{
			Name: v1alpha1.ObjectName(fmt.Sprintf("wc%d", i)),
			Role: v1alpha1.ObjectName(drawRole(t, label+"role")),
		})
	}
	return out
}

func drawRole(t *rapid.T, label string) string {
	return rapid.SampledFrom(append([]string{"r0", "r1", "r2", "r3"}, v1alpha1.BuiltInRoleNames...)).Draw(t, label)
}

func drawPerson(t *rapid.T, name, email string) *v1alpha1.Collaborator {
	typ := v1alpha1.Guest
	if rapid.Bool().Draw(t, name+"member") {
		typ = v1alpha1.Member
	}
	c := fixtures.Collaborator(ns, name, typ)
	c.Spec.Email = email
	c.Spec.WorkCenters = drawAssignments(t, name)
	if typ == v1alpha1.Member {
		c.Spec.AdminRole = rapid.SampledFrom(delegationAdminRoles).Draw(t, name+"admin")
	}
	return c
}

// drawWorld is an active account with licenses for all, three WorkCenters (one maybe
// archived), the built-in roles and four random custom ones, and 3-8 people with
// distinct emails.
func drawWorld(t *rapid.T) delegationWorld {
	w := delegationWorld{objs: map[string]any{}}
	w.objs["Account/acme"] = fixtures.Account(ns, "acme", 100)
	for i := range 3 {
		wc := fixtures.WorkCenter(ns, fmt.Sprintf("wc%d", i))
		wc.Spec.Archived = i == 2 && rapid.Bool().Draw(t, "archived")
		w.objs["WorkCenter/"+wc.Name] = wc
	}
	for _, r := range builtInObjects() {
		w.objs["WorkCenterRole/"+r.Name] = r
	}
	for i := range 4 {
		var perms []string
		for range rapid.IntRange(0, 5).Draw(t, "perms") {
			perms = append(perms, string(catalog[rapid.IntRange(0, len(catalog)-1).Draw(t, "perm")].Permission))
		}
		r := fixtures.Role(ns, fmt.Sprintf("r%d", i), fixtures.Perms(perms...))
		if rapid.IntRange(0, 3).Draw(t, "include") == 0 {
			r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.ObjectName(drawRole(t, "included"))}
		}
		w.objs["WorkCenterRole/"+r.Name] = r
	}
	for i := range rapid.IntRange(3, 8).Draw(t, "people") {
		c := drawPerson(t, fmt.Sprintf("c%d", i), fmt.Sprintf("p%d@example.com", i))
		c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(i) * time.Second))
		w.objs["Collaborator/"+c.Name] = c
	}
	return w
}

// drawChange is a random create, update or delete of a Collaborator: the old object
// (nil for a create) and the new one (nil for a delete).
func drawChange(t *rapid.T, m *Account) (old, obj *v1alpha1.Collaborator) {
	people := m.Collaborators()
	switch rapid.IntRange(0, 9).Draw(t, "op") {
	case 0:
		c := drawPerson(t, "newcomer", rapid.SampledFrom([]string{"new@example.com", "P0@example.com"}).Draw(t, "newEmail"))
		c.CreationTimestamp = metav1.NewTime(t0.Add(time.Hour))
		return nil, c
	case 1:
		return rapid.SampledFrom(people).Draw(t, "deleted"), nil
	}
	old = rapid.SampledFrom(people).Draw(t, "target")
	obj = old.DeepCopy()
	for range rapid.IntRange(1, 3).Draw(t, "edits") {
		switch rapid.IntRange(0, 6).Draw(t, "edit") {
		case 0:
			obj.Spec.Email = rapid.SampledFrom([]string{"new@example.com", "P1@example.com", strings.ToUpper(obj.Spec.Email)}).Draw(t, "email")
		case 1:
			obj.Spec.DisplayName = "Renamed"
		case 2:
			if obj.Spec.Type == v1alpha1.Member {
				obj.Spec.Type, obj.Spec.AdminRole = v1alpha1.Guest, v1alpha1.AdminRoleNone
			} else {
				obj.Spec.Type = v1alpha1.Member
			}
		case 3:
			if obj.Spec.Type == v1alpha1.Member {
				obj.Spec.AdminRole = rapid.SampledFrom(delegationAdminRoles).Draw(t, "adminRole")
			}
		case 4:
			obj.Spec.WorkCenters = drawAssignments(t, "new")
		case 5:
			if n := len(obj.Spec.WorkCenters); n > 0 {
				obj.Spec.WorkCenters[rapid.IntRange(0, n-1).Draw(t, "changed")].Role = v1alpha1.ObjectName(drawRole(t, "newRole"))
			}
		case 6:
			if n := len(obj.Spec.WorkCenters); n > 0 {
				obj.Spec.WorkCenters = slices.Delete(obj.Spec.WorkCenters, 0, 1)
			}
		}
	}
	return old, obj
}

// neededCapabilities is the oracle of docs/administration.md's tables (What each change
// needs, Collaborator), written from the tables rather than from the code.
func neededCapabilities(by, old, obj *v1alpha1.Collaborator) []Question {
	var qs []Question
	ask := func(c Capability, wc string, target *v1alpha1.Collaborator) {
		qs = append(qs, Question{Capability: string(c), WorkCenter: wc, Target: target})
	}
	switch {
	case obj == nil:
		if old.Name == by.Name {
			ask(AccountLeave, "", old)
		} else {
			ask(UsersRemove, "", old)
		}
	case old == nil:
		if len(obj.Spec.WorkCenters) == 0 {
			ask(UsersAdd, "", obj)
		}
		if IsMember(obj) {
			ask(UsersUpgrade, "", obj)
		}
		if adminRoleOf(obj) != v1alpha1.AdminRoleNone {
			ask(AdministratorsManage, "", obj)
		}
		for _, as := range obj.Spec.WorkCenters {
			ask(CollaboratorsAdd, string(as.Name), obj)
		}
	default:
		if old.Spec.Email != obj.Spec.Email || old.Spec.DisplayName != obj.Spec.DisplayName {
			ask(UsersUpdate, "", old)
		}
		if !IsMember(old) && IsMember(obj) {
			ask(UsersUpgrade, "", old)
		}
		if IsMember(old) && !IsMember(obj) {
			ask(UsersDowngrade, "", old)
		}
		if adminRoleOf(old) != adminRoleOf(obj) {
			ask(AdministratorsManage, "", old)
		}
		for _, as := range obj.Spec.WorkCenters {
			i := slices.IndexFunc(old.Spec.WorkCenters, func(o v1alpha1.WorkCenterAssignment) bool { return o.Name == as.Name })
			switch {
			case i < 0:
				ask(CollaboratorsAdd, string(as.Name), old)
			case old.Spec.WorkCenters[i].Role != as.Role:
				ask(CollaboratorsChangeRole, string(as.Name), old)
			}
		}
		for _, as := range old.Spec.WorkCenters {
			if !slices.ContainsFunc(obj.Spec.WorkCenters, func(o v1alpha1.WorkCenterAssignment) bool { return o.Name == as.Name }) {
				ask(CollaboratorsRemoveAny, string(as.Name), old)
			}
		}
	}
	return qs
}

// heldBy is what each Kubernetes user (an email, as Identify reads it) holds in each
// WorkCenter of m.
func heldBy(m *Account, now metav1.Time) map[string]map[string]Set {
	out := map[string]map[string]Set{}
	for _, c := range m.Collaborators() {
		holder, err := m.Identify(c.Spec.Email, "")
		if err != nil || holder.Name != c.Name {
			continue
		}
		byWC := map[string]Set{}
		for _, wc := range m.WorkCenters() {
			byWC[wc.Name] = m.Permissions(c, wc.Name, now)
		}
		out[emailKey(c.Spec.Email)] = byWC
	}
	return out
}

func TestDelegationProperties(t *testing.T) {
	now := metav1.NewTime(t0.Add(2 * time.Hour))
	rapid.Check(t, func(t *rapid.T) {
		w := drawWorld(t)
		before := w.model()
		by := rapid.SampledFrom(before.Collaborators()).Draw(t, "requester")
		old, obj := drawChange(t, before)
		r := Request[*v1alpha1.Collaborator]{Operation: Update, Old: old, Object: obj, Username: by.Spec.Email}
		switch {
		case old == nil:
			r = Request[*v1alpha1.Collaborator]{Operation: Create, Object: obj, Username: by.Spec.Email}
		case obj == nil:
			r = Request[*v1alpha1.Collaborator]{Operation: Delete, Object: old, Username: by.Spec.Email}
		}
		fs := before.ValidateCollaborator(r)
		if errs := fs.Errors(); len(errs) > 0 {
			for _, f := range errs {
				if f.Forbidden && f.Rule != RuleDelegation && f.Rule != R7 {
					t.Fatalf("a refusal of who asks under rule %s: %s", f.Rule, f.Message)
				}
			}
			return
		}

		// Allowed: every capability the tables say the change needs is one Decide allows.
		for _, q := range neededCapabilities(by, old, obj) {
			if d := before.Decide(by, q); !d.Allowed {
				t.Fatalf("admission allowed %s's change of %v, but Decide refuses %s: %s", by.Name, q.Target.Name, q.Capability, d.Message)
			}
		}

		// No escalation: nobody holds, after the change, a permission in a WorkCenter they
		// did not hold before and the requester lacked there.
		after := delegationWorld{objs: map[string]any{}}
		for k, v := range w.objs {
			after.objs[k] = v
		}
		switch {
		case obj == nil:
			delete(after.objs, "Collaborator/"+old.Name)
		default:
			after.objs["Collaborator/"+obj.Name] = obj
		}
		heldBefore, heldAfter := heldBy(before, now), heldBy(after.model(), now)
		for user, byWC := range heldAfter {
			for wc, perms := range byWC {
				mine := before.Permissions(by, wc, now)
				for p := range perms {
					if heldBefore[user][wc].Has(p) || mine.Has(p) {
						continue
					}
					t.Fatalf("%s (%s) let %s hold %s in %s, which neither held before (findings: %v)",
						by.Name, MemberTypeOf(by), user, p, wc, fs)
				}
			}
		}
	})
}
