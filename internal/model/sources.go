package model

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Where assignments come from (docs/assignments.md): a Collaborator is assigned to a
// WorkCenter by listing it (spec.workCenters), by a selector of its own matching the
// WorkCenter's labels (spec.workCenterSelectors), or by the WorkCenter publishing the
// collaborators of a template it is assigned to (the WorkCenter's spec.collaboratorsFrom).
// Precedence, for one WorkCenter: the listed assignment, then the first selector that
// matches, then the template; the others are shadowed (status.shadowed says by what).
// Every rule judges each resulting assignment as it judges a listed one: evaluation,
// effective access, counts, holders and roles in use all read AssignmentsOf.

// Assigned is one of a Collaborator's assignments and where it comes from.
type Assigned struct {
	v1alpha1.WorkCenterAssignment
	Source v1alpha1.AssignmentSource
}

// sourced is a Collaborator's assignments from every source.
type sourced struct {
	assigned []Assigned
	shadowed []v1alpha1.ShadowedAssignment
}

// AssignmentsOf are c's assignments from every source: each spec entry, in spec order;
// then, for each selector in order, the WorkCenters it matches that nothing before
// assigns, by name; then the WorkCenters publishing from a template c is assigned to
// (by spec or selector) that nothing before assigns, by name. For the model's own
// Collaborators they are kept with the indexes (computed again when c, the WorkCenters'
// labels or the templates change); callers must not change the slice.
func (a *Account) AssignmentsOf(c *v1alpha1.Collaborator) []Assigned {
	return a.sourcesOf(c).assigned
}

// ShadowedOf are the assignments a selector or a template would give c where an earlier
// source assigns it already (AssignmentsOf's precedence), in the order offered.
func (a *Account) ShadowedOf(c *v1alpha1.Collaborator) []v1alpha1.ShadowedAssignment {
	return a.sourcesOf(c).shadowed
}

func (a *Account) sourcesOf(c *v1alpha1.Collaborator) sourced {
	if a.collaborators[c.Name] == c {
		if s, ok := a.indexed[c.Name]; ok {
			return s
		}
	}
	return a.computeSources(c)
}

func specAssignments(c *v1alpha1.Collaborator) []Assigned {
	out := make([]Assigned, len(c.Spec.WorkCenters))
	for i, as := range c.Spec.WorkCenters {
		out[i] = Assigned{WorkCenterAssignment: as, Source: v1alpha1.SourceSpec}
	}
	return out
}

func (a *Account) computeSources(c *v1alpha1.Collaborator) sourced {
	s := sourced{assigned: specAssignments(c)}
	if len(c.Spec.WorkCenterSelectors) == 0 && len(a.publishers) == 0 {
		return s // most people: nothing more to compute
	}
	by := map[string]Assigned{}
	for _, as := range s.assigned {
		if _, ok := by[string(as.Name)]; !ok {
			by[string(as.Name)] = as
		}
	}
	offer := func(wc, role string, source v1alpha1.AssignmentSource) {
		if first, ok := by[wc]; ok {
			s.shadowed = append(s.shadowed, v1alpha1.ShadowedAssignment{Name: wc, Role: role, Source: source,
				ShadowedBy: first.Source, ShadowedRole: string(first.Role)})
			return
		}
		as := Assigned{WorkCenterAssignment: v1alpha1.WorkCenterAssignment{Name: v1alpha1.ObjectName(wc), Role: v1alpha1.ObjectName(role)}, Source: source}
		by[wc] = as
		s.assigned = append(s.assigned, as)
	}
	if len(c.Spec.WorkCenterSelectors) > 0 {
		names := a.workCenterNames()
		for _, sel := range c.Spec.WorkCenterSelectors {
			match, err := Selector(sel.Selector)
			if err != nil {
				continue // refused at admission; matches nothing
			}
			for _, n := range names {
				if match.Matches(labels.Set(a.workCenters[n].Labels)) {
					offer(n, string(sel.Role), v1alpha1.SourceSelector)
				}
			}
		}
	}
	// Templates: the WorkCenters publishing from a template c is assigned to (by spec or
	// a selector), with c's role in the template.
	var published []Assigned
	for _, as := range s.assigned {
		for w := range a.publishers[string(as.Name)] {
			published = append(published, Assigned{WorkCenterAssignment: v1alpha1.WorkCenterAssignment{
				Name: v1alpha1.ObjectName(w), Role: as.Role}, Source: v1alpha1.SourceTemplate})
		}
	}
	slices.SortStableFunc(published, func(x, y Assigned) int { return strings.Compare(string(x.Name), string(y.Name)) })
	for _, p := range published {
		offer(string(p.Name), string(p.Role), v1alpha1.SourceTemplate)
	}
	return s
}

