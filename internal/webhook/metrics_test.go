package webhook

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// judging is a WorkCenter validator whose model answers with the findings it holds, or
// whose account cannot be read.
func judging(findings model.Findings, unreadable bool) *Validator[*v1alpha1.WorkCenter] {
	ns := fake.NewClientBuilder().WithObjects(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "acme"}}).Build()
	// An empty cache that reads, or one whose every read fails.
	r := reader{cache: fake.NewClientBuilder().WithScheme(withTypes()).Build(), live: ns}
	if unreadable {
		r.cache = failing{}
	}
	return &Validator[*v1alpha1.WorkCenter]{reader: r, kind: "WorkCenter",
		judge: func(*model.Account, model.Request[*v1alpha1.WorkCenter]) model.Findings { return findings }}
}

// failing is a reader whose every read fails, as a cache that is not synced.
type failing struct{}

func (failing) Get(context.Context, client.ObjectKey, client.Object, ...client.GetOption) error {
	return errors.New("cache not synced")
}
func (failing) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("cache not synced")
}

// Every decision is counted once under its verdict and the rule of its findings, and
// timed under its kind and operation; the findings become the answer.
func TestAdmissionMetrics(t *testing.T) {
	ctx := context.Background()
	wc := fixtures.WorkCenter("acme", "tower")
	for _, tc := range []struct {
		verdict, operation, rule string
		v                        *Validator[*v1alpha1.WorkCenter]
		call                     func(admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error)
		warnings                 int
	}{
		{"allowed", "CREATE", "none", judging(nil, false), func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateCreate(ctx, wc)
		}, 0},
		{"warned", "DELETE", "R6", judging(model.Findings{{Rule: model.R6, Reason: v1alpha1.ReasonRoleInUse, Warning: true, Message: "held"}}, false),
			func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
				return v.ValidateDelete(ctx, wc)
			}, 1},
		{"denied", "UPDATE", "R8", judging(model.Findings{
			{Rule: model.RulePending, Warning: true, Message: "a warning first"},
			{Rule: model.R8, Reason: v1alpha1.ReasonUnknownCategory, Field: field.NewPath("spec", "category"), Value: "Nope", Message: "not in the picklist"},
		}, false), func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateUpdate(ctx, wc, wc)
		}, 1},
		// A rule named in a message is not the finding's rule: the label is the finding's.
		{"denied", "CREATE", "R9", judging(model.Findings{{Rule: model.R9, Forbidden: true, Message: `user "u (R4)" may not (R5, DuplicateEmail)`}}, false),
			func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
				return v.ValidateCreate(ctx, wc)
			}, 0},
		{"error", "CREATE", "none", judging(model.Findings{{Rule: model.R8, Message: "never judged"}}, true),
			func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
				return v.ValidateCreate(ctx, wc)
			}, 0},
	} {
		decisions := admissionDecisions.WithLabelValues("WorkCenter", tc.operation, tc.rule, tc.verdict)
		was := testutil.ToFloat64(decisions)
		timed := samples(t, tc.operation)
		w, err := tc.call(tc.v)
		if len(w) != tc.warnings || (err != nil) != (tc.verdict == "denied" || tc.verdict == "error") ||
			(tc.verdict == "error" && !apierrors.IsInternalError(err)) {
			t.Errorf("%s %s: answer %v, %v", tc.verdict, tc.rule, w, err)
		}
		if got := testutil.ToFloat64(decisions) - was; got != 1 {
			t.Errorf("%s %s: counted %v times, want once", tc.verdict, tc.rule, got)
		}
		if got := samples(t, tc.operation) - timed; got != 1 {
			t.Errorf("%s: timed %d times, want once", tc.verdict, got)
		}
	}
}

// samples is how many WorkCenter requests of operation were timed.
func samples(t *testing.T, operation string) uint64 {
	t.Helper()
	var m dto.Metric
	if err := admissionDuration.WithLabelValues("WorkCenter", operation).(prometheus.Histogram).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetHistogram().GetSampleCount()
}

