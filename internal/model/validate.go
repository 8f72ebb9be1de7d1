package model

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Admission's rules, per kind: what a create, an update or a delete of one object would
// break, judged against one snapshot of its account. The webhooks, and kubectl procorem
// validate offline, are adapters that turn these findings into their answers.
//
// What is rejected and what is only warned about (docs/rules.md): a reference to an
// object that does not exist yet is never rejected (apply order is arbitrary in GitOps),
// and a deletion is never denied: the controllers' finalizers hold it, and a warning says
// so. An update that leaves the spec as it was (finalizers, labels, owner references) is
// allowed, and nothing is checked on an object being deleted. Rules that compare with
// the old object "ratchet": an update is rejected for what it changes, and a problem it
// leaves as it was (a guest's unchanged assignment whose role became member-only
// meanwhile, a category that left the picklist) is a warning, as the object's status
// already says.

// Operation is what a request does to an object.
type Operation string

// The operations admission judges.
const (
	Create Operation = "CREATE"
	Update Operation = "UPDATE"
	Delete Operation = "DELETE"
)

// Request is one admission request about an object of type T.
type Request[T any] struct {
	Operation Operation
	// Object is the object created or updated, or the object deleted.
	Object T
	// Old is the stored object on an update; the zero T otherwise.
	Old T
	// Username is who asks.
	Username string
	// Operator: the operator's own identity asks. It alone edits built-in roles (R9) and
	// removes the protection finalizers of objects in use (R6, R7, R11).
	Operator bool
	// IdentityPrefix is the operator's --identity-username-prefix ("" for none): a
	// request whose Username, once it is removed, is the email of a Collaborator of the
	// account is judged as that Collaborator (delegated administration,
	// docs/administration.md). The operator is never a Collaborator.
	IdentityPrefix string
	// NamespaceTerminating: the namespace is being deleted, so protection finalizers step
	// aside and a deletion has nothing to warn about. Adapters read it only when
	// NeedsNamespace says the decision depends on it.
	NamespaceTerminating bool
}

// protection is one of the operator's protection finalizers and the rule it keeps.
type protection struct {
	finalizer string
	rule      Rule
	reason    string
	// mark ends the reason a deletion waits; until says what lets it go, in namespace.
	mark  string
	until func(namespace string) string
}

var (
	roleProtection = protection{v1alpha1.FinalizerInUseProtection, R6, v1alpha1.ReasonRoleInUse, ";",
		func(string) string { return "they are removed" }}
	administratorProtection = protection{v1alpha1.FinalizerLastAdministrator, R7, v1alpha1.ReasonLastAccountAdministrator, ":",
		func(string) string {
			return "another Member is made an AccountAdministrator or the account is deactivated"
		}}
	accountProtection = protection{v1alpha1.FinalizerAccountProtection, R11, v1alpha1.ReasonAccountInUse, ";",
		func(ns string) string { return fmt.Sprintf("they are deleted, or until namespace %q is deleted", ns) }}
	protections = []protection{roleProtection, administratorProtection, accountProtection}
)

// NeedsNamespace reports whether judging the request depends on whether its namespace is
// being deleted: the deletion of an object a protection finalizer holds, or an update
// that removes one.
func NeedsNamespace(op Operation, old, obj metav1.Object) bool {
	switch op {
	case Delete:
		return obj.GetDeletionTimestamp() == nil &&
			slices.ContainsFunc(protections, func(p protection) bool { return slices.Contains(obj.GetFinalizers(), p.finalizer) })
	case Update:
		return slices.ContainsFunc(protections, func(p protection) bool { return removes(old, obj, p.finalizer) })
	}
	return false
}

func removes(old, obj metav1.Object, finalizer string) bool {
	return old != nil && slices.Contains(old.GetFinalizers(), finalizer) && !slices.Contains(obj.GetFinalizers(), finalizer)
}

