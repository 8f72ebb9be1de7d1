package query

import (
	"slices"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// MatrixRole is one column of the matrix.
type MatrixRole struct {
	Name    string `json:"name"`
	BuiltIn bool   `json:"builtIn"`
	// Permissions is the role's effective set, in catalog order.
	Permissions []string `json:"permissions"`
	MemberOnly  bool     `json:"memberOnly"`
	// EmailNotifications are the role's email options (every option on unless set off).
	EmailNotifications map[string]bool `json:"emailNotifications"`
	// Error says why the set is incomplete: an include cycle or a missing include.
	Error string `json:"error,omitempty"`
}

// MatrixPermission is one row of the matrix: a permission of the catalog.
type MatrixPermission struct {
	Permission string `json:"permission"`
	Area       string `json:"area"`
	MemberOnly bool   `json:"memberOnly"`
}

// Matrix is roles side by side against the catalog (Procorem's "Matrix").
type Matrix struct {
	Permissions []MatrixPermission `json:"permissions"`
	Roles       []MatrixRole       `json:"roles"`
	// EmailOptions are the email option names, in the order of the API.
	EmailOptions []string `json:"emailOptions"`
}

// Has reports whether role column i has permission p.
func (m Matrix) Has(i int, p string) bool { return slices.Contains(m.Roles[i].Permissions, p) }

// BuiltInRoles are the built-in roles in the order of docs/rules.md.
var BuiltInRoles = []string{v1alpha1.RoleReadOnly, v1alpha1.RoleContributor, v1alpha1.RoleWorkCenterOwner}

// EmailOptions are the email option names of a role, in the order of the API.
var EmailOptions = []string{"fileUploaded", "filesFoldersDeleted", "fileVersionRestored", "fileCommentAdded",
	"filesFoldersCopiedMoved", "postCreated", "postUpdated", "postDeleted", "collaboratorRemoved"}

// Matrix puts the given roles side by side, or every role of the account when none is
// given: the built-in roles first, then the others by name. Names must have been resolved
// (Role).
func (e *Engine) Matrix(roles ...string) Matrix {
	out := Matrix{EmailOptions: EmailOptions, Roles: []MatrixRole{}}
	for _, info := range model.Catalog() {
		out.Permissions = append(out.Permissions, MatrixPermission{Permission: string(info.Permission), Area: string(info.Area), MemberOnly: info.MemberOnly})
	}
	if len(roles) == 0 {
		roles = e.RoleNames()
	}
	for _, name := range roles {
		r := e.m.Role(name)
		perms, err := e.m.Effective(name)
		spec := r.Spec
		_, builtIn := model.BuiltInRoleSpec(name)
		if builtIn {
			spec, _ = model.BuiltInRoleSpec(name)
		}
		col := MatrixRole{Name: name, BuiltIn: builtIn, Permissions: inCatalogOrder(perms), MemberOnly: perms.IsMemberOnly(), EmailNotifications: emailOptions(spec.EmailNotifications)}
		if err != nil {
			col.Error = err.Error()
		}
		out.Roles = append(out.Roles, col)
	}
	return out
}

// RoleNames are the account's roles: the built-in ones first (the order of docs/rules.md), then the
// others by name.
func (e *Engine) RoleNames() []string {
	var builtIn, custom []string
	for name := range e.m.Roles() {
		if slices.Contains(BuiltInRoles, name) {
			continue
		}
		custom = append(custom, name)
	}
	for _, name := range BuiltInRoles {
		if e.m.Role(name) != nil {
			builtIn = append(builtIn, name)
		}
	}
	SortNames(custom)
	return append(builtIn, custom...)
}

func emailOptions(n *v1alpha1.EmailNotifications) map[string]bool {
	out := make(map[string]bool, len(EmailOptions))
	var v v1alpha1.EmailNotifications
	if n != nil {
		v = *n
	}
	for i, p := range []*bool{v.FileUploaded, v.FilesFoldersDeleted, v.FileVersionRestored, v.FileCommentAdded,
		v.FilesFoldersCopiedMoved, v.PostCreated, v.PostUpdated, v.PostDeleted, v.CollaboratorRemoved} {
		out[EmailOptions[i]] = p == nil || *p
	}
	return out
}
