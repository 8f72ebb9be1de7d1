package procorem

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The cases of issue 20, section 1: every query reads the manifests as the API server
// would store them, and refuses to answer (exit 2, each problem at file:line:col with
// its line) when it would refuse any object, unless --ignore-invalid.

// queries are the questions of issue 20 asked of eve, each a command that answered
// before the manifests were read strictly.
var queries = [][]string{
	{"can-i", "folders.delete", "--as", "eve", "--workcenter", "tower-a"},
	{"who-can", "folders.delete", "--workcenter", "tower-a"},
	{"access", "eve"},
	{"matrix"},
	{"can-i", "--list", "--as", "eve"},
	{"who-can", "workCenters.delete", "--show-denied", "-o", "json"},
}

// refuses checks that every query on the manifests of args exits 2 with nothing on
// stdout and the error's first line, then want (each in stderr).
func refuses(t *testing.T, stdin string, args []string, want ...string) {
	t.Helper()
	for _, q := range queries {
		code, out, errOut := run(t, stdin, append(q, args...)...)
		if code != ExitError || out != "" {
			t.Errorf("%v: exit %d, stdout %q; want 2 and nothing", q, code, out)
		}
		if !strings.HasPrefix(errOut, "error: the manifests are invalid: the API server would refuse 1 of their ") ||
			!strings.Contains(errOut, "give --ignore-invalid to answer from the objects it would store\n") {
			t.Errorf("%v: stderr %q", q, errOut)
		}
		for _, w := range want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr lacks %q:\n%s", q, w, errOut)
			}
		}
		checkErrorLines(t, errOut)
	}
}

func TestAMisspeltKeyIsRefusedNotMatchedCaseInsensitively(t *testing.T) {
	eve := "testdata/strict/adminrole.yaml"
	refuses(t, "", []string{"-f", samples, "-f", eve},
		"\ntestdata/strict/adminrole.yaml:11:3: Collaborator/eve: spec.adminrole: Forbidden: unknown field; nearest: adminRole\n"+
			"  11 |   adminrole: WorkCenterAdministrator\n"+
			"     |   ^~~~~~~~~\n")

	// validate said so already; it still does, at the line.
	code, out, _ := run(t, "", "validate", "-f", samples, "-f", eve)
	if code != ExitNo || !strings.HasPrefix(out, "testdata/strict/adminrole.yaml:11:3: Collaborator/eve: spec.adminrole: Forbidden: unknown field; nearest: adminRole\n") {
		t.Errorf("validate: exit %d\n%s", code, out)
	}

	// --ignore-invalid answers from what the API server would store: eve is left out
	// (kubectl apply refuses her), and said to be.
	code, out, errOut := run(t, "", "who-can", "folders.delete", "--workcenter", "tower-a", "--ignore-invalid", "-f", samples, "-f", eve)
	if code != ExitYes || strings.Contains(out, "eve") || !strings.HasPrefix(out, "folders.delete in WorkCenter tower-a: 3 collaborators can\n") {
		t.Errorf("who-can --ignore-invalid: exit %d\n%s", code, out)
	}
	if errOut != "warning: left out (--ignore-invalid): testdata/strict/adminrole.yaml:11:3: Collaborator/eve: spec.adminrole: Forbidden: unknown field; nearest: adminRole\n" {
		t.Errorf("who-can --ignore-invalid: stderr %q", errOut)
	}
	code, _, errOut = run(t, "", "can-i", "folders.delete", "--as", "eve", "--workcenter", "tower-a", "--ignore-invalid", "-f", samples, "-f", eve)
	if code != ExitError || !strings.Contains(errOut, `error: unknown collaborator "eve" in namespace acme`) {
		t.Errorf("can-i --ignore-invalid: exit %d, stderr %q", code, errOut)
	}
}

func TestAMisspeltListKeyIsRefused(t *testing.T) {
	refuses(t, "", []string{"-f", samples, "-f", "testdata/strict/workcenters.yaml"},
		"testdata/strict/workcenters.yaml:10:3: Collaborator/eve: spec.workcenters: Forbidden: unknown field; nearest: workCenters\n")
}