// skipUpdate reports whether an update is let through without checking any rule: the
// object is being deleted, or its spec did not change.
func skipUpdate(obj metav1.Object, sameSpec bool) bool {
	return obj.GetDeletionTimestamp() != nil || sameSpec
}

// finalizerKept refuses an update that removes p's finalizer while the object is still
// in use, for anyone but the operator: otherwise a `kubectl replace` of a manifest
// without it (or a GitOps tool syncing with replace) drops the protection, and the next
// delete removes an object that is in use. inUse says what still uses the object (""
// when nothing does); it is asked only when the update removes the finalizer. A
// namespace being deleted lets every finalizer go.
func finalizerKept[T metav1.Object](r Request[T], p protection, inUse func() string) Findings {
	if !removes(r.Old, r.Object, p.finalizer) || r.Operator || r.NamespaceTerminating {
		return nil
	}
	why := inUse()
	if why == "" {
		return nil
	}
	return Findings{{Rule: p.rule, Reason: p.reason, Field: field.NewPath("metadata", "finalizers"), Message: fmt.Sprintf(
		"%s: finalizer %s protects it while it is in use, and the operator removes it once nothing uses it; keep it (kubectl apply leaves it in place; a replaced manifest must list it)",
		why, p.finalizer)}}
}

// deletionWaits never denies a deletion: it warns when p's finalizer will hold it
// because of why ("" when nothing holds it). An object being deleted already, one
// without the finalizer and one in a namespace being deleted have nothing to warn about.
func deletionWaits[T metav1.Object](r Request[T], p protection, why func() string) Findings {
	obj := r.Object
	if obj.GetDeletionTimestamp() != nil || !slices.Contains(obj.GetFinalizers(), p.finalizer) || r.NamespaceTerminating {
		return nil
	}
	w := why()
	if w == "" {
		return nil
	}
	return Findings{{Rule: p.rule, Reason: p.reason, Warning: true, Message: fmt.Sprintf(
		"%s%s its deletion waits (finalizer %s, DeletionBlocked %s) until %s", w, p.mark, p.finalizer, p.reason, p.until(obj.GetNamespace()))}}
}

// pendingWarning is the warning for a reference to an object that does not exist yet.
func pendingWarning(reason, what string) Finding {
	return Finding{Rule: RulePending, Reason: reason, Warning: true,
		Message: what + " does not exist yet; the assignment waits (Pending) until it appears"}
}

// Requester is who asks as delegated administration sees it (docs/administration.md):
// the Collaborator the request's username names (Identify), nil for the operator and for
// anyone who is nobody of the account, whom Kubernetes RBAC alone judges.
func Requester[T any](a *Account, r Request[T]) *v1alpha1.Collaborator {
	if r.Operator {
		return nil
	}
	by, err := a.Identify(r.Username, r.IdentityPrefix)
	if err != nil {
		return nil
	}
	return by
}

// delegated is admission's verdict on a request: first whether who asks may make the
// change at all (may, delegated administration: its refusals alone answer, 403), then
// the rules the change must keep, with delegated administration's warnings (the audit
// trail of an unassigned administrator) after them.
func delegated[T any](a *Account, r Request[T], may func(by *v1alpha1.Collaborator, old, obj T) Findings, rules func(Request[T]) Findings) Findings {
	var fs Findings
	if by := Requester(a, r); by != nil {
		var none T
		switch r.Operation {
		case Create:
			fs = may(by, none, r.Object)
		case Update:
			fs = may(by, r.Old, r.Object)
		case Delete:
			fs = may(by, r.Object, none)
		}
		if len(fs.Errors()) > 0 {
			return fs
		}
	}
	if out := rules(r); len(out) > 0 {
		return append(out, fs...)
	}
	return fs
}

