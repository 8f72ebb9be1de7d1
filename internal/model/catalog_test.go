package model

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// specPermission is one row of the permission table of docs/rules.md, written out here
// independently of catalog.go.
type specPermission struct {
	area       string
	memberOnly bool
}

var specTable = map[string]specPermission{
	"workCenter.view":         {"workCenter", false},
	"workCenter.editSettings": {"workCenter", true},

	"files.download":       {"files", false},
	"files.upload":         {"files", false},
	"files.update":         {"files", false},
	"files.delete":         {"files", false},
	"files.restoreVersion": {"files", false},
	"fileComments.create":  {"files", false},
	"fileComments.delete":  {"files", false},
	"files.move":           {"files", true},
	"files.copy":           {"files", true},

	"folders.create": {"folders", false},
	"folders.rename": {"folders", false},
	"folders.delete": {"folders", true},

	"posts.create": {"posts", false},
	"posts.edit":   {"posts", false},
	"posts.delete": {"posts", false},

	"tasks.delete":          {"tasks", false},
	"taskComments.create":   {"tasks", false},
	"taskComments.delete":   {"tasks", false},
	"tasks.create":          {"tasks", true},
	"tasks.update":          {"tasks", true},
	"tasks.manageAssignees": {"tasks", true},
	"tasks.manageApprovers": {"tasks", true},

	"collaborators.addGuests":  {"collaborators", true},
	"collaborators.remove":     {"collaborators", true},
	"collaborators.changeRole": {"collaborators", true},
}

var specAreas = []string{"workCenter", "files", "folders", "posts", "tasks", "collaborators"}

