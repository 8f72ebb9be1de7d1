// Package query answers who may do what in an account, and why: check (can-i), list,
// who-can, the role matrix and one collaborator's access across WorkCenters, for the
// WorkCenter permissions and for the account-level capabilities (capabilities.go). It
// reads the account model (internal/model) and decides with the functions the
// controllers write status with (model.Account.Access, model.ExplainAccess, model.Roles)
// and admission decides delegated administration with (model.Account.MayDo), so an
// answer here never disagrees with the operator. It holds no Kubernetes client: the
// kubectl plugin (cmd/kubectl-procorem) gives it a model built from a live cluster or
// from manifests.
//
// The types below are the plugin's JSON output (-o json): their field names are stable.
package query

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Step results.
const (
	// Pass: the step lets the question go on to the next one.
	Pass = "pass"
	// Grant: the step gave the permission.
	Grant = "grant"
	// Deny: the step decided that the collaborator does not have the permission.
	Deny = "deny"
	// Skip: the step does not apply (an administrator's assignment).
	Skip = "skip"
	// NotReached: an earlier step decided.
	NotReached = "not reached"
)

// Step names, one per step of docs/rules.md.
var stepNames = map[model.Step]string{
	model.StepAccount:       "account",
	model.StepLicense:       "license",
	model.StepAdministrator: "administrator",
	model.StepAssignment:    "assignment",
	model.StepArchived:      "archived",
}

// Step is one step of docs/rules.md taken for a question.
type Step struct {
	// Step is the step's number in docs/rules.md (1 to 5).
	Step int `json:"step"`
	// Name is account, license, administrator, assignment or archived.
	Name string `json:"name"`
	// Result is pass, grant, deny, skip or not reached.
	Result string `json:"result"`
	// Detail says what the step found, in the words of the model.
	Detail string `json:"detail"`
}

// How is how a collaborator holds a permission: an admin role, or a role assigned in
// the WorkCenter and the include path that grants it.
type How struct {
	// AdminRole is AccountAdministrator or WorkCenterAdministrator when step 3 granted it.
	AdminRole string `json:"adminRole,omitempty"`
	// Role is the role assigned in the WorkCenter.
	Role string `json:"role,omitempty"`
	// Path is the chain of includes from Role to the role that grants the permission
	// itself, both included.
	Path []string `json:"path,omitempty"`
	// Source is what in the last role of Path grants it: permissions,
	// levels.<area>: <Level>, or workCenter.view.
	Source string `json:"source,omitempty"`
	// BuiltIn reports that the last role of Path is a built-in role.
	BuiltIn bool `json:"builtIn,omitempty"`
}

// Assignment is a collaborator's assignment to a WorkCenter as the operator evaluates it.
type Assignment struct {
	WorkCenter string `json:"workCenter"`
	Role       string `json:"role"`
	// State is Active, Archived, Rejected or Pending.
	State   string `json:"state"`
	Reason  string `json:"reason,omitempty"`
	Message string `json:"message,omitempty"`
	// Source is where the assignment comes from when it is not listed in the spec:
	// Selector or Template (docs/assignments.md).
	Source string `json:"source,omitempty"`
	// Template is the template it is published from (Source Template).
	Template string `json:"template,omitempty"`
}

// Decision answers "may Collaborator do Permission in WorkCenter?", with every step of
// docs/rules.md in order.
type Decision struct {
	Collaborator string `json:"collaborator"`
	Email        string `json:"email"`
	WorkCenter   string `json:"workCenter"`
	Permission   string `json:"permission"`
	Allowed      bool   `json:"allowed"`
	// DecidedBy is the number of the step that decided: the one that denied, or the one
	// that granted (step 5 decides when the archival cut denies).
	DecidedBy int `json:"decidedBy"`
	// Steps are the five steps, in order.
	Steps []Step `json:"steps"`
	// How is set when Allowed.
	How *How `json:"how,omitempty"`
	// Assignment is the collaborator's assignment in the WorkCenter, nil when none.
	Assignment *Assignment `json:"assignment,omitempty"`
}

// Reason is the detail of the deciding step.
func (d Decision) Reason() string {
	for _, s := range d.Steps {
		if s.Step == d.DecidedBy {
			return s.Detail
		}
	}
	return ""
}

