package procorem

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

// ExpectedAccess is an expected access file (docs/access-tests.md): every collaborator
// of the account and its access, as `kubectl procorem test --update` writes it from the
// manifests. A test file that names one (expected:) fails when the access the manifests
// give differs from it, with the differences.
type ExpectedAccess struct {
	Namespace     string                          `json:"namespace"`
	Collaborators map[string]ExpectedCollaborator `json:"collaborators"`
}

// ExpectedCollaborator is one collaborator's access: its permissions in each WorkCenter
// where it has any (in the catalog's order), and each capability it holds, and where
// (the account, every WorkCenter, or the WorkCenters).
type ExpectedCollaborator struct {
	WorkCenters  map[string][]string `json:"workCenters,omitempty"`
	Capabilities map[string]string   `json:"capabilities,omitempty"`
}

// maxDifferences bounds the differences a failure lists; the rest are counted.
const maxDifferences = 50

// expectedName is the name of the check of an expected access file, as results and
// --run name it.
func expectedName(path string) string { return "expected access (" + path + ")" }

// snapshot is the access of every collaborator the engine's account has.
func snapshot(e *query.Engine) ExpectedAccess {
	m := e.Model()
	out := ExpectedAccess{Namespace: m.Namespace, Collaborators: map[string]ExpectedCollaborator{}}
	for _, c := range m.Collaborators() {
		a := e.Access(c)
		var ec ExpectedCollaborator
		for _, wc := range a.WorkCenters {
			if len(wc.Permissions) == 0 {
				continue
			}
			if ec.WorkCenters == nil {
				ec.WorkCenters = map[string][]string{}
			}
			ec.WorkCenters[wc.WorkCenter] = wc.Permissions
		}
		for _, ca := range a.Capabilities {
			if ec.Capabilities == nil {
				ec.Capabilities = map[string]string{}
			}
			ec.Capabilities[ca.Capability] = capabilityWhere(ca)
		}
		out.Collaborators[c.Name] = ec
	}
	return out
}

// capabilityWhere is where a capability is held, as access prints it.
func capabilityWhere(c query.CapabilityAccess) string {
	if c.Everywhere {
		return strings.TrimPrefix(query.Where(c.Scope, ""), "in ")
	}
	return strings.Join(c.WorkCenters, ", ")
}

