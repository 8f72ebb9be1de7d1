package manifests

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/kustomize/*.golden from what the code does now")

// golden compares got with testdata/kustomize/name, or rewrites it with -update-golden.
// The golden files were written by kustomize's own krusty, before any change made to
// render faster: they are what `kubectl apply -k` renders.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "kustomize", name)
	if *updateGolden {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from what kustomize renders:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestKustomizeRendersAsKubectl: a kustomization with generators (their hashed names and
// the references to them), a merging generator, replacements, images, replicas, labels
// (selectors too), namePrefix, a namespace, a JSON patch on a target, a List, a
// local-config object and values of every YAML type, and the same sorted in kustomize's
// legacy order (sortOptions), renders the objects kustomize's own output (render.golden
// and sorted.golden, written by sigs.k8s.io/kustomize/api's krusty and its
// ResMap.AsYaml, as kubectl kustomize prints it, with buildMetadata: [originAnnotations])
// decodes to, as each document of it was read before render returned objects.
func TestKustomizeRendersAsKubectl(t *testing.T) {
	for dir, golden := range map[string]string{"overlay": "render.golden", "sorted": "sorted.golden"} {
		objects, tracked, err := render(filepath.Join("testdata", "kustomize", "render", dir))
		if err != nil {
			t.Fatal(err)
		}
		if !tracked {
			t.Errorf("%s: the origin annotations were not asked for", dir)
		}
		data, err := os.ReadFile(filepath.Join("testdata", "kustomize", golden))
		if err != nil {
			t.Fatal(err)
		}
		chunks, err := splitDocuments(data)
		if err != nil {
			t.Fatal(err)
		}
		if len(objects) != len(chunks) {
			t.Fatalf("%s: %d objects; kustomize renders %d", dir, len(objects), len(chunks))
		}
		for i, c := range chunks {
			var want map[string]any
			if err := yaml.UnmarshalStrict(c.data, &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(objects[i], want) {
				got, _ := json.Marshal(objects[i])
				w, _ := json.Marshal(want)
				t.Errorf("%s: object %d is\n%s\nkustomize renders\n%s", dir, i+1, got, w)
			}
		}
	}
}

// TestKustomizedObjectsAsBefore: the objects, their sources and the positions of their
// problems, through a kustomization with namePrefix, nameSuffix, a namespace, labels, a
// component (annotations, a JSON patch), a strategic merge patch from a file, JSON patches
// on targets (by kind, by label selector that matches nothing), and a patch naming its
// target itself, are what they were with kustomize's own krusty.
func TestKustomizedObjectsAsBefore(t *testing.T) {
	dir := filepath.Join("testdata", "kustomize", "overlay")
	set, err := Load(Options{Kustomizations: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "overlay.golden", describe(set))
}

// describe prints every object of set: its source, what was read, what would be stored,
// and each problem with its position and line.
func describe(set *Set) string {
	var b strings.Builder
	for _, o := range set.Objects {
		raw, _ := json.Marshal(o.Raw.Object)
		fmt.Fprintf(&b, "%s %s\n  raw: %s\n", o.Source, o.Name(), raw)
		if o.Stored != nil {
			stored, _ := json.Marshal(o.Stored.Object)
			fmt.Fprintf(&b, "  stored: %s\n", stored)
		}
		for _, p := range o.Problems {
			fmt.Fprintf(&b, "  problem %s: %s: %s\n  %s", p.At, p.Field, p.Message, Snippet(p.At, o.Text(p.At)))
		}
		for _, path := range []string{"", "metadata.name", "spec.email", "spec.workCenters[0].role"} {
			fmt.Fprintf(&b, "  at %q: %s\n", path, o.Position(path))
		}
	}
	fmt.Fprintf(&b, "namespaces: %v\n", set.Namespaces)
	return b.String()
}

// TestKustomizeRefusesDuplicateIDs: two objects of the same kind, name and namespace in
// one kustomization are refused with kustomize's own message, across files and within one.
func TestKustomizeRefusesDuplicateIDs(t *testing.T) {
	_, err := Load(Options{Kustomizations: []string{filepath.Join("testdata", "kustomize", "dup")}})
	want := "kustomization testdata/kustomize/dup: accumulating resources: accumulation err='merging resources from 'b.yaml': " +
		"may not add resource with an already registered id: WorkCenter.v1alpha1.access.workcenter.io/w.[noNs]': must build at directory: '" +
		must(filepath.Abs("testdata/kustomize/dup/b.yaml")) + "': file is not directory"
	if err == nil || err.Error() != want {
		t.Errorf("duplicate ids: %v\nwant %s", err, want)
	}
	dir := t.TempDir()
	same := "apiVersion: access.workcenter.io/v1alpha1\nkind: WorkCenter\nmetadata: {name: w}\nspec: {displayName: A}\n"
	for name, data := range map[string]string{"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": same + "---\n" + same} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err = Load(Options{Kustomizations: []string{dir}})
	if err == nil || !strings.Contains(err.Error(), "may not add resource with an already registered id: WorkCenter.v1alpha1.access.workcenter.io/w.[noNs]") {
		t.Errorf("duplicate ids in one file: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestGeneratedAccountReadsAlike: the generated account (internal/fixtures, the one of
// make sample-account and the benchmarks) is valid, and its directory read with -f and
// rendered with -k gives the same objects in the same order.
func TestGeneratedAccountReadsAlike(t *testing.T) {
	dir := t.TempDir()
	shape := fixtures.Shape{Collaborators: 90, WorkCenters: 12, Roles: 10, Assignments: 3}
	if err := fixtures.WriteGeneratedAccount(dir, "generated", shape); err != nil {
		t.Fatal(err)
	}
	files, err := Load(Options{Files: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	kustomized, err := Load(Options{Kustomizations: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + shape.Roles + shape.WorkCenters + shape.Collaborators; len(files.Objects) != want || len(kustomized.Objects) != want {
		t.Fatalf("%d objects through -f, %d through -k; want %d", len(files.Objects), len(kustomized.Objects), want)
	}
	for i, f := range files.Objects {
		k := kustomized.Objects[i]
		if f.Refused() || k.Refused() {
			t.Errorf("%s refused: %+v %+v", f.Name(), f.Problems, k.Problems)
		}
		if !reflect.DeepEqual(f.Stored.Object, k.Stored.Object) {
			t.Errorf("object %d: %v through -f, %v through -k", i, f.Stored.Object, k.Stored.Object)
		}
	}
	if m := files.Model("generated"); len(m.Collaborators()) != shape.Collaborators {
		t.Errorf("the model holds %d collaborators", len(m.Collaborators()))
	}
}
