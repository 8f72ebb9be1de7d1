package procorem

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

// States are the states an assignment can be in (assignments[].state).
var States = []string{string(v1alpha1.AssignmentActive), string(v1alpha1.AssignmentArchived), string(v1alpha1.AssignmentRejected), string(v1alpha1.AssignmentPending)}

// AssignmentReasons are the reasons an assignment can have (docs/decisions.md,
// Assignments; an Active one has none): what assignments[].reason may say.
var AssignmentReasons = []string{
	v1alpha1.ReasonAccountNotFound, v1alpha1.ReasonAccountDeactivated, v1alpha1.ReasonDuplicateEmail,
	v1alpha1.ReasonWorkCenterNotFound, v1alpha1.ReasonRoleNotFound, v1alpha1.ReasonRoleTerminating,
	v1alpha1.ReasonInclusionCycle, v1alpha1.ReasonRoleRequiresMember, v1alpha1.ReasonLicenseLimitExceeded,
	v1alpha1.ReasonWorkCenterArchived,
}

// testFile is an access test file as read: its content, and where each part of it is.
type testFile struct {
	*TestFile
	path string
	data []byte
	doc  *manifests.Document
	// unknown are the paths of the mappings that have a field the format does not:
	// what they assert is not judged further (the field is the problem).
	unknown map[string]bool
}

// pos is where the part of the file at path (tests[0].check[1].allow[2]) is.
func (f *testFile) pos(path string) manifests.Position {
	return f.doc.Find(f.doc.Root(), path)
}

// place is a message about the part of the file at path (at its key, for a field),
// with its line.
func (f *testFile) place(path, format string, args ...any) manifests.Place {
	at := f.pos(path)
	return manifests.Place{At: at, Message: fmt.Sprintf(format, args...), Text: f.doc.Text(at.Line)}
}

// valuePlace is place, at the field's value: a word that is wrong.
func (f *testFile) valuePlace(path, format string, args ...any) manifests.Place {
	at := f.doc.FindValue(f.doc.Root(), path)
	return manifests.Place{At: at, Message: fmt.Sprintf(format, args...), Text: f.doc.Text(at.Line)}
}

// has reports whether the mapping at path has key (given, even empty or null).
func (f *testFile) has(path, key string) bool {
	n, _ := manifests.Lookup(f.doc.Root(), path)
	if n == nil || n.Kind != yamlv3.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// ReadTestFile reads an access test file strictly: a field it does not know (matched
// case-sensitively), a key given twice, a wrong type, a test or an assertion that checks
// nothing, a permission, capability, state or reason that does not exist are errors, all
// of them at once, each at its file:line:col with the nearest valid word
// (*manifests.LocatedError). Collaborators and WorkCenters are checked when the tests run,
// against the manifests.
func ReadTestFile(path string) (*TestFile, error) {
	f, err := readTestFile(path)
	if err != nil {
		return nil, err
	}
	return f.TestFile, nil
}

func readTestFile(path string) (*testFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", path, oneLine(err.Error()))
	}
	f := &testFile{TestFile: &TestFile{}, path: path, data: data, doc: manifests.NewDocument(path, 1, 1, data), unknown: map[string]bool{}}
	var root yamlv3.Node
	if err := yamlv3.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%s: not an access test file: not YAML: %s", path, oneLine(err.Error()))
	}
	top := f.doc.Root()
	if top == nil || top.Kind != yamlv3.MappingNode || !f.has("", "tests") && !f.has("", "manifests") {
		return nil, fmt.Errorf("%s: not an access test file: it has neither manifests nor tests (docs/access-tests.md)", path)
	}
	var ps []manifests.Place
	shape(f, top, reflect.TypeFor[TestFile](), "", &ps)
	// What the shape allows to read is checked too, so that one run shows every problem.
	if err := yaml.Unmarshal(data, f.TestFile); err != nil {
		if len(ps) == 0 {
			return nil, fmt.Errorf("%s: not an access test file: %s", path, oneLine(err.Error()))
		}
	} else {
		ps = append(ps, f.check()...)
	}
	slices.SortStableFunc(ps, func(a, b manifests.Place) int {
		if a.At.Line != b.At.Line {
			return a.At.Line - b.At.Line
		}
		return a.At.Column - b.At.Column
	})
	if len(ps) > 0 {
		msg := ""
		if len(ps) > 1 {
			msg = fmt.Sprintf("%s: %s in the access test file; no test ran", path, plural(len(ps), "problem"))
		}
		return nil, &manifests.LocatedError{Msg: msg, Places: ps}
	}
	return f, nil
}

