package procorem

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

// testRun is one test being run: its result, and the questions it asks that the
// account cannot answer (an unknown collaborator or WorkCenter), each at its place.
type testRun struct {
	e    *query.Engine
	f    *testFile
	name string
	res  TestResult
	bad  []manifests.Place
}

// problem records a question the account cannot answer, at the value at path.
func (r *testRun) problem(path string, err error) {
	r.bad = append(r.bad, r.f.valuePlace(path, "test %q: %s", r.name, err))
}

// fail records a failed assertion, placed at path.
func (r *testRun) fail(path string, failure Failure) {
	pos := r.f.pos(path)
	failure.File, failure.Line, failure.Column, failure.text = pos.File, pos.Line, pos.Column, r.f.doc.Text(pos.Line)
	r.res.Failures = append(r.res.Failures, failure)
}

// item is the path of the k-th name of the field key of the assertion at path: the
// field itself when it is one name, its k-th item when a list.
func (r *testRun) item(path, key string, k int) string {
	if n, _ := manifests.Lookup(r.f.doc.Root(), path+"."+key); n != nil && n.Kind == yamlv3.SequenceNode {
		return fmt.Sprintf("%s.%s[%d]", path, key, k)
	}
	return path + "." + key
}

// collaborators resolves the names of the field key (who) of the assertion at path;
// ok is false when one is unknown (a problem says which).
func (r *testRun) collaborators(path, key string, names Names) ([]*v1alpha1.Collaborator, bool) {
	var out []*v1alpha1.Collaborator
	ok := true
	for k, who := range names {
		c, err := r.e.Collaborator(who)
		if err != nil {
			r.problem(r.item(path, key, k), err)
			ok = false
			continue
		}
		out = append(out, c)
	}
	return out, ok
}

// workCenters resolves the WorkCenters of the field key of the assertion at path ("" for
// none given); ok is false when one is unknown.
func (r *testRun) workCenters(path, key string, names Names) ([]string, bool) {
	if len(names) == 0 {
		return []string{""}, true
	}
	var out []string
	ok := true
	for k, name := range names {
		wc, err := r.e.WorkCenter(name)
		if err != nil {
			r.problem(r.item(path, key, k), err)
			ok = false
			continue
		}
		out = append(out, wc)
	}
	return out, ok
}

// runTest runs test i of f on the engine e.
func runTest(e *query.Engine, f *testFile, i int, t AccessTest) (TestResult, []manifests.Place) {
	tp := fmt.Sprintf("tests[%d]", i)
	at := f.pos(tp)
	r := &testRun{e: e, f: f, name: t.Name, res: TestResult{File: f.path, Line: at.Line, Column: at.Column, Name: t.Name}}
	for j, c := range t.Check {
		r.check(fmt.Sprintf("%s.check[%d]", tp, j), c)
	}
	for j, c := range t.Capabilities {
		r.capabilities(fmt.Sprintf("%s.capabilities[%d]", tp, j), c)
	}
	for j, w := range t.WhoCan {
		r.whoCan(fmt.Sprintf("%s.whoCan[%d]", tp, j), w)
	}
	for j, a := range t.Assignments {
		r.assignment(fmt.Sprintf("%s.assignments[%d]", tp, j), a)
	}
	for j, l := range t.ListWorkCenters {
		r.listWorkCenters(fmt.Sprintf("%s.listWorkCenters[%d]", tp, j), l)
	}
	for j, p := range t.Permissions {
		r.permissions(fmt.Sprintf("%s.permissions[%d]", tp, j), p)
	}
	r.res.Passed = len(r.res.Failures) == 0
	return r.res, r.bad
}

