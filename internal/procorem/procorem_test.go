package procorem

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

const samples = "../../config/samples"

// run runs the plugin and returns its exit code, stdout and stderr.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestGoldenOutputs pins every command's text and JSON output on the samples, offline.
// `go test ./internal/procorem -update` rewrites them; review the diff.
func TestGoldenOutputs(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"can-i-yes", []string{"can-i", "files.upload", "--as", "jane-doe", "--workcenter", "tower-a"}},
		{"can-i-no", []string{"can-i", "folders.delete", "--as", "tom.becker@acme-builders.example", "--workcenter", "tower-a"}},
		{"can-i-archived", []string{"can-i", "posts.create", "--as", "daniel-kim", "--workcenter", "hq-fitout"}},
		{"can-i-quiet", []string{"can-i", "files.download", "--as", "DANIEL.KIM@acme-builders.example", "--workcenter", "hq-fitout", "--quiet"}},
		{"can-i-quiet-no", []string{"can-i", "folders.delete", "--as", "jane-doe", "--workcenter", "tower-a", "-q"}},
		{"can-i-quiet-json", []string{"can-i", "folders.delete", "--as", "jane-doe", "--workcenter", "tower-a", "-q", "-o", "json"}},
		{"can-i-json", []string{"can-i", "folders.create", "--as", "tom-becker", "--workcenter", "tower-a", "-o", "json"}},
		{"can-i-list", []string{"can-i", "--list", "--as", "jane-doe", "--workcenter", "harbor-bridge"}},
		{"can-i-list-json", []string{"can-i", "--list", "--as", "li-wei", "--workcenter", "hq-fitout", "-o", "json"}},
		{"who-can", []string{"who-can", "collaborators.changeRole", "--workcenter", "tower-a", "--show-denied"}},
		{"who-can-json", []string{"who-can", "files.upload", "--workcenter", "tower-a", "-o", "json"}},
		{"matrix", []string{"matrix"}},
		{"matrix-json", []string{"matrix", "site-engineer", "-o", "json"}},
		{"matrix-markdown", []string{"matrix", "contributor", "external-reviewer", "site-engineer", "-o", "markdown"}},
		{"matrix-csv", []string{"matrix", "-o", "csv"}},
		{"can-i-capability-yes", []string{"can-i", "workCenters.delete", "--as", "maria-lopez"}},
		{"can-i-capability-no", []string{"can-i", "users.upgrade", "--as", "Priya.Shah@acme-builders.example"}},
		{"can-i-capability-workcenter", []string{"can-i", "workCenters.edit", "--as", "priya-shah", "--workcenter", "tower-a"}},
		{"can-i-capability-json", []string{"can-i", "account.leave", "--as", "maria-lopez", "-o", "json"}},
		{"can-i-capability-both", []string{"can-i", "collaborators.changeRole", "--capability", "--as", "tom-becker", "--workcenter", "tower-a", "-o", "json"}},
		{"can-i-capability-quiet", []string{"can-i", "workCenters.archive", "--as", "daniel-kim", "--quiet"}},
		{"can-i-list-capabilities", []string{"can-i", "--list", "--as", "daniel-kim"}},
		{"can-i-list-capabilities-json", []string{"can-i", "--list", "--as", "tom-becker", "-o", "json"}},
		{"who-can-capability", []string{"who-can", "users.upgrade", "--show-denied"}},
		{"who-can-capability-workcenter", []string{"who-can", "collaborators.add", "--workcenter", "tower-a"}},
		{"who-can-capability-json", []string{"who-can", "workCenters.view", "--workcenter", "hq-fitout", "--show-denied", "-o", "json"}},
		{"access", []string{"access", "priya-shah"}},
		{"access-admin", []string{"access", "daniel-kim"}},
		{"access-json", []string{"access", "jane.doe@steelworks-partner.example", "-o", "json"}},
		{"validate", []string{"validate"}},
		{"validate-json", []string{"validate", "-o", "json"}},
		{"recipients", []string{"recipients", "postDeleted", "--workcenter", "tower-a"}},
		{"recipients-archived", []string{"recipients", "postCreated", "--workcenter", "hq-fitout"}},
		{"recipients-json", []string{"recipients", "fileUploaded", "--workcenter", "tower-a", "-o", "json"}},
		{"recipients-digest", []string{"recipients", "fileUploaded", "--workcenter", "harbor-bridge"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", append(tc.args, "-f", samples)...)
			if errOut != "" {
				t.Fatalf("stderr: %s", errOut)
			}
			got := "exit " + string(rune('0'+code)) + "\n" + out
			if strings.HasSuffix(tc.name, "json") && !strings.Contains(tc.name, "quiet") {
				var v any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatalf("-o json is not JSON: %v\n%s", err, out)
				}
			}
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output of %v differs from %s:\n--- got\n%s\n--- want\n%s", tc.args, path, got, want)
			}
		})
	}
}

