package procorem

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

// TestFile is an access test file (docs/access-tests.md).
type TestFile struct {
	// Manifests are files, directories or kustomization directories, relative to the
	// test file.
	Manifests []string `json:"manifests"`
	// Namespace is the account's namespace; optional when the manifests hold one.
	Namespace string       `json:"namespace,omitempty"`
	Tests     []AccessTest `json:"tests"`
}

// AccessTest is one named test: every assertion must hold.
type AccessTest struct {
	Name         string                `json:"name"`
	Check        []CheckAssertion      `json:"check,omitempty"`
	Capabilities []CapabilityAssertion `json:"capabilities,omitempty"`
	WhoCan       []WhoCanAssertion     `json:"whoCan,omitempty"`
	Assignments  []AssignmentCheck     `json:"assignments,omitempty"`
}

// CheckAssertion: who has every permission of Allow, and none of Deny, in WorkCenter.
type CheckAssertion struct {
	Who        string   `json:"who"`
	WorkCenter string   `json:"workCenter"`
	Allow      []string `json:"allow,omitempty"`
	Deny       []string `json:"deny,omitempty"`
}

// CapabilityAssertion: who holds every account-level capability of Allow, and none of
// Deny (docs/administration.md), in WorkCenter, or with no WorkCenter everywhere.
type CapabilityAssertion struct {
	Who        string   `json:"who"`
	WorkCenter string   `json:"workCenter,omitempty"`
	Allow      []string `json:"allow,omitempty"`
	Deny       []string `json:"deny,omitempty"`
}

// WhoCanAssertion: exactly Expect (names or emails) have Permission in WorkCenter, or,
// for Capability (instead of Permission), may do it in WorkCenter (with no WorkCenter,
// everywhere).
type WhoCanAssertion struct {
	Permission string   `json:"permission,omitempty"`
	Capability string   `json:"capability,omitempty"`
	WorkCenter string   `json:"workCenter,omitempty"`
	Expect     []string `json:"expect"`
}

// AssignmentCheck: who's assignment to WorkCenter has State (and Reason, when given).
type AssignmentCheck struct {
	Who        string `json:"who"`
	WorkCenter string `json:"workCenter"`
	State      string `json:"state"`
	Reason     string `json:"reason,omitempty"`
}

// TestResult is one test's outcome.
type TestResult struct {
	File string `json:"file"`
	// Line and Column are where the test is in File.
	Line     int       `json:"line,omitempty"`
	Column   int       `json:"column,omitempty"`
	Name     string    `json:"name"`
	Passed   bool      `json:"passed"`
	Failures []Failure `json:"failures,omitempty"`
}

// Failure is one assertion that did not hold.
type Failure struct {
	Assertion string `json:"assertion"`
	Expected  string `json:"expected"`
	Got       string `json:"got"`
	// Explanation is the model's reasoning (can-i's steps).
	Explanation []string `json:"explanation,omitempty"`
	// File, Line and Column are where the assertion (the permission or capability, in
	// a list of them) is in the test file.
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`

	// text is the assertion's line, shown under it.
	text string
}

// TestRun is every test of every file.
type TestRun struct {
	Results []TestResult `json:"results"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	// Invalid are the problems of manifests that failed validation (no test ran on them).
	Invalid []Problem `json:"invalid,omitempty"`
}

// loadFor reads the manifests a test file names, relative to it: a directory holding a
// kustomization is rendered with kustomize.
func (tf *TestFile) load(path string, stdin io.Reader) (*manifests.Set, error) {
	opts := manifests.Options{Namespace: tf.Namespace, Stdin: stdin}
	for _, m := range tf.Manifests {
		p := m
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(path), m)
		}
		if isKustomizationDir(p) {
			opts.Kustomizations = append(opts.Kustomizations, p)
		} else {
			opts.Files = append(opts.Files, p)
		}
	}
	return manifests.Load(opts)
}

func isKustomizationDir(dir string) bool {
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return true
		}
	}
	return false
}

// RunTests runs the test files. An error is bad input, not a failed test: a test file
// that cannot be read or asks what cannot be answered (every such problem, each at its
// file:line:col: *manifests.LocatedError), or manifests the API server would refuse
// objects of.
func RunTests(ctx context.Context, paths []string, stdin io.Reader) (TestRun, error) {
	return runTests(ctx, paths, stdin, false)
}

