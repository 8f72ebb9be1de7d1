package model

import (
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Permission is a permission string of the catalog.
type Permission = v1alpha1.Permission

// Area groups permissions; a role's levels are set per area.
type Area string

// The areas of docs/rules.md, in catalog order.
const (
	AreaWorkCenter    Area = "workCenter"
	AreaFiles         Area = "files"
	AreaFolders       Area = "folders"
	AreaPosts         Area = "posts"
	AreaTasks         Area = "tasks"
	AreaCollaborators Area = "collaborators"
)

// Areas lists every area in catalog order.
var Areas = []Area{AreaWorkCenter, AreaFiles, AreaFolders, AreaPosts, AreaTasks, AreaCollaborators}

// The permission strings of docs/rules.md.
const (
	WorkCenterView         Permission = "workCenter.view"
	WorkCenterEditSettings Permission = "workCenter.editSettings"
	FilesDownload          Permission = "files.download"
	FilesUpload            Permission = "files.upload"
	FilesUpdate            Permission = "files.update"
	FilesDelete            Permission = "files.delete"
	FilesRestoreVersion    Permission = "files.restoreVersion"
	FileCommentsCreate     Permission = "fileComments.create"
	FileCommentsDelete     Permission = "fileComments.delete"
	FilesMove              Permission = "files.move"
	FilesCopy              Permission = "files.copy"
	FoldersCreate          Permission = "folders.create"
	FoldersRename          Permission = "folders.rename"
	FoldersDelete          Permission = "folders.delete"
	PostsCreate            Permission = "posts.create"
	PostsEdit              Permission = "posts.edit"
	PostsDelete            Permission = "posts.delete"
	TasksDelete            Permission = "tasks.delete"
	TaskCommentsCreate     Permission = "taskComments.create"
	TaskCommentsDelete     Permission = "taskComments.delete"
	TasksCreate            Permission = "tasks.create"
	TasksUpdate            Permission = "tasks.update"
	TasksManageAssignees   Permission = "tasks.manageAssignees"
	TasksManageApprovers   Permission = "tasks.manageApprovers"
	CollaboratorsAddGuests Permission = "collaborators.addGuests"
	CollaboratorsRemove    Permission = "collaborators.remove"
	CollaboratorsChange    Permission = "collaborators.changeRole"
)

// PermissionInfo describes one permission of the catalog.
type PermissionInfo struct {
	Permission Permission
	Area       Area
	// MemberOnly marks the seeds' asterisk: only a paid Member may hold it.
	MemberOnly bool
}

// catalog is the permission table of docs/rules.md, in its order.
var catalog = []PermissionInfo{
	{WorkCenterView, AreaWorkCenter, false},
	{WorkCenterEditSettings, AreaWorkCenter, true},
	{FilesDownload, AreaFiles, false},
	{FilesUpload, AreaFiles, false},
	{FilesUpdate, AreaFiles, false},
	{FilesDelete, AreaFiles, false},
	{FilesRestoreVersion, AreaFiles, false},
	{FileCommentsCreate, AreaFiles, false},
	{FileCommentsDelete, AreaFiles, false},
	{FilesMove, AreaFiles, true},
	{FilesCopy, AreaFiles, true},
	{FoldersCreate, AreaFolders, false},
	{FoldersRename, AreaFolders, false},
	{FoldersDelete, AreaFolders, true},
	{PostsCreate, AreaPosts, false},
	{PostsEdit, AreaPosts, false},
	{PostsDelete, AreaPosts, false},
	{TasksDelete, AreaTasks, false},
	{TaskCommentsCreate, AreaTasks, false},
	{TaskCommentsDelete, AreaTasks, false},
	{TasksCreate, AreaTasks, true},
	{TasksUpdate, AreaTasks, true},
	{TasksManageAssignees, AreaTasks, true},
	{TasksManageApprovers, AreaTasks, true},
	{CollaboratorsAddGuests, AreaCollaborators, true},
	{CollaboratorsRemove, AreaCollaborators, true},
	{CollaboratorsChange, AreaCollaborators, true},
}

var catalogIndex = func() map[Permission]PermissionInfo {
	m := make(map[Permission]PermissionInfo, len(catalog))
	for _, p := range catalog {
		m[p.Permission] = p
	}
	return m
}()

// Catalog returns every permission of docs/rules.md, in the table's order.
func Catalog() []PermissionInfo { return slices.Clone(catalog) }

// Lookup returns the catalog entry of p, and false when p is not in the catalog.
func Lookup(p Permission) (PermissionInfo, bool) {
	info, ok := catalogIndex[p]
	return info, ok
}

// IsMemberOnly reports whether p needs a paid Member. Unknown permissions are not.
func IsMemberOnly(p Permission) bool { return catalogIndex[p].MemberOnly }

// All returns the set of every permission of the catalog.
func All() Set {
	s := make(Set, len(catalog))
	for _, p := range catalog {
		s[p.Permission] = struct{}{}
	}
	return s
}

// LevelPermissions returns what a level grants in an area (docs/rules.md):
// None nothing; ReadOnly files.download for files and nothing more elsewhere (view is
// always there anyway); Standard the area's permissions that are not member-only;
// Admin all of the area's permissions. An empty level is None.
func LevelPermissions(area Area, level v1alpha1.Level) Set {
	s := Set{}
	switch level {
	case v1alpha1.LevelReadOnly:
		if area == AreaFiles {
			s.Add(FilesDownload)
		}
	case v1alpha1.LevelStandard, v1alpha1.LevelAdmin:
		for _, p := range catalog {
			if p.Area == area && (level == v1alpha1.LevelAdmin || !p.MemberOnly) {
				s.Add(p.Permission)
			}
		}
	}
	return s
}

// levelsByArea pairs each area with the level the role sets for it.
func levelsByArea(l v1alpha1.RoleLevels) map[Area]v1alpha1.Level {
	return map[Area]v1alpha1.Level{
		AreaWorkCenter:    l.WorkCenter,
		AreaFiles:         l.Files,
		AreaFolders:       l.Folders,
		AreaPosts:         l.Posts,
		AreaTasks:         l.Tasks,
		AreaCollaborators: l.Collaborators,
	}
}

// Set is a set of permissions.
type Set map[Permission]struct{}

// NewSet returns a set holding ps.
func NewSet(ps ...Permission) Set {
	s := make(Set, len(ps))
	s.Add(ps...)
	return s
}

// Add puts ps into the set.
func (s Set) Add(ps ...Permission) {
	for _, p := range ps {
		s[p] = struct{}{}
	}
}

// Union adds every permission of o.
func (s Set) Union(o Set) {
	for p := range o {
		s[p] = struct{}{}
	}
}

// Has reports whether p is in the set.
func (s Set) Has(p Permission) bool {
	_, ok := s[p]
	return ok
}

// Sorted returns the permissions in lexical order.
func (s Set) Sorted() []Permission {
	out := make([]Permission, 0, len(s))
	for p := range s {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// MemberOnly returns the member-only permissions of the set, sorted: the reasons the set
// cannot be held by a Guest. Empty when a Guest may hold it.
func (s Set) MemberOnly() []Permission {
	var out []Permission
	for p := range s {
		if IsMemberOnly(p) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

// IsMemberOnly reports whether any permission of the set needs a paid Member.
func (s Set) IsMemberOnly() bool {
	for p := range s {
		if IsMemberOnly(p) {
			return true
		}
	}
	return false
}

// Intersect returns the permissions in both sets.
func (s Set) Intersect(o Set) Set {
	out := Set{}
	for p := range s {
		if o.Has(p) {
			out.Add(p)
		}
	}
	return out
}

// String lists the set, sorted and comma-separated.
func (s Set) String() string { return joinPermissions(s.Sorted()) }

func joinPermissions(ps []Permission) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = string(p)
	}
	return strings.Join(parts, ", ")
}
