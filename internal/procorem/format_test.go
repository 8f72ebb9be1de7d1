package procorem

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestShippedExamples: every access test file the repository ships (docs/examples and
// the samples' tests) passes through the command, so `make test` keeps them true.
func TestShippedExamples(t *testing.T) {
	files, _ := filepath.Glob("../../docs/examples/access-tests/*test*.yaml")
	samplesTests, _ := filepath.Glob(samples + "/tests/*.yaml")
	files = append(files, samplesTests...)
	if len(files) < 2 {
		t.Fatalf("found %v: the shipped examples moved?", files)
	}
	for _, f := range files {
		code, out, errOut := run(t, "", "test", f)
		if code != ExitYes || errOut != "" || !strings.HasSuffix(out, " passed, 0 failed\n") {
			t.Errorf("%s: exit %d, stderr %q\n%s", f, code, errOut, out)
		}
	}
}

// TestFormatFailures: a fan-out failure names the combination that failed;
// listWorkCenters and permissions are exact, the differences explained; a test's objects
// are its own (the next test does not see them).
func TestFormatFailures(t *testing.T) {
	code, out, errOut := run(t, "", "test", "testdata/format/failing.yaml")
	for _, want := range []string{
		"FAIL  fan-out names the combination that fails\n      testdata/format/failing.yaml:6:87: check riverside-client in harbor-bridge: allow files.download: expected yes, the model says no\n",
		"4. assignment: deny: riverside-client is not assigned to WorkCenter \"harbor-bridge\"\n",
		"testdata/format/failing.yaml:9:47: listWorkCenters files.upload for jane-doe: expected [harbor-bridge], the model says [tower-a]\n",
		"        harbor-bridge: jane-doe cannot: step 4 (assignment): role \"external-reviewer\" does not grant files.upload",
		"        tower-a: jane-doe can: role contributor: built-in\n",
		"testdata/format/failing.yaml:12:50: permissions of riverside-client in tower-a: expected [workCenter.view, files.upload], the model says [workCenter.view, files.download]\n",
		"        + files.download: role read-only: built-in\n        - files.upload: step 4 (assignment): role \"read-only\" does not grant files.upload",
		"testdata/format/failing.yaml:12:91: capabilities of riverside-client in tower-a: expected [account.leave], the model says [workCenters.view, account.leave]\n",
		"PASS  the objects are the test's alone\n1 passed, 3 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Only the failing combination fails: jane-doe has files.download in both.
	if strings.Count(out, "check ") != 1 || code != ExitNo || errOut != "" {
		t.Errorf("exit %d, stderr %q, %d check failures:\n%s", code, errOut, strings.Count(out, "check "), out)
	}
}

// TestObjectsChangeTheAccount: a test's objects add a collaborator or change one (kept in
// its place), and the assertions see the change.
func TestObjectsChangeTheAccount(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "t.yaml")
	abs, _ := filepath.Abs(samples)
	write := func(body string) {
		if err := os.WriteFile(file, []byte("manifests: ["+abs+"]\ntests:\n"+body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Without the object, eve is unknown: the test cannot pass by naming her.
	write("- name: eve\n  check:\n  - {who: eve, workCenter: tower-a, allow: [files.upload]}\n")
	if code, _, errOut := run(t, "", "test", file); code != ExitError || !strings.Contains(errOut, `unknown collaborator "eve"`) {
		t.Errorf("without objects: exit %d %q", code, errOut)
	}
	write(`- name: eve added
  objects:
  - apiVersion: access.workcenter.io/v1alpha1
    kind: Collaborator
    metadata: {name: eve}
    spec: {email: eve@x.example, workCenters: [{name: tower-a, role: contributor}]}
  check:
  - {who: eve, workCenter: tower-a, allow: [files.upload], deny: [folders.delete]}
  assignments:
  - {who: eve, workCenter: tower-a, state: Active}
- name: jane-doe becomes read-only in tower-a
  objects:
  - {apiVersion: access.workcenter.io/v1alpha1, kind: Collaborator, metadata: {name: jane-doe, namespace: acme},
     spec: {email: jane.doe@steelworks-partner.example, workCenters: [{name: tower-a, role: read-only}]}}
  permissions:
  - {who: jane-doe, workCenter: tower-a, expect: [workCenter.view, files.download]}
  listWorkCenters:
  - {who: jane.doe@steelworks-partner.example, permission: workCenter.view, expect: [tower-a]}
- name: the site-engineer role loses folders
  objects:
  - apiVersion: access.workcenter.io/v1alpha1
    kind: WorkCenterRole
    metadata: {name: site-engineer}
    spec: {displayName: Site engineer, levels: {files: Standard}}
  check:
  - {who: tom-becker, workCenter: tower-a, allow: [files.upload], deny: [folders.create, tasks.create]}
- name: the manifests are as they were
  check:
  - {who: tom-becker, workCenter: tower-a, allow: [folders.create]}
  - {who: jane-doe, workCenter: [tower-a, harbor-bridge], allow: [workCenter.view]}
`)
	code, out, errOut := run(t, "", "test", file)
	if code != ExitYes || errOut != "" || !strings.HasSuffix(out, "4 passed, 0 failed\n") {
		t.Errorf("exit %d, stderr %q\n%s", code, errOut, out)
	}
}

// TestObjectsAreReadAsManifests: a test's objects are read strictly, as manifests are,
// and their problems are placed in the test file, block and flow style alike.
func TestObjectsAreReadAsManifests(t *testing.T) {
	code, out, errOut := run(t, "", "test", "testdata/format/invalid-objects.yaml")
	for _, want := range []string{
		"error: testdata/format/invalid-objects.yaml: 3 problems",
		"testdata/format/invalid-objects.yaml:12:7: test \"a misspelt field\": the API server would refuse Collaborator/eve: spec.adminrole: Forbidden: unknown field; nearest: adminRole\n" +
			"  12 |       adminrole: WorkCenterAdministrator\n" +
			"     |       ^~~~~~~~~\n",
		"testdata/format/invalid-objects.yaml:16:147: test \"a value outside the enum, written in flow style\": the API server would refuse Collaborator/eve2: spec.adminRole: Unsupported value: \"Superuser\"",
		"testdata/format/invalid-objects.yaml:21:5: test \"another kind\": objects[0]: v1 ConfigMap \"x\" is not one of the kinds of access.workcenter.io",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code != ExitError || out != "" || strings.Contains(errOut, "rules were not checked") {
		t.Errorf("exit %d, stdout %q, stderr\n%s", code, out, errOut)
	}
	checkErrorLines(t, errOut)
}

// TestNewAssertionsThatCheckNothing: an empty list of names or objects, a listWorkCenters
// or permissions without expect, a capability of scope Account to list WorkCenters by:
// input errors, never PASS.
func TestNewAssertionsThatCheckNothing(t *testing.T) {
	code, out, errOut := run(t, "", "test", "testdata/format/nothing.yaml")
	for _, want := range []string{
		"error: testdata/format/nothing.yaml: 8 problems in the access test file; no test ran\n",
		"nothing.yaml:5:3: test \"empty lists\": objects: an empty list changes nothing",
		"nothing.yaml:7:11: test \"empty lists\": check: who: an empty list names nothing",
		"nothing.yaml:9:36: test \"empty lists\": capabilities: workCenter: an empty list names nothing",
		"nothing.yaml:12:5: test \"no expect\": a listWorkCenters without expect asserts nothing",
		"nothing.yaml:13:33: test \"no expect\": users.upgrade is of scope Account",
		"nothing.yaml:15:5: test \"no expect\": a permissions assertion without expect asserts nothing",
		"nothing.yaml:16:51: test \"no expect\": unknown permission \"files.uplod\"; nearest: files.upload",
		"nothing.yaml:16:65: test \"no expect\": expectCapabilities: give exactly",
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if code != ExitError || out != "" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
}

// TestExpectedAccess: a missing expected access file is bad input; --update writes it
// (deterministically: a second --update changes nothing); a change of access fails with
// the differences, one line each; --update accepts them.
func TestExpectedAccess(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs(samples)
	extra := filepath.Join(dir, "extra.yaml")
	test := filepath.Join(dir, "access-test.yaml")
	expected := filepath.Join(dir, "expected.yaml")
	if err := os.WriteFile(test, []byte("manifests: ["+abs+", extra.yaml]\nexpected: expected.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeExtra := func(role string) {
		body := "apiVersion: access.workcenter.io/v1alpha1\nkind: Collaborator\nmetadata: {name: user-142, namespace: acme}\nspec: {email: u142@x.example, workCenters: [{name: tower-a, role: " + role + "}]}\n---\n" +
			"apiVersion: access.workcenter.io/v1alpha1\nkind: Collaborator\nmetadata: {name: user-1072, namespace: acme}\nspec: {email: u1072@x.example}\n"
		if err := os.WriteFile(extra, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeExtra("read-only")
	code, out, errOut := run(t, "", "test", test)
	if code != ExitError || out != "" || !strings.Contains(errOut, "expected access file "+expected+" does not exist: write it with kubectl procorem test --update") {
		t.Errorf("missing: exit %d, stderr %q", code, errOut)
	}
	code, out, errOut = run(t, "", "test", test, "--update")
	if code != ExitYes || errOut != "wrote "+expected+"\n" || out != "PASS  expected access (expected.yaml)\n1 passed, 0 failed\n" {
		t.Errorf("--update: exit %d, stderr %q\n%s", code, errOut, out)
	}
	first, _ := os.ReadFile(expected)
	for _, want := range []string{
		"namespace: acme\ncollaborators:\n",
		"  riverside-client:\n    workCenters:\n      tower-a: [workCenter.view, files.download]\n      tower-b: [workCenter.view, files.download]\n    capabilities:\n      workCenters.view: tower-a, tower-b\n      account.leave: the account\n",
		"  tom-becker:\n", "  user-142:\n", "  user-1072:\n    capabilities:\n      account.leave: the account\n",
	} {
		if !strings.Contains(string(first), want) {
			t.Errorf("expected access file lacks %q:\n%s", want, first)
		}
	}
	if strings.Index(string(first), "user-142:") > strings.Index(string(first), "user-1072:") {
		t.Errorf("names are not in natural order:\n%s", first)
	}
	if code, out, errOut = run(t, "", "test", test, "--update"); code != ExitYes || errOut != "" {
		t.Errorf("a second --update: exit %d, stderr %q (nothing changed)", code, errOut)
	}
	if again, _ := os.ReadFile(expected); string(again) != string(first) {
		t.Errorf("a second --update rewrote the file differently")
	}
	if code, out, _ = run(t, "", "test", test); code != ExitYes {
		t.Errorf("unchanged: exit %d\n%s", code, out)
	}

	writeExtra("contributor")
	code, out, errOut = run(t, "", "test", test)
	want := "FAIL  expected access (expected.yaml)\n" +
		"      " + test + ":2:1: expected access of namespace acme: expected the access expected.yaml holds, the model says 1 difference (+ gained, - lost); if intended, accept them with kubectl procorem test --update " + test + "\n" +
		"        2 | expected: expected.yaml\n" +
		"          | ^~~~~~~~\n" +
		"        + user-142 in tower-a: files.upload, files.update, files.delete, files.restoreVersion, fileComments.create, fileComments.delete, posts.create, posts.edit, posts.delete, taskComments.create\n" +
		"0 passed, 1 failed\n"
	if code != ExitNo || errOut != "" || out != want {
		t.Errorf("changed: exit %d, stderr %q\n%s\nwant\n%s", code, errOut, out, want)
	}
	if code, _, errOut = run(t, "", "test", test, "--update"); code != ExitYes || errOut != "updated "+expected+"\n" {
		t.Errorf("--update of a change: exit %d, stderr %q", code, errOut)
	}
	if code, _, _ = run(t, "", "test", test); code != ExitYes {
		t.Errorf("after --update: exit %d", code)
	}
	// A hand-edited file that is not one is bad input naming it.
	if err := os.WriteFile(expected, []byte("namespace: acme\npeople: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = run(t, "", "test", test); code != ExitError || !strings.Contains(errOut, expected+": not an expected access file") {
		t.Errorf("not an expected access file: exit %d, stderr %q", code, errOut)
	}
	// Lost access is "-", a changed place of a capability "~".
	was := ExpectedAccess{Namespace: "acme", Collaborators: map[string]ExpectedCollaborator{
		"a": {WorkCenters: map[string][]string{"w": {"workCenter.view", "files.download"}}, Capabilities: map[string]string{"workCenters.view": "w"}},
		"b": {}}}
	is := ExpectedAccess{Namespace: "acme", Collaborators: map[string]ExpectedCollaborator{
		"a": {WorkCenters: map[string][]string{"w": {"workCenter.view"}}, Capabilities: map[string]string{"workCenters.view": "w, x"}}}}
	if got := strings.Join(was.diff(is), "\n"); got != "- a in w: files.download\n~ a: capability workCenters.view in w, x, was in w\n- b: a collaborator the manifests no longer have" {
		t.Errorf("diff:\n%s", got)
	}
}

// TestRunPicksTests: --run runs the tests whose name matches; none matching, or a bad
// expression, is bad input.
func TestRunPicksTests(t *testing.T) {
	file := "../../docs/examples/access-tests/access-test.yaml"
	code, out, errOut := run(t, "", "test", file, "--run", "^where|read-only client")
	if code != ExitYes || errOut != "" || out != "PASS  where Priya uploads files\nPASS  a read-only client sees and downloads, nothing more\n2 passed, 0 failed\n" {
		t.Errorf("--run: exit %d, stderr %q\n%s", code, errOut, out)
	}
	code, out, _ = run(t, "", "test", "testdata/format/failing.yaml", "--run", "objects")
	if code != ExitYes || out != "PASS  the objects are the test's alone\n1 passed, 0 failed\n" {
		t.Errorf("--run picks a passing test of a failing file: exit %d\n%s", code, out)
	}
	if code, _, errOut = run(t, "", "test", file, "--run", "nothing like it"); code != ExitError || errOut != "error: no test matches --run \"nothing like it\": nothing was checked\n" {
		t.Errorf("no match: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut = run(t, "", "test", file, "--run", "("); code != ExitError || !strings.HasPrefix(errOut, "error: --run \"(\" is not a regular expression") {
		t.Errorf("bad expression: exit %d, stderr %q", code, errOut)
	}
}

// TestJUnit: --junit writes JUnit XML (testsuites, a testsuite per file, a testcase per
// test, a failure per failed test with what failed), bad input as an error, and the
// usual output and exit code stay.
func TestJUnit(t *testing.T) {
	dir := t.TempDir()
	report := filepath.Join(dir, "report.xml")
	code, out, _ := run(t, "", "test", "testdata/format/failing.yaml", samples+"/tests/access-test.yaml", "--junit", report)
	if code != ExitNo || !strings.HasSuffix(out, "5 passed, 3 failed\n") {
		t.Errorf("exit %d\n%s", code, out)
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(data, &got); err != nil || !strings.HasPrefix(string(data), "<?xml") {
		t.Fatalf("not XML: %v\n%s", err, data)
	}
	if got.Tests != 8 || got.Failures != 3 || got.Errors != 0 || len(got.Suites) != 2 ||
		got.Suites[0].Name != "testdata/format/failing.yaml" || got.Suites[0].Tests != 4 || got.Suites[0].Failures != 3 ||
		got.Suites[1].Tests != 4 || got.Suites[1].Failures != 0 {
		t.Errorf("counts: %+v", got)
	}
	c := got.Suites[0].Cases[0]
	if c.Name != "fan-out names the combination that fails" || c.Failure == nil || c.Failure.Message != "1 assertion failed" ||
		!strings.Contains(c.Failure.Text, "testdata/format/failing.yaml:6:87: check riverside-client in harbor-bridge: allow files.download: expected yes, the model says no") {
		t.Errorf("first testcase: %+v", c)
	}
	if p := got.Suites[0].Cases[3]; p.Failure != nil || p.Error != nil {
		t.Errorf("a passing testcase has a failure: %+v", p)
	}

	code, _, errOut := run(t, "", "test", "testdata/format/nothing.yaml", "--junit", report)
	data, _ = os.ReadFile(report)
	got = junitSuites{}
	if err := xml.Unmarshal(data, &got); err != nil || code != ExitError || !strings.HasPrefix(errOut, "error: testdata/format/nothing.yaml: 8 problems") {
		t.Fatalf("input error: exit %d, %v\n%s", code, err, data)
	}
	if got.Errors != 1 || len(got.Suites) != 1 || got.Suites[0].Name != "testdata/format/nothing.yaml" || got.Suites[0].Cases[0].Error == nil ||
		got.Suites[0].Cases[0].Error.Message != "testdata/format/nothing.yaml: 8 problems in the access test file; no test ran" ||
		!strings.Contains(got.Suites[0].Cases[0].Error.Text, "nothing.yaml:12:5: test \"no expect\": a listWorkCenters without expect asserts nothing") {
		t.Errorf("input error in JUnit: %s", data)
	}
}