func TestAValueOutsideTheEnumIsRefused(t *testing.T) {
	refuses(t, "", []string{"-f", samples, "-f", "testdata/strict/superuser.yaml"},
		`testdata/strict/superuser.yaml:10:3: Collaborator/eve: spec.adminRole: Unsupported value: "Superuser": supported values: "None", "WorkCenterAdministrator", "UserAdministrator", "AccountAdministrator"`+"\n"+
			"  10 |   adminRole: Superuser\n")
	// One value outside the enum is one problem: the API server's note that the CEL
	// rules were not checked because of it is not counted as another.
	code, out, _ := run(t, "", "validate", "-f", samples, "-f", "testdata/strict/superuser.yaml")
	want := `testdata/strict/superuser.yaml:10:3: Collaborator/eve: spec.adminRole: Unsupported value: "Superuser": supported values: "None", "WorkCenterAdministrator", "UserAdministrator", "AccountAdministrator"` + "\n" +
		"  10 |   adminRole: Superuser\n" +
		"     |   ^~~~~~~~~\n" +
		"invalid: 17 objects, 1 problem, 0 warnings\n"
	if code != ExitNo || out != want {
		t.Errorf("validate: exit %d\n%s\nwant\n%s", code, out, want)
	}
}

func TestAKeyGivenTwiceIsRefused(t *testing.T) {
	refuses(t, "", []string{"-f", samples, "-f", "testdata/strict/twospecs.yaml"},
		"testdata/strict/twospecs.yaml:10:1: Collaborator/eve: spec: Forbidden: duplicate field; the first is at line 7\n"+
			"  10 | spec:\n"+
			"     | ^~~~\n")
	code, out, _ := run(t, "", "validate", "-f", samples, "-f", "testdata/strict/twospecs.yaml")
	if code != ExitNo || !strings.HasSuffix(out, "invalid: 17 objects, 1 problem, 0 warnings\n") {
		t.Errorf("validate -f: exit %d\n%s", code, out)
	}
	// Through -k, kustomize refuses the file itself: the error shows where.
	for _, args := range [][]string{{"validate"}, queries[0]} {
		code, out, errOut := run(t, "", append(args, "-k", "testdata/strict/twospecs-k")...)
		if code != ExitError || out != "" || !strings.HasPrefix(errOut, "error: kustomization testdata/strict/twospecs-k: ") ||
			!strings.HasSuffix(errOut, "\ntestdata/strict/twospecs-k/eve.yaml:10:1: spec is given twice (the first at line 7): kustomize, and the API server, refuse it\n"+
				"  10 | spec:\n"+
				"     | ^~~~\n") {
			t.Errorf("%v -k: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestDocumentsRunTogetherAreRefused(t *testing.T) {
	// The samples concatenated without their --- lines: one document, every key many
	// times over.
	files, err := filepath.Glob(filepath.Join(samples, "0*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	var all bytes.Buffer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(data)) {
			if !strings.HasPrefix(line, "---") {
				all.WriteString(line)
			}
		}
	}
	for _, q := range queries {
		code, out, errOut := run(t, all.String(), append(q, "-f", "-")...)
		if code != ExitError || out != "" || !regexp.MustCompile(`^error: the manifests are invalid: the API server would refuse 1 of their 1 objects \(1 problem\); .*\n`+
			`stdin:\d+:1: Collaborator/riverside-client: Forbidden: several objects in one document \(apiVersion at lines \d+, \d+(, \d+)+\): `+
			`the API server refuses the keys given twice; separate the objects with --- lines\n`+
			`  \d+ \| apiVersion: access.workcenter.io/v1alpha1\n`).MatchString(errOut) {
			t.Errorf("%v: exit %d, stdout %q, stderr:\n%s", q, code, out, errOut)
		}
	}
	code, out, _ := run(t, all.String(), "validate", "-f", "-")
	if code != ExitNo || !strings.Contains(out, "invalid: 1 object, 1 problem, ") {
		t.Errorf("validate: exit %d\n%s", code, out)
	}
}

// TestAdmissionRefusalsRefuseToo: an object the operator's admission would deny is not
// stored either: the queries refuse as for a schema error, with admission's message.
func TestAdmissionRefusalsRefuseToo(t *testing.T) {
	code, out, errOut := run(t, "", "matrix", "-n", "shop", "-f", "testdata/invalid")
	if code != ExitError || out != "" || !strings.HasPrefix(errOut, "error: the manifests are invalid: the API server would refuse 6 of their 10 objects (6 problems); ") ||
		!strings.Contains(errOut, "\ntestdata/invalid/people.yaml:19:36: Collaborator/second: spec.type: Forbidden: Account \"acme\" has no free license") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	checkErrorLines(t, errOut)
}

// TestDefaultsApply: what the manifests leave out is what the CRDs default it to, as the
// API server stores it.
func TestDefaultsApply(t *testing.T) {
	code, out, errOut := run(t, "", "access", "eve", "-f", samples, "-f", "testdata/strict/defaults.yaml", "-o", "json")
	var r struct {
		Type, AdminRole string
	}
	if err := json.Unmarshal([]byte(out), &r); code != ExitYes || err != nil || r.Type != "Guest" || r.AdminRole != "None" {
		t.Errorf("exit %d (%v), stderr %q: %s", code, err, errOut, out)
	}
}

// TestValidManifestsAnswerAsBefore: the samples, read strictly, answer what they did:
// every golden output holds (TestGoldenOutputs), and nothing is written to stderr, through
// -f and -k alike.
func TestValidManifestsAnswerAsBefore(t *testing.T) {
	for _, src := range [][]string{{"-f", samples}, {"-k", samples}} {
		for _, q := range [][]string{
			{"can-i", "folders.delete", "--as", "daniel-kim", "--workcenter", "tower-a"},
			{"who-can", "folders.delete", "--workcenter", "tower-a"},
			{"access", "daniel-kim"},
			{"matrix"},
		} {
			code, _, errOut := run(t, "", append(q, src...)...)
			if code != ExitYes || errOut != "" {
				t.Errorf("%v %v: exit %d, stderr %q", q, src, code, errOut)
			}
		}
	}
}

// The cases of issue 20, section 2: access tests that cannot pass by accident.

// TestTestsThatCheckNothingAreInputErrors: a check with neither allow nor deny, a
// capabilities assertion with neither, a whoCan without expect, an empty test, a file
// without tests: exit 2, every problem at its line, never PASS.
func TestTestsThatCheckNothingAreInputErrors(t *testing.T) {
	code, out, errOut := run(t, "", "test", "testdata/tests/nothing.yaml")
	want := `error: testdata/tests/nothing.yaml: 4 problems in the access test file; no test ran
testdata/tests/nothing.yaml:6:5: test "a check with neither allow nor deny": a check with neither allow nor deny asserts nothing: give the permissions who must have (allow) or must not (deny)
  6 |   - {who: jane-doe, workCenter: tower-a}
    |     ^
testdata/tests/nothing.yaml:9:5: test "a whoCan without expect": a whoCan without expect asserts nothing: give exactly who can ([] for nobody)
  9 |   - {permission: folders.delete, workCenter: tower-a}
    |     ^
testdata/tests/nothing.yaml:10:3: test "an empty test" asserts nothing: give check, capabilities, whoCan, assignments, listWorkCenters or permissions
  10 | - name: an empty test
     |   ^~~~
testdata/tests/nothing.yaml:13:5: test "capabilities with neither": a capabilities assertion with neither allow nor deny asserts nothing: give the capabilities who must have (allow) or must not (deny)
  13 |   - {who: maria-lopez}
     |     ^
`
	if code != ExitError || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}
	for _, tc := range []struct{ file, err string }{
		{"testdata/tests/no-tests.yaml", "error: testdata/tests/no-tests.yaml:2:1: tests: at least one test (or an expected access file) is required: a file without tests checks nothing\n  2 | tests: []\n    | ^~~~~\n"},
		{"testdata/tests/no-tests-key.yaml", "error: testdata/tests/no-tests-key.yaml:2:1: tests: at least one test (or an expected access file) is required: a file without tests checks nothing\n"},
	} {
		code, out, errOut := run(t, "", "test", tc.file)
		if code != ExitError || out != "" || !strings.HasPrefix(errOut, tc.err) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", tc.file, code, out, errOut)
		}
	}
	// expect: [] is an assertion: nobody.
	code, out, errOut = run(t, "", "test", "testdata/tests/nobody.yaml")
	if code != ExitYes || errOut != "" || out != "PASS  nobody deletes folders in the archived fit-out but the administrators\n1 passed, 0 failed\n" {
		t.Errorf("expect: []: exit %d, stderr %q\n%s", code, errOut, out)
	}
}

// TestMisspeltWordsAreInputErrors: a misspelt state or reason, or an unknown field (also
// one in the wrong case), are input errors naming the line and the nearest valid word,
// not failed assertions.
func TestMisspeltWordsAreInputErrors(t *testing.T) {
	code, out, errOut := run(t, "", "test", "testdata/tests/misspelt.yaml")
	want := `error: testdata/tests/misspelt.yaml: 5 problems in the access test file; no test ran
testdata/tests/misspelt.yaml:6:53: test "misspelt words": unknown state "Actve"; nearest: Active
  6 |   - {who: tom-becker, workCenter: hq-fitout, state: Actve}
    |                                                     ^~~~~
testdata/tests/misspelt.yaml:7:71: test "misspelt words": unknown reason "Bogus"; an assignment's reasons are AccountNotFound, AccountDeactivated, DuplicateEmail, WorkCenterNotFound, RoleNotFound, RoleTerminating, InclusionCycle, RoleRequiresMember, LicenseLimitExceeded, WorkCenterArchived
  7 |   - {who: tom-becker, workCenter: hq-fitout, state: Archived, reason: Bogus}
    |                                                                       ^~~~~
testdata/tests/misspelt.yaml:8:71: test "misspelt words": unknown reason "WorkCenterArchivd"; nearest: WorkCenterArchived
  8 |   - {who: tom-becker, workCenter: hq-fitout, state: Archived, reason: WorkCenterArchivd}
    |                                                                       ^~~~~~~~~~~~~~~~~
testdata/tests/misspelt.yaml:10:5: unknown field "workcenter" in an assignments assertion; nearest: workCenter
  10 |     workcenter: harbor-bridge
     |     ^~~~~~~~~~
testdata/tests/misspelt.yaml:13:42: unknown field "alow" in a check; nearest: allow
  13 |   - {who: jane-doe, workCenter: tower-a, alow: [files.upload], deny: [folders.delete]}
     |                                          ^~~~
`
	if code != ExitError || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}
}

