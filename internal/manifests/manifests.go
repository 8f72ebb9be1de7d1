// Package manifests reads the objects of the access.workcenter.io kinds from YAML or JSON
// manifests (files, directories, stdin, kustomizations) the way kubectl reads them, and
// builds account models (internal/model) from them as the operator would see them once
// applied: the built-in roles exist, and, since manifests carry no creation times,
// seniority (R4, R5, R7) follows the order of the objects in the manifests.
package manifests

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	yamlv3 "go.yaml.in/yaml/v3"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/schema"
	"sigs.k8s.io/kustomize/api/krusty"
)

// Kinds are the kinds of access.workcenter.io, in dependency order.
var Kinds = []string{model.KindAccount, model.KindWorkCenterRole, model.KindWorkCenter, model.KindCollaborator}

// Object is one object read from a manifest, and what the API server would make of it
// on create (internal/schema): the object it would store, or why it would refuse it.
type Object struct {
	// Source names where it was read: "path (document N)".
	Source string
	// Raw is the object as written (its namespace filled in).
	Raw *unstructured.Unstructured
	// Stored is the object as the API server would store it: fields it does not know
	// pruned, defaults applied, system fields wiped, the status dropped.
	Stored *unstructured.Unstructured
	// Typed is Stored decoded into its API type; nil when the object would be refused.
	Typed client.Object
	// Problems are why the API server would refuse the object (a key given twice, a
	// field it does not know, what the CRD's schema and CEL rules say); none when it
	// would store it. Admission (the operator's webhooks) is not judged here.
	Problems []Problem

	src place
}

// Problem is one reason the API server would refuse an object.
type Problem struct {
	// Field is the field at fault (spec.adminRole); "" for the object as a whole.
	Field string
	// Message is the API server's wording (field.Error's body: "Forbidden: unknown
	// field"), with the nearest valid name for an unknown field.
	Message string
	// At is where the field is in the manifests.
	At Position
}

// place is where an object was read: its document, and for an item of a List its path
// in the document; for an object rendered by kustomize, the file it came from.
type place struct {
	doc  *Document
	path string
	// kustomized: the object was rendered by kustomize; origin is the file it came
	// from (from kustomize's origin annotation), "" when unknown.
	kustomized bool
	origin     string
	originDocs func(string) []*Document
}

func (p place) node() *yamlv3.Node {
	if p.path == "" {
		return p.doc.Root()
	}
	n, _ := Lookup(p.doc.Root(), p.path)
	return n
}

// Kind is the object's kind.
func (o Object) Kind() string { return o.Raw.GetKind() }

// Name is the object's "Kind/name".
func (o Object) Name() string { return o.Raw.GetKind() + "/" + o.Raw.GetName() }

// Refused reports whether the API server would refuse the object.
func (o Object) Refused() bool { return len(o.Problems) > 0 }

// Position is where the field at path (spec.workCenters[0].role; "" for the object) is
// in the manifests, or the nearest that is there: its parent, the object. For an object
// rendered from a kustomization, it is in the file the object came from when that file
// holds an object of the same kind and name (a field a patch added is at the object).
func (o Object) Position(path string) Position {
	if o.src.doc == nil {
		return Position{File: o.Source}
	}
	if !o.src.kustomized {
		return o.src.doc.Find(o.src.node(), path)
	}
	if o.src.origin == "" || o.src.originDocs == nil {
		return Position{File: o.src.doc.File}
	}
	docs := o.src.originDocs(o.src.origin)
	var match []*Document
	for _, d := range docs {
		if value(d.Root(), "kind") != o.Kind() {
			continue
		}
		name := value(d.Root(), "metadata.name")
		if name == o.Raw.GetName() {
			match = []*Document{d}
			break
		}
		if name != "" && strings.Contains(o.Raw.GetName(), name) {
			match = append(match, d)
		}
	}
	if len(match) != 1 {
		return Position{File: o.src.origin}
	}
	return match[0].Find(match[0].Root(), path)
}

