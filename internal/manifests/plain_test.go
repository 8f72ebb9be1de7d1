package manifests

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const plainAccount = `apiVersion: access.workcenter.io/v1alpha1
kind: Account
metadata: {name: acme, namespace: acme}
spec: {displayName: Acme, licenses: 3}
`

const plainPeople = `apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata: {name: tower-a, namespace: acme}
spec: {displayName: Tower A}
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: ann, namespace: acme}
spec:
  email: ann@example.com
  type: Member
  workCenters: [{name: tower-a, role: contributor}]
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata: {name: bob, namespace: acme}
spec: {email: bob@example.com, adminrole: None}
`

// TestPlainKustomizationsReadAsKustomizeRendersThem: a kustomization that only lists
// resource files (nested ones too) is read as its files, and gives the objects, the
// problems and the positions kustomize's rendering gives; anything else goes to
// kustomize.
func TestPlainKustomizationsReadAsKustomizeRendersThem(t *testing.T) {
	plain := map[string]map[string]string{
		"resources only": {
			"kustomization.yaml": "resources: [account.yaml, people.yaml]\n",
			"account.yaml":       plainAccount, "people.yaml": plainPeople,
		},
		"nested, with apiVersion and kind": {
			"kustomization.yaml":      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [base, people.yaml]\n",
			"base/kustomization.yaml": "resources: [account.yaml]\n",
			"base/account.yaml":       plainAccount, "people.yaml": plainPeople,
		},
	}
	for name, files := range plain {
		t.Run(name, func(t *testing.T) {
			dir := writeTree(t, files)
			if _, ok := plainResources(dir); !ok {
				t.Fatal("not read as plain")
			}
			fast, err := Load(Options{Kustomizations: []string{dir}})
			if err != nil {
				t.Fatal(err)
			}
			rendered, err := Load(Options{Kustomizations: []string{dir}, Render: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(fast.Objects) != len(rendered.Objects) || len(fast.Objects) != 4 {
				t.Fatalf("%d objects, kustomize %d", len(fast.Objects), len(rendered.Objects))
			}
			key := func(o Object) string { return o.Raw.GetKind() + "/" + o.Raw.GetName() }
			byKey := map[string]Object{}
			for _, o := range rendered.Objects {
				byKey[key(o)] = o
			}
			for _, o := range fast.Objects {
				r, ok := byKey[key(o)]
				switch {
				case !ok:
					t.Fatalf("%s is not in kustomize's rendering", key(o))
				case !equality.Semantic.DeepEqual(o.Stored, r.Stored):
					t.Errorf("%s stored as %v, kustomize's %v", key(o), o.Stored, r.Stored)
				case len(o.Problems) != len(r.Problems):
					t.Errorf("%s: problems %v, kustomize's %v", key(o), o.Problems, r.Problems)
				}
				for i := range min(len(o.Problems), len(r.Problems)) {
					if o.Problems[i].At != r.Problems[i].At || o.Problems[i].Message != r.Problems[i].Message {
						t.Errorf("%s: problem %+v, kustomize's %+v", key(o), o.Problems[i], r.Problems[i])
					}
				}
			}
		})
	}
	notPlain := map[string]map[string]string{
		"a namespace":        {"kustomization.yaml": "namespace: other\nresources: [a.yaml]\n", "a.yaml": plainAccount},
		"a prefix":           {"kustomization.yaml": "namePrefix: x-\nresources: [a.yaml]\n", "a.yaml": plainAccount},
		"a patch":            {"kustomization.yaml": "resources: [a.yaml]\npatches: [{path: p.yaml}]\n", "a.yaml": plainAccount, "p.yaml": plainAccount},
		"a local config":     {"kustomization.yaml": "resources: [a.yaml]\n", "a.yaml": plainAccount + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations: {config.kubernetes.io/local-config: \"true\"}\n"},
		"out of its root":    {"k/kustomization.yaml": "resources: [../a.yaml]\n", "a.yaml": plainAccount},
		"a remote resource":  {"kustomization.yaml": "resources: [https://example.com/a.yaml]\n"},
		"a missing resource": {"kustomization.yaml": "resources: [nowhere.yaml]\n"},
		"a component":        {"kustomization.yaml": "resources: [a.yaml]\ncomponents: [c]\n", "a.yaml": plainAccount},
		"a nested prefix":    {"kustomization.yaml": "resources: [base]\n", "base/kustomization.yaml": "namePrefix: x-\nresources: [a.yaml]\n", "base/a.yaml": plainAccount},
		"two files":          {"kustomization.yaml": "resources: [a.yaml]\n", "kustomization.yml": "resources: [a.yaml]\n", "a.yaml": plainAccount},
	}
	for name, files := range notPlain {
		t.Run("not plain: "+name, func(t *testing.T) {
			dir := writeTree(t, files)
			if name == "out of its root" {
				dir = filepath.Join(dir, "k")
			}
			if got, ok := plainResources(dir); ok {
				t.Errorf("read as plain: %v", got)
			}
		})
	}
	// The generated account through both.
	dir := t.TempDir()
	if err := fixtures.WriteGeneratedAccount(dir, "generated", fixtures.Shape{Collaborators: 90, WorkCenters: 12, Roles: 10, Assignments: 3}); err != nil {
		t.Fatal(err)
	}
	fast, err := Load(Options{Kustomizations: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	rendered, err := Load(Options{Kustomizations: []string{dir}, Render: true})
	if err != nil {
		t.Fatal(err)
	}
	names := func(s *Set) []string {
		var out []string
		for _, o := range s.Objects {
			out = append(out, o.Raw.GetKind()+"/"+o.Raw.GetNamespace()+"/"+o.Raw.GetName())
		}
		slices.Sort(out)
		return out
	}
	if !slices.Equal(names(fast), names(rendered)) {
		t.Error("the generated account reads differently through kustomize")
	}
}
