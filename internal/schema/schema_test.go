package schema

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	crdcases "github.com/workcenter-io/workcenter-operator/test/crd"
)

type obj = crdcases.Obj
type arr = crdcases.Arr

var (
	newObject = crdcases.NewObject
	with      = crdcases.With
)

// blockedMessage is the server's error when an OpenAPI error keeps the CEL rules from
// running.
const blockedMessage = "some validation rules were not checked because the object was invalid"

func newValidator(t testing.TB) *Validator {
	t.Helper()
	v, err := New()
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// causes renders errs as the API server renders the causes of a 422, one string each.
func causes(errs field.ErrorList) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func TestKinds(t *testing.T) {
	v := newValidator(t)
	var got []string
	for _, gvk := range v.Kinds() {
		got = append(got, gvk.Kind+"."+gvk.Group+"/"+gvk.Version)
		if !v.Knows(gvk) {
			t.Errorf("Knows(%v) = false for a kind of Kinds()", gvk)
		}
	}
	want := []string{
		"Account.access.workcenter.io/v1alpha1",
		"Collaborator.access.workcenter.io/v1alpha1",
		"WorkCenter.access.workcenter.io/v1alpha1",
		"WorkCenterRole.access.workcenter.io/v1alpha1",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	if v.Knows(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}) {
		t.Error("Knows(Namespace) = true")
	}
}

func TestNewFromFS(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"no CRD":           {},
		"not YAML":         {"a.yaml": {Data: []byte("{")}},
		"an unknown field": {"a.yaml": {Data: []byte("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspek: {}\n")}},
		"not a CRD":        {"a.yaml": {Data: []byte("apiVersion: v1\nkind: ConfigMap\n")}},
	} {
		if _, err := NewFromFS(fsys); err == nil {
			t.Errorf("%s: NewFromFS succeeded", name)
		}
	}
}

// samples decodes every object of config/samples.
func samples(t testing.TB) []*unstructured.Unstructured {
	t.Helper()
	dir := filepath.Join("..", "..", "config", "samples")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no samples in %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, name := range files {
		if filepath.Base(name) == "kustomization.yaml" {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(u.Object) > 0 {
				objs = append(objs, u)
			}
		}
		_ = f.Close()
	}
	return objs
}

func TestSamplesValidate(t *testing.T) {
	v := newValidator(t)
	kinds := map[string]int{}
	for _, u := range samples(t) {
		if !v.Knows(u.GroupVersionKind()) {
			if u.GetKind() != "Namespace" {
				t.Errorf("a sample of unknown kind %s", u.GroupVersionKind())
			}
			continue
		}
		kinds[u.GetKind()]++
		if _, errs := v.Validate(u); len(errs) > 0 {
			t.Errorf("%s %s: %v", u.GetKind(), u.GetName(), causes(errs))
		}
	}
	if len(kinds) != 4 {
		t.Errorf("samples of %v, want all four kinds", kinds)
	}
}

