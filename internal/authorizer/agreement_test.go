package authorizer

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/procorem"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

// One decision, three doors: the authorization webhook, the direct endpoint and
// `kubectl procorem can-i` give the same answer on every sample person, every
// WorkCenter permission in every WorkCenter, and every capability (in the account and
// in every WorkCenter). For a capability the reason is the same text (the decision's
// Message, which can-i prints after ">"). For a WorkCenter permission can-i explains
// effective access step by step (internal/query) where the doors give the decision's
// one-line message: the answer is compared, and the reason must name the person and the
// permission.
func TestDoorsAgreeWithKubectlProcorem(t *testing.T) {
	s, m, _ := newTestServer(t)
	a := m.byNamespace["acme"]
	doors := map[string]http.Handler{DoorWebhook: s.WebhookHandler(), DoorDirect: s.DirectHandler()}
	ask := func(user, resource, verb, name string) (allowed bool, reason string) {
		t.Helper()
		var first *string
		for door, h := range doors {
			code, st, f := post(t, h, "app-token", review(user, attrs("acme", resource, verb, name)))
			if code != http.StatusOK {
				t.Fatalf("%s door: %d %s", door, code, f.Message)
			}
			if !st.Allowed && !st.Denied {
				t.Fatalf("%s door: no opinion on a sample person (%s %s/%s %s): %s", door, user, resource, verb, name, st.Reason)
			}
			if first != nil && *first != st.Reason {
				t.Fatalf("the doors differ on %s %s/%s %s:\n%s\n%s", user, resource, verb, name, *first, st.Reason)
			}
			first, allowed = &st.Reason, st.Allowed
		}
		return allowed, *first
	}
	canI := func(args ...string) (int, []byte) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := procorem.Main(append(args, "-f", samples, "-o", "json"), strings.NewReader(""), &out, &errOut)
		if code == procorem.ExitError {
			t.Fatalf("kubectl procorem %s: %s", strings.Join(args, " "), errOut.String())
		}
		return code, out.Bytes()
	}
	e := query.New(a, metav1.Now())
	questions := 0
	for _, c := range a.Collaborators() {
		for _, wc := range a.WorkCenters() {
			for _, p := range model.Catalog() {
				res, verb := model.ResourceVerb(string(p.Permission))
				allowed, reason := ask(c.Spec.Email, res, verb, wc.Name)
				questions++
				// What kubectl procorem can-i computes and prints (-o json), without
				// reading the samples again for each of these questions.
				d := e.Check(c, wc.Name, p.Permission)
				if d.Allowed != allowed {
					t.Errorf("%s %s in %s: the doors say %v (%s), kubectl procorem can-i says %v (%s)",
						c.Name, p.Permission, wc.Name, allowed, reason, d.Allowed, d.Reason())
				}
				if !strings.Contains(reason, c.Name) || !strings.Contains(reason, string(p.Permission)) {
					t.Errorf("%s %s in %s: the reason names neither: %s", c.Name, p.Permission, wc.Name, reason)
				}
			}
		}
		for _, info := range model.Capabilities() {
			for _, wc := range append([]string{""}, names(a)...) {
				if wc != "" && info.Scope != model.ScopeWorkCenter {
					continue
				}
				// A name that is both (collaborators.remove) is the capability under
				// resource account.
				allowed, reason := ask(c.Spec.Email, model.AccountResource, strings.ToLower(string(info.Capability)), wc)
				questions++
				d := e.CanCapability(c, info.Capability, wc)
				if d.Allowed != allowed || d.Message != reason {
					t.Errorf("capability %s of %s in %q: the doors say %v %q, kubectl procorem can-i %v %q",
						info.Capability, c.Name, wc, allowed, reason, d.Allowed, d.Message)
				}
			}
		}
	}
	t.Logf("%d questions", questions)

	// And kubectl procorem itself, the command a person runs, on one question of each
	// kind for every person: a WorkCenter permission, a capability of the account, one
	// of a WorkCenter.
	for _, c := range a.Collaborators() {
		allowed, _ := ask(c.Spec.Email, "tasks", "create", "tower-a")
		code, out := canI("can-i", "tasks.create", "--as", c.Spec.Email, "--workcenter", "tower-a")
		var d query.Decision
		if err := json.Unmarshal(out, &d); err != nil {
			t.Fatal(err)
		}
		if d.Allowed != allowed || (code == procorem.ExitYes) != allowed {
			t.Errorf("%s tasks.create in tower-a: the doors say %v, kubectl procorem can-i %v (exit %d)", c.Name, allowed, d.Allowed, code)
		}
		for _, q := range []struct{ capability, wc string }{{"users.upgrade", ""}, {"workCenters.edit", "tower-a"}} {
			_, verb := model.ResourceVerb(q.capability)
			allowed, reason := ask(c.Spec.Email, model.AccountResource, verb, q.wc)
			args := []string{"can-i", q.capability, "--as", c.Name}
			if q.wc != "" {
				args = append(args, "--workcenter", q.wc)
			}
			code, out := canI(args...)
			var cd query.CapabilityDecision
			if err := json.Unmarshal(out, &cd); err != nil {
				t.Fatal(err)
			}
			if cd.Allowed != allowed || cd.Message != reason || (code == procorem.ExitYes) != allowed {
				t.Errorf("%s %s %q: the doors say %v %q, kubectl procorem can-i %v %q (exit %d)", c.Name, q.capability, q.wc, allowed, reason, cd.Allowed, cd.Message, code)
			}
		}
	}
}

func names(a *model.Account) []string {
	var out []string
	for _, wc := range a.WorkCenters() {
		out = append(out, wc.Name)
	}
	return out
}