// Text is line n of the file o was read from (the file its position names), "" when
// unknown.
func (o Object) Text(pos Position) string {
	if o.src.doc == nil {
		return ""
	}
	if !o.src.kustomized {
		return o.src.doc.Text(pos.Line)
	}
	if o.src.originDocs == nil || pos.File != o.src.origin {
		return ""
	}
	for _, d := range o.src.originDocs(o.src.origin) {
		if t := d.Text(pos.Line); t != "" {
			return t
		}
	}
	return ""
}

// value is the scalar at path below n, "" when there is none.
func value(n *yamlv3.Node, path string) string {
	v, key := Lookup(n, path)
	if v == nil || key == nil || v.Kind != yamlv3.ScalarNode {
		return ""
	}
	return v.Value
}

// Set is the objects read, in the order read.
type Set struct {
	Objects []Object
	// Namespaces are the Namespace objects the manifests declare.
	Namespaces []string

	// kustomization is the one being read, while it is.
	kustomization *kustomization
	// docs are the files read to find where a kustomization's objects came from.
	docs   map[string][]*Document
	docsMu sync.Mutex
}

// Options say how to read.
type Options struct {
	// Files are files or directories (read non-recursively, like kubectl -f, unless
	// Recursive); "-" is Stdin.
	Files     []string
	Recursive bool
	// Kustomizations are directories rendered with kustomize, as kubectl -k does (a
	// kustomization that only lists resource files is read as its files: plain.go).
	Kustomizations []string
	// Render renders every kustomization with kustomize, plain ones too (tests).
	Render bool
	// Namespace is given to objects without one (kubectl's -n, or "default").
	Namespace string
	Stdin     io.Reader
}

// Load reads every object of Options' sources, in the order given. Documents that are
// not Kubernetes objects, objects of other kinds (a Namespace apart) and unknown
// access.workcenter.io kinds are errors naming the file and the document.
func Load(opts Options) (*Set, error) {
	// Reading allocates a few hundred times the manifests' size, nearly all of it
	// short-lived (YAML nodes, kustomize's copies, the API server's validators), and
	// with Go's default GOGC the collector took a quarter of the CPU. It collects half as
	// often while reading, unless GOGC says otherwise: at 5,000 collaborators, 0.3 s of
	// CPU less and a peak of about 250 MB instead of 200 (docs/performance.md).
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(loadGCPercent))
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	s := &Set{}
	for _, f := range opts.Files {
		if f == "-" {
			in := opts.Stdin
			if in == nil {
				in = os.Stdin
			}
			data, err := io.ReadAll(in)
			if err != nil {
				return nil, fmt.Errorf("reading stdin: %w", err)
			}
			if err := s.add("stdin", data, opts.Namespace, false); err != nil {
				return nil, err
			}
			continue
		}
		if err := s.addPath(f, opts, true); err != nil {
			return nil, err
		}
	}
	for _, dir := range opts.Kustomizations {
		if files, ok := plainResources(dir); ok && !opts.Render {
			objects, namespaces := len(s.Objects), len(s.Namespaces)
			var err error
			for _, f := range files {
				if err = s.addPath(f, opts, true); err != nil {
					break
				}
			}
			if err == nil && !repeatsAnID(s.Objects[objects:]) {
				continue
			}
			// kustomize says what is wrong in its words (as kubectl -k would).
			s.Objects, s.Namespaces = s.Objects[:objects], s.Namespaces[:namespaces]
		}
		objects, tracked, err := render(dir)
		if err != nil {
			msg := fmt.Sprintf("kustomization %s: %s", dir, oneLine(err.Error()))
			if dups := duplicateKeys(dir); len(dups) > 0 {
				return nil, dups.error(msg)
			}
			return nil, errors.New(msg)
		}
		s.kustomization = &kustomization{dir: dir, tracked: tracked}
		err = s.addRendered(dir+" (kustomization)", objects, opts.Namespace)
		s.kustomization = nil
		if err != nil {
			return nil, err
		}
	}
	if err := s.store(); err != nil {
		return nil, err
	}
	return s, nil
}

// loadGCPercent is the GOGC of Load.
const loadGCPercent = 200

// LocatedError is an error about places in files, each shown with its line.
type LocatedError struct {
	Msg    string
	Places []Place
}

