package model

import (
	"fmt"
	"strings"
)

// The authorizer's mapping (docs/authorization.md): a Kubernetes authorization question
// (a SubjectAccessReview's resource attributes) about the group procorem.workcenter.io
// names a WorkCenter permission or an account-level capability, and Authorize answers it
// from the account's snapshot with the decision delegated administration and kubectl
// procorem take (Decide). The mapping is public API.

const (
	// AuthorizationGroup is the API group of the questions the authorizer answers. No
	// API serves it: it exists only in authorization questions.
	AuthorizationGroup = "procorem.workcenter.io"
	// AuthorizationVersion is its version.
	AuthorizationVersion = "v1alpha1"
	// AccountResource is the resource of the account-level capabilities: the verb is the
	// capability, in lower case (users.upgrade), the name a WorkCenter for those of
	// scope WorkCenter.
	AccountResource = "account"
)

// ResourceAttributes is what Authorize reads of an authorization question: a
// SubjectAccessReview's spec.resourceAttributes but for the namespace (the account's).
type ResourceAttributes struct {
	Group, Version, Resource, Subresource, Verb, Name string
}

// Opinion is the authorizer's answer: allow, deny, or no opinion (the rest of the
// authorization chain decides).
type Opinion int

const (
	// NoOpinion: the question is not the authorizer's (another group, a user who is no
	// Collaborator of the account).
	NoOpinion Opinion = iota
	// Allow: the Collaborator holds the permission or capability.
	Allow
	// Deny: the Collaborator does not; nothing else in the chain may allow it.
	Deny
)

func (o Opinion) String() string {
	switch o {
	case Allow:
		return "allowed"
	case Deny:
		return "denied"
	}
	return "noOpinion"
}

// Authorization is Authorize's answer: the opinion, its reason for a person, and the
// decision behind it (zero for no opinion, and for a question that names nothing).
type Authorization struct {
	Opinion Opinion
	Reason  string
	// Permission is the WorkCenter permission or capability the question named; "" when
	// it named none.
	Permission string
	Decision   Decision
}

// ResourceVerb is the resource and verb of a WorkCenter permission or capability: a
// permission's area and action in lower case (files.restoreVersion: files,
// restoreversion; fileComments.create: filecomments, create), a capability's
// AccountResource and its ID in lower case.
func ResourceVerb(name string) (resource, verb string) {
	if _, ok := LookupCapability(name); ok {
		if _, alsoPermission := Lookup(Permission(name)); !alsoPermission {
			return AccountResource, strings.ToLower(name)
		}
	}
	area, action, _ := strings.Cut(name, ".")
	return strings.ToLower(area), strings.ToLower(action)
}

// byResourceVerb maps "resource/verb" to the permission or capability it names.
var byResourceVerb = func() map[string]string {
	out := map[string]string{}
	for _, p := range catalog {
		r, v := ResourceVerb(string(p.Permission))
		out[r+"/"+v] = string(p.Permission)
	}
	for _, c := range capabilities {
		out[AccountResource+"/"+strings.ToLower(string(c.Capability))] = string(c.Capability)
	}
	return out
}()

// Named is the WorkCenter permission or capability a resource and verb name, "" when
// they name none (compared case-insensitively).
func Named(resource, verb string) string {
	return byResourceVerb[strings.ToLower(resource)+"/"+strings.ToLower(verb)]
}

// Authorize answers an authorization question about the account: may the user (the
// request's username; prefix is the identity prefix, as for delegated administration)
// do what attrs name? Another group, and a user who is no Collaborator of the account,
// get no opinion. Otherwise the Collaborator is allowed or denied by Decide: a WorkCenter
// permission by effective access in the WorkCenter attrs.Name names, an account-level
// capability by delegated administration (in the WorkCenter named, if any). A question
// the mapping cannot read (a subresource, a wildcard, an unknown resource or verb, a
// WorkCenter permission without a name, a WorkCenter that does not exist) is denied with
// a reason that says what is wrong.
func (a *Account) Authorize(username, prefix string, attrs ResourceAttributes) Authorization {
	if attrs.Group != AuthorizationGroup {
		return Authorization{Reason: "the workcenter-operator authorizer answers only the group " + AuthorizationGroup}
	}
	c, err := a.Identify(username, prefix)
	if err != nil {
		return Authorization{Reason: err.Error()}
	}
	deny := func(why string) Authorization {
		return Authorization{Opinion: Deny, Reason: Bound(fmt.Sprintf("%s: %s", who(c), why), MaxDecisionMessage)}
	}
	switch {
	case attrs.Version != "" && attrs.Version != "*" && attrs.Version != AuthorizationVersion:
		return deny(fmt.Sprintf("version %q of %s is unknown; ask %s", Short(attrs.Version), AuthorizationGroup, AuthorizationVersion))
	case attrs.Subresource != "":
		return deny(fmt.Sprintf("%s has no subresources (%q)", AuthorizationGroup, Short(attrs.Subresource)))
	}
	name := Named(attrs.Resource, attrs.Verb)
	if name == "" {
		asked := strings.ToLower(attrs.Resource) + "." + strings.ToLower(attrs.Verb)
		var nearest []string
		for rv := range byResourceVerb {
			nearest = append(nearest, strings.Replace(rv, "/", ".", 1))
		}
		return deny(fmt.Sprintf("%q names no permission or capability (resource %q, verb %q); nearest: %s",
			Short(asked), Short(attrs.Resource), Short(attrs.Verb), strings.Join(Nearest(asked, nearest), ", ")))
	}
	if strings.ToLower(attrs.Resource) != AccountResource {
		// A WorkCenter permission: effective access in the WorkCenter named (a name that
		// is also a capability, collaborators.remove, is the permission here).
		switch {
		case attrs.Name == "":
			return deny(fmt.Sprintf("%s is a WorkCenter permission: name the WorkCenter (%s/NAME)", name, strings.ToLower(attrs.Resource)))
		case a.workCenters[attrs.Name] == nil:
			return deny(fmt.Sprintf("WorkCenter %q does not exist in namespace %q", Short(attrs.Name), a.Namespace))
		}
		d := a.decidePermission(c, Question{Capability: name, WorkCenter: attrs.Name},
			Decision{Capability: name, WorkCenter: attrs.Name, Rule: RuleDelegation, Collaborator: c.Name, MemberType: MemberTypeOf(c)})
		return answer(name, d)
	}
	if info, _ := LookupCapability(name); info.Scope == ScopeWorkCenter && attrs.Name != "" && a.workCenters[attrs.Name] == nil {
		return deny(fmt.Sprintf("WorkCenter %q does not exist in namespace %q", Short(attrs.Name), a.Namespace))
	}
	return answer(name, a.MayDo(c, name, attrs.Name))
}

func answer(name string, d Decision) Authorization {
	out := Authorization{Opinion: Deny, Reason: d.Message, Permission: name, Decision: d}
	if d.Allowed {
		out.Opinion = Allow
	}
	return out
}