// nouns name the parts of a test file in messages.
var nouns = map[reflect.Type]string{
	reflect.TypeFor[TestFile]():                 "the test file",
	reflect.TypeFor[AccessTest]():               "a test",
	reflect.TypeFor[CheckAssertion]():           "a check",
	reflect.TypeFor[CapabilityAssertion]():      "a capabilities assertion",
	reflect.TypeFor[WhoCanAssertion]():          "a whoCan assertion",
	reflect.TypeFor[AssignmentCheck]():          "an assignments assertion",
	reflect.TypeFor[ListWorkCentersAssertion](): "a listWorkCenters assertion",
	reflect.TypeFor[PermissionsAssertion]():     "a permissions assertion",
	reflect.TypeFor[Object]():                   "an object",
}

// shape checks that node is what a value of type t is written as: a mapping of t's
// fields (by their JSON names, case-sensitively, each once), a list, a string.
func shape(f *testFile, node *yamlv3.Node, t reflect.Type, path string, ps *[]manifests.Place) {
	if node.Kind == yamlv3.ScalarNode && node.Tag == "!!null" {
		return
	}
	join := func(key string) string {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	switch {
	case t == reflect.TypeFor[Names]():
		if node.Kind == yamlv3.SequenceNode {
			shape(f, node, reflect.TypeFor[[]string](), path, ps)
			return
		}
		shape(f, node, reflect.TypeFor[string](), path, ps)
		return
	case t.Kind() == reflect.Map:
		// An object: what is in it is the manifests reader's to judge.
		if node.Kind != yamlv3.MappingNode {
			*ps = append(*ps, f.place(path, "%s: expected %s (a mapping of its fields), got %s", path, nouns[t], describe(node)))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yamlv3.MappingNode {
			*ps = append(*ps, f.place(path, "%s: expected %s (a mapping of its fields), got %s", path, nouns[t], describe(node)))
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		for i := range t.NumField() {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			fields[name] = t.Field(i).Type
			names = append(names, name)
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(node.Content); i += 2 {
			k, v := node.Content[i], node.Content[i+1]
			at := f.doc.At(k)
			if line, ok := seen[k.Value]; ok {
				*ps = append(*ps, manifests.Place{At: at, Text: f.doc.Text(at.Line),
					Message: fmt.Sprintf("%s is given twice in %s (the first at line %d)", k.Value, nouns[t], line)})
				continue
			}
			seen[k.Value] = at.Line
			ft, ok := fields[k.Value]
			if !ok {
				f.unknown[path] = true
				msg := fmt.Sprintf("unknown field %q in %s", k.Value, nouns[t])
				if near := model.Closest(k.Value, names); len(near) > 0 {
					msg += "; nearest: " + strings.Join(near, ", ")
				} else {
					msg += " (its fields: " + strings.Join(names, ", ") + ")"
				}
				*ps = append(*ps, manifests.Place{At: at, Text: f.doc.Text(at.Line), Message: msg})
				continue
			}
			shape(f, v, ft, join(k.Value), ps)
		}
	case reflect.Slice:
		if node.Kind != yamlv3.SequenceNode {
			*ps = append(*ps, f.place(path, "%s: expected a list, got %s", path, describe(node)))
			return
		}
		for i, item := range node.Content {
			shape(f, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), ps)
		}
	case reflect.String:
		if node.Kind != yamlv3.ScalarNode || node.Tag != "!!str" {
			*ps = append(*ps, f.place(path, "%s: expected a string, got %s", path, describe(node)))
		}
	}
}

// describe names what node is written as.
func describe(node *yamlv3.Node) string {
	switch node.Kind {
	case yamlv3.MappingNode:
		return "a mapping"
	case yamlv3.SequenceNode:
		return "a list"
	case yamlv3.ScalarNode:
		switch node.Tag {
		case "!!str":
			return fmt.Sprintf("the string %q", node.Value)
		case "!!int", "!!float":
			return fmt.Sprintf("the number %s (quote it to make it a string)", node.Value)
		case "!!bool":
			return fmt.Sprintf("the boolean %s (quote it to make it a string)", node.Value)
		}
		return node.Value
	case yamlv3.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// check finds what the test file asks that cannot be answered, or would be answered
// having checked nothing: every problem, in file order.
func (f *testFile) check() []manifests.Place {
	var ps []manifests.Place
	add := func(path, format string, args ...any) { ps = append(ps, f.place(path, format, args...)) }
	word := func(path, format string, args ...any) { ps = append(ps, f.valuePlace(path, format, args...)) }
	if len(f.Manifests) == 0 {
		add("manifests", "manifests: at least one file, directory or kustomization is required")
	}
	if len(f.Tests) == 0 && f.Expected == "" && !f.has("", "tests") {
		add("", "tests: at least one test (or an expected access file) is required: a file without tests checks nothing")
	}
	if len(f.Tests) == 0 && f.Expected == "" && f.has("", "tests") {
		add("tests", "tests: at least one test (or an expected access file) is required: a file without tests checks nothing")
	}
	if f.has("", "expected") && f.Expected == "" {
		add("expected", "expected: the path of the expected access file is required (kubectl procorem test --update writes it)")
	}
	for i, t := range f.Tests {
		tp := fmt.Sprintf("tests[%d]", i)
		test := fmt.Sprintf("test %q", t.Name)
		if t.Name == "" {
			add(tp, "tests[%d]: name is required", i)
			test = tp
		}
		if len(t.Check)+len(t.Capabilities)+len(t.WhoCan)+len(t.Assignments)+len(t.ListWorkCenters)+len(t.Permissions) == 0 && !f.unknown[tp] {
			add(tp, "%s asserts nothing: give check, capabilities, whoCan, assignments, listWorkCenters or permissions", test)
		}
		if f.has(tp, "objects") && len(t.Objects) == 0 {
			add(tp+".objects", "%s: objects: an empty list changes nothing: give the objects the test adds or changes, or leave objects out", test)
		}
		for j, c := range t.Check {
			p := fmt.Sprintf("%s.check[%d]", tp, j)
			required(f, &ps, p, test+": check", "who", "workCenter")
			if len(c.Allow)+len(c.Deny) == 0 && !f.unknown[p] {
				add(p, "%s: a check with neither allow nor deny asserts nothing: give the permissions who must have (allow) or must not (deny)", test)
			}
			for _, list := range []struct {
				key   string
				names []string
			}{{"allow", c.Allow}, {"deny", c.Deny}} {
				for k, name := range list.names {
					if _, err := checkPermission(name); err != nil {
						word(fmt.Sprintf("%s.%s[%d]", p, list.key, k), "%s: %s", test, err)
					}
				}
			}
		}
		for j, c := range t.Capabilities {
			p := fmt.Sprintf("%s.capabilities[%d]", tp, j)
			required(f, &ps, p, test+": capabilities", "who")
			optional(f, &ps, p, test+": capabilities", "workCenter")
			if len(c.Allow)+len(c.Deny) == 0 && !f.unknown[p] {
				add(p, "%s: a capabilities assertion with neither allow nor deny asserts nothing: give the capabilities who must have (allow) or must not (deny)", test)
			}
			for _, list := range []struct {
				key   string
				names []string
			}{{"allow", c.Allow}, {"deny", c.Deny}} {
				for k, name := range list.names {
					if _, err := query.Capability(name); err != nil {
						word(fmt.Sprintf("%s.%s[%d]", p, list.key, k), "%s: %s", test, err)
					}
				}
			}
		}
		for j, w := range t.WhoCan {
			p := fmt.Sprintf("%s.whoCan[%d]", tp, j)
			optional(f, &ps, p, test+": whoCan", "workCenter")
			switch {
			case (w.Permission == "") == (w.Capability == ""):
				add(p, "%s: whoCan[%d]: give either permission or capability", test, j)
			case w.Permission != "":
				if _, err := checkPermission(w.Permission); err != nil {
					word(p+".permission", "%s: %s", test, err)
				}
				if len(w.WorkCenter) == 0 {
					add(p, "%s: whoCan %s: workCenter is required for a WorkCenter permission", test, w.Permission)
				}
			default:
				if _, err := query.Capability(w.Capability); err != nil {
					word(p+".capability", "%s: %s", test, err)
				}
			}
			if (!f.has(p, "expect") || w.Expect == nil) && !f.unknown[p] {
				add(p, "%s: a whoCan without expect asserts nothing: give exactly who can ([] for nobody)", test)
			}
		}
		for j, a := range t.Assignments {
			p := fmt.Sprintf("%s.assignments[%d]", tp, j)
			required(f, &ps, p, test+": assignments", "who", "workCenter")
			if a.State == "" && !f.unknown[p] {
				add(p, "%s: assignments: state is required", test)
			}
			if a.State != "" && !slices.Contains(States, a.State) {
				word(p+".state", "%s: unknown state %q; %s", test, a.State, nearest(a.State, States, "the states are "+strings.Join(States, ", ")))
			}
			if a.Reason != "" && !slices.Contains(AssignmentReasons, a.Reason) {
				word(p+".reason", "%s: unknown reason %q; %s", test, a.Reason,
					nearest(a.Reason, AssignmentReasons, "an assignment's reasons are "+strings.Join(AssignmentReasons, ", ")))
			}
		}
		for j, l := range t.ListWorkCenters {
			p := fmt.Sprintf("%s.listWorkCenters[%d]", tp, j)
			required(f, &ps, p, test+": listWorkCenters", "who")
			switch {
			case (l.Permission == "") == (l.Capability == ""):
				add(p, "%s: listWorkCenters[%d]: give either permission or capability", test, j)
			case l.Permission != "":
				if _, err := checkPermission(l.Permission); err != nil {
					word(p+".permission", "%s: %s", test, err)
				}
			default:
				if info, err := query.Capability(l.Capability); err != nil {
					word(p+".capability", "%s: %s", test, err)
				} else if info.Scope != model.ScopeWorkCenter {
					word(p+".capability", "%s: %s is of scope %s: it is held in the account, not in WorkCenters; assert it under capabilities", test, l.Capability, info.Scope)
				}
			}
			if (!f.has(p, "expect") || l.Expect == nil) && !f.unknown[p] {
				add(p, "%s: a listWorkCenters without expect asserts nothing: give exactly the WorkCenters ([] for none)", test)
			}
		}
		for j, a := range t.Permissions {
			p := fmt.Sprintf("%s.permissions[%d]", tp, j)
			required(f, &ps, p, test+": permissions", "who", "workCenter")
			if (!f.has(p, "expect") || a.Expect == nil) && !f.unknown[p] {
				add(p, "%s: a permissions assertion without expect asserts nothing: give exactly the permissions who has there ([] for none)", test)
			}
			for k, name := range a.Expect {
				if _, err := checkPermission(name); err != nil {
					word(fmt.Sprintf("%s.expect[%d]", p, k), "%s: %s", test, err)
				}
			}
			if f.has(p, "expectCapabilities") && a.ExpectCapabilities == nil {
				add(p+".expectCapabilities", "%s: expectCapabilities: give exactly the capabilities who holds there ([] for none), or leave it out", test)
			}
			for k, name := range a.ExpectCapabilities {
				if _, err := query.Capability(name); err != nil {
					word(fmt.Sprintf("%s.expectCapabilities[%d]", p, k), "%s: %s", test, err)
				}
			}
		}
	}
	return ps
}

// required adds a problem for each of keys of the assertion at path that names nobody:
// missing, empty, or an empty list.
func required(f *testFile, ps *[]manifests.Place, path, what string, keys ...string) {
	if f.unknown[path] {
		return // the unknown field is the problem (a misspelt one of these, likely)
	}
	for _, key := range keys {
		if n, _ := manifests.Lookup(f.doc.Root(), path+"."+key); !f.has(path, key) || n == nil || n.Tag == "!!null" || n.Value == "" && n.Kind == yamlv3.ScalarNode {
			*ps = append(*ps, f.place(path, "%s: %s is required", what, key))
		} else {
			optional(f, ps, path, what, key)
		}
	}
}

// optional adds a problem when key of the assertion at path is an empty list: it would
// assert nothing for nobody.
func optional(f *testFile, ps *[]manifests.Place, path, what, key string) {
	if n, _ := manifests.Lookup(f.doc.Root(), path+"."+key); f.has(path, key) && n != nil && n.Kind == yamlv3.SequenceNode && len(n.Content) == 0 {
		*ps = append(*ps, f.valuePlace(path+"."+key, "%s: %s: an empty list names nothing, so the assertion would check nothing", what, key))
	}
}

// nearest is "nearest: X" for the valid words near enough to word, else otherwise.
func nearest(word string, words []string, otherwise string) string {
	if near := model.Closest(word, words); len(near) > 0 {
		return "nearest: " + strings.Join(near, ", ")
	}
	return otherwise
}
