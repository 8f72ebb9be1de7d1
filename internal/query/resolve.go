package query

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// InputError is a question about something the account does not have: an unknown
// collaborator, WorkCenter, role or permission. Its message names what was asked and the
// nearest valid names.
type InputError struct {
	// What is the kind of name: collaborator, WorkCenter, role or permission.
	What string
	// Name is the name asked for.
	Name string
	// Nearest are the closest valid names, nearest first.
	Nearest []string
	// Where is the namespace, when it matters.
	Where string
}

func (e *InputError) Error() string {
	msg := fmt.Sprintf("unknown %s %q", e.What, e.Name)
	if e.Where != "" {
		msg += " in namespace " + e.Where
	}
	if len(e.Nearest) > 0 {
		msg += "; nearest: " + strings.Join(e.Nearest, ", ")
	} else {
		msg += "; there are none"
	}
	return msg
}

// Collaborator finds a collaborator by name or by email, ignoring case. An email shared
// by several collaborators (R5) resolves to the oldest, as the operator keeps it.
func (e *Engine) Collaborator(who string) (*v1alpha1.Collaborator, error) {
	if c := e.m.Collaborator(who); c != nil {
		return c, nil
	}
	if c := e.m.Collaborator(strings.ToLower(who)); c != nil {
		return c, nil
	}
	if same := e.m.ByEmail(who); len(same) > 0 {
		oldest := same[0]
		for _, c := range same[1:] {
			if model.Older(c, oldest) {
				oldest = c
			}
		}
		return oldest, nil
	}
	var names []string
	for _, c := range e.m.AllCollaborators() {
		names = append(names, c.Name, c.Spec.Email)
	}
	return nil, &InputError{What: "collaborator", Name: who, Nearest: Nearest(who, names), Where: e.m.Namespace}
}

// WorkCenter checks that the WorkCenter exists.
func (e *Engine) WorkCenter(name string) (string, error) {
	if e.m.WorkCenter(name) != nil {
		return name, nil
	}
	var names []string
	for _, wc := range e.m.WorkCenters() {
		names = append(names, wc.Name)
	}
	return "", &InputError{What: "WorkCenter", Name: name, Nearest: Nearest(name, names), Where: e.m.Namespace}
}

// Role checks that the role exists.
func (e *Engine) Role(name string) (string, error) {
	if e.m.Role(name) != nil {
		return name, nil
	}
	return "", &InputError{What: "role", Name: name, Nearest: Nearest(name, e.RoleNames()), Where: e.m.Namespace}
}

// Permission checks that p is in the catalog (SPEC section 2).
func Permission(p string) (model.Permission, error) {
	if _, ok := model.Lookup(model.Permission(p)); ok {
		return model.Permission(p), nil
	}
	var names []string
	for _, info := range model.Catalog() {
		names = append(names, string(info.Permission))
	}
	return "", &InputError{What: "permission", Name: p, Nearest: Nearest(p, names)}
}

// Nearest returns up to three of names closest to name (edit distance, ignoring case),
// nearest first; a name containing it counts as nearer than any other.
func Nearest(name string, names []string) []string {
	type scored struct {
		name string
		d    int
	}
	var near []scored
	lower := strings.ToLower(name)
	for _, n := range names {
		ln := strings.ToLower(n)
		d := distance(lower, ln)
		if len(lower) >= 3 && strings.Contains(ln, lower) {
			d = 0
		}
		near = append(near, scored{n, d})
	}
	slices.SortStableFunc(near, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, s := range near {
		if !slices.Contains(out, s.name) {
			out = append(out, s.name)
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