// TestRejectionCases runs the CRD suite's cases (test/crd, where the apiserver decides
// them too): the valid variant passes, the invalid one fails with the same message.
func TestRejectionCases(t *testing.T) {
	v := newValidator(t)
	for _, c := range crdcases.RejectionCases {
		t.Run(c.Name, func(t *testing.T) {
			if _, errs := v.Validate(c.ValidObject("acme")); len(errs) > 0 {
				t.Errorf("valid variant rejected: %v", causes(errs))
			}
			_, errs := v.Validate(c.InvalidObject("acme"))
			if len(errs) == 0 {
				t.Fatal("invalid variant accepted")
			}
			if got := errs.ToAggregate().Error(); !strings.Contains(got, c.Message) {
				t.Errorf("got %q, want it to contain %q", got, c.Message)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	v := newValidator(t)
	tests := map[string]struct {
		obj  *unstructured.Unstructured
		want []string // every cause, in order
	}{
		"the first invalid permission of a role names its index": {
			obj: newObject("WorkCenterRole", "r", "acme", with(crdcases.RoleSpec,
				"permissions", crdcases.Strs("tasks.create", "files.copy", "files.burn"))),
			want: []string{
				`spec.permissions[2]: Unsupported value: "files.burn": supported values: ` + permissionValues,
				"<nil>: Invalid value: null: " + blockedMessage + "; correct the existing errors to complete validation",
			},
		},
		"an enum error keeps the CEL rules from running": {
			obj: newObject("Collaborator", "c", "acme", with(crdcases.CollaboratorSpec,
				"type", "Contractor", "adminRole", "AccountAdministrator")),
			want: []string{
				`spec.type: Unsupported value: "Contractor": supported values: "Member", "Guest"`,
				"<nil>: Invalid value: null: " + blockedMessage + "; correct the existing errors to complete validation",
			},
		},
		"a pattern error does not block them": {
			obj: newObject("Collaborator", "c", "acme", with(crdcases.CollaboratorSpec,
				"adminRole", "AccountAdministrator",
				"workCenters", arr{obj{"name": "Tower A", "role": "workcenter-owner"}})),
			want: []string{
				`spec.workCenters[0].name: Invalid value: "Tower A": spec.workCenters[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
				"spec: Invalid value: adminRole other than None requires type: Member (guests cannot be administrators)",
				"spec: Invalid value: a Guest cannot hold the workcenter-owner role: it has member-only permissions; make the collaborator a Member first",
			},
		},
		"a kind without CEL rules has no blocked rules to report": {
			obj:  newObject("WorkCenter", "w", "acme", obj{"category": "Residential"}),
			want: []string{"spec.displayName: Required value"},
		},
		"a null required field is dropped, then missing": {
			obj:  newObject("WorkCenter", "w", "acme", obj{"displayName": nil}),
			want: []string{"spec.displayName: Required value"},
		},
		"a fraction for an integer": {
			obj: newObject("Account", "a", "acme", with(crdcases.AccountSpec, "licenses", 2.5)),
			want: []string{
				`spec.licenses: Invalid value: "float64": spec.licenses in body must be of type int32: "float64"`,
				`<nil>: Invalid value: "": Checked value must be of type integer with format int32 in spec.licenses`,
				"<nil>: Invalid value: null: " + blockedMessage + "; correct the existing errors to complete validation",
			},
		},
		"a role including itself, by its metadata.name": {
			obj:  newObject("WorkCenterRole", "loop", "acme", with(crdcases.RoleSpec, "includes", crdcases.Strs("contributor", "loop"))),
			want: []string{"<nil>: Invalid value: a role cannot include itself"},
		},
		"a name that is not a DNS subdomain": {
			obj: newObject("WorkCenter", "Tower_A", "acme", crdcases.WorkCenterSpec),
			want: []string{`metadata.name: Invalid value: "Tower_A": a lowercase RFC 1123 subdomain must consist of lower case ` +
				`alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character ` +
				`(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`},
		},
		"a name longer than 253": {
			obj:  newObject("WorkCenter", strings.Repeat("a", 254), "acme", crdcases.WorkCenterSpec),
			want: []string{`metadata.name: Invalid value: "` + strings.Repeat("a", 254) + `": must be no more than 253 characters`},
		},
		"neither name nor generateName": {
			obj:  newObject("WorkCenter", "", "acme", crdcases.WorkCenterSpec),
			want: []string{"metadata.name: Required value: name or generateName is required"},
		},
		"an unknown kind": {
			obj:  &unstructured.Unstructured{Object: obj{"apiVersion": "access.workcenter.io/v1alpha1", "kind": "Site"}},
			want: []string{`kind: Invalid value: "Site": no matches for kind "Site" in version "access.workcenter.io/v1alpha1"`},
		},
		"a known kind in an unknown version": {
			obj:  &unstructured.Unstructured{Object: obj{"apiVersion": "access.workcenter.io/v1", "kind": "WorkCenter"}},
			want: []string{`apiVersion: Invalid value: "access.workcenter.io/v1": no matches for kind "WorkCenter" in version "access.workcenter.io/v1"`},
		},
		"no kind": {
			obj:  &unstructured.Unstructured{Object: obj{"apiVersion": "access.workcenter.io/v1alpha1"}},
			want: []string{"kind: Required value"},
		},
		"no apiVersion": {
			obj:  &unstructured.Unstructured{Object: obj{"kind": "WorkCenter"}},
			want: []string{"apiVersion: Required value"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, errs := v.Validate(tc.obj)
			got := causes(errs)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

// permissionValues is the Permission enum as the server lists it.
const permissionValues = `"workCenter.view", "workCenter.editSettings", "files.download", "files.upload", ` +
	`"files.update", "files.delete", "files.restoreVersion", "fileComments.create", "fileComments.delete", ` +
	`"files.move", "files.copy", "folders.create", "folders.rename", "folders.delete", "posts.create", ` +
	`"posts.edit", "posts.delete", "tasks.delete", "taskComments.create", "taskComments.delete", ` +
	`"tasks.create", "tasks.update", "tasks.manageAssignees", "tasks.manageApprovers", ` +
	`"collaborators.addGuests", "collaborators.remove", "collaborators.changeRole"`

func TestUnknownFields(t *testing.T) {
	v := newValidator(t)
	u := newObject("Collaborator", "c", "acme", with(crdcases.CollaboratorSpec,
		"colour", "red", "email", "nobody",
		"workCenters", arr{obj{"name": "tower-a", "role": "workcenter-owner", "since": "2024"}}))
	// Not a type of the CRD: written as a map, it reaches the decoder as one.
	u.Object["metadata"].(obj)["colour"] = "blue"
	// A status field the status schema does not declare: also unknown on the server, which
	// decodes before it drops the status.
	u.Object["status"] = obj{"mood": "good"}

	out, errs := v.Validate(u)
	var unknown, other []string
	for _, e := range errs {
		if IsUnknownField(e) {
			unknown = append(unknown, e.Field)
		} else {
			other = append(other, e.Error())
		}
	}
	wantUnknown := "metadata.colour spec.colour spec.workCenters[0].since status.mood"
	if strings.Join(unknown, " ") != wantUnknown {
		t.Errorf("unknown fields %v, want %s", unknown, wantUnknown)
	}
	// The rest is still checked, on the pruned object, and is not an unknown field.
	if len(other) != 2 || !strings.Contains(other[0], "a Guest cannot hold the workcenter-owner role") ||
		!strings.Contains(other[1], "email must be an address") {
		t.Errorf("other problems %v, want the workcenter-owner and email rules", other)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(out.Object, "spec", "colour"); found {
		t.Error("spec.colour not pruned from the object returned")
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(out.Object, "metadata", "colour"); found {
		t.Error("metadata.colour not pruned from the object returned")
	}
	items, _, _ := unstructured.NestedSlice(out.Object, "spec", "workCenters")
	if len(items) != 1 || len(items[0].(obj)) != 2 {
		t.Errorf("spec.workCenters = %v, want one item with name and role only", items)
	}
	if IsUnknownField(field.Forbidden(field.NewPath("spec"), "something else")) || IsUnknownField(nil) {
		t.Error("IsUnknownField is true for another error")
	}
}

func TestDefaults(t *testing.T) {
	v := newValidator(t)
	allOn := obj{}
	for _, o := range []string{"fileUploaded", "filesFoldersDeleted", "fileVersionRestored", "fileCommentAdded",
		"filesFoldersCopiedMoved", "postCreated", "postUpdated", "postDeleted", "collaboratorRemoved"} {
		allOn[o] = true
	}
	mostlyOn := runtime.DeepCopyJSON(allOn)
	mostlyOn["postDeleted"] = false

	tests := map[string]struct {
		obj  *unstructured.Unstructured
		want obj // the spec returned
	}{
		"an Account: Active, no licenses": {
			obj:  newObject("Account", "a", "acme", crdcases.AccountSpec),
			want: with(crdcases.AccountSpec, "state", "Active", "licenses", int64(0)),
		},
		"an Account keeps its state and licenses": {
			obj:  newObject("Account", "a", "acme", with(crdcases.AccountSpec, "state", "Deactivated", "licenses", int64(25))),
			want: with(crdcases.AccountSpec, "state", "Deactivated", "licenses", int64(25)),
		},
		"a Collaborator: a Guest, no admin role": {
			obj:  newObject("Collaborator", "c", "acme", crdcases.CollaboratorSpec),
			want: with(crdcases.CollaboratorSpec, "type", "Guest", "adminRole", "None"),
		},
		"a null type and adminRole take the defaults": {
			obj:  newObject("Collaborator", "c", "acme", with(crdcases.CollaboratorSpec, "type", nil, "adminRole", nil)),
			want: with(crdcases.CollaboratorSpec, "type", "Guest", "adminRole", "None"),
		},
		"a Collaborator keeps its type and adminRole": {
			obj:  newObject("Collaborator", "c", "acme", with(crdcases.CollaboratorSpec, "type", "Member", "adminRole", "UserAdministrator")),
			want: with(crdcases.CollaboratorSpec, "type", "Member", "adminRole", "UserAdministrator"),
		},
		"a role without emailNotifications: every email on": {
			obj:  newObject("WorkCenterRole", "r", "acme", crdcases.RoleSpec),
			want: with(crdcases.RoleSpec, "emailNotifications", allOn),
		},
		"empty emailNotifications: every email on": {
			obj:  newObject("WorkCenterRole", "r", "acme", with(crdcases.RoleSpec, "emailNotifications", obj{})),
			want: with(crdcases.RoleSpec, "emailNotifications", allOn),
		},
		"an explicit false is kept": {
			obj:  newObject("WorkCenterRole", "r", "acme", with(crdcases.RoleSpec, "emailNotifications", obj{"postDeleted": false})),
			want: with(crdcases.RoleSpec, "emailNotifications", mostlyOn),
		},
		"a WorkCenter has no defaults": {
			obj:  newObject("WorkCenter", "w", "acme", crdcases.WorkCenterSpec),
			want: crdcases.WorkCenterSpec,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := tc.obj.DeepCopy()
			out, errs := v.Validate(tc.obj)
			if len(errs) > 0 {
				t.Fatalf("problems: %v", causes(errs))
			}
			if got := out.Object["spec"]; !equalJSON(got, tc.want) {
				t.Errorf("spec = %v, want %v", got, tc.want)
			}
			if !equalJSON(tc.obj.Object, in.Object) {
				t.Errorf("Validate modified its argument: %v", tc.obj.Object)
			}
		})
	}
}

// equalJSON compares a and b as JSON documents (map keys sorted, numbers as written).
func equalJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

func TestPreparedForCreate(t *testing.T) {
	v := newValidator(t)
	u := newObject("Account", "", "", crdcases.AccountSpec)
	u.SetGenerateName("acme-")
	u.SetUID("0b5bd7b2-3c1d-4d6e-9a1f-2f0e6f8c9d10")
	u.SetGeneration(7)
	u.Object["status"] = obj{"observedGeneration": int64(7)}

	out, errs := v.Validate(u)
	if len(errs) > 0 {
		t.Fatalf("problems: %v", causes(errs))
	}
	if out.GetName() != "" || out.GetGenerateName() != "acme-" {
		t.Errorf("name %q, generateName %q: want the generateName kept, no name", out.GetName(), out.GetGenerateName())
	}
	if out.GetNamespace() != "" {
		t.Errorf("namespace %q, want none: the default namespace is only for the checks", out.GetNamespace())
	}
	if out.GetUID() != "" || out.GetGeneration() != 1 {
		t.Errorf("uid %q, generation %d: want no uid and generation 1", out.GetUID(), out.GetGeneration())
	}
	if _, found := out.Object["status"]; found {
		t.Error("status kept on create")
	}
}

func TestConcurrentUse(t *testing.T) {
	v := newValidator(t)
	objs := samples(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for _, u := range objs {
				if !v.Knows(u.GroupVersionKind()) {
					continue
				}
				if _, errs := v.Validate(u); len(errs) > 0 {
					t.Errorf("%s: %v", u.GetName(), causes(errs))
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkValidate measures one Validate of a typical Collaborator (a Member with two
// assignments) and of a typical WorkCenterRole (includes, levels, permissions).
func BenchmarkValidate(b *testing.B) {
	v := newValidator(b)
	for name, u := range map[string]*unstructured.Unstructured{
		"Collaborator": newObject("Collaborator", "priya-shah", "acme", obj{
			"email": "priya.shah@acme-builders.example", "displayName": "Priya Shah", "type": "Member",
			"workCenters": arr{
				obj{"name": "riverside-tower-a", "role": "workcenter-owner"},
				obj{"name": "harbor-bridge", "role": "site-engineer"},
			},
		}),
		"WorkCenterRole": newObject("WorkCenterRole", "site-engineer", "acme", obj{
			"displayName": "Site Engineer",
			"description": "Engineers on site; contributor rights plus folders and task management.",
			"includes":    crdcases.Strs("contributor"),
			"levels": obj{"files": "Standard", "folders": "Standard", "posts": "Standard", "tasks": "Standard",
				"collaborators": "None", "workCenter": "None"},
			"permissions": crdcases.Strs("tasks.create", "tasks.update", "tasks.manageAssignees"),
		}),
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, errs := v.Validate(u); len(errs) > 0 {
					b.Fatal(causes(errs))
				}
			}
		})
	}
}

// TestFieldNames: the fields the schema declares at a path, what an unknown field there
// could have meant.
func TestFieldNames(t *testing.T) {
	v := newValidator(t)
	gvk := schema.GroupVersionKind{Group: "access.workcenter.io", Version: "v1alpha1", Kind: "Collaborator"}
	for path, want := range map[string]string{
		"spec":                "adminRole email workCenters",
		"spec.workCenters[0]": "name role",
		"metadata":            "annotations labels name namespace",
		"":                    "apiVersion kind metadata spec status",
	} {
		got := strings.Join(v.FieldNames(gvk, path), " ")
		for _, name := range strings.Fields(want) {
			if !strings.Contains(" "+got+" ", " "+name+" ") {
				t.Errorf("FieldNames(%q) = %s; lacks %s", path, got, name)
			}
		}
	}
	if got := v.FieldNames(gvk, "spec.email"); len(got) != 0 {
		t.Errorf("a string has fields: %v", got)
	}
	if got := v.FieldNames(schema.GroupVersionKind{Kind: "Nothing"}, "spec"); got != nil {
		t.Errorf("an unknown kind has fields: %v", got)
	}
}