// check: every one of who has every permission of allow and none of deny in every one
// of the WorkCenters.
func (r *testRun) check(p string, c CheckAssertion) {
	whos, ok := r.collaborators(p, "who", c.Who)
	wcs, wok := r.workCenters(p, "workCenter", c.WorkCenter)
	if !ok || !wok {
		return
	}
	for _, who := range whos {
		for _, wc := range wcs {
			for _, want := range []struct {
				key   string
				perms []string
				allow bool
			}{{"allow", c.Allow, true}, {"deny", c.Deny, false}} {
				for k, name := range want.perms {
					perm, err := checkPermission(name)
					if err != nil {
						continue // ReadTestFile refused it
					}
					d := r.e.Check(who, wc, perm)
					if d.Allowed == want.allow {
						continue
					}
					r.fail(fmt.Sprintf("%s.%s[%d]", p, want.key, k), Failure{
						Assertion:   fmt.Sprintf("check %s in %s: %s %s", who.Name, wc, want.key, name),
						Expected:    yesNo(want.allow),
						Got:         yesNo(d.Allowed),
						Explanation: explanation(d),
					})
				}
			}
		}
	}
}

// capabilities: every one of who may do every capability of allow and none of deny, in
// every one of the WorkCenters (or everywhere).
func (r *testRun) capabilities(p string, a CapabilityAssertion) {
	whos, ok := r.collaborators(p, "who", a.Who)
	wcs, wok := r.workCenters(p, "workCenter", a.WorkCenter)
	if !ok || !wok {
		return
	}
	for _, who := range whos {
		for _, wc := range wcs {
			for _, want := range []struct {
				key   string
				names []string
				allow bool
			}{{"allow", a.Allow, true}, {"deny", a.Deny, false}} {
				for k, name := range want.names {
					info, err := query.Capability(name)
					if err != nil {
						continue // ReadTestFile refused it
					}
					d := r.e.CanCapability(who, info.Capability, wc)
					if d.Allowed == want.allow {
						continue
					}
					r.fail(fmt.Sprintf("%s.%s[%d]", p, want.key, k), Failure{
						Assertion:   fmt.Sprintf("capabilities %s %s: %s %s", who.Name, query.Where(d.Scope, d.WorkCenter), want.key, name),
						Expected:    yesNo(want.allow),
						Got:         yesNo(d.Allowed),
						Explanation: []string{fmt.Sprintf("step %d (%s): %s", d.StepNumber, d.Step, d.Message)},
					})
				}
			}
		}
	}
}

// whoCan: exactly expect have the permission (or may do the capability) in each of the
// WorkCenters.
func (r *testRun) whoCan(p string, w WhoCanAssertion) {
	var expect []string
	ok := true
	for k, who := range w.Expect {
		c, err := r.e.Collaborator(who)
		if err != nil {
			r.problem(fmt.Sprintf("%s.expect[%d]", p, k), err)
			ok = false
			continue
		}
		expect = append(expect, c.Name)
	}
	wcs, wok := r.workCenters(p, "workCenter", w.WorkCenter)
	if !ok || !wok {
		return
	}
	query.SortNames(expect)
	expect = slices.Compact(expect)
	for _, wc := range wcs {
		if w.Capability != "" {
			info, err := query.Capability(w.Capability)
			if err != nil {
				continue // ReadTestFile refused it
			}
			if f := whoCanCapability(r.e, w.Capability, info.Capability, wc, expect); f != nil {
				r.fail(p+".expect", *f)
			}
			continue
		}
		perm, err := checkPermission(w.Permission)
		if err != nil {
			continue // ReadTestFile refused it
		}
		res := r.e.WhoCan(perm, wc, true)
		var got []string
		for _, h := range res.Allowed {
			got = append(got, h.Collaborator)
		}
		if slices.Equal(expect, got) {
			continue
		}
		failure := Failure{Assertion: fmt.Sprintf("whoCan %s in %s", w.Permission, wc), Expected: list(expect), Got: list(got)}
		for _, h := range res.Allowed {
			if !slices.Contains(expect, h.Collaborator) {
				failure.Explanation = append(failure.Explanation, fmt.Sprintf("%s can: %s", h.Collaborator, howText(h.How)))
			}
		}
		for _, name := range expect {
			if !slices.Contains(got, name) {
				d := r.e.Check(r.e.Model().Collaborator(name), wc, perm)
				failure.Explanation = append(failure.Explanation, fmt.Sprintf("%s cannot: step %d (%s): %s", name, d.DecidedBy, d.Steps[d.DecidedBy-1].Name, d.Reason()))
			}
		}
		r.fail(p+".expect", failure)
	}
}

