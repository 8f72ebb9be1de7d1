package model

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// specCapability is one row of the capability table of docs/administration.md, written
// out here from the seeds independently of capabilities.go.
type specCapability struct {
	scope      Scope
	holders    []string
	permission string
}

var (
	specEveryone   = []string{"Guest", "Member", "WorkCenterAdministrator", "UserAdministrator", "AccountAdministrator"}
	specAllMembers = []string{"Member", "WorkCenterAdministrator", "UserAdministrator", "AccountAdministrator"}
	specWCAdmins   = []string{"WorkCenterAdministrator", "AccountAdministrator"}
	specUserAdmins = []string{"UserAdministrator", "AccountAdministrator"}
	specAllAdmins  = []string{"WorkCenterAdministrator", "UserAdministrator", "AccountAdministrator"}
	specAAOnly     = []string{"AccountAdministrator"}
)

var specCapabilities = map[string]specCapability{
	"workCenters.create":       {ScopeAccount, specAllMembers, ""},
	"templates.create":         {ScopeAccount, specAllMembers, ""},
	"workCenters.view":         {ScopeWorkCenter, specWCAdmins, "workCenter.view"},
	"workCenters.edit":         {ScopeWorkCenter, specWCAdmins, "workCenter.editSettings"},
	"workCenters.archive":      {ScopeWorkCenter, specWCAdmins, ""},
	"workCenters.unarchive":    {ScopeWorkCenter, specWCAdmins, ""},
	"workCenters.delete":       {ScopeWorkCenter, specAAOnly, ""},
	"templates.designate":      {ScopeWorkCenter, specAAOnly, ""},
	"collaborators.add":        {ScopeWorkCenter, specAllAdmins, "collaborators.addGuests"},
	"collaborators.remove":     {ScopeWorkCenter, specWCAdmins, "collaborators.remove"},
	"collaborators.changeRole": {ScopeWorkCenter, specAllAdmins, "collaborators.changeRole"},
	"users.add":                {ScopeAccount, specAAOnly, ""},
	"users.update":             {ScopeAccount, specUserAdmins, ""},
	"users.remove":             {ScopeAccount, specUserAdmins, ""},
	"users.upgrade":            {ScopeAccount, specUserAdmins, ""},
	"users.downgrade":          {ScopeAccount, specUserAdmins, ""},
	"administrators.manage":    {ScopeAccount, specAAOnly, ""},
	"account.leave":            {ScopeAccount, specEveryone, ""},
	"account.edit":             {ScopeAccount, specAAOnly, ""},
	"account.deactivate":       {ScopeAccount, specAAOnly, ""},
	"account.viewDeactivated":  {ScopeAccount, specAAOnly, ""},
	"account.reactivate":       {ScopeAccount, specAAOnly, ""},
	"licenses.manage":          {ScopeAccount, specAAOnly, ""},
	"categories.create":        {ScopeAccount, specAAOnly, ""},
	"categories.delete":        {ScopeAccount, specAAOnly, ""},
	"fileTypes.create":         {ScopeAccount, specAAOnly, ""},
	"fileTypes.delete":         {ScopeAccount, specAAOnly, ""},
	"fileStatuses.create":      {ScopeAccount, specAAOnly, ""},
	"fileStatuses.delete":      {ScopeAccount, specAAOnly, ""},
	"roles.create":             {ScopeAccount, specAAOnly, ""},
	"roles.update":             {ScopeAccount, specAAOnly, ""},
	"roles.delete":             {ScopeAccount, specAAOnly, ""},
}

func holderStrings(ts []MemberType) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = string(t)
	}
	return out
}

func TestCapabilitiesAreTheSpecTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Capabilities() {
		id := string(c.Capability)
		seen[id] = true
		want, ok := specCapabilities[id]
		if !ok {
			t.Errorf("Capabilities() has %q, which docs/administration.md does not list", id)
			continue
		}
		if c.Scope != want.scope {
			t.Errorf("scope of %q = %q, want %q", id, c.Scope, want.scope)
		}
		if got := holderStrings(c.Holders); !slices.Equal(got, want.holders) {
			t.Errorf("holders of %q = %v, want %v", id, got, want.holders)
		}
		if string(c.Permission) != want.permission {
			t.Errorf("WorkCenter permission of %q = %q, want %q", id, c.Permission, want.permission)
		}
		info, ok := LookupCapability(id)
		if !ok || info.Capability != c.Capability {
			t.Errorf("LookupCapability(%q) = %v, %v", id, info.Capability, ok)
		}
	}
	for id := range specCapabilities {
		if !seen[id] {
			t.Errorf("Capabilities() lacks %q", id)
		}
	}
	if _, ok := LookupCapability("workCenter.editSettings"); ok {
		t.Errorf("LookupCapability found a WorkCenter permission that is no capability")
	}
}

