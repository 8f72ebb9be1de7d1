package manifests

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzLoad feeds the manifest loader arbitrary bytes, as `kubectl procorem -f -` reads
// stdin: it never panics; it either fails with a one-line error naming the source, or
// returns objects of the four kinds, each named, in a namespace, each either as the API
// server would store it or refused with problems placed in stdin, and the model of the
// objects stored builds.
// The seed corpus (every sample, and odd documents) runs in `make test`; `make fuzz` runs
// it long.
func FuzzLoad(f *testing.F) {
	samples, _ := filepath.Glob("../../config/samples/*.yaml")
	for _, s := range samples {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "---\n---\n", "a: [\n", "[]", "null", "42", "kind: Account\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: access.workcenter.io/v1alpha1\n  kind: Account\n  metadata: {name: a}\n",
		"apiVersion: access.workcenter.io/v1alpha1\nkind: Collaborator\nmetadata: {name: c, namespace: x}\nspec: {workCenters: 7}\n",
		"apiVersion: access.workcenter.io/v1alpha1\nkind: WorkCenterRole\nmetadata: {name: r}\nspec: {includes: [r], permissions: [\"\\u0000\"]}\n",
		"apiVersion: access.workcenter.io/v2\nkind: Account\nmetadata: {name: a}\n",
		"{\"apiVersion\": \"access.workcenter.io/v1alpha1\", \"kind\": \"WorkCenter\", \"metadata\": {\"name\": \"w\"}}",
		"apiVersion: access.workcenter.io/v1alpha1\nkind: Collaborator\nmetadata: {name: c}\nspec: {email: a@b.c}\nspec: {email: a@b.c}\n",
		"apiVersion: access.workcenter.io/v1alpha1\nkind: Collaborator\nmetadata: {name: c}\nspec: {email: a@b.c, adminrole: None, Type: Guest}\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: access.workcenter.io/v1alpha1\n  kind: Account\n  metadata: {name: a, name: b}\n",
		"kind: Account\napiVersion: access.workcenter.io/v1alpha1\nmetadata: {name: a}\nkind: Account\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := Load(Options{Files: []string{"-"}, Stdin: bytes.NewReader(data)})
		if err != nil {
			msg := err.Error()
			if !strings.HasPrefix(msg, "stdin") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: not one line naming its source", msg)
			}
			return
		}
		stored := map[string]bool{}
		for _, o := range set.Objects {
			if !slices.Contains(Kinds, o.Kind()) || o.Raw.GetName() == "" || o.Raw.GetNamespace() == "" {
				t.Fatalf("object %s (%s) is not a named, namespaced object of the four kinds", o.Name(), o.Source)
			}
			if (o.Typed == nil) != o.Refused() {
				t.Fatalf("object %s (%s): decoded %v, refused for %v", o.Name(), o.Source, o.Typed != nil, o.Problems)
			}
			for _, p := range o.Problems {
				if p.At.File != "stdin" || p.Message == "" {
					t.Fatalf("object %s: problem %+v names no place in stdin", o.Name(), p)
				}
			}
			if o.Typed != nil {
				stored[o.Raw.GetNamespace()] = true
			}
		}
		for ns := range stored {
			m := set.Model(ns)
			a, w, r, c := m.Len()
			if a+w+r+c == 0 {
				t.Fatalf("namespace %s has objects the API server would store but its model is empty", ns)
			}
		}
	})
}
