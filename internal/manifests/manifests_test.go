package manifests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// TestDocumentsSplitAsKubectl: the documents are those kubectl's reader splits a file
// into, byte for byte, each starting on the line said.
func TestDocumentsSplitAsKubectl(t *testing.T) {
	inputs := []string{
		"", "a: 1\n", "---\na: 1\n---\nb: 2", "a: 1\n---\n---\nb: 2\n", "--- # c\na: 1\n--- \nb: |\n  x\n", "a: 1\r\n---\r\nb: 2\r\n",
		"\n\n# only a comment\n---\n", "a: 1\n...\n---\nb: 2\n",
	}
	samples, _ := filepath.Glob("../../config/samples/*.yaml")
	for _, s := range samples {
		data, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(data))
	}
	for _, in := range inputs {
		var want [][]byte
		r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(in)))
		for {
			chunk, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, chunk)
		}
		got, err := splitDocuments([]byte(in))
		if err != nil || len(got) != len(want) {
			t.Fatalf("%q: %d documents (%v); kubectl reads %d", in, len(got), err, len(want))
		}
		lines := strings.Split(in, "\n")
		for i := range got {
			if !bytes.Equal(got[i].data, want[i]) {
				t.Errorf("%q: document %d is %q; kubectl reads %q", in, i+1, got[i].data, want[i])
			}
			first, _, _ := strings.Cut(string(got[i].data), "\n")
			if strings.TrimSuffix(lines[got[i].line-1], "\r") != first {
				t.Errorf("%q: document %d starts on line %d (%q), not with %q", in, i+1, got[i].line, lines[got[i].line-1], first)
			}
		}
	}
	if _, err := splitDocuments([]byte("a: 1\n--- b: 2\n")); err == nil || !strings.Contains(err.Error(), "line 2: invalid document separator") {
		t.Errorf("a separator followed by content: %v", err)
	}
}

// TestPositions: a field path is found at its key, a list item at the item, in block and
// flow style, counted in the file; a path that goes further than the document stops at
// its deepest part.
func TestPositions(t *testing.T) {
	data := "# a comment\nkind: Collaborator\nspec:\n  email: a@b.c\n  workCenters:\n  - {name: x, role: r}\n  - name: y\n    role: s\n  labels: {app.kubernetes.io/name: n}\n"
	d := NewDocument("f.yaml", 2, 10, []byte(data))
	for path, want := range map[string]string{
		"":                                    "f.yaml:11:1",
		"<nil>":                               "f.yaml:11:1",
		"spec":                                "f.yaml:12:1",
		"spec.email":                          "f.yaml:13:3",
		"spec.workCenters[0]":                 "f.yaml:15:5",
		"spec.workCenters[0].role":            "f.yaml:15:15",
		"spec.workCenters[1].role":            "f.yaml:17:5",
		"spec.workCenters[1].team":            "f.yaml:16:5",
		"spec.workCenters[7]":                 "f.yaml:14:3",
		"spec.labels[app.kubernetes.io/name]": "f.yaml:18:12",
		"status.x":                            "f.yaml:11:1",
	} {
		if got := d.Find(d.Root(), path).String(); got != want {
			t.Errorf("%q is at %s; want %s", path, got, want)
		}
	}
	if got := d.FindValue(d.Root(), "spec.email").String(); got != "f.yaml:13:10" {
		t.Errorf("the value of spec.email is at %s", got)
	}
	if got := d.Text(13); got != "  email: a@b.c" {
		t.Errorf("line 13 is %q", got)
	}
	if got := Snippet(Position{File: "f.yaml", Line: 13, Column: 10}, d.Text(13)); got != "  13 |   email: a@b.c\n     |          ^~~~~\n" {
		t.Errorf("snippet:\n%s", got)
	}
}

// TestKeysGivenTwice: each key given twice in a mapping is found, at the second, with the
// first; run-together objects are one problem saying so.
func TestKeysGivenTwice(t *testing.T) {
	d := NewDocument("f.yaml", 1, 1, []byte("a: 1\nb: {c: 1, c: 2}\nl:\n- {x: 1, x: 1}\na: 2\n"))
	var got []string
	for _, dup := range d.Duplicates(d.Root(), "") {
		got = append(got, dup.Path+"@"+dup.At.String()+"<"+dup.First.String())
	}
	if want := "b.c@f.yaml:2:11<f.yaml:2:5 l[0].x@f.yaml:4:10<f.yaml:4:4 a@f.yaml:5:1<f.yaml:1:1"; strings.Join(got, " ") != want {
		t.Errorf("duplicates %v; want %s", got, want)
	}

	set, err := Load(Options{Files: []string{"-"}, Stdin: strings.NewReader(
		"apiVersion: access.workcenter.io/v1alpha1\nkind: Account\nmetadata: {name: a}\n" +
			"apiVersion: access.workcenter.io/v1alpha1\nkind: WorkCenter\nmetadata: {name: w}\nspec: {displayName: W, displayName: V}\n")})
	if err != nil || len(set.Objects) != 1 {
		t.Fatal(err)
	}
	o := set.Objects[0]
	if !o.Refused() || len(o.Problems) != 2 ||
		o.Problems[0].Message != "Forbidden: several objects in one document (apiVersion at lines 1, 4): the API server refuses the keys given twice; separate the objects with --- lines" ||
		o.Problems[0].At.String() != "stdin:4:1" ||
		o.Problems[1].Field != "spec.displayName" || o.Problems[1].At.String() != "stdin:7:24" {
		t.Errorf("problems %+v", o.Problems)
	}
}

