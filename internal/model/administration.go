package model

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Delegated administration (docs/administration.md): the account's own people change its
// objects through kubectl exactly as far as their member type, and inside a WorkCenter
// their WorkCenter permissions, allow. Who is asking is Identify; whether they may is
// Decide, the one decision every adapter calls (MayDo, MayGrant and the MayChange
// functions are built on it). Everything here is pure: the account's snapshot in, a
// decision out.

// RuleDelegation: a Collaborator asked for a change its member type and WorkCenter
// permissions do not allow (docs/administration.md).
const RuleDelegation Rule = "Delegation"

// MaxDecisionMessage is the most a decision's message takes (bytes): it fits an Event
// note and an admission denial's field message with its rule.
const MaxDecisionMessage = 1024

// maxHoldersShown is how many people of one member type a message names; the total
// follows.
const maxHoldersShown = 5

// NotCollaborator is Identify's answer for a request whose user is no Collaborator of the
// account: Kubernetes RBAC alone judges such a request.
type NotCollaborator struct {
	// Username is the request's username, as it came.
	Username string
	// Why says why it is nobody of the account.
	Why string
}

func (e *NotCollaborator) Error() string {
	return fmt.Sprintf("user %q is not a Collaborator of the account: %s; Kubernetes RBAC alone decides",
		Bound(e.Username, MaxUsername), e.Why)
}

// Identify is who asks, in this account: the Collaborator whose spec.email equals the
// request's username once prefix (the --identity-username-prefix, like the API server's
// --oidc-username-prefix; "" for none) is removed from its start, compared
// case-insensitively. Of two Collaborators with that email, R5's holder (the oldest) is
// the one. Anyone else, an empty username and a username without the prefix included, is
// a *NotCollaborator. A platform administrator who is also a Collaborator is that
// Collaborator.
func (a *Account) Identify(username, prefix string) (*v1alpha1.Collaborator, error) {
	if username == "" {
		return nil, &NotCollaborator{Why: "the request has no username"}
	}
	email := username
	if prefix != "" {
		rest, ok := strings.CutPrefix(username, prefix)
		if !ok {
			return nil, &NotCollaborator{Username: username, Why: fmt.Sprintf("it does not start with the identity prefix %q", Short(prefix))}
		}
		email = rest
	}
	if email == "" {
		return nil, &NotCollaborator{Username: username, Why: "nothing is left of it once the identity prefix is removed"}
	}
	var holder *v1alpha1.Collaborator
	for _, name := range a.byEmail[emailKey(email)] {
		if c := a.collaborators[name]; holder == nil || Older(c, holder) {
			holder = c
		}
	}
	if holder == nil {
		return nil, &NotCollaborator{Username: username, Why: fmt.Sprintf("no Collaborator has the email %q", Short(email))}
	}
	return holder, nil
}

// DecisionStep is the step of a decision (docs/administration.md, How a decision is
// made) that decided it, numbered as there.
type DecisionStep int

// The steps of a decision, in the order they are taken.
const (
	// DecisionIdentity: who asks is no Collaborator; the model leaves it to RBAC.
	DecisionIdentity DecisionStep = iota + 1
	// DecisionCapability: the capability asked about does not exist, or a WorkCenter
	// permission was asked about without a WorkCenter.
	DecisionCapability
	// DecisionAccount: no Account, or a Deactivated one and no Account Administrator.
	DecisionAccount
	// DecisionLicense: a Member holding no license (R4).
	DecisionLicense
	// DecisionMemberType: the member type holds the capability everywhere, or (without a
	// WorkCenter permission to turn to) does not.
	DecisionMemberType
	// DecisionWorkCenter: the WorkCenter permission held in the WorkCenter decides.
	DecisionWorkCenter
	// DecisionTarget: whom the capability acts on (leaving is for oneself, R7's last
	// administrator, User Administrators and Account Administrators).
	DecisionTarget
	// DecisionEscalation: a role granted must not give what the granting person lacks.
	DecisionEscalation
)

var decisionStepNames = map[DecisionStep]string{
	DecisionIdentity: "identity", DecisionCapability: "capability", DecisionAccount: "account",
	DecisionLicense: "license", DecisionMemberType: "memberType", DecisionWorkCenter: "workCenter",
	DecisionTarget: "target", DecisionEscalation: "escalation",
}

func (s DecisionStep) String() string {
	if n, ok := decisionStepNames[s]; ok {
		return n
	}
	return fmt.Sprintf("DecisionStep(%d)", int(s))
}

// Question is one question to Decide: may the Collaborator do Capability (in
// WorkCenter) (to Target)?
type Question struct {
	// Capability is a capability of the catalog, or a WorkCenter permission (asked in a
	// WorkCenter, effective access answers it).
	Capability string
	// WorkCenter is the WorkCenter asked about; "" for none. A capability of
	// ScopeAccount ignores it.
	WorkCenter string
	// Target is the Collaborator the capability acts on; nil for none, or for a question
	// about no one in particular. account.leave without a target is about oneself.
	Target *v1alpha1.Collaborator
}

// Decision is the answer to a Question, with what decided it.
type Decision struct {
	Allowed bool
	// Capability, WorkCenter and Target (a name) are the question's.
	Capability string
	WorkCenter string
	Target     string
	// Role is the role MayGrant was asked about; "" otherwise.
	Role string
	// Collaborator is who asks ("" when nobody of the account), MemberType its type.
	Collaborator string
	MemberType   MemberType
	// Step is the step that decided.
	Step DecisionStep
	// Rule is RuleDelegation, or R7 for the last Account Administrator leaving.
	Rule Rule
	// Reason is the v1alpha1 reason of Rule, "" for RuleDelegation.
	Reason string
	// Message says it to a person, naming who asks, the capability and, when refused,
	// who in the account holds it; at most MaxDecisionMessage bytes.
	Message string
}

