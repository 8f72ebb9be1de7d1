package model

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// Admission's rules (validate.go) as table tests: each case builds a small account, asks
// for the verdict on one request, and compares every finding with what docs/rules.md
// says admission answers: the rule, the reason, the field, error or warning, and the
// objects the message names.

// wantFinding is a finding as a case expects it.
type wantFinding struct {
	rule   Rule
	reason string
	// field is the field's path as a string, "" for the object as a whole.
	field string
	// value is the refused value (422 field.Invalid); nil for none.
	value              any
	warning, forbidden bool
	// says are parts of the message: the objects and permissions it names; lacks are
	// names it must not blame.
	says, lacks []string
}

// findingsDiff says how got differs from want, nothing when they agree.
func findingsDiff(got Findings, want []wantFinding) []string {
	var out []string
	if len(got) != len(want) {
		out = append(out, fmt.Sprintf("%d findings, want %d", len(got), len(want)))
	}
	for i := range min(len(got), len(want)) {
		g, w := got[i], want[i]
		field := ""
		if g.Field != nil {
			field = g.Field.String()
		}
		bad := func(format string, args ...any) {
			out = append(out, fmt.Sprintf("finding %d: ", i)+fmt.Sprintf(format, args...))
		}
		if g.Rule != w.rule {
			bad("rule %q, want %q", g.Rule, w.rule)
		}
		if g.Reason != w.reason {
			bad("reason %q, want %q", g.Reason, w.reason)
		}
		if field != w.field {
			bad("field %q, want %q", field, w.field)
		}
		if !reflect.DeepEqual(g.Value, w.value) {
			bad("value %#v, want %#v", g.Value, w.value)
		}
		if g.Warning != w.warning {
			bad("warning %v, want %v", g.Warning, w.warning)
		}
		if g.Forbidden != w.forbidden {
			bad("forbidden %v, want %v", g.Forbidden, w.forbidden)
		}
		for _, s := range w.says {
			if !strings.Contains(g.Message, s) {
				bad("message does not say %q", s)
			}
		}
		for _, s := range w.lacks {
			if strings.Contains(g.Message, s) {
				bad("message names %q", s)
			}
		}
	}
	return out
}

func showFindings(fs Findings) string {
	if len(fs) == 0 {
		return "  (none)"
	}
	var b strings.Builder
	for i, f := range fs {
		fmt.Fprintf(&b, "  %d: rule=%s reason=%s field=%v value=%#v warning=%v forbidden=%v\n     %s\n",
			i, f.Rule, f.Reason, f.Field, f.Value, f.Warning, f.Forbidden, f.Message)
	}
	return b.String()
}

// expectFindings fails the test when got is not want. A case skipped for a defect of
// the code under test (defect names it) fails once the code agrees with docs/rules.md,
// so that the skip goes with the defect.
func expectFindings(t *testing.T, got Findings, want []wantFinding, defect string) {
	t.Helper()
	diffs := findingsDiff(got, want)
	if defect != "" {
		if len(diffs) == 0 {
			t.Fatalf("this case passes although it is skipped for a defect, %q: the defect is fixed, drop the skip", defect)
		}
		t.Skipf("DEFECT: %s\n%s\ngot:\n%s", defect, strings.Join(diffs, "\n"), showFindings(got))
	}
	if len(diffs) > 0 {
		t.Errorf("%s\ngot:\n%s", strings.Join(diffs, "\n"), showFindings(got))
	}
}

// validateCase is one request about an object of type T, judged against the account of
// objs.
type validateCase[T any] struct {
	objs []any
	req  Request[T]
	want []wantFinding
	// defect, when set, names a defect of validate.go against docs/rules.md: the case
	// states what the rules say and is skipped.
	defect string
}

func runValidate[T any](t *testing.T, cases map[string]validateCase[T], validate func(*Account, Request[T]) Findings) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := Build(ns, tc.objs...)
			if err != nil {
				t.Fatal(err)
			}
			expectFindings(t, validate(m, tc.req), tc.want, tc.defect)
		})
	}
}

// The requests, as a person (not the operator) makes them.
const requester = "alice@example.com"

func createReq[T any](obj T) Request[T] {
	return Request[T]{Operation: Create, Object: obj, Username: requester}
}

func updateReq[T any](old, obj T) Request[T] {
	return Request[T]{Operation: Update, Old: old, Object: obj, Username: requester}
}

func deleteReq[T any](obj T) Request[T] {
	return Request[T]{Operation: Delete, Object: obj, Username: requester}
}

func asOperator[T any](r Request[T]) Request[T] {
	r.Operator, r.Username = true, "system:serviceaccount:workcenter-system:operator"
	return r
}

func inTerminatingNamespace[T any](r Request[T]) Request[T] {
	r.NamespaceTerminating = true
	return r
}

// changed is a copy of o changed by change: the object of an update, o its old version.
func changed[T interface{ DeepCopy() T }](o T, change func(T)) T {
	c := o.DeepCopy()
	change(c)
	return c
}

// finalized adds finalizers to o.
func finalized[T metav1.Object](o T, finalizers ...string) T {
	o.SetFinalizers(append(o.GetFinalizers(), finalizers...))
	return o
}

// beingDeleted gives o a deletion timestamp.
func beingDeleted[T metav1.Object](o T) T {
	ts := metav1.NewTime(t0.Add(24 * time.Hour))
	o.SetDeletionTimestamp(&ts)
	return o
}

func withoutFinalizer[T metav1.Object](o T, finalizer string) T {
	var keep []string
	for _, f := range o.GetFinalizers() {
		if f != finalizer {
			keep = append(keep, f)
		}
	}
	o.SetFinalizers(keep)
	return o
}

// person is a Collaborator created minutes after t0; seniority (R4, R5, R7) counts from
// it. Each assign is "workCenter=role".
func person(name string, typ v1alpha1.CollaboratorType, minutes int, assign ...string) *v1alpha1.Collaborator {
	c := fixtures.Collaborator(ns, name, typ, assign...)
	c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(minutes) * time.Minute))
	return c
}

// accountAdmin is a Member AccountAdministrator created minutes after t0, with the
// last-administrator finalizer the mutating webhook gives it.
func accountAdmin(name string, minutes int) *v1alpha1.Collaborator {
	return finalized(fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, person(name, v1alpha1.Member, minutes)),
		v1alpha1.FinalizerLastAdministrator)
}

// acmeAccount is the owning Account: active, created at t0, protected (R11).
func acmeAccount(licenses int32, categories ...string) *v1alpha1.Account {
	a := fixtures.Account(ns, "acme", licenses, categories...)
	a.CreationTimestamp = metav1.NewTime(t0)
	return finalized(a, v1alpha1.FinalizerAccountProtection)
}

// builtInRoles are the built-in role objects as the Account controller keeps them.
func builtInRoles() []any {
	var out []any
	for _, n := range v1alpha1.BuiltInRoleNames {
		r := fixtures.Role(ns, n)
		r.Labels = map[string]string{v1alpha1.LabelBuiltIn: "true"}
		out = append(out, finalized(r, v1alpha1.FinalizerInUseProtection))
	}
	return out
}