// TestExitCodes: yes 0, no 1, and bad input 2 with a one-line error naming what was
// wrong and the nearest valid names, never a stack trace; an error in a file names its
// file:line:col and shows the line under it.
func TestExitCodes(t *testing.T) {
	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		err   string // in stderr; "" for none
	}{
		{"yes", "", []string{"can-i", "files.upload", "--as", "jane-doe", "--workcenter", "tower-a", "-f", samples}, 0, ""},
		{"no", "", []string{"can-i", "folders.delete", "--as", "jane-doe", "--workcenter", "tower-a", "-f", samples}, 1, ""},
		{"unknown permission", "", []string{"can-i", "folder.delete", "--as", "jane-doe", "--workcenter", "tower-a", "-f", samples}, 2, `unknown permission or capability "folder.delete"; nearest: folders.delete`},
		{"unknown collaborator", "", []string{"can-i", "files.upload", "--as", "jane", "--workcenter", "tower-a", "-f", samples}, 2, `unknown collaborator "jane" in namespace acme; nearest: jane-doe`},
		{"unknown WorkCenter", "", []string{"who-can", "files.upload", "--workcenter", "tower-c", "-f", samples}, 2, `unknown WorkCenter "tower-c" in namespace acme; nearest: tower-a`},
		{"unknown role", "", []string{"matrix", "site-engineers", "-f", samples}, 2, `unknown role "site-engineers" in namespace acme; nearest: site-engineer`},
		{"missing --as", "", []string{"can-i", "files.upload", "--workcenter", "tower-a", "-f", samples}, 2, "--as WHO is required"},
		{"a capability, yes", "", []string{"can-i", "workCenters.delete", "--as", "maria.lopez@ACME-builders.example", "-f", samples}, 0, ""},
		{"a capability, no", "", []string{"can-i", "workCenters.delete", "--as", "daniel-kim", "-f", samples}, 1, ""},
		{"a capability in a WorkCenter, yes", "", []string{"can-i", "collaborators.add", "--as", "priya-shah", "--workcenter", "tower-a", "-f", samples}, 0, ""},
		{"a capability in a WorkCenter, no", "", []string{"can-i", "collaborators.add", "--as", "priya-shah", "--workcenter", "hq-fitout", "-f", samples}, 1, ""},
		{"unknown capability", "", []string{"can-i", "workCenter.delete", "--as", "maria-lopez", "-f", samples}, 2, `unknown permission or capability "workCenter.delete"; nearest: workCenters.delete`},
		{"unknown capability, who-can", "", []string{"who-can", "user.upgrade", "-f", samples}, 2, `unknown permission or capability "user.upgrade"; nearest: users.upgrade`},
		{"a permission needs a WorkCenter", "", []string{"can-i", "files.upload", "--as", "jane-doe", "-f", samples}, 2, "--workcenter WC is required: files.upload is a WorkCenter permission"},
		{"who-can a permission needs a WorkCenter", "", []string{"who-can", "files.upload", "-f", samples}, 2, "--workcenter WC is required"},
		{"--capability on a permission", "", []string{"can-i", "files.upload", "--capability", "--as", "jane-doe", "--workcenter", "tower-a", "-f", samples}, 2, `"files.upload" is a WorkCenter permission, not an account-level capability`},
		{"a capability in an unknown WorkCenter", "", []string{"can-i", "workCenters.edit", "--as", "priya-shah", "--workcenter", "tower-c", "-f", samples}, 2, `unknown WorkCenter "tower-c"`},
		{"capability tests pass", "", []string{"test", "testdata/capability-test.yaml"}, 0, ""},
		{"a capability test fails", "", []string{"test", "testdata/failing-capability-test.yaml"}, 1, ""},
		{"a capability under check", "", []string{"test", "testdata/misplaced-capability-test.yaml"}, 2, "users.upgrade is an account-level capability, not a WorkCenter permission: assert it under capabilities"},
		{"unknown output", "", []string{"access", "jane-doe", "-o", "yaml", "-f", samples}, 2, `unknown output format "yaml"; use text, json`},
		{"unknown flag", "", []string{"access", "jane-doe", "--colour", "-f", samples}, 2, "unknown flag: --colour"},
		{"not YAML", "a: [\n", []string{"matrix", "-f", "-"}, 2, "stdin (document 1): not YAML"},
		{"another kind", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", []string{"matrix", "-f", "-"}, 2, `stdin (document 1): v1 ConfigMap "x" is not one of the kinds of access.workcenter.io`},
		{"a misspelt kind", "apiVersion: access.workcenter.io/v1alpha1\nkind: Acount\nmetadata: {name: x}\n", []string{"matrix", "-f", "-"}, 2, `unknown kind "Acount" of access.workcenter.io/v1alpha1; nearest: Account`},
		{"missing file", "", []string{"matrix", "-f", "no/such/dir"}, 2, "no/such/dir: no such file or directory"},
		{"two namespaces", "", []string{"matrix", "-f", samples, "-f", "testdata/invalid"}, 2, "choose one with -n"},
		{"validate without manifests", "", []string{"validate"}, 2, "give them with -f PATH or -k DIR"},
		{"invalid manifests", "", []string{"validate", "-f", "testdata/invalid"}, 1, ""},
		{"tests pass", "", []string{"test", samples + "/tests/access-test.yaml"}, 0, ""},
		{"a test fails", "", []string{"test", "testdata/failing-test.yaml"}, 1, ""},
		{"not a test file", "", []string{"test", samples + "/01-account.yaml"}, 2, "not an access test file"},
		{"recipients", "", []string{"recipients", "fileUploaded", "--workcenter", "tower-a", "-f", samples}, 0, ""},
		{"recipients of nobody", "", []string{"recipients", "fileUploaded", "--workcenter", "hq-fitout", "-f", samples}, 0, ""},
		{"unknown email option", "", []string{"recipients", "fileUpload", "--workcenter", "tower-a", "-f", samples}, 2, `unknown email option "fileUpload"; nearest: fileUploaded`},
		{"an email option as the API spells it", "", []string{"recipients", "FileUploaded", "--workcenter", "tower-a", "-f", samples}, 2, `unknown email option "FileUploaded"; nearest: fileUploaded`},
		{"recipients needs a WorkCenter", "", []string{"recipients", "fileUploaded", "-f", samples}, 2, "--workcenter WC is required"},
		{"recipients in an unknown WorkCenter", "", []string{"recipients", "fileUploaded", "--workcenter", "tower-c", "-f", samples}, 2, `unknown WorkCenter "tower-c" in namespace acme; nearest: tower-a`},
		{"recipients takes one option", "", []string{"recipients", "--workcenter", "tower-a", "-f", samples}, 2, "recipients takes one OPTION, an email option, got 0 arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := run(t, tc.stdin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d; want %d (stderr %q)", code, tc.code, errOut)
			}
			if tc.err == "" && errOut != "" || !strings.Contains(errOut, tc.err) {
				t.Errorf("stderr %q; want it to hold %q", errOut, tc.err)
			}
			checkErrorLines(t, errOut)
		})
	}
}

