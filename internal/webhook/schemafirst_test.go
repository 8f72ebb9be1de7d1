package webhook

import (
	"context"
	"encoding/json"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/schema"
)

// FuzzSchemaFirst: a spec that does not decode into its Go type is let through by the
// mutating webhooks unchanged (schemaFirst), and the CRD's schema, which the API server
// checks next, refuses it: no such object is ever stored, so none is stored without the
// protection finalizer the webhook would have given it.
func FuzzSchemaFirst(f *testing.F) {
	scheme := runtime.NewScheme()
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	crds, err := schema.New()
	if err != nil {
		f.Fatal(err)
	}
	kinds := []struct {
		kind string
		hook *admission.Webhook
		new  func() runtime.Object
	}{
		{"Account", defaulter(scheme, &v1alpha1.Account{}, AccountProtection{}), func() runtime.Object { return &v1alpha1.Account{} }},
		{"WorkCenterRole", defaulter(scheme, &v1alpha1.WorkCenterRole{}, RoleProtection{}), func() runtime.Object { return &v1alpha1.WorkCenterRole{} }},
		{"Collaborator", defaulter(scheme, &v1alpha1.Collaborator{}, CollaboratorProtection{}), func() runtime.Object { return &v1alpha1.Collaborator{} }},
		{"WorkCenter", nil, func() runtime.Object { return &v1alpha1.WorkCenter{} }},
	}
	for _, seed := range []struct {
		kind uint8
		spec string
	}{
		{0, `{"displayName":"A","licenses":"ten"}`}, {0, `{"displayName":"A","licenses":1e10}`}, {0, `{"displayName":"A","licenses":1.5}`},
		{0, `{"displayName":"A","licenses":2147483648}`}, {0, `{"displayName":"A","licenses":1.0}`}, {0, `{"displayName":"A","picklists":[]}`},
		{0, `{"displayName":"A","licenses":3,"state":"Active"}`},
		{1, `{"permissions":"files.upload"}`}, {1, `{"includes":{"a":1}}`}, {1, `{"levels":{"files":5}}`},
		{1, `{"levels":{"files":"Standard"},"includes":["contributor"]}`}, {1, `{"notifications":{"fileUploaded":"yes"}}`},
		{2, `{"email":"a@example.com","workCenters":"x"}`}, {2, `{"email":5}`}, {2, `{"email":"a@example.com","type":"Member","adminRole":5}`},
		{2, `{"email":"a@example.com","workCenters":[{"name":"a","role":"b","extra":1}]}`}, {2, `{"email":null}`},
		{3, `{"displayName":"W","archived":"yes"}`}, {3, `{"displayName":"W","category":7}`},
		{2, `"x"`}, {1, `[]`}, {0, `null`}, {3, `{}`},
	} {
		f.Add(seed.kind, []byte(seed.spec))
	}
	decoder := admission.NewDecoder(scheme)
	f.Fuzz(func(t *testing.T, which uint8, spec []byte) {
		k := kinds[int(which)%len(kinds)]
		var specValue any
		if json.Unmarshal(spec, &specValue) != nil {
			return // not JSON: the API server refuses the request body before anything else
		}
		obj := map[string]any{"apiVersion": v1alpha1.GroupVersion.String(), "kind": k.kind,
			"metadata": map[string]any{"name": "x", "namespace": "acme"}, "spec": specValue}
		raw, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		decodeErr := decoder.DecodeRaw(runtime.RawExtension{Raw: raw}, k.new())
		if decodeErr == nil {
			return
		}
		if _, errs := crds.Validate(&unstructured.Unstructured{Object: obj}); len(errs) == 0 {
			t.Fatalf("%s with spec %s does not decode (%v), but the schema accepts it: it would be stored without the webhook's finalizer", k.kind, spec, decodeErr)
		}
		if k.hook == nil {
			return
		}
		resp := k.hook.Handle(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}}})
		if !resp.Allowed || len(resp.Patches) > 0 {
			t.Fatalf("%s with spec %s: the mutating webhook answered allowed=%v with %d patches (%v), want it let through unchanged for the schema to judge",
				k.kind, spec, resp.Allowed, len(resp.Patches), resp.Result)
		}
	})
}
