package manifests

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// A kustomization that only lists resource files (and kustomizations that only list
// resource files) renders to exactly the objects of those files: kustomize changes
// nothing in them. Such a kustomization is read as the files are read with -f, which at
// thousands of objects is seconds instead of half a minute (kustomize's resource map
// checks each object it adds against every object it holds, recomputing their ids:
// quadratic; docs/performance.md, kubectl procorem at size). Anything else a
// kustomization can say (a namespace, a prefix, patches, generators, components,
// replacements, labels, remote or out-of-root resources, a local-config object, several
// kustomization files) goes to kustomize, which also reports every error.

// plainResources returns the resource files of the kustomization in dir, in order, and
// true when it is plain (as above).
func plainResources(dir string) ([]string, bool) {
	return plainFrom(dir, dir, map[string]bool{})
}

func plainFrom(root, dir string, seen map[string]bool) ([]string, bool) {
	if seen[dir] {
		return nil, false // a cycle: kustomize reports it
	}
	seen[dir] = true
	var file string
	for _, name := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			if file != "" {
				return nil, false
			}
			file = filepath.Join(dir, name)
		}
	}
	if file == "" {
		return nil, false
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, false
	}
	var k map[string]any
	if err := yaml.UnmarshalStrict(data, &k); err != nil {
		return nil, false
	}
	for key, v := range k {
		switch key {
		case "apiVersion":
			if v != "kustomize.config.k8s.io/v1beta1" {
				return nil, false
			}
		case "kind":
			if v != "Kustomization" {
				return nil, false
			}
		case "resources":
		default:
			return nil, false
		}
	}
	list, _ := k["resources"].([]any)
	var files []string
	for _, r := range list {
		rel, ok := r.(string)
		if !ok || strings.Contains(rel, "://") || strings.HasPrefix(rel, "github.com/") {
			return nil, false
		}
		p := filepath.Join(dir, rel)
		if out, err := filepath.Rel(root, p); err != nil || out == ".." || strings.HasPrefix(out, ".."+string(filepath.Separator)) {
			return nil, false // kustomize restricts a kustomization to its root
		}
		info, err := os.Stat(p)
		switch {
		case err != nil:
			return nil, false
		case info.IsDir():
			nested, ok := plainFrom(root, p, seen)
			if !ok {
				return nil, false
			}
			files = append(files, nested...)
		default:
			content, err := os.ReadFile(p)
			if err != nil || bytes.Contains(content, []byte("local-config")) || bytes.Contains(content, []byte("kind: List")) {
				return nil, false // kustomize drops local configs and unpacks Lists
			}
			files = append(files, p)
		}
	}
	return files, true
}

// repeatsAnID reports whether two objects have kustomize's id (group, kind, namespace as
// written, name): kustomize refuses that.
func repeatsAnID(objs []Object) bool {
	seen := map[string]bool{}
	for _, o := range objs {
		gvk := o.Raw.GroupVersionKind()
		id := gvk.Group + "/" + gvk.Kind + "/" + o.Raw.GetNamespace() + "/" + o.Raw.GetName() // filled in: a stricter test, and kustomize decides
		if seen[id] {
			return true
		}
		seen[id] = true
	}
	return false
}
