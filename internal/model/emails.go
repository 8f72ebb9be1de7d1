package model

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// SameEmail returns the other Collaborators whose email equals c's, ignoring case.
func SameEmail(c *v1alpha1.Collaborator, collaborators []*v1alpha1.Collaborator) []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for _, o := range collaborators {
		if o.Name != c.Name && strings.EqualFold(o.Spec.Email, c.Spec.Email) {
			out = append(out, o)
		}
	}
	return out
}

// CheckEmailUnique is R5: emails are unique within an account, and the oldest
// Collaborator keeps an email it shares. It returns a violation for c when another
// Collaborator with the same email is older (at admission c is new, so any will do).
func CheckEmailUnique(c *v1alpha1.Collaborator, collaborators []*v1alpha1.Collaborator) *Finding {
	var holder *v1alpha1.Collaborator
	for _, o := range SameEmail(c, collaborators) {
		if Older(o, c) && (holder == nil || Older(o, holder)) {
			holder = o
		}
	}
	if holder == nil {
		return nil
	}
	return &Finding{
		Rule:   "R5",
		Reason: v1alpha1.ReasonDuplicateEmail,
		Message: fmt.Sprintf("email %q is already used by Collaborator %q; emails are unique within an account (case-insensitive)",
			Short(c.Spec.Email), Short(holder.Name)),
	}
}

func emailKey(email string) string { return strings.ToLower(email) }

// SameEmail are the other Collaborators whose email is c's, ignoring case, sorted by
// name.
func (a *Account) SameEmail(c *v1alpha1.Collaborator) []*v1alpha1.Collaborator {
	var out []*v1alpha1.Collaborator
	for _, n := range a.byEmail[emailKey(c.Spec.Email)] {
		if n != c.Name {
			out = append(out, a.collaborators[n])
		}
	}
	slices.SortFunc(out, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// ByEmail are the Collaborators whose email is email, ignoring case, sorted by name.
func (a *Account) ByEmail(email string) []*v1alpha1.Collaborator {
	names := a.byEmail[emailKey(email)]
	out := make([]*v1alpha1.Collaborator, 0, len(names))
	for _, n := range names {
		out = append(out, a.collaborators[n])
	}
	slices.SortFunc(out, func(x, y *v1alpha1.Collaborator) int { return strings.Compare(x.Name, y.Name) })
	return out
}
