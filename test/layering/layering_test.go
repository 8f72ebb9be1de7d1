// Package layering checks the module's import graph, as `go list` reads it, against the
// layers the packages keep: the operator is composed by its commands (cmd/operator),
// never by a package under internal/; the harness every suite imports stays free of the
// operator; the rules layer is pure Go; the API types depend on nothing of the operator.
// A package's tests count as the package: a test that imports a forbidden package
// breaks the rule too.
package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/workcenter-io/workcenter-operator"

// own is the import path of the module's directory dir.
func own(dir string) string { return module + "/" + dir }

// A rule forbids the packages under From (with their tests), except those under
// Except, to depend, directly or not, on a package under Forbidden. The import graph
// is walked without the Allowed edges, each with why it is allowed; an allowed edge
// that no longer exists breaks the rule, so that the exception goes with it.
type rule struct {
	Name      string
	From      []string
	Except    []string
	Forbidden []string
	Allowed   map[edge]string
}

type edge struct{ From, To string }

const (
	controllerRuntime = "sigs.k8s.io/controller-runtime"
	clientGo          = "k8s.io/client-go"
)

var rules = []rule{{
	Name: "no package under internal/ depends on the controllers or the webhooks: the commands compose the operator (cmd/operator)",
	From: []string{own("internal")}, Except: []string{own("internal/webhook")},
	Forbidden: []string{own("controllers"), own("internal/webhook")},
}, {
	Name:      "internal/testenv, which every suite imports, depends on neither the controllers nor the webhooks",
	From:      []string{own("internal/testenv")},
	Forbidden: []string{own("controllers"), own("internal/webhook")},
}, {
	Name:      "the rules layer (internal/model) is pure Go: it depends on neither controller-runtime nor client-go",
	From:      []string{own("internal/model")},
	Forbidden: []string{controllerRuntime, clientGo},
	Allowed: map[edge]string{
		{own("api/v1alpha1"), controllerRuntime + "/pkg/scheme"}: "the API types' SchemeBuilder",
	},
}, {
	Name:      "the API types (api/) depend on nothing under internal/ nor on the controllers",
	From:      []string{own("api")},
	Forbidden: []string{own("internal"), own("controllers")},
}}

func TestLayering(t *testing.T) {
	g, err := loadGraph()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if v := g.violations(r); len(v) > 0 {
			t.Errorf("%s; broken by:\n\t%s", r.Name, strings.Join(v, "\n\t"))
		}
	}
}

// TestRulesCatchViolations runs the rules on a made-up graph that breaks each of them.
func TestRulesCatchViolations(t *testing.T) {
	g := newGraph(map[string][]string{
		own("controllers"):                {own("api/v1alpha1")},
		own("internal/webhook"):           {own("internal/model")},
		own("internal/procorem"):          {own("internal/webhook")},
		own("internal/localenv"):          {own("controllers")},
		own("internal/testenv"):           {own("internal/localenv")},
		own("internal/model"):             {own("api/v1alpha1")},
		own("internal/fixtures"):          {own("api/v1alpha1")},
		own("api/v1alpha1"):               {controllerRuntime + "/pkg/scheme", own("internal/fixtures")},
		controllerRuntime + "/pkg/scheme": nil,
		clientGo + "/rest":                nil,
	}, map[string][]string{
		own("internal/model"): {clientGo + "/rest"},
	})
	want := [][]string{
		{"internal/localenv → controllers", "internal/procorem → internal/webhook", "internal/testenv → internal/localenv → controllers"},
		{"internal/testenv → internal/localenv → controllers"},
		{"internal/model (tests) → k8s.io/client-go/rest"},
		{"api/v1alpha1 → internal/fixtures"},
	}
	for i, r := range rules {
		if got := g.violations(r); !slices.Equal(got, want[i]) {
			t.Errorf("rule %q:\n got %q\nwant %q", r.Name, got, want[i])
		}
	}

	g.imports[own("api/v1alpha1")] = []string{own("internal/fixtures")}
	got := g.violations(rules[2])
	if len(got) == 0 || !strings.Contains(got[0], "api/v1alpha1 → "+controllerRuntime+"/pkg/scheme is allowed") {
		t.Errorf("an allowed edge that no longer exists is not reported: %q", got)
	}
}

