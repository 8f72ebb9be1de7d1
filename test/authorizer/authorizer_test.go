package authorizer

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

const (
	tom  = "tom.becker@acme-builders.example"
	jane = "jane.doe@steelworks-partner.example"
)

// The README's two questions, through kubectl as a person types them (kubectl sends the
// resource as files.procorem.workcenter.io: no API serves the group).
func TestKubectlAuthCanI(t *testing.T) {
	ctx := context.Background()
	out, _, err := env.Kubectl(ctx, "auth", "can-i", "upload", "files.procorem.workcenter.io/tower-a", "-n", "acme", "--as", tom)
	if err != nil || strings.TrimSpace(out) != "yes" {
		t.Errorf("kubectl auth can-i upload files.procorem.workcenter.io/tower-a -n acme --as %s: %q, %v; want yes", tom, out, err)
	}
	out, _, err = env.Kubectl(ctx, "auth", "can-i", "create", "tasks.procorem.workcenter.io/tower-a", "-n", "acme", "--as", jane)
	if err == nil || !strings.HasPrefix(out, "no - jane-doe (Guest) may not tasks.create in WorkCenter \"tower-a\"") {
		t.Errorf("kubectl auth can-i create tasks.procorem.workcenter.io/tower-a -n acme --as %s: %q, %v; want no with the reason", jane, out, err)
	}
	// A capability, as the resource account.
	out, _, err = env.Kubectl(ctx, "auth", "can-i", "workcenters.delete", "account.procorem.workcenter.io", "-n", "acme", "--as", "maria.lopez@acme-builders.example")
	if err != nil || strings.TrimSpace(out) != "yes" {
		t.Errorf("the Account Administrator's workCenters.delete: %q, %v; want yes", out, err)
	}
}

// Each step that can deny, through the API server: the reason is the decision's.
func TestDenialSteps(t *testing.T) {
	ns := namespace(t, "steps")
	create(t,
		fixtures.Account(ns, "steps", 2),
		fixtures.Role(ns, "uploader", fixtures.Includes("read-only"), fixtures.Perms("files.upload")),
		fixtures.WorkCenter(ns, "site"),
		fixtures.WorkCenter(ns, "old", fixtures.Archived),
		fixtures.Collaborator(ns, "anna", v1alpha1.Member, "site=uploader", "old=uploader"),
	)
	time.Sleep(10 * time.Millisecond) // bert is younger: the license goes to anna first
	create(t, fixtures.Collaborator(ns, "bert", v1alpha1.Member, "site=uploader"))
	create(t, fixtures.Collaborator(ns, "gus", v1alpha1.Guest, "site=uploader"))
	closed := namespace(t, "closed")
	acct := fixtures.Account(closed, "closed", 1)
	acct.Spec.State = v1alpha1.AccountDeactivated
	create(t, acct, fixtures.Role(closed, "uploader", fixtures.Includes("read-only"), fixtures.Perms("files.upload")),
		fixtures.WorkCenter(closed, "site"), fixtures.Collaborator(closed, "cleo", v1alpha1.Member, "site=uploader"))
	eventually(t, "anna may upload in site", func() error { return expect(ns, "anna", "files", "upload", "site", "allowed", "uploader") })

	// No license: licenses lowered to 1, bert (the younger Member) holds none.
	update(t, &v1alpha1.Account{}, ns, "steps", func(o client.Object) { o.(*v1alpha1.Account).Spec.Licenses = 1 })
	// A Rejected assignment: the Guest gus holds a member-only role (R2). Admission
	// refuses that; it gets in as it would while the webhooks were not installed (the
	// controllers still judge it).
	withoutAdmission(t, func() {
		create(t, fixtures.Role(ns, "planner", fixtures.Includes("read-only"), fixtures.Perms("tasks.create")))
		update(t, &v1alpha1.Collaborator{}, ns, "gus", func(o client.Object) {
			o.(*v1alpha1.Collaborator).Spec.WorkCenters = []v1alpha1.WorkCenterAssignment{{Name: "site", Role: "planner"}}
		})
	})
	for _, tc := range []struct{ who, resource, verb, namespace, wc, want, says string }{
		{"anna", "files", "upload", ns, "site", "allowed", `role "uploader" grants files.upload`},
		{"anna", "folders", "delete", ns, "site", "denied", `role "uploader" does not grant folders.delete`},
		{"anna", "files", "upload", ns, "old", "denied", "archived"},
		{"anna", "files", "download", ns, "old", "allowed", ""},
		{"bert", "files", "upload", ns, "site", "denied", "holds no license"},
		{"gus", "files", "download", ns, "site", "denied", "Rejected"},
		{"cleo", "files", "download", closed, "site", "denied", "is Deactivated, which gives nobody anything (step 1)"},
	} {
		eventually(t, fmt.Sprintf("%s %s.%s in %s/%s", tc.who, tc.resource, tc.verb, tc.namespace, tc.wc), func() error {
			return expect(tc.namespace, tc.who, tc.resource, tc.verb, tc.wc, tc.want, tc.says)
		})
	}
}

