package query

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// TestChecksNameSelectorsAndTemplates: can-i's assignment step says when the assignment
// comes from a selector or a template, and which template.
func TestChecksNameSelectorsAndTemplates(t *testing.T) {
	north := fixtures.WorkCenter(ns, "north")
	north.Labels = map[string]string{"region": "north"}
	tmpl := fixtures.WorkCenter(ns, "tmpl")
	tmpl.Spec.Template = true
	pub := fixtures.WorkCenter(ns, "pub")
	pub.Spec.CollaboratorsFrom = "tmpl"
	ann := fixtures.Collaborator(ns, "ann", v1alpha1.Member, "tmpl=contributor")
	ann.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{Selector: metav1.LabelSelector{MatchLabels: map[string]string{"region": "north"}}, Role: "contributor"}}
	m, err := model.Build(ns, fixtures.Account(ns, "acme", 2), north, tmpl, pub, ann)
	if err != nil {
		t.Fatal(err)
	}
	manifests.AddBuiltInRoles(m)
	e := New(m, metav1.Now())
	for wc, want := range map[string]string{"north": "by a WorkCenter selector", "pub": `published from template "tmpl"`} {
		d := e.Check(m.Collaborator("ann"), wc, "files.upload")
		if !d.Allowed || d.Assignment == nil {
			t.Fatalf("%s: %+v", wc, d)
		}
		if step := d.Steps[model.StepAssignment-1]; !strings.Contains(step.Detail, want) {
			t.Errorf("%s: %q lacks %q", wc, step.Detail, want)
		}
	}
}