// list is names as a test's output shows a set: [a, b].
func list(names []string) string { return "[" + strings.Join(names, ", ") + "]" }

// assignment: the assignment of each of who to each of the WorkCenters is in state
// (with reason, when given). A WorkCenter that does not exist is enough when who is
// assigned to it: the assignment is then Pending.
func (r *testRun) assignment(p string, a AssignmentCheck) {
	whos, ok := r.collaborators(p, "who", a.Who)
	var wcs []string
	for k, name := range a.WorkCenter {
		if _, err := r.e.WorkCenter(name); err != nil && !slices.ContainsFunc(whos, func(c *v1alpha1.Collaborator) bool { return assigned(c, name) }) {
			r.problem(r.item(p, "workCenter", k), err)
			ok = false
			continue
		}
		wcs = append(wcs, name)
	}
	if !ok {
		return
	}
	for _, who := range whos {
		for _, wc := range wcs {
			l := r.e.List(who, wc)
			got := "not assigned"
			var why []string
			if as := l.Assignment; as != nil {
				got = as.State
				if as.Reason != "" {
					got += " (" + as.Reason + ")"
				}
				if as.Message != "" {
					why = append(why, as.Message)
				}
			}
			want := a.State
			if a.Reason != "" {
				want += " (" + a.Reason + ")"
			}
			if l.Assignment != nil && l.Assignment.State == a.State && (a.Reason == "" || l.Assignment.Reason == a.Reason) {
				continue
			}
			r.fail(p+".state", Failure{Assertion: fmt.Sprintf("assignment of %s in %s", who.Name, wc), Expected: want, Got: got, Explanation: why})
		}
	}
}

// listWorkCenters: expect is exactly the WorkCenters in which each of who has the
// permission (or may do the capability).
func (r *testRun) listWorkCenters(p string, l ListWorkCentersAssertion) {
	whos, ok := r.collaborators(p, "who", l.Who)
	var expect []string
	for k, name := range l.Expect {
		if _, err := r.e.WorkCenter(name); err != nil {
			r.problem(fmt.Sprintf("%s.expect[%d]", p, k), err)
			ok = false
			continue
		}
		expect = append(expect, name)
	}
	if !ok {
		return
	}
	query.SortNames(expect)
	expect = slices.Compact(expect)
	what := l.Permission
	if what == "" {
		what = l.Capability
	}
	var wcs []string
	for _, wc := range r.e.Model().WorkCenters() {
		wcs = append(wcs, wc.Name)
	}
	query.SortNames(wcs)
	for _, who := range whos {
		var got, why []string
		for _, wc := range wcs {
			allowed, reason := r.holds(who, wc, l.Permission, l.Capability)
			if allowed {
				got = append(got, wc)
			}
			if allowed != slices.Contains(expect, wc) {
				verb := map[bool]string{true: "can", false: "cannot"}[allowed]
				why = append(why, fmt.Sprintf("%s: %s %s: %s", wc, who.Name, verb, reason))
			}
		}
		if slices.Equal(got, expect) {
			continue
		}
		r.fail(p+".expect", Failure{Assertion: fmt.Sprintf("listWorkCenters %s for %s", what, who.Name), Expected: list(expect), Got: list(got), Explanation: why})
	}
}

