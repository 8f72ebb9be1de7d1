package query

import (
	"errors"
	"fmt"
	"slices"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The account-level capabilities of docs/administration.md: what a person's member type
// (and, for some, a WorkCenter permission held in one WorkCenter) lets them change in the
// account's objects. Every answer here is model.Account.Decide's (MayDo), the decision
// admission calls: its step and its message are printed as they come, and nothing of a
// rule is decided again here.

// Name is a name a question asks about, looked up in both catalogs: the WorkCenter
// permissions (docs/rules.md) and the account-level capabilities
// (docs/administration.md). A few names are both (collaborators.remove,
// collaborators.changeRole).
type Name struct {
	Name string
	// Permission: the name is a WorkCenter permission.
	Permission bool
	// Capability: the name is a capability; Info is its catalog entry.
	Capability bool
	Info       model.CapabilityInfo
}

// Lookup finds name in both catalogs. A name in neither is an *InputError naming the
// nearest names of both, as model.FindCapability finds them.
func Lookup(name string) (Name, error) {
	n := Name{Name: name}
	_, n.Permission = model.Lookup(model.Permission(name))
	n.Info, n.Capability = model.LookupCapability(name)
	if n.Permission || n.Capability {
		return n, nil
	}
	var nearest []string
	var unknown *model.UnknownCapabilityError
	if _, err := model.FindCapability(name); errors.As(err, &unknown) {
		nearest = unknown.Nearest
	}
	return Name{}, &InputError{What: "permission or capability", Name: name, Nearest: nearest}
}

// AsCapability says whether a question about the name is answered as a capability
// rather than a WorkCenter permission: a name that is only a capability always is; a
// name that is both is a capability when no WorkCenter is asked about, or when the
// question says so (capability), and otherwise the WorkCenter permission it has always
// been.
func (n Name) AsCapability(workCenter string, capability bool) bool {
	return n.Capability && (!n.Permission || workCenter == "" || capability)
}

// Capability finds a capability of the catalog, for the questions that take nothing else.
// A WorkCenter permission is an *InputError saying so; any other name one naming the
// nearest names.
func Capability(name string) (model.CapabilityInfo, error) {
	n, err := Lookup(name)
	if err != nil {
		return model.CapabilityInfo{}, err
	}
	if !n.Capability {
		return model.CapabilityInfo{}, fmt.Errorf("%q is a WorkCenter permission, not an account-level capability (docs/administration.md); ask it in a WorkCenter", name)
	}
	return n.Info, nil
}

// CapabilityDecision answers "may Collaborator do Capability (in WorkCenter)?": the
// model's decision (model.Account.MayDo; docs/administration.md, How a decision is made).
type CapabilityDecision struct {
	Collaborator string `json:"collaborator"`
	Email        string `json:"email"`
	// MemberType is Guest, Member, WorkCenterAdministrator, UserAdministrator or
	// AccountAdministrator.
	MemberType string `json:"memberType"`
	Capability string `json:"capability"`
	// Scope is Account or WorkCenter.
	Scope string `json:"scope"`
	// WorkCenter is the WorkCenter the answer is about; "" for a capability of scope
	// Account, and for one of scope WorkCenter asked everywhere (its member type's).
	WorkCenter string `json:"workCenter,omitempty"`
	Allowed    bool   `json:"allowed"`
	// Step is the name of the step that decided (identity, capability, account, license,
	// memberType, workCenter, target, escalation); StepNumber its number in
	// docs/administration.md.
	Step       string `json:"step"`
	StepNumber int    `json:"stepNumber"`
	// Rule is Delegation, or R7 for the last Account Administrator leaving; Reason its
	// reason constant, when it has one.
	Rule   string `json:"rule"`
	Reason string `json:"reason,omitempty"`
	// Message is the model's explanation, as admission gives it.
	Message string `json:"message"`
}

// Where says where a capability answer is about: "in the account", "in every WorkCenter"
// or "in WorkCenter W".
func Where(scope, workCenter string) string {
	switch {
	case workCenter != "":
		return "in WorkCenter " + workCenter
	case scope == string(model.ScopeWorkCenter):
		return "in every WorkCenter"
	}
	return "in the account"
}

// CanCapability decides whether c may do the capability in the WorkCenter ("" for none:
// a capability of scope WorkCenter is then asked everywhere, which only its member types
// hold). c must have been resolved (Collaborator), the WorkCenter too when given.
func (e *Engine) CanCapability(c *v1alpha1.Collaborator, capability model.Capability, workCenter string) CapabilityDecision {
	return capabilityDecision(c, e.m.MayDo(c, string(capability), workCenter))
}

func capabilityDecision(c *v1alpha1.Collaborator, d model.Decision) CapabilityDecision {
	info, _ := model.LookupCapability(d.Capability)
	return CapabilityDecision{
		Collaborator: c.Name, Email: c.Spec.Email, MemberType: string(model.MemberTypeOf(c)),
		Capability: d.Capability, Scope: string(info.Scope), WorkCenter: d.WorkCenter,
		Allowed: d.Allowed, Step: d.Step.String(), StepNumber: int(d.Step),
		Rule: string(d.Rule), Reason: d.Reason, Message: d.Message,
	}
}

// CapabilityAnswer is one collaborator's answer in WhoCanCapability.
type CapabilityAnswer struct {
	Collaborator string `json:"collaborator"`
	Email        string `json:"email"`
	MemberType   string `json:"memberType"`
	Step         string `json:"step"`
	StepNumber   int    `json:"stepNumber"`
	Message      string `json:"message"`
}

// WhoCanCapabilityResult lists who may do a capability (in a WorkCenter).
type WhoCanCapabilityResult struct {
	Capability string             `json:"capability"`
	Scope      string             `json:"scope"`
	WorkCenter string             `json:"workCenter,omitempty"`
	Allowed    []CapabilityAnswer `json:"allowed"`
	// Denied, when asked for, are every other Collaborator of the account, with why not.
	Denied []CapabilityAnswer `json:"denied,omitempty"`
}

// WhoCanCapability asks the model, for every Collaborator of the account (sorted by
// name), whether they may do the capability in the WorkCenter ("" for none), and lists
// those who may; with denied, also the others, with the model's reason.
func (e *Engine) WhoCanCapability(capability model.Capability, workCenter string, denied bool) WhoCanCapabilityResult {
	info, _ := model.LookupCapability(string(capability))
	if info.Scope == model.ScopeAccount {
		workCenter = ""
	}
	out := WhoCanCapabilityResult{Capability: string(capability), Scope: string(info.Scope), WorkCenter: workCenter, Allowed: []CapabilityAnswer{}}
	if denied {
		out.Denied = []CapabilityAnswer{}
	}
	for _, c := range sortedByName(e.m.Collaborators()) {
		d := e.CanCapability(c, capability, workCenter)
		if !d.Allowed && !denied {
			continue
		}
		a := CapabilityAnswer{Collaborator: c.Name, Email: c.Spec.Email, MemberType: d.MemberType,
			Step: d.Step, StepNumber: d.StepNumber, Message: d.Message}
		if d.Allowed {
			out.Allowed = append(out.Allowed, a)
		} else {
			out.Denied = append(out.Denied, a)
		}
	}
	return out
}

// CapabilityHeld is a capability a collaborator holds, with the model's message.
type CapabilityHeld struct {
	Capability string `json:"capability"`
	Scope      string `json:"scope"`
	Message    string `json:"message"`
}

// Capabilities lists the capabilities of the catalog c holds in the WorkCenter ("" for
// none: those of scope Account and, of scope WorkCenter, those held everywhere), in the
// catalog's order (docs/administration.md).
func (e *Engine) Capabilities(c *v1alpha1.Collaborator, workCenter string) []CapabilityHeld {
	out := []CapabilityHeld{}
	for _, info := range model.Capabilities() {
		if d := e.m.MayDo(c, string(info.Capability), workCenter); d.Allowed {
			out = append(out, CapabilityHeld{Capability: string(info.Capability), Scope: string(info.Scope), Message: d.Message})
		}
	}
	return out
}

// CapabilityAccess is a capability a collaborator holds somewhere, and where.
type CapabilityAccess struct {
	Capability string `json:"capability"`
	Scope      string `json:"scope"`
	// Everywhere: held in the account, or, for a capability of scope WorkCenter, in every
	// WorkCenter (by member type).
	Everywhere bool `json:"everywhere"`
	// WorkCenters, when not Everywhere, are the WorkCenters in which a WorkCenter
	// permission held there gives it, sorted by name.
	WorkCenters []string `json:"workCenters,omitempty"`
}

// capabilityAccess is every capability c holds somewhere in the account: each asked
// everywhere, then, for a capability of scope WorkCenter not held everywhere, in each
// WorkCenter of the account.
func (e *Engine) capabilityAccess(c *v1alpha1.Collaborator) []CapabilityAccess {
	out := []CapabilityAccess{}
	wcs := e.m.WorkCenters()
	slices.SortFunc(wcs, func(x, y *v1alpha1.WorkCenter) int { return CompareNames(x.Name, y.Name) })
	for _, info := range model.Capabilities() {
		row := CapabilityAccess{Capability: string(info.Capability), Scope: string(info.Scope)}
		row.Everywhere = e.m.MayDo(c, string(info.Capability), "").Allowed
		if !row.Everywhere && info.Scope == model.ScopeWorkCenter {
			for _, wc := range wcs {
				if e.m.MayDo(c, string(info.Capability), wc.Name).Allowed {
					row.WorkCenters = append(row.WorkCenters, wc.Name)
				}
			}
		}
		if row.Everywhere || len(row.WorkCenters) > 0 {
			out = append(out, row)
		}
	}
	return out
}
