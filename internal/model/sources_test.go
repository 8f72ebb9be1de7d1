package model

import (
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

func labelled(name string, l map[string]string, opts ...func(*v1alpha1.WorkCenter)) *v1alpha1.WorkCenter {
	wc := fixtures.WorkCenter(ns, name, opts...)
	wc.Labels = l
	return wc
}

func selecting(c *v1alpha1.Collaborator, role string, match map[string]string) *v1alpha1.Collaborator {
	c.Spec.WorkCenterSelectors = append(c.Spec.WorkCenterSelectors, v1alpha1.WorkCenterSelector{
		Selector: metav1.LabelSelector{MatchLabels: match}, Role: v1alpha1.ObjectName(role)})
	return c
}

func sourcesWorld(t *testing.T, extra ...any) *Account {
	t.Helper()
	objs := []any{fixtures.Account(ns, "acme", 10)}
	for _, r := range builtInObjects() {
		objs = append(objs, r)
	}
	objs = append(objs,
		labelled("north-1", map[string]string{"region": "north"}),
		labelled("north-2", map[string]string{"region": "north"}),
		labelled("south-1", map[string]string{"region": "south"}),
		labelled("tmpl", nil, func(w *v1alpha1.WorkCenter) { w.Spec.Template = true }),
		labelled("pub", nil, func(w *v1alpha1.WorkCenter) { w.Spec.CollaboratorsFrom = "tmpl" }),
	)
	m, err := Build(ns, append(objs, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func assignedNames(m *Account, name string) []string {
	var out []string
	for _, as := range m.AssignmentsOf(m.Collaborator(name)) {
		out = append(out, string(as.Name)+"="+string(as.Role)+"/"+string(as.Source))
	}
	return out
}

// TestAssignmentSources: listed, selector and template assignments, their precedence,
// what is shadowed, and how they follow the WorkCenters.
func TestAssignmentSources(t *testing.T) {
	ann := selecting(fixtures.Collaborator(ns, "ann", v1alpha1.Member, "north-1=workcenter-owner", "tmpl=contributor"),
		"read-only", map[string]string{"region": "north"})
	ann = selecting(ann, "contributor", map[string]string{"region": "north"})
	m := sourcesWorld(t, ann)
	want := []string{"north-1=workcenter-owner/Spec", "tmpl=contributor/Spec", "north-2=read-only/Selector", "pub=contributor/Template"}
	if got := assignedNames(m, "ann"); !slices.Equal(got, want) {
		t.Fatalf("assignments %v, want %v", got, want)
	}
	var shadowed []string
	for _, s := range m.ShadowedOf(m.Collaborator("ann")) {
		shadowed = append(shadowed, s.Name+"="+s.Role+"/"+string(s.Source)+" by "+string(s.ShadowedBy)+"="+s.ShadowedRole)
	}
	wantShadowed := []string{"north-1=read-only/Selector by Spec=workcenter-owner", "north-1=contributor/Selector by Spec=workcenter-owner",
		"north-2=contributor/Selector by Selector=read-only"}
	if !slices.Equal(shadowed, wantShadowed) {
		t.Errorf("shadowed %v, want %v", shadowed, wantShadowed)
	}
	// Statuses carry the source; the counts and holders follow.
	e := m.Evaluate(m.Collaborator("ann"), "", metav1.Now())
	if len(e.Statuses) != 4 || e.Statuses[2].Source != v1alpha1.SourceSelector || e.Statuses[3].Source != v1alpha1.SourceTemplate {
		t.Fatalf("statuses %+v", e.Statuses)
	}
	if got := m.InEffectAssignments("pub", metav1.Now()); got != 1 {
		t.Errorf("pub counts %d, want 1 (published from the template)", got)
	}
	if !slices.ContainsFunc(m.Holding("read-only"), func(c *v1alpha1.Collaborator) bool { return c.Name == "ann" }) {
		t.Error("a selector's role is not held")
	}

	// Relabelled: south-1 now matches, north-2 no longer does.
	must(m.Set(labelled("south-1", map[string]string{"region": "north"})))
	must(m.Set(labelled("north-2", map[string]string{"region": "east"})))
	want = []string{"north-1=workcenter-owner/Spec", "tmpl=contributor/Spec", "south-1=read-only/Selector", "pub=contributor/Template"}
	if got := assignedNames(m, "ann"); !slices.Equal(got, want) {
		t.Fatalf("after relabelling %v, want %v", got, want)
	}
	if got := m.AssignedTo("north-2"); len(got) > 0 {
		t.Errorf("north-2 still has %v", names(got))
	}

	// The template stops being one: pub waits, its published assignment goes.
	must(m.Set(labelled("tmpl", nil)))
	if f := m.TemplateProblem(m.WorkCenter("pub")); f == nil || f.Reason != v1alpha1.ReasonNotATemplate {
		t.Fatalf("pub's template problem %+v", f)
	}
	if got := assignedNames(m, "ann"); slices.Contains(got, "pub=contributor/Template") {
		t.Errorf("still published: %v", got)
	}
	must(m.Set(labelled("tmpl", nil, func(w *v1alpha1.WorkCenter) { w.Spec.Template = true })))
	if got := assignedNames(m, "ann"); !slices.Contains(got, "pub=contributor/Template") {
		t.Errorf("not published again: %v", got)
	}
	// A listed assignment to pub shadows the template's.
	ann2 := m.Collaborator("ann").DeepCopy()
	ann2.Spec.WorkCenters = append(ann2.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: "pub", Role: "read-only"})
	must(m.Set(ann2))
	if got := assignedNames(m, "ann"); !slices.Contains(got, "pub=read-only/Spec") || slices.Contains(got, "pub=contributor/Template") {
		t.Errorf("the listed one does not win: %v", got)
	}
	// Removed: its WorkCenters forget it.
	m.Remove(KindCollaborator, "ann")
	for _, wc := range []string{"north-1", "south-1", "pub", "tmpl"} {
		if len(m.AssignedTo(wc)) != 0 {
			t.Errorf("%s still holds %v", wc, names(m.AssignedTo(wc)))
		}
	}
}

// TestTemplateProblems: what a WorkCenter's collaboratorsFrom waits for or is refused.
func TestTemplateProblems(t *testing.T) {
	m := sourcesWorld(t, labelled("chained", nil, func(w *v1alpha1.WorkCenter) { w.Spec.Template = true; w.Spec.CollaboratorsFrom = "tmpl" }))
	for name, tc := range map[string]struct {
		from, self string
		want       string
	}{
		"missing":          {"nowhere", "x", v1alpha1.ReasonTemplateNotFound},
		"not a template":   {"north-1", "x", v1alpha1.ReasonNotATemplate},
		"itself":           {"x", "x", v1alpha1.ReasonTemplateChain},
		"through a chain":  {"chained", "x", v1alpha1.ReasonTemplateChain},
		"a valid template": {"tmpl", "x", ""},
	} {
		t.Run(name, func(t *testing.T) {
			wc := labelled(tc.self, nil, func(w *v1alpha1.WorkCenter) { w.Spec.CollaboratorsFrom = v1alpha1.ObjectName(tc.from) })
			got := ""
			if f := m.TemplateProblem(wc); f != nil {
				got = f.Reason
			}
			if got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
	// Admission: chains refused, waits warned.
	fs := m.ValidateWorkCenter(createReq(labelled("y", nil, func(w *v1alpha1.WorkCenter) { w.Spec.CollaboratorsFrom = "chained" })))
	if len(fs.Errors()) != 1 || fs.Errors()[0].Reason != v1alpha1.ReasonTemplateChain {
		t.Errorf("a chain: %+v", fs)
	}
	fs = m.ValidateWorkCenter(createReq(labelled("y", nil, func(w *v1alpha1.WorkCenter) { w.Spec.CollaboratorsFrom = "nowhere" })))
	if len(fs.Errors()) != 0 || len(fs.Warnings()) != 1 {
		t.Errorf("a missing template: %+v", fs)
	}
}

// TestSelectorAdmission: an empty or unparsable selector is refused; a Guest's selector
// with a member-only role is refused (R2) as a listed entry would be, and a new selector
// naming a role being deleted (R10); each message names the selector, not a WorkCenter.
func TestSelectorAdmission(t *testing.T) {
	leaving := fixtures.Role(ns, "leaving")
	leaving.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
	now := metav1.Now()
	leaving.DeletionTimestamp = &now
	m := sourcesWorld(t, leaving)
	empty := fixtures.Collaborator(ns, "e", v1alpha1.Member)
	empty.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{Role: "read-only"}}
	bad := fixtures.Collaborator(ns, "b", v1alpha1.Member)
	bad.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{Role: "read-only", Selector: metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "region", Operator: "In"}}}}}
	guest := selecting(fixtures.Collaborator(ns, "g", v1alpha1.Guest), "workcenter-owner", map[string]string{"region": "north"})
	fine := selecting(fixtures.Collaborator(ns, "f", v1alpha1.Guest), "contributor", map[string]string{"region": "north"})
	late := selecting(selecting(fixtures.Collaborator(ns, "l", v1alpha1.Member), "contributor", map[string]string{"region": "north"}),
		"leaving", map[string]string{"region": "south"})
	for name, tc := range map[string]struct {
		c    *v1alpha1.Collaborator
		want string
	}{
		"empty":                      {empty, "empty selector"},
		"does not parse":             {bad, "does not parse"},
		"a Guest, member-only role":  {guest, `Guest "g" cannot hold role "workcenter-owner" in the WorkCenters its selector 0 (region=north) matches: the role has member-only`},
		"a Guest, guest-safe role":   {fine, ""},
		"a role being deleted (R10)": {late, `WorkCenterRole "leaving" is being deleted; it cannot be newly assigned to "l" in the WorkCenters its selector 1 (region=south) matches`},
	} {
		t.Run(name, func(t *testing.T) {
			errs := m.ValidateCollaborator(createReq(tc.c)).Errors()
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("refused: %+v", errs)
			case tc.want != "" && (len(errs) == 0 || !strings.Contains(errs[0].Message, tc.want)):
				t.Errorf("%+v, want a refusal saying %q", errs, tc.want)
			}
		})
	}
}

