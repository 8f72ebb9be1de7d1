package manifests

import (
	"encoding/json"
	"reflect"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestResourceObjectIsKustomizesJSON: a resource's object is exactly what kustomize's
// RNode.MarshalJSON encodes, decoded from JSON, for values of every YAML type and tag,
// or an error where that is one.
func TestResourceObjectIsKustomizesJSON(t *testing.T) {
	docs := []string{
		"a: 1\nb: 1.0\nc: 1e3\nd: 12345678901234567890\ne: -0\nf: -0.0\ng: 0x1F\nh: 0o17\ni: 017\nj: 1_000\nk: .5\nl: -.inf\n",
		"a: [yes, no, on, off, y, n, true, False, TRUE]\nb: [~, null, Null, \"\", '']\n",
		"a: 2001-12-14t21:59:43.10-05:00\nb: 2002-12-14\nc: !!timestamp 2002-12-14\nd: \"2002-12-14\"\ne: 2001-12-14 21:59:43.10\n",
		"a: !!str 123\nb: !!float 1\nc: !!int \"7\"\nd: !!binary gICA\ne: !!binary aGVsbG8=\nf: !!bool true\n",
		"\"on\": a\n\"1\": b\n\"null\": c\n\"caf\\xe9\": d\n",
		"a: |\n  two\n  lines\nb: >\n  one\n  line\nc: \"caf\\u00e9 \\U0001F600 \\t\"\nd: 'it''s'\n",
		"a: &x {p: 1, q: [1, 2]}\nb: *x\nc:\n  <<: *x\n  q: 3\n",
		"a: {}\nb: []\nc: [[1, [2]], {d: [e]}]\n",
		"a: .nan\n",
		"a: .inf\n",
		"a: {1: x}\n",
		"a: {[1]: x}\n",
		"a: 1e400\n",
		"a: 123456789012345678901234567890\n",
		"a: !custom x\n",
		"metadata: {name: x, labels: {a: \"1\"}}\nspec: {n: 3, list: [{k: v}]}\n",
	}
	for _, doc := range docs {
		n, err := kyaml.Parse(doc)
		if err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		var want map[string]any
		data, wantErr := n.MarshalJSON()
		if wantErr == nil {
			wantErr = json.Unmarshal(data, &want)
		}
		got, err := resourceObject(n)
		switch {
		case wantErr != nil && err != nil:
		case wantErr != nil || err != nil:
			t.Errorf("%q: error %v; kustomize's %v", doc, err, wantErr)
		case !reflect.DeepEqual(got, want):
			g, _ := json.Marshal(got)
			t.Errorf("%q:\n got %s (%#v)\nwant %s (%#v)", doc, g, got, data, want)
		}
	}
}