// runTests is RunTests; ignoreInvalid runs the tests on the objects the API server would
// store when it would refuse others (listed in Invalid).
func runTests(ctx context.Context, paths []string, stdin io.Reader, ignoreInvalid bool) (TestRun, error) {
	run := TestRun{Results: []TestResult{}}
	for _, path := range paths {
		tf, err := readTestFile(path)
		if err != nil {
			return run, err
		}
		set, err := tf.load(path, stdin)
		if err != nil {
			return run, fmt.Errorf("%s: %w", path, err)
		}
		ns, err := pickNamespace(set, tf.Namespace)
		if err != nil {
			return run, fmt.Errorf("%s: %w", path, err)
		}
		report, models, err := admit(ctx, set)
		if err != nil {
			return run, err
		}
		if refused := report.refused(); len(refused) > 0 {
			if !ignoreInvalid {
				err := invalidManifests(report).(detailedError)
				err.msg = path + ": " + strings.Replace(err.msg, "to answer from", "to test", 1)
				return run, err
			}
			run.Invalid = append(run.Invalid, refused...)
		}
		m := models[ns]
		if m == nil {
			m = model.New(ns)
		}
		e := query.New(m, metav1.NewTime(time.Now()))
		var results []TestResult
		var problems []manifests.Place
		for i, t := range tf.Tests {
			res, ps := runTest(e, tf, i, t)
			problems = append(problems, ps...)
			results = append(results, res)
		}
		if len(problems) > 0 {
			msg := ""
			if len(problems) > 1 {
				msg = fmt.Sprintf("%s: %s: the tests ask about what the account does not have; no test ran", path, plural(len(problems), "problem"))
			}
			return run, &manifests.LocatedError{Msg: msg, Places: problems}
		}
		for _, res := range results {
			run.Results = append(run.Results, res)
			if res.Passed {
				run.Passed++
			} else {
				run.Failed++
			}
		}
	}
	return run, nil
}

// runTest runs test i of f: its result, and the questions it asks that the account cannot
// answer (an unknown collaborator or WorkCenter), each at its place.
func runTest(e *query.Engine, f *testFile, i int, t AccessTest) (TestResult, []manifests.Place) {
	tp := fmt.Sprintf("tests[%d]", i)
	at := f.pos(tp)
	res := TestResult{File: f.path, Line: at.Line, Column: at.Column, Name: t.Name}
	var ps []manifests.Place
	bad := func(path string, err error) {
		ps = append(ps, f.valuePlace(path, "test %q: %s", t.Name, err))
	}
	fail := func(path string, failure Failure) {
		pos := f.pos(path)
		failure.File, failure.Line, failure.Column, failure.text = pos.File, pos.Line, pos.Column, f.doc.Text(pos.Line)
		res.Failures = append(res.Failures, failure)
	}
	for j, c := range t.Check {
		p := fmt.Sprintf("%s.check[%d]", tp, j)
		who, err := e.Collaborator(c.Who)
		if err != nil {
			bad(p+".who", err)
		}
		wc, werr := e.WorkCenter(c.WorkCenter)
		if werr != nil {
			bad(p+".workCenter", werr)
		}
		if err != nil || werr != nil {
			continue
		}
		for _, want := range []struct {
			key   string
			perms []string
			allow bool
		}{{"allow", c.Allow, true}, {"deny", c.Deny, false}} {
			for k, ps := range want.perms {
				perm, err := checkPermission(ps)
				if err != nil {
					continue // ReadTestFile refused it
				}
				d := e.Check(who, wc, perm)
				if d.Allowed == want.allow {
					continue
				}
				fail(fmt.Sprintf("%s.%s[%d]", p, want.key, k), Failure{
					Assertion:   fmt.Sprintf("check %s in %s: %s %s", c.Who, c.WorkCenter, want.key, ps),
					Expected:    yesNo(want.allow),
					Got:         yesNo(d.Allowed),
					Explanation: explanation(d),
				})
			}
		}
	}
	for j, c := range t.Capabilities {
		p := fmt.Sprintf("%s.capabilities[%d]", tp, j)
		fs, err := checkCapabilities(e, c, p, bad)
		if err != nil {
			continue
		}
		for _, failure := range fs {
			fail(failure.path, failure.Failure)
		}
	}
	for j, w := range t.WhoCan {
		p := fmt.Sprintf("%s.whoCan[%d]", tp, j)
		var expect []string
		ok := true
		for k, who := range w.Expect {
			c, err := e.Collaborator(who)
			if err != nil {
				bad(fmt.Sprintf("%s.expect[%d]", p, k), err)
				ok = false
				continue
			}
			expect = append(expect, c.Name)
		}
		if !ok {
			continue
		}
		slices.Sort(expect)
		expect = slices.Compact(expect)
		if w.Capability != "" {
			f, err := whoCanCapability(e, w, expect)
			if err != nil {
				bad(p+".workCenter", err)
				continue
			}
			if f != nil {
				fail(p+".expect", *f)
			}
			continue
		}
		perm, err := checkPermission(w.Permission)
		if err != nil {
			continue // ReadTestFile refused it
		}
		wc, err := e.WorkCenter(w.WorkCenter)
		if err != nil {
			bad(p+".workCenter", err)
			continue
		}
		r := e.WhoCan(perm, wc, true)
		var got []string
		for _, h := range r.Allowed {
			got = append(got, h.Collaborator)
		}
		if slices.Equal(expect, got) {
			continue
		}
		failure := Failure{Assertion: fmt.Sprintf("whoCan %s in %s", w.Permission, w.WorkCenter),
			Expected: "[" + strings.Join(expect, ", ") + "]", Got: "[" + strings.Join(got, ", ") + "]"}
		for _, h := range r.Allowed {
			if !slices.Contains(expect, h.Collaborator) {
				failure.Explanation = append(failure.Explanation, fmt.Sprintf("%s can: %s", h.Collaborator, howText(h.How)))
			}
		}
		for _, name := range expect {
			if !slices.Contains(got, name) {
				d := e.Check(e.Model().Collaborator(name), wc, perm)
				failure.Explanation = append(failure.Explanation, fmt.Sprintf("%s cannot: step %d (%s): %s", name, d.DecidedBy, d.Steps[d.DecidedBy-1].Name, d.Reason()))
			}
		}
		fail(p+".expect", failure)
	}
	for j, a := range t.Assignments {
		p := fmt.Sprintf("%s.assignments[%d]", tp, j)
		who, err := e.Collaborator(a.Who)
		if err != nil {
			bad(p+".who", err)
		}
		if _, werr := e.WorkCenter(a.WorkCenter); werr != nil && !assigned(who, a.WorkCenter) {
			bad(p+".workCenter", werr)
			continue
		}
		if err != nil {
			continue
		}
		l := e.List(who, a.WorkCenter)
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
		ok := l.Assignment != nil && l.Assignment.State == a.State && (a.Reason == "" || l.Assignment.Reason == a.Reason)
		if !ok {
			fail(p+".state", Failure{Assertion: fmt.Sprintf("assignment of %s in %s", a.Who, a.WorkCenter),
				Expected: want, Got: got, Explanation: why})
		}
	}
	res.Passed = len(res.Failures) == 0
	return res, ps
}

