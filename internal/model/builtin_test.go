package model

import (
	"reflect"
	"testing"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The built-in roles of docs/rules.md, spelled out.
var (
	specReadOnly    = []string{"workCenter.view", "files.download"}
	specContributor = []string{
		"workCenter.view",
		"files.download", "files.upload", "files.update", "files.delete", "files.restoreVersion",
		"fileComments.create", "fileComments.delete",
		"posts.create", "posts.edit", "posts.delete",
		"taskComments.create",
	}
)

func TestBuiltInRolesEffectivePermissions(t *testing.T) {
	cases := map[string]struct {
		want           []string
		wantMemberOnly bool
	}{
		"read-only":        {specReadOnly, false},
		"contributor":      {specContributor, false},
		"workcenter-owner": {specAll(), true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := rolesWith().Effective(name)
			if err != nil {
				t.Fatalf("Effective(%q): %v", name, err)
			}
			equalSet(t, "Effective", got, tc.want)
			if got.IsMemberOnly() != tc.wantMemberOnly {
				t.Errorf("IsMemberOnly = %v, want %v", got.IsMemberOnly(), tc.wantMemberOnly)
			}
			spec, ok := BuiltInRoleSpec(name)
			if !ok {
				t.Fatalf("BuiltInRoleSpec(%q) says it is not built in", name)
			}
			equalSet(t, "DirectPermissions(BuiltInRoleSpec)", DirectPermissions(spec), tc.want)
			if len(spec.Includes) != 0 {
				t.Errorf("built-in %q includes %v; built-ins stand alone", name, spec.Includes)
			}
			if spec.DisplayName == "" {
				t.Errorf("built-in %q has no displayName, which the CRD requires", name)
			}
		})
	}
}

func TestContributorHasNoFolderOrMemberOnlyPermission(t *testing.T) {
	got, _ := rolesWith().Effective("contributor")
	for p := range got {
		if info, _ := Lookup(p); info.Area == AreaFolders {
			t.Errorf("contributor has folder permission %q; docs/rules.md: no folder permissions", p)
		}
	}
	if mo := got.MemberOnly(); len(mo) != 0 {
		t.Errorf("contributor has member-only permissions %v; guests hold it", mo)
	}
}

func TestBuiltInRolesEmailOptionsAllOn(t *testing.T) {
	check := func(t *testing.T, en *v1alpha1.EmailNotifications) {
		t.Helper()
		if en == nil {
			t.Fatal("emailNotifications is nil")
		}
		v := reflect.ValueOf(*en)
		if v.NumField() != 9 {
			t.Errorf("EmailNotifications has %d options, docs/rules.md lists 9", v.NumField())
		}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			name := v.Type().Field(i).Name
			if f.IsNil() {
				t.Errorf("option %s is unset, want true", name)
				continue
			}
			if !f.Elem().Bool() {
				t.Errorf("option %s is false, want true", name)
			}
		}
	}
	for _, name := range []string{"read-only", "contributor", "workcenter-owner"} {
		t.Run(name, func(t *testing.T) {
			spec, ok := BuiltInRoleSpec(name)
			if !ok {
				t.Fatalf("BuiltInRoleSpec(%q) not found", name)
			}
			check(t, spec.EmailNotifications)
		})
	}
	t.Run("AllEmailNotifications", func(t *testing.T) {
		a, b := AllEmailNotifications(), AllEmailNotifications()
		check(t, a)
		*a.FileUploaded = false
		if !*b.FileUploaded {
			t.Error("AllEmailNotifications results share their pointers")
		}
	})
}

func TestBuiltInRoleSpecUnknownNames(t *testing.T) {
	for _, name := range []string{"", "owner", "Contributor", "read_only", "workcenter-owner2", "site-engineer"} {
		if _, ok := BuiltInRoleSpec(name); ok {
			t.Errorf("BuiltInRoleSpec(%q) says built in; docs/rules.md has only read-only, contributor, workcenter-owner", name)
		}
	}
}

// TestEditedBuiltInRoleObjectGrantsNothingNew: a built-in's permissions come from the built-in definition,
// not from its object, so an edit not reverted yet never grants (or removes) anything.
func TestEditedBuiltInRoleObjectGrantsNothingNew(t *testing.T) {
	adminEverywhere := v1alpha1.RoleLevels{
		WorkCenter: v1alpha1.LevelAdmin, Files: v1alpha1.LevelAdmin, Folders: v1alpha1.LevelAdmin,
		Posts: v1alpha1.LevelAdmin, Tasks: v1alpha1.LevelAdmin, Collaborators: v1alpha1.LevelAdmin,
	}
	noneEverywhere := v1alpha1.RoleLevels{
		WorkCenter: v1alpha1.LevelNone, Files: v1alpha1.LevelNone, Folders: v1alpha1.LevelNone,
		Posts: v1alpha1.LevelNone, Tasks: v1alpha1.LevelNone, Collaborators: v1alpha1.LevelNone,
	}
	cases := map[string]struct {
		edited *v1alpha1.WorkCenterRole
		want   []string
	}{
		"contributor edited to Admin everywhere": {
			newRole("contributor", withLevels(adminEverywhere)), specContributor,
		},
		"contributor edited with granular member-only permissions": {
			newRole("contributor", granular("tasks.create", "collaborators.remove")), specContributor,
		},
		"contributor edited to include workcenter-owner": {
			newRole("contributor", includes("workcenter-owner")), specContributor,
		},
		"read-only edited to Admin everywhere": {
			newRole("read-only", withLevels(adminEverywhere)), specReadOnly,
		},
		"workcenter-owner edited to None everywhere": {
			newRole("workcenter-owner", withLevels(noneEverywhere)), specAll(),
		},
		"read-only edited to include a missing role": {
			newRole("read-only", includes("ghost")), specReadOnly,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			roles := rolesWith()
			roles[tc.edited.Name] = tc.edited
			got, err := roles.Effective(tc.edited.Name)
			if err != nil {
				t.Fatalf("Effective: %v", err)
			}
			equalSet(t, "Effective", got, tc.want)

			// A custom role including the edited built-in sees the built-in permissions too.
			roles["site-engineer"] = newRole("site-engineer", includes(tc.edited.Name))
			got, err = roles.Effective("site-engineer")
			if err != nil {
				t.Fatalf("Effective(site-engineer): %v", err)
			}
			equalSet(t, "Effective(site-engineer)", got, tc.want)
		})
	}
}
