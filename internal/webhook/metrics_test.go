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
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// answers is a validator that gives the answer it holds.
type answers struct {
	w   admission.Warnings
	err error
}

func (a answers) ValidateCreate(context.Context, *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return a.w, a.err
}
func (a answers) ValidateUpdate(context.Context, *v1alpha1.WorkCenter, *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return a.w, a.err
}
func (a answers) ValidateDelete(context.Context, *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return a.w, a.err
}

// Every decision is counted once under its verdict, and timed under its kind and
// operation; the answer passes through unchanged.
func TestAdmissionMetrics(t *testing.T) {
	ctx := context.Background()
	gr := schema.GroupResource{Group: v1alpha1.GroupVersion.Group, Resource: "workcenters"}
	for _, tc := range []struct {
		verdict, operation, rule string
		answer                   answers
		call                     func(admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error)
	}{
		{"allowed", "CREATE", "none", answers{}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateCreate(ctx, &v1alpha1.WorkCenter{})
		}},
		{"warned", "DELETE", "R6", answers{w: admission.Warnings{"held (finalizer x, DeletionBlocked RoleInUse)"}}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateDelete(ctx, &v1alpha1.WorkCenter{})
		}},
		{"denied", "UPDATE", "R8", answers{err: apierrors.NewInvalid(schema.GroupKind{Group: gr.Group, Kind: "WorkCenter"}, "tower",
			field.ErrorList{field.Invalid(field.NewPath("spec", "category"), "Nope", "not in the picklist (R8, UnknownCategory)")})}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateUpdate(ctx, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenter{})
		}},
		{"error", "CREATE", "none", answers{err: apierrors.NewInternalError(errors.New("cache not synced"))}, func(v admission.Validator[*v1alpha1.WorkCenter]) (admission.Warnings, error) {
			return v.ValidateCreate(ctx, &v1alpha1.WorkCenter{})
		}},
	} {
		decisions := admissionDecisions.WithLabelValues("WorkCenter", tc.operation, tc.rule, tc.verdict)
		was := testutil.ToFloat64(decisions)
		timed := samples(t, tc.operation)
		w, err := tc.call(observed[*v1alpha1.WorkCenter](tc.answer))
		if len(w) != len(tc.answer.w) || err != tc.answer.err {
			t.Errorf("%s: the answer changed: %v, %v", tc.verdict, w, err)
		}
		if got := testutil.ToFloat64(decisions) - was; got != 1 {
			t.Errorf("%s: counted %v times, want once", tc.verdict, got)
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

// ruleOf reads the rule from the answer, and takes no value outside its bounded set
// whatever names and emails the messages carry.
func TestRuleOf(t *testing.T) {
	gk := schema.GroupKind{Group: v1alpha1.GroupVersion.Group, Kind: "Collaborator"}
	denied := func(details ...string) error {
		var errs field.ErrorList
		for _, d := range details {
			errs = append(errs, field.Forbidden(field.NewPath("spec"), d))
		}
		return apierrors.NewInvalid(gk, "x", errs)
	}
	for name, tc := range map[string]struct {
		verdict string
		w       admission.Warnings
		err     error
		want    string
	}{
		"allowed":                    {"allowed", nil, nil, "none"},
		"error":                      {"error", nil, apierrors.NewInternalError(errors.New("cache")), "none"},
		"a rule and reason suffix":   {"denied", nil, denied(`Guest "g" cannot hold role "p" (R2, RoleRequiresMember)`), "R2"},
		"the first field's rule":     {"denied", nil, denied("no license (R4, LicenseLimitExceeded)", "same email (R5, DuplicateEmail)"), "R4"},
		"R10 is not R1":              {"denied", nil, denied("role is being deleted (R10, RoleTerminating)"), "R10"},
		"a reason alone":             {"denied", nil, denied("this change closes it: remove one of those includes (InclusionCycle)"), "InclusionCycle"},
		"a rule inside a message":    {"denied", nil, apierrors.NewForbidden(groupResource("workcenterroles"), "contributor", errors.New(`built in: only the operator may edit it (R9); user "u (R4)" can create one`)), "R9"},
		"a plain error":              {"denied", nil, errors.New("something (R11, AccountInUse)"), "R11"},
		"an email in the value":      {"denied", nil, apierrors.NewInvalid(gk, "x", field.ErrorList{field.Invalid(field.NewPath("spec", "email"), "(R3)@x", "taken (R5, DuplicateEmail)")}), "R5"},
		"no rule":                    {"denied", nil, denied("R12 (R12, Made)", "(Whatever)"), "other"},
		"a pending reference":        {"warned", admission.Warnings{`WorkCenter "w" does not exist yet; the assignment waits (Pending) until it appears`}, nil, "Pending"},
		"no Account yet":             {"warned", admission.Warnings{`namespace "n" has no Account yet; Collaborator "c" waits (Pending, AccountNotFound) until one appears`}, nil, "Pending"},
		"a blocked deletion":         {"warned", admission.Warnings{"in use; its deletion waits (finalizer access.workcenter.io/in-use-protection, DeletionBlocked RoleInUse) until"}, nil, "R6"},
		"the first warning's reason": {"warned", admission.Warnings{"category gone (UnknownCategory)", "licenses lowered (LicenseLimitExceeded)"}, nil, "R8"},
		"a second Account":           {"warned", admission.Warnings{`Account "b" will not be Ready (DuplicateAccount)`}, nil, "DuplicateAccount"},
		"an unknown warning":         {"warned", admission.Warnings{"something (Reconciled)"}, nil, "other"},
	} {
		if got := ruleOf(tc.verdict, tc.w, tc.err); got != tc.want {
			t.Errorf("%s: rule %q, want %q", name, got, tc.want)
		}
	}
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
	accounts := observed(bound[*v1alpha1.Account](&AccountValidator{r}))
	workCenters := observed(bound[*v1alpha1.WorkCenter](&WorkCenterValidator{r}))
	roles := observed(bound[*v1alpha1.WorkCenterRole](&WorkCenterRoleValidator{r}))
	collaborators := observed(bound[*v1alpha1.Collaborator](&CollaboratorValidator{r}))
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