// TestSourcesDelegated: a selector assigns in WorkCenters that may not exist yet, so only
// those holding collaborators.add in every WorkCenter set one; relabelling a WorkCenter
// so that a selector matches it, or publishing a template, adds people there.
func TestSourcesDelegated(t *testing.T) {
	owner := fixtures.Collaborator(ns, "owen", v1alpha1.Member, "north-1=workcenter-owner", "pub=workcenter-owner")
	owner.Spec.Email = "owen@example.com"
	boss := fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "boss", v1alpha1.Member))
	lead := selecting(fixtures.Collaborator(ns, "lead", v1alpha1.Member), "workcenter-owner", map[string]string{"team": "x"})
	inTemplate := fixtures.Collaborator(ns, "tina", v1alpha1.Member, "tmpl=workcenter-owner")
	m := sourcesWorld(t, owner, boss, lead, inTemplate)
	newcomer := selecting(fixtures.Collaborator(ns, "new", v1alpha1.Member), "contributor", map[string]string{"region": "north"})
	if fs := m.MayChangeCollaborator(m.Collaborator("owen"), nil, newcomer); len(fs) == 0 {
		t.Error("a WorkCenter owner set a selector")
	}
	if fs := m.MayChangeCollaborator(m.Collaborator("boss"), nil, newcomer); len(fs) != 0 {
		t.Errorf("an Account Administrator may not set a selector: %+v", fs)
	}
	// owen edits north-1 (workCenter.editSettings there) but may not relabel it into
	// lead's selector: that gives lead workcenter-owner there... which owen holds, so it
	// passes; into a selector granting more than owen holds it would not.
	relabelled := m.WorkCenter("north-1").DeepCopy()
	relabelled.Labels = map[string]string{"region": "north", "team": "x"}
	if fs := m.MayChangeWorkCenter(m.Collaborator("owen"), m.WorkCenter("north-1"), relabelled); len(fs) != 0 {
		t.Errorf("owen may not relabel north-1 for a role it holds there: %+v", fs)
	}
	south := m.WorkCenter("south-1").DeepCopy()
	south.Labels = map[string]string{"team": "x"}
	if fs := m.MayChangeWorkCenter(m.Collaborator("owen"), m.WorkCenter("south-1"), south); len(fs) == 0 {
		t.Error("owen relabelled south-1, where it holds nothing, so that lead is assigned there")
	}
	// Adding a person to the template publishes them to pub: owen holds collaborators.add
	// in pub but boss's grant is checked too; a Guest-safe role passes for owen.
	joined := fixtures.Collaborator(ns, "jo", v1alpha1.Member, "tmpl=contributor")
	if fs := m.MayChangeCollaborator(m.Collaborator("owen"), nil, joined); !slices.ContainsFunc(fs, func(f Finding) bool {
		return strings.Contains(f.Message, "tmpl")
	}) {
		t.Errorf("owen added jo to the template, where it holds nothing: %+v", fs)
	}
	// A selector removed unassigns everywhere: collaborators.remove in every WorkCenter,
	// which an owner of some WorkCenters does not hold; an Account Administrator does.
	dropped := m.Collaborator("lead").DeepCopy()
	dropped.Spec.WorkCenterSelectors = nil
	if fs := m.MayChangeCollaborator(m.Collaborator("owen"), m.Collaborator("lead"), dropped); !slices.ContainsFunc(fs, func(f Finding) bool {
		return strings.Contains(f.Message, "collaborators.remove")
	}) {
		t.Errorf("owen removed lead's selector: %+v", fs)
	}
	if fs := m.MayChangeCollaborator(m.Collaborator("boss"), m.Collaborator("lead"), dropped); len(fs) != 0 {
		t.Errorf("an Account Administrator may not remove a selector: %+v", fs)
	}
	// Relabelled so that lead's selector stops matching: collaborators.remove there.
	matched := m.WorkCenter("south-1").DeepCopy()
	matched.Labels = map[string]string{"team": "x"}
	must(m.Set(matched))
	unlabelled := matched.DeepCopy()
	unlabelled.Labels = nil
	if fs := m.MayChangeWorkCenter(m.Collaborator("owen"), matched, unlabelled); !slices.ContainsFunc(fs, func(f Finding) bool {
		return strings.Contains(f.Message, "collaborators.remove")
	}) {
		t.Errorf("owen relabelled south-1, where it holds nothing, so that lead leaves it: %+v", fs)
	}
	if fs := m.MayChangeWorkCenter(m.Collaborator("boss"), matched, unlabelled); len(fs.Errors()) != 0 { // the audit trail's warning only
		t.Errorf("an Account Administrator may not relabel: %+v", fs)
	}
	// collaboratorsFrom publishes the template's people: collaborators.add there and the
	// grant of their roles (tina holds workcenter-owner in the template).
	publishing := m.WorkCenter("south-1").DeepCopy()
	publishing.Spec.CollaboratorsFrom = "tmpl"
	if fs := m.MayChangeWorkCenter(m.Collaborator("owen"), m.WorkCenter("south-1"), publishing); !slices.ContainsFunc(fs, func(f Finding) bool {
		return f.Field != nil && f.Field.String() == "spec.collaboratorsFrom"
	}) {
		t.Errorf("owen made south-1, where it holds nothing, publish the template: %+v", fs)
	}
	if fs := m.MayChangeWorkCenter(m.Collaborator("boss"), m.WorkCenter("south-1"), publishing); len(fs.Errors()) != 0 {
		t.Errorf("an Account Administrator may not publish a template: %+v", fs)
	}
}