// Engine answers questions about one account. Questions may run concurrently; the model
// must not change while they run.
type Engine struct {
	m   *model.Account
	now metav1.Time
}

// New is an engine over the account model m. now is the time an assignment taking effect
// for the first time would record (it changes no answer).
func New(m *model.Account, now metav1.Time) *Engine { return &Engine{m: m, now: now} }

// Model is the engine's account model.
func (e *Engine) Model() *model.Account { return e.m }

// Check decides whether c may do p in the WorkCenter, step by step. c and workCenter
// must have been resolved (Collaborator, WorkCenter); p must be in the catalog.
func (e *Engine) Check(c *v1alpha1.Collaborator, workCenter string, p model.Permission) Decision {
	acc := e.m.Access(c, workCenter, e.now)
	d := Decision{Collaborator: c.Name, Email: c.Spec.Email, WorkCenter: workCenter, Permission: string(p),
		Allowed: acc.Permissions.Has(p)}
	if acc.Assignment != nil {
		d.Assignment = e.assignmentOf(*acc.Assignment)
	}
	owner := e.m.Owner()
	steps := make([]Step, 0, 5)
	add := func(s model.Step, result, detail string) {
		steps = append(steps, Step{Step: int(s), Name: stepNames[s], Result: result, Detail: detail})
	}
	decided := acc.Decided

	// 1. The account.
	switch {
	case owner == nil:
		add(model.StepAccount, Deny, fmt.Sprintf("no Account in namespace %q: nobody has any access", e.m.Namespace))
	case owner.Spec.State == v1alpha1.AccountDeactivated:
		add(model.StepAccount, Deny, fmt.Sprintf("Account %q is Deactivated: nobody has any access until it is Active again", owner.Name))
	default:
		add(model.StepAccount, Pass, fmt.Sprintf("Account %q is Active", owner.Name))
	}
	// 2. The license.
	if decided >= model.StepLicense {
		switch {
		case !model.IsMember(c):
			add(model.StepLicense, Pass, fmt.Sprintf("%s is a Guest: guests need no license", c.Name))
		case decided == model.StepLicense:
			add(model.StepLicense, Deny, fmt.Sprintf("Member %s holds none of Account %q's %d licenses: they go to the %d oldest Members first (creation time, then name)",
				c.Name, owner.Name, e.m.Licenses(), e.m.Licenses()))
		default:
			add(model.StepLicense, Pass, fmt.Sprintf("Member %s holds one of Account %q's %d licenses", c.Name, owner.Name, e.m.Licenses()))
		}
	}
	// 3. The admin role.
	if decided >= model.StepAdministrator {
		if decided == model.StepAdministrator {
			add(model.StepAdministrator, Grant, fmt.Sprintf("%s is a%s %s: every permission in every WorkCenter of the account, assigned or not",
				c.Name, article(string(c.Spec.AdminRole)), c.Spec.AdminRole))
			d.How = &How{AdminRole: string(c.Spec.AdminRole)}
		} else {
			add(model.StepAdministrator, Pass, fmt.Sprintf("adminRole %s does not supersede WorkCenter roles", adminRoleOf(c)))
		}
	}
	// 4. The assignment.
	if decided == model.StepAdministrator {
		add(model.StepAssignment, Skip, "an administrator's access does not depend on an assignment")
	} else if decided == model.StepAssignment {
		e.assignmentStep(&d, acc, p, add)
	}
	// 5. The archival cut, of what step 3 or 4 granted.
	if d.How != nil {
		switch {
		case !acc.Cut:
			add(model.StepArchived, Pass, fmt.Sprintf("WorkCenter %q is not archived", workCenter))
		case d.Allowed:
			add(model.StepArchived, Pass, fmt.Sprintf("WorkCenter %q is archived: access is cut to workCenter.view and files.download, which keeps %s", workCenter, p))
		default:
			add(model.StepArchived, Deny, fmt.Sprintf("WorkCenter %q is archived: access is cut to workCenter.view and files.download", workCenter))
			d.How = nil
		}
	}
	for s := model.Step(len(steps) + 1); s <= model.StepArchived; s++ {
		add(s, NotReached, "")
	}
	d.Steps = steps
	d.DecidedBy = int(decided)
	if !d.Allowed {
		for _, s := range steps {
			if s.Result == Deny {
				d.DecidedBy = s.Step
				break
			}
		}
	}
	return d
}