// Finding is a refused decision as admission reports it: a Forbidden finding (403) at
// path, the field that needs the capability (nil for the object as a whole). nil when
// the decision allows.
func (d Decision) Finding(path *field.Path) *Finding {
	if d.Allowed {
		return nil
	}
	return &Finding{Rule: d.Rule, Reason: d.Reason, Field: path, Message: d.Message, Forbidden: true}
}

// MayDo is Decide for a question with no target: may c do capability (in workCenter)?
func (a *Account) MayDo(c *v1alpha1.Collaborator, capability, workCenter string) Decision {
	return a.Decide(c, Question{Capability: capability, WorkCenter: workCenter})
}

// Decide answers "may c do the capability (in the WorkCenter) (to the target)?" from the
// account's snapshot, taking the steps of docs/administration.md in order: identity (nil
// c is nobody of the account: RBAC alone decides, and the decision refuses), capability
// (unknown names refused with the nearest ones), account (none: nothing; Deactivated:
// only Account Administrators), license (an unlicensed Member holds nothing but
// account.leave, and licenses.manage for an Account Administrator), member type (the
// holders have it everywhere), WorkCenter (the capability's WorkCenter permission, held
// there by effective access), target (leaving is for oneself and not for R7's last
// Account Administrator; a User Administrator never acts on an Account Administrator).
// A WorkCenter permission that is no capability is answered by effective access in the
// WorkCenter (docs/rules.md).
func (a *Account) Decide(c *v1alpha1.Collaborator, q Question) Decision {
	d := Decision{Capability: q.Capability, WorkCenter: q.WorkCenter, Rule: RuleDelegation}
	if q.Target != nil {
		d.Target = q.Target.Name
	}
	if c == nil {
		return d.refuse(DecisionIdentity, "not a Collaborator of the account: Kubernetes RBAC alone decides")
	}
	d.Collaborator, d.MemberType = c.Name, MemberTypeOf(c)
	info, known := LookupCapability(q.Capability)
	if !known {
		if _, ok := Lookup(Permission(q.Capability)); ok {
			return a.decidePermission(c, q, d)
		}
		_, err := FindCapability(q.Capability)
		return d.refuse(DecisionCapability, fmt.Sprintf("%s may not %s: %s", who(c), Short(q.Capability), err.Error()))
	}
	if info.Scope == ScopeAccount {
		d.WorkCenter = ""
	}
	// The message is the one thing built (the authorizer answers a check with it and
	// nothing else on the heap): appended to a buffer on the stack, made a string once.
	var buf [512]byte
	asked := d.appendAsked(buf[:0], c)
	if refused, ok := a.accountStep(d, asked); ok {
		return refused
	}
	if IsMember(c) && !a.Licensed(c) && !licenseExempt(info.Capability, d.MemberType) {
		return d.refuse(DecisionLicense, fmt.Sprintf("%s: Member %s holds none of Account %q's %d licenses (R4), and a Member without one holds nothing but account.leave",
			string(asked), Short(c.Name), Short(a.owner.Name), a.owner.Spec.Licenses))
	}
	switch {
	case info.Holds(d.MemberType):
		d.Allowed, d.Step = true, DecisionMemberType
		b := cat(d.appendWhat(cat(appendWho(buf[:0], c), " may ")), ": ", d.MemberType.plural(), " hold it ", everywhere(info))
		d.Message = string(b)
	case info.Permission != "" && d.WorkCenter != "":
		h := a.holding(c, d.WorkCenter, info.Permission)
		d.Step = DecisionWorkCenter
		if h.held() {
			d.Allowed = true
			d.Message = string(h.appendWhy(cat(d.appendWhat(cat(appendWho(buf[:0], c), " may ")), ": ")))
			break
		}
		b := cat(asked, ": ")
		if Capability(info.Permission) != info.Capability {
			b = cat(b, "it needs ", string(info.Permission), " there, and ")
		}
		return d.refuse(DecisionWorkCenter, string(cat(h.appendWhy(b), "; ", a.holders(info))))
	case info.Permission != "":
		return d.refuse(DecisionMemberType, string(cat(asked, " in every WorkCenter: ", a.holders(info),
			"; in one WorkCenter, ", string(info.Permission), " there gives it")))
	default:
		return d.refuse(DecisionMemberType, string(cat(asked, ": ", a.holders(info))))
	}
	return a.targetStep(c, info, q, d)
}

// licenseExempt: what a Member holding no license (R4) may still do: leave, and, as an
// Account Administrator, manage licenses so as to give itself one.
func licenseExempt(id Capability, t MemberType) bool {
	return id == AccountLeave || (id == LicensesManage && t == MemberTypeAccountAdministrator)
}

// accountStep refuses every capability in a namespace without an Account, and in a
// Deactivated Account to anyone but its Account Administrators.
func (a *Account) accountStep(d Decision, asked []byte) (Decision, bool) {
	switch {
	case a.owner == nil:
		return d.refuse(DecisionAccount, fmt.Sprintf("%s: namespace %q has no Account, and nobody administers anything in it",
			string(asked), a.Namespace)), true
	case a.owner.Spec.State == v1alpha1.AccountDeactivated && d.MemberType != MemberTypeAccountAdministrator:
		return d.refuse(DecisionAccount, fmt.Sprintf("%s: Account %q is Deactivated, and only its %s change anything",
			string(asked), Short(a.owner.Name), a.namesOf(MemberTypeAccountAdministrator))), true
	}
	return d, false
}

