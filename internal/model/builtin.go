package model

import (
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