func specAll() []string {
	out := make([]string, 0, len(specTable))
	for p := range specTable {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// specMemberOnly lists the member-only permissions of the table of docs/rules.md.
func specMemberOnly() []string {
	var out []string
	for p, row := range specTable {
		if row.memberOnly {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func TestSpecTableHas27Permissions(t *testing.T) {
	// Guards the test's own table: 2 + 9 + 3 + 3 + 7 + 3.
	if len(specTable) != 27 {
		t.Fatalf("the permission table written in the test has %d rows, want 27", len(specTable))
	}
	if n := len(specMemberOnly()); n != 11 {
		t.Fatalf("the permission table has %d member-only permissions, want 11", n)
	}
}

func TestCatalogMatchesSpecTable(t *testing.T) {
	for perm, want := range specTable {
		t.Run(perm, func(t *testing.T) {
			info, ok := Lookup(Permission(perm))
			if !ok {
				t.Fatalf("Lookup(%q): not in the catalog", perm)
			}
			if info.Permission != Permission(perm) {
				t.Errorf("Lookup(%q).Permission = %q", perm, info.Permission)
			}
			if string(info.Area) != want.area {
				t.Errorf("area of %q = %q, docs/rules.md says %q", perm, info.Area, want.area)
			}
			if info.MemberOnly != want.memberOnly {
				t.Errorf("member-only of %q = %v, docs/rules.md says %v", perm, info.MemberOnly, want.memberOnly)
			}
			if got := IsMemberOnly(Permission(perm)); got != want.memberOnly {
				t.Errorf("IsMemberOnly(%q) = %v, docs/rules.md says %v", perm, got, want.memberOnly)
			}
		})
	}
}

func TestCatalogHasExactlyTheSpecPermissions(t *testing.T) {
	cat := Catalog()
	if len(cat) != 27 {
		t.Errorf("Catalog() has %d entries, want 27", len(cat))
	}
	seen := map[string]bool{}
	var names []string
	for _, info := range cat {
		p := string(info.Permission)
		if seen[p] {
			t.Errorf("Catalog() lists %q twice", p)
		}
		seen[p] = true
		names = append(names, p)
		if _, ok := specTable[p]; !ok {
			t.Errorf("Catalog() has %q, which docs/rules.md does not list", p)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, specAll()) {
		t.Errorf("Catalog() = %v\nwant %v", names, specAll())
	}
	equalSet(t, "All()", All(), specAll())

	// Catalog() hands out a copy: callers cannot corrupt the model.
	cat[0].MemberOnly = !cat[0].MemberOnly
	cat[0].Permission = "tampered"
	if _, ok := Lookup("tampered"); ok {
		t.Errorf("changing Catalog()'s result changed the catalog")
	}
	if again := Catalog(); again[0].Permission == "tampered" {
		t.Errorf("Catalog() returned shared storage")
	}
}

func TestCatalogAreas(t *testing.T) {
	var got []string
	for _, a := range Areas {
		got = append(got, string(a))
	}
	if !slices.Equal(got, specAreas) {
		t.Errorf("Areas = %v, want %v", got, specAreas)
	}
	for _, info := range Catalog() {
		if !slices.Contains(Areas, info.Area) {
			t.Errorf("%q is in area %q, which is not in Areas", info.Permission, info.Area)
		}
	}
}

func TestLookupUnknownPermission(t *testing.T) {
	for _, p := range []string{"", "files.Download", "workcenter.view", "tasks.approve", "files.*"} {
		if _, ok := Lookup(Permission(p)); ok {
			t.Errorf("Lookup(%q) found a permission that docs/rules.md does not list", p)
		}
		if IsMemberOnly(Permission(p)) {
			t.Errorf("IsMemberOnly(%q) = true for a permission outside the catalog", p)
		}
	}
}

// permissionEnumValues reads the +kubebuilder:validation:Enum marker right above
// `type Permission string` in the API source.
func permissionEnumValues(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "api", "v1alpha1", "workcenterrole_types.go"))
	if err != nil {
		t.Fatalf("reading the API source: %v", err)
	}
	re := regexp.MustCompile(`(?m)^// \+kubebuilder:validation:Enum=([^\n]*)\ntype Permission string\b`)
	m := re.FindSubmatch(src)
	if m == nil {
		t.Fatalf("no +kubebuilder:validation:Enum marker directly above `type Permission string`")
	}
	return strings.Split(strings.TrimSpace(string(m[1])), ";")
}

func TestPermissionEnumMatchesCatalog(t *testing.T) {
	enum := permissionEnumValues(t)
	seen := map[string]bool{}
	for _, v := range enum {
		if seen[v] {
			t.Errorf("enum lists %q twice", v)
		}
		seen[v] = true
		if _, ok := Lookup(Permission(v)); !ok {
			t.Errorf("enum value %q is not in the catalog", v)
		}
		if _, ok := specTable[v]; !ok {
			t.Errorf("enum value %q is not in docs/rules.md", v)
		}
	}
	for _, info := range Catalog() {
		if !seen[string(info.Permission)] {
			t.Errorf("catalog permission %q is missing from the Permission enum", info.Permission)
		}
	}
	if len(enum) != 27 {
		t.Errorf("enum has %d values, want 27", len(enum))
	}
}

// specLevel is the level rule of docs/rules.md computed from the test's own table.
func specLevel(area string, level v1alpha1.Level) []string {
	var out []string
	switch level {
	case "", v1alpha1.LevelNone:
	case v1alpha1.LevelReadOnly:
		if area == "files" {
			out = append(out, "files.download")
		}
	case v1alpha1.LevelStandard, v1alpha1.LevelAdmin:
		for p, row := range specTable {
			if row.area == area && (level == v1alpha1.LevelAdmin || !row.memberOnly) {
				out = append(out, p)
			}
		}
	}
	return out
}

var allLevels = []v1alpha1.Level{"", v1alpha1.LevelNone, v1alpha1.LevelReadOnly, v1alpha1.LevelStandard, v1alpha1.LevelAdmin}

func TestLevelPermissionsEveryAreaAndLevel(t *testing.T) {
	for _, area := range specAreas {
		for _, level := range allLevels {
			name := area + "/" + string(level)
			if level == "" {
				name = area + "/empty"
			}
			t.Run(name, func(t *testing.T) {
				equalSet(t, "LevelPermissions", LevelPermissions(Area(area), level), specLevel(area, level))
			})
		}
	}
}

// TestLevelPermissionsLiterals spells out the less obvious cells of the level table.
func TestLevelPermissionsLiterals(t *testing.T) {
	cases := map[string]struct {
		area  Area
		level v1alpha1.Level
		want  []string
	}{
		"files ReadOnly is download only": {AreaFiles, v1alpha1.LevelReadOnly, []string{"files.download"}},
		"folders ReadOnly is nothing":     {AreaFolders, v1alpha1.LevelReadOnly, nil},
		"tasks ReadOnly is nothing":       {AreaTasks, v1alpha1.LevelReadOnly, nil},
		"workCenter ReadOnly is nothing":  {AreaWorkCenter, v1alpha1.LevelReadOnly, nil},
		"files Standard": {AreaFiles, v1alpha1.LevelStandard, []string{
			"files.download", "files.upload", "files.update", "files.delete", "files.restoreVersion",
			"fileComments.create", "fileComments.delete",
		}},
		"files Admin adds move and copy": {AreaFiles, v1alpha1.LevelAdmin, []string{
			"files.download", "files.upload", "files.update", "files.delete", "files.restoreVersion",
			"fileComments.create", "fileComments.delete", "files.move", "files.copy",
		}},
		"folders Standard":                {AreaFolders, v1alpha1.LevelStandard, []string{"folders.create", "folders.rename"}},
		"folders Admin":                   {AreaFolders, v1alpha1.LevelAdmin, []string{"folders.create", "folders.rename", "folders.delete"}},
		"posts Standard equals Admin":     {AreaPosts, v1alpha1.LevelStandard, []string{"posts.create", "posts.edit", "posts.delete"}},
		"posts Admin":                     {AreaPosts, v1alpha1.LevelAdmin, []string{"posts.create", "posts.edit", "posts.delete"}},
		"tasks Standard":                  {AreaTasks, v1alpha1.LevelStandard, []string{"tasks.delete", "taskComments.create", "taskComments.delete"}},
		"tasks Admin":                     {AreaTasks, v1alpha1.LevelAdmin, []string{"tasks.delete", "taskComments.create", "taskComments.delete", "tasks.create", "tasks.update", "tasks.manageAssignees", "tasks.manageApprovers"}},
		"collaborators Standard is empty": {AreaCollaborators, v1alpha1.LevelStandard, nil},
		"collaborators Admin":             {AreaCollaborators, v1alpha1.LevelAdmin, []string{"collaborators.addGuests", "collaborators.remove", "collaborators.changeRole"}},
		"workCenter Standard is view":     {AreaWorkCenter, v1alpha1.LevelStandard, []string{"workCenter.view"}},
		"workCenter Admin":                {AreaWorkCenter, v1alpha1.LevelAdmin, []string{"workCenter.view", "workCenter.editSettings"}},
		"unknown level grants nothing":    {AreaFiles, v1alpha1.Level("Owner"), nil},
		"unknown area grants nothing":     {Area("budget"), v1alpha1.LevelAdmin, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			equalSet(t, "LevelPermissions", LevelPermissions(tc.area, tc.level), tc.want)
		})
	}
}

// TestRoleLevelFieldsMapToTheirArea sets one level field of a role at a time and checks
// the role gets exactly view plus that area's level, so no field is wired to another
// area.
func TestRoleLevelFieldsMapToTheirArea(t *testing.T) {
	set := func(area string, level v1alpha1.Level) v1alpha1.RoleLevels {
		var l v1alpha1.RoleLevels
		switch area {
		case "workCenter":
			l.WorkCenter = level
		case "files":
			l.Files = level
		case "folders":
			l.Folders = level
		case "posts":
			l.Posts = level
		case "tasks":
			l.Tasks = level
		case "collaborators":
			l.Collaborators = level
		default:
			t.Fatalf("unknown area %q", area)
		}
		return l
	}
	for _, area := range specAreas {
		for _, level := range allLevels {
			t.Run(area+"/"+string(level), func(t *testing.T) {
				roles := rolesWith(newRole("custom", withLevels(set(area, level))))
				got, err := roles.Effective("custom")
				if err != nil {
					t.Fatalf("Effective: %v", err)
				}
				want := append([]string{"workCenter.view"}, specLevel(area, level)...)
				equalSet(t, "Effective", got, slices.Compact(sorted(want...)))
				equalSet(t, "DirectPermissions", DirectPermissions(roles["custom"].Spec), slices.Compact(sorted(want...)))
			})
		}
	}
}

func TestSetOperations(t *testing.T) {
	s := NewSet("files.download", "workCenter.view", "files.download")
	if len(s) != 2 {
		t.Errorf("NewSet kept duplicates: %v", strs(s))
	}
	if !s.Has("files.download") || s.Has("files.upload") {
		t.Errorf("Has is wrong on %v", strs(s))
	}
	s.Add("tasks.create", "posts.edit")
	equalSet(t, "after Add", s, []string{"files.download", "workCenter.view", "tasks.create", "posts.edit"})

	u := NewSet("folders.delete")
	u.Union(NewSet("folders.create", "folders.delete"))
	equalSet(t, "Union", u, []string{"folders.create", "folders.delete"})

	if got := permStrings(s.Sorted()); !slices.Equal(got, []string{"files.download", "posts.edit", "tasks.create", "workCenter.view"}) {
		t.Errorf("Sorted = %v", got)
	}
	if got := s.String(); got != "files.download, posts.edit, tasks.create, workCenter.view" {
		t.Errorf("String = %q", got)
	}
	if got := (Set{}).String(); got != "" {
		t.Errorf("empty String = %q", got)
	}
	equalSet(t, "Intersect", s.Intersect(NewSet("tasks.create", "folders.create", "workCenter.view")),
		[]string{"tasks.create", "workCenter.view"})
	equalSet(t, "Intersect with empty", s.Intersect(Set{}), nil)
	equalSet(t, "ArchivedPermissions", ArchivedPermissions(), []string{"workCenter.view", "files.download"})
}

func TestSetMemberOnly(t *testing.T) {
	cases := map[string]struct {
		set  []string
		want []string
	}{
		"empty":                   {nil, nil},
		"view and download":       {[]string{"workCenter.view", "files.download"}, nil},
		"one member-only":         {[]string{"workCenter.view", "tasks.create"}, []string{"tasks.create"}},
		"sorted, only those":      {[]string{"folders.delete", "files.upload", "collaborators.remove", "files.copy"}, []string{"collaborators.remove", "files.copy", "folders.delete"}},
		"every permission":        {specAll(), specMemberOnly()},
		"unknown is not":          {[]string{"budget.approve"}, nil},
		"editSettings is":         {[]string{"workCenter.editSettings"}, []string{"workCenter.editSettings"}},
		"task comments are not":   {[]string{"taskComments.create", "taskComments.delete", "tasks.delete"}, nil},
		"every non member-only":   {minus(specAll(), specMemberOnly()), nil},
		"every member-only alone": {specMemberOnly(), specMemberOnly()},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := Set{}
			for _, p := range tc.set {
				s.Add(Permission(p))
			}
			got := permStrings(s.MemberOnly())
			want := sorted(tc.want...)
			if !slices.Equal(sorted(got...), want) || !slices.IsSorted(got) {
				t.Errorf("MemberOnly() = %v, want %v", got, want)
			}
			if s.IsMemberOnly() != (len(tc.want) > 0) {
				t.Errorf("IsMemberOnly() = %v, want %v", s.IsMemberOnly(), len(tc.want) > 0)
			}
		})
	}
}
