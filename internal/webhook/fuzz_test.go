package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// fuzzHandlers are every admission handler the manager serves, as the webhook server
// serves them (raw AdmissionReview bytes in, an AdmissionReview out), over a small
// account, with panics not recovered so that the fuzzer sees them.
func fuzzHandlers(t testing.TB) []http.Handler {
	const ns = "acme"
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	objs := []client.Object{
		fixtures.Account(ns, "acme", 2, "Residential"),
		fixtures.WorkCenter(ns, "tower"),
		fixtures.Role(ns, "eng", fixtures.Includes("base")), fixtures.Role(ns, "base", fixtures.Perms(string(model.WorkCenterEditSettings))),
		fixtures.Role(ns, "loop-a", fixtures.Includes("loop-b")), fixtures.Role(ns, "loop-b", fixtures.Includes("loop-a")),
		fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "ada", v1alpha1.Member, "tower=eng")),
		fixtures.Collaborator(ns, "gus", v1alpha1.Guest, "tower=base"),
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	r := reader{cache: c, live: c, operators: map[string]bool{"operator": true}}
	hooks := []*admission.Webhook{
		admission.WithValidator(scheme, accountValidator(r)),
		admission.WithValidator(scheme, workCenterValidator(r)),
		admission.WithValidator(scheme, roleValidator(r)),
		admission.WithValidator(scheme, collaboratorValidator(r)),
		defaulter(scheme, &v1alpha1.Account{}, AccountProtection{reader: r}),
		defaulter(scheme, &v1alpha1.WorkCenterRole{}, RoleProtection{}),
		defaulter(scheme, &v1alpha1.Collaborator{}, CollaboratorProtection{}),
	}
	out := make([]http.Handler, len(hooks))
	for i, h := range hooks {
		out[i] = h.WithRecoverPanic(false)
	}
	return out
}

// review is an AdmissionReview of op on obj (old for updates), as the API server sends it.
func review(op admissionv1.Operation, kind, resource string, obj, old any) []byte {
	raw := func(o any) runtime.RawExtension {
		if o == nil {
			return runtime.RawExtension{}
		}
		b, _ := json.Marshal(o)
		return runtime.RawExtension{Raw: b}
	}
	ar := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID:       "fuzz",
			Kind:      metav1.GroupVersionKind{Group: v1alpha1.GroupVersion.Group, Version: v1alpha1.GroupVersion.Version, Kind: kind},
			Resource:  metav1.GroupVersionResource{Group: v1alpha1.GroupVersion.Group, Version: v1alpha1.GroupVersion.Version, Resource: resource},
			Namespace: "acme", Operation: op, UserInfo: authenticationv1.UserInfo{Username: "alice"},
			Object: raw(obj), OldObject: raw(old),
		},
	}
	b, _ := json.Marshal(ar)
	return b
}

// FuzzAdmissionReview feeds raw bytes to every admission handler: none may panic, and
// every answer is a well-formed AdmissionReview whose denial carries a message.
func FuzzAdmissionReview(f *testing.F) {
	const ns = "acme"
	guest := fixtures.Collaborator(ns, "gil", v1alpha1.Guest, "tower=eng", "tower=loop-a", "annex=none")
	admin := fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "ada", v1alpha1.Member, "tower=eng"))
	demoted := admin.DeepCopy()
	demoted.Spec.AdminRole = v1alpha1.AdminRoleNone
	role := fixtures.Role(ns, "base", fixtures.Includes("eng"))
	wc := fixtures.WorkCenter(ns, "annex", fixtures.Category("Unknown"))
	acct := fixtures.Account(ns, "acme", 0)
	seeds := [][]byte{
		review(admissionv1.Create, "Collaborator", "collaborators", guest, nil),
		review(admissionv1.Update, "Collaborator", "collaborators", demoted, admin),
		review(admissionv1.Delete, "Collaborator", "collaborators", nil, admin),
		review(admissionv1.Create, "WorkCenterRole", "workcenterroles", role, nil),
		review(admissionv1.Create, "WorkCenter", "workcenters", wc, nil),
		review(admissionv1.Update, "Account", "accounts", acct, fixtures.Account(ns, "acme", 2)),
		review(admissionv1.Create, "Collaborator", "collaborators", map[string]any{"spec": map[string]any{"workCenters": "not a list"}}, nil),
		[]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","operation":"UPDATE","object":{"metadata":{"name":"x"}},"oldObject":null}}`),
		[]byte(`{}`), []byte(`not json`), {},
	}
	n := len(fuzzHandlers(f))
	for _, s := range seeds {
		for h := range n {
			f.Add(uint8(h), s)
		}
	}
	handlers := fuzzHandlers(f)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		h := handlers[int(which)%len(handlers)]
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil {
			t.Fatalf("handler %d answered %q to %q: not an AdmissionReview (%v)", which, rec.Body.String(), body, err)
		}
		if r := out.Response; !r.Allowed && (r.Result == nil || r.Result.Message == "") {
			t.Fatalf("handler %d denied %q with no message: %s", which, body, rec.Body.String())
		}
	})
}