// assigned reports whether c's spec assigns it to workCenter (which may not exist: the
// assignment is then Pending, a state a test may assert).
func assigned(c *v1alpha1.Collaborator, workCenter string) bool {
	return c != nil && slices.ContainsFunc(c.Spec.WorkCenters, func(a v1alpha1.WorkCenterAssignment) bool { return string(a.Name) == workCenter })
}

// checkPermission finds a WorkCenter permission of check or whoCan's permission; a
// capability there is bad input naming where it belongs.
func checkPermission(name string) (model.Permission, error) {
	p, err := query.Permission(name)
	if err == nil {
		return p, nil
	}
	if n, lerr := query.Lookup(name); lerr == nil && n.Capability {
		return "", fmt.Errorf("%s is an account-level capability, not a WorkCenter permission: assert it under capabilities (or whoCan's capability)", name)
	}
	return "", err
}

// capabilityIn resolves an assertion's capability and WorkCenter ("" for none).
func capabilityIn(e *query.Engine, name, workCenter string) (model.Capability, string, error) {
	info, err := query.Capability(name)
	if err != nil {
		return "", "", err
	}
	if workCenter == "" {
		return info.Capability, "", nil
	}
	wc, err := e.WorkCenter(workCenter)
	return info.Capability, wc, err
}

// placedFailure is a failure and the path of what failed in the test file.
type placedFailure struct {
	Failure
	path string
}

// checkCapabilities: who may do every capability of Allow and none of Deny; a (the
// assertion at path) cannot be asked when who or its WorkCenter is unknown: bad says so.
func checkCapabilities(e *query.Engine, a CapabilityAssertion, path string, bad func(string, error)) ([]placedFailure, error) {
	who, err := e.Collaborator(a.Who)
	if err != nil {
		bad(path+".who", err)
		return nil, err
	}
	if a.WorkCenter != "" {
		if _, err := e.WorkCenter(a.WorkCenter); err != nil {
			bad(path+".workCenter", err)
			return nil, err
		}
	}
	var out []placedFailure
	for _, want := range []struct {
		key   string
		names []string
		allow bool
	}{{"allow", a.Allow, true}, {"deny", a.Deny, false}} {
		for k, name := range want.names {
			id, wc, err := capabilityIn(e, name, a.WorkCenter)
			if err != nil {
				continue // ReadTestFile refused it
			}
			d := e.CanCapability(who, id, wc)
			if d.Allowed == want.allow {
				continue
			}
			out = append(out, placedFailure{path: fmt.Sprintf("%s.%s[%d]", path, want.key, k), Failure: Failure{
				Assertion:   fmt.Sprintf("capabilities %s %s: %s %s", a.Who, query.Where(d.Scope, d.WorkCenter), want.key, name),
				Expected:    yesNo(want.allow),
				Got:         yesNo(d.Allowed),
				Explanation: []string{fmt.Sprintf("step %d (%s): %s", d.StepNumber, d.Step, d.Message)},
			}})
		}
	}
	return out, nil
}