// collaboratorWorld is an account for Collaborator requests: acct (none when nil), the
// WorkCenters tower and annex, the built-in roles and
//   - viewer: workCenter.view only;
//   - mover: files.move, member-only;
//   - doomed: being deleted (R10);
//   - loop-a and loop-b: including each other (InclusionCycle);
//   - lead: including planned, which does not exist;
//
// and extra.
func collaboratorWorld(acct *v1alpha1.Account, extra ...any) []any {
	var objs []any
	if acct != nil {
		objs = append(objs, acct)
	}
	objs = append(objs, fixtures.WorkCenter(ns, "tower"), fixtures.WorkCenter(ns, "annex"))
	objs = append(objs, builtInRoles()...)
	objs = append(objs,
		fixtures.Role(ns, "viewer"),
		fixtures.Role(ns, "mover", fixtures.Perms("files.move")),
		beingDeleted(finalized(fixtures.Role(ns, "doomed"), v1alpha1.FinalizerInUseProtection)),
		fixtures.Role(ns, "loop-a", fixtures.Includes("loop-b")),
		fixtures.Role(ns, "loop-b", fixtures.Includes("loop-a")),
		fixtures.Role(ns, "lead", fixtures.Includes("planned")),
	)
	return append(objs, extra...)
}

func TestValidateCollaborator(t *testing.T) {
	type C = v1alpha1.Collaborator
	rename := func(c *C) { c.Spec.DisplayName += " (renamed)" }
	setEmail := func(e string) func(*C) { return func(c *C) { c.Spec.Email = e } }
	setType := func(typ v1alpha1.CollaboratorType) func(*C) { return func(c *C) { c.Spec.Type = typ } }
	setAdmin := func(ar v1alpha1.AdminRole) func(*C) { return func(c *C) { c.Spec.AdminRole = ar } }
	assign := func(pairs ...string) func(*C) {
		return func(c *C) {
			c.Spec.WorkCenters = fixtures.Collaborator(ns, c.Name, c.Spec.Type, pairs...).Spec.WorkCenters
		}
	}
	makeGuest := func(c *C) { c.Spec.Type, c.Spec.AdminRole = v1alpha1.Guest, v1alpha1.AdminRoleNone }

	// Stored objects that updates start from.
	gus := person("gus", v1alpha1.Guest, 5, "annex=mover")
	mia := person("mia", v1alpha1.Member, 6, "tower=mover", "annex=viewer")
	ada := accountAdmin("ada", 0)
	abe := accountAdmin("abe", 1)
	bea := beingDeleted(accountAdmin("bea", 2))
	bob := person("bob", v1alpha1.Member, 3, "tower=viewer")
	zed := person("zed", v1alpha1.Guest, 9)
	dup := person("dup", v1alpha1.Guest, 8)
	dup.Spec.Email = "Ada@Example.com"
	kept := person("kept", v1alpha1.Guest, 7, "annex=viewer", "tower=doomed")
	looping := person("looping", v1alpha1.Guest, 7, "tower=loop-a")

	r2 := func(field string, says ...string) wantFinding {
		return wantFinding{rule: R2, reason: v1alpha1.ReasonRoleRequiresMember, field: field, says: says}
	}
	r4 := func(says ...string) wantFinding {
		return wantFinding{rule: R4, reason: v1alpha1.ReasonLicenseLimitExceeded, field: "spec.type", says: says}
	}
	r5 := func(value string, says ...string) wantFinding {
		return wantFinding{rule: R5, reason: v1alpha1.ReasonDuplicateEmail, field: "spec.email", value: value, says: append([]string{value}, says...)}
	}
	r7 := func(field string) wantFinding {
		return wantFinding{rule: R7, reason: v1alpha1.ReasonLastAccountAdministrator, field: field,
			says: []string{`Collaborator "ada" is the last AccountAdministrator of Account "acme"`}}
	}
	r7Finalizer := wantFinding{rule: R7, reason: v1alpha1.ReasonLastAccountAdministrator, field: "metadata.finalizers",
		says: []string{`Collaborator "ada" is the last AccountAdministrator of Account "acme"`, v1alpha1.FinalizerLastAdministrator}}
	r7Delete := wantFinding{rule: R7, reason: v1alpha1.ReasonLastAccountAdministrator, warning: true,
		says: []string{`Collaborator "ada" is the last AccountAdministrator of Account "acme"`, "its deletion waits", v1alpha1.FinalizerLastAdministrator}}
	cycle := "loop-a -> loop-b -> loop-a"
	pendingWC := func(wc string) wantFinding {
		return wantFinding{rule: RulePending, reason: v1alpha1.ReasonWorkCenterNotFound, warning: true,
			says: []string{fmt.Sprintf("WorkCenter %q does not exist yet", wc), "Pending"}}
	}

	cases := map[string]validateCase[*C]{
		// R2: a Guest never holds a member-only role.
		"create: a Guest assigned a member-only role (R2)": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "tower=viewer", "annex=mover")),
			want: []wantFinding{r2("spec.workCenters[1].role", `Guest "neo"`, `role "mover"`, `WorkCenter "annex"`, "files.move")},
		},
		"create: a Guest assigned workcenter-owner, member-only whatever its object's spec (R2)": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "tower=workcenter-owner")),
			want: []wantFinding{r2("spec.workCenters[0].role", `Guest "neo"`, `role "workcenter-owner"`, "tasks.create")},
		},
		"create: a Guest with roles a Guest may hold": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "tower=viewer", "annex=contributor")),
		},
		"create: a Member with a member-only role": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Member, 10, "tower=mover", "annex=workcenter-owner")),
		},
		"update: a Guest's assignment changed to a member-only role (R2)": {
			objs: collaboratorWorld(acmeAccount(10), person("gwen", v1alpha1.Guest, 5, "tower=viewer")),
			req:  updateReq(person("gwen", v1alpha1.Guest, 5, "tower=viewer"), person("gwen", v1alpha1.Guest, 5, "tower=mover")),
			want: []wantFinding{r2("spec.workCenters[0].role", `Guest "gwen"`, `role "mover"`, `WorkCenter "tower"`)},
		},
		"update: a Guest's unchanged member-only assignment is a warning (R2)": {
			objs: collaboratorWorld(acmeAccount(10), gus),
			req:  updateReq(gus, changed(gus, rename)),
			want: []wantFinding{{rule: R2, reason: v1alpha1.ReasonRoleRequiresMember, field: "spec.workCenters[0].role", warning: true,
				says: []string{`Guest "gus"`, `role "mover"`, `WorkCenter "annex"`, "stays Rejected"}}},
		},

		// R3: a Member is not turned into a Guest while holding a member-only role.
		"update: a Member holding a member-only role made a Guest (R3)": {
			objs: collaboratorWorld(acmeAccount(10), mia),
			req:  updateReq(mia, changed(mia, setType(v1alpha1.Guest))),
			want: []wantFinding{{rule: R3, reason: v1alpha1.ReasonRoleRequiresMember, field: "spec.type",
				says: []string{`"mia"`, `role "mover"`, `WorkCenter "tower"`, "files.move"}, lacks: []string{"annex"}}},
		},
		"update: a Member holding no member-only role made a Guest": {
			objs: collaboratorWorld(acmeAccount(10), bob),
			req:  updateReq(bob, changed(bob, setType(v1alpha1.Guest))),
		},

		// R4: a new Member, or a Guest made a Member, needs a free license.
		"create: a Member when every license is taken (R4)": {
			objs: collaboratorWorld(acmeAccount(1), bob),
			req:  createReq(person("neo", v1alpha1.Member, 10)),
			want: []wantFinding{r4(`Account "acme"`, `Member "neo"`, "1 of 1 licenses")},
		},
		"create: a Member being deleted still holds its license (R4)": {
			objs: collaboratorWorld(acmeAccount(1), beingDeleted(person("bob", v1alpha1.Member, 3))),
			req:  createReq(person("neo", v1alpha1.Member, 10)),
			want: []wantFinding{r4(`Member "neo"`, "1 of 1 licenses")},
		},
		"create: a Member with a license free": {
			objs: collaboratorWorld(acmeAccount(2), bob),
			req:  createReq(person("neo", v1alpha1.Member, 10)),
		},
		"create: a Member the model holds already (a replay) does not count itself": {
			objs: collaboratorWorld(acmeAccount(2), bob, person("neo", v1alpha1.Member, 10)),
			req:  createReq(person("neo", v1alpha1.Member, 10)),
		},
		"create: a Guest needs no license": {
			objs: collaboratorWorld(acmeAccount(0)),
			req:  createReq(person("neo", v1alpha1.Guest, 10)),
		},
		"update: a Guest made a Member when every license is taken (R4)": {
			objs: collaboratorWorld(acmeAccount(1), bob, person("gwen", v1alpha1.Guest, 5)),
			req:  updateReq(person("gwen", v1alpha1.Guest, 5), person("gwen", v1alpha1.Member, 5)),
			want: []wantFinding{r4(`Member "gwen"`, "1 of 1 licenses")},
		},
		"update: a Guest made a Member with a license free": {
			objs: collaboratorWorld(acmeAccount(2), bob, person("gwen", v1alpha1.Guest, 5)),
			req:  updateReq(person("gwen", v1alpha1.Guest, 5), person("gwen", v1alpha1.Member, 5)),
		},
		"update: a Member without a license, still a Member, needs no new one": {
			objs: collaboratorWorld(acmeAccount(1), ada, person("mel", v1alpha1.Member, 5)),
			req:  updateReq(person("mel", v1alpha1.Member, 5), person("mel", v1alpha1.Member, 5, "tower=mover")),
		},

		// R5: emails are unique within an account, case-insensitive.
		"create: an email another has, in other case (R5)": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  createReq(changed(person("neo", v1alpha1.Guest, 10), setEmail("ADA@Example.COM"))),
			want: []wantFinding{r5("ADA@Example.COM", `Collaborator "ada"`)},
		},
		"update: an email changed to one another has (R5)": {
			objs: collaboratorWorld(acmeAccount(10), ada, zed),
			req:  updateReq(zed, changed(zed, setEmail("ada@example.COM"))),
			want: []wantFinding{r5("ada@example.COM", `Collaborator "ada"`)},
		},
		"update: an older Collaborator taking a newer one's email (R5)": {
			objs: collaboratorWorld(acmeAccount(10), ada, zed),
			req:  updateReq(ada, changed(ada, setEmail("zed@example.com"))),
			want: []wantFinding{r5("zed@example.com", `Collaborator "zed"`)},
		},
		"update: an email shared already, unchanged (R5)": {
			objs: collaboratorWorld(acmeAccount(10), ada, dup),
			req:  updateReq(dup, changed(dup, rename)),
		},
		"update: its own email in other case": {
			objs: collaboratorWorld(acmeAccount(10), zed),
			req:  updateReq(zed, changed(zed, setEmail("ZED@example.com"))),
		},

		// R7: an active Account keeps an AccountAdministrator.
		"update: the last AccountAdministrator demoted (R7)": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  updateReq(ada, changed(ada, setAdmin(v1alpha1.AdminRoleUserAdministrator))),
			want: []wantFinding{r7("spec.adminRole")},
		},
		"update: the last AccountAdministrator made a Guest (R7)": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  updateReq(ada, changed(ada, makeGuest)),
			want: []wantFinding{r7("spec.type")},
		},
		"update: an AccountAdministrator demoted while another stays": {
			objs: collaboratorWorld(acmeAccount(10), ada, abe),
			req:  updateReq(ada, changed(ada, setAdmin(v1alpha1.AdminRoleNone))),
		},
		"update: demoted while the other AccountAdministrator is being deleted (R7)": {
			objs: collaboratorWorld(acmeAccount(10), ada, bea),
			req:  updateReq(ada, changed(ada, setAdmin(v1alpha1.AdminRoleNone))),
			want: []wantFinding{r7("spec.adminRole")},
		},
		"update: the last AccountAdministrator of a Deactivated Account demoted": {
			objs: collaboratorWorld(changed(acmeAccount(10), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated }), ada),
			req:  updateReq(ada, changed(ada, setAdmin(v1alpha1.AdminRoleNone))),
		},
		"update: the last AccountAdministrator of an Account being deleted demoted": {
			objs: collaboratorWorld(beingDeleted(acmeAccount(10)), ada),
			req:  updateReq(ada, changed(ada, setAdmin(v1alpha1.AdminRoleNone))),
		},
		"update: the last-administrator finalizer removed from the last one (R7)": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  updateReq(ada, withoutFinalizer(ada.DeepCopy(), v1alpha1.FinalizerLastAdministrator)),
			want: []wantFinding{r7Finalizer},
		},
		"update: the finalizer removed and the last one demoted at once (R7)": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  updateReq(ada, withoutFinalizer(changed(ada, setAdmin(v1alpha1.AdminRoleNone)), v1alpha1.FinalizerLastAdministrator)),
			want: []wantFinding{r7Finalizer},
		},
		"update: the finalizer removed by the operator": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  asOperator(updateReq(ada, withoutFinalizer(ada.DeepCopy(), v1alpha1.FinalizerLastAdministrator))),
		},
		"update: the finalizer removed while the namespace is being deleted": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  inTerminatingNamespace(updateReq(ada, withoutFinalizer(ada.DeepCopy(), v1alpha1.FinalizerLastAdministrator))),
		},
		"update: the finalizer removed while another AccountAdministrator stays": {
			objs: collaboratorWorld(acmeAccount(10), ada, abe),
			req:  updateReq(ada, withoutFinalizer(ada.DeepCopy(), v1alpha1.FinalizerLastAdministrator)),
		},
		"update: the finalizer removed in a Deactivated Account": {
			objs: collaboratorWorld(changed(acmeAccount(10), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated }), ada),
			req:  updateReq(ada, withoutFinalizer(ada.DeepCopy(), v1alpha1.FinalizerLastAdministrator)),
		},
		"delete: the last AccountAdministrator waits (R7)": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  deleteReq(ada),
			want: []wantFinding{r7Delete},
		},
		"delete: the oldest of AccountAdministrators deleted together waits (R7)": {
			objs: collaboratorWorld(acmeAccount(10), ada, bea),
			req:  deleteReq(ada),
			want: []wantFinding{r7Delete},
		},
		"delete: the last AccountAdministrator while the namespace is being deleted": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  inTerminatingNamespace(deleteReq(ada)),
		},
		"delete: the last AccountAdministrator without its finalizer": {
			objs: collaboratorWorld(acmeAccount(10), ada),
			req:  deleteReq(withoutFinalizer(ada.DeepCopy(), v1alpha1.FinalizerLastAdministrator)),
		},
		"delete: an AccountAdministrator while another stays": {
			objs: collaboratorWorld(acmeAccount(10), ada, abe),
			req:  deleteReq(ada),
		},
		"delete: a Collaborator that is no AccountAdministrator": {
			objs: collaboratorWorld(acmeAccount(10), gus),
			req:  deleteReq(gus),
		},

		// R10: a role being deleted takes no new assignment.
		"create: assigned a role being deleted (R10)": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "annex=viewer", "tower=doomed")),
			want: []wantFinding{{rule: R10, reason: v1alpha1.ReasonRoleTerminating, field: "spec.workCenters[1].role",
				says: []string{`WorkCenterRole "doomed"`, `"neo"`, `WorkCenter "tower"`}}},
		},
		"update: an assignment changed to a role being deleted (R10)": {
			objs: collaboratorWorld(acmeAccount(10), kept),
			req:  updateReq(kept, changed(kept, assign("annex=doomed", "tower=doomed"))),
			want: []wantFinding{{rule: R10, reason: v1alpha1.ReasonRoleTerminating, field: "spec.workCenters[0].role",
				says: []string{`WorkCenterRole "doomed"`, `"kept"`, `WorkCenter "annex"`}}},
		},
		"update: an unchanged assignment to a role being deleted": {
			objs: collaboratorWorld(acmeAccount(10), kept),
			req:  updateReq(kept, changed(kept, rename)),
		},
		"update: an assignment to a role being deleted moved in the list": {
			objs: collaboratorWorld(acmeAccount(10), kept),
			req:  updateReq(kept, changed(kept, assign("tower=doomed", "annex=viewer"))),
		},

		// InclusionCycle: a role in a cycle cannot be resolved.
		"create: assigned a role in a cycle (InclusionCycle)": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "tower=loop-a")),
			want: []wantFinding{{rule: RuleInclusionCycle, reason: v1alpha1.ReasonInclusionCycle, field: "spec.workCenters[0].role",
				says: []string{`WorkCenterRole "loop-a"`, cycle, `WorkCenter "tower"`}}},
		},
		"update: an unchanged assignment to a role in a cycle is a warning (InclusionCycle)": {
			objs: collaboratorWorld(acmeAccount(10), looping),
			req:  updateReq(looping, changed(looping, rename)),
			want: []wantFinding{{rule: RuleInclusionCycle, reason: v1alpha1.ReasonInclusionCycle, field: "spec.workCenters[0].role", warning: true,
				says: []string{`WorkCenterRole "loop-a"`, cycle, `WorkCenter "tower"`, "Rejected"}}},
		},

		// References that wait: never refused, a warning.
		"create: assigned in a WorkCenter that does not exist yet (Pending)": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "nowhere=viewer")),
			want: []wantFinding{pendingWC("nowhere")},
		},
		"create: assigned a role that does not exist yet (Pending)": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "tower=ghost")),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonRoleNotFound, warning: true,
				says: []string{`WorkCenterRole "ghost"`, `WorkCenter "tower"`, "does not exist yet"}}},
		},
		"create: assigned a role including one that does not exist yet (Pending)": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "tower=lead")),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonRoleNotFound, field: "spec.workCenters[0].role", warning: true,
				says: []string{`WorkCenterRole "lead" includes "planned"`, `WorkCenter "tower"`, "Pending"}}},
		},
		"create: in a namespace without an Account, a Member needs no license yet (Pending)": {
			objs: collaboratorWorld(nil),
			req:  createReq(person("neo", v1alpha1.Member, 10, "tower=viewer")),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonAccountNotFound, warning: true,
				says: []string{`namespace "acme" has no Account yet`, `Collaborator "neo"`}}},
		},

		// What is not checked.
		"update: nothing changed in spec": {
			objs: collaboratorWorld(acmeAccount(1), ada, gus),
			req: updateReq(gus, changed(gus, func(c *C) {
				c.Labels = map[string]string{"team": "site"}
				c.Finalizers = append(c.Finalizers, "example.com/other")
			})),
		},
		"update: an object being deleted": {
			objs: collaboratorWorld(acmeAccount(0), beingDeleted(gus.DeepCopy())),
			req:  updateReq(beingDeleted(gus.DeepCopy()), changed(beingDeleted(gus.DeepCopy()), func(c *C) { c.Spec.Type = v1alpha1.Member })),
		},

		// Every finding at once, in the order of the rules.
		"create: several rules at once, in order": {
			objs: collaboratorWorld(acmeAccount(1), ada),
			req:  createReq(changed(person("neo", v1alpha1.Member, 10, "nowhere=viewer", "tower=doomed"), setEmail("ADA@example.com"))),
			want: []wantFinding{
				pendingWC("nowhere"),
				{rule: R10, reason: v1alpha1.ReasonRoleTerminating, field: "spec.workCenters[1].role", says: []string{`"doomed"`}},
				r4(`Member "neo"`),
				r5("ADA@example.com", `Collaborator "ada"`),
			},
		},
		"update: a Member made a Guest answers for R3 and R7 at once": {
			objs: collaboratorWorld(acmeAccount(10), changed(ada, assign("tower=mover"))),
			req:  updateReq(changed(ada, assign("tower=mover")), changed(ada, func(c *C) { assign("tower=mover")(c); makeGuest(c) })),
			want: []wantFinding{
				{rule: R3, reason: v1alpha1.ReasonRoleRequiresMember, field: "spec.type", says: []string{`"ada"`, `"mover"`}},
				r7("spec.type"),
			},
		},
	}
	runValidate(t, cases, (*Account).ValidateCollaborator)
}

