package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"pgregory.net/rapid"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// specErrors are the reasons the controllers mark Stalled: the spec is wrong and will
// not fix itself.
var specErrors = []string{v1alpha1.ReasonRoleRequiresMember, v1alpha1.ReasonInclusionCycle, v1alpha1.ReasonDuplicateEmail}

// TestAdmissionAgreesWithReconciliation: on random accounts, a new Collaborator that
// the webhook admits is not then marked a spec error by the controllers' evaluation,
// and one the evaluation would mark a spec error is denied at admission.
func TestAdmissionAgreesWithReconciliation(t *testing.T) {
	const ns = "acme"
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	catalog := model.Catalog()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	ctx := admission.NewContextWithRequest(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Create, UserInfo: authenticationv1.UserInfo{Username: "alice"}}})

	rapid.Check(t, func(t *rapid.T) {
		var objs []client.Object
		acct := fixtures.Account(ns, "acme", int32(rapid.IntRange(0, 6).Draw(t, "licenses")))
		objs = append(objs, acct)
		for i := range 3 {
			wc := fixtures.WorkCenter(ns, fmt.Sprintf("wc%d", i))
			wc.Spec.Archived = rapid.Bool().Draw(t, "archived")
			objs = append(objs, wc)
		}
		for i := range 5 {
			r := fixtures.Role(ns, fmt.Sprintf("role%d", i))
			for range rapid.IntRange(0, 2).Draw(t, "includes") {
				// The CRD schema refuses a role including itself; other cycles can exist.
				if inc := fmt.Sprintf("role%d", rapid.IntRange(0, 5).Draw(t, "include")); inc != r.Name {
					r.Spec.Includes = append(r.Spec.Includes, v1alpha1.ObjectName(inc))
				}
			}
			for range rapid.IntRange(0, 3).Draw(t, "perms") {
				r.Spec.Permissions = append(r.Spec.Permissions, catalog[rapid.IntRange(0, len(catalog)-1).Draw(t, "perm")].Permission)
			}
			objs = append(objs, r)
		}
		collaborator := func(name string) *v1alpha1.Collaborator {
			typ := rapid.SampledFrom([]v1alpha1.CollaboratorType{v1alpha1.Member, v1alpha1.Guest}).Draw(t, "type")
			var assign []string
			for i := range rapid.IntRange(0, 3).Draw(t, "assignments") {
				assign = append(assign, fmt.Sprintf("wc%d=role%d", i, rapid.IntRange(0, 5).Draw(t, "role")))
			}
			c := fixtures.Collaborator(ns, name, typ, assign...)
			c.Spec.Email = fmt.Sprintf("p%d@example.com", rapid.IntRange(0, 6).Draw(t, "email"))
			return c
		}
		for i := range rapid.IntRange(0, 6).Draw(t, "collaborators") {
			c := collaborator(fmt.Sprintf("c%d", i))
			c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(i) * time.Second))
			objs = append(objs, c)
		}
		cl := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
		newcomer := collaborator("newcomer")

		_, err := collaboratorValidator(reader{cache: cl, live: cl}).ValidateCreate(ctx, newcomer.DeepCopy())

		m, buildErr := model.Build(ns)
		if buildErr != nil {
			t.Fatal(buildErr)
		}
		for _, o := range objs {
			_ = m.Set(o)
		}
		stored := newcomer.DeepCopy()
		stored.CreationTimestamp = metav1.NewTime(time.Now()) // the newest, as the API server makes it
		_ = m.Set(stored)
		var spec []string
		for _, s := range m.Evaluate(stored, "", metav1.Now()).Statuses {
			if slices.Contains(specErrors, s.Reason) {
				spec = append(spec, s.Name+": "+s.Reason)
			}
		}
		if err == nil && len(spec) > 0 {
			t.Fatalf("admitted, then marked a spec error by the controllers: %v", spec)
		}
		if err != nil && len(spec) > 0 {
			return
		}
	})
}

// specErrorsOf are the assignments in a spec error in the account, "collaborator/
// workCenter": those the controllers' evaluation marks so, and those whose spec is wrong
// already while an earlier check masks it (Pending on a missing include, a duplicate
// email): a Guest holding a role whose resolved permissions are member-only (R2), or a
// role in an include cycle. An update that unmasks such an error breaks nothing new.
func specErrorsOf(m *model.Account) []string {
	var out []string
	for _, c := range m.Collaborators() {
		e := m.Evaluate(c, "", metav1.Now())
		if e.Duplicate != nil {
			// R5 is the whole Collaborator's error, whatever its assignments.
			out = append(out, c.Name+"/*")
		}
		for _, s := range e.Statuses {
			if slices.Contains(specErrors, s.Reason) {
				out = append(out, c.Name+"/"+s.Name)
			}
		}
		for _, as := range c.Spec.WorkCenters {
			perms, err := m.Effective(string(as.Role))
			if _, cycle := err.(*model.CycleError); cycle || model.CheckRoleForGuest(c, string(as.Name), string(as.Role), perms) != nil {
				out = append(out, c.Name+"/"+string(as.Name))
			}
		}
	}
	return out
}