// A change is in the next answer: within a second of the API server accepting it (the
// manager's cache follows its watch; nothing caches the answers).
func TestChangesWithinASecond(t *testing.T) {
	ns := namespace(t, "changes")
	create(t,
		fixtures.Account(ns, "changes", 2),
		fixtures.Role(ns, "editor", fixtures.Includes("read-only"), fixtures.Perms("files.upload")),
		fixtures.Role(ns, "poster", fixtures.Includes("read-only"), fixtures.Perms("posts.create")),
		fixtures.WorkCenter(ns, "w1"), fixtures.WorkCenter(ns, "w2"), fixtures.WorkCenter(ns, "w3"),
		fixtures.Collaborator(ns, "m1", v1alpha1.Member, "w1=editor", "w2=poster"),
	)
	time.Sleep(10 * time.Millisecond)
	create(t, fixtures.Collaborator(ns, "m2", v1alpha1.Member, "w3=poster"))
	for _, q := range [][3]string{{"m1", "files", "w1"}, {"m1", "posts", "w2"}, {"m2", "posts", "w3"}} {
		verb := map[string]string{"files": "upload", "posts": "create"}[q[1]]
		eventually(t, "the account's first answers", func() error { return expect(ns, q[0], q[1], verb, q[2], "allowed", "") })
	}
	for _, change := range []struct {
		name                string
		obj                 client.Object
		objName             string
		edit                func(client.Object)
		who, resource, verb string
		wc, says            string
	}{
		{"a role edited", &v1alpha1.WorkCenterRole{}, "editor", func(o client.Object) {
			o.(*v1alpha1.WorkCenterRole).Spec.Permissions = []v1alpha1.Permission{"fileComments.create"}
		}, "m1", "files", "upload", "w1", `role "editor" does not grant files.upload`},
		{"a WorkCenter archived", &v1alpha1.WorkCenter{}, "w2", func(o client.Object) { o.(*v1alpha1.WorkCenter).Spec.Archived = true },
			"m1", "posts", "create", "w2", "archived"},
		{"licenses lowered", &v1alpha1.Account{}, "changes", func(o client.Object) { o.(*v1alpha1.Account).Spec.Licenses = 1 },
			"m2", "posts", "create", "w3", "holds no license"},
		{"the account deactivated", &v1alpha1.Account{}, "changes", func(o client.Object) { o.(*v1alpha1.Account).Spec.State = v1alpha1.AccountDeactivated },
			"m1", "workcenter", "view", "w1", "is Deactivated, which gives nobody anything (step 1)"},
	} {
		if change.name == "the account deactivated" {
			if err := expect(ns, "m1", "workcenter", "view", "w1", "allowed", ""); err != nil {
				t.Fatal(err)
			}
		}
		update(t, change.obj, ns, change.objName, change.edit)
		accepted := time.Now()
		var last error
		for time.Since(accepted) < time.Second {
			if last = expect(ns, change.who, change.resource, change.verb, change.wc, "denied", change.says); last == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		if last != nil {
			t.Errorf("%s: the answer one second later: %v", change.name, last)
			continue
		}
		t.Logf("%s: in the answer %s after the API server accepted it", change.name, time.Since(accepted).Round(time.Millisecond))
	}
}

// Bad input is answered, with a reason; the API server never reports an error.
func TestBadInput(t *testing.T) {
	empty := namespace(t, "no-account")
	for _, tc := range []struct {
		name, user string
		attrs      *authorizationv1.ResourceAttributes
		want, says string
	}{
		{"another group: RBAC alone", tom, &authorizationv1.ResourceAttributes{Namespace: "acme", Group: "apps", Resource: "deployments", Verb: "get"}, "noOpinion", ""},
		{"no WorkCenter named", tom, in("acme", "files", "upload", ""), "denied", "name the WorkCenter"},
		{"an unknown WorkCenter", tom, in("acme", "files", "upload", "tower-z"), "denied", `WorkCenter "tower-z" does not exist`},
		{"an unknown permission", tom, in("acme", "files", "uplod", "tower-a"), "denied", "nearest: files.upload"},
		{"an unknown user", "nobody@example.com", in("acme", "files", "upload", "tower-a"), "noOpinion", "not a Collaborator"},
		{"a namespace without an Account", tom, in(empty, "files", "upload", "tower-a"), "noOpinion", "holds no Collaborator"},
		{"a namespace that does not exist", tom, in("no-such-namespace", "files", "upload", "tower-a"), "noOpinion", "holds no Collaborator"},
		{"no namespace", tom, in("", "files", "upload", "tower-a"), "noOpinion", "names the account's namespace"},
		{"a subresource", tom, &authorizationv1.ResourceAttributes{Namespace: "acme", Group: "procorem.workcenter.io", Resource: "files", Subresource: "status", Verb: "upload", Name: "tower-a"}, "denied", "no subresources"},
	} {
		st := ask(t, tc.user, tc.attrs)
		if got := opinion(st); got != tc.want || !strings.Contains(st.Reason, tc.says) || st.EvaluationError != "" {
			t.Errorf("%s: %s %q (evaluation error %q), want %s saying %q", tc.name, got, st.Reason, st.EvaluationError, tc.want, tc.says)
		}
	}
}

// The direct endpoint: a ServiceAccount bound to the authorizer-client ClusterRole in an
// account's namespace asks with its token and gets the API server's answer; others are
// refused.
func TestDirectEndpoint(t *testing.T) {
	docs, stranger := clientToken(t, "docs", true), clientToken(t, "stranger", false)

	for _, q := range []struct {
		user  string
		attrs *authorizationv1.ResourceAttributes
	}{
		{tom, in("acme", "files", "upload", "tower-a")},
		{jane, in("acme", "tasks", "create", "tower-a")},
		{tom, in("acme", "files", "upload", "hq-fitout")},
		{"maria.lopez@acme-builders.example", in("acme", "account", "users.upgrade", "")},
		{"nobody@example.com", in("acme", "files", "upload", "tower-a")},
	} {
		code, st, msg := direct(t, docs, q.user, q.attrs)
		if code != http.StatusOK {
			t.Fatalf("%s %+v: %d %s", q.user, q.attrs, code, msg)
		}
		viaAPI := ask(t, q.user, q.attrs)
		if opinion(st) != opinion(viaAPI) || !strings.HasSuffix(viaAPI.Reason, st.Reason) {
			t.Errorf("%s %+v: the direct endpoint says %s %q, the API server %s %q", q.user, q.attrs, opinion(st), st.Reason, opinion(viaAPI), viaAPI.Reason)
		}
	}
	for _, tc := range []struct {
		name, token, namespace string
		code                   int
		says                   string
	}{
		{"no token", "", "acme", 401, "Bearer"},
		{"a forged token", "forged", "acme", 401, "not valid"},
		{"a ServiceAccount without the ClusterRole", stranger, "acme", 403, "may not create subjectaccessreviews.procorem.workcenter.io"},
		{"a namespace it is not bound in", docs, "elsewhere", 403, `in namespace "elsewhere"`},
	} {
		if code, _, msg := direct(t, tc.token, tom, in(tc.namespace, "files", "upload", "tower-a")); code != tc.code || !strings.Contains(msg, tc.says) {
			t.Errorf("%s: %d %q, want %d %q", tc.name, code, msg, tc.code, tc.says)
		}
	}
}

// The example client of docs/examples asks both ways and gets the same answer.
func TestExampleClient(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "authorizer-client")
	build := exec.Command("go", "build", "-o", bin, "./docs/examples/authorizer-client")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the example: %v\n%s", err, out)
	}
	ca, token := filepath.Join(dir, "ca.crt"), filepath.Join(dir, "token")
	if err := os.WriteFile(ca, env.WebhookCA, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(token, []byte(clientToken(t, "example", true)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, verb, resource string
		code                 int
		says                 string
	}{
		{tom, "upload", "files/tower-a", 0, `yes - tom-becker (Member) may files.upload in WorkCenter "tower-a"`},
		{jane, "create", "tasks/tower-a", 1, `no - jane-doe (Guest) may not tasks.create in WorkCenter "tower-a"`},
		{"maria.lopez@acme-builders.example", "users.upgrade", "account", 0, "yes - maria-lopez (AccountAdministrator) may users.upgrade"},
	} {
		cmd := exec.Command(bin, "--kubeconfig", env.KubeconfigPath, "--direct-url", env.WebhookURL+"/subjectaccessreviews",
			"--ca-file", ca, "--token-file", token, "-n", "acme", "--as", tc.user, tc.verb, tc.resource)
		out, err := cmd.Output()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if code != tc.code || len(lines) != 2 || !strings.HasPrefix(lines[0], "through the API server: "+tc.says) || !strings.HasPrefix(lines[1], "directly: "+tc.says) {
			t.Errorf("authorizer-client --as %s %s %s: exit %d\n%s\nwant exit %d, both ways %q", tc.user, tc.verb, tc.resource, code, out, tc.code, tc.says)
		}
	}
}

// clientToken is a token of a new ServiceAccount of namespace apps, bound (bound) to the
// authorizer-client ClusterRole in acme.
func clientToken(t testing.TB, name string, bound bool) string {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "rbac", "authorizer_client_role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.Unmarshal(data, &role); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, &role); client.IgnoreAlreadyExists(err) != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}); client.IgnoreAlreadyExists(err) != nil {
		t.Fatal(err)
	}
	create(t, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "apps", Name: name}})
	if bound {
		create(t, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: name + "-asks-the-authorizer"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "apps", Name: name}}})
	}
	tr, err := admin.CoreV1().ServiceAccounts("apps").CreateToken(ctx, name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// 1,000 reviews at once through the API server: every one answered, none an error or a
// timeout of the webhook.
func TestConcurrentReviews(t *testing.T) {
	before, err := apiServerMetrics()
	if err != nil {
		t.Fatal(err)
	}
	questions := []struct {
		user  string
		attrs *authorizationv1.ResourceAttributes
		want  string
	}{
		{tom, in("acme", "files", "upload", "tower-a"), "allowed"},
		{jane, in("acme", "tasks", "create", "tower-a"), "denied"},
		{tom, in("acme", "posts", "create", "hq-fitout"), "denied"},
		{"nobody@example.com", in("acme", "files", "upload", "tower-a"), "noOpinion"},
	}
	const n = 1000
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := questions[i%len(questions)]
			sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
				Spec: authorizationv1.SubjectAccessReviewSpec{User: q.user, ResourceAttributes: q.attrs}}, metav1.CreateOptions{})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				failures = append(failures, err.Error())
			case opinion(sar.Status) != q.want || sar.Status.EvaluationError != "":
				failures = append(failures, fmt.Sprintf("%s: %s %q %q", q.user, opinion(sar.Status), sar.Status.Reason, sar.Status.EvaluationError))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(failures) > 0 {
		t.Errorf("%d of %d concurrent reviews failed, the first: %s", len(failures), n, failures[0])
	}
	after, err := apiServerMetrics()
	if err != nil {
		t.Fatal(err)
	}
	calls := after.count("apiserver_authorization_webhook_evaluations_total", "success") - before.count("apiserver_authorization_webhook_evaluations_total", "success")
	for _, bad := range []string{"error", "timeout", "canceled"} {
		if d := after.count("apiserver_authorization_webhook_evaluations_total", bad) - before.count("apiserver_authorization_webhook_evaluations_total", bad); d > 0 {
			t.Errorf("the API server counts %v webhook calls ending in %s", d, bad)
		}
	}
	if calls < n {
		t.Errorf("the API server called the authorizer %v times for %d reviews", calls, n)
	}
	t.Logf("%d concurrent reviews in %s (%.0f/s); the API server's webhook latency: %s", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		after.minus(before).summary())
}