// Place is a message about a position, and the text of its line.
type Place struct {
	At      Position
	Message string
	Text    string
}

// Lines are the error's first line and the lines under it: with no Msg and one place,
// the place is the first line, its snippet under it.
func (e *LocatedError) Lines() (first, detail string) {
	if e.Msg == "" && len(e.Places) == 1 {
		p := e.Places[0]
		return p.At.String() + ": " + p.Message, Snippet(p.At, p.Text)
	}
	return e.Msg, e.Detail()
}

func (e *LocatedError) Error() string {
	first, _ := e.Lines()
	var b strings.Builder
	b.WriteString(first)
	if e.Msg != "" {
		for _, p := range e.Places {
			b.WriteString("\n" + p.At.String() + ": " + p.Message)
		}
	}
	return b.String()
}

// Detail is the places, each with its line shown under it, as compilers show errors.
func (e *LocatedError) Detail() string {
	var b strings.Builder
	for _, p := range e.Places {
		b.WriteString(p.At.String() + ": " + p.Message + "\n" + Snippet(p.At, p.Text))
	}
	return b.String()
}

type places []Place

func (ps places) error(msg string) error { return &LocatedError{Msg: msg, Places: ps} }

// duplicateKeys are the keys given twice in the YAML files below dir: why kustomize
// refused to read it, with their positions (kustomize's message has none that help).
func duplicateKeys(dir string) places {
	var out places
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".yaml", ".yml":
		default:
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		chunks, _ := splitDocuments(data)
		for i, c := range chunks {
			doc := NewDocument(path, i+1, c.line, c.data)
			for _, dup := range doc.Duplicates(doc.Root(), "") {
				out = append(out, Place{At: dup.At, Text: doc.Text(dup.At.Line),
					Message: fmt.Sprintf("%s is given twice (the first at line %d): kustomize, and the API server, refuse it", dup.Path, dup.First.Line)})
			}
		}
		return nil
	})
	return out
}

// kustomization is the kustomization being read: its directory, and whether the origin
// annotations in its output are ours (added to say where each object came from, and
// removed from the objects) or its own.
type kustomization struct {
	dir     string
	tracked bool
	// origins are the files of the origin annotations read, by annotation: the objects
	// of one file share one.
	origins map[string]string
}