// ValidateCreate is admission's verdict on creating obj, an object of one of the four
// kinds, by anyone but the operator: kubectl procorem validate replays manifests through
// it. An object of another kind has no finding.
func (a *Account) ValidateCreate(obj any) Findings {
	switch o := obj.(type) {
	case *v1alpha1.Account:
		return a.ValidateAccount(Request[*v1alpha1.Account]{Operation: Create, Object: o})
	case *v1alpha1.WorkCenter:
		return a.ValidateWorkCenter(Request[*v1alpha1.WorkCenter]{Operation: Create, Object: o})
	case *v1alpha1.WorkCenterRole:
		return a.ValidateRole(Request[*v1alpha1.WorkCenterRole]{Operation: Create, Object: o})
	case *v1alpha1.Collaborator:
		return a.ValidateCollaborator(Request[*v1alpha1.Collaborator]{Operation: Create, Object: o})
	}
	return nil
}

// ValidateCollaborator is admission's verdict on a Collaborator: R2, R3, R4, R5, R7 and
// R10 on a create or an update (for what it changes), warnings about the references
// that wait, and on a deletion a warning when the last AccountAdministrator's deletion
// will wait on its finalizer (R7).
//
// When a Collaborator of the account asks, delegated administration (MayChangeCollaborator)
// decides first whether it may make the change at all.
func (a *Account) ValidateCollaborator(r Request[*v1alpha1.Collaborator]) Findings {
	return delegated(a, r, a.MayChangeCollaborator, a.validateCollaborator)
}

