package procorem

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
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
	Namespace string `json:"namespace,omitempty"`
	// Expected is the expected access file, relative to the test file: every
	// collaborator's access in the account, which `test --update` writes.
	Expected string       `json:"expected,omitempty"`
	Tests    []AccessTest `json:"tests"`
}

// AccessTest is one named test: every assertion must hold.
type AccessTest struct {
	Name string `json:"name"`
	// Objects are objects of the four kinds, read as manifests are, added to the shared
	// manifests for this test alone; one of the same kind and name replaces it.
	Objects         []Object                   `json:"objects,omitempty"`
	Check           []CheckAssertion           `json:"check,omitempty"`
	Capabilities    []CapabilityAssertion      `json:"capabilities,omitempty"`
	WhoCan          []WhoCanAssertion          `json:"whoCan,omitempty"`
	Assignments     []AssignmentCheck          `json:"assignments,omitempty"`
	ListWorkCenters []ListWorkCentersAssertion `json:"listWorkCenters,omitempty"`
	Permissions     []PermissionsAssertion     `json:"permissions,omitempty"`
}

// Object is a Kubernetes object written in a test file.
type Object map[string]any

// Names is one name, or a list of them: an assertion with lists asserts every
// combination.
type Names []string

// UnmarshalJSON reads a string or a list of strings.
func (n *Names) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*n = Names{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return err
	}
	*n = many
	return nil
}

// orNone is the names, or one "" when there are none (an optional field not given).
func (n Names) orNone() []string {
	if len(n) == 0 {
		return []string{""}
	}
	return n
}

// CheckAssertion: every one of Who has every permission of Allow, and none of Deny, in
// every one of WorkCenter.
type CheckAssertion struct {
	Who        Names    `json:"who"`
	WorkCenter Names    `json:"workCenter"`
	Allow      []string `json:"allow,omitempty"`
	Deny       []string `json:"deny,omitempty"`
}

// CapabilityAssertion: every one of Who holds every account-level capability of Allow,
// and none of Deny (docs/administration.md), in every one of WorkCenter, or with no
// WorkCenter everywhere.
type CapabilityAssertion struct {
	Who        Names    `json:"who"`
	WorkCenter Names    `json:"workCenter,omitempty"`
	Allow      []string `json:"allow,omitempty"`
	Deny       []string `json:"deny,omitempty"`
}

// WhoCanAssertion: exactly Expect (names or emails) have Permission in each of
// WorkCenter, or, for Capability (instead of Permission), may do it there (with no
// WorkCenter, everywhere).
type WhoCanAssertion struct {
	Permission string   `json:"permission,omitempty"`
	Capability string   `json:"capability,omitempty"`
	WorkCenter Names    `json:"workCenter,omitempty"`
	Expect     []string `json:"expect"`
}

// AssignmentCheck: the assignment of each of Who to each of WorkCenter has State (and
// Reason, when given).
type AssignmentCheck struct {
	Who        Names  `json:"who"`
	WorkCenter Names  `json:"workCenter"`
	State      string `json:"state"`
	Reason     string `json:"reason,omitempty"`
}

// ListWorkCentersAssertion: Expect is exactly the WorkCenters in which each of Who has
// Permission, or may do Capability (of scope WorkCenter).
type ListWorkCentersAssertion struct {
	Who        Names    `json:"who"`
	Permission string   `json:"permission,omitempty"`
	Capability string   `json:"capability,omitempty"`
	Expect     []string `json:"expect"`
}

// PermissionsAssertion: Expect is exactly the WorkCenter permissions each of Who has in
// each of WorkCenter (can-i --list), and ExpectCapabilities, when given, exactly the
// capabilities held there.
type PermissionsAssertion struct {
	Who                Names    `json:"who"`
	WorkCenter         Names    `json:"workCenter"`
	Expect             []string `json:"expect"`
	ExpectCapabilities []string `json:"expectCapabilities,omitempty"`
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
	return runTests(ctx, paths, stdin, runOptions{})
}

// runOptions are test's flags.
type runOptions struct {
	// ignoreInvalid runs the tests on the objects the API server would store when it
	// would refuse others (listed in Invalid).
	ignoreInvalid bool
	// run, when set, picks the tests (and expected access files) by name.
	run *regexp.Regexp
	// update rewrites the expected access files; a line on log says which changed.
	update bool
	log    io.Writer
}

// selected reports whether the test named name is run.
func (o runOptions) selected(name string) bool { return o.run == nil || o.run.MatchString(name) }