// render renders the kustomization in dir as kubectl apply -k does, with kustomize's
// origin annotations (config.kubernetes.io/origin: the file each object came from)
// unless the kustomization sets its buildMetadata itself; tracked says they were added.
// The objects are in kustomize's output order, each as kustomize's own output
// (Resource.AsYAML, the YAML of its JSON) decodes (resourceObject), without printing and
// parsing that YAML. The objects are converted on every core.
func render(dir string) (objects []map[string]any, tracked bool, err error) {
	fs := &originTracking{FileSystem: filesys.MakeFsOnDisk()}
	if abs, err := filepath.Abs(dir); err == nil {
		fs.root = abs
	}
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
	if err != nil {
		return nil, false, err
	}
	list := resources.Resources()
	objects = make([]map[string]any, len(list))
	errs := make([]error, len(list))
	parallel(len(list), func(i int) {
		var err error
		objects[i], err = resourceObject(&list[i].RNode)
		if err != nil {
			m, _ := list[i].Map()
			errs[i] = fmt.Errorf("%#v: %w", m, err)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, false, err
	}
	return objects, fs.tracked, nil
}

// parallel calls f(i) for every i below n, on every core.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	next := make(chan int, 64)
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// originTracking is the disk, but the kustomization file of root asks kustomize for
// origin annotations (buildMetadata: [originAnnotations]) when it sets no buildMetadata.
type originTracking struct {
	filesys.FileSystem
	root    string
	tracked bool
}

var buildMetadataKey = regexp.MustCompile(`(?m)^buildMetadata\s*:`)

func (f *originTracking) ReadFile(path string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(path)
	if err != nil || f.root == "" || !isKustomization(filepath.Base(path)) || filepath.Clean(filepath.Dir(path)) != f.root {
		return data, err
	}
	if trimmed := bytes.TrimSpace(data); len(trimmed) == 0 || trimmed[0] == '{' || buildMetadataKey.Match(data) {
		return data, nil
	}
	f.tracked = true
	out := slices.Clone(data)
	if !bytes.HasSuffix(out, []byte("\n")) {
		out = append(out, '\n')
	}
	return append(out, "buildMetadata: [originAnnotations]\n"...), nil
}

// originAnnotation is kustomize's annotation naming the file an object came from.
const originAnnotation = "config.kubernetes.io/origin"

// originOf reads (and, when the annotations are ours, removes) u's origin annotation:
// the file it came from, joined to the kustomization's directory; "" when unknown.
func (k *kustomization) originOf(u *unstructured.Unstructured) string {
	annotations := u.GetAnnotations()
	raw, ok := annotations[originAnnotation]
	if !ok {
		return ""
	}
	if k.tracked {
		delete(annotations, originAnnotation)
		if len(annotations) == 0 {
			unstructured.RemoveNestedField(u.Object, "metadata", "annotations")
		} else {
			u.SetAnnotations(annotations)
		}
	}
	if file, ok := k.origins[raw]; ok {
		return file
	}
	var origin struct {
		Path string `json:"path"`
		Repo string `json:"repo"`
	}
	file := ""
	if err := yaml.Unmarshal([]byte(raw), &origin); err == nil && origin.Path != "" && origin.Repo == "" {
		file = filepath.Join(k.dir, origin.Path)
	}
	if k.origins == nil {
		k.origins = map[string]string{}
	}
	k.origins[raw] = file
	return file
}

// documents are the documents of the file at path, read once; none when it cannot be
// read.
func (s *Set) documents(path string) []*Document {
	s.docsMu.Lock()
	defer s.docsMu.Unlock()
	if docs, ok := s.docs[path]; ok {
		return docs
	}
	if s.docs == nil {
		s.docs = map[string][]*Document{}
	}
	var docs []*Document
	if data, err := os.ReadFile(path); err == nil {
		chunks, _ := splitDocuments(data)
		for i, c := range chunks {
			docs = append(docs, NewDocument(path, i+1, c.line, c.data))
		}
	}
	s.docs[path] = docs
	return docs
}

func (s *Set) addPath(path string, opts Options, top bool) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %s", path, notFound(err))
	}
	if !info.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s: %s", path, oneLine(err.Error()))
		}
		return s.add(path, data, opts.Namespace, !top)
	}
	if !top && !opts.Recursive {
		return nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("%s: %s", path, oneLine(err.Error()))
	}
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(path, name)
		if e.IsDir() {
			if opts.Recursive {
				if err := s.addPath(p, opts, false); err != nil {
					return err
				}
			}
			continue
		}
		switch strings.ToLower(filepath.Ext(name)) {
		case ".yaml", ".yml", ".json":
		default:
			continue
		}
		if isKustomization(name) {
			continue
		}
		if err := s.addPath(p, opts, false); err != nil {
			return err
		}
	}
	return nil
}

func isKustomization(name string) bool {
	switch name {
	case "kustomization.yaml", "kustomization.yml", "Kustomization":
		return true
	}
	return false
}

func notFound(err error) string {
	if errors.Is(err, os.ErrNotExist) {
		return "no such file or directory"
	}
	return oneLine(err.Error())
}

// chunk is one document of a file as kubectl's reader splits them, and the line it
// starts on.
type chunk struct {
	data []byte
	line int
}

// splitDocuments splits data into documents at --- lines exactly as kubectl's YAML
// reader (k8s.io/apimachinery/pkg/util/yaml.YAMLReader) does, keeping where each starts.
func splitDocuments(data []byte) ([]chunk, error) {
	var out []chunk
	var buf []byte
	start, line := 0, 0
	for rest := data; len(rest) > 0; {
		// A line as kubectl's line reader returns it: its end (\n or \r\n) made \n.
		var l []byte
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			l, rest = rest, nil
		}
		l = bytes.TrimSuffix(l, []byte("\r"))
		line++
		if bytes.HasPrefix(l, []byte("---")) {
			if trimmed := strings.TrimSpace(string(l[3:])); trimmed != "" && trimmed[0] != '#' {
				return out, fmt.Errorf("line %d: invalid document separator: %s", line, trimmed)
			}
			if len(buf) != 0 {
				out = append(out, chunk{buf, start})
				buf = nil
				continue
			}
		}
		if len(buf) == 0 {
			start = line
		}
		buf = append(append(buf, l...), '\n')
	}
	if len(buf) != 0 {
		out = append(out, chunk{buf, start})
	}
	return out, nil
}