// A warning about a reference that waits carries the reason docs/rules.md gives it
// (References that wait: AccountNotFound, WorkCenterNotFound, RoleNotFound), as
// findings.go says a Reason is "one of the v1alpha1 Reason constants".
func TestValidatePendingReasons(t *testing.T) {
	cases := map[string]validateCase[*v1alpha1.Collaborator]{
		"a WorkCenter that does not exist yet: WorkCenterNotFound": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "nowhere=viewer")),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonWorkCenterNotFound, warning: true, says: []string{`"nowhere"`}}},
		},
		"a role that does not exist yet: RoleNotFound": {
			objs: collaboratorWorld(acmeAccount(10)),
			req:  createReq(person("neo", v1alpha1.Guest, 10, "tower=ghost")),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonRoleNotFound, warning: true, says: []string{`"ghost"`}}},
		},
	}
	runValidate(t, cases, (*Account).ValidateCollaborator)
}

func TestValidateWorkCenter(t *testing.T) {
	type W = v1alpha1.WorkCenter
	stored := fixtures.WorkCenter(ns, "tower", fixtures.Category("civil"))
	unknownBefore := fixtures.WorkCenter(ns, "tower", fixtures.Category("bogus"))
	setCategory := func(c string) func(*W) { return func(wc *W) { wc.Spec.Category = c } }
	r8 := func(value string) wantFinding {
		return wantFinding{rule: R8, reason: v1alpha1.ReasonUnknownCategory, field: "spec.category", value: value,
			says: []string{`WorkCenter "tower"`, fmt.Sprintf("category %q", value), `Account "acme"`, "civil, rail"}}
	}
	cases := map[string]validateCase[*W]{
		"create: a category in the picklist": {
			objs: []any{acmeAccount(10, "civil", "rail")},
			req:  createReq(fixtures.WorkCenter(ns, "tower", fixtures.Category("rail"))),
		},
		"create: no category": {
			objs: []any{acmeAccount(10, "civil", "rail")},
			req:  createReq(fixtures.WorkCenter(ns, "tower")),
		},
		"create: a category not in the picklist (R8)": {
			objs: []any{acmeAccount(10, "civil", "rail")},
			req:  createReq(fixtures.WorkCenter(ns, "tower", fixtures.Category("bogus"))),
			want: []wantFinding{r8("bogus")},
		},
		"create: a category when the Account has none (R8)": {
			objs: []any{acmeAccount(10)},
			req:  createReq(fixtures.WorkCenter(ns, "tower", fixtures.Category("bogus"))),
			want: []wantFinding{{rule: R8, reason: v1alpha1.ReasonUnknownCategory, field: "spec.category", value: "bogus",
				says: []string{`"tower"`, `"bogus"`, "the Account has no workCenterCategories"}}},
		},
		"create: category case matters (R8)": {
			objs: []any{acmeAccount(10, "civil", "rail")},
			req:  createReq(fixtures.WorkCenter(ns, "tower", fixtures.Category("Civil"))),
			want: []wantFinding{r8("Civil")},
		},
		"update: the category changed to one not in the picklist (R8)": {
			objs: []any{acmeAccount(10, "civil", "rail"), stored},
			req:  updateReq(stored, changed(stored, setCategory("bogus"))),
			want: []wantFinding{r8("bogus")},
		},
		"update: archived, keeping a category that left the picklist, is a warning (R8)": {
			objs: []any{acmeAccount(10, "civil", "rail"), unknownBefore},
			req:  updateReq(unknownBefore, changed(unknownBefore, fixtures.Archived)),
			want: []wantFinding{{rule: R8, reason: v1alpha1.ReasonUnknownCategory, warning: true,
				says: []string{`WorkCenter "tower"`, `category "bogus"`, `Account "acme"`, "stays not Ready"}}},
		},
		"update: a category that left the picklist changed to one in it": {
			objs: []any{acmeAccount(10, "civil", "rail"), unknownBefore},
			req:  updateReq(unknownBefore, changed(unknownBefore, setCategory("rail"))),
		},
		"update: the category removed": {
			objs: []any{acmeAccount(10, "civil", "rail"), unknownBefore},
			req:  updateReq(unknownBefore, changed(unknownBefore, setCategory(""))),
		},
		"create: no Account yet, the category checked then (Pending)": {
			objs: nil,
			req:  createReq(fixtures.WorkCenter(ns, "tower", fixtures.Category("bogus"))),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonAccountNotFound, warning: true,
				says: []string{`namespace "acme" has no Account yet`, `WorkCenter "tower"`, `category "bogus" is checked`}}},
		},
		"create: no Account yet, no category (Pending)": {
			objs: nil,
			req:  createReq(fixtures.WorkCenter(ns, "tower")),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonAccountNotFound, warning: true,
				says: []string{`namespace "acme" has no Account yet`, `WorkCenter "tower"`}, lacks: []string{"category"}}},
		},
		"delete: a category not in the picklist": {
			objs: []any{acmeAccount(10, "civil"), unknownBefore},
			req:  deleteReq(unknownBefore),
		},
		"update: nothing changed in spec": {
			objs: []any{acmeAccount(10, "civil"), unknownBefore},
			req:  updateReq(unknownBefore, changed(unknownBefore, func(wc *W) { wc.Labels = map[string]string{"site": "north"} })),
		},
		"update: an object being deleted": {
			objs: []any{acmeAccount(10, "civil"), stored},
			req:  updateReq(stored, beingDeleted(changed(stored, setCategory("bogus")))),
		},
	}
	runValidate(t, cases, (*Account).ValidateWorkCenter)
}