// The real validators' answers are counted under the rule they enforce.
func TestAdmissionRulesOfTheValidators(t *testing.T) {
	const ns = "acme-ns"
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	acct := fixtures.Account(ns, "acme", 2, "Residential")
	acct.Finalizers = []string{v1alpha1.FinalizerAccountProtection}
	viewer := fixtures.Role(ns, "viewer")
	viewer.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
	boss := fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "boss", v1alpha1.Member))
	boss.Finalizers = []string{v1alpha1.FinalizerLastAdministrator}
	cycA, cycB := fixtures.Role(ns, "cyc-a", fixtures.Includes("cyc-b")), fixtures.Role(ns, "cyc-b")
	m1 := fixtures.Collaborator(ns, "m1", v1alpha1.Member)
	m1.CreationTimestamp = metav1.Now() // stored objects have one (R5 keeps the oldest)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, acct, fixtures.WorkCenter(ns, "tower-a"),
		fixtures.Role(ns, "planner", fixtures.Perms("tasks.create")), viewer, cycA, cycB,
		boss, m1, fixtures.Collaborator(ns, "g1", v1alpha1.Guest, "tower-a=viewer"),
	).Build()
	stored := func(o client.Object) client.Object {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	r := reader{cache: c, live: c, operators: map[string]bool{"operator": true}}
	accounts := accountValidator(r)
	workCenters := workCenterValidator(r)
	roles := roleValidator(r)
	collaborators := collaboratorValidator(r)
	ctx := admission.NewContextWithRequest(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UserInfo: authenticationv1.UserInfo{Username: "jane"}}})

	for _, tc := range []struct {
		name, kind, operation, rule, verdict string
		call                                 func() (admission.Warnings, error)
	}{
		{"a valid Guest", "Collaborator", "CREATE", "none", "allowed", func() (admission.Warnings, error) {
			return collaborators.ValidateCreate(ctx, fixtures.Collaborator(ns, "g2", v1alpha1.Guest, "tower-a=viewer"))
		}},
		{"a Guest holding a member-only role", "Collaborator", "CREATE", "R2", "denied", func() (admission.Warnings, error) {
			return collaborators.ValidateCreate(ctx, fixtures.Collaborator(ns, "gina", v1alpha1.Guest, "tower-a=planner"))
		}},
		{"a Member without a free license", "Collaborator", "CREATE", "R4", "denied", func() (admission.Warnings, error) {
			return collaborators.ValidateCreate(ctx, fixtures.Collaborator(ns, "m2", v1alpha1.Member))
		}},
		{"an email taken", "Collaborator", "CREATE", "R5", "denied", func() (admission.Warnings, error) {
			g := fixtures.Collaborator(ns, "g3", v1alpha1.Guest)
			g.Spec.Email = "m1@example.com"
			return collaborators.ValidateCreate(ctx, g)
		}},
		{"the last administrator demoted", "Collaborator", "UPDATE", "R7", "denied", func() (admission.Warnings, error) {
			old := stored(&v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boss"}}).(*v1alpha1.Collaborator)
			demoted := old.DeepCopy()
			demoted.Spec.AdminRole = v1alpha1.AdminRoleNone
			return collaborators.ValidateUpdate(ctx, old, demoted)
		}},
		{"the last administrator deleted", "Collaborator", "DELETE", "R7", "warned", func() (admission.Warnings, error) {
			return collaborators.ValidateDelete(ctx, stored(&v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "boss"}}).(*v1alpha1.Collaborator))
		}},
		{"a WorkCenter that does not exist yet", "Collaborator", "CREATE", "Pending", "warned", func() (admission.Warnings, error) {
			return collaborators.ValidateCreate(ctx, fixtures.Collaborator(ns, "g4", v1alpha1.Guest, "tower-z=viewer"))
		}},
		{"a category not in the picklist", "WorkCenter", "CREATE", "R8", "denied", func() (admission.Warnings, error) {
			return workCenters.ValidateCreate(ctx, fixtures.WorkCenter(ns, "tower-b", fixtures.Category("Nope")))
		}},
		{"a built-in role created by someone else", "WorkCenterRole", "CREATE", "R9", "denied", func() (admission.Warnings, error) {
			return roles.ValidateCreate(ctx, fixtures.Role(ns, v1alpha1.RoleContributor))
		}},
		{"a change closing a cycle", "WorkCenterRole", "UPDATE", "InclusionCycle", "denied", func() (admission.Warnings, error) {
			old := stored(&v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "cyc-b"}}).(*v1alpha1.WorkCenterRole)
			closing := old.DeepCopy()
			fixtures.Includes("cyc-a")(closing)
			return roles.ValidateUpdate(ctx, old, closing)
		}},
		{"a role held by a Guest made member-only", "WorkCenterRole", "UPDATE", "R2", "denied", func() (admission.Warnings, error) {
			old := stored(&v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer"}}).(*v1alpha1.WorkCenterRole)
			changed := old.DeepCopy()
			fixtures.Perms("tasks.create")(changed)
			return roles.ValidateUpdate(ctx, old, changed)
		}},
		{"a role in use deleted", "WorkCenterRole", "DELETE", "R6", "warned", func() (admission.Warnings, error) {
			return roles.ValidateDelete(ctx, stored(&v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "viewer"}}).(*v1alpha1.WorkCenterRole))
		}},
		{"a second Account", "Account", "CREATE", "DuplicateAccount", "warned", func() (admission.Warnings, error) {
			return accounts.ValidateCreate(ctx, fixtures.Account(ns, "other", 1))
		}},
		{"an Account in use deleted", "Account", "DELETE", "R11", "warned", func() (admission.Warnings, error) {
			return accounts.ValidateDelete(ctx, stored(&v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme"}}).(*v1alpha1.Account))
		}},
		{"an Account in use losing its finalizer", "Account", "UPDATE", "R11", "denied", func() (admission.Warnings, error) {
			old := stored(&v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme"}}).(*v1alpha1.Account)
			bare := old.DeepCopy()
			bare.Finalizers = nil
			return accounts.ValidateUpdate(ctx, old, bare)
		}},
	} {
		counter := admissionDecisions.WithLabelValues(tc.kind, tc.operation, tc.rule, tc.verdict)
		was := testutil.ToFloat64(counter)
		w, err := tc.call()
		if got := testutil.ToFloat64(counter) - was; got != 1 {
			t.Errorf("%s: workcenter_admission_decisions_total{kind=%q,operation=%q,rule=%q,verdict=%q} grew by %v, want 1; the answer was %q, %v",
				tc.name, tc.kind, tc.operation, tc.rule, tc.verdict, got, w, err)
		}
	}
}

// withTypes is a scheme of the API's kinds and Kubernetes' own.
func withTypes() *runtime.Scheme {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	return scheme
}