// add reads the documents of one file. inDir: the file was found in a directory, where
// access test files (a top-level tests:) are not manifests and are skipped.
func (s *Set) add(source string, data []byte, namespace string, inDir bool) error {
	chunks, err := splitDocuments(data)
	if err != nil {
		return fmt.Errorf("%s: not YAML: %s", source, oneLine(err.Error()))
	}
	// The documents are decoded on every core, then read in order.
	type decoded struct {
		content            map[string]any
		strictErr, yamlErr error
	}
	docs := make([]decoded, len(chunks))
	parallel(len(chunks), func(i int) {
		// Strictly first, as the API server decodes with strict field validation: a key
		// given twice is refused. The lenient decoding (the last one wins, as kubectl's
		// client-side conversion does) only names the object and finds the rest.
		d := &docs[i]
		d.strictErr = yaml.UnmarshalStrict(chunks[i].data, &d.content)
		if d.strictErr != nil {
			d.content = nil
			d.yamlErr = yaml.Unmarshal(chunks[i].data, &d.content)
		}
	})
	for i, c := range chunks {
		doc := NewDocument(source, i+1, c.line, c.data)
		where := fmt.Sprintf("%s (document %d)", source, doc.Number)
		content, strictErr := docs[i].content, docs[i].strictErr
		if err := docs[i].yamlErr; err != nil {
			return fmt.Errorf("%s: not YAML: %s", where, oneLine(doc.FileLines(err.Error())))
		}
		if len(content) == 0 {
			continue
		}
		if _, isTest := content["tests"]; isTest && content["kind"] == nil && inDir {
			continue
		}
		if err := s.addContent(where, content, namespace, doc, strictErr); err != nil {
			return err
		}
	}
	return nil
}

// addRendered reads the objects a kustomization rendered, each as document N of its
// output (source (document N)), as add would read that output.
func (s *Set) addRendered(source string, objects []map[string]any, namespace string) error {
	for i, content := range objects {
		if len(content) == 0 {
			continue
		}
		doc := NewDocument(source, i+1, 0, nil)
		if err := s.addContent(fmt.Sprintf("%s (document %d)", source, doc.Number), content, namespace, doc, nil); err != nil {
			return err
		}
	}
	return nil
}

// addContent reads the object (or the items of the List) of one document.
func (s *Set) addContent(where string, content map[string]any, namespace string, doc *Document, strictErr error) error {
	if items, ok := content["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(content["kind"]), "List") {
		if strictErr != nil {
			if dups := doc.Duplicates(doc.Root(), ""); len(dups) > 0 && !strings.HasPrefix(dups[0].Path, "items[") {
				return fmt.Errorf("%s: %s is given twice (first at line %d)", dups[0].At, dups[0].Path, dups[0].First.Line)
			}
		}
		for i, item := range items {
			m, ok := item.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: item %d is not an object", where, i+1)
			}
			src := place{doc: doc, path: fmt.Sprintf("items[%d]", i)}
			if err := s.addObject(fmt.Sprintf("%s item %d", where, i+1), m, namespace, src, strictErr); err != nil {
				return err
			}
		}
		return nil
	}
	return s.addObject(where, content, namespace, place{doc: doc}, strictErr)
}