// The manager down: the webhook cannot be reached, the failure policy (NoOpinion) hands
// the question to the rest of the chain, RBAC, which decides. This test stops the
// manager: it runs last.
func TestZManagerDown(t *testing.T) {
	ctx := context.Background()
	// RBAC grants tom upload on files in acme (a Role, as a platform team might): while
	// the authorizer answers, its decision comes first.
	create(t,
		&rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "rbac-uploads"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{"procorem.workcenter.io"}, Resources: []string{"files"}, Verbs: []string{"upload"}}}},
		&rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: "acme", Name: "rbac-uploads"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "rbac-uploads"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: tom}}},
	)
	if st := ask(t, tom, in("acme", "files", "upload", "hq-fitout")); opinion(st) != "denied" {
		t.Fatalf("with the manager up, the archived WorkCenter's upload: %s %q; the authorizer's denial is final", opinion(st), st.Reason)
	}
	if err := env.StopManager(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	st := ask(t, tom, in("acme", "files", "upload", "hq-fitout"))
	if !st.Allowed {
		t.Errorf("the manager down, RBAC grants it: %s %q %q; want allowed by RBAC", opinion(st), st.Reason, st.EvaluationError)
	}
	st = ask(t, tom, in("acme", "folders", "delete", "tower-a"))
	if st.Allowed || st.Denied {
		t.Errorf("the manager down, RBAC grants nothing: %s %q; want no opinion (not allowed)", opinion(st), st.Reason)
	}
	t.Logf("with the manager down: allowed=%v denied=%v reason %q evaluationError %q (two reviews in %s: a refused connection is not retried)",
		st.Allowed, st.Denied, st.Reason, st.EvaluationError, time.Since(start).Round(time.Millisecond))
	_ = ctx
}