// Selector is a WorkCenter selector as labels.Selector; an empty one is an error (it would
// match every WorkCenter), as is one that does not parse.
func Selector(sel metav1.LabelSelector) (labels.Selector, error) {
	if len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 {
		return nil, fmt.Errorf("an empty selector would match every WorkCenter: give matchLabels or matchExpressions")
	}
	return metav1.LabelSelectorAsSelector(&sel)
}

// workCenterNames are the WorkCenters' names, sorted (memoized until one comes or goes).
func (a *Account) workCenterNames() []string {
	a.memo.Lock()
	defer a.memo.Unlock()
	if a.wcNames == nil {
		a.wcNames = make([]string, 0, len(a.workCenters))
		for n := range a.workCenters {
			a.wcNames = append(a.wcNames, n)
		}
		slices.Sort(a.wcNames)
	}
	return a.wcNames
}

// TemplateProblem says why wc's collaboratorsFrom publishes nobody: the template is
// missing or not a template (it waits), or it is wc itself or publishes from another
// (a chain). nil when wc names none or the template is fine.
func (a *Account) TemplateProblem(wc *v1alpha1.WorkCenter) *Finding {
	return TemplateProblemOf(wc, a.workCenters[string(wc.Spec.CollaboratorsFrom)])
}

// TemplateProblemOf is TemplateProblem given the template as the account holds it (nil
// when missing).
func TemplateProblemOf(wc, template *v1alpha1.WorkCenter) *Finding {
	from := string(wc.Spec.CollaboratorsFrom)
	switch {
	case from == "":
		return nil
	case from == wc.Name:
		return &Finding{Rule: RuleTemplates, Reason: v1alpha1.ReasonTemplateChain,
			Message: fmt.Sprintf("WorkCenter %q cannot publish the collaborators of itself", Short(wc.Name))}
	case template == nil:
		return &Finding{Rule: RuleTemplates, Reason: v1alpha1.ReasonTemplateNotFound,
			Message: fmt.Sprintf("waiting for the template WorkCenter %q", Short(from))}
	case !template.Spec.Template:
		return &Finding{Rule: RuleTemplates, Reason: v1alpha1.ReasonNotATemplate,
			Message: fmt.Sprintf("WorkCenter %q is not a template (spec.template): waiting until it is", Short(from))}
	case template.Spec.CollaboratorsFrom != "":
		return &Finding{Rule: RuleTemplates, Reason: v1alpha1.ReasonTemplateChain,
			Message: fmt.Sprintf("template %q publishes the collaborators of %q itself: a WorkCenter publishes from a template directly, never through a chain",
				Short(from), Short(string(template.Spec.CollaboratorsFrom)))}
	}
	return nil
}

