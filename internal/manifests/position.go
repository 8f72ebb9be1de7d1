package manifests

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	yamlv3 "go.yaml.in/yaml/v3"
)

// Position is a place in a file, as compilers and editors print it: file:line:column,
// both counted from 1. A zero Line means the file as a whole, a zero Column the line.
type Position struct {
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
}

// Document is one YAML document of a file (documents are separated by --- lines, as
// kubectl splits them), with what it takes to say where a field is in it. The node tree
// is parsed only when a position is asked for.
type Document struct {
	// File names the file: its path as given, or "stdin".
	File string
	// Number is the document's number in the file, from 1.
	Number int
	// Line is the line of the file the document's first line is on.
	Line int

	data []byte
	once sync.Once
	root *yamlv3.Node
}

// NewDocument is the document data, which starts on line of file.
func NewDocument(file string, number, line int, data []byte) *Document {
	return &Document{File: file, Number: number, Line: line, data: data}
}

// Root is the document's top node (a mapping, for an object), nil when it is empty or
// cannot be parsed with positions.
func (d *Document) Root() *yamlv3.Node {
	d.once.Do(func() {
		var n yamlv3.Node
		if err := yamlv3.Unmarshal(d.data, &n); err != nil || n.Kind != yamlv3.DocumentNode || len(n.Content) == 0 {
			return
		}
		d.root = n.Content[0]
	})
	return d.root
}

// At is the position of node n of the document.
func (d *Document) At(n *yamlv3.Node) Position {
	if n == nil {
		return Position{File: d.File, Line: d.Line}
	}
	return Position{File: d.File, Line: d.Line + n.Line - 1, Column: n.Column}
}

// Start is where the document's content starts (its first key, past comments).
func (d *Document) Start() Position {
	if r := d.Root(); r != nil {
		return d.At(r)
	}
	return Position{File: d.File, Line: d.Line}
}

// Text is line n of the file, when it is one of the document's, without its line end.
func (d *Document) Text(n int) string {
	i := n - d.Line
	if i < 0 {
		return ""
	}
	for line := range strings.Lines(string(d.data)) {
		if i == 0 {
			return strings.TrimRight(line, "\r\n")
		}
		i--
	}
	return ""
}

// Find is the position of the field at path (a field path as the API server prints it:
// spec.workCenters[1].role, metadata.labels[app]) below node from, or, when the path goes
// further than the document, of the deepest part of it that is there. A map key is
// found at its key; a list item at the item.
func (d *Document) Find(from *yamlv3.Node, path string) Position {
	n, key := Lookup(from, path)
	if key != nil {
		return d.At(key)
	}
	return d.At(n)
}

// FindValue is Find, but at the value of a map key rather than at the key.
func (d *Document) FindValue(from *yamlv3.Node, path string) Position {
	n, _ := Lookup(from, path)
	return d.At(n)
}

// Lookup finds the node at path below from: the value node and, when the last step was
// a map key, the key's node. When the path goes further than the document, the deepest
// node found and its key.
func Lookup(from *yamlv3.Node, path string) (node, key *yamlv3.Node) {
	node = from
	for _, seg := range splitPath(path) {
		if node == nil {
			break
		}
		for node.Kind == yamlv3.AliasNode && node.Alias != nil {
			node = node.Alias
		}
		switch node.Kind {
		case yamlv3.MappingNode:
			k, v := mapEntry(node, seg)
			if v == nil {
				return node, key
			}
			node, key = v, k
		case yamlv3.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(node.Content) {
				return node, key
			}
			node, key = node.Content[i], nil
		default:
			return node, key
		}
	}
	return node, key
}

// mapEntry is the last entry of mapping m with key name (the last: the one a lenient
// decoder keeps).
func mapEntry(m *yamlv3.Node, name string) (key, value *yamlv3.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			key, value = m.Content[i], m.Content[i+1]
		}
	}
	return key, value
}

// splitPath splits a field path into its keys and indexes: "spec.a[0].b" is spec, a, 0,
// b; "<nil>" (the object itself) is nothing.
func splitPath(path string) []string {
	if path == "<nil>" {
		return nil
	}
	var out []string
	for len(path) > 0 {
		switch path[0] {
		case '.':
			path = path[1:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return append(out, path[1:])
			}
			out = append(out, path[1:end])
			path = path[end+1:]
		default:
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			out = append(out, path[:end])
			path = path[end:]
		}
	}
	return out
}

// Duplicate is a key given twice in one mapping.
type Duplicate struct {
	// Path is the key's field path (spec, spec.workCenters[0].role).
	Path string
	// At is the second (or later) key, First the first.
	At, First Position
}

// Duplicates are the keys of node's mappings given more than once, in document order;
// path is node's own field path ("" for an object).
func (d *Document) Duplicates(node *yamlv3.Node, path string) []Duplicate {
	var out []Duplicate
	var walk func(n *yamlv3.Node, path string)
	walk = func(n *yamlv3.Node, path string) {
		switch n.Kind {
		case yamlv3.MappingNode:
			seen := map[string]*yamlv3.Node{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if k.Kind == yamlv3.ScalarNode && k.Value != "<<" {
					if first, ok := seen[k.Value]; ok {
						out = append(out, Duplicate{Path: p, At: d.At(k), First: d.At(first)})
					} else {
						seen[k.Value] = k
					}
				}
				walk(v, p)
			}
		case yamlv3.SequenceNode:
			for i, item := range n.Content {
				walk(item, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
	if node != nil {
		walk(node, path)
	}
	return out
}

var yamlLine = regexp.MustCompile(`\bline (\d+)\b`)

// FileLines rewrites the "line N" of a YAML parser's message about the document (N
// counted in the document) into the file's line.
func (d *Document) FileLines(msg string) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(s string) string {
		n, _ := strconv.Atoi(strings.TrimPrefix(s, "line "))
		return fmt.Sprintf("line %d", d.Line+n-1)
	})
}

// Snippet shows line pos.Line of text (the file's line) with a caret under pos.Column
// and the word there underlined, as compilers (and zed validate) show an error:
//
//	9 |   adminrole: WorkCenterAdministrator
//	  |   ^~~~~~~~~
//
// Each line ends with a newline; nothing when text is empty.
func Snippet(pos Position, text string) string {
	if text == "" || pos.Line == 0 {
		return ""
	}
	num := strconv.Itoa(pos.Line)
	out := fmt.Sprintf("  %s | %s\n", num, text)
	if pos.Column < 1 || pos.Column > len(text)+1 {
		return out
	}
	var pad strings.Builder
	for _, r := range text[:pos.Column-1] {
		if r == '\t' {
			pad.WriteRune('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	return out + fmt.Sprintf("  %s | %s^%s\n", strings.Repeat(" ", len(num)), pad.String(), strings.Repeat("~", max(0, wordLen(text[pos.Column-1:])-1)))
}

// wordLen is the length of the token s starts with: a quoted string, or up to the next
// separator of YAML's flow and block syntax.
func wordLen(s string) int {
	if s == "" {
		return 0
	}
	if q := s[0]; q == '"' || q == '\'' {
		if end := strings.IndexByte(s[1:], q); end >= 0 {
			return end + 2
		}
		return len(s)
	}
	if s[0] == '-' || s[0] == '{' || s[0] == '[' {
		return 1
	}
	end := strings.IndexAny(s, ":,]} \t#")
	if end < 0 {
		end = len(s)
	}
	return max(1, end)
}