// roleWorld is an account for WorkCenterRole requests: the Account, the WorkCenters tower
// and annex, the built-in roles and
//   - viewer: workCenter.view, held by the Guest gus in tower and the Member mia;
//   - base: included by senior, which gus holds in annex;
//   - mover: files.move (member-only), held by the Guest gil, Rejected already;
//   - spare: used by nobody;
//   - cyc-a and cyc-b: including each other;
//
// every custom role with its in-use-protection finalizer, and extra.
func roleWorld(extra ...any) []any {
	objs := []any{acmeAccount(10), fixtures.WorkCenter(ns, "tower"), fixtures.WorkCenter(ns, "annex")}
	objs = append(objs, builtInRoles()...)
	for _, r := range []*v1alpha1.WorkCenterRole{
		fixtures.Role(ns, "viewer"),
		fixtures.Role(ns, "base"),
		fixtures.Role(ns, "senior", fixtures.Includes("base")),
		fixtures.Role(ns, "mover", fixtures.Perms("files.move")),
		fixtures.Role(ns, "spare"),
		fixtures.Role(ns, "cyc-a", fixtures.Includes("cyc-b")),
		fixtures.Role(ns, "cyc-b", fixtures.Includes("cyc-a")),
	} {
		objs = append(objs, finalized(r, v1alpha1.FinalizerInUseProtection))
	}
	objs = append(objs,
		person("gus", v1alpha1.Guest, 1, "tower=viewer", "annex=senior"),
		person("mia", v1alpha1.Member, 2, "tower=viewer", "annex=workcenter-owner"),
		person("gil", v1alpha1.Guest, 3, "annex=mover"),
	)
	return append(objs, extra...)
}