// TestTestErrorsAndFailuresNameTheirLine: a question about what the account does not have
// names the line of the word; a failed assertion names the line of what failed, and
// shows it.
func TestTestErrorsAndFailuresNameTheirLine(t *testing.T) {
	code, out, errOut := run(t, "", "test", "testdata/tests/unknown-names.yaml")
	want := `error: testdata/tests/unknown-names.yaml: 2 problems: the tests ask about what the account does not have; no test ran
testdata/tests/unknown-names.yaml:5:11: test "who is that": unknown collaborator "jane" in namespace acme; nearest: jane-doe, jane.doe@steelworks-partner.example, li-wei
  5 |   - {who: jane, workCenter: tower-a, allow: [files.upload]}
    |           ^~~~
testdata/tests/unknown-names.yaml:6:33: test "who is that": unknown WorkCenter "tower-c" in namespace acme; nearest: tower-a, tower-b, hq-fitout
  6 |   - {who: jane-doe, workCenter: tower-c, allow: [files.upload]}
    |                                 ^~~~~~~
`
	if code != ExitError || out != "" || errOut != want {
		t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, out, errOut, want)
	}

	_, out, _ = run(t, "", "test", "testdata/failing-test.yaml")
	for _, want := range []string{
		"      testdata/failing-test.yaml:8:50: check jane-doe in tower-a: allow folders.delete: expected yes, the model says no\n" +
			"        8 |   - {who: jane-doe, workCenter: tower-a, allow: [folders.delete]}\n" +
			"          |                                                  ^~~~~~~~~~~~~~\n",
		"      testdata/failing-test.yaml:10:55: whoCan folders.delete in tower-a: expected [maria-lopez, tom-becker], the model says [daniel-kim, maria-lopez, priya-shah]\n",
		"      testdata/failing-test.yaml:12:46: assignment of tom-becker in hq-fitout: expected Active, the model says Archived (WorkCenterArchived)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("test output lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = run(t, "", "test", "testdata/failing-test.yaml", "-o", "json")
	var r TestRun
	if err := json.Unmarshal([]byte(out), &r); err != nil || len(r.Results) != 2 || r.Results[1].Line != 6 || len(r.Results[1].Failures) != 3 ||
		r.Results[1].Failures[0].File != "testdata/failing-test.yaml" || r.Results[1].Failures[0].Line != 8 || r.Results[1].Failures[0].Column != 50 {
		t.Errorf("-o json: %v\n%s", err, out)
	}
}