// TestDecodeIsCaseSensitive: a field whose name differs from the API's only in case is
// not that field, as for the API server (encoding/json would take it).
func TestDecodeIsCaseSensitive(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "access.workcenter.io/v1alpha1", "kind": "Collaborator", "metadata": map[string]any{"name": "eve"},
		"spec": map[string]any{"email": "eve@x.example", "adminrole": "AccountAdministrator"},
	}}
	if _, err := Decode(u); err == nil || !strings.Contains(err.Error(), `unknown field "spec.adminrole"`) {
		t.Errorf("Decode: %v", err)
	}
	var lenient v1alpha1.Collaborator
	data, _ := json.Marshal(u.Object)
	if err := json.Unmarshal(data, &lenient); err != nil || lenient.Spec.AdminRole != v1alpha1.AdminRoleAccountAdministrator {
		t.Skip("encoding/json no longer matches case-insensitively; the test shows nothing")
	}
}

// TestObjectsAsTheAPIServerStoresThem: what Load keeps of an object is what the API
// server would store: unknown fields pruned (and a problem), defaults applied, system
// fields wiped; the model is built from that.
func TestObjectsAsTheAPIServerStoresThem(t *testing.T) {
	in := `apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: eve, namespace: acme, creationTimestamp: "2001-01-01T00:00:00Z", uid: x}
spec:
  email: eve@x.example
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata: {name: quiet, namespace: acme}
spec: {displayName: Q, permissions: [workCenter.view], emailNotifications: {postCreated: false}}
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: mallory, namespace: acme}
spec:
  email: m@x.example
  adminrole: AccountAdministrator
`
	set, err := Load(Options{Files: []string{"-"}, Stdin: strings.NewReader(in)})
	if err != nil || len(set.Objects) != 3 {
		t.Fatal(err)
	}
	eve, ok := set.Objects[0].Typed.(*v1alpha1.Collaborator)
	if !ok || eve.Spec.Type != v1alpha1.Guest || eve.Spec.AdminRole != v1alpha1.AdminRoleNone ||
		!eve.CreationTimestamp.IsZero() || eve.UID != "" || set.Objects[0].Refused() {
		t.Errorf("eve as stored: %+v", set.Objects[0].Typed)
	}
	quiet := set.Objects[1].Typed.(*v1alpha1.WorkCenterRole)
	if e := quiet.Spec.EmailNotifications; e == nil || e.FileUploaded == nil || !*e.FileUploaded || e.PostCreated == nil || *e.PostCreated {
		t.Errorf("quiet's emailNotifications as stored: %+v", e)
	}
	mallory := set.Objects[2]
	if mallory.Typed != nil || len(mallory.Problems) != 1 || mallory.Problems[0].Field != "spec.adminrole" ||
		mallory.Problems[0].Message != "Forbidden: unknown field; nearest: adminRole" || mallory.Problems[0].At.String() != "stdin:17:3" {
		t.Errorf("mallory: %+v", mallory.Problems)
	}
	if _, found, _ := unstructured.NestedString(mallory.Stored.Object, "spec", "adminrole"); found {
		t.Errorf("the unknown field is stored: %v", mallory.Stored.Object)
	}
	m := set.Model("acme")
	if m.Collaborator("mallory") != nil || m.Collaborator("eve") == nil {
		t.Errorf("the model holds what the API server would refuse, or lacks what it would store")
	}
}

// TestKustomizedObjectsAreFoundInTheirFiles: a problem of an object a kustomization
// renders is placed in the file the object came from (through kustomize's origin
// annotations, which the objects do not keep), even with a name prefix; a field a patch
// added, at its object.
func TestKustomizedObjectsAreFoundInTheirFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("base/kustomization.yaml", "resources: [people.yaml]\n")
	write("base/people.yaml", "apiVersion: access.workcenter.io/v1alpha1\nkind: Collaborator\nmetadata: {name: ok}\nspec: {email: ok@x.example}\n---\n"+
		"apiVersion: access.workcenter.io/v1alpha1\nkind: Collaborator\nmetadata:\n  name: eve\n  annotations: {team: a}\nspec:\n  email: eve@x.example\n  adminrole: None\n")
	write("overlay/kustomization.yaml", "namespace: acme\nnamePrefix: p-\nresources: [../base]\npatches:\n- target: {name: ok}\n  patch: |\n    - {op: add, path: /spec/colour, value: blue}\n")
	set, err := Load(Options{Kustomizations: []string{filepath.Join(dir, "overlay")}})
	if err != nil || len(set.Objects) != 2 {
		t.Fatal(err)
	}
	people := filepath.Join(dir, "overlay", "../base/people.yaml")
	for i, want := range []string{people + ":4:1", people + ":13:3"} {
		o := set.Objects[i]
		if len(o.Problems) != 1 || o.Problems[0].At.String() != want || o.Text(o.Problems[0].At) == "" {
			t.Errorf("%s: problems %+v; want one at %s", o.Name(), o.Problems, want)
		}
		if _, ok := o.Raw.GetAnnotations()[originAnnotation]; ok {
			t.Errorf("%s keeps the origin annotation kustomize added for us", o.Name())
		}
	}
	if a := set.Objects[1].Raw.GetAnnotations(); len(a) != 1 || a["team"] != "a" {
		t.Errorf("eve's own annotations: %v", a)
	}
	if _, ok := set.Objects[0].Raw.Object["metadata"].(map[string]any)["annotations"]; ok {
		t.Errorf("an empty annotations map is left on %s", set.Objects[0].Name())
	}

	// A kustomization that asks for origin annotations itself keeps them.
	write("overlay/kustomization.yaml", "namespace: acme\nresources: [../base]\nbuildMetadata: [originAnnotations]\n")
	set, err = Load(Options{Kustomizations: []string{filepath.Join(dir, "overlay")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := set.Objects[0].Raw.GetAnnotations()[originAnnotation]; !ok {
		t.Errorf("the kustomization's own origin annotations are removed")
	}
}