// runTests is RunTests with the options of the command.
func runTests(ctx context.Context, paths []string, stdin io.Reader, opts runOptions) (TestRun, error) {
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
		if nss := set.AccountNamespaces(); !slices.Contains(nss, ns) {
			return run, fmt.Errorf("%s: %w", path, noAccount(ns, "the manifests hold no object of the access.workcenter.io kinds there", nss))
		}
		report, models, err := admit(ctx, set)
		if err != nil {
			return run, err
		}
		if refused := report.refused(); len(refused) > 0 {
			if !opts.ignoreInvalid {
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
		now := metav1.NewTime(time.Now())
		e := query.New(m, now)
		var results []TestResult
		var problems []manifests.Place
		for i, t := range tf.Tests {
			if !opts.selected(t.Name) {
				continue
			}
			te := e
			if len(t.Objects) > 0 {
				tm, ps, err := tf.withObjects(ctx, set, ns, i, opts.ignoreInvalid)
				if err != nil {
					return run, err
				}
				if len(ps) > 0 {
					problems = append(problems, ps...)
					continue
				}
				te = query.New(tm, now)
			}
			res, ps := runTest(te, tf, i, t)
			problems = append(problems, ps...)
			results = append(results, res)
		}
		if tf.Expected != "" && opts.selected(expectedName(tf.Expected)) {
			res, err := tf.expectedAccess(e, opts)
			if err != nil {
				return run, err
			}
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
	if opts.run != nil && len(run.Results) == 0 {
		return run, fmt.Errorf("no test matches --run %q: nothing was checked", opts.run.String())
	}
	return run, nil
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

// whoCanCapability: exactly expect may do the capability (named name) in wc; nil when
// they do.
func whoCanCapability(e *query.Engine, name string, id model.Capability, wc string, expect []string) *Failure {
	r := e.WhoCanCapability(id, wc, true)
	var got []string
	for _, a := range r.Allowed {
		got = append(got, a.Collaborator)
	}
	if slices.Equal(expect, got) {
		return nil
	}
	f := &Failure{Assertion: fmt.Sprintf("whoCan %s %s", name, query.Where(r.Scope, r.WorkCenter)), Expected: list(expect), Got: list(got)}
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
	return f
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

// writeFailure prints a failed assertion: where, what was expected and what the model
// says, the line, then why; every line after indent.
func writeFailure(w io.Writer, f Failure, indent string) {
	pos := manifests.Position{File: f.File, Line: f.Line, Column: f.Column}
	fmt.Fprintf(w, "%s%s: %s: expected %s, the model says %s\n", indent, pos, f.Assertion, f.Expected, f.Got)
	for line := range strings.Lines(manifests.Snippet(pos, f.text)) {
		fmt.Fprint(w, indent+line)
	}
	for _, line := range f.Explanation {
		fmt.Fprintf(w, "%s  %s\n", indent, line)
	}
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
			writeFailure(w, f, "      ")
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", run.Passed, run.Failed)
}

func (o *options) test() *cobra.Command {
	var runPattern, junit string
	var update bool
	cmd := &cobra.Command{
		Use:   "test FILE... [--run REGEX] [--junit FILE] [--update]",
		Short: "Run access tests against manifests, offline",
		Long: `test runs access test files (docs/access-tests.md): each names its manifests
(files, directories or kustomizations, relative to the file) and tests of six kinds:
check (WorkCenter permissions allowed/denied), capabilities (account-level capabilities
allowed/denied), whoCan (the exact set, for a permission or a capability), assignments
(state and reason), listWorkCenters (exactly where who has a permission) and permissions
(exactly what who has in a WorkCenter). who and workCenter take a list: every combination
is asserted. A test can add or change objects for itself (objects:). A test file can name
an expected access file (expected:): the access of every collaborator, which --update
rewrites and which fails, with the differences, when access changes. A failed assertion
prints where it is (file:line:col), what was expected, what the model says, and why.

The test file is read strictly: a test that would check nothing, an unknown field, a
misspelt state or reason, an unknown permission, collaborator or WorkCenter are bad input,
each shown at its line with the nearest valid word, and no test runs. The manifests are
read as the API server would store them; if it would refuse any object, the problems are
listed and no test runs (--ignore-invalid: the tests run on the objects it would store).

--run REGEX runs only the tests whose name it matches (as go test -run); matching none is
bad input. --junit FILE also writes the results as JUnit XML for CI, bad input included.

Exit: 0 all pass, 1 any fails, 2 bad input (the test file or its manifests).`,
		Example: `  kubectl procorem test config/samples/tests/access-test.yaml
  kubectl procorem test tests/*.yaml --junit report.xml
  kubectl procorem test access-test.yaml --run 'guests|archived'
  kubectl procorem test access-test.yaml --update`,
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
			opts := runOptions{ignoreInvalid: o.ignoreInvalid, update: update, log: o.stderr}
			if runPattern != "" {
				re, err := regexp.Compile(runPattern)
				if err != nil {
					return fmt.Errorf("--run %q is not a regular expression: %s", runPattern, oneLine(err.Error()))
				}
				opts.run = re
			}
			run, err := runTests(cmd.Context(), args, o.stdin, opts)
			if junit != "" {
				if jerr := writeJUnitFile(junit, args, run, err); jerr != nil {
					return jerr
				}
			}
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
	cmd.Flags().StringVar(&runPattern, "run", "", "Run only the tests whose name matches this regular expression (as go test -run); matching none is bad input")
	cmd.Flags().StringVar(&junit, "junit", "", "Also write the results to this file as JUnit XML, for CI (bad input as an error)")
	cmd.Flags().BoolVar(&update, "update", false, "Rewrite the expected access files (expected:) from the manifests instead of checking them")
	return cmd
}