// storedRole is a role of roleWorld as stored: a fresh copy for a request.
func storedRole(name string, opts ...func(*v1alpha1.WorkCenterRole)) *v1alpha1.WorkCenterRole {
	r := finalized(fixtures.Role(ns, name, opts...), v1alpha1.FinalizerInUseProtection)
	if v1alpha1.IsBuiltInRoleName(name) {
		r.Labels = map[string]string{v1alpha1.LabelBuiltIn: "true"}
	}
	return r
}

func TestValidateRole(t *testing.T) {
	type R = v1alpha1.WorkCenterRole
	redescribe := func(r *R) { r.Spec.Description = "mine now" }
	grant := func(ps ...string) func(*R) { return fixtures.Perms(ps...) }
	setLabel := func(k, v string) func(*R) {
		return func(r *R) {
			if v == "" {
				delete(r.Labels, k)
				return
			}
			if r.Labels == nil {
				r.Labels = map[string]string{}
			}
			r.Labels[k] = v
		}
	}
	r9 := func(role, what string) wantFinding {
		return wantFinding{rule: R9, forbidden: true,
			says: []string{fmt.Sprintf("WorkCenterRole %q is built in", role), "only the operator may " + what, fmt.Sprintf("user %q", requester)}}
	}
	r6Finalizer := func(says ...string) wantFinding {
		return wantFinding{rule: R6, reason: v1alpha1.ReasonRoleInUse, field: "metadata.finalizers",
			says: append(says, v1alpha1.FinalizerInUseProtection)}
	}
	r6Delete := func(says ...string) wantFinding {
		return wantFinding{rule: R6, reason: v1alpha1.ReasonRoleInUse, warning: true,
			says: append(says, "its deletion waits", v1alpha1.FinalizerInUseProtection)}
	}
	viewer := storedRole("viewer")
	contributor := storedRole("contributor")

	cases := map[string]validateCase[*R]{
		// R9: built-in roles are the operator's.
		"create: a built-in role by a person (R9)": {
			objs: roleWorld(),
			req:  createReq(fixtures.Role(ns, "read-only")),
			want: []wantFinding{r9("read-only", "create")},
		},
		"create: a built-in role by the operator": {
			objs: roleWorld(),
			req:  asOperator(createReq(storedRole("read-only"))),
		},
		"update: a built-in role's spec edited by a person (R9)": {
			objs: roleWorld(),
			req:  updateReq(contributor, changed(contributor, redescribe)),
			want: []wantFinding{r9("contributor", "edit")},
		},
		"update: a built-in role's spec edited by the operator": {
			objs: roleWorld(),
			req:  asOperator(updateReq(contributor, changed(contributor, redescribe))),
		},
		"update: the built-in label removed from a built-in role (R9)": {
			objs: roleWorld(),
			req:  updateReq(contributor, changed(contributor, setLabel(v1alpha1.LabelBuiltIn, ""))),
			want: []wantFinding{r9("contributor", "edit")},
		},
		"update: the built-in label changed on a built-in role (R9)": {
			objs: roleWorld(),
			req:  updateReq(contributor, changed(contributor, setLabel(v1alpha1.LabelBuiltIn, "false"))),
			want: []wantFinding{r9("contributor", "edit")},
		},
		"update: another label of a built-in role": {
			objs: roleWorld(),
			req:  updateReq(contributor, changed(contributor, setLabel("team", "site"))),
		},
		"delete: a built-in role in use warns, never forbids": {
			objs: roleWorld(),
			req:  deleteReq(storedRole("workcenter-owner")),
			want: []wantFinding{r6Delete(`WorkCenterRole "workcenter-owner" is assigned to 1 users in 1 assignments: mia`)},
		},

		// R2: a role change does not make a role a Guest holds member-only.
		"update: a role a Guest holds given a member-only permission (R2)": {
			objs: roleWorld(),
			req:  updateReq(viewer, changed(viewer, grant("tasks.create"))),
			want: []wantFinding{{rule: R2, reason: v1alpha1.ReasonRoleRequiresMember, field: "spec",
				says: []string{`WorkCenterRole "viewer"`, "(tasks.create)", "gus (viewer in tower)"}, lacks: []string{"mia", "gil"}}},
		},
		"update: a role included by one a Guest holds given a member-only level (R2)": {
			objs: roleWorld(),
			req: updateReq(storedRole("base"), changed(storedRole("base"), func(r *R) {
				r.Spec.Levels.Folders = v1alpha1.LevelAdmin
			})),
			want: []wantFinding{{rule: R2, reason: v1alpha1.ReasonRoleRequiresMember, field: "spec",
				says: []string{`WorkCenterRole "base"`, "folders.delete", "gus (senior in annex)"}, lacks: []string{"viewer in tower"}}},
		},
		"update: a role member-only before the change is not blamed": {
			objs: roleWorld(),
			req:  updateReq(storedRole("mover", grant("files.move")), changed(storedRole("mover", grant("files.move")), grant("files.copy"))),
		},
		"update: a role only Members hold given a member-only permission": {
			objs: roleWorld(person("max", v1alpha1.Member, 4, "tower=spare")),
			req:  updateReq(storedRole("spare"), changed(storedRole("spare"), grant("tasks.create"))),
		},
		"update: a role a Guest holds given permissions a Guest may hold": {
			objs: roleWorld(),
			req:  updateReq(viewer, changed(viewer, grant("files.upload", "posts.create"))),
		},
		"create: a member-only role a Guest waits for (R2)": {
			objs: roleWorld(person("gwen", v1alpha1.Guest, 4, "tower=future")),
			req:  createReq(fixtures.Role(ns, "future", fixtures.Perms("tasks.create"))),
			want: []wantFinding{{rule: R2, reason: v1alpha1.ReasonRoleRequiresMember, field: "spec",
				says: []string{`WorkCenterRole "future"`, "gwen (future in tower)"}}},
		},

		// InclusionCycle.
		"update: an include that closes a cycle (InclusionCycle)": {
			objs: roleWorld(fixtures.Role(ns, "loop-a", fixtures.Includes("loop-b")), fixtures.Role(ns, "loop-b")),
			req:  updateReq(fixtures.Role(ns, "loop-b"), fixtures.Role(ns, "loop-b", fixtures.Includes("loop-a"))),
			want: []wantFinding{{rule: RuleInclusionCycle, reason: v1alpha1.ReasonInclusionCycle, field: "spec.includes",
				says: []string{"loop-a -> loop-b -> loop-a", `WorkCenterRole "loop-b" closes it`}}},
		},
		"create: a role including itself (InclusionCycle)": {
			objs: roleWorld(),
			req:  createReq(fixtures.Role(ns, "selfie", fixtures.Includes("selfie"))),
			want: []wantFinding{{rule: RuleInclusionCycle, reason: v1alpha1.ReasonInclusionCycle, field: "spec.includes",
				says: []string{"selfie -> selfie", `WorkCenterRole "selfie" closes it`}}},
		},
		"update: a role of a cycle that was there before is a warning (InclusionCycle)": {
			objs: roleWorld(),
			req:  updateReq(storedRole("cyc-a", fixtures.Includes("cyc-b")), changed(storedRole("cyc-a", fixtures.Includes("cyc-b")), redescribe)),
			want: []wantFinding{{rule: RuleInclusionCycle, reason: v1alpha1.ReasonInclusionCycle, warning: true,
				says: []string{"cyc-a -> cyc-b -> cyc-a", "stay not Ready"}}},
		},
		// The new role would resolve to nothing (its holders Rejected), so it is refused,
		// but it does not close the cycle: the message says what it does.
		"create: a role including one of a cycle that was there before (InclusionCycle)": {
			objs: roleWorld(),
			req:  createReq(fixtures.Role(ns, "wrapper", fixtures.Includes("cyc-a"))),
			want: []wantFinding{{rule: RuleInclusionCycle, reason: v1alpha1.ReasonInclusionCycle, field: "spec.includes",
				says: []string{"cyc-a -> cyc-b -> cyc-a", `WorkCenterRole "wrapper" would include it`}, lacks: []string{"closes it"}}},
		},

		// References that wait.
		"create: including a role that does not exist yet (Pending)": {
			objs: roleWorld(),
			req:  createReq(fixtures.Role(ns, "lead", fixtures.Includes("viewer", "planned"))),
			want: []wantFinding{{rule: RulePending, reason: v1alpha1.ReasonRoleNotFound, field: "spec.includes", warning: true,
				says: []string{`WorkCenterRole "lead" includes "planned"`, "does not exist yet"}, lacks: []string{"viewer"}}},
		},

		// R6: a role in use keeps its finalizer; its deletion waits.
		"update: the in-use finalizer removed from a role assigned (R6)": {
			objs: roleWorld(),
			req:  updateReq(viewer, withoutFinalizer(viewer.DeepCopy(), v1alpha1.FinalizerInUseProtection)),
			want: []wantFinding{r6Finalizer(`WorkCenterRole "viewer" is assigned to 2 users in 2 assignments: gus, mia`)},
		},
		"update: the in-use finalizer removed from a role included (R6)": {
			objs: roleWorld(),
			req:  updateReq(storedRole("base"), withoutFinalizer(storedRole("base"), v1alpha1.FinalizerInUseProtection)),
			want: []wantFinding{r6Finalizer(`WorkCenterRole "base" is included by roles: senior`)},
		},
		"update: the in-use finalizer removed from a role assigned only by a rejected assignment (R6)": {
			objs: roleWorld(),
			req:  updateReq(storedRole("mover", grant("files.move")), withoutFinalizer(storedRole("mover", grant("files.move")), v1alpha1.FinalizerInUseProtection)),
			want: []wantFinding{r6Finalizer(`WorkCenterRole "mover" is assigned to 1 users in 1 assignments: gil`)},
		},
		"update: the in-use finalizer removed from a role not in use": {
			objs: roleWorld(),
			req:  updateReq(storedRole("spare"), withoutFinalizer(storedRole("spare"), v1alpha1.FinalizerInUseProtection)),
		},
		"update: the in-use finalizer removed by the operator": {
			objs: roleWorld(),
			req:  asOperator(updateReq(viewer, withoutFinalizer(viewer.DeepCopy(), v1alpha1.FinalizerInUseProtection))),
		},
		"update: the in-use finalizer removed while the namespace is being deleted": {
			objs: roleWorld(),
			req:  inTerminatingNamespace(updateReq(viewer, withoutFinalizer(viewer.DeepCopy(), v1alpha1.FinalizerInUseProtection))),
		},
		"delete: a role assigned waits, naming its users (R6)": {
			objs: roleWorld(),
			req:  deleteReq(viewer),
			want: []wantFinding{r6Delete(`WorkCenterRole "viewer" is assigned to 2 users in 2 assignments: gus, mia`)},
		},
		"delete: a role included waits (R6)": {
			objs: roleWorld(),
			req:  deleteReq(storedRole("base")),
			want: []wantFinding{r6Delete(`WorkCenterRole "base" is included by roles: senior`)},
		},
		"delete: a role not in use": {
			objs: roleWorld(),
			req:  deleteReq(storedRole("spare")),
		},
		"delete: a role in use without its finalizer": {
			objs: roleWorld(),
			req:  deleteReq(fixtures.Role(ns, "viewer")),
		},
		"delete: a role in use while the namespace is being deleted": {
			objs: roleWorld(),
			req:  inTerminatingNamespace(deleteReq(viewer)),
		},
		"delete: a role being deleted already": {
			objs: roleWorld(),
			req:  deleteReq(beingDeleted(viewer.DeepCopy())),
		},

		// What is not checked.
		"update: nothing changed in spec": {
			objs: roleWorld(),
			req:  updateReq(storedRole("cyc-a", fixtures.Includes("cyc-b")), changed(storedRole("cyc-a", fixtures.Includes("cyc-b")), setLabel("team", "site"))),
		},
		"update: a role being deleted": {
			objs: roleWorld(),
			req:  updateReq(viewer, beingDeleted(changed(viewer, grant("tasks.create")))),
		},
	}
	runValidate(t, cases, (*Account).ValidateRole)
}