// The shape of the catalog: public IDs in the permissions' style, each capability with
// its seed lines, holders in order, WorkCenter permissions only where a WorkCenter is
// meant; Account Administrators hold everything and Guests nothing but leaving.
func TestCapabilityCatalogShape(t *testing.T) {
	idStyle := regexp.MustCompile(`^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$`)
	ids := map[Capability]bool{}
	for _, c := range Capabilities() {
		if !idStyle.MatchString(string(c.Capability)) {
			t.Errorf("capability %q is not <area>.<verb> in camelCase", c.Capability)
		}
		if ids[c.Capability] {
			t.Errorf("capability %q listed twice", c.Capability)
		}
		ids[c.Capability] = true
		if c.What == "" {
			t.Errorf("capability %q does not say what it is", c.Capability)
		}
		if len(c.Sources) == 0 {
			t.Errorf("capability %q has no seed line", c.Capability)
		}
		for _, s := range c.Sources {
			if s.Seed == "" || s.Line <= 0 || s.Text == "" || strings.ContainsRune(s.Text, '\u00a0') {
				t.Errorf("capability %q: source %+v is not a seed line", c.Capability, s)
			}
		}
		if !slices.IsSortedFunc(c.Holders, func(a, b MemberType) int {
			return slices.Index(MemberTypes, a) - slices.Index(MemberTypes, b)
		}) {
			t.Errorf("holders of %q are not in MemberTypes order: %v", c.Capability, c.Holders)
		}
		if !c.Holds(MemberTypeAccountAdministrator) {
			t.Errorf("Account Administrators do not hold %q; seed 001: they can do everything", c.Capability)
		}
		if c.Holds(MemberTypeGuest) != (c.Capability == AccountLeave) {
			t.Errorf("Guests hold %q: %v; a Guest holds nothing at account level but leaving", c.Capability, c.Holds(MemberTypeGuest))
		}
		if c.Permission != "" {
			if c.Scope != ScopeWorkCenter {
				t.Errorf("capability %q of scope %s names WorkCenter permission %q", c.Capability, c.Scope, c.Permission)
			}
			if _, ok := Lookup(c.Permission); !ok {
				t.Errorf("capability %q names %q, which is no WorkCenter permission", c.Capability, c.Permission)
			}
		}
	}
	for _, o := range OmittedLines() {
		if o.Source.Seed != "001" || o.Source.Line <= 0 || o.Source.Text == "" || o.Why == "" {
			t.Errorf("omitted line %+v lacks its source or its reason", o)
		}
	}
}

func TestFindCapability(t *testing.T) {
	cases := map[string]struct {
		name    string
		found   string
		nearest string
	}{
		"capability":                             {name: "workCenters.delete", found: "workCenters.delete"},
		"the issue's users.upgrade":              {name: "users.upgrade", found: "users.upgrade"},
		"singular area":                          {name: "workCenter.delete", nearest: "workCenters.delete"},
		"typo":                                   {name: "users.upgrde", nearest: "users.upgrade"},
		"a WorkCenter permission misspelt":       {name: "files.uplod", nearest: "files.upload"},
		"a WorkCenter permission, no capability": {name: "workCenter.editSettings", nearest: "workCenter.editSettings"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			info, err := FindCapability(tc.name)
			if tc.found != "" {
				if err != nil || string(info.Capability) != tc.found {
					t.Fatalf("FindCapability(%q) = %q, %v; want %q", tc.name, info.Capability, err, tc.found)
				}
				return
			}
			var unknown *UnknownCapabilityError
			if !errors.As(err, &unknown) {
				t.Fatalf("FindCapability(%q) error = %v, want an *UnknownCapabilityError", tc.name, err)
			}
			if len(unknown.Nearest) == 0 || unknown.Nearest[0] != tc.nearest {
				t.Errorf("nearest to %q = %v, want %q first", tc.name, unknown.Nearest, tc.nearest)
			}
			mustContain(t, "error", err.Error(), tc.name, tc.nearest)
		})
	}
}

