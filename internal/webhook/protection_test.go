package webhook

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// The mutating webhooks add the finalizer each object's controller keeps on it, and only
// that one: every AccountAdministrator (R7), every role (R6), the Account that owns its
// namespace (R11); nothing to an object being deleted.
func TestProtectionFinalizersFromCreation(t *testing.T) {
	const ns = "acme"
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	owner := fixtures.Account(ns, "acme", 3)
	owner.CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Hour))
	owner.Finalizers = []string{v1alpha1.FinalizerAccountProtection}
	withOwner := reader{cache: fake.NewClientBuilder().WithScheme(scheme).WithObjects(owner).Build()}
	empty := reader{cache: fake.NewClientBuilder().WithScheme(scheme).Build()}
	deleting := func(o client.Object) client.Object {
		now := metav1.Now()
		o.SetDeletionTimestamp(&now)
		return o
	}

	for _, tc := range []struct {
		what string
		obj  client.Object
		def  func(client.Object) error
		want string // the finalizer added, "" for none
	}{
		{"an AccountAdministrator", fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "ada", v1alpha1.Member)),
			collab, v1alpha1.FinalizerLastAdministrator},
		{"a WorkCenterAdministrator", fixtures.Admin(v1alpha1.AdminRoleWorkCenterAdministrator, fixtures.Collaborator(ns, "wes", v1alpha1.Member)),
			collab, ""},
		{"a Member", fixtures.Collaborator(ns, "mo", v1alpha1.Member), collab, ""},
		{"a Guest claiming AccountAdministrator", fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "gil", v1alpha1.Guest)),
			collab, ""},
		{"an AccountAdministrator being deleted", deleting(fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "ada", v1alpha1.Member))),
			collab, ""},
		{"a custom role", fixtures.Role(ns, "eng"), role, v1alpha1.FinalizerInUseProtection},
		{"a built-in role", fixtures.Role(ns, v1alpha1.RoleContributor), role, v1alpha1.FinalizerInUseProtection},
		{"a role being deleted", deleting(fixtures.Role(ns, "eng")), role, ""},
		{"the first Account of a namespace", fixtures.Account(ns, "acme", 3), account(empty), v1alpha1.FinalizerAccountProtection},
		{"the owning Account, updated", fixtures.Account(ns, "acme", 4), account(withOwner), v1alpha1.FinalizerAccountProtection},
		{"a second Account, which does not own the namespace", fixtures.Account(ns, "other", 1), account(withOwner), ""},
		{"an Account being deleted", deleting(fixtures.Account(ns, "acme", 3)), account(empty), ""},
	} {
		if err := tc.def(tc.obj); err != nil {
			t.Fatalf("%s: %v", tc.what, err)
		}
		var want []string
		if tc.want != "" {
			want = []string{tc.want}
		}
		if got := tc.obj.GetFinalizers(); len(got) != len(want) || (len(want) == 1 && !controllerutil.ContainsFinalizer(tc.obj, tc.want)) {
			t.Errorf("%s: finalizers %v, want %v", tc.what, got, want)
		}
	}
}

func collab(o client.Object) error {
	return CollaboratorProtection{}.Default(context.Background(), o.(*v1alpha1.Collaborator))
}

func role(o client.Object) error {
	return RoleProtection{}.Default(context.Background(), o.(*v1alpha1.WorkCenterRole))
}

func account(r reader) func(client.Object) error {
	return func(o client.Object) error {
		return AccountProtection{reader: r}.Default(context.Background(), o.(*v1alpha1.Account))
	}
}

// On an update, the finalizer is added only when the stored object lacks it: an update
// that removes it is left to validation, which refuses it while the object is in use
// and says why.
func TestProtectionOnUpdate(t *testing.T) {
	const ns = "acme"
	updateOf := func(old client.Object) context.Context {
		raw, err := json.Marshal(old)
		if err != nil {
			t.Fatal(err)
		}
		return admission.NewContextWithRequest(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
			Operation: admissionv1.Update, OldObject: runtime.RawExtension{Raw: raw}}})
	}
	stored := fixtures.Role(ns, "eng")
	stored.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
	stripped := fixtures.Role(ns, "eng")
	if err := (RoleProtection{}).Default(updateOf(stored), stripped); err != nil {
		t.Fatal(err)
	}
	if len(stripped.Finalizers) != 0 {
		t.Errorf("an update removing the finalizer had it put back: %v", stripped.Finalizers)
	}
	member := fixtures.Collaborator(ns, "mo", v1alpha1.Member)
	promoted := fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "mo", v1alpha1.Member))
	if err := (CollaboratorProtection{}).Default(updateOf(member), promoted); err != nil {
		t.Fatal(err)
	}
	if !controllerutil.ContainsFinalizer(promoted, v1alpha1.FinalizerLastAdministrator) {
		t.Errorf("a Member promoted to AccountAdministrator got no finalizer: %v", promoted.Finalizers)
	}
}