// targetStep checks whom an allowed capability acts on.
func (a *Account) targetStep(c *v1alpha1.Collaborator, info CapabilityInfo, q Question, d Decision) Decision {
	t := q.Target
	if info.Capability == AccountLeave {
		if t != nil && t.Name != c.Name {
			return d.refuse(DecisionTarget, fmt.Sprintf("%s may not %s for %s: one leaves only for oneself; removing another person is %s",
				who(c), AccountLeave, Short(t.Name), UsersRemove))
		}
		if block := LastAdministratorBlock(c, a.owner, a.AccountAdministrators()); block != "" {
			d.Rule, d.Reason = R7, v1alpha1.ReasonLastAccountAdministrator
			return d.refuse(DecisionTarget, block)
		}
		return d
	}
	if t != nil && t.Name != c.Name && d.MemberType == MemberTypeUserAdministrator && IsAccountAdministrator(t) {
		return d.refuse(DecisionTarget, fmt.Sprintf("%s may not %s for %s: User Administrators act on every type of user except Account Administrators, and %s is one; %s may",
			who(c), d.what(), Short(t.Name), Short(t.Name), a.namesOf(MemberTypeAccountAdministrator)))
	}
	return d
}

// decidePermission answers a WorkCenter permission that is no capability: effective
// access in the WorkCenter (docs/rules.md).
func (a *Account) decidePermission(c *v1alpha1.Collaborator, q Question, d Decision) Decision {
	if q.WorkCenter == "" {
		return d.refuse(DecisionCapability, fmt.Sprintf("%s may not %s: it is a WorkCenter permission, held in one WorkCenter; ask it in a WorkCenter",
			who(c), q.Capability))
	}
	h := a.holding(c, q.WorkCenter, Permission(q.Capability))
	// The message is the one thing built (the authorizer answers a check with it and
	// nothing else on the heap): appended to a buffer on the stack, made a string once.
	var buf [256]byte
	d.Step = DecisionWorkCenter
	if !h.held() {
		b := d.appendAsked(buf[:0], c)
		b = h.appendWhy(append(b, ": "...))
		return d.refuse(DecisionWorkCenter, string(b))
	}
	b := append(appendWho(buf[:0], c), " may "...)
	b = h.appendWhy(append(d.appendWhat(b), ": "...))
	d.Allowed = true
	d.Message = Bound(string(b), MaxDecisionMessage)
	return d
}

// holding is whether a Collaborator holds a permission in a WorkCenter by effective
// access (docs/rules.md), and what to say why.
type holding struct {
	c          *v1alpha1.Collaborator
	p          Permission
	acc        AccessExplanation
	assignment v1alpha1.WorkCenterAssignmentStatus
	assigned   bool
	a          *Account
}

// holding is whether c holds p in the WorkCenter by effective access. No clock is read:
// when an assignment took effect does not change what it grants.
func (a *Account) holding(c *v1alpha1.Collaborator, workCenter string, p Permission) holding {
	acc, st, ok := a.accessIn(c, workCenter, metav1.Time{}, true) // its message is not said
	return holding{c: c, p: p, acc: acc, assignment: st, assigned: ok, a: a}
}

func (h holding) held() bool { return h.acc.Permissions.Has(h.p) }

// appendWhy appends why: the step of effective access that gave the permission or that
// kept it from the Collaborator.
func (h holding) appendWhy(b []byte) []byte {
	c, acc, as := h.c, h.acc, &h.assignment
	if h.held() {
		if acc.Decided == StepAdministrator {
			b = append(b, "adminRole "...)
			b = append(b, c.Spec.AdminRole...)
			return append(b, " supersedes WorkCenter roles (step 3)"...)
		}
		b = strconv.AppendQuote(append(b, "role "...), Short(as.Role))
		b = append(append(b, " grants "...), h.p...)
		return append(b, " there"...)
	}
	switch {
	case acc.Decided == StepAccount && h.a.owner == nil:
		b = strconv.AppendQuote(append(b, "namespace "...), h.a.Namespace)
		return append(b, " has no Account, which gives nobody anything (step 1)"...)
	case acc.Decided == StepAccount:
		b = strconv.AppendQuote(append(b, "Account "...), Short(h.a.owner.Name))
		return append(b, " is Deactivated, which gives nobody anything (step 1)"...)
	case acc.Decided == StepLicense:
		b = append(append(b, "Member "...), Short(c.Name)...)
		return append(b, " holds no license (step 2)"...)
	case acc.Cut:
		return append(b, "the WorkCenter is archived, which cuts everyone's access to workCenter.view and files.download (step 5)"...)
	case !h.assigned:
		return append(append(b, Short(c.Name)...), " has no assignment there"...)
	case !InEffect(as.State):
		b = append(append(b, "its assignment there is "...), as.State...)
		return append(append(append(b, " ("...), as.Reason...), ')')
	}
	b = strconv.AppendQuote(append(b, "role "...), Short(as.Role))
	b = append(append(b, " does not grant "...), h.p...)
	return append(b, " there"...)
}

// permissionIn reports whether c holds p in the WorkCenter by effective access
// (docs/rules.md), and says why.
func (a *Account) permissionIn(c *v1alpha1.Collaborator, workCenter string, p Permission) (bool, string) {
	h := a.holding(c, workCenter, p)
	return h.held(), string(h.appendWhy(nil))
}

