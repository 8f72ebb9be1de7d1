package query

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// recipientsAccount is the small account of query_test.go, with gus (read-only) emailed
// by digest, a role "lead" that has postCreated off, and people named so that only
// natural order sorts them right.
func recipientsAccount(t *testing.T) *Engine {
	return account(t, func(objs []any) []any {
		for _, o := range objs {
			switch o := o.(type) {
			case *v1alpha1.Collaborator:
				if o.Name == "gus" {
					o.Spec.EmailPreferences = &v1alpha1.EmailPreferences{Delivery: v1alpha1.EmailDigest}
				}
			case *v1alpha1.WorkCenterRole:
				if o.Name == "lead" {
					o.Spec.EmailNotifications = &v1alpha1.EmailNotifications{PostCreated: ptr.To(false)}
				}
			}
		}
		return append(objs,
			fixtures.Collaborator(ns, "user-10", v1alpha1.Guest, "tower-a=read-only"),
			fixtures.Collaborator(ns, "user-2", v1alpha1.Guest, "tower-a=read-only"),
			func() *v1alpha1.Collaborator {
				c := fixtures.Collaborator(ns, "user-3", v1alpha1.Guest, "tower-a=read-only")
				c.Spec.EmailPreferences = &v1alpha1.EmailPreferences{Disabled: []v1alpha1.EmailOption{v1alpha1.EmailPostCreated}}
				return c
			}())
	})
}

func TestRecipientsQuery(t *testing.T) {
	e := recipientsAccount(t)
	r, err := e.Recipients("postCreated", "tower-a")
	if err != nil {
		t.Fatal(err)
	}
	if r.Option != "postCreated" || r.Title != "Post Created" || !slices.Equal(r.Actions, []string{"Post created"}) || r.WorkCenter != "tower-a" || r.Archived {
		t.Errorf("heading %+v", r)
	}
	var emailed []string
	for _, p := range r.Emailed {
		emailed = append(emailed, p.Collaborator+":"+p.Role+":"+p.Delivery)
	}
	if want := []string{"gus:read-only:Digest", "user-2:read-only:Immediate", "user-10:read-only:Immediate"}; !slices.Equal(emailed, want) {
		t.Errorf("emailed %v; want %v", emailed, want)
	}
	var not []string
	for _, p := range r.NotEmailed {
		not = append(not, p.Collaborator+":"+p.Reason)
	}
	// ann: an AccountAdministrator not assigned; bob: lead has postCreated off; carl: no
	// license; gina: a guest holding a member-only role; pat: a missing role; user-3
	// turned it off.
	if want := []string{"ann:NotAssigned", "bob:OptionOffInRole", "carl:NoActiveAssignment", "gina:NoActiveAssignment",
		"pat:NoActiveAssignment", "user-3:DisabledByPerson"}; !slices.Equal(not, want) {
		t.Errorf("not emailed %v; want %v", not, want)
	}
	for _, p := range r.NotEmailed {
		switch {
		case p.Collaborator == "ann" && (p.Role != "" || p.Assignment != nil || p.AdminRole != "AccountAdministrator"):
			t.Errorf("ann: %+v", p)
		case p.Collaborator == "carl" && (p.Assignment == nil || p.Assignment.State != "Pending" || p.Assignment.Reason != "LicenseLimitExceeded"):
			t.Errorf("carl's assignment: %+v", p.Assignment)
		case p.Why == "":
			t.Errorf("%s: no why", p.Collaborator)
		}
	}

	// The same answer as the model's, person by person.
	m, _ := e.Model().Recipients("postCreated", "tower-a")
	if len(m.Emailed) != len(r.Emailed) || len(m.NotEmailed) != len(r.NotEmailed) {
		t.Errorf("the model emails %d and not %d; the query %d and %d", len(m.Emailed), len(m.NotEmailed), len(r.Emailed), len(r.NotEmailed))
	}

	r, _ = e.Recipients("postCreated", "old")
	if !r.Archived || len(r.Emailed) != 0 {
		t.Errorf("an archived WorkCenter emails %v", r.Emailed)
	}
}

