package procorem

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestMatrixPages: a text matrix wider than --width is split into pages of role columns
// that each fit, each repeating the PERMISSION column, every role on exactly one page in
// order; --width 0 (and a pipe, by default) is the one table of the golden file.
func TestMatrixPages(t *testing.T) {
	_, whole, _ := run(t, "", "matrix", "-f", samples)
	code, zero, _ := run(t, "", "matrix", "--width", "0", "-f", samples)
	if code != 0 || zero != whole {
		t.Errorf("--width 0 differs from the default (not a terminal):\n%s", zero)
	}
	roles := strings.Fields(strings.SplitN(whole, "\n", 2)[0])[1:]
	for _, width := range []int{50, 60, 80, 200} {
		code, out, errOut := run(t, "", "matrix", "--width", fmt.Sprint(width), "-f", samples)
		if code != 0 || errOut != "" {
			t.Fatalf("--width %d: exit %d %s", width, code, errOut)
		}
		var got []string
		pages := 0
		for line := range strings.Lines(out) {
			line = strings.TrimSuffix(line, "\n")
			if n := len([]rune(line)); n > width && !strings.HasPrefix(line, "*") {
				t.Errorf("--width %d: a line of %d columns: %q", width, n, line)
			}
			if strings.HasPrefix(line, "PERMISSION ") {
				pages++
				got = append(got, strings.Fields(line)[1:]...)
			}
		}
		if strings.Join(got, " ") != strings.Join(roles, " ") {
			t.Errorf("--width %d: the pages' roles are %v; want %v", width, got, roles)
		}
		if paged := strings.HasPrefix(out, "roles 1-") || strings.HasPrefix(out, "role 1 of"); paged != (pages > 1) || (width == 200) == (pages > 1) {
			t.Errorf("--width %d: %d pages, header %v:\n%s", width, pages, paged, out)
		}
	}
	// 53 roles of 12 characters: 511 columns in one table; pages of at most 100 columns.
	rows := [][]string{{"PERMISSION"}}
	for i := range 53 {
		rows[0] = append(rows[0], fmt.Sprintf("role-%07d", i))
	}
	rows = append(rows, append([]string{"collaborators.changeRole *"}, make([]string, 53)...))
	pages := matrixPages(rows, 100)
	n := 0
	for _, p := range pages {
		if w := 26 + 14*len(p); w > 100 || p[0] != n+1 {
			t.Errorf("page %v: %d columns wide, or roles missing before it", p, w)
		}
		n = p[len(p)-1]
	}
	if len(pages) != 11 || n != 53 {
		t.Errorf("%d pages ending at role %d; want 11 pages (5 roles a page) of every role", len(pages), n)
	}
	if p := matrixPages(rows, 10); len(p) != 53 {
		t.Errorf("a width narrower than one role: %d pages; want one role a page", len(p))
	}
}

// TestCommandLineErrors: the plugin's own error style (one line, what was wrong and what
// to do) for what cobra or client-go would word otherwise.
func TestCommandLineErrors(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBECONFIG", filepath.Join(dir, "none"))
	t.Setenv("HOME", dir)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"access without WHO", []string{"access", "-f", samples}, "error: access takes one WHO, a Collaborator's name or email, got 0 arguments (usage: kubectl procorem access WHO)\n"},
		{"access with two", []string{"access", "a", "b", "-f", samples}, "error: access takes one WHO, a Collaborator's name or email, got 2 arguments (usage: kubectl procorem access WHO)\n"},
		{"who-can without NAME", []string{"who-can", "-f", samples}, "error: who-can takes one NAME, a permission or a capability, got 0 arguments (usage: kubectl procorem who-can NAME [--workcenter WC] [--capability] [--show-denied])\n"},
		{"test without a file", []string{"test"}, "error: test takes one or more access test files (usage: kubectl procorem test FILE...)\n"},
		{"validate with an argument", []string{"validate", "config/samples"}, `error: validate takes no arguments, got "config/samples": give the manifests with -f PATH or -k DIR` + "\n"},
		{"a namespace without an account", []string{"access", "jane-doe", "-n", "gamma", "-f", samples + "/01-account.yaml"},
			"error: there is no account in namespace gamma: the manifests hold no object of the access.workcenter.io kinds there; there is one in namespace acme (-n acme)\n"},
		{"no kubeconfig", []string{"access", "jane-doe"},
			"error: no cluster to ask: no kubeconfig found (looked in $KUBECONFIG and ~/.kube/config); give one with --kubeconfig FILE or the KUBECONFIG environment variable, or answer offline from manifests with -f PATH or -k DIR\n"},
		{"--as offline", []string{"access", "jane-doe", "--as", "someone", "-f", samples},
			"error: --as and --as-group impersonate a user of the cluster; reading manifests (-f, -k, validate, test) there is no cluster to ask\n"},
		{"--as-group with can-i", []string{"can-i", "files.upload", "--as", "jane-doe", "--workcenter", "tower-a", "--as-group", "g", "-f", samples},
			"error: can-i's --as names the Collaborator asked about; --as-group has no meaning there (read the cluster as another user with a kubeconfig context of theirs)\n"},
		{"--as-group without --as", []string{"matrix", "--as-group", "g"}, "error: --as-group needs --as: the API server impersonates groups of a user\n"},
		{"--quiet --list", []string{"can-i", "--list", "-q", "--as", "jane-doe", "-f", samples}, "error: --list takes no --quiet: --quiet prints nothing, and a list always exits 0\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := run(t, "", tc.args...)
			if code != ExitError || out != "" || errOut != tc.want {
				t.Errorf("exit %d, stdout %q, stderr\n%q\nwant\n%q", code, out, errOut, tc.want)
			}
		})
	}
	// With several accounts elsewhere, all are named, in natural order.
	if err := noAccount("gamma", "why", []string{"ns-10", "ns-9"}); err.Error() != "there is no account in namespace gamma: why; there are accounts in namespaces ns-9, ns-10 (choose one with -n)" {
		t.Errorf("noAccount: %v", err)
	}
}