// MayGrant is the escalation check for giving role in the WorkCenter (docs/
// administration.md, no escalation, like Kubernetes RBAC's): whoever grants a role must
// hold, in that WorkCenter, everything it grants. Account and WorkCenter Administrators
// hold everything; anyone else holds their effective access there. A role that cannot be
// resolved (missing, or in a cycle) cannot be checked, so only administrators grant it.
// It does not ask whether c may add or change the assignment at all: Decide does.
func (a *Account) MayGrant(c *v1alpha1.Collaborator, workCenter, role string) Decision {
	d := Decision{WorkCenter: workCenter, Role: role, Rule: RuleDelegation, Step: DecisionEscalation}
	if c == nil {
		return d.refuse(DecisionIdentity, "not a Collaborator of the account: Kubernetes RBAC alone decides")
	}
	d.Collaborator, d.MemberType = c.Name, MemberTypeOf(c)
	grant := fmt.Sprintf("role %q in WorkCenter %q", Short(role), Short(workCenter))
	if IsAdministrator(c) {
		d.Allowed = true
		d.Message = fmt.Sprintf("%s may grant %s: %s hold every permission in every WorkCenter", who(c), grant, d.MemberType.plural())
		return d
	}
	perms, err := a.Effective(role)
	if err != nil {
		return d.refuse(DecisionEscalation, fmt.Sprintf("%s may not grant %s: what it grants cannot be checked (%s), so only administrators grant it: %s",
			who(c), grant, err.Error(), a.namesOf(MemberTypeAccountAdministrator, MemberTypeWorkCenterAdministrator)))
	}
	held := a.Access(c, workCenter, metav1.Time{}).Permissions
	var beyond []Permission
	for _, p := range perms.Sorted() {
		if !held.Has(p) {
			beyond = append(beyond, p)
		}
	}
	if len(beyond) > 0 {
		return d.refuse(DecisionEscalation, fmt.Sprintf("%s may not grant %s: it grants %s, which %s does not hold there; whoever grants a role must hold what it grants (no escalation), and %s hold everything",
			who(c), grant, listWithin(permStrings(beyond), len(beyond), MaxListInMessage, same), Short(c.Name),
			a.namesOf(MemberTypeAccountAdministrator, MemberTypeWorkCenterAdministrator)))
	}
	d.Allowed = true
	d.Message = fmt.Sprintf("%s may grant %s: it holds everything the role grants there", who(c), grant)
	return d
}

func permStrings(ps []Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// need is one capability a change needs: the question, the field that needs it, and the
// role the change grants there (checked for escalation), if any. A need whose question
// has no capability only checks the grant, in the question's WorkCenter.
type need struct {
	q     Question
	path  *field.Path
	grant string
	// rolePath is where the granted role is (the escalation's field).
	rolePath *field.Path
	// follow: asked only when the field's earlier needs are met (a refusal says what
	// the field lacks first, once).
	follow bool
}

// judge decides every need of one change and returns the refusals, in order, as
// Forbidden findings. A refusal of the whole account (no Account, or a Deactivated one)
// is reported once, for the object.
func (a *Account) judge(c *v1alpha1.Collaborator, needs []need) Findings {
	if c == nil {
		return nil
	}
	var out Findings
	audited := map[string]bool{}
	refused := map[string]bool{}
	for _, n := range needs {
		if n.follow && refused[n.path.String()] {
			continue
		}
		if n.q.Capability == "" {
			// Only a grant to check, for a field whose capability is asked before it.
			if f := a.MayGrant(c, n.q.WorkCenter, n.grant).Finding(n.rolePath); f != nil {
				refused[n.path.String()] = true
				out = append(out, *f)
			}
			continue
		}
		d := a.Decide(c, n.q)
		if d.Step == DecisionAccount && !d.Allowed {
			return Findings{*d.Finding(nil)}
		}
		if f := d.Finding(n.path); f != nil {
			refused[n.path.String()] = true
			out = append(out, *f)
			continue
		}
		if n.grant != "" {
			if f := a.MayGrant(c, n.q.WorkCenter, n.grant).Finding(n.rolePath); f != nil {
				out = append(out, *f)
				continue
			}
		}
		if f := a.unassigned(c, d); f != nil && !audited[d.WorkCenter] {
			audited[d.WorkCenter] = true
			out = append(out, *f)
		}
	}
	return out
}

// unassigned is the audit trail's warning when c's member type lets it change a
// WorkCenter, or its assignments, without being assigned to it (the service adds such an
// administrator to the WorkCenter as an inactive collaborator for the same reason): the
// WorkCenter's Events record who did it. nil when d is no such allowed decision.
func (a *Account) unassigned(c *v1alpha1.Collaborator, d Decision) *Finding {
	if !d.Allowed || d.Step != DecisionMemberType || d.WorkCenter == "" {
		return nil
	}
	if slices.ContainsFunc(c.Spec.WorkCenters, func(as v1alpha1.WorkCenterAssignment) bool { return string(as.Name) == d.WorkCenter }) {
		return nil
	}
	wc := a.workCenters[d.WorkCenter]
	if wc == nil {
		wc = &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Name: d.WorkCenter, Namespace: a.Namespace}}
	}
	return &Finding{Rule: RuleDelegation, Reason: v1alpha1.ReasonAdministratorNotAssigned, Warning: true, Audit: wc, Message: Bound(fmt.Sprintf(
		"%s is not assigned to WorkCenter %q and changes it as one of the %s (%s); the WorkCenter's Events record it (%s)",
		who(c), Short(d.WorkCenter), d.MemberType.plural(), Short(d.Capability), v1alpha1.ReasonAdministratorNotAssigned), MaxWarning)}
}

// adminRoleOf is c's admin role, None when empty.
func adminRoleOf(c *v1alpha1.Collaborator) v1alpha1.AdminRole {
	if c.Spec.AdminRole == "" {
		return v1alpha1.AdminRoleNone
	}
	return c.Spec.AdminRole
}