func (e *Engine) assignmentStep(d *Decision, acc model.Access, p model.Permission, add func(model.Step, string, string)) {
	as := acc.Assignment
	switch {
	case as == nil:
		add(model.StepAssignment, Deny, fmt.Sprintf("%s is not assigned to WorkCenter %q", d.Collaborator, d.WorkCenter))
	case !model.InEffect(as.State):
		detail := fmt.Sprintf("the assignment of role %q in WorkCenter %q%s is %s", as.Role, as.Name, sourceOf(d.Assignment), as.State)
		if as.Reason != "" {
			detail += " (" + as.Reason + ")"
		}
		if as.Message != "" {
			detail += ": " + as.Message
		}
		add(model.StepAssignment, Deny, detail)
	default:
		g, ok := e.m.Roles().GrantOf(as.Role, p)
		if !ok {
			perms, _ := e.m.Effective(as.Role)
			add(model.StepAssignment, Deny, fmt.Sprintf("role %q does not grant %s (it grants %s)", as.Role, p, strings.Join(inCatalogOrder(perms), ", ")))
			return
		}
		add(model.StepAssignment, Grant, fmt.Sprintf("the assignment of role %q%s is %s; %s", as.Role, sourceOf(d.Assignment), as.State, describeGrant(g, p)))
		d.How = &How{Role: as.Role, Path: g.Path, Source: g.Source, BuiltIn: g.BuiltIn}
	}
}

// describeGrant says how a role grants p: "site-engineer includes contributor, which
// grants files.upload (built-in role)".
func describeGrant(g model.Grant, p model.Permission) string {
	var b strings.Builder
	b.WriteString(g.Path[0])
	for i := 1; i < len(g.Path); i++ {
		if i > 1 {
			b.WriteString(", which")
		}
		b.WriteString(" includes " + g.Path[i])
	}
	if len(g.Path) > 1 {
		b.WriteString(", which")
	}
	b.WriteString(" grants " + string(p))
	switch {
	case g.BuiltIn:
		b.WriteString(" (built-in role)")
	case g.Source == "workCenter.view":
		b.WriteString(" (every role has it)")
	default:
		b.WriteString(" (" + g.Source + ")")
	}
	return b.String()
}

func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOU", rune(word[0])) {
		return "n"
	}
	return ""
}

func (e *Engine) assignmentOf(s v1alpha1.WorkCenterAssignmentStatus) *Assignment {
	out := &Assignment{WorkCenter: s.Name, Role: s.Role, State: string(s.State), Reason: s.Reason, Message: s.Message}
	if s.Source != "" && s.Source != v1alpha1.SourceSpec {
		out.Source = string(s.Source)
	}
	if wc := e.m.WorkCenter(s.Name); s.Source == v1alpha1.SourceTemplate && wc != nil {
		out.Template = string(wc.Spec.CollaboratorsFrom)
	}
	return out
}

// sourceOf says where an assignment comes from, for a person: "" for a listed one.
func sourceOf(a *Assignment) string {
	switch a.Source {
	case string(v1alpha1.SourceSelector):
		return " (by a WorkCenter selector)"
	case string(v1alpha1.SourceTemplate):
		return fmt.Sprintf(" (published from template %q)", a.Template)
	}
	return ""
}

// PermissionInfo is one permission a collaborator has, with how.
type PermissionInfo struct {
	Permission string `json:"permission"`
	MemberOnly bool   `json:"memberOnly"`
	How        How    `json:"how"`
}

// List is every permission c has in the WorkCenter, in catalog order, and the
// account-level capabilities c holds there.
type List struct {
	Collaborator string           `json:"collaborator"`
	WorkCenter   string           `json:"workCenter"`
	Permissions  []PermissionInfo `json:"permissions"`
	// Reason says why the list is empty, when it is: the deciding step's detail.
	Reason     string      `json:"reason,omitempty"`
	Assignment *Assignment `json:"assignment,omitempty"`
	// MemberType is c's member type (docs/administration.md); set by ListAll.
	MemberType string `json:"memberType"`
	// Capabilities are the capabilities c holds in the WorkCenter (with no WorkCenter,
	// those of scope Account and those held in every WorkCenter), in catalog order, with
	// the model's message; set by ListAll.
	Capabilities []CapabilityHeld `json:"capabilities"`
}