// TestReselectedBy: a relabelling moves only the people whose selectors match the
// WorkCenter differently before and after.
func TestReselectedBy(t *testing.T) {
	north := selecting(fixtures.Collaborator(ns, "n", v1alpha1.Member), "read-only", map[string]string{"region": "north"})
	south := selecting(fixtures.Collaborator(ns, "s", v1alpha1.Member), "read-only", map[string]string{"region": "south"})
	both := fixtures.Collaborator(ns, "b", v1alpha1.Member)
	both.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{Role: "read-only", Selector: metav1.LabelSelector{
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "region", Operator: metav1.LabelSelectorOpExists}}}}}
	listed := fixtures.Collaborator(ns, "l", v1alpha1.Member, "north-1=contributor")
	m := sourcesWorld(t, north, south, both, listed)
	old := m.WorkCenter("north-1")
	cur := old.DeepCopy()
	cur.Labels = map[string]string{"region": "south"}
	var got []string
	for _, c := range m.ReselectedBy(old, cur) {
		got = append(got, c.Name)
	}
	if !slices.Equal(got, []string{"n", "s"}) {
		t.Errorf("north to south: %v, want [n s]", got)
	}
	if len(m.ReselectedBy(old, old.DeepCopy())) != 0 {
		t.Error("no change of labels moved someone")
	}
}
