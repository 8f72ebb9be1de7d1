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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

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
	File     string    `json:"file"`
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
}

// TestRun is every test of every file.
type TestRun struct {
	Results []TestResult `json:"results"`
	Passed  int          `json:"passed"`
	Failed  int          `json:"failed"`
	// Invalid are the problems of manifests that failed validation (no test ran on them).
	Invalid []Problem `json:"invalid,omitempty"`
}

// ReadTestFile reads an access test file strictly: unknown fields are errors.
func ReadTestFile(path string) (*TestFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, oneLine(err.Error()))
	}
	var tf TestFile
	if err := yaml.UnmarshalStrict(data, &tf); err != nil {
		return nil, fmt.Errorf("%s: not an access test file: %s", path, oneLine(err.Error()))
	}
	if len(tf.Manifests) == 0 {
		return nil, fmt.Errorf("%s: manifests: at least one file, directory or kustomization is required", path)
	}
	if len(tf.Tests) == 0 {
		return nil, fmt.Errorf("%s: tests: at least one test is required", path)
	}
	for i, t := range tf.Tests {
		if t.Name == "" {
			return nil, fmt.Errorf("%s: tests[%d].name is required", path, i)
		}
		if len(t.Check)+len(t.Capabilities)+len(t.WhoCan)+len(t.Assignments) == 0 {
			return nil, fmt.Errorf("%s: test %q asserts nothing: give check, capabilities, whoCan or assignments", path, t.Name)
		}
		for j, w := range t.WhoCan {
			if (w.Permission == "") == (w.Capability == "") {
				return nil, fmt.Errorf("%s: test %q: whoCan[%d]: give either permission or capability", path, t.Name, j)
			}
		}
	}
	return &tf, nil
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