// accountWorld is an account for Account requests: the Account acme with 4 licenses and
// the categories civil, rail and marine; WorkCenters tower (civil), annex (rail, being
// deleted) and dock (none); the built-in roles and a custom one; the Members zoe, yan,
// bob and ann, in this order of seniority; and extra.
func accountWorld(extra ...any) []any {
	objs := []any{
		acmeAccount(4, "civil", "rail", "marine"),
		fixtures.WorkCenter(ns, "tower", fixtures.Category("civil")),
		beingDeleted(fixtures.WorkCenter(ns, "annex", fixtures.Category("rail"))),
		fixtures.WorkCenter(ns, "dock"),
		fixtures.Role(ns, "viewer"),
	}
	objs = append(objs, builtInRoles()...)
	objs = append(objs,
		person("zoe", v1alpha1.Member, 0), person("yan", v1alpha1.Member, 1),
		person("bob", v1alpha1.Member, 2), person("ann", v1alpha1.Member, 3))
	return append(objs, extra...)
}

func TestValidateAccount(t *testing.T) {
	type A = v1alpha1.Account
	stored := acmeAccount(4, "civil", "rail", "marine")
	setLicenses := func(n int32) func(*A) { return func(a *A) { a.Spec.Licenses = n } }
	setCategories := func(cs ...string) func(*A) {
		return func(a *A) {
			a.Spec.Picklists.WorkCenterCategories = fixtures.Account(ns, a.Name, 0, cs...).Spec.Picklists.WorkCenterCategories
		}
	}
	duplicate := func() *A {
		a := finalized(fixtures.Account(ns, "acme-2", 4, "civil"), v1alpha1.FinalizerAccountProtection)
		a.CreationTimestamp = metav1.NewTime(t0.Add(time.Hour))
		return a
	}
	r4 := func(licenses string, says ...string) wantFinding {
		return wantFinding{rule: R4, reason: v1alpha1.ReasonLicenseLimitExceeded, field: "spec.licenses", warning: true,
			says: append([]string{`Account "acme"`, "licenses to " + licenses, "newest Members: "}, says...)}
	}
	r8 := wantFinding{rule: R8, reason: v1alpha1.ReasonUnknownCategory, field: "spec.picklists.workCenterCategories", warning: true,
		says: []string{`category "civil"`, `Account "acme"`, "WorkCenters still use it: tower"}}
	inUse := `Account "acme" still has 3 WorkCenters, 1 custom WorkCenterRoles and 4 Collaborators`

	cases := map[string]validateCase[*A]{
		"create: the first Account of a namespace": {
			objs: nil,
			req:  createReq(fixtures.Account(ns, "acme", 4)),
		},
		"create: a second Account (DuplicateAccount)": {
			objs: []any{stored},
			req:  createReq(fixtures.Account(ns, "beta", 4)),
			want: []wantFinding{{rule: RuleDuplicateAccount, reason: v1alpha1.ReasonDuplicateAccount, warning: true,
				says: []string{`namespace "acme" already has Account "acme"`, `Account "beta" will not be Ready`}}},
		},
		"create: a third Account (DuplicateAccount)": {
			objs: []any{stored, duplicate()},
			req:  createReq(fixtures.Account(ns, "beta", 4)),
			want: []wantFinding{{rule: RuleDuplicateAccount, reason: v1alpha1.ReasonDuplicateAccount, warning: true,
				says: []string{"already has Accounts acme, acme-2", `Account "beta" will not be Ready`}}},
		},
		"create: the Account the model holds already": {
			objs: []any{stored},
			req:  createReq(stored),
		},

		// R8: a category in use leaving the picklist.
		"update: a category in use leaves the picklist (R8)": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, setCategories("rail", "marine"))),
			want: []wantFinding{r8},
		},
		"update: a category used only by a WorkCenter being deleted leaves": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, setCategories("civil", "marine"))),
		},
		"update: a category nobody uses leaves": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, setCategories("civil", "rail"))),
		},

		// R4: lowering licenses takes them from the newest Members.
		"update: licenses lowered take licenses from the newest Members (R4)": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, setLicenses(2))),
			want: []wantFinding{r4("2", "ann, bob")},
		},
		"update: licenses lowered to 0 (R4)": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, setLicenses(0))),
			want: []wantFinding{r4("0", "ann, bob, yan, zoe")},
		},
		"update: licenses raised": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, setLicenses(10))),
		},
		"update: licenses lowered, still one for every Member": {
			objs: accountWorld(),
			req:  updateReq(changed(stored, setLicenses(10)), changed(stored, setLicenses(4))),
		},
		"update: a category leaves and licenses are lowered (R8, R4)": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, func(a *A) { setCategories("rail")(a); setLicenses(3)(a) })),
			want: []wantFinding{r8, {rule: R4, reason: v1alpha1.ReasonLicenseLimitExceeded, field: "spec.licenses", warning: true,
				says: []string{"newest Members: ann"}, lacks: []string{"bob"}}},
		},

		// R11: the owning Account is not deleted while in use.
		"update: the account-protection finalizer removed while in use (R11)": {
			objs: accountWorld(),
			req:  updateReq(stored, withoutFinalizer(stored.DeepCopy(), v1alpha1.FinalizerAccountProtection)),
			want: []wantFinding{{rule: R11, reason: v1alpha1.ReasonAccountInUse, field: "metadata.finalizers",
				says: []string{inUse, v1alpha1.FinalizerAccountProtection}}},
		},
		"update: the account-protection finalizer removed, only built-in roles left": {
			objs: append([]any{stored}, builtInRoles()...),
			req:  updateReq(stored, withoutFinalizer(stored.DeepCopy(), v1alpha1.FinalizerAccountProtection)),
		},
		"update: the account-protection finalizer removed by the operator": {
			objs: accountWorld(),
			req:  asOperator(updateReq(stored, withoutFinalizer(stored.DeepCopy(), v1alpha1.FinalizerAccountProtection))),
		},
		"update: the account-protection finalizer removed while the namespace is being deleted": {
			objs: accountWorld(),
			req:  inTerminatingNamespace(updateReq(stored, withoutFinalizer(stored.DeepCopy(), v1alpha1.FinalizerAccountProtection))),
		},
		"delete: an Account in use waits (R11)": {
			objs: accountWorld(),
			req:  deleteReq(stored),
			want: []wantFinding{{rule: R11, reason: v1alpha1.ReasonAccountInUse, warning: true,
				says: []string{inUse, "its deletion waits", v1alpha1.FinalizerAccountProtection, `namespace "acme" is deleted`}}},
		},
		"delete: an Account in use while the namespace is being deleted": {
			objs: accountWorld(),
			req:  inTerminatingNamespace(deleteReq(stored)),
		},
		"delete: an Account in use without its finalizer": {
			objs: accountWorld(),
			req:  deleteReq(fixtures.Account(ns, "acme", 4)),
		},
		"delete: an Account with only its built-in roles": {
			objs: append([]any{stored}, builtInRoles()...),
			req:  deleteReq(stored),
		},

		// A duplicate Account governs nothing.
		"update: a duplicate Account's licenses and categories": {
			objs: accountWorld(duplicate()),
			req:  updateReq(duplicate(), changed(duplicate(), func(a *A) { setCategories()(a); setLicenses(0)(a) })),
		},
		"update: a duplicate Account's account-protection finalizer removed": {
			objs: accountWorld(duplicate()),
			req:  updateReq(duplicate(), withoutFinalizer(duplicate(), v1alpha1.FinalizerAccountProtection)),
		},

		// What is not checked.
		"update: nothing changed in spec": {
			objs: accountWorld(),
			req:  updateReq(stored, changed(stored, func(a *A) { a.Labels = map[string]string{"tier": "gold"} })),
		},
		"update: an Account being deleted": {
			objs: accountWorld(),
			req:  updateReq(stored, beingDeleted(changed(stored, setLicenses(0)))),
		},
	}
	runValidate(t, cases, (*Account).ValidateAccount)
}