// MayChangeCollaborator is delegated administration for a Collaborator: what c may do to
// it, from old (nil on a create) to obj (nil on a delete), as Forbidden findings
// (RuleDelegation; R7 for the last Account Administrator leaving), every refusal at the
// field that needs the missing capability. A change needs: on a create, collaborators.add
// in each WorkCenter assigned (users.add when there is none), users.upgrade for a Member,
// administrators.manage for an admin role; on an update, users.update for email or
// displayName, users.upgrade or users.downgrade for type, administrators.manage for
// adminRole, and per WorkCenter collaborators.add, collaborators.changeRole or
// collaborators.remove; every role given, no escalation (MayGrant); on a delete,
// account.leave for one's own Collaborator, users.remove for anyone else's, and the same
// for setting or changing its ownerReferences or foreign finalizers (lifecycleChanges):
// they delete it, or hold its deletion. nil c (no Collaborator asks) has no finding: RBAC
// alone decides. Labels and annotations are not delegated administration.
func (a *Account) MayChangeCollaborator(c, old, obj *v1alpha1.Collaborator) Findings {
	spec := field.NewPath("spec")
	var needs []need
	switch {
	case old == nil && obj == nil:
		return nil
	case obj == nil:
		if c != nil && old.Name == c.Name {
			needs = append(needs, need{q: Question{Capability: string(AccountLeave), Target: old}})
		} else {
			needs = append(needs, need{q: Question{Capability: string(UsersRemove), Target: old}})
		}
	case old == nil:
		if len(obj.Spec.WorkCenters) == 0 {
			needs = append(needs, need{q: Question{Capability: string(UsersAdd), Target: obj}, path: spec})
		}
		if IsMember(obj) {
			needs = append(needs, need{q: Question{Capability: string(UsersUpgrade), Target: obj}, path: spec.Child("type")})
		}
		if adminRoleOf(obj) != v1alpha1.AdminRoleNone {
			needs = append(needs, need{q: Question{Capability: string(AdministratorsManage), Target: obj}, path: spec.Child("adminRole")})
		}
		for i, as := range obj.Spec.WorkCenters {
			entry := spec.Child("workCenters").Index(i)
			needs = append(needs, need{q: Question{Capability: string(CollaboratorsAdd), WorkCenter: string(as.Name), Target: obj},
				path: entry, grant: string(as.Role), rolePath: entry.Child("role")})
		}
	default:
		if !equality.Semantic.DeepEqual(old.Spec, obj.Spec) {
			needs = collaboratorUpdateNeeds(c, old, obj)
		}
	}
	if obj != nil {
		needs = append(needs, a.sourceNeeds(old, obj)...)
	}
	if obj != nil {
		deletion := Question{Capability: string(UsersRemove), Target: obj}
		if c != nil && obj.Name == c.Name {
			deletion = Question{Capability: string(AccountLeave), Target: obj}
		}
		var prev metav1.Object
		if old != nil {
			prev = old
		}
		for _, path := range lifecycleChanges(prev, obj) {
			needs = append(needs, need{q: deletion, path: path})
		}
	}
	return a.judge(c, needs)
}

// ForeignFinalizers are the finalizers of fs that are not the operator's own protection
// finalizers (which the mutating webhooks add and finalizerKept keeps while the object is
// in use, docs/rules.md); nil when there are none.
func ForeignFinalizers(fs []string) []string {
	out := slices.DeleteFunc(slices.Clone(fs), func(f string) bool {
		return slices.ContainsFunc(protections, func(p protection) bool { return p.finalizer == f })
	})
	if len(out) == 0 {
		return nil
	}
	return out
}

// lifecycleChanges are the fields of obj's lifecycle metadata a change from old (nil for
// a create) sets or changes: metadata.ownerReferences (the garbage collector deletes an
// object with its owner) and metadata.finalizers other than the operator's (they hold or
// free its deletion). Either is the object's deletion, so delegated administration asks
// for the capability that deletes it. Labels and annotations are not delegated
// administration.
func lifecycleChanges(old, obj metav1.Object) []*field.Path {
	var oldRefs []metav1.OwnerReference
	var oldFinalizers []string
	if old != nil {
		oldRefs, oldFinalizers = old.GetOwnerReferences(), old.GetFinalizers()
	}
	var out []*field.Path
	if refs := obj.GetOwnerReferences(); (len(refs) > 0 || len(oldRefs) > 0) && !equality.Semantic.DeepEqual(refs, oldRefs) {
		out = append(out, field.NewPath("metadata", "ownerReferences"))
	}
	if !slices.Equal(ForeignFinalizers(oldFinalizers), ForeignFinalizers(obj.GetFinalizers())) {
		out = append(out, field.NewPath("metadata", "finalizers"))
	}
	return out
}

func collaboratorUpdateNeeds(c, old, obj *v1alpha1.Collaborator) []need {
	spec := field.NewPath("spec")
	var needs []need
	ask := func(id Capability, path *field.Path) {
		needs = append(needs, need{q: Question{Capability: string(id), Target: old}, path: path})
	}
	// kept grants again, for no escalation, every assignment the change keeps as it was:
	// the change gives what they grant to someone new (an email) or anew (an upgrade).
	kept := func(path *field.Path) {
		for _, as := range old.Spec.WorkCenters {
			if slices.Contains(obj.Spec.WorkCenters, as) {
				needs = append(needs, need{q: Question{WorkCenter: string(as.Name), Target: old}, path: path,
					grant: string(as.Role), rolePath: path, follow: true})
			}
		}
	}
	if old.Spec.Email != obj.Spec.Email {
		// A new email hands the person's access to whoever holds the address: whoever
		// changes it must hold what the person holds, and an administrator's is changed
		// only by whoever manages administrators.
		ask(UsersUpdate, spec.Child("email"))
		if IsMember(old) && adminRoleOf(old) != v1alpha1.AdminRoleNone {
			needs = append(needs, need{q: Question{Capability: string(AdministratorsManage), Target: old}, path: spec.Child("email"), follow: true})
		}
		kept(spec.Child("email"))
	}
	if old.Spec.DisplayName != obj.Spec.DisplayName {
		ask(UsersUpdate, spec.Child("displayName"))
	}
	if !equality.Semantic.DeepEqual(old.Spec.EmailPreferences, obj.Spec.EmailPreferences) && (c == nil || c.Name != old.Name) {
		// A person's own email preferences are theirs to change (docs/email.md); another's
		// are a profile change, as displayName.
		ask(UsersUpdate, spec.Child("emailPreferences"))
	}
	switch {
	case !IsMember(old) && IsMember(obj):
		// An upgrade brings into effect what the person's assignments grant a Member
		// only (R2): the upgrader must hold it.
		ask(UsersUpgrade, spec.Child("type"))
		kept(spec.Child("type"))
	case IsMember(old) && !IsMember(obj):
		ask(UsersDowngrade, spec.Child("type"))
	}
	if adminRoleOf(old) != adminRoleOf(obj) {
		ask(AdministratorsManage, spec.Child("adminRole"))
	}
	before := map[v1alpha1.ObjectName]v1alpha1.ObjectName{}
	for _, as := range old.Spec.WorkCenters {
		if _, ok := before[as.Name]; !ok {
			before[as.Name] = as.Role
		}
	}
	after := map[v1alpha1.ObjectName]bool{}
	for i, as := range obj.Spec.WorkCenters {
		after[as.Name] = true
		entry := spec.Child("workCenters").Index(i)
		role, had := before[as.Name]
		switch {
		case !had:
			needs = append(needs, need{q: Question{Capability: string(CollaboratorsAdd), WorkCenter: string(as.Name), Target: old},
				path: entry, grant: string(as.Role), rolePath: entry.Child("role")})
		case role != as.Role:
			needs = append(needs, need{q: Question{Capability: string(CollaboratorsChangeRole), WorkCenter: string(as.Name), Target: old},
				path: entry.Child("role"), grant: string(as.Role), rolePath: entry.Child("role")})
		}
	}
	for _, as := range old.Spec.WorkCenters {
		if !after[as.Name] {
			after[as.Name] = true // once per WorkCenter
			needs = append(needs, need{q: Question{Capability: string(CollaboratorsRemoveAny), WorkCenter: string(as.Name), Target: old},
				path: spec.Child("workCenters")})
		}
	}
	return needs
}

