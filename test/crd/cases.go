// Package crd holds the rejection cases of the CRD schema, shared by the envtest suite
// of this directory, which runs them against a real kube-apiserver, and by
// internal/schema, which runs them offline; the suite also checks that the two agree on
// each of them. The objects are unstructured on purpose: the cases control exactly
// which fields are sent, so "left out" really is left out and defaulting shows.
package crd

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	accessv1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Obj is a JSON object of an unstructured manifest.
type Obj = map[string]any

// Arr is a JSON array of an unstructured manifest.
type Arr = []any

// NewObject returns an access.workcenter.io object of kind with a copy of spec (nil
// leaves spec out).
func NewObject(kind, name, namespace string, spec Obj) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: Obj{}}
	if spec != nil {
		u.Object["spec"] = runtime.DeepCopyJSON(spec)
	}
	u.SetAPIVersion(accessv1alpha1.GroupVersion.String())
	u.SetKind(kind)
	u.SetName(name)
	u.SetNamespace(namespace)
	return u
}

// Strs returns items as a JSON array.
func Strs(items ...string) Arr {
	out := make(Arr, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}

// Numbered returns n distinct strings built by format from 0..n-1.
func Numbered(format string, n int) Arr {
	out := make(Arr, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// Assignments returns n distinct WorkCenter assignments, all with the given role.
func Assignments(n int, role string) Arr {
	out := make(Arr, n)
	for i := range out {
		out[i] = Obj{"name": fmt.Sprintf("wc-%d", i), "role": role}
	}
	return out
}

// With returns a copy of base with the given keys set (a nil value removes the key).
func With(base Obj, kv ...any) Obj {
	out := runtime.DeepCopyJSON(base)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// Minimal valid specs of each kind.
var (
	AccountSpec      = Obj{"displayName": "Acme Builders"}
	WorkCenterSpec   = Obj{"displayName": "Riverside Tower A"}
	RoleSpec         = Obj{"displayName": "Site Engineer"}
	CollaboratorSpec = Obj{"email": "jane.doe@partner.example"}
)

// Variant is one side of a rejection case.
type Variant struct {
	// Name is the object's name; empty means "valid" or "invalid" by the side.
	Name string
	// Spec is the object's spec; nil leaves spec out entirely.
	Spec Obj
}

// Case is one rule of the schema: an object it accepts and a close one it rejects as
// Invalid (422) with Message among the causes. So a case fails both when the rule is
// missing and when it rejects too much.
type Case struct {
	Name    string
	Kind    string
	Valid   Variant
	Invalid Variant
	// Message is a substring of the API server's error for the invalid variant.
	Message string
}

// ValidObject returns the valid variant of c in namespace.
func (c Case) ValidObject(namespace string) *unstructured.Unstructured {
	return NewObject(c.Kind, cmpOr(c.Valid.Name, "valid"), namespace, c.Valid.Spec)
}

// InvalidObject returns the invalid variant of c in namespace.
func (c Case) InvalidObject(namespace string) *unstructured.Unstructured {
	return NewObject(c.Kind, cmpOr(c.Invalid.Name, "invalid"), namespace, c.Invalid.Spec)
}

func cmpOr(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

func entry(name, kind string, valid, invalid Variant, message string) Case {
	return Case{Name: name, Kind: kind, Valid: valid, Invalid: invalid, Message: message}
}

// RejectionCases are the OpenAPI and CEL rules of the four CRDs, one case each.
var RejectionCases = []Case{
	// Collaborator: CEL rules
	entry("R1: adminRole other than None on a Guest", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "type", "Member", "adminRole", "AccountAdministrator")},
		Variant{Spec: With(CollaboratorSpec, "type", "Guest", "adminRole", "AccountAdministrator")},
		"adminRole other than None requires type: Member (guests cannot be administrators)"),
	entry("R1: adminRole on a collaborator whose type defaults to Guest", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "type", "Member", "adminRole", "WorkCenterAdministrator")},
		Variant{Spec: With(CollaboratorSpec, "adminRole", "WorkCenterAdministrator")},
		"adminRole other than None requires type: Member"),
	entry("R2: a Guest holding workcenter-owner", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "type", "Member",
			"workCenters", Arr{Obj{"name": "tower-a", "role": "workcenter-owner"}})},
		Variant{Spec: With(CollaboratorSpec, "type", "Guest",
			"workCenters", Arr{Obj{"name": "tower-a", "role": "workcenter-owner"}})},
		"a Guest cannot hold the workcenter-owner role: it has member-only permissions"),
	entry("R2: workcenter-owner on a collaborator whose type defaults to Guest", "Collaborator",
		Variant{Spec: With(CollaboratorSpec,
			"workCenters", Arr{Obj{"name": "tower-a", "role": "contributor"}, Obj{"name": "tower-b", "role": "read-only"}})},
		Variant{Spec: With(CollaboratorSpec,
			"workCenters", Arr{Obj{"name": "tower-a", "role": "contributor"}, Obj{"name": "tower-b", "role": "workcenter-owner"}})},
		"a Guest cannot hold the workcenter-owner role"),
	entry("email without @", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "email", "jane@partner.example")},
		Variant{Spec: With(CollaboratorSpec, "email", "jane.partner.example")},
		"email must be an address like name@example.com"),
	entry("email with a space", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "email", "jane.doe@partner.example")},
		Variant{Spec: With(CollaboratorSpec, "email", "jane doe@partner.example")},
		"email must be an address like name@example.com"),
	entry("email with two @", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "email", "a@b.example")},
		Variant{Spec: With(CollaboratorSpec, "email", "a@b@c.example")},
		"email must be an address like name@example.com"),

	// Collaborator: OpenAPI rules
	entry("email missing", "Collaborator",
		Variant{Spec: CollaboratorSpec},
		Variant{Spec: Obj{"displayName": "Jane Doe"}},
		"spec.email: Required value"),
	entry("spec missing", "Collaborator",
		Variant{Spec: CollaboratorSpec},
		Variant{Spec: nil},
		"spec: Required value"),
	entry("bad type enum", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "type", "Guest")},
		Variant{Spec: With(CollaboratorSpec, "type", "Contractor")},
		`spec.type: Unsupported value: "Contractor"`),
	entry("bad adminRole enum", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "type", "Member", "adminRole", "UserAdministrator")},
		Variant{Spec: With(CollaboratorSpec, "type", "Member", "adminRole", "Owner")},
		`spec.adminRole: Unsupported value: "Owner"`),
	entry("displayName longer than 128", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "displayName", strings.Repeat("j", 128))},
		Variant{Spec: With(CollaboratorSpec, "displayName", strings.Repeat("j", 129))},
		"spec.displayName: Too long: may not be more than 128 bytes"),
	entry("an email option turned off that is not one", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "emailPreferences", Obj{"disabled": Strs("postDeleted")})},
		Variant{Spec: With(CollaboratorSpec, "emailPreferences", Obj{"disabled": Strs("postDelete")})},
		`spec.emailPreferences.disabled[0]: Unsupported value: "postDelete"`),
	entry("an email option turned off twice (listType set)", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "emailPreferences", Obj{"disabled": Strs("postDeleted", "postUpdated")})},
		Variant{Spec: With(CollaboratorSpec, "emailPreferences", Obj{"disabled": Strs("postDeleted", "postDeleted")})},
		`spec.emailPreferences.disabled[1]: Duplicate value: "postDeleted"`),
	entry("bad email delivery enum", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "emailPreferences", Obj{"delivery": "Digest"})},
		Variant{Spec: With(CollaboratorSpec, "emailPreferences", Obj{"delivery": "Weekly"})},
		`spec.emailPreferences.delivery: Unsupported value: "Weekly"`),
	entry("the same WorkCenter twice in workCenters (list map key name)", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "workCenters", Arr{
			Obj{"name": "tower-a", "role": "contributor"}, Obj{"name": "tower-b", "role": "read-only"}})},
		Variant{Spec: With(CollaboratorSpec, "workCenters", Arr{
			Obj{"name": "tower-a", "role": "contributor"}, Obj{"name": "tower-a", "role": "read-only"}})},
		`spec.workCenters[1]: Duplicate value: {"name":"tower-a"}`),
	entry("an assignment without a role", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "workCenters", Arr{Obj{"name": "tower-a", "role": "read-only"}})},
		Variant{Spec: With(CollaboratorSpec, "workCenters", Arr{Obj{"name": "tower-a"}})},
		"spec.workCenters[0].role: Required value"),
	entry("an assignment naming a WorkCenter that is not an object name", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "workCenters", Arr{Obj{"name": "tower-a", "role": "read-only"}})},
		Variant{Spec: With(CollaboratorSpec, "workCenters", Arr{Obj{"name": "Tower A", "role": "read-only"}})},
		`spec.workCenters[0].name: Invalid value: "Tower A": spec.workCenters[0].name in body should match`),
	entry("more than 256 workCenters (maxItems)", "Collaborator",
		Variant{Spec: With(CollaboratorSpec, "workCenters", Assignments(256, "read-only"))},
		Variant{Spec: With(CollaboratorSpec, "workCenters", Assignments(257, "read-only"))},
		"spec.workCenters: Too many: 257: must have at most 256 items"),

	// Account
	entry("logoURL over http", "Account",
		Variant{Spec: With(AccountSpec, "logoURL", "https://assets.acme.example/logo.png")},
		Variant{Spec: With(AccountSpec, "logoURL", "http://assets.acme.example/logo.png")},
		"logoURL must be an absolute https:// URL"),
	entry("logoURL that is not a URL", "Account",
		Variant{Spec: With(AccountSpec, "logoURL", "https://acme.example/logo.png")},
		Variant{Spec: With(AccountSpec, "logoURL", "not a url")},
		"logoURL must be an absolute https:// URL"),
	entry("logoURL that is a relative path", "Account",
		Variant{Spec: With(AccountSpec, "logoURL", "https://acme.example/logo.png")},
		Variant{Spec: With(AccountSpec, "logoURL", "logo.png")},
		"logoURL must be an absolute https:// URL"),
	entry("logoURL without a host", "Account",
		Variant{Spec: With(AccountSpec, "logoURL", "https://acme.example/")},
		Variant{Spec: With(AccountSpec, "logoURL", "https:///logo.png")},
		"logoURL must be an absolute https:// URL"),
	entry("bad state enum", "Account",
		Variant{Spec: With(AccountSpec, "state", "Deactivated")},
		Variant{Spec: With(AccountSpec, "state", "Paused")},
		`spec.state: Unsupported value: "Paused"`),
	entry("negative licenses", "Account",
		Variant{Spec: With(AccountSpec, "licenses", int64(0))},
		Variant{Spec: With(AccountSpec, "licenses", int64(-1))},
		"spec.licenses in body should be greater than or equal to 0"),
	entry("displayName missing", "Account",
		Variant{Spec: AccountSpec},
		Variant{Spec: Obj{"licenses": int64(3)}},
		"spec.displayName: Required value"),
	entry("displayName empty", "Account",
		Variant{Spec: With(AccountSpec, "displayName", "A")},
		Variant{Spec: With(AccountSpec, "displayName", "")},
		"spec.displayName in body should be at least 1 chars long"),
	entry("displayName longer than 128", "Account",
		Variant{Spec: With(AccountSpec, "displayName", strings.Repeat("a", 128))},
		Variant{Spec: With(AccountSpec, "displayName", strings.Repeat("a", 129))},
		"spec.displayName: Too long: may not be more than 128 bytes"),
	entry("picklist item longer than 64", "Account",
		Variant{Spec: With(AccountSpec, "picklists", Obj{"fileTypes": Strs(strings.Repeat("d", 64))})},
		Variant{Spec: With(AccountSpec, "picklists", Obj{"fileTypes": Strs(strings.Repeat("d", 65))})},
		"spec.picklists.fileTypes[0]: Too long: may not be more than 64 bytes"),
	entry("empty picklist item", "Account",
		Variant{Spec: With(AccountSpec, "picklists", Obj{"fileStatuses": Strs("Draft")})},
		Variant{Spec: With(AccountSpec, "picklists", Obj{"fileStatuses": Strs("")})},
		"spec.picklists.fileStatuses[0] in body should be at least 1 chars long"),
	entry("duplicate picklist item (listType set)", "Account",
		Variant{Spec: With(AccountSpec, "picklists", Obj{"workCenterCategories": Strs("Residential", "Commercial")})},
		Variant{Spec: With(AccountSpec, "picklists", Obj{"workCenterCategories": Strs("Residential", "Residential")})},
		`spec.picklists.workCenterCategories[1]: Duplicate value: "Residential"`),
	entry("more than 256 picklist items (maxItems)", "Account",
		Variant{Spec: With(AccountSpec, "picklists", Obj{"workCenterCategories": Numbered("Category %d", 256)})},
		Variant{Spec: With(AccountSpec, "picklists", Obj{"workCenterCategories": Numbered("Category %d", 257)})},
		"spec.picklists.workCenterCategories: Too many: 257: must have at most 256 items"),

	// WorkCenter
	entry("WorkCenter displayName missing", "WorkCenter",
		Variant{Spec: WorkCenterSpec},
		Variant{Spec: Obj{"category": "Residential"}},
		"spec.displayName: Required value"),
	entry("WorkCenter displayName empty", "WorkCenter",
		Variant{Spec: With(WorkCenterSpec, "displayName", "A")},
		Variant{Spec: With(WorkCenterSpec, "displayName", "")},
		"spec.displayName in body should be at least 1 chars long"),
	entry("WorkCenter displayName longer than 128", "WorkCenter",
		Variant{Spec: With(WorkCenterSpec, "displayName", strings.Repeat("w", 128))},
		Variant{Spec: With(WorkCenterSpec, "displayName", strings.Repeat("w", 129))},
		"spec.displayName: Too long: may not be more than 128 bytes"),
	entry("WorkCenter category longer than 64", "WorkCenter",
		Variant{Spec: With(WorkCenterSpec, "category", strings.Repeat("c", 64))},
		Variant{Spec: With(WorkCenterSpec, "category", strings.Repeat("c", 65))},
		"spec.category: Too long: may not be more than 64 bytes"),
	entry("WorkCenter description longer than 2048", "WorkCenter",
		Variant{Spec: With(WorkCenterSpec, "description", strings.Repeat("d", 2048))},
		Variant{Spec: With(WorkCenterSpec, "description", strings.Repeat("d", 2049))},
		"spec.description: Too long: may not be more than 2048 bytes"),

	// WorkCenterRole
	entry("a role including itself", "WorkCenterRole",
		Variant{Name: "site-lead", Spec: With(RoleSpec, "includes", Strs("contributor", "site-engineer"))},
		Variant{Name: "site-engineer", Spec: With(RoleSpec, "includes", Strs("contributor", "site-engineer"))},
		"a role cannot include itself"),
	entry("unknown permission", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "permissions", Strs("tasks.create", "files.copy"))},
		Variant{Spec: With(RoleSpec, "permissions", Strs("tasks.create", "files.burn"))},
		`spec.permissions[1]: Unsupported value: "files.burn"`),
	entry("duplicate permission (listType set)", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "permissions", Strs("tasks.create", "tasks.update"))},
		Variant{Spec: With(RoleSpec, "permissions", Strs("tasks.create", "tasks.create"))},
		`spec.permissions[1]: Duplicate value: "tasks.create"`),
	entry("bad level enum", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "levels", Obj{"files": "Admin", "tasks": "ReadOnly"})},
		Variant{Spec: With(RoleSpec, "levels", Obj{"files": "Write", "tasks": "ReadOnly"})},
		`spec.levels.files: Unsupported value: "Write"`),
	entry("included role that is not an object name", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "includes", Strs("contributor"))},
		Variant{Spec: With(RoleSpec, "includes", Strs("Contributor"))},
		`spec.includes[0]: Invalid value: "Contributor": spec.includes[0] in body should match`),
	entry("more than 32 includes (maxItems)", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "includes", Numbered("role-%d", 32))},
		Variant{Spec: With(RoleSpec, "includes", Numbered("role-%d", 33))},
		"spec.includes: Too many: 33: must have at most 32 items"),
	entry("WorkCenterRole displayName missing", "WorkCenterRole",
		Variant{Spec: RoleSpec},
		Variant{Spec: Obj{"includes": Strs("contributor")}},
		"spec.displayName: Required value"),
	entry("WorkCenterRole displayName empty", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "displayName", "R")},
		Variant{Spec: With(RoleSpec, "displayName", "")},
		"spec.displayName in body should be at least 1 chars long"),
	entry("WorkCenterRole displayName longer than 128", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "displayName", strings.Repeat("r", 128))},
		Variant{Spec: With(RoleSpec, "displayName", strings.Repeat("r", 129))},
		"spec.displayName: Too long: may not be more than 128 bytes"),
	entry("emailNotifications option that is not a boolean", "WorkCenterRole",
		Variant{Spec: With(RoleSpec, "emailNotifications", Obj{"postDeleted": false})},
		Variant{Spec: With(RoleSpec, "emailNotifications", Obj{"postDeleted": "no"})},
		`spec.emailNotifications.postDeleted: Invalid value: "string": spec.emailNotifications.postDeleted in body must be of type boolean`),
}
