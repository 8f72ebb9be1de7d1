package model

import (
	"fmt"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Readiness is what an object's Ready condition says once the rules are applied
// (docs/rules.md, Conditions), with Reconciling or Stalled when they apply: Ready True;
// or waiting for something that will come (Reconciling True); or a spec that is wrong
// and will not fix itself (Stalled True); or neither, blocked without the spec's fault.
type Readiness struct {
	Ready   bool
	Reason  string
	Message string
	// Waiting: something that will come is missing (Reconciling True).
	Waiting bool
	// Stalled: the spec itself is wrong and will not fix itself (Stalled True).
	Stalled bool
}

// ReadyWith is Ready True, reason Reconciled.
func ReadyWith(message string) Readiness {
	return Readiness{Ready: true, Reason: v1alpha1.ReasonReconciled, Message: message}
}

// WaitingFor is Ready False while something that will come is missing.
func WaitingFor(reason, message string) Readiness {
	return Readiness{Reason: reason, Message: message, Waiting: true}
}

// StalledBy is Ready False because the spec breaks a rule.
func StalledBy(reason, message string) Readiness {
	return Readiness{Reason: reason, Message: message, Stalled: true}
}

// NotReady is Ready False for something that is not the spec's fault and will not come
// by itself.
func NotReady(reason, message string) Readiness {
	return Readiness{Reason: reason, Message: message}
}

// stallingReasons are the assignment reasons that make a Collaborator Stalled: its spec
// breaks a rule (R2, R3, InclusionCycle). R5 stalls it through Evaluation.Duplicate.
var stallingReasons = []string{v1alpha1.ReasonRoleRequiresMember, v1alpha1.ReasonInclusionCycle}

// CollaboratorReadiness is a Collaborator's Ready from its evaluation against the
// account's owning Account (nil when there is none): a wrong spec first (Stalled), then
// what blocks without being the spec's fault, then what is still to come.
func CollaboratorReadiness(c *v1alpha1.Collaborator, account *v1alpha1.Account, e Evaluation) Readiness {
	firstWith := func(reasons ...string) *v1alpha1.WorkCenterAssignmentStatus {
		for i := range e.Statuses {
			for _, r := range reasons {
				if e.Statuses[i].Reason == r {
					return &e.Statuses[i]
				}
			}
		}
		return nil
	}
	switch {
	case account == nil:
		return WaitingFor(v1alpha1.ReasonAccountNotFound, fmt.Sprintf("waiting for an Account in namespace %q", c.Namespace))
	case e.Duplicate != nil:
		return StalledBy(e.Duplicate.Reason, e.Duplicate.Message)
	}
	if s := firstWith(stallingReasons...); s != nil {
		return StalledBy(s.Reason, s.Message)
	}
	if account.Spec.State == v1alpha1.AccountDeactivated {
		return NotReady(v1alpha1.ReasonAccountDeactivated,
			fmt.Sprintf("Account %q is Deactivated: the collaborator has no access until it is Active again", Short(account.Name)))
	}
	if s := firstWith(v1alpha1.ReasonRoleTerminating); s != nil {
		return NotReady(s.Reason, s.Message)
	}
	if IsMember(c) && !e.Licensed {
		return NotReady(v1alpha1.ReasonLicenseLimitExceeded,
			fmt.Sprintf("Account %q has %d licenses and older Members hold them all: Member %q holds none and has no access",
				Short(account.Name), account.Spec.Licenses, Short(c.Name)))
	}
	if s := firstWith(v1alpha1.ReasonWorkCenterNotFound, v1alpha1.ReasonRoleNotFound); s != nil {
		return WaitingFor(s.Reason, s.Message)
	}
	inEffect := 0
	for _, s := range e.Statuses {
		if InEffect(s.State) {
			inEffect++
		}
	}
	msg := fmt.Sprintf("%d of %d assignments in effect", inEffect, len(e.Statuses))
	if IsAdministrator(c) {
		msg += fmt.Sprintf("; as %s, every permission in every WorkCenter", c.Spec.AdminRole)
	}
	return ReadyWith(msg)
}

// WorkCenterReadiness is a WorkCenter's Ready: waiting for an Account, Stalled by an
// unknown category (R8), else Ready, archived or active.
func WorkCenterReadiness(wc *v1alpha1.WorkCenter, account *v1alpha1.Account, template ...*v1alpha1.WorkCenter) Readiness {
	if account == nil {
		return WaitingFor(v1alpha1.ReasonAccountNotFound, fmt.Sprintf("waiting for an Account in namespace %q", wc.Namespace))
	}
	if f := CheckCategory(wc, account); f != nil {
		return StalledBy(f.Reason, f.Message)
	}
	// collaboratorsFrom (docs/assignments.md): a template missing or not a template yet
	// waits; publishing from itself or through a chain is the spec's own fault.
	var from *v1alpha1.WorkCenter
	if len(template) > 0 {
		from = template[0]
	}
	if f := TemplateProblemOf(wc, from); f != nil {
		if f.Reason == v1alpha1.ReasonTemplateChain {
			return StalledBy(f.Reason, f.Message)
		}
		return WaitingFor(f.Reason, f.Message)
	}
	if wc.Spec.Archived {
		return ReadyWith("archived: collaborators keep at most workCenter.view and files.download")
	}
	return ReadyWith("active")
}

// RoleReadiness is a WorkCenterRole's Ready from resolving its effective permissions
// (err from Effective): Stalled by an inclusion cycle, waiting for an included role that
// does not exist yet, else Ready.
func RoleReadiness(builtIn bool, perms Set, err error) Readiness {
	switch e := err.(type) {
	case *CycleError:
		return StalledBy(v1alpha1.ReasonInclusionCycle, e.Error())
	case *RoleNotFoundError:
		return WaitingFor(v1alpha1.ReasonRoleNotFound, e.Error())
	}
	kind := "custom"
	if builtIn {
		kind = "built-in"
	}
	return ReadyWith(fmt.Sprintf("%s role with %d effective permissions (%d member-only)", kind, len(perms), len(perms.MemberOnly())))
}

// AccountReadiness is an Account's Ready given the namespace's owner: a second Account
// in a namespace is not Ready (DuplicateAccount); the owner is Ready, Active or
// Deactivated (a steady state).
func AccountReadiness(acct, owner *v1alpha1.Account) Readiness {
	if owner != nil && owner.Name != acct.Name {
		return NotReady(v1alpha1.ReasonDuplicateAccount,
			fmt.Sprintf("namespace %q already has Account %q, which is older; a namespace holds one Account", acct.Namespace, Short(owner.Name)))
	}
	if acct.Spec.State == v1alpha1.AccountDeactivated {
		return ReadyWith("account is Deactivated: objects are kept and nobody has any access until it is Active again")
	}
	return ReadyWith("account is Active")
}