func (a *Account) validateCollaborator(r Request[*v1alpha1.Collaborator]) Findings {
	c, old := r.Object, r.Old
	switch r.Operation {
	case Delete:
		return deletionWaits(r, administratorProtection, func() string { return a.lastAdministrator(c) })
	case Update:
		// Whether the finalizer may go is decided for the Collaborator as it is stored: an
		// update that demotes the last administrator and drops its finalizer at once does
		// not free it.
		if fs := finalizerKept(r, administratorProtection, func() string { return a.lastAdministrator(old) }); fs != nil {
			return fs
		}
		if skipUpdate(c, equality.Semantic.DeepEqual(old.Spec, c.Spec)) {
			return nil
		}
	default:
		old = nil
	}
	var out Findings
	account := a.owner
	spec := field.NewPath("spec")
	if account == nil {
		out = append(out, Finding{Rule: RulePending, Reason: v1alpha1.ReasonAccountNotFound, Warning: true, Message: fmt.Sprintf(
			"namespace %q has no Account yet; Collaborator %q waits (Pending, %s) until one appears",
			c.Namespace, Short(c.Name), v1alpha1.ReasonAccountNotFound)})
	}
	out = append(out, a.checkAssignments(c, old)...)

	// R4: a new Member, or a Guest made a Member, needs a free license.
	members := int32(len(a.members))
	if stored := a.collaborators[c.Name]; stored != nil && IsMember(stored) {
		members-- // c itself, as stored
	}
	if f := CheckLicenseFree(c, old, members, account); f != nil {
		f.Field = spec.Child("type")
		out = append(out, *f)
	}

	// R5: an email another collaborator of the account has. The collaborator taking it
	// is the newcomer to the email, whatever its own age.
	if old == nil || old.Spec.Email != c.Spec.Email {
		if same := a.SameEmail(c); len(same) > 0 {
			newcomer := c.DeepCopy()
			newcomer.CreationTimestamp = metav1.Time{}
			if f := CheckEmailUnique(newcomer, same); f != nil {
				f.Field, f.Value = spec.Child("email"), c.Spec.Email
				out = append(out, *f)
			}
		}
	}

	// R7: the last AccountAdministrator of an active Account is not demoted.
	if old != nil {
		if f := CheckDemotion(old, c, account, a.AccountAdministrators()); f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// lastAdministrator says that c is the last AccountAdministrator of an active Account
// (R7), "" when it is not.
func (a *Account) lastAdministrator(c *v1alpha1.Collaborator) string {
	if !IsAccountAdministrator(c) || !LastAdministratorHolds(c, a.owner, a.AccountAdministrators()) {
		return ""
	}
	return lastAdministrator(c, a.owner)
}

// checkAssignments is R2, R3 and R10 for each assignment of c, and the warnings for the
// WorkCenters and roles an assignment waits for.
func (a *Account) checkAssignments(c, old *v1alpha1.Collaborator) Findings {
	before := map[v1alpha1.ObjectName]v1alpha1.ObjectName{}
	if old != nil {
		for _, as := range old.Spec.WorkCenters {
			before[as.Name] = as.Role
		}
	}
	// R3: a Member turned into a Guest answers for every member-only role held.
	madeGuest := old != nil && IsMember(old) && !IsMember(c)
	var out Findings
	for i, as := range c.Spec.WorkCenters {
		wcName, roleName := string(as.Name), string(as.Role)
		path := field.NewPath("spec", "workCenters").Index(i).Child("role")
		prevRole, had := before[as.Name]
		isNew := !had || prevRole != as.Role
		if a.workCenters[wcName] == nil {
			out = append(out, pendingWarning(v1alpha1.ReasonWorkCenterNotFound, fmt.Sprintf("WorkCenter %q", Short(wcName))))
		}
		role, ok := a.roles[roleName]
		if !ok {
			out = append(out, pendingWarning(v1alpha1.ReasonRoleNotFound, fmt.Sprintf("WorkCenterRole %q (assigned in WorkCenter %q)", Short(roleName), Short(wcName))))
			continue
		}
		// R10: no new assignment to a role that is being deleted.
		if isNew {
			if f := CheckRoleNotTerminating(c, wcName, role); f != nil {
				f.Field = path
				out = append(out, *f)
			}
		}
		perms, err := a.Effective(roleName)
		switch e := err.(type) {
		case *CycleError:
			// A new assignment to a role that cannot be resolved is refused, as the
			// controllers would reject it (Stalled); one the update leaves as it was stays
			// Rejected, with a warning.
			if isNew {
				out = append(out, Finding{Rule: RuleInclusionCycle, Reason: v1alpha1.ReasonInclusionCycle, Field: path, Message: fmt.Sprintf(
					"WorkCenterRole %q cannot be resolved: %s; assign another role in WorkCenter %q, or break the cycle first",
					Short(roleName), e.Error(), Short(wcName))})
			} else {
				out = append(out, Finding{Rule: RuleInclusionCycle, Reason: v1alpha1.ReasonInclusionCycle, Field: path, Warning: true, Message: fmt.Sprintf(
					"WorkCenterRole %q cannot be resolved: %s; the assignment in WorkCenter %q is Rejected (%s) until the cycle is broken",
					Short(roleName), e.Error(), Short(wcName), v1alpha1.ReasonInclusionCycle)})
			}
		case *RoleNotFoundError:
			out = append(out, Finding{Rule: RulePending, Reason: v1alpha1.ReasonRoleNotFound, Field: path, Warning: true, Message: fmt.Sprintf(
				"%s; the assignment in WorkCenter %q waits (Pending) until it appears", e.Error(), Short(wcName))})
		}
		// R2 and R3, one assignment at a time so that an update answers only for what it
		// changes.
		if f := placeGuest(CheckRoleForGuest(c, wcName, roleName, perms), madeGuest, isNew, path); f != nil {
			out = append(out, *f)
		}
	}
	return append(out, a.checkSelectors(c, old, madeGuest)...)
}

// placeGuest places R2's finding about one assignment (nil for none): R3 at spec.type
// for a Member made a Guest, a refusal at path for a new assignment, a warning for one
// the update leaves as it was (it stays Rejected).
func placeGuest(f *Finding, madeGuest, isNew bool, path *field.Path) *Finding {
	switch {
	case f == nil:
	case madeGuest:
		f.Rule, f.Field = R3, field.NewPath("spec", "type")
	case isNew:
		f.Field = path
	default:
		f.Field, f.Warning = path, true
		f.Message = fmt.Sprintf("%s; the assignment stays Rejected (%s)", f.Message, f.Reason)
	}
	return f
}

// checkSelectors judges c's WorkCenter selectors (docs/assignments.md) as checkAssignments
// judges listed entries, once for every WorkCenter a selector may match: a selector must
// parse and select something; a new selector's role may not be being deleted (R10) nor,
// for a Guest, member-only (R2; R3 for a Member made a Guest); a role that does not exist
// yet is a warning.
func (a *Account) checkSelectors(c, old *v1alpha1.Collaborator, madeGuest bool) Findings {
	had := func(sel v1alpha1.WorkCenterSelector) bool {
		return old != nil && slices.ContainsFunc(old.Spec.WorkCenterSelectors, func(o v1alpha1.WorkCenterSelector) bool {
			return equality.Semantic.DeepEqual(o, sel)
		})
	}
	var out Findings
	for i, sel := range c.Spec.WorkCenterSelectors {
		at := field.NewPath("spec", "workCenterSelectors").Index(i)
		if _, err := Selector(sel.Selector); err != nil {
			out = append(out, Finding{Rule: RuleSelectors, Reason: "InvalidSelector", Field: at.Child("selector"), Message: fmt.Sprintf(
				"the selector does not parse: %v", err)})
			continue
		}
		roleName, isNew := string(sel.Role), !had(sel)
		path := at.Child("role")
		role, ok := a.roles[roleName]
		if !ok {
			out = append(out, pendingWarning(v1alpha1.ReasonRoleNotFound, fmt.Sprintf("WorkCenterRole %q (assigned by selector %d)", Short(roleName), i)))
			continue
		}
		if isNew {
			if f := checkRoleNotTerminating(c, bySelector(i, sel.Selector), role); f != nil {
				f.Field = path
				out = append(out, *f)
			}
		}
		perms, err := a.Effective(roleName)
		if err != nil {
			continue // Rejected or Pending in status, as for a listed entry
		}
		if f := placeGuest(checkRoleForGuest(c, bySelector(i, sel.Selector), roleName, perms), madeGuest, isNew, path); f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// ValidateWorkCenter is admission's verdict on a WorkCenter: R8 on a create or an update
// that chooses its category (archiving a WorkCenter whose category left the picklist
// meanwhile is fine), a warning while the namespace has no Account. Deletions keep no
// rule.
//
// When a Collaborator of the account asks, delegated administration (MayChangeWorkCenter)
// decides first whether it may make the change at all.
func (a *Account) ValidateWorkCenter(r Request[*v1alpha1.WorkCenter]) Findings {
	return delegated(a, r, a.MayChangeWorkCenter, a.validateWorkCenter)
}

func (a *Account) validateWorkCenter(r Request[*v1alpha1.WorkCenter]) Findings {
	wc, old := r.Object, r.Old
	switch r.Operation {
	case Delete:
		return nil
	case Update:
		if skipUpdate(wc, equality.Semantic.DeepEqual(old.Spec, wc.Spec)) {
			return nil
		}
	default:
		old = nil
	}
	account := a.owner
	if account == nil {
		msg := fmt.Sprintf("namespace %q has no Account yet; WorkCenter %q waits (%s) until one appears", wc.Namespace, Short(wc.Name), v1alpha1.ReasonAccountNotFound)
		if wc.Spec.Category != "" {
			msg += fmt.Sprintf(", and its category %q is checked against the Account's workCenterCategories then", Short(wc.Spec.Category))
		}
		return Findings{{Rule: RulePending, Reason: v1alpha1.ReasonAccountNotFound, Warning: true, Message: msg}}
	}
	out := a.checkCollaboratorsFrom(wc, old)
	f := CheckCategory(wc, account)
	switch {
	case f == nil:
		return out
	case old == nil || old.Spec.Category != wc.Spec.Category:
		f.Field, f.Value = field.NewPath("spec", "category"), wc.Spec.Category
	default:
		f.Warning = true
		f.Message = fmt.Sprintf("%s; the WorkCenter stays not Ready (%s)", f.Message, f.Reason)
	}
	return append(out, *f)
}

// checkCollaboratorsFrom judges a WorkCenter's template publishing (docs/assignments.md):
// publishing from itself or through a chain (from a template that publishes from
// another, or as a template) is refused when the update sets it; a template that is
// missing or not a template is a warning (the WorkCenter waits).
func (a *Account) checkCollaboratorsFrom(wc, old *v1alpha1.WorkCenter) Findings {
	path := field.NewPath("spec", "collaboratorsFrom")
	changed := old == nil || old.Spec.CollaboratorsFrom != wc.Spec.CollaboratorsFrom || old.Spec.Template != wc.Spec.Template
	var out Findings
	if wc.Spec.Template && wc.Spec.CollaboratorsFrom != "" {
		out = append(out, Finding{Rule: RuleTemplates, Reason: v1alpha1.ReasonTemplateChain, Field: path, Value: string(wc.Spec.CollaboratorsFrom),
			Warning: !changed, Message: fmt.Sprintf(
				"template %q cannot publish the collaborators of %q: a template's collaborators are its own, and WorkCenters publish from a template directly, never through a chain",
				Short(wc.Name), Short(string(wc.Spec.CollaboratorsFrom)))})
	}
	if f := a.TemplateProblem(wc); f != nil {
		f.Field, f.Value = path, string(wc.Spec.CollaboratorsFrom)
		if f.Reason != v1alpha1.ReasonTemplateChain || !changed {
			f.Warning = true
			f.Message = fmt.Sprintf("%s; WorkCenter %q publishes nobody until then (%s)", f.Message, Short(wc.Name), f.Reason)
		}
		out = append(out, *f)
	}
	if old != nil && old.Spec.Template && (!wc.Spec.Template || wc.Spec.CollaboratorsFrom != "") {
		if pubs := a.PublishedFrom(wc.Name); len(pubs) > 0 {
			out = append(out, Finding{Rule: RuleTemplates, Reason: v1alpha1.ReasonNotATemplate, Field: field.NewPath("spec", "template"), Warning: true,
				Message: fmt.Sprintf("WorkCenters %s publish the collaborators of %q: they lose them, and wait, until it is a template again",
					ListWithTotal(shortAll(pubs), MaxUsersListed), Short(wc.Name))})
		}
	}
	return out
}

// ValidateRole is admission's verdict on a WorkCenterRole: R9 (built-in roles are the
// operator's), R2 through a role change, and a new inclusion cycle on a create or an
// update; warnings about includes that wait; on a deletion, never a denial (the Account
// controller recreates built-in roles), a warning when the deletion will wait because
// the role is assigned or included (R6). For a role, the built-in label counts as spec:
// removing it from a built-in role is an edit of that role.
//
// When a Collaborator of the account asks, delegated administration (MayChangeRole)
// decides first whether it may make the change at all.
func (a *Account) ValidateRole(r Request[*v1alpha1.WorkCenterRole]) Findings {
	return delegated(a, r, a.MayChangeRole, a.validateRole)
}

func (a *Account) validateRole(r Request[*v1alpha1.WorkCenterRole]) Findings {
	role, old := r.Object, r.Old
	switch r.Operation {
	case Delete:
		return deletionWaits(r, roleProtection, func() string { return a.roleInUse(role.Name) })
	case Update:
		if fs := finalizerKept(r, roleProtection, func() string { return a.roleInUse(role.Name) }); fs != nil {
			return fs
		}
		same := equality.Semantic.DeepEqual(old.Spec, role.Spec) &&
			old.Labels[v1alpha1.LabelBuiltIn] == role.Labels[v1alpha1.LabelBuiltIn]
		if skipUpdate(role, same) {
			return nil
		}
	default:
		old = nil
	}
	if v1alpha1.IsBuiltInRoleName(role.Name) {
		if f := CheckBuiltInEdit(role, old != nil, r.Username, r.Operator); f != nil {
			return Findings{*f}
		}
		return nil
	}
	var out Findings
	for _, inc := range role.Spec.Includes {
		if _, ok := a.roles[string(inc)]; !ok && string(inc) != role.Name {
			out = append(out, Finding{Rule: RulePending, Reason: v1alpha1.ReasonRoleNotFound, Field: field.NewPath("spec", "includes"), Warning: true, Message: fmt.Sprintf(
				"WorkCenterRole %q includes %q, which does not exist yet; the role and its assignments wait (Pending) until it appears",
				Short(role.Name), Short(string(inc)))})
		}
	}
	// A change that leaves the role unresolvable is rejected: it closes a cycle, or makes
	// the role include a role of one (its holders' assignments would be Rejected). A role
	// caught in a cycle before the change is not made so by it: a warning.
	next := make(Roles, len(a.roles)+1)
	for n, r := range a.roles {
		next[n] = r
	}
	next[role.Name] = role
	if _, err := next.Effective(role.Name); err != nil {
		if cycle, ok := err.(*CycleError); ok {
			fix := fmt.Sprintf("this change to WorkCenterRole %q closes it: remove one of those includes", Short(role.Name))
			if !slices.Contains(cycle.Cycle, role.Name) {
				fix = fmt.Sprintf("WorkCenterRole %q would include it and resolve to nothing: include roles outside the cycle, or break it first", Short(role.Name))
			}
			if _, err := a.Effective(role.Name); isCycle(err) {
				out = append(out, Finding{Rule: RuleInclusionCycle, Reason: v1alpha1.ReasonInclusionCycle, Warning: true, Message: fmt.Sprintf(
					"%s; the roles of the cycle stay not Ready (%s) until it is broken", cycle.Error(), v1alpha1.ReasonInclusionCycle)})
			} else {
				out = append(out, Finding{Rule: RuleInclusionCycle, Reason: v1alpha1.ReasonInclusionCycle, Field: field.NewPath("spec", "includes"),
					Message: cycle.Error() + "; " + fix})
			}
		}
	}
	// R2: no role held by a guest is made member-only. Only the holders of the role and
	// of the roles including it can be affected: the index finds them without reading
	// every Collaborator of the account.
	var holders []*v1alpha1.Collaborator
	seen := map[string]bool{}
	for _, affected := range next.Dependents(role.Name) {
		for _, c := range a.Holding(affected) {
			if !seen[c.Name] {
				seen[c.Name] = true
				holders = append(holders, c)
			}
		}
	}
	if f := CheckRoleChange(role, a.roles, holders); f != nil {
		f.Field = field.NewPath("spec")
		out = append(out, *f)
	}
	return out
}

func isCycle(err error) bool {
	_, ok := err.(*CycleError)
	return ok
}

// roleInUse says who holds or includes the role (R6), "" when nothing does.
func (a *Account) roleInUse(role string) string {
	use := a.UseOf(role)
	if !use.InUse() {
		return ""
	}
	return fmt.Sprintf("WorkCenterRole %q is %s", Short(role), use)
}

// ValidateAccount is admission's verdict on an Account. It denies one thing: removing the
// account-protection finalizer while the Account is in use (R11); its other rules are in
// its CRD schema. It warns about what a change will do to the account: a second Account
// in the namespace (DuplicateAccount), categories still in use leaving the picklist (R8),
// Members losing their license (R4), and a deletion that waits on the account-protection
// finalizer (R11).
//
// When a Collaborator of the account asks, delegated administration (MayChangeAccount)
// decides first whether it may make the change at all.
func (a *Account) ValidateAccount(r Request[*v1alpha1.Account]) Findings {
	return delegated(a, r, a.MayChangeAccount, a.validateAccount)
}

func (a *Account) validateAccount(r Request[*v1alpha1.Account]) Findings {
	acct, old := r.Object, r.Old
	if r.Operation == Create {
		return a.duplicateAccount(acct)
	}
	if a.owner != nil && a.owner.Name != acct.Name {
		return nil // a duplicate Account governs nothing (R11 protects the owner only)
	}
	if r.Operation == Delete {
		return deletionWaits(r, accountProtection, func() string { return a.accountInUse(acct) })
	}
	if fs := finalizerKept(r, accountProtection, func() string { return a.accountInUse(acct) }); fs != nil {
		return fs
	}
	if skipUpdate(acct, equality.Semantic.DeepEqual(old.Spec, acct.Spec)) {
		return nil
	}
	out := a.removedCategories(old, acct)
	if losing := a.LosingLicenses(old.Spec.Licenses, acct.Spec.Licenses); len(losing) > 0 {
		out = append(out, Finding{Rule: R4, Reason: v1alpha1.ReasonLicenseLimitExceeded, Field: field.NewPath("spec", "licenses"), Warning: true, Message: fmt.Sprintf(
			"lowering Account %q's licenses to %d takes the license, and with it every access, from its newest Members: %s (%s)",
			Short(acct.Name), acct.Spec.Licenses, ListWithTotal(losing, MaxUsersListed), v1alpha1.ReasonLicenseLimitExceeded)})
	}
	return out
}

// duplicateAccount warns when the namespace already has an Account.
func (a *Account) duplicateAccount(acct *v1alpha1.Account) Findings {
	var existing []string
	for name := range a.accounts {
		if name != acct.Name {
			existing = append(existing, name)
		}
	}
	if len(existing) == 0 {
		return nil
	}
	slices.Sort(existing)
	has := fmt.Sprintf("Account %q", Short(existing[0]))
	if len(existing) > 1 {
		has = "Accounts " + ListWithTotal(existing, MaxUsersListed)
	}
	return Findings{{Rule: RuleDuplicateAccount, Reason: v1alpha1.ReasonDuplicateAccount, Warning: true, Message: fmt.Sprintf(
		"namespace %q already has %s; a namespace holds one Account and the oldest wins, so Account %q will not be Ready (%s)",
		acct.Namespace, has, Short(acct.Name), v1alpha1.ReasonDuplicateAccount)}}
}

// removedCategories warns, per category leaving the picklist, about the WorkCenters
// that still use it (R8).
func (a *Account) removedCategories(old, acct *v1alpha1.Account) Findings {
	var out Findings
	for _, c := range old.Spec.Picklists.WorkCenterCategories {
		if slices.Contains(acct.Spec.Picklists.WorkCenterCategories, c) {
			continue
		}
		var users []string
		for _, wc := range a.workCenters {
			if wc.Spec.Category == string(c) && wc.DeletionTimestamp.IsZero() {
				users = append(users, wc.Name)
			}
		}
		if len(users) == 0 {
			continue
		}
		slices.Sort(users)
		out = append(out, Finding{Rule: R8, Reason: v1alpha1.ReasonUnknownCategory, Field: field.NewPath("spec", "picklists", "workCenterCategories"), Warning: true, Message: fmt.Sprintf(
			"category %q leaves Account %q's workCenterCategories but WorkCenters still use it: %s; they will not be Ready (%s) until their category changes or it is added back",
			Short(string(c)), Short(acct.Name), ListWithTotal(users, MaxUsersListed), v1alpha1.ReasonUnknownCategory)})
	}
	return out
}

// accountInUse says what the Account still has (R11), "" when it has nothing.
func (a *Account) accountInUse(acct *v1alpha1.Account) string {
	use := UseOfAccount(values(a.workCenters), values(a.roles), values(a.collaborators))
	if !use.InUse() {
		return ""
	}
	return fmt.Sprintf("Account %q still has %s", Short(acct.Name), use)
}