// ListAll is List and the capabilities c holds in the WorkCenter (Capabilities). With
// no WorkCenter ("") it lists no permission (they are held in one WorkCenter), only the
// capabilities held everywhere.
func (e *Engine) ListAll(c *v1alpha1.Collaborator, workCenter string) List {
	out := List{Collaborator: c.Name, WorkCenter: workCenter, Permissions: []PermissionInfo{}}
	if workCenter != "" {
		out = e.List(c, workCenter)
	}
	out.MemberType = string(model.MemberTypeOf(c))
	out.Capabilities = e.Capabilities(c, workCenter)
	return out
}

// List lists every permission c has in the WorkCenter.
func (e *Engine) List(c *v1alpha1.Collaborator, workCenter string) List {
	out := List{Collaborator: c.Name, WorkCenter: workCenter, Permissions: []PermissionInfo{}}
	acc := e.m.Access(c, workCenter, e.now)
	if acc.Assignment != nil {
		out.Assignment = e.assignmentOf(*acc.Assignment)
	}
	for _, info := range model.Catalog() {
		if !acc.Permissions.Has(info.Permission) {
			continue
		}
		how := How{AdminRole: string(c.Spec.AdminRole)}
		if acc.Decided == model.StepAssignment {
			g, _ := e.m.Roles().GrantOf(acc.Assignment.Role, info.Permission)
			how = How{Role: acc.Assignment.Role, Path: g.Path, Source: g.Source, BuiltIn: g.BuiltIn}
		}
		out.Permissions = append(out.Permissions, PermissionInfo{Permission: string(info.Permission), MemberOnly: info.MemberOnly, How: how})
	}
	if len(out.Permissions) == 0 {
		out.Reason = e.Check(c, workCenter, model.WorkCenterView).Reason()
	}
	return out
}

// Holder is a collaborator who has a permission, and how.
type Holder struct {
	Collaborator string `json:"collaborator"`
	Email        string `json:"email"`
	Type         string `json:"type"`
	How          How    `json:"how"`
}

// Denied is a collaborator assigned to the WorkCenter who lacks a permission, and why.
type Denied struct {
	Collaborator string `json:"collaborator"`
	Email        string `json:"email"`
	Type         string `json:"type"`
	// Step is the number of the step of docs/rules.md that denied it.
	Step int `json:"step"`
	// Why is that step's detail.
	Why        string      `json:"why"`
	Assignment *Assignment `json:"assignment,omitempty"`
}

// WhoCanResult lists who has a permission in a WorkCenter.
type WhoCanResult struct {
	Permission string   `json:"permission"`
	WorkCenter string   `json:"workCenter"`
	Allowed    []Holder `json:"allowed"`
	// Denied, when asked for, are the collaborators assigned to the WorkCenter (and the
	// administrators) who do not have it.
	Denied []Denied `json:"denied,omitempty"`
}

// WhoCan lists every collaborator who has p in the WorkCenter, sorted by name (CompareNames); with
// denied, also those assigned to it (or administrators) who do not, with why. Only
// administrators and collaborators assigned to the WorkCenter can have anything there,
// so it decides for those alone.
func (e *Engine) WhoCan(p model.Permission, workCenter string, denied bool) WhoCanResult {
	out := WhoCanResult{Permission: string(p), WorkCenter: workCenter, Allowed: []Holder{}}
	candidates := e.m.AssignedTo(workCenter)
	assigned := make(map[string]bool, len(candidates))
	for _, c := range candidates {
		assigned[c.Name] = true
	}
	for _, c := range e.m.Administrators() {
		if !assigned[c.Name] {
			candidates = append(candidates, c)
		}
	}
	slices.SortFunc(candidates, byName)
	for _, c := range candidates {
		d := e.Check(c, workCenter, p)
		if d.Allowed {
			out.Allowed = append(out.Allowed, Holder{Collaborator: c.Name, Email: c.Spec.Email, Type: typeOf(c), How: *d.How})
		} else if denied {
			out.Denied = append(out.Denied, Denied{Collaborator: c.Name, Email: c.Spec.Email, Type: typeOf(c), Step: d.DecidedBy, Why: d.Reason(), Assignment: d.Assignment})
		}
	}
	if denied && out.Denied == nil {
		out.Denied = []Denied{}
	}
	return out
}