// TestAdmissionAgreesWithReconciliationOnUpdates: on random accounts, an update the
// webhook admits (a Collaborator's type, assignments or email; a role's includes and
// permissions) gives no collaborator a spec error it did not have before: whatever
// admission lets through, the controllers do not then mark Stalled.
func TestAdmissionAgreesWithReconciliationOnUpdates(t *testing.T) {
	const ns = "acme"
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	catalog := model.Catalog()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	ctx := admission.NewContextWithRequest(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Operation: admissionv1.Update, UserInfo: authenticationv1.UserInfo{Username: "alice"}}})

	rapid.Check(t, func(t *rapid.T) {
		var objs []client.Object
		objs = append(objs, fixtures.Account(ns, "acme", int32(rapid.IntRange(0, 6).Draw(t, "licenses"))))
		for i := range 3 {
			objs = append(objs, fixtures.WorkCenter(ns, fmt.Sprintf("wc%d", i)))
		}
		role := func(name string) *v1alpha1.WorkCenterRole {
			r := fixtures.Role(ns, name)
			for range rapid.IntRange(0, 2).Draw(t, "includes") {
				if inc := fmt.Sprintf("role%d", rapid.IntRange(0, 5).Draw(t, "include")); inc != r.Name {
					r.Spec.Includes = append(r.Spec.Includes, v1alpha1.ObjectName(inc))
				}
			}
			for range rapid.IntRange(0, 3).Draw(t, "perms") {
				r.Spec.Permissions = append(r.Spec.Permissions, catalog[rapid.IntRange(0, len(catalog)-1).Draw(t, "perm")].Permission)
			}
			return r
		}
		for i := range 5 {
			objs = append(objs, role(fmt.Sprintf("role%d", i)))
		}
		collaborator := func(name string) *v1alpha1.Collaborator {
			typ := rapid.SampledFrom([]v1alpha1.CollaboratorType{v1alpha1.Member, v1alpha1.Guest}).Draw(t, "type")
			var assign []string
			for i := range rapid.IntRange(0, 3).Draw(t, "assignments") {
				assign = append(assign, fmt.Sprintf("wc%d=role%d", i, rapid.IntRange(0, 5).Draw(t, "role")))
			}
			c := fixtures.Collaborator(ns, name, typ, assign...)
			c.Spec.Email = fmt.Sprintf("p%d@example.com", rapid.IntRange(0, 6).Draw(t, "email"))
			return c
		}
		n := rapid.IntRange(1, 6).Draw(t, "collaborators")
		for i := range n {
			c := collaborator(fmt.Sprintf("c%d", i))
			c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(i) * time.Second))
			objs = append(objs, c)
		}
		before, err := model.Build(ns)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			_ = before.Set(o)
		}
		cl := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
		r := reader{cache: cl, live: cl}

		var old, updated client.Object
		if rapid.Bool().Draw(t, "updateRole") {
			i := rapid.IntRange(0, 4).Draw(t, "which role")
			o := objs[4+i].(*v1alpha1.WorkCenterRole)
			u := role(o.Name)
			u.ObjectMeta = o.ObjectMeta
			old, updated = o, u
			_, err = roleValidator(r).ValidateUpdate(ctx, o.DeepCopy(), u.DeepCopy())
		} else {
			i := rapid.IntRange(0, n-1).Draw(t, "which collaborator")
			o := objs[9+i].(*v1alpha1.Collaborator)
			u := collaborator(o.Name)
			u.ObjectMeta = o.ObjectMeta
			old, updated = o, u
			_, err = collaboratorValidator(r).ValidateUpdate(ctx, o.DeepCopy(), u.DeepCopy())
		}
		if err != nil {
			return
		}
		after, buildErr := model.Build(ns)
		if buildErr != nil {
			t.Fatal(buildErr)
		}
		for _, o := range objs {
			if o == old {
				o = updated
			}
			_ = after.Set(o)
		}
		was := specErrorsOf(before)
		for _, e := range specErrorsOf(after) {
			who, _, _ := strings.Cut(e, "/")
			if !slices.Contains(was, e) && !slices.Contains(was, who+"/*") {
				t.Fatalf("update of %s admitted, then the controllers find a new spec error: %s (before: %v)", old.GetName(), e, was)
			}
		}
	})
}