// holds answers whether who has the permission (or may do the capability) in wc, and why.
func (r *testRun) holds(who *v1alpha1.Collaborator, wc, permission, capability string) (bool, string) {
	if capability != "" {
		info, err := query.Capability(capability)
		if err != nil {
			return false, err.Error()
		}
		d := r.e.CanCapability(who, info.Capability, wc)
		return d.Allowed, fmt.Sprintf("step %d (%s): %s", d.StepNumber, d.Step, d.Message)
	}
	perm, err := checkPermission(permission)
	if err != nil {
		return false, err.Error()
	}
	d := r.e.Check(who, wc, perm)
	if d.Allowed {
		return true, howText(*d.How)
	}
	return false, fmt.Sprintf("step %d (%s): %s", d.DecidedBy, d.Steps[d.DecidedBy-1].Name, d.Reason())
}

// permissions: expect is exactly the WorkCenter permissions each of who has in each of
// the WorkCenters (and expectCapabilities, when given, the capabilities held there).
func (r *testRun) permissions(p string, a PermissionsAssertion) {
	whos, ok := r.collaborators(p, "who", a.Who)
	wcs, wok := r.workCenters(p, "workCenter", a.WorkCenter)
	if !ok || !wok {
		return
	}
	for _, who := range whos {
		for _, wc := range wcs {
			l := r.e.ListAll(who, wc)
			var got []string
			how := map[string]string{}
			for _, pi := range l.Permissions {
				got = append(got, pi.Permission)
				how[pi.Permission] = howText(pi.How)
			}
			if diff := setDiff(a.Expect, got); len(diff) > 0 {
				var why []string
				for _, d := range diff {
					if d.extra {
						why = append(why, fmt.Sprintf("+ %s: %s", d.name, how[d.name]))
					} else {
						_, reason := r.holds(who, wc, d.name, "")
						why = append(why, fmt.Sprintf("- %s: %s", d.name, reason))
					}
				}
				r.fail(p+".expect", Failure{Assertion: fmt.Sprintf("permissions of %s in %s", who.Name, wc), Expected: list(inCatalogOrder(a.Expect)), Got: list(got), Explanation: why})
			}
			if a.ExpectCapabilities == nil {
				continue
			}
			got = nil
			msg := map[string]string{}
			for _, c := range l.Capabilities {
				got = append(got, c.Capability)
				msg[c.Capability] = c.Message
			}
			if diff := setDiff(a.ExpectCapabilities, got); len(diff) > 0 {
				var why []string
				for _, d := range diff {
					if d.extra {
						why = append(why, fmt.Sprintf("+ %s: %s", d.name, msg[d.name]))
					} else {
						_, reason := r.holds(who, wc, "", d.name)
						why = append(why, fmt.Sprintf("- %s: %s", d.name, reason))
					}
				}
				r.fail(p+".expectCapabilities", Failure{Assertion: fmt.Sprintf("capabilities of %s in %s", who.Name, wc), Expected: list(capabilitiesInOrder(a.ExpectCapabilities)), Got: list(got), Explanation: why})
			}
		}
	}
}

// difference is a name one set has and the other has not: extra when only got has it.
type difference struct {
	name  string
	extra bool
}

// setDiff is what got has that want has not (extra), and what want has that got has
// not, in got's then want's order.
func setDiff(want, got []string) []difference {
	var out []difference
	for _, g := range got {
		if !slices.Contains(want, g) {
			out = append(out, difference{g, true})
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) && !slices.ContainsFunc(out, func(d difference) bool { return d.name == w }) {
			out = append(out, difference{w, false})
		}
	}
	return out
}

// inCatalogOrder is the permissions in the catalog's order (those it has not, last).
func inCatalogOrder(names []string) []string {
	var out []string
	for _, info := range model.Catalog() {
		if slices.Contains(names, string(info.Permission)) && !slices.Contains(out, string(info.Permission)) {
			out = append(out, string(info.Permission))
		}
	}
	return out
}

// capabilitiesInOrder is the capabilities in the catalog's order.
func capabilitiesInOrder(names []string) []string {
	var out []string
	for _, info := range model.Capabilities() {
		if slices.Contains(names, string(info.Capability)) && !slices.Contains(out, string(info.Capability)) {
			out = append(out, string(info.Capability))
		}
	}
	return out
}