// checkErrorLines fails unless errOut is one error line, or one with places in files
// under it: each line under it is a place (file:line:col: message), a line of the file
// (N | text) or a caret under it.
func checkErrorLines(t *testing.T, errOut string) {
	t.Helper()
	if strings.Contains(errOut, "goroutine") {
		t.Errorf("a stack trace: %q", errOut)
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	for _, line := range lines[1:] {
		if !snippetLine.MatchString(line) && !placeLine.MatchString(line) {
			t.Errorf("the error is not one line, nor one shown at its place: %q", errOut)
			return
		}
	}
}

// snippetLine is a line of a file shown under an error, or its caret line.
var snippetLine = regexp.MustCompile(`^  (\d+| +) \| `)

// placeLine is a place in a file and what is wrong there.
var placeLine = regexp.MustCompile(`^[^ ]+:\d+(:\d+)?: `)

// TestKustomizationAndDirectoriesReadTheSame: -k renders the samples' kustomization to
// the same answers as -f on the directory.
func TestKustomizationAndDirectoriesReadTheSame(t *testing.T) {
	for _, args := range [][]string{{"matrix", "-o", "json"}, {"who-can", "files.upload", "--workcenter", "tower-a", "--show-denied", "-o", "json"}} {
		_, f, _ := run(t, "", append(args, "-f", samples)...)
		_, k, errOut := run(t, "", append(args, "-k", samples)...)
		if f != k || errOut != "" {
			t.Errorf("%v: -f and -k differ (stderr %q)", args, errOut)
		}
	}
}

// TestValidateNamesFileObjectAndField: every problem of the invalid manifests is found,
// each naming its file, object and field, with admission's message.
func TestValidateNamesFileObjectAndField(t *testing.T) {
	code, out, _ := run(t, "", "validate", "-f", "testdata/invalid")
	if code != ExitNo {
		t.Fatalf("exit %d; want 1\n%s", code, out)
	}
	for _, want := range []string{
		`testdata/invalid/account.yaml:15:3: WorkCenter/mall: spec.category: Invalid value: "Retail": WorkCenter "mall" has category "Retail", which is not in Account "acme"'s workCenterCategories`,
		"  15 |   category: Retail\n     |   ^~~~~~~~\n",
		`testdata/invalid/people.yaml:9:24: WorkCenterRole/loop-b: spec.includes: Forbidden: WorkCenterRoles include each other in a cycle: loop-a -> loop-b -> loop-a`,
		"  9 | spec: {displayName: B, includes: [loop-a]}\n    |                        ^~~~~~~~\n",
		`testdata/invalid/people.yaml:19:36: Collaborator/second: spec.type: Forbidden: Account "acme" has no free license for Member "second": 1 of 1 licenses are used`,
		`testdata/invalid/people.yaml:24:1: Collaborator/guest: spec: Invalid value: a Guest cannot hold the workcenter-owner role`,
		`testdata/invalid/people.yaml:32:1: Collaborator/boss: spec: Invalid value: adminRole other than None requires type: Member`,
		`testdata/invalid/people.yaml:46:3: Collaborator/twin: spec.email: Invalid value: "First@Shop.example": email "First@Shop.example" is already used by Collaborator "first"`,
		`warning: testdata/invalid/people.yaml:34:1: Collaborator/waiting: WorkCenter "later" does not exist yet`,
		`invalid: 10 objects, 6 problems, 3 warnings`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
}

// TestAccessTestsReport: a failing assertion prints what was expected, what the model
// says and why; the run ends with the counts.
func TestAccessTestsReport(t *testing.T) {
	code, out, _ := run(t, "", "test", samples+"/tests/access-test.yaml")
	if code != 0 || !strings.HasSuffix(out, "4 passed, 0 failed\n") {
		t.Errorf("the shipped example: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "test", "testdata/failing-test.yaml")
	for _, want := range []string{
		"PASS  this one holds",
		"FAIL  guests delete folders (they do not)",
		"check jane-doe in tower-a: allow folders.delete: expected yes, the model says no",
		`4. assignment: deny: role "contributor" does not grant folders.delete`,
		"whoCan folders.delete in tower-a: expected [maria-lopez, tom-becker], the model says [daniel-kim, maria-lopez, priya-shah]",
		"daniel-kim can: WorkCenterAdministrator",
		"tom-becker cannot: step 4 (assignment)",
		"assignment of tom-becker in hq-fitout: expected Active, the model says Archived (WorkCenterArchived)",
		"1 passed, 1 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("test output lacks %q:\n%s", want, out)
		}
	}
	if code != ExitNo {
		t.Errorf("exit %d; want 1", code)
	}
}

// TestREADMEShowsTheRealOutput: the README's examples are the golden outputs, so they
// stay true when the output changes.
func TestREADMEShowsTheRealOutput(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"can-i-yes", "can-i-no", "who-can", "matrix"} {
		golden, err := os.ReadFile(filepath.Join("testdata", "golden", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		_, out, _ := strings.Cut(string(golden), "\n")
		if !strings.Contains(string(readme), out) {
			t.Errorf("README.md does not show the current output of %s (testdata/golden/%s.txt)", name, name)
		}
	}
}

// TestCapabilityTestsReport: a failing capability assertion prints what was expected,
// what the model says and the model's message, for check-like and whoCan assertions.
func TestCapabilityTestsReport(t *testing.T) {
	code, out, _ := run(t, "", "test", "testdata/capability-test.yaml")
	if code != 0 || !strings.HasSuffix(out, "3 passed, 0 failed\n") {
		t.Errorf("the capability tests: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "", "test", "testdata/failing-capability-test.yaml")
	for _, want := range []string{
		"FAIL  WorkCenter Administrators delete WorkCenters (they do not)",
		"capabilities daniel-kim in every WorkCenter: allow workCenters.delete: expected yes, the model says no",
		"step 5 (memberType): daniel-kim (WorkCenterAdministrator) may not workCenters.delete: Account Administrators (maria-lopez) hold it in every WorkCenter",
		"whoCan workCenters.archive in every WorkCenter: expected [maria-lopez, priya-shah], the model says [daniel-kim, maria-lopez]",
		"daniel-kim can: daniel-kim (WorkCenterAdministrator) may workCenters.archive: WorkCenter Administrators hold it in every WorkCenter",
		"priya-shah cannot: step 5 (memberType): priya-shah (Member) may not workCenters.archive",
		"0 passed, 1 failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("test output lacks %q:\n%s", want, out)
		}
	}
	if code != ExitNo {
		t.Errorf("exit %d; want 1", code)
	}
	_, out, _ = run(t, "", "test", "testdata/failing-capability-test.yaml", "-o", "json")
	var run TestRun
	if err := json.Unmarshal([]byte(out), &run); err != nil || run.Failed != 1 || len(run.Results) != 1 || len(run.Results[0].Failures) != 2 {
		t.Errorf("-o json: %v %+v", err, run)
	}
}

// TestCapabilityAnswersAreTheModelsMessage: can-i's explanation of a capability is the
// model's decision (MayDo) on the same manifests, its message word for word, in text and
// in JSON, for every capability and collaborator of the samples, everywhere and in a
// WorkCenter.
func TestCapabilityAnswersAreTheModelsMessage(t *testing.T) {
	set, err := manifests.Load(manifests.Options{Files: []string{samples}})
	if err != nil {
		t.Fatal(err)
	}
	m := set.Model("acme")
	for _, c := range m.Collaborators() {
		for _, info := range model.Capabilities() {
			for _, wc := range []string{"", "tower-a"} {
				args := []string{"can-i", string(info.Capability), "--as", c.Name, "-f", samples}
				if wc != "" {
					args = append(args, "--workcenter", wc, "--capability")
				}
				want := m.MayDo(c, string(info.Capability), wc)
				code, text, _ := run(t, "", args...)
				_, js, _ := run(t, "", append(args, "-o", "json")...)
				var d struct {
					Allowed bool
					Message string
				}
				if err := json.Unmarshal([]byte(js), &d); err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
				if d.Allowed != want.Allowed || d.Message != want.Message || len(lines) != 3 || lines[2] != "> "+want.Message ||
					lines[0] != yesNo(want.Allowed) || (code == ExitYes) != want.Allowed {
					t.Errorf("%v: exit %d\n%s\njson %s\nthe model says %+v", args, code, text, js, want)
				}
			}
		}
	}
}

// TestDocsShowTheRealOutput: docs/procorem.md's examples are the golden outputs, so they
// stay true when the output changes.
func TestDocsShowTheRealOutput(t *testing.T) {
	doc, err := os.ReadFile("../../docs/procorem.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"can-i-yes", "can-i-no", "who-can", "can-i-capability-yes", "can-i-capability-no",
		"can-i-capability-workcenter", "who-can-capability", "access-admin", "recipients"} {
		golden, err := os.ReadFile(filepath.Join("testdata", "golden", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		_, out, _ := strings.Cut(string(golden), "\n")
		if !strings.Contains(string(doc), out) {
			t.Errorf("docs/procorem.md does not show the current output of %s (testdata/golden/%s.txt)", name, name)
		}
	}
}