// RunTests runs the test files. An error is a file that cannot be read or a question
// about something the account does not have (bad input), not a failed test.
func RunTests(ctx context.Context, paths []string, stdin io.Reader) (TestRun, error) {
	run := TestRun{Results: []TestResult{}}
	for _, path := range paths {
		tf, err := ReadTestFile(path)
		if err != nil {
			return run, err
		}
		set, err := tf.load(path, stdin)
		if err != nil {
			return run, fmt.Errorf("%s: %w", path, err)
		}
		report, err := Validate(ctx, set)
		if err != nil {
			return run, err
		}
		if !report.Valid {
			run.Invalid = append(run.Invalid, report.Problems...)
			run.Failed += len(tf.Tests)
			continue
		}
		ns, err := pickNamespace(set, tf.Namespace)
		if err != nil {
			return run, fmt.Errorf("%s: %w", path, err)
		}
		e := query.New(set.Model(ns), metav1.NewTime(time.Now()))
		for _, t := range tf.Tests {
			res, err := runTest(e, t)
			if err != nil {
				return run, fmt.Errorf("%s: test %q: %w", path, t.Name, err)
			}
			res.File = path
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

func runTest(e *query.Engine, t AccessTest) (TestResult, error) {
	res := TestResult{Name: t.Name}
	for _, c := range t.Check {
		who, err := e.Collaborator(c.Who)
		if err != nil {
			return res, err
		}
		wc, err := e.WorkCenter(c.WorkCenter)
		if err != nil {
			return res, err
		}
		for _, want := range []struct {
			perms []string
			allow bool
		}{{c.Allow, true}, {c.Deny, false}} {
			for _, ps := range want.perms {
				p, err := checkPermission(ps)
				if err != nil {
					return res, err
				}
				d := e.Check(who, wc, p)
				if d.Allowed == want.allow {
					continue
				}
				verb := map[bool]string{true: "allow", false: "deny"}[want.allow]
				res.Failures = append(res.Failures, Failure{
					Assertion:   fmt.Sprintf("check %s in %s: %s %s", c.Who, c.WorkCenter, verb, ps),
					Expected:    yesNo(want.allow),
					Got:         yesNo(d.Allowed),
					Explanation: explanation(d),
				})
			}
		}
	}
	for _, c := range t.Capabilities {
		fs, err := checkCapabilities(e, c)
		if err != nil {
			return res, err
		}
		res.Failures = append(res.Failures, fs...)
	}
	for _, w := range t.WhoCan {
		var expect []string
		for _, who := range w.Expect {
			c, err := e.Collaborator(who)
			if err != nil {
				return res, err
			}
			expect = append(expect, c.Name)
		}
		slices.Sort(expect)
		expect = slices.Compact(expect)
		if w.Capability != "" {
			f, err := whoCanCapability(e, w, expect)
			if err != nil {
				return res, err
			}
			if f != nil {
				res.Failures = append(res.Failures, *f)
			}
			continue
		}
		p, err := checkPermission(w.Permission)
		if err != nil {
			return res, err
		}
		if w.WorkCenter == "" {
			return res, fmt.Errorf("whoCan %s: workCenter is required for a WorkCenter permission", w.Permission)
		}
		wc, err := e.WorkCenter(w.WorkCenter)
		if err != nil {
			return res, err
		}
		r := e.WhoCan(p, wc, true)
		var got []string
		for _, h := range r.Allowed {
			got = append(got, h.Collaborator)
		}
		if slices.Equal(expect, got) {
			continue
		}
		f := Failure{Assertion: fmt.Sprintf("whoCan %s in %s", w.Permission, w.WorkCenter),
			Expected: "[" + strings.Join(expect, ", ") + "]", Got: "[" + strings.Join(got, ", ") + "]"}
		for _, h := range r.Allowed {
			if !slices.Contains(expect, h.Collaborator) {
				f.Explanation = append(f.Explanation, fmt.Sprintf("%s can: %s", h.Collaborator, howText(h.How)))
			}
		}
		for _, name := range expect {
			if !slices.Contains(got, name) {
				d := e.Check(e.Model().Collaborator(name), wc, p)
				f.Explanation = append(f.Explanation, fmt.Sprintf("%s cannot: step %d (%s): %s", name, d.DecidedBy, d.Steps[d.DecidedBy-1].Name, d.Reason()))
			}
		}
		res.Failures = append(res.Failures, f)
	}
	for _, a := range t.Assignments {
		who, err := e.Collaborator(a.Who)
		if err != nil {
			return res, err
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
			res.Failures = append(res.Failures, Failure{Assertion: fmt.Sprintf("assignment of %s in %s", a.Who, a.WorkCenter),
				Expected: want, Got: got, Explanation: why})
		}
	}
	res.Passed = len(res.Failures) == 0
	return res, nil
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

// checkCapabilities: who may do every capability of Allow and none of Deny.
func checkCapabilities(e *query.Engine, a CapabilityAssertion) ([]Failure, error) {
	who, err := e.Collaborator(a.Who)
	if err != nil {
		return nil, err
	}
	var out []Failure
	for _, want := range []struct {
		names []string
		allow bool
	}{{a.Allow, true}, {a.Deny, false}} {
		for _, name := range want.names {
			id, wc, err := capabilityIn(e, name, a.WorkCenter)
			if err != nil {
				return nil, err
			}
			d := e.CanCapability(who, id, wc)
			if d.Allowed == want.allow {
				continue
			}
			verb := map[bool]string{true: "allow", false: "deny"}[want.allow]
			out = append(out, Failure{
				Assertion:   fmt.Sprintf("capabilities %s %s: %s %s", a.Who, query.Where(d.Scope, d.WorkCenter), verb, name),
				Expected:    yesNo(want.allow),
				Got:         yesNo(d.Allowed),
				Explanation: []string{fmt.Sprintf("step %d (%s): %s", d.StepNumber, d.Step, d.Message)},
			})
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
			fmt.Fprintf(w, "      %s: expected %s, the model says %s\n", f.Assertion, f.Expected, f.Got)
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
assignments (state and reason). The manifests are validated first. A failed assertion prints what was expected, what the
model says, and why.

Exit: 0 all pass, 1 any fails, 2 bad input.`,
		Example: `  kubectl procorem test config/samples/tests/access-test.yaml`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.checkOutput("text", "json"); err != nil {
				return err
			}
			run, err := RunTests(cmd.Context(), args, o.stdin)
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