// MayChangeWorkCenter is delegated administration for a WorkCenter, as
// MayChangeCollaborator: a create needs workCenters.create, and templates.create for a
// template and workCenters.archive for an archived one; an update needs workCenters.edit
// for displayName, description, category and requireIncomingEmailApprovals,
// workCenters.archive or workCenters.unarchive for archived, templates.designate for
// template; a delete needs workCenters.delete, as does a change of its lifecycle
// metadata (lifecycleChanges).
func (a *Account) MayChangeWorkCenter(c *v1alpha1.Collaborator, old, obj *v1alpha1.WorkCenter) Findings {
	spec := field.NewPath("spec")
	var needs []need
	ask := func(id Capability, workCenter string, path *field.Path) {
		needs = append(needs, need{q: Question{Capability: string(id), WorkCenter: workCenter}, path: path})
	}
	switch {
	case old == nil && obj == nil:
		return nil
	case obj == nil:
		ask(WorkCentersDelete, old.Name, nil)
	case old == nil:
		ask(WorkCentersCreate, obj.Name, spec)
		if obj.Spec.Template {
			ask(TemplatesCreate, obj.Name, spec.Child("template"))
		}
		if obj.Spec.Archived {
			ask(WorkCentersArchive, obj.Name, spec.Child("archived"))
		}
	default:
		o, n := old.Spec, obj.Spec
		for _, f := range []struct {
			name    string
			changed bool
		}{
			{"displayName", o.DisplayName != n.DisplayName},
			{"description", o.Description != n.Description},
			{"category", o.Category != n.Category},
			{"requireIncomingEmailApprovals", o.RequireIncomingEmailApprovals != n.RequireIncomingEmailApprovals},
		} {
			if f.changed {
				ask(WorkCentersEdit, obj.Name, spec.Child(f.name))
			}
		}
		switch {
		case !o.Archived && n.Archived:
			ask(WorkCentersArchive, obj.Name, spec.Child("archived"))
		case o.Archived && !n.Archived:
			ask(WorkCentersUnarchive, obj.Name, spec.Child("archived"))
		}
		if o.Template != n.Template {
			ask(TemplatesDesignate, obj.Name, spec.Child("template"))
		}
	}
	if obj != nil {
		needs = append(needs, a.workCenterSourceNeeds(old, obj)...)
	}
	if obj != nil {
		var prev metav1.Object
		if old != nil {
			prev = old
		}
		for _, path := range lifecycleChanges(prev, obj) {
			ask(WorkCentersDelete, obj.Name, path)
		}
	}
	return a.judge(c, needs)
}

// sourceNeeds are what assignments from selectors and templates need (docs/
// administration.md, Selectors and templates): a selector added or changed assigns in
// WorkCenters that do not exist yet, so it needs collaborators.add everywhere (asked
// with no WorkCenter: only the member types that hold it in every WorkCenter) and, for no
// escalation, the grant of its role in each WorkCenter it matches now; a selector removed
// needs collaborators.remove everywhere. A listed entry added or changed in a template
// publishes the person to every WorkCenter publishing from it: collaborators.add and the
// grant there too.
func (a *Account) sourceNeeds(old, obj *v1alpha1.Collaborator) []need {
	spec := field.NewPath("spec")
	var before []v1alpha1.WorkCenterSelector
	var listed []v1alpha1.WorkCenterAssignment
	if old != nil {
		before, listed = old.Spec.WorkCenterSelectors, old.Spec.WorkCenters
	}
	same := func(x, y v1alpha1.WorkCenterSelector) bool { return equality.Semantic.DeepEqual(x, y) }
	var needs []need
	for i, sel := range obj.Spec.WorkCenterSelectors {
		if slices.ContainsFunc(before, func(o v1alpha1.WorkCenterSelector) bool { return same(o, sel) }) {
			continue
		}
		entry := spec.Child("workCenterSelectors").Index(i)
		needs = append(needs, need{q: Question{Capability: string(CollaboratorsAdd), Target: obj}, path: entry})
		m, err := Selector(sel.Selector)
		if err != nil {
			continue
		}
		for _, n := range a.workCenterNames() {
			if m.Matches(labels.Set(a.workCenters[n].Labels)) {
				needs = append(needs, need{q: Question{WorkCenter: n, Target: obj}, path: entry,
					grant: string(sel.Role), rolePath: entry.Child("role"), follow: true})
			}
		}
	}
	for _, sel := range before {
		if !slices.ContainsFunc(obj.Spec.WorkCenterSelectors, func(o v1alpha1.WorkCenterSelector) bool { return same(o, sel) }) {
			needs = append(needs, need{q: Question{Capability: string(CollaboratorsRemoveAny), Target: obj}, path: spec.Child("workCenterSelectors")})
			break
		}
	}
	for i, as := range obj.Spec.WorkCenters {
		if slices.Contains(listed, as) {
			continue
		}
		entry := spec.Child("workCenters").Index(i)
		for _, w := range a.PublishedFrom(string(as.Name)) {
			needs = append(needs, need{q: Question{Capability: string(CollaboratorsAdd), WorkCenter: w, Target: obj},
				path: entry, grant: string(as.Role), rolePath: entry.Child("role")})
		}
	}
	return needs
}