// withoutAdmission runs f with the validating webhook configurations removed, as a
// cluster would be before they are installed, and installs them again.
func withoutAdmission(t testing.TB, f func()) {
	t.Helper()
	ctx := context.Background()
	hooks := admin.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	list, err := hooks.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range list.Items {
		if err := hooks.Delete(ctx, h.Name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	defer func() {
		for _, h := range list.Items {
			h.ResourceVersion, h.UID, h.CreationTimestamp, h.ManagedFields, h.Generation = "", "", metav1.Time{}, nil, 0
			if _, err := hooks.Create(ctx, &h, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
	}()
	f()
}

// expect checks the API server's answer about Collaborator who (<who>@example.com) in
// namespace: want, and a reason that says says.
func expect(namespace, who, resource, verb, wc, want, says string) error {
	sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{User: who + "@example.com", ResourceAttributes: in(namespace, resource, verb, wc)}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	if got := opinion(sar.Status); got != want || !strings.Contains(sar.Status.Reason, says) {
		return fmt.Errorf("%s %s.%s in %s: %s %q, want %s saying %q", who, resource, verb, wc, got, sar.Status.Reason, want, says)
	}
	return nil
}

func eventually(t testing.TB, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// update reads the object, edits it and writes it back, retrying on conflicts.
func update(t testing.TB, obj client.Object, namespace, name string, edit func(client.Object)) {
	t.Helper()
	eventually(t, "updating "+name, func() error {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
			return err
		}
		edit(obj)
		return env.Client.Update(context.Background(), obj)
	})
}

// namespace creates a namespace with a generated name.
func namespace(t testing.TB, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// direct posts a review to the manager's direct endpoint with token.
func direct(t testing.TB, token, user string, attrs *authorizationv1.ResourceAttributes) (int, authorizationv1.SubjectAccessReviewStatus, string) {
	t.Helper()
	body, err := json.Marshal(authorizationv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"},
		Spec:     authorizationv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: attrs}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, env.WebhookURL+"/subjectaccessreviews", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(env.WebhookCA)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var st metav1.Status
		_ = json.Unmarshal(data, &st)
		return resp.StatusCode, authorizationv1.SubjectAccessReviewStatus{}, st.Message
	}
	var sar authorizationv1.SubjectAccessReview
	if err := json.Unmarshal(data, &sar); err != nil {
		t.Fatalf("%v: %s", err, data)
	}
	return resp.StatusCode, sar.Status, ""
}

func ptr[T any](v T) *T { return &v }
