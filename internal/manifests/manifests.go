// Package manifests reads the objects of the access.workcenter.io kinds from YAML or JSON
// manifests (files, directories, stdin, kustomizations) the way kubectl reads them, and
// builds account models (internal/model) from them as the operator would see them once
// applied: the built-in roles exist, and, since manifests carry no creation times,
// seniority (R4, R5, R7) follows the order of the objects in the manifests.
package manifests

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Kinds are the kinds of access.workcenter.io, in dependency order.
var Kinds = []string{model.KindAccount, model.KindWorkCenterRole, model.KindWorkCenter, model.KindCollaborator}

// Object is one object read from a manifest.
type Object struct {
	// Source names where it was read: "path (document N)".
	Source string
	// Raw is the object as written (its namespace filled in).
	Raw *unstructured.Unstructured
	// Typed is the object decoded into its API type.
	Typed client.Object
}

// Kind is the object's kind.
func (o Object) Kind() string { return o.Raw.GetKind() }

// Name is the object's "Kind/name".
func (o Object) Name() string { return o.Raw.GetKind() + "/" + o.Raw.GetName() }

// Set is the objects read, in the order read.
type Set struct {
	Objects []Object
	// Namespaces are the Namespace objects the manifests declare.
	Namespaces []string
}

// Options say how to read.
type Options struct {
	// Files are files or directories (read non-recursively, like kubectl -f, unless
	// Recursive); "-" is Stdin.
	Files     []string
	Recursive bool
	// Kustomizations are directories rendered with kustomize, as kubectl -k does.
	Kustomizations []string
	// Namespace is given to objects without one (kubectl's -n, or "default").
	Namespace string
	Stdin     io.Reader
}

// Load reads every object of Options' sources, in the order given. Documents that are
// not Kubernetes objects, objects of other kinds (a Namespace apart) and unknown
// access.workcenter.io kinds are errors naming the file and the document.
func Load(opts Options) (*Set, error) {
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
		fs := filesys.MakeFsOnDisk()
		resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
		if err != nil {
			return nil, fmt.Errorf("kustomization %s: %s", dir, oneLine(err.Error()))
		}
		data, err := resources.AsYaml()
		if err != nil {
			return nil, fmt.Errorf("kustomization %s: %s", dir, oneLine(err.Error()))
		}
		if err := s.add(dir+" (kustomization)", data, opts.Namespace, false); err != nil {
			return nil, err
		}
	}
	return s, nil
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

// add reads the documents of one file. inDir: the file was found in a directory, where
// access test files (a top-level tests:) are not manifests and are skipped.
func (s *Set) add(source string, data []byte, namespace string, inDir bool) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for doc := 1; ; doc++ {
		chunk, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: not YAML: %s", source, oneLine(err.Error()))
		}
		where := fmt.Sprintf("%s (document %d)", source, doc)
		var content map[string]any
		if err := yaml.Unmarshal(chunk, &content); err != nil {
			return fmt.Errorf("%s: not YAML: %s", where, oneLine(err.Error()))
		}
		if len(content) == 0 {
			continue
		}
		if _, isTest := content["tests"]; isTest && content["kind"] == nil && inDir {
			continue
		}
		if items, ok := content["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(content["kind"]), "List") {
			for i, item := range items {
				m, ok := item.(map[string]any)
				if !ok {
					return fmt.Errorf("%s: item %d is not an object", where, i+1)
				}
				if err := s.addObject(fmt.Sprintf("%s item %d", where, i+1), m, namespace); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.addObject(where, content, namespace); err != nil {
			return err
		}
	}
}

func (s *Set) addObject(where string, content map[string]any, namespace string) error {
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
	typed, err := Decode(u)
	if err != nil {
		return fmt.Errorf("%s: %s %q: %s", where, kind, u.GetName(), oneLine(err.Error()))
	}
	s.Objects = append(s.Objects, Object{Source: where, Raw: u, Typed: typed})
	return nil
}

// Decode turns u into its API type, failing on fields of the wrong type.
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
	}
	data, err := json.Marshal(u.Object)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, obj); err != nil {
		return nil, err
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
		if o.Raw.GetNamespace() != namespace {
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