// workCenterSourceNeeds are what a WorkCenter's change of who it assigns needs: new
// labels that a Collaborator's selector now matches assign that person there
// (collaborators.add there and the grant of the selector's role), labels it stops
// matching unassign (collaborators.remove there); a new collaboratorsFrom publishes the
// template's people with their roles (collaborators.add and each grant there).
func (a *Account) workCenterSourceNeeds(old, obj *v1alpha1.WorkCenter) []need {
	var needs []need
	meta := field.NewPath("metadata", "labels")
	matches := func(w *v1alpha1.WorkCenter, sel v1alpha1.WorkCenterSelector) bool {
		m, err := Selector(sel.Selector)
		return err == nil && w != nil && m.Matches(labels.Set(w.Labels))
	}
	if old == nil || !maps.Equal(old.Labels, obj.Labels) {
		for _, c := range a.Collaborators() {
			for _, sel := range c.Spec.WorkCenterSelectors {
				now, was := matches(obj, sel), matches(old, sel)
				switch {
				case now && !was:
					needs = append(needs, need{q: Question{Capability: string(CollaboratorsAdd), WorkCenter: obj.Name, Target: c}, path: meta,
						grant: string(sel.Role), rolePath: meta})
				case was && !now:
					needs = append(needs, need{q: Question{Capability: string(CollaboratorsRemoveAny), WorkCenter: obj.Name, Target: c}, path: meta})
				}
			}
		}
	}
	if from := string(obj.Spec.CollaboratorsFrom); from != "" && (old == nil || string(old.Spec.CollaboratorsFrom) != from) {
		path := field.NewPath("spec", "collaboratorsFrom")
		needs = append(needs, need{q: Question{Capability: string(CollaboratorsAdd), WorkCenter: obj.Name}, path: path})
		granted := map[string]bool{}
		for _, c := range a.AssignedTo(from) {
			for _, as := range a.AssignmentsOf(c) {
				if string(as.Name) == from && as.Source != v1alpha1.SourceTemplate && !granted[string(as.Role)] {
					granted[string(as.Role)] = true
					needs = append(needs, need{q: Question{WorkCenter: obj.Name}, path: path, grant: string(as.Role), rolePath: path, follow: true})
				}
			}
		}
	}
	return needs
}

// MayChangeAccount is delegated administration for the Account, as
// MayChangeCollaborator: displayName and logoURL need account.edit, state
// account.deactivate or account.reactivate, licenses licenses.manage, and each picklist
// its create capability for an item added (or a new order) and its delete capability
// for an item removed. No member type creates or deletes an Account: a Collaborator
// asking to is refused, and the platform's own people do it under RBAC.
func (a *Account) MayChangeAccount(c *v1alpha1.Collaborator, old, obj *v1alpha1.Account) Findings {
	if c == nil || (old == nil && obj == nil) {
		return nil
	}
	if old == nil || obj == nil {
		verb := "create"
		if obj == nil {
			verb = "delete"
		}
		return Findings{{Rule: RuleDelegation, Forbidden: true, Message: fmt.Sprintf(
			"%s may not %s an Account: no member type holds that; the platform's people do it under Kubernetes RBAC, as no Collaborator of the account",
			who(c), verb)}}
	}
	if changed := lifecycleChanges(old, obj); len(changed) > 0 {
		return Findings{{Rule: RuleDelegation, Forbidden: true, Field: changed[0], Message: fmt.Sprintf(
			"%s may not change %s of an Account: they delete it or hold its deletion, which no member type holds; the platform's people do it under Kubernetes RBAC",
			who(c), changed[0])}}
	}
	spec := field.NewPath("spec")
	var needs []need
	ask := func(id Capability, path *field.Path) {
		needs = append(needs, need{q: Question{Capability: string(id)}, path: path})
	}
	o, n := old.Spec, obj.Spec
	if o.DisplayName != n.DisplayName {
		ask(AccountEdit, spec.Child("displayName"))
	}
	if o.LogoURL != n.LogoURL {
		ask(AccountEdit, spec.Child("logoURL"))
	}
	if isDeactivated(o.State) != isDeactivated(n.State) {
		if isDeactivated(n.State) {
			ask(AccountDeactivate, spec.Child("state"))
		} else {
			ask(AccountReactivate, spec.Child("state"))
		}
	}
	if o.Licenses != n.Licenses {
		ask(LicensesManage, spec.Child("licenses"))
	}
	picklists := spec.Child("picklists")
	for _, p := range []struct {
		name           string
		old, new       []v1alpha1.PicklistItem
		create, delete Capability
	}{
		{"workCenterCategories", o.Picklists.WorkCenterCategories, n.Picklists.WorkCenterCategories, CategoriesCreate, CategoriesDelete},
		{"fileTypes", o.Picklists.FileTypes, n.Picklists.FileTypes, FileTypesCreate, FileTypesDelete},
		{"fileStatuses", o.Picklists.FileStatuses, n.Picklists.FileStatuses, FileStatusesCreate, FileStatusesDelete},
	} {
		if slices.Equal(p.old, p.new) {
			continue
		}
		added := slices.ContainsFunc(p.new, func(i v1alpha1.PicklistItem) bool { return !slices.Contains(p.old, i) })
		removed := slices.ContainsFunc(p.old, func(i v1alpha1.PicklistItem) bool { return !slices.Contains(p.new, i) })
		if added || !removed {
			ask(p.create, picklists.Child(p.name))
		}
		if removed {
			ask(p.delete, picklists.Child(p.name))
		}
	}
	return a.judge(c, needs)
}