// adminRoleOf is the collaborator's admin role, None when unset (the CRD's default).
func adminRoleOf(c *v1alpha1.Collaborator) string {
	if c.Spec.AdminRole == "" {
		return string(v1alpha1.AdminRoleNone)
	}
	return string(c.Spec.AdminRole)
}

// typeOf is the collaborator's type, Guest when unset (the CRD's default).
func typeOf(c *v1alpha1.Collaborator) string {
	if c.Spec.Type == "" {
		return string(v1alpha1.Guest)
	}
	return string(c.Spec.Type)
}

// WorkCenterAccess is a collaborator's access in one WorkCenter.
type WorkCenterAccess struct {
	WorkCenter string `json:"workCenter"`
	// Exists is false for an assignment to a WorkCenter that does not exist (yet).
	Exists   bool `json:"exists"`
	Archived bool `json:"archived"`
	// Via is the admin role when it gives the access, else "".
	Via         string      `json:"via,omitempty"`
	Assignment  *Assignment `json:"assignment,omitempty"`
	Permissions []string    `json:"permissions"`
	// Reason says why Permissions is empty, when it is.
	Reason string `json:"reason,omitempty"`
}

// AccessResult is one collaborator across every WorkCenter of the account, and the
// account-level capabilities it holds.
type AccessResult struct {
	Collaborator string             `json:"collaborator"`
	Email        string             `json:"email"`
	Type         string             `json:"type"`
	AdminRole    string             `json:"adminRole"`
	Licensed     *bool              `json:"licensed,omitempty"`
	WorkCenters  []WorkCenterAccess `json:"workCenters"`
	// MemberType is c's member type (docs/administration.md).
	MemberType string `json:"memberType"`
	// Capabilities are the capabilities c holds somewhere, in catalog order.
	Capabilities []CapabilityAccess `json:"capabilities"`
	// NoCapability, when Capabilities is empty, is the model's reason for
	// account.leave, which every member type holds.
	NoCapability string `json:"noCapability,omitempty"`
}

// Access is c across every WorkCenter of the account, and the WorkCenters its spec
// names that do not exist, sorted by name; then c's member type and the capabilities it
// holds, everywhere or in some WorkCenters.
func (e *Engine) Access(c *v1alpha1.Collaborator) AccessResult {
	out := AccessResult{Collaborator: c.Name, Email: c.Spec.Email, Type: typeOf(c), AdminRole: adminRoleOf(c), WorkCenters: []WorkCenterAccess{},
		MemberType: string(model.MemberTypeOf(c)), Capabilities: e.capabilityAccess(c)}
	if len(out.Capabilities) == 0 {
		out.NoCapability = e.m.MayDo(c, string(model.AccountLeave), "").Message
	}
	if model.IsMember(c) {
		licensed := e.m.Owner() != nil && e.m.Licensed(c)
		out.Licensed = &licensed
	}
	names := []string{}
	for _, wc := range e.m.WorkCenters() {
		names = append(names, wc.Name)
	}
	for _, as := range c.Spec.WorkCenters {
		if e.m.WorkCenter(string(as.Name)) == nil {
			names = append(names, string(as.Name))
		}
	}
	SortNames(names)
	for _, name := range slices.Compact(names) {
		acc := e.m.Access(c, name, e.now)
		wc := e.m.WorkCenter(name)
		row := WorkCenterAccess{WorkCenter: name, Exists: wc != nil, Archived: wc != nil && wc.Spec.Archived, Permissions: []string{}}
		if acc.Assignment != nil {
			row.Assignment = e.assignmentOf(*acc.Assignment)
		}
		if acc.Decided == model.StepAdministrator {
			row.Via = string(c.Spec.AdminRole)
		}
		row.Permissions = inCatalogOrder(acc.Permissions)
		if len(row.Permissions) == 0 {
			row.Reason = e.Check(c, name, model.WorkCenterView).Reason()
		}
		out.WorkCenters = append(out.WorkCenters, row)
	}
	return out
}

// inCatalogOrder lists the set in the catalog's order (the permission table of docs/rules.md).
func inCatalogOrder(set model.Set) []string {
	out := make([]string, 0, len(set))
	for _, info := range model.Catalog() {
		if set.Has(info.Permission) {
			out = append(out, string(info.Permission))
		}
	}
	return out
}