// PublishedFrom are the WorkCenters publishing the collaborators of template (validly),
// sorted.
func (a *Account) PublishedFrom(template string) []string {
	out := make([]string, 0, len(a.publishers[template]))
	for w := range a.publishers[template] {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

// SelectedBy are the Collaborators with a selector matching the WorkCenter's labels, as
// the model holds it, sorted.
func (a *Account) SelectedBy(wc *v1alpha1.WorkCenter) []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for n := range a.selecting {
		c := a.collaborators[n]
		for _, sel := range c.Spec.WorkCenterSelectors {
			if m, err := Selector(sel.Selector); err == nil && m.Matches(labels.Set(wc.Labels)) {
				out = append(out, c)
				break
			}
		}
	}
	slices.SortFunc(out, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// ReselectedBy are the Collaborators whose selectors match a WorkCenter differently with
// its old labels than with its new ones (another selector, or none, matches): the only
// people a relabelling assigns, unassigns or shadows differently there. Sorted.
func (a *Account) ReselectedBy(old, cur *v1alpha1.WorkCenter) []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for n := range a.selecting {
		c := a.collaborators[n]
		for _, sel := range c.Spec.WorkCenterSelectors {
			m, err := Selector(sel.Selector)
			if err == nil && m.Matches(labels.Set(old.Labels)) != m.Matches(labels.Set(cur.Labels)) {
				out = append(out, c)
				break
			}
		}
	}
	slices.SortFunc(out, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// --- Keeping the indexes ---

// indexAssignments indexes c's assignments from every source (byWorkCenter, byRole),
// remembering them so that unindexAssignments removes exactly those.
func (a *Account) indexAssignments(c *v1alpha1.Collaborator) {
	if len(c.Spec.WorkCenterSelectors) > 0 {
		a.selecting[c.Name] = struct{}{}
	}
	src := a.computeSources(c)
	a.indexed[c.Name] = src
	for _, x := range src.assigned {
		add(a.byWorkCenter, string(x.Name), c.Name)
		add(a.byRole, string(x.Role), c.Name)
	}
	for _, sel := range c.Spec.WorkCenterSelectors { // a role a selector names is in use
		add(a.byRole, string(sel.Role), c.Name)
	}
}

func (a *Account) unindexAssignments(c *v1alpha1.Collaborator) {
	for _, x := range a.indexed[c.Name].assigned {
		remove(a.byWorkCenter, string(x.Name), c.Name)
		remove(a.byRole, string(x.Role), c.Name)
	}
	for _, sel := range c.Spec.WorkCenterSelectors {
		remove(a.byRole, string(sel.Role), c.Name)
	}
	delete(a.indexed, c.Name)
	delete(a.selecting, c.Name)
}

// workCenterChanged re-indexes whom a WorkCenter's change (old nil: created; cur nil:
// removed) can assign or unassign: every Collaborator with a selector when its labels
// change or it comes or goes, and the people of the templates involved when its
// collaboratorsFrom or template flag changes or it comes or goes.
func (a *Account) workCenterChanged(old, cur *v1alpha1.WorkCenter) {
	comesOrGoes := old == nil || cur == nil
	labelsChanged := comesOrGoes || !maps.Equal(old.Labels, cur.Labels)
	var templates []string
	for _, w := range []*v1alpha1.WorkCenter{old, cur} {
		if w == nil {
			continue
		}
		if w.Spec.CollaboratorsFrom != "" {
			templates = append(templates, string(w.Spec.CollaboratorsFrom))
		}
		if w.Spec.Template || comesOrGoes {
			templates = append(templates, w.Name)
		}
	}
	sourcesChanged := comesOrGoes || old.Spec.Template != cur.Spec.Template || old.Spec.CollaboratorsFrom != cur.Spec.CollaboratorsFrom
	if !comesOrGoes && !WorkCenterSourcesChanged(old, cur) {
		return
	}
	a.memo.Lock()
	if comesOrGoes {
		a.wcNames = nil
	}
	a.memo.Unlock()
	a.rebuildPublishers()
	affected := nameSet{}
	if labelsChanged {
		for n := range a.selecting {
			affected[n] = struct{}{}
		}
	}
	if sourcesChanged {
		for _, t := range templates {
			for n := range a.byWorkCenter[t] {
				affected[n] = struct{}{}
			}
		}
		// Those published to the WorkCenter (their derived assignment there goes).
		for _, w := range []*v1alpha1.WorkCenter{old, cur} {
			if w != nil {
				for n := range a.byWorkCenter[w.Name] {
					affected[n] = struct{}{}
				}
			}
		}
	}
	a.reindex(affected)
}

// reindex computes again the assignments of the Collaborators called names.
func (a *Account) reindex(names nameSet) {
	if len(names) == 0 {
		return
	}
	a.collaboratorsChanged()
	for n := range names {
		c := a.collaborators[n]
		if c == nil {
			continue
		}
		a.unindexAssignments(c)
		a.indexAssignments(c)
	}
}

// rebuildPublishers indexes the WorkCenters that validly publish from a template.
func (a *Account) rebuildPublishers() {
	a.publishers = map[string]nameSet{}
	for _, w := range a.workCenters {
		if w.Spec.CollaboratorsFrom != "" && a.TemplateProblem(w) == nil {
			add(a.publishers, string(w.Spec.CollaboratorsFrom), w.Name)
		}
	}
}

// WorkCenterSourcesChanged reports whether a WorkCenter update can change who is
// assigned to it or to others: its labels (selectors), its template flag or its
// collaboratorsFrom (templates).
func WorkCenterSourcesChanged(old, cur *v1alpha1.WorkCenter) bool {
	return !maps.Equal(old.Labels, cur.Labels) || old.Spec.Template != cur.Spec.Template ||
		old.Spec.CollaboratorsFrom != cur.Spec.CollaboratorsFrom
}

// MaxStatusAssignments is status.workCenters' maxItems: a Collaborator assigned to more
// WorkCenters (by selectors, templates) shows the first ones.
const MaxStatusAssignments = 1024

// maxShadowed is status.shadowed's maxItems.
const maxShadowed = 256

// BoundShadowed is shadowed cut to what status.shadowed holds.
func BoundShadowed(shadowed []v1alpha1.ShadowedAssignment) []v1alpha1.ShadowedAssignment {
	return shadowed[:min(len(shadowed), maxShadowed)]
}