func (s *Set) addObject(where string, content map[string]any, namespace string, src place, strictErr error) error {
	u := &unstructured.Unstructured{Object: content}
	gv, kind := u.GetAPIVersion(), u.GetKind()
	if gv == "" || kind == "" {
		return fmt.Errorf("%s: not a Kubernetes object (apiVersion and kind are required)", where)
	}
	group := strings.SplitN(gv, "/", 2)[0]
	if !strings.Contains(gv, "/") {
		group = ""
	}
	switch {
	case group == "" && kind == "Namespace":
		if !slices.Contains(s.Namespaces, u.GetName()) {
			s.Namespaces = append(s.Namespaces, u.GetName())
		}
		return nil
	case group != v1alpha1.GroupVersion.Group:
		return fmt.Errorf("%s: %s %s %q is not one of the kinds of %s (%s)", where, gv, kind, u.GetName(),
			v1alpha1.GroupVersion.Group, strings.Join(Kinds, ", "))
	case gv != v1alpha1.GroupVersion.String():
		return fmt.Errorf("%s: unknown version %q of %s; use %s", where, gv, kind, v1alpha1.GroupVersion.String())
	case !slices.Contains(Kinds, kind):
		return fmt.Errorf("%s: unknown kind %q of %s; nearest: %s", where, kind, gv, strings.Join(model.Nearest(kind, Kinds), ", "))
	}
	if u.GetName() == "" {
		return fmt.Errorf("%s: %s has no metadata.name", where, kind)
	}
	if u.GetNamespace() == "" {
		u.SetNamespace(namespace)
	}
	if k := s.kustomization; k != nil {
		src.kustomized = true
		src.origin = k.originOf(u)
		src.originDocs = s.documents
	}
	o := Object{Source: where, Raw: u, src: src}
	if strictErr != nil {
		dups := src.doc.Duplicates(src.node(), src.path)
		o.Problems = append(o.Problems, duplicates(dups, src.path)...)
		if len(dups) == 0 && src.path == "" {
			o.Problems = append(o.Problems, Problem{Message: "Invalid value: " + oneLine(src.doc.FileLines(strictErr.Error())), At: src.doc.Start()})
		}
	}
	s.Objects = append(s.Objects, o)
	return nil
}

// store judges every object as the API server would on create (internal/schema), on
// every core: the object it would store, and the problems that refuse it.
func (s *Set) store() error {
	v, err := validator()
	if err != nil {
		return fmt.Errorf("loading the CRDs: %w", err)
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				s.Objects[i].store(v)
			}
		})
	}
	for i := range s.Objects {
		next <- i
	}
	close(next)
	wg.Wait()
	return nil
}

// store sets what the API server would store of o, and why it would refuse it.
func (o *Object) store(v *schema.Validator) {
	u := o.Raw
	stored, errs := v.Validate(u)
	if stored != nil {
		stored.SetNamespace(u.GetNamespace())
	}
	o.Stored = stored
	for _, e := range errs {
		f := e.Field
		if f == "<nil>" {
			f = ""
		}
		msg := e.ErrorBody()
		if schema.IsUnknownField(e) {
			parent, name := splitLast(f)
			if near := model.Closest(name, v.FieldNames(u.GroupVersionKind(), parent)); len(near) > 0 {
				msg += "; nearest: " + strings.Join(near, ", ")
			}
		}
		o.Problems = append(o.Problems, Problem{Field: f, Message: msg, At: o.Position(f)})
	}
	if len(o.Problems) == 0 {
		typed, err := Decode(stored)
		if err != nil {
			o.Problems = append(o.Problems, Problem{Message: oneLine(err.Error()), At: o.Position("")})
		} else {
			o.Typed = typed
		}
	}
}

// duplicates are the problems of the keys given twice in an object (at path in its
// document). Several apiVersion or kind keys are several objects run together without
// a --- line between them: one problem says so, instead of one per key.
func duplicates(dups []Duplicate, path string) []Problem {
	field := func(d Duplicate) string { return strings.TrimPrefix(strings.TrimPrefix(d.Path, path), ".") }
	var out []Problem
	var lines []string
	var first Duplicate
	for _, d := range dups {
		if field(d) != "apiVersion" && field(d) != "kind" {
			continue
		}
		if lines == nil {
			first, lines = d, []string{strconv.Itoa(d.First.Line)}
		}
		if field(d) == field(first) {
			lines = append(lines, strconv.Itoa(d.At.Line))
		}
	}
	if lines != nil {
		out = append(out, Problem{At: first.At, Message: fmt.Sprintf("Forbidden: several objects in one document (%s at lines %s): "+
			"the API server refuses the keys given twice; separate the objects with --- lines", field(first), strings.Join(lines, ", "))})
	}
	for _, d := range dups {
		if lines != nil && !strings.ContainsAny(field(d), ".[") {
			continue
		}
		out = append(out, Problem{Field: field(d), Message: fmt.Sprintf("Forbidden: duplicate field; the first is at line %d", d.First.Line), At: d.At})
	}
	return out
}

