package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// checkWarnings asserts what the API server needs to pass every warning on whole: valid
// UTF-8 without control characters, each within model.MaxWarning, all within model.MaxWarnings, and
// so within the 4096 characters past which it cuts them all to 256.
func checkWarnings(t *testing.T, ws admission.Warnings) {
	t.Helper()
	total, runes := 0, 0
	for _, w := range ws {
		if !utf8.ValidString(w) || strings.IndexFunc(w, unicode.IsControl) >= 0 || len(w) > model.MaxWarning {
			t.Errorf("warning of %d bytes, valid %v: %.200q", len(w), utf8.ValidString(w), w)
		}
		total += len(w)
		runes += utf8.RuneCountInString(w)
	}
	if total > model.MaxWarnings || runes > 4096 {
		t.Errorf("%d warnings of %d bytes, %d characters in all", len(ws), total, runes)
	}
}

// name is a valid object name of 253 characters.
func name(prefix string) string { return prefix + strings.Repeat("x", 253-len(prefix)) }

// wide is n characters of 4 bytes each, where a schema allows any character.
func wide(n int) string { return strings.Repeat("𝔘", n) }

// Every answer of the validators stays within what the API server passes on whole,
// with every name at 253 characters, emails, categories and usernames of 4-byte
// characters, and every list at its maxItems (256 assignments, 256 categories, 32
// includes) or long (300 collaborators, a cycle of 300 roles).
func TestAnswersAtMaximumLengths(t *testing.T) {
	const ns = "acme"
	var cats []string
	for i := range 256 {
		cats = append(cats, fmt.Sprintf("%03d", i)+wide(61))
	}
	acct := fixtures.Account(ns, name("account"), 0, cats...)
	controllerutil.AddFinalizer(acct, v1alpha1.FinalizerAccountProtection)
	objs := []client.Object{&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, acct}
	var wcs []string
	for i := range 256 {
		wcs = append(wcs, name(fmt.Sprintf("w%03d", i)))
		objs = append(objs, fixtures.WorkCenter(ns, wcs[i], fixtures.Category(cats[i])))
	}
	for _, r := range v1alpha1.BuiltInRoleNames {
		objs = append(objs, fixtures.Role(ns, r))
	}
	viewer, big := fixtures.Role(ns, name("viewer")), fixtures.Role(ns, name("big"), fixtures.Perms("tasks.create"))
	controllerutil.AddFinalizer(viewer, v1alpha1.FinalizerInUseProtection)
	objs = append(objs, viewer, big)
	for i := range 300 {
		cyc := fixtures.Role(ns, name(fmt.Sprintf("cyc-%03d", i)))
		if i < 299 { // the last one closes the cycle in a case below
			fixtures.Includes(name(fmt.Sprintf("cyc-%03d", i+1)))(cyc)
		}
		objs = append(objs, cyc)
		objs = append(objs, fixtures.Role(ns, name(fmt.Sprintf("inc-%03d", i)), fixtures.Includes(viewer.Name)))
		g := fixtures.Collaborator(ns, name(fmt.Sprintf("g%03d", i)), v1alpha1.Guest, wcs[0]+"="+viewer.Name, wcs[1]+"="+viewer.Name)
		g.Spec.Email = wide(200) + fmt.Sprintf("%03d@", i) + strings.Repeat("d", 50)
		objs = append(objs, g)
	}
	boss := fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, name("boss"), v1alpha1.Member))
	controllerutil.AddFinalizer(boss, v1alpha1.FinalizerLastAdministrator)
	objs = append(objs, boss)
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	r := reader{cache: c, live: c, operators: map[string]bool{"operator": true}}
	accounts, roles, collaborators, workCenters := accountValidator(r), roleValidator(r), collaboratorValidator(r), workCenterValidator(r)
	ctx := admission.NewContextWithRequest(context.Background(), admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UserInfo: authenticationv1.UserInfo{Username: "system:serviceaccount:" + wide(300)}}})

	get := func(o client.Object) client.Object {
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(o), o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	// A newcomer: a Guest with 256 assignments, half to member-only roles, half to
	// WorkCenters and roles that do not exist yet, taking an email someone has.
	newcomer := fixtures.Collaborator(ns, name("newcomer"), v1alpha1.Guest)
	for i := range 256 {
		wc, role := wcs[i], big.Name
		if i%2 == 1 {
			wc, role = name(fmt.Sprintf("missing-w%03d", i)), name(fmt.Sprintf("missing-r%03d", i))
		}
		newcomer.Spec.WorkCenters = append(newcomer.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: v1alpha1.ObjectName(wc), Role: v1alpha1.ObjectName(role)})
	}
	newcomer.Spec.Email = wide(200) + "000@" + strings.Repeat("d", 50)
	member := fixtures.Collaborator(ns, name("member"), v1alpha1.Member)
	member.Spec.Email = newcomer.Spec.Email
	storedBoss := get(boss.DeepCopy()).(*v1alpha1.Collaborator)
	demoted, unprotected := storedBoss.DeepCopy(), storedBoss.DeepCopy()
	demoted.Spec.AdminRole = v1alpha1.AdminRoleNone
	controllerutil.RemoveFinalizer(unprotected, v1alpha1.FinalizerLastAdministrator)

	lead := fixtures.Role(ns, name("lead"))
	for i := range 32 {
		fixtures.Includes(name(fmt.Sprintf("planned-%02d", i)))(lead)
	}
	storedCycle := get(fixtures.Role(ns, name("cyc-299"))).(*v1alpha1.WorkCenterRole)
	closing := storedCycle.DeepCopy()
	fixtures.Includes(name("cyc-000"))(closing)
	storedViewer := get(viewer.DeepCopy()).(*v1alpha1.WorkCenterRole)
	memberOnlyViewer, strippedViewer := storedViewer.DeepCopy(), storedViewer.DeepCopy()
	fixtures.Perms("tasks.create", "folders.delete")(memberOnlyViewer)
	controllerutil.RemoveFinalizer(strippedViewer, v1alpha1.FinalizerInUseProtection)
	builtIn := get(fixtures.Role(ns, v1alpha1.BuiltInRoleNames[0])).(*v1alpha1.WorkCenterRole)
	editedBuiltIn := builtIn.DeepCopy()
	editedBuiltIn.Spec.Description = "mine"

	storedAcct := get(acct.DeepCopy()).(*v1alpha1.Account)
	emptied, unprotectedAcct := storedAcct.DeepCopy(), storedAcct.DeepCopy()
	emptied.Spec.Picklists.WorkCenterCategories, emptied.Spec.Licenses = nil, 0
	controllerutil.RemoveFinalizer(unprotectedAcct, v1alpha1.FinalizerAccountProtection)
	oddCategory := fixtures.WorkCenter(ns, name("tower"), fixtures.Category(wide(64)))
	storedWC := get(fixtures.WorkCenter(ns, wcs[0])).(*v1alpha1.WorkCenter)
	leftCategory, unknownBefore := storedWC.DeepCopy(), storedWC.DeepCopy()
	leftCategory.Spec.Category, unknownBefore.Spec.Category = wide(64), wide(64)
	archived := unknownBefore.DeepCopy()
	archived.Spec.Archived = true
	alone := fixtures.WorkCenter("empty", name("tower"), fixtures.Category(wide(64)))

	type answer struct {
		w   admission.Warnings
		err error
	}
	do := func(w admission.Warnings, err error) answer { return answer{w, err} }
	cases := map[string]struct {
		got answer
		// denied holds what the denial says, its rule and reason at the end of each field;
		// warned what one of the warnings says.
		denied, warned []string
	}{
		"Collaborator: 256 assignments, R2, R5, missing objects": {do(collaborators.ValidateCreate(ctx, newcomer)),
			[]string{"spec.workCenters[0].role", "(R2, RoleRequiresMember)", "more fields break rules", "spec.email"},
			[]string{"does not exist yet; the assignment waits (Pending) until it appears", "more warnings"}},
		"Collaborator: R4 and R5": {do(collaborators.ValidateCreate(ctx, member)),
			[]string{"(R4, LicenseLimitExceeded)", "(R5, DuplicateEmail)"}, nil},
		"Collaborator: R7 demotion": {do(collaborators.ValidateUpdate(ctx, storedBoss, demoted)),
			[]string{"spec.adminRole", "(R7, LastAccountAdministrator)"}, nil},
		"Collaborator: R7 finalizer": {do(collaborators.ValidateUpdate(ctx, storedBoss, unprotected)),
			[]string{"metadata.finalizers", "is the last AccountAdministrator", "(R7, LastAccountAdministrator)"}, nil},
		"Collaborator: R7 deletion": {do(collaborators.ValidateDelete(ctx, storedBoss)),
			nil, []string{"is the last AccountAdministrator", "its deletion waits"}},
		"WorkCenterRole: 32 includes that do not exist": {do(roles.ValidateCreate(ctx, lead)),
			nil, []string{"which does not exist yet; the role and its assignments wait (Pending) until it appears"}},
		"WorkCenterRole: closing a cycle of 300": {do(roles.ValidateUpdate(ctx, storedCycle, closing)),
			[]string{"spec.includes", "… 293 more …", "remove one of those includes (InclusionCycle)"}, nil},
		"WorkCenterRole: R2 for 300 guests": {do(roles.ValidateUpdate(ctx, storedViewer, memberOnlyViewer)),
			[]string{"would give member-only permissions (folders.delete, tasks.create) to guests", "x…, viewerx", "(300 in total)", "(R2, RoleRequiresMember)"}, nil},
		"WorkCenterRole: R6 finalizer": {do(roles.ValidateUpdate(ctx, storedViewer, strippedViewer)),
			[]string{"metadata.finalizers", "assigned to 300 users in 600 assignments", "(300 in total)", "(R6, RoleInUse)"}, nil},
		"WorkCenterRole: R6 deletion": {do(roles.ValidateDelete(ctx, storedViewer)),
			nil, []string{"assigned to 300 users in 600 assignments", "its deletion waits"}},
		"WorkCenterRole: R9": {do(roles.ValidateUpdate(ctx, builtIn, editedBuiltIn)),
			[]string{"is built in", "(R9)", "user \"system:serviceaccount:"}, nil},
		"Account: 256 categories in use leave, licenses lowered": {do(accounts.ValidateUpdate(ctx, storedAcct, emptied)),
			nil, []string{"leaves Account", "(UnknownCategory)", "more warnings"}},
		"Account: R11 finalizer": {do(accounts.ValidateUpdate(ctx, storedAcct, unprotectedAcct)),
			[]string{"metadata.finalizers", "still has 256 WorkCenters, 602 custom WorkCenterRoles and 301 Collaborators", "(R11, AccountInUse)"}, nil},
		"Account: R11 deletion": {do(accounts.ValidateDelete(ctx, storedAcct)),
			nil, []string{"still has 256 WorkCenters", "its deletion waits"}},
		"Account: a second one": {do(accounts.ValidateCreate(ctx, fixtures.Account(ns, name("second"), 0))),
			nil, []string{"x…\" will not be Ready (DuplicateAccount)"}},
		"WorkCenter: R8": {do(workCenters.ValidateCreate(ctx, oddCategory)),
			[]string{"spec.category", "(R8, UnknownCategory)"}, nil},
		"WorkCenter: R8 on a category change": {do(workCenters.ValidateUpdate(ctx, storedWC, leftCategory)),
			[]string{"spec.category", "(R8, UnknownCategory)"}, nil},
		"WorkCenter: archived, its category left": {do(workCenters.ValidateUpdate(ctx, unknownBefore, archived)),
			nil, []string{"the WorkCenter stays not Ready (UnknownCategory)"}},
		"WorkCenter: no Account": {do(workCenters.ValidateCreate(ctx, alone)),
			nil, []string{"checked against the Account's workCenterCategories then"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			checkWarnings(t, tc.got.w)
			for _, want := range tc.warned {
				found := false
				for _, w := range tc.got.w {
					found = found || strings.Contains(w, want)
				}
				if !found {
					t.Errorf("no warning says %q: %.300q", want, tc.got.w)
				}
			}
			for _, w := range tc.got.w {
				if strings.HasSuffix(w, "…") {
					t.Errorf("a warning was cut: %.300q", w)
				}
			}
			if len(tc.denied) == 0 {
				if tc.got.err != nil {
					t.Fatalf("denied: %.500v", tc.got.err)
				}
				return
			}
			if tc.got.err == nil {
				t.Fatal("allowed")
			}
			msg := tc.got.err.Error()
			if len(msg) > model.MaxDenial || !utf8.ValidString(msg) {
				t.Fatalf("denial of %d bytes", len(msg))
			}
			for _, want := range tc.denied {
				if !strings.Contains(msg, want) {
					t.Errorf("the denial does not say %q: %.2000s", want, msg)
				}
			}
			var se *apierrors.StatusError
			if errors.As(tc.got.err, &se) && se.ErrStatus.Details != nil {
				for _, cause := range se.ErrStatus.Details.Causes {
					if len(cause.Message) > model.MaxDetail+len("Forbidden: ") {
						t.Errorf("a field's message of %d bytes", len(cause.Message))
					}
				}
			}
		})
	}
}
