// Added in this copy (workcenter-operator, see ../README.md).

package resource

import (
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// TestFromBytesIsKio: fromBytes reads what kio.FromBytes reads, node for node, or fails
// with its error, on inputs of many documents: comments, empty documents, separators
// with comments, anchors, Lists, Windows line ends, a document that is not YAML, an
// invalid separator.
func TestFromBytesIsKio(t *testing.T) {
	var many strings.Builder
	for i := range 100 {
		fmt.Fprintf(&many, "# object %d\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c%d\ndata:\n  a: &x \"%d\"\n  b: *x\n  t: |\n    line\n\n", i, i, i)
		switch i % 10 {
		case 1:
			many.WriteString("--- # a comment\n")
		case 2:
			many.WriteString("---\n# only a comment\n---\n")
		case 3:
			many.WriteString("---\n---\n")
		case 4:
			many.WriteString("---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s" + fmt.Sprint(i) + "}}\n---\n")
		case 5:
			many.WriteString("---\n<<: {apiVersion: v1, kind: Service}\nmetadata: {name: m" + fmt.Sprint(i) + "}\n---\n")
		default:
			many.WriteString("---\n")
		}
	}
	base := many.String()
	inputs := map[string]string{
		"many":              base,
		"leading":           "---\n" + base,
		"trailing":          base + "---\n",
		"no final newline":  strings.TrimSuffix(base, "\n"),
		"windows":           strings.ReplaceAll(base, "\n", "\r\n"),
		"not YAML":          base + "---\na: [b\n---\nc: d\n",
		"invalid separator": base + "--- x: y\nc: d\n",
		"duplicate key":     base + "---\na: 1\na: 2\n",
		"no metadata":       base + "---\n- a\n- b\n---\nkind: 3\n",
		"one List":          "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n",
	}
	for name, in := range inputs {
		want, wantErr := kio.FromBytes([]byte(in))
		got, err := fromBytes([]byte(in))
		if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
			t.Errorf("%s: error %v; kio's %v", name, err, wantErr)
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d nodes; kio reads %d", name, len(got), len(want))
			continue
		}
		for i := range want {
			if g, w := str(t, got[i]), str(t, want[i]); g != w {
				t.Errorf("%s: node %d is\n%s\nkio reads\n%s", name, i, g, w)
			}
		}
	}
}

func str(t *testing.T, n *yaml.RNode) string {
	t.Helper()
	s, err := n.String()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