// LosingLicenses is R4's ranking: the Members between the two limits in seniority
// order (creation time, then name; one not created yet is the newest), named in name
// order.
func TestLosingLicenses(t *testing.T) {
	unborn := fixtures.Collaborator(ns, "amy", v1alpha1.Member)
	m, err := Build(ns, acmeAccount(5),
		person("zoe", v1alpha1.Member, 0), person("yan", v1alpha1.Member, 1),
		person("bob", v1alpha1.Member, 2), person("ann", v1alpha1.Member, 2), // same minute: the name decides
		unborn, person("gil", v1alpha1.Guest, 0))
	must(err)
	// Seniority: zoe, yan, ann, bob, amy.
	for _, tc := range []struct {
		old, licenses int32
		want          []string
	}{
		{5, 4, []string{"amy"}},
		{5, 3, []string{"amy", "bob"}},
		{4, 2, []string{"ann", "bob"}},
		{3, 1, []string{"ann", "yan"}},
		{10, 3, []string{"amy", "bob"}},
		{5, -1, []string{"amy", "ann", "bob", "yan", "zoe"}},
		{3, 3, nil},
		{3, 5, nil},
		{10, 6, nil},
	} {
		if got := m.LosingLicenses(tc.old, tc.licenses); !slices.Equal(got, tc.want) {
			t.Errorf("LosingLicenses(%d, %d) = %v, want %v", tc.old, tc.licenses, got, tc.want)
		}
	}
}