func TestMemberTypeOf(t *testing.T) {
	cases := map[string]struct {
		c    *v1alpha1.Collaborator
		want MemberType
	}{
		"guest":                       {newCollab("g", guest()), MemberTypeGuest},
		"guest with an adminRole, R1": {newCollab("g", guest(), admin(v1alpha1.AdminRoleAccountAdministrator)), MemberTypeGuest},
		"member":                      {newCollab("m", member()), MemberTypeMember},
		"member, adminRole empty":     {newCollab("m", member(), admin("")), MemberTypeMember},
		"WorkCenterAdministrator":     {newCollab("w", member(), admin(v1alpha1.AdminRoleWorkCenterAdministrator)), MemberTypeWorkCenterAdministrator},
		"UserAdministrator":           {newCollab("u", member(), admin(v1alpha1.AdminRoleUserAdministrator)), MemberTypeUserAdministrator},
		"AccountAdministrator":        {newCollab("a", member(), admin(v1alpha1.AdminRoleAccountAdministrator)), MemberTypeAccountAdministrator},
	}
	for name, tc := range cases {
		if got := MemberTypeOf(tc.c); got != tc.want {
			t.Errorf("%s: MemberTypeOf = %q, want %q", name, got, tc.want)
		}
	}
}

// docsRow is one row of a markdown table: its cells, trimmed.
type docsRow []string

// docsTable returns the rows of the first table after heading in the markdown file,
// without its header and separator.
func docsTable(t *testing.T, path, heading string) []docsRow {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(src), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no heading %q", path, heading)
	}
	var rows []docsRow
	inTable := false
	for _, line := range strings.Split(after, "\n") {
		if !strings.HasPrefix(line, "|") {
			if inTable {
				break
			}
			continue
		}
		inTable = true
		cells := strings.Split(strings.Trim(line, "|"), " | ")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows = append(rows, cells)
	}
	if len(rows) < 2 {
		t.Fatalf("%s: no table after %q", path, heading)
	}
	return rows[2:]
}

func unquote(cell string) string { return strings.Trim(cell, "`") }

// The capability table of docs/administration.md and the catalog say the same, row by
// row and in the same order: ID, scope, member types, WorkCenter permission, every seed
// line quoted, the note.
func TestCapabilitiesMatchDocs(t *testing.T) {
	rows := docsTable(t, filepath.Join("..", "..", "docs", "administration.md"), "## Capabilities")
	caps := Capabilities()
	if len(rows) != len(caps) {
		t.Errorf("docs/administration.md lists %d capabilities, the catalog %d", len(rows), len(caps))
	}
	for i := range min(len(rows), len(caps)) {
		row, c := rows[i], caps[i]
		if len(row) != 7 {
			t.Errorf("row %d has %d cells, want 7: %v", i, len(row), row)
			continue
		}
		id := unquote(row[0])
		if id != string(c.Capability) {
			t.Errorf("row %d is %q, the catalog's capability %d is %q", i, id, i, c.Capability)
			continue
		}
		if row[2] != string(c.Scope) {
			t.Errorf("%s: docs scope %q, catalog %q", id, row[2], c.Scope)
		}
		var types []string
		for _, ty := range strings.Split(row[3], ", ") {
			types = append(types, unquote(ty))
		}
		if want := holderStrings(c.Holders); !slices.Equal(types, want) {
			t.Errorf("%s: docs member types %v, catalog %v", id, types, want)
		}
		perm := unquote(row[4])
		if perm == "—" {
			perm = ""
		}
		if perm != string(c.Permission) {
			t.Errorf("%s: docs WorkCenter permission %q, catalog %q", id, perm, c.Permission)
		}
		for _, s := range c.Sources {
			if quoted := fmt.Sprintf("%s:%d %q", s.Seed, s.Line, s.Text); !strings.Contains(row[5], quoted) {
				t.Errorf("%s: docs source does not quote %s", id, quoted)
			}
		}
		if got := strings.Count(row[5], `"`) / 2; got != len(c.Sources) {
			t.Errorf("%s: docs quote %d seed lines, the catalog %d", id, got, len(c.Sources))
		}
		if row[6] != c.Note {
			t.Errorf("%s: docs note\n %q\nthe catalog's\n %q", id, row[6], c.Note)
		}
	}
}

func TestOmittedLinesMatchDocs(t *testing.T) {
	rows := docsTable(t, filepath.Join("..", "..", "docs", "administration.md"), "### Seed lines without a capability")
	omitted := OmittedLines()
	if len(rows) != len(omitted) {
		t.Errorf("docs/administration.md lists %d seed lines without a capability, the catalog %d", len(rows), len(omitted))
	}
	for i := range min(len(rows), len(omitted)) {
		o := omitted[i]
		if quoted := fmt.Sprintf("%s:%d %q", o.Source.Seed, o.Source.Line, o.Source.Text); rows[i][0] != quoted {
			t.Errorf("row %d: docs %s, catalog %s", i, rows[i][0], quoted)
		}
		if rows[i][1] != o.Why {
			t.Errorf("row %d: docs reason %q, catalog %q", i, rows[i][1], o.Why)
		}
	}
}