// TestHelpNamesEachCommandsFormats: -o's help names the formats the command takes.
func TestHelpNamesEachCommandsFormats(t *testing.T) {
	for cmd, want := range map[string]string{
		"matrix": "Output format: text, json, markdown or csv",
		"access": "Output format: text or json (default",
		"can-i":  "Output format: text or json (default",
	} {
		_, out, _ := run(t, "", cmd, "--help")
		if !strings.Contains(out, want) {
			t.Errorf("%s --help: -o is not %q:\n%s", cmd, want, out)
		}
	}
	_, out, _ := run(t, "", "--help")
	if !strings.Contains(out, "Output format: text or json (matrix: text, json, markdown or csv)") {
		t.Errorf("--help: -o does not say matrix's formats:\n%s", out)
	}
}

// TestLiveImpersonates: --as and --as-group reach the API server as kubectl sends them
// (Impersonate-User, Impersonate-Group), and a namespace with nothing in it is said to
// have no account, naming the namespaces that have one.
func TestLiveImpersonates(t *testing.T) {
	var mu sync.Mutex
	var users, groups []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if u := r.Header.Get("Impersonate-User"); u != "" {
			users = append(users, u)
		}
		groups = append(groups, r.Header.Values("Impersonate-Group")...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/api":
			fmt.Fprint(w, `{"kind":"APIVersions","versions":["v1"]}`)
		case r.URL.Path == "/apis":
			fmt.Fprint(w, `{"kind":"APIGroupList","groups":[{"name":"access.workcenter.io","versions":[{"groupVersion":"access.workcenter.io/v1alpha1","version":"v1alpha1"}],"preferredVersion":{"groupVersion":"access.workcenter.io/v1alpha1","version":"v1alpha1"}}]}`)
		case r.URL.Path == "/apis/access.workcenter.io/v1alpha1":
			fmt.Fprint(w, `{"kind":"APIResourceList","groupVersion":"access.workcenter.io/v1alpha1","resources":[`+
				`{"name":"accounts","namespaced":true,"kind":"Account","verbs":["list"]},`+
				`{"name":"workcenters","namespaced":true,"kind":"WorkCenter","verbs":["list"]},`+
				`{"name":"workcenterroles","namespaced":true,"kind":"WorkCenterRole","verbs":["list"]},`+
				`{"name":"collaborators","namespaced":true,"kind":"Collaborator","verbs":["list"]}]}`)
		case r.URL.Path == "/apis/access.workcenter.io/v1alpha1/accounts":
			fmt.Fprint(w, `{"kind":"AccountList","apiVersion":"access.workcenter.io/v1alpha1","metadata":{},"items":[`+
				`{"metadata":{"name":"acme","namespace":"acme"}},{"metadata":{"name":"b","namespace":"beta"}}]}`)
		case strings.HasPrefix(r.URL.Path, "/apis/access.workcenter.io/v1alpha1/namespaces/gamma/"):
			kind := map[string]string{"accounts": "AccountList", "workcenters": "WorkCenterList", "workcenterroles": "WorkCenterRoleList", "collaborators": "CollaboratorList"}[filepath.Base(r.URL.Path)]
			fmt.Fprintf(w, `{"kind":%q,"apiVersion":"access.workcenter.io/v1alpha1","metadata":{},"items":[]}`, kind)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: `+srv.URL+`}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: gamma}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := run(t, "", "who-can", "files.upload", "--workcenter", "tower-a", "--kubeconfig", kubeconfig, "--as", "priya.shah@acme-builders.example", "--as-group", "acme-staff", "--as-group", "auditors")
	want := "error: there is no account in namespace gamma: it holds no object of the access.workcenter.io kinds; there are accounts in namespaces acme, beta (choose one with -n)\n"
	if code != ExitError || errOut != want {
		t.Errorf("exit %d, stderr %q; want %q", code, errOut, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(users) == 0 || strings.Count(strings.Join(users, " ")+" ", "priya.shah@acme-builders.example ") != len(users) {
		t.Errorf("Impersonate-User headers %v; want priya.shah@acme-builders.example on every request", users)
	}
	if len(groups) != 2*len(users) || groups[0] != "acme-staff" || groups[1] != "auditors" {
		t.Errorf("Impersonate-Group headers %v; want acme-staff and auditors on every request", groups)
	}
}