// ValidateCreate judges a create of each kind as its kind's validator does, and has
// nothing to say about another kind.
func TestValidateCreate(t *testing.T) {
	m, err := Build(ns, collaboratorWorld(acmeAccount(10, "civil"))...)
	must(err)
	for _, tc := range []struct {
		name string
		obj  any
		want []wantFinding
		// otherKind: ValidateCreate returns nil.
		otherKind bool
	}{
		{"Account", fixtures.Account(ns, "beta", 1), []wantFinding{{rule: RuleDuplicateAccount, reason: v1alpha1.ReasonDuplicateAccount, warning: true, says: []string{`"beta"`}}}, false},
		{"WorkCenter", fixtures.WorkCenter(ns, "pier", fixtures.Category("bogus")), []wantFinding{{rule: R8, reason: v1alpha1.ReasonUnknownCategory, field: "spec.category", value: "bogus", says: []string{`"pier"`}}}, false},
		{"WorkCenterRole", fixtures.Role(ns, "contributor"), []wantFinding{{rule: R9, forbidden: true, says: []string{`"contributor"`, "only the operator may create it"}}}, false},
		{"Collaborator", person("neo", v1alpha1.Guest, 10, "tower=mover"), []wantFinding{{rule: R2, reason: v1alpha1.ReasonRoleRequiresMember, field: "spec.workCenters[0].role", says: []string{`"neo"`}}}, false},
		{"a valid Collaborator", person("neo", v1alpha1.Guest, 10, "tower=viewer"), nil, false},
		{"another kind", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "read-only"}}, nil, true},
		{"a list", &v1alpha1.CollaboratorList{}, nil, true},
		{"nil", nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := m.ValidateCreate(tc.obj)
			expectFindings(t, got, tc.want, "")
			if tc.otherKind && got != nil {
				t.Errorf("got %#v, want nil", got)
			}
		})
	}
}

// NeedsNamespace: whether a request's verdict depends on its namespace being deleted.
func TestNeedsNamespace(t *testing.T) {
	with := func(fs ...string) *v1alpha1.Collaborator {
		c := fixtures.Collaborator(ns, "ada", v1alpha1.Member)
		c.Finalizers = fs
		return c
	}
	const other = "example.com/other"
	for _, tc := range []struct {
		name     string
		op       Operation
		old, obj metav1.Object
		want     bool
	}{
		{"create", Create, nil, with(), false},
		{"create with a protection finalizer", Create, nil, with(v1alpha1.FinalizerLastAdministrator), false},
		{"delete without a protection finalizer: nothing to warn about, nothing to read", Delete, nil, with(other), false},
		{"delete with a protection finalizer", Delete, nil, with(v1alpha1.FinalizerLastAdministrator), true},
		{"update keeping every finalizer", Update, with(v1alpha1.FinalizerLastAdministrator, other), with(v1alpha1.FinalizerLastAdministrator, other), false},
		{"update adding a protection finalizer", Update, with(), with(v1alpha1.FinalizerLastAdministrator), false},
		{"update removing another finalizer", Update, with(v1alpha1.FinalizerLastAdministrator, other), with(v1alpha1.FinalizerLastAdministrator), false},
		{"update removing last-administrator", Update, with(v1alpha1.FinalizerLastAdministrator), with(), true},
		{"update removing in-use-protection", Update, with(other, v1alpha1.FinalizerInUseProtection), with(other), true},
		{"update removing account-protection", Update, with(v1alpha1.FinalizerAccountProtection), with(other), true},
		{"update reordering finalizers", Update, with(other, v1alpha1.FinalizerAccountProtection), with(v1alpha1.FinalizerAccountProtection, other), false},
		{"an operation of another name", Operation("CONNECT"), with(v1alpha1.FinalizerAccountProtection), with(), false},
	} {
		if got := NeedsNamespace(tc.op, tc.old, tc.obj); got != tc.want {
			t.Errorf("%s: NeedsNamespace = %v, want %v", tc.name, got, tc.want)
		}
	}
}