func isDeactivated(s v1alpha1.AccountState) bool { return s == v1alpha1.AccountDeactivated }

// MayChangeRole is delegated administration for a WorkCenterRole, as
// MayChangeCollaborator: a create needs roles.create, a change of its spec roles.update,
// a delete roles.delete, as does a change of its lifecycle metadata (lifecycleChanges).
// The built-in roles stay the operator's whatever this says (R9).
func (a *Account) MayChangeRole(c *v1alpha1.Collaborator, old, obj *v1alpha1.WorkCenterRole) Findings {
	var needs []need
	switch {
	case old == nil && obj == nil:
		return nil
	case obj == nil:
		needs = append(needs, need{q: Question{Capability: string(RolesDelete)}})
	case old == nil:
		needs = append(needs, need{q: Question{Capability: string(RolesCreate)}})
	case !equality.Semantic.DeepEqual(old.Spec, obj.Spec):
		needs = append(needs, need{q: Question{Capability: string(RolesUpdate)}})
	}
	if obj != nil {
		var prev metav1.Object
		if old != nil {
			prev = old
		}
		for _, path := range lifecycleChanges(prev, obj) {
			needs = append(needs, need{q: Question{Capability: string(RolesDelete)}, path: path})
		}
	}
	return a.judge(c, needs)
}

// who names a person in a message: "name (MemberType)".
func who(c *v1alpha1.Collaborator) string { return string(appendWho(nil, c)) }

func appendWho(b []byte, c *v1alpha1.Collaborator) []byte {
	b = append(append(b, Short(c.Name)...), " ("...)
	return append(append(b, MemberTypeOf(c)...), ')')
}

// what is the capability asked, with its WorkCenter.
func (d Decision) what() string {
	if d.WorkCenter == "" {
		return Short(d.Capability)
	}
	return string(d.appendWhat(nil))
}

func (d Decision) appendWhat(b []byte) []byte {
	b = append(b, Short(d.Capability)...)
	if d.WorkCenter != "" {
		b = strconv.AppendQuote(append(b, " in WorkCenter "...), Short(d.WorkCenter))
	}
	return b
}

// asked begins a refusal: "who may not capability (in WorkCenter) (for target)".
func (d Decision) asked(c *v1alpha1.Collaborator) string { return string(d.appendAsked(nil, c)) }

func (d Decision) appendAsked(b []byte, c *v1alpha1.Collaborator) []byte {
	b = d.appendWhat(append(appendWho(b, c), " may not "...))
	if d.Target != "" && d.Target != c.Name {
		b = append(append(b, " for "...), Short(d.Target)...)
	}
	return b
}

func (d Decision) refuse(step DecisionStep, msg string) Decision {
	d.Allowed, d.Step, d.Message = false, step, Bound(msg, MaxDecisionMessage)
	return d
}

// everywhere says where holders hold a capability.
func everywhere(info CapabilityInfo) string {
	if info.Scope == ScopeWorkCenter {
		return "in every WorkCenter"
	}
	return "in the account"
}

// holders says who holds a capability everywhere, the most powerful first:
// "WorkCenter Administrators (daniel-kim) and Account Administrators (maria-lopez) hold it
// in every WorkCenter".
func (a *Account) holders(info CapabilityInfo) string {
	a.memo.Lock()
	text, ok := a.holdersText[info.Capability]
	generation := a.collaboratorsGeneration
	a.memo.Unlock()
	if ok {
		return text
	}
	types := slices.Clone(info.Holders)
	slices.Reverse(types)
	text = fmt.Sprintf("%s hold it %s", a.namesOf(types...), everywhere(info))
	a.memo.Lock()
	defer a.memo.Unlock()
	if a.collaboratorsGeneration == generation { // kept until a Collaborator changes, as the names it is made of
		if a.holdersText == nil {
			a.holdersText = map[Capability]string{}
		}
		a.holdersText[info.Capability] = text
	}
	return text
}

// namesOf names the account's people of each type, up to maxHoldersShown of each and
// their number: "Account Administrators (maria-lopez)", "(none)" for a type nobody is.
func (a *Account) namesOf(types ...MemberType) string {
	byType := a.memberTypeNames()
	parts := make([]string, len(types))
	for i, t := range types {
		list := "none"
		if s := byType[t]; s != nil && s.total > 0 {
			list = listOf(s.first, s.total, MaxListInMessage/len(types), Short)
		}
		parts[i] = fmt.Sprintf("%s (%s)", t.plural(), list)
	}
	return joinAnd(parts)
}

// typeNames are the people of one member type: the first names, in order, and how many.
type typeNames struct {
	first []string
	total int
}

// memberTypeNames is the account's people by member type, from one pass over the
// account, kept until a Collaborator changes: refusals name who holds a capability, and
// kubectl procorem who-can refuses everyone else, without sorting every person each time.
func (a *Account) memberTypeNames() map[MemberType]*typeNames {
	a.memo.Lock()
	defer a.memo.Unlock()
	if a.byType != nil {
		return a.byType
	}
	byType := map[MemberType]*typeNames{}
	for _, t := range MemberTypes {
		byType[t] = &typeNames{}
	}
	for name, c := range a.collaborators {
		s := byType[MemberTypeOf(c)]
		s.total++
		if i, _ := slices.BinarySearch(s.first, name); i < maxHoldersShown {
			s.first = slices.Insert(s.first, i, name)
			if len(s.first) > maxHoldersShown {
				s.first = s.first[:maxHoldersShown]
			}
		}
	}
	a.byType = byType
	return byType
}

// joinAnd joins words as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
