package authorizer

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/workcenter-io/workcenter-operator/internal/model"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite the mapping tables of docs/authorization.md from the model's catalogs")

const docsPath = "../../docs/authorization.md"

// MappingTables is docs/authorization.md's mapping, from the model's catalogs: every
// WorkCenter permission (docs/rules.md) and every account-level capability
// (docs/administration.md), with the resource and verb that ask it (model.ResourceVerb,
// the mapping Authorize reads back) and a kubectl auth can-i line.
func mappingTables() string {
	var b strings.Builder
	b.WriteString("| permission | resource | verb | name | member-only | kubectl auth can-i |\n|---|---|---|---|---|---|\n")
	for _, p := range model.Catalog() {
		r, v := model.ResourceVerb(string(p.Permission))
		member := ""
		if p.MemberOnly {
			member = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | the WorkCenter | %s | `kubectl auth can-i %s %s.%s/WORKCENTER -n NAMESPACE --as USER` |\n",
			p.Permission, r, v, member, v, r, model.AuthorizationGroup)
	}
	b.WriteString("\n| capability | resource | verb | name | scope | kubectl auth can-i |\n|---|---|---|---|---|---|\n")
	for _, c := range model.Capabilities() {
		v := strings.ToLower(string(c.Capability))
		name, arg := "none", model.AccountResource+"."+model.AuthorizationGroup
		if c.Scope == model.ScopeWorkCenter {
			name, arg = "a WorkCenter, or none (everywhere)", arg+"[/WORKCENTER]"
		}
		fmt.Fprintf(&b, "| `%s` | `%s` | `%s` | %s | %s | `kubectl auth can-i %s %s -n NAMESPACE --as USER` |\n",
			c.Capability, model.AccountResource, v, name, c.Scope, v, arg)
	}
	return b.String()
}

const (
	beginMapping = "<!-- mapping: generated from the model's catalogs by `go test ./internal/authorizer -run TestDocsMapping -update-docs` -->\n"
	endMapping   = "<!-- end of mapping -->\n"
)

// docs/authorization.md holds the mapping of every permission and capability, as the
// model's catalogs say it now.
func TestDocsMapping(t *testing.T) {
	data, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	i, j := strings.Index(doc, beginMapping), strings.Index(doc, endMapping)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the mapping's markers:\n%s...\n%s", docsPath, beginMapping, endMapping)
	}
	want := mappingTables()
	got := doc[i+len(beginMapping) : j]
	if got == want {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(docsPath, []byte(doc[:i+len(beginMapping)]+want+doc[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the mapping of %s differs from the model's catalogs; run go test ./internal/authorizer -run TestDocsMapping -update-docs. Want:\n%s", docsPath, want)
}

// Every row's resource and verb ask what the row names: Authorize reads them back.
func TestMappingRoundTrips(t *testing.T) {
	for _, p := range model.Catalog() {
		r, v := model.ResourceVerb(string(p.Permission))
		if got := model.Named(r, v); got != string(p.Permission) {
			t.Errorf("%s: %s/%s names %q", p.Permission, r, v, got)
		}
	}
	for _, c := range model.Capabilities() {
		if got := model.Named(model.AccountResource, strings.ToLower(string(c.Capability))); got != string(c.Capability) {
			t.Errorf("%s: account/%s names %q", c.Capability, strings.ToLower(string(c.Capability)), got)
		}
	}
}
