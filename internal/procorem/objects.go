package procorem

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// A test's objects are read exactly as manifests are (internal/manifests: strictly, the
// CRD's schema, CEL rules and defaults), each from its own place in the test file: the
// reader is given the test file's text with everything but the object blanked out, so
// that every line and column it reports is the test file's. It reads that text as stdin;
// "stdin" in what it reports is then the test file.
const objectSource = "stdin"

// withObjects is the account model of namespace ns when test i's objects are applied
// on top of the shared manifests (set): an object of the same kind, namespace and name
// as one of the manifests replaces it (in its place, so its seniority is kept), any other
// is added after them. The API server refusing any object (one of the test's, or one of
// the manifests the change makes it refuse) is bad input, each problem placed, unless
// ignoreInvalid.
func (f *testFile) withObjects(ctx context.Context, set *manifests.Set, ns string, i int, ignoreInvalid bool) (*model.Account, []manifests.Place, error) {
	t := f.Tests[i]
	var ps []manifests.Place
	merged := &manifests.Set{Objects: append([]manifests.Object(nil), set.Objects...), Namespaces: set.Namespaces}
	for k := range t.Objects {
		path := fmt.Sprintf("tests[%d].objects[%d]", i, k)
		item, _ := manifests.Lookup(f.doc.Root(), path)
		if item == nil {
			continue
		}
		read, err := manifests.Load(manifests.Options{Files: []string{"-"}, Namespace: ns, Stdin: bytes.NewReader(f.only(item))})
		if err != nil {
			msg := strings.TrimPrefix(oneLine(err.Error()), objectSource+" (document 1): ")
			ps = append(ps, f.place(path, "test %q: objects[%d]: %s", t.Name, k, msg))
			continue
		}
		for _, o := range read.Objects {
			o.Source = fmt.Sprintf("%s (test %q, objects[%d])", f.path, t.Name, k)
			replaced := false
			for j, old := range merged.Objects {
				if old.Kind() == o.Kind() && old.Raw.GetNamespace() == o.Raw.GetNamespace() && old.Raw.GetName() == o.Raw.GetName() {
					merged.Objects[j], replaced = o, true
					break
				}
			}
			if !replaced {
				merged.Objects = append(merged.Objects, o)
			}
		}
	}
	if len(ps) > 0 {
		return nil, ps, nil
	}
	report, models, err := admit(ctx, merged)
	if err != nil {
		return nil, nil, err
	}
	if refused := report.refused(); len(refused) > 0 && !ignoreInvalid {
		for _, p := range refused {
			if p.File == objectSource {
				p.File, p.text = f.path, f.doc.Text(p.Line)
			}
			msg := fmt.Sprintf("test %q: the API server would refuse %s/%s", t.Name, p.Kind, p.Name)
			if p.Field != "" {
				msg += ": " + p.Field
			}
			ps = append(ps, manifests.Place{At: manifests.Position{File: p.File, Line: p.Line, Column: p.Column}, Message: msg + ": " + p.Message, Text: p.text})
		}
		return nil, ps, nil
	}
	if m := models[ns]; m != nil {
		return m, nil, nil
	}
	return model.New(ns), nil, nil
}

// only is the test file's text with every character that is not part of the item
// blanked (lines kept, so that positions are the file's): a block mapping runs until the
// next node of the file after it, a flow mapping to its closing brace.
func (f *testFile) only(item *yamlv3.Node) []byte {
	lines := strings.SplitAfter(string(f.data), "\n")
	first, last := item.Line-1, len(lines)-1
	endCol := -1 // in runes, on line last; -1: the whole line
	if item.Style&yamlv3.FlowStyle != 0 {
		last, endCol = flowEnd(lines, first, item.Column-1)
	} else if next := nextLine(f.doc.Root(), item); next > 0 {
		last = next - 2
	}
	var b strings.Builder
	for n := range lines {
		line := lines[n]
		if n < first || n > last {
			b.WriteString(strings.Repeat("\n", strings.Count(line, "\n")))
			continue
		}
		r := []rune(strings.TrimRight(line, "\r\n"))
		for c := range r {
			if n == first && c < item.Column-1 || n == last && endCol >= 0 && c > endCol {
				r[c] = ' '
			}
		}
		b.WriteString(string(r))
		if strings.HasSuffix(line, "\n") {
			b.WriteString("\n")
		}
	}
	return []byte(b.String())
}

// nextLine is the line of the first node of the file after item that is not in it (0
// when there is none): where a block item's text ends.
func nextLine(root, item *yamlv3.Node) int {
	inside := map[*yamlv3.Node]bool{}
	var mark func(n *yamlv3.Node)
	mark = func(n *yamlv3.Node) {
		inside[n] = true
		for _, c := range n.Content {
			mark(c)
		}
	}
	mark(item)
	best := 0
	var walk func(n *yamlv3.Node)
	walk = func(n *yamlv3.Node) {
		if !inside[n] && n.Line > item.Line && (best == 0 || n.Line < best) {
			best = n.Line
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	return best
}

// flowEnd finds the closing bracket of the flow collection that opens at line, col
// (runes): its line and column, skipping quoted strings.
func flowEnd(lines []string, line, col int) (int, int) {
	depth := 0
	var quote rune
	for n := line; n < len(lines); n++ {
		r := []rune(lines[n])
		start := 0
		if n == line {
			start = col
		}
		for c := start; c < len(r); c++ {
			ch := r[c]
			switch {
			case quote == '"' && ch == '\\':
				c++
			case quote != 0:
				if ch == quote {
					quote = 0
				}
			case ch == '"' || ch == '\'':
				quote = ch
			case ch == '#' && (c == 0 || r[c-1] == ' ' || r[c-1] == '\t'):
				c = len(r)
			case ch == '{' || ch == '[':
				depth++
			case ch == '}' || ch == ']':
				depth--
				if depth == 0 {
					return n, c
				}
			}
		}
	}
	return len(lines) - 1, -1
}