// The JSON field names are API: docs/procorem.md lists them.
func TestRecipientsJSONShape(t *testing.T) {
	r, err := recipientsAccount(t).Recipients("postCreated", "tower-a")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(r)
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := keys(v), []string{"actions", "archived", "emailed", "notEmailed", "option", "title", "workCenter"}; !slices.Equal(got, want) {
		t.Errorf("fields %v; want %v", got, want)
	}
	first := v["emailed"].([]any)[0].(map[string]any)
	if got, want := keys(first), []string{"adminRole", "builtInRole", "collaborator", "delivery", "email", "role", "type", "why"}; !slices.Equal(got, want) {
		t.Errorf("emailed fields %v; want %v", got, want)
	}
	for _, n := range v["notEmailed"].([]any) {
		n := n.(map[string]any)
		if n["collaborator"] != "carl" {
			continue
		}
		if got, want := keys(n), []string{"adminRole", "assignment", "collaborator", "email", "reason", "role", "type", "why"}; !slices.Equal(got, want) {
			t.Errorf("notEmailed fields %v; want %v", got, want)
		}
	}
}

func TestRecipientsBadInput(t *testing.T) {
	e := recipientsAccount(t)
	_, err := e.Recipients("postCreate", "tower-a")
	var in *InputError
	if !errors.As(err, &in) || in.What != "email option" || len(in.Nearest) == 0 || in.Nearest[0] != "postCreated" {
		t.Errorf("an unknown option: %v", err)
	}
	_, err = e.Recipients("postCreated", "tower-b")
	if !errors.As(err, &in) || in.What != "WorkCenter" || err.Error() != `unknown WorkCenter "tower-b" in namespace acme; nearest: tower-a, old` {
		t.Errorf("an unknown WorkCenter: %v", err)
	}
}

// The matrix's email options are the model's.
func TestEmailOptionsAgree(t *testing.T) {
	if got := model.EmailOptionNames(); !slices.Equal(got, EmailOptions) {
		t.Errorf("the model's options %v; the matrix's %v", got, EmailOptions)
	}
}

// An assignment by a selector or a template says so in the answer: source, template.
func TestRecipientsSources(t *testing.T) {
	e := account(t, func(objs []any) []any {
		north := fixtures.WorkCenter(ns, "north")
		north.Labels = map[string]string{"region": "north"}
		tmpl := fixtures.WorkCenter(ns, "tmpl", func(w *v1alpha1.WorkCenter) { w.Spec.Template = true })
		pub := fixtures.WorkCenter(ns, "pub", func(w *v1alpha1.WorkCenter) { w.Spec.CollaboratorsFrom = "tmpl" })
		sel := fixtures.Collaborator(ns, "sel", v1alpha1.Guest, "tmpl=read-only")
		sel.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{"region": "north"}}, Role: "contributor"}}
		return append(objs, north, tmpl, pub, sel)
	})
	for wc, want := range map[string]EmailRecipient{
		"north": {Collaborator: "sel", Role: "contributor", Source: "Selector"},
		"pub":   {Collaborator: "sel", Role: "read-only", Source: "Template", Template: "tmpl"},
		"tmpl":  {Collaborator: "sel", Role: "read-only"},
	} {
		r, err := e.Recipients("fileUploaded", wc)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(r.Emailed, func(p EmailRecipient) bool { return p.Collaborator == "sel" })
		if i < 0 {
			t.Errorf("%s: sel is not emailed: %+v", wc, r.NotEmailed)
			continue
		}
		p := r.Emailed[i]
		if p.Role != want.Role || p.Source != want.Source || p.Template != want.Template {
			t.Errorf("%s: %+v; want role %s source %q template %q", wc, p, want.Role, want.Source, want.Template)
		}
	}
}