// FuzzEffective resolves random include graphs: never a panic; a role that resolves
// holds workCenter.view and everything each role it includes holds; a cycle reported is
// a cycle of the graph.
func FuzzEffective(f *testing.F) {
	f.Add([]byte{0x12, 0x23, 0x31}, []byte{1, 2, 3})
	f.Add([]byte{0x01, 0x12, 0x20, 0x34}, []byte{0, 40, 7})
	f.Add([]byte{}, []byte{})
	catalog := model.Catalog()
	f.Fuzz(func(t *testing.T, edges, perms []byte) {
		roles := model.Roles{}
		name := func(b byte) string { return fmt.Sprintf("r%d", b%6) }
		for i := range 6 {
			roles[name(byte(i))] = fixtures.Role("acme", name(byte(i)))
		}
		for _, e := range edges {
			from, to := name(e>>4), name(e&0x0f)
			if from != to && to != "r5" { // r5 stays missing half the time
				roles[from].Spec.Includes = append(roles[from].Spec.Includes, v1alpha1.ObjectName(to))
			}
		}
		for i, p := range perms {
			r := roles[name(byte(i))]
			r.Spec.Permissions = append(r.Spec.Permissions, catalog[int(p)%len(catalog)].Permission)
		}
		if len(perms)%2 == 1 {
			delete(roles, "r5")
		}
		for n, r := range roles {
			set, err := roles.Effective(n)
			switch e := err.(type) {
			case nil:
				if !set.Has(model.WorkCenterView) {
					t.Fatalf("%s resolves without workCenter.view", n)
				}
				for _, inc := range r.Spec.Includes {
					sub, err := roles.Effective(string(inc))
					if err != nil {
						t.Fatalf("%s resolves but its include %s does not: %v", n, inc, err)
					}
					for p := range sub {
						if !set.Has(p) {
							t.Fatalf("%s lacks %s of its include %s", n, p, inc)
						}
					}
				}
			case *model.CycleError:
				c := e.Cycle
				if len(c) < 3 || c[0] != c[len(c)-1] {
					t.Fatalf("%s: malformed cycle %v", n, c)
				}
				for i := 0; i+1 < len(c); i++ {
					from := roles[c[i]]
					if from == nil || !containsName(from.Spec.Includes, c[i+1]) {
						t.Fatalf("%s: cycle %v has no edge %s -> %s", n, c, c[i], c[i+1])
					}
				}
			case *model.RoleNotFoundError:
				if _, ok := roles[e.Missing()]; ok {
					t.Fatalf("%s: reported missing %s, which exists", n, e.Missing())
				}
			default:
				t.Fatalf("%s: unexpected error %v", n, err)
			}
		}
	})
}

func containsName(names []v1alpha1.ObjectName, n string) bool {
	for _, x := range names {
		if string(x) == n {
			return true
		}
	}
	return false
}
