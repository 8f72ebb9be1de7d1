package query

import (
	"fmt"
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
	return nil, &InputError{What: "collaborator", Name: who, Nearest: model.Nearest(who, names), Where: e.m.Namespace}
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
	return "", &InputError{What: "WorkCenter", Name: name, Nearest: model.Nearest(name, names), Where: e.m.Namespace}
}

// Role checks that the role exists.
func (e *Engine) Role(name string) (string, error) {
	if e.m.Role(name) != nil {
		return name, nil
	}
	return "", &InputError{What: "role", Name: name, Nearest: model.Nearest(name, e.RoleNames()), Where: e.m.Namespace}
}

// Permission checks that p is in the catalog (docs/rules.md).
func Permission(p string) (model.Permission, error) {
	if _, ok := model.Lookup(model.Permission(p)); ok {
		return model.Permission(p), nil
	}
	var names []string
	for _, info := range model.Catalog() {
		names = append(names, string(info.Permission))
	}
	return "", &InputError{What: "permission", Name: p, Nearest: model.Nearest(p, names)}
}