// graph is an import graph: every package's imports, and a module package's tests'.
type graph struct {
	imports map[string][]string
	tests   map[string][]string
	own     []string // the module's packages, sorted
}

func newGraph(imports, tests map[string][]string) *graph {
	g := &graph{imports: imports, tests: tests}
	for p := range imports {
		if under(p, module) {
			g.own = append(g.own, p)
		}
	}
	slices.Sort(g.own)
	return g
}

// loadGraph reads the module's packages, their tests and everything they depend on
// with `go list -deps -test`.
func loadGraph() (*graph, error) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-json=ImportPath,ForTest,Imports,TestImports,XTestImports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %v\n%s", err, stderr.Bytes())
	}
	imports, tests := map[string][]string{}, map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath, ForTest                string
			Imports, TestImports, XTestImports []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		// Skip the packages recompiled for a test ("p [q.test]") and the test mains
		// ("p.test"): a package's test imports are read from the package itself.
		if p.ForTest != "" || strings.Contains(p.ImportPath, " ") || strings.HasSuffix(p.ImportPath, ".test") {
			continue
		}
		imports[p.ImportPath] = p.Imports
		if under(p.ImportPath, module) {
			tests[p.ImportPath] = append(slices.Clip(p.TestImports), p.XTestImports...)
		}
	}
	return newGraph(imports, tests), nil
}

// violations are the import chains that break r, shortest first for each package, and
// the allowed edges that no longer exist.
func (g *graph) violations(r rule) []string {
	var out []string
	var allowed []string
	for e, why := range r.Allowed {
		if !slices.Contains(g.imports[e.From], e.To) && !slices.Contains(g.tests[e.From], e.To) {
			allowed = append(allowed, fmt.Sprintf("%s → %s is allowed (%s) but no longer imported: remove the exception", name(e.From), name(e.To), why))
		}
	}
	slices.Sort(allowed)
	out = append(out, allowed...)
	from := 0
	for _, p := range g.own {
		if !underAny(p, r.From) || underAny(p, r.Except) {
			continue
		}
		from++
		out = append(out, g.chains(p, r)...)
	}
	if from == 0 {
		out = append(out, fmt.Sprintf("no package is under %s: the rule is about nothing", names(r.From)))
	}
	return out
}

// chains walks the graph breadth first from p (its imports, then its tests') and
// returns the shortest chain from p to each forbidden package it reaches, not walking
// through forbidden packages nor allowed edges.
func (g *graph) chains(p string, r rule) []string {
	type step struct {
		prev string
		test bool // the chain starts with a test import of p
	}
	seen := map[string]step{p: {}}
	var queue, hits []string
	visit := func(from, to string, test bool) {
		if _, ok := r.Allowed[edge{from, to}]; ok {
			return
		}
		if _, ok := seen[to]; ok {
			return
		}
		seen[to] = step{from, test}
		if underAny(to, r.Forbidden) {
			hits = append(hits, to)
		} else {
			queue = append(queue, to)
		}
	}
	for _, q := range g.imports[p] {
		visit(p, q, false)
	}
	for _, q := range g.tests[p] {
		visit(p, q, true)
	}
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		for _, d := range g.imports[q] {
			visit(q, d, seen[q].test)
		}
	}
	var out []string
	for _, h := range hits {
		chain := []string{name(h)}
		for q := seen[h].prev; q != p; q = seen[q].prev {
			chain = append(chain, name(q))
		}
		first := name(p)
		if seen[h].test {
			first += " (tests)"
		}
		chain = append(chain, first)
		slices.Reverse(chain)
		out = append(out, strings.Join(chain, " → "))
	}
	return out
}

// under tells whether import path p is prefix or a package under it.
func under(p, prefix string) bool { return p == prefix || strings.HasPrefix(p, prefix+"/") }

func underAny(p string, prefixes []string) bool {
	return slices.ContainsFunc(prefixes, func(prefix string) bool { return under(p, prefix) })
}

// name is p as the messages show it: relative to the module for its own packages.
func name(p string) string { return strings.TrimPrefix(p, module+"/") }

func names(ps []string) string {
	var out []string
	for _, p := range ps {
		out = append(out, name(p))
	}
	return strings.Join(out, ", ")
}