// TestTestsOfInvalidManifestsAreInputErrors: manifests the API server would refuse
// objects of make no test pass or fail: exit 2 with the problems; --ignore-invalid runs
// the tests on what it would store.
func TestTestsOfInvalidManifestsAreInputErrors(t *testing.T) {
	code, out, errOut := run(t, "", "test", "testdata/tests/invalid-manifests.yaml")
	if code != ExitError || out != "" || !strings.HasPrefix(errOut, "error: testdata/tests/invalid-manifests.yaml: the manifests are invalid: the API server would refuse 1 of their 17 objects (1 problem); fix them, or give --ignore-invalid to test the objects it would store\n"+
		"testdata/strict/adminrole.yaml:11:3: Collaborator/eve: spec.adminrole: Forbidden: unknown field; nearest: adminRole\n") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	code, out, _ = run(t, "", "test", "--ignore-invalid", "testdata/tests/invalid-manifests.yaml")
	if code != ExitYes || out != "invalid: testdata/strict/adminrole.yaml:11:3: Collaborator/eve: spec.adminrole: Forbidden: unknown field; nearest: adminRole\n"+
		"PASS  eve is no administrator\n1 passed, 0 failed\n" {
		t.Errorf("--ignore-invalid: exit %d\n%s", code, out)
	}
}