// whoCanCapability: exactly expect may do the capability; nil when they do.
func whoCanCapability(e *query.Engine, w WhoCanAssertion, expect []string) (*Failure, error) {
	id, wc, err := capabilityIn(e, w.Capability, w.WorkCenter)
	if err != nil {
		return nil, err
	}
	r := e.WhoCanCapability(id, wc, true)
	var got []string
	for _, a := range r.Allowed {
		got = append(got, a.Collaborator)
	}
	if slices.Equal(expect, got) {
		return nil, nil
	}
	f := &Failure{Assertion: fmt.Sprintf("whoCan %s %s", w.Capability, query.Where(r.Scope, r.WorkCenter)),
		Expected: "[" + strings.Join(expect, ", ") + "]", Got: "[" + strings.Join(got, ", ") + "]"}
	for _, a := range r.Allowed {
		if !slices.Contains(expect, a.Collaborator) {
			f.Explanation = append(f.Explanation, fmt.Sprintf("%s can: %s", a.Collaborator, a.Message))
		}
	}
	for _, a := range r.Denied {
		if slices.Contains(expect, a.Collaborator) {
			f.Explanation = append(f.Explanation, fmt.Sprintf("%s cannot: step %d (%s): %s", a.Collaborator, a.StepNumber, a.Step, a.Message))
		}
	}
	return f, nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func explanation(d query.Decision) []string {
	var out []string
	for _, s := range d.Steps {
		if s.Result == query.NotReached {
			continue
		}
		out = append(out, fmt.Sprintf("%d. %s: %s: %s", s.Step, s.Name, s.Result, s.Detail))
	}
	return out
}

func writeTestRun(w io.Writer, run TestRun) {
	for _, p := range run.Invalid {
		fmt.Fprintln(w, "invalid: "+p.String())
	}
	for _, r := range run.Results {
		if r.Passed {
			fmt.Fprintf(w, "PASS  %s\n", r.Name)
			continue
		}
		fmt.Fprintf(w, "FAIL  %s\n", r.Name)
		for _, f := range r.Failures {
			pos := manifests.Position{File: f.File, Line: f.Line, Column: f.Column}
			fmt.Fprintf(w, "      %s: %s: expected %s, the model says %s\n", pos, f.Assertion, f.Expected, f.Got)
			for line := range strings.Lines(manifests.Snippet(pos, f.text)) {
				fmt.Fprint(w, "      "+line)
			}
			for _, line := range f.Explanation {
				fmt.Fprintf(w, "        %s\n", line)
			}
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", run.Passed, run.Failed)
}

func (o *options) test() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "test FILE...",
		Short: "Run access tests (check, whoCan, assignments) against manifests, offline",
		Long: `test runs access test files (docs/access-tests.md): each names its manifests
(files, directories or kustomizations, relative to the file) and tests of four kinds:
check (WorkCenter permissions allowed/denied), capabilities (account-level capabilities
allowed/denied), whoCan (the exact set, for a permission or a capability) and
assignments (state and reason). A failed assertion prints where it is (file:line:col),
what was expected, what the model says, and why.

The test file is read strictly: a test that would check nothing, an unknown field, a
misspelt state or reason, an unknown permission, collaborator or WorkCenter are bad input,
each shown at its line with the nearest valid word, and no test runs. The manifests are
read as the API server would store them; if it would refuse any object, the problems are
listed and no test runs (--ignore-invalid: the tests run on the objects it would store).

Exit: 0 all pass, 1 any fails, 2 bad input (the test file or its manifests).`,
		Example: `  kubectl procorem test config/samples/tests/access-test.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("test takes one or more access test files (usage: kubectl procorem test FILE...)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput("text", "json"); err != nil {
				return err
			}
			run, err := runTests(cmd.Context(), args, o.stdin, o.ignoreInvalid)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if o.output == "json" {
				if err := writeJSON(&buf, run); err != nil {
					return err
				}
			} else {
				writeTestRun(&buf, run)
			}
			if _, err := o.stdout.Write(buf.Bytes()); err != nil {
				return err
			}
			if run.Failed > 0 {
				return exit{ExitNo}
			}
			return nil
		},
	}
	return cmd
}
