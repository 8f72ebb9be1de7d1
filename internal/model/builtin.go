package model

import (
	"fmt"
	"strings"

	"k8s.io/utils/ptr"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// AllEmailNotifications returns the email options with every option on, as built-in
// roles have them and new roles default to.
func AllEmailNotifications() *v1alpha1.EmailNotifications {
	on := func() *bool { return ptr.To(true) }
	return &v1alpha1.EmailNotifications{
		FileUploaded: on(), FilesFoldersDeleted: on(), FileVersionRestored: on(),
		FileCommentAdded: on(), FilesFoldersCopiedMoved: on(), PostCreated: on(),
		PostUpdated: on(), PostDeleted: on(), CollaboratorRemoved: on(),
	}
}

// BuiltInRoleSpec returns the spec of a built-in role (docs/rules.md), and false when
// name is not one. The Account controller keeps the objects equal to this spec, and the
// model always reads a built-in role's permissions from here, so an edit that has not
// been reverted yet never grants anything.
func BuiltInRoleSpec(name string) (v1alpha1.WorkCenterRoleSpec, bool) {
	spec := v1alpha1.WorkCenterRoleSpec{EmailNotifications: AllEmailNotifications()}
	switch name {
	case v1alpha1.RoleReadOnly:
		spec.DisplayName = "Read-Only"
		spec.Description = "Views everything on a WorkCenter and downloads files; changes nothing."
		spec.Levels = v1alpha1.RoleLevels{Files: v1alpha1.LevelReadOnly}
	case v1alpha1.RoleContributor:
		spec.DisplayName = "Contributor"
		spec.Description = "The standard access for guests: everything with files, posts, and task comments; no folder permissions."
		spec.Levels = v1alpha1.RoleLevels{Files: v1alpha1.LevelStandard, Posts: v1alpha1.LevelStandard}
		spec.Permissions = []v1alpha1.Permission{TaskCommentsCreate}
	case v1alpha1.RoleWorkCenterOwner:
		spec.DisplayName = "WorkCenter Owner"
		spec.Description = "The top tier role within a WorkCenter: every permission. Members only."
		spec.Levels = v1alpha1.RoleLevels{
			WorkCenter: v1alpha1.LevelAdmin, Files: v1alpha1.LevelAdmin, Folders: v1alpha1.LevelAdmin,
			Posts: v1alpha1.LevelAdmin, Tasks: v1alpha1.LevelAdmin, Collaborators: v1alpha1.LevelAdmin,
		}
	default:
		return v1alpha1.WorkCenterRoleSpec{}, false
	}
	return spec, true
}

// CheckBuiltInEdit is R9: built-in roles are created and restored by the operator alone.
// update is false for a create.
func CheckBuiltInEdit(role *v1alpha1.WorkCenterRole, update bool, username string, operator bool) *Finding {
	if operator {
		return nil
	}
	what := "create"
	if update {
		what = "edit"
	}
	return &Finding{Rule: R9, Forbidden: true, Message: fmt.Sprintf(
		"WorkCenterRole %q is built in (one of %s): only the operator may %s it, and it reverts any change of its spec or its %s label; user %q can create a custom role instead, for example one that includes %q",
		role.Name, strings.Join(v1alpha1.BuiltInRoleNames, ", "), what, v1alpha1.LabelBuiltIn, Bound(username, MaxUsername), role.Name)}
}