// render is the expected access file's text: names in natural order, permissions and
// capabilities in the catalogs' order, one line per WorkCenter and per capability, so
// that a change of access is a change of the lines it touches.
func (x ExpectedAccess) render(testFile string) []byte {
	str := func(v string) *yamlv3.Node { return &yamlv3.Node{Kind: yamlv3.ScalarNode, Value: v} }
	mapping := func() *yamlv3.Node { return &yamlv3.Node{Kind: yamlv3.MappingNode} }
	root := mapping()
	root.Content = append(root.Content, str("namespace"), str(x.Namespace), str("collaborators"))
	people := mapping()
	root.Content = append(root.Content, people)
	names := slices.Collect(maps.Keys(x.Collaborators))
	query.SortNames(names)
	for _, name := range names {
		c := x.Collaborators[name]
		n := mapping()
		if len(c.WorkCenters) > 0 {
			wcs := mapping()
			keys := slices.Collect(maps.Keys(c.WorkCenters))
			query.SortNames(keys)
			for _, wc := range keys {
				l := &yamlv3.Node{Kind: yamlv3.SequenceNode, Style: yamlv3.FlowStyle}
				for _, p := range inCatalogOrder(c.WorkCenters[wc]) {
					l.Content = append(l.Content, str(p))
				}
				wcs.Content = append(wcs.Content, str(wc), l)
			}
			n.Content = append(n.Content, str("workCenters"), wcs)
		}
		if len(c.Capabilities) > 0 {
			caps := mapping()
			for _, id := range capabilitiesInOrder(slices.Collect(maps.Keys(c.Capabilities))) {
				caps.Content = append(caps.Content, str(id), str(c.Capabilities[id]))
			}
			n.Content = append(n.Content, str("capabilities"), caps)
		}
		if len(n.Content) == 0 {
			n = &yamlv3.Node{Kind: yamlv3.MappingNode, Style: yamlv3.FlowStyle}
		}
		people.Content = append(people.Content, str(name), n)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# The access of every collaborator of the account in namespace %s, as the manifests of\n", x.Namespace)
	fmt.Fprintf(&b, "# %s give it. `kubectl procorem test --update %s` rewrites this file;\n", filepath.Base(testFile), filepath.Base(testFile))
	b.WriteString("# review its diff like code. Format: docs/access-tests.md.\n")
	enc := yamlv3.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(root)
	_ = enc.Close()
	return b.Bytes()
}

// diff lists how the access got differs from x, one line a change: "+" what got gives
// that x has not, "-" what x has that got does not give.
func (x ExpectedAccess) diff(got ExpectedAccess) []string {
	var out []string
	if x.Namespace != got.Namespace {
		out = append(out, fmt.Sprintf("namespace: %s, the manifests' is %s", x.Namespace, got.Namespace))
	}
	names := slices.Collect(maps.Keys(x.Collaborators))
	for n := range got.Collaborators {
		if _, ok := x.Collaborators[n]; !ok {
			names = append(names, n)
		}
	}
	query.SortNames(names)
	for _, name := range names {
		was, inX := x.Collaborators[name]
		is, inGot := got.Collaborators[name]
		switch {
		case !inX:
			out = append(out, fmt.Sprintf("+ %s: a collaborator the file does not have", name))
		case !inGot:
			out = append(out, fmt.Sprintf("- %s: a collaborator the manifests no longer have", name))
		}
		wcs := slices.Collect(maps.Keys(was.WorkCenters))
		for wc := range is.WorkCenters {
			if _, ok := was.WorkCenters[wc]; !ok {
				wcs = append(wcs, wc)
			}
		}
		query.SortNames(wcs)
		for _, wc := range wcs {
			var plus, minus []string
			for _, d := range setDiff(was.WorkCenters[wc], is.WorkCenters[wc]) {
				if d.extra {
					plus = append(plus, d.name)
				} else {
					minus = append(minus, d.name)
				}
			}
			if len(plus) > 0 {
				out = append(out, fmt.Sprintf("+ %s in %s: %s", name, wc, strings.Join(inCatalogOrder(plus), ", ")))
			}
			if len(minus) > 0 {
				out = append(out, fmt.Sprintf("- %s in %s: %s", name, wc, strings.Join(inCatalogOrder(minus), ", ")))
			}
		}
		caps := slices.Collect(maps.Keys(was.Capabilities))
		for c := range is.Capabilities {
			if _, ok := was.Capabilities[c]; !ok {
				caps = append(caps, c)
			}
		}
		for _, c := range capabilitiesInOrder(caps) {
			w, inW := was.Capabilities[c]
			g, inG := is.Capabilities[c]
			switch {
			case !inW:
				out = append(out, fmt.Sprintf("+ %s: capability %s in %s", name, c, g))
			case !inG:
				out = append(out, fmt.Sprintf("- %s: capability %s in %s", name, c, w))
			case w != g:
				out = append(out, fmt.Sprintf("~ %s: capability %s in %s, was in %s", name, c, g, w))
			}
		}
	}
	return out
}

// expectedAccess checks the access the manifests give (e) against the test file's
// expected access file, or, with update, rewrites that file.
func (f *testFile) expectedAccess(e *query.Engine, opts runOptions) (TestResult, error) {
	at := f.pos("expected")
	res := TestResult{File: f.path, Line: at.Line, Column: at.Column, Name: expectedName(f.Expected), Passed: true}
	path := f.Expected
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(f.path), path)
	}
	got := snapshot(e)
	text := got.render(f.path)
	data, err := os.ReadFile(path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return res, fmt.Errorf("%s: %s", path, oneLine(err.Error()))
	}
	if opts.update {
		if !bytes.Equal(data, text) {
			if err := os.WriteFile(path, text, 0o644); err != nil {
				return res, fmt.Errorf("%s: %s", path, oneLine(err.Error()))
			}
			what := "updated"
			if missing {
				what = "wrote"
			}
			fmt.Fprintf(opts.log, "%s %s\n", what, path)
		}
		return res, nil
	}
	if missing {
		return res, &manifests.LocatedError{Places: []manifests.Place{f.valuePlace("expected",
			"expected access file %s does not exist: write it with kubectl procorem test --update %s, and review it", path, f.path)}}
	}
	var want ExpectedAccess
	if err := yaml.UnmarshalStrict(data, &want); err != nil {
		return res, fmt.Errorf("%s: not an expected access file: %s; rewrite it with kubectl procorem test --update %s", path, oneLine(err.Error()), f.path)
	}
	if want.Collaborators == nil {
		want.Collaborators = map[string]ExpectedCollaborator{}
	}
	diff := want.diff(got)
	if len(diff) == 0 {
		return res, nil
	}
	res.Passed = false
	failure := Failure{Assertion: "expected access of namespace " + got.Namespace, Expected: "the access " + f.Expected + " holds",
		Got: fmt.Sprintf("%s (+ gained, - lost); if intended, accept them with kubectl procorem test --update %s", plural(len(diff), "difference"), f.path)}
	failure.File, failure.Line, failure.Column, failure.text = at.File, at.Line, at.Column, f.doc.Text(at.Line)
	if len(diff) > maxDifferences {
		failure.Explanation = append(diff[:maxDifferences:maxDifferences], fmt.Sprintf("... and %d more", len(diff)-maxDifferences))
	} else {
		failure.Explanation = diff
	}
	res.Failures = []Failure{failure}
	return res, nil
}