// splitLast splits a field path into its parent and its last key: spec.a.b is spec.a
// and b.
func splitLast(path string) (parent, name string) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

// validator is the offline API server's schema check, built once.
var validator = sync.OnceValues(schema.New)

// Decode turns u into its API type as the API server's decoder does: field names match
// case-sensitively, and a field the type does not have, or one given twice, is an error.
func Decode(u *unstructured.Unstructured) (client.Object, error) {
	var obj client.Object
	switch u.GetKind() {
	case model.KindAccount:
		obj = &v1alpha1.Account{}
	case model.KindWorkCenter:
		obj = &v1alpha1.WorkCenter{}
	case model.KindWorkCenterRole:
		obj = &v1alpha1.WorkCenterRole{}
	case model.KindCollaborator:
		obj = &v1alpha1.Collaborator{}
	default:
		return nil, fmt.Errorf("unknown kind %q", u.GetKind())
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	strict, err := sigsjson.UnmarshalStrict(data, obj, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return nil, err
	}
	if len(strict) > 0 {
		return nil, errors.Join(strict...)
	}
	return obj, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// AccountNamespaces are the namespaces the objects are in, sorted.
func (s *Set) AccountNamespaces() []string {
	var out []string
	for _, o := range s.Objects {
		if !slices.Contains(out, o.Raw.GetNamespace()) {
			out = append(out, o.Raw.GetNamespace())
		}
	}
	slices.Sort(out)
	return out
}

// Epoch is the creation time given to the first object of the manifests; each next
// object is a second younger, so seniority follows the manifests' order.
var Epoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Model builds the account model of a namespace as the operator would see it once every
// object is applied: objects without a creation time get one in manifest order, and the
// built-in roles exist (as the Account controller creates them) when an Account does.
// The objects are copies; the Set is not changed.
func (s *Set) Model(namespace string) *model.Account {
	m := model.New(namespace)
	for i, o := range s.Objects {
		if o.Raw.GetNamespace() != namespace || o.Typed == nil {
			continue
		}
		obj := o.Typed.DeepCopyObject().(client.Object)
		if t := obj.GetCreationTimestamp(); t.IsZero() {
			obj.SetCreationTimestamp(metav1.NewTime(Epoch.Add(time.Duration(i) * time.Second)))
		}
		_ = m.Set(obj) // every Typed is one of the four kinds
	}
	AddBuiltInRoles(m)
	return m
}

// AddBuiltInRoles adds the built-in roles an Account controller would create, when the
// namespace has an Account and the model lacks them.
func AddBuiltInRoles(m *model.Account) {
	if m.Owner() == nil {
		return
	}
	for _, r := range BuiltInRoles(m.Namespace, m.Owner().CreationTimestamp) {
		if m.Role(r.Name) == nil {
			_ = m.Set(r)
		}
	}
}

// BuiltInRoles are the built-in roles as the Account controller creates them in
// namespace.
func BuiltInRoles(namespace string, created metav1.Time) []*v1alpha1.WorkCenterRole {
	var out []*v1alpha1.WorkCenterRole
	for _, name := range []string{v1alpha1.RoleReadOnly, v1alpha1.RoleContributor, v1alpha1.RoleWorkCenterOwner} {
		spec, _ := model.BuiltInRoleSpec(name)
		out = append(out, &v1alpha1.WorkCenterRole{
			TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: model.KindWorkCenterRole},
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{v1alpha1.LabelBuiltIn: "true"}, CreationTimestamp: created},
			Spec:       spec,
		})
	}
	return out
}
