package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// These tests drive the reconcilers directly against controller-runtime's fake client,
// for what a real API server cannot be made to do on cue: serve a stale object, fail a
// read, lag behind a create.

const ns = "acme"

var fakeScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(v1alpha1.AddToScheme(s))
	return s
}()

// newFakeClient is a client over objs, with status as a subresource and the
// interceptors given.
func newFakeClient(funcs interceptor.Funcs, objs ...client.Object) client.WithWatch {
	b := fake.NewClientBuilder().WithScheme(fakeScheme).WithObjects(objs...).
		WithStatusSubresource(&v1alpha1.Account{}, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenterRole{}, &v1alpha1.Collaborator{}).
		WithInterceptorFuncs(funcs)
	return b.Build()
}

func request(name string) ctrl.Request {
	return ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: name}}
}

// terminatingRole is a custom role whose deletion began at deleted, held by R6.
func terminatingRole(name string, deleted time.Time) *v1alpha1.WorkCenterRole {
	r := fixtures.Role(ns, name, fixtures.Perms("files.upload"))
	r.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
	r.DeletionTimestamp = &metav1.Time{Time: deleted}
	return r
}

func getCollaborator(t *testing.T, c client.Client, name string) *v1alpha1.Collaborator {
	t.Helper()
	var out v1alpha1.Collaborator
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// A reconcile that read a stale Collaborator (the cache has not delivered its last status
// write) must not overwrite the newer status: the stale read has no previous Active
// entry, so it would write the existing assignment to a terminating role Rejected
// RoleTerminating (R10) for good.
func TestStaleCollaboratorReadCannotOverwriteNewerStatus(t *testing.T) {
	ctx := context.Background()
	took := metav1.NewTime(time.Now().Add(-time.Hour).Truncate(time.Second))
	m := fixtures.Collaborator(ns, "m", v1alpha1.Member, "tower=eng")
	live := newFakeClient(interceptor.Funcs{}, fixtures.Account(ns, "acme", 5), fixtures.WorkCenter(ns, "tower"),
		terminatingRole("eng", time.Now().Add(-time.Minute)), m)
	stale := getCollaborator(t, live, "m") // as the cache still has it: no status yet

	// The operator's last write, which the cache has not delivered: Active since an hour.
	current := getCollaborator(t, live, "m")
	current.Status.WorkCenters = []v1alpha1.WorkCenterAssignmentStatus{{Name: "tower", Role: "eng", State: v1alpha1.AssignmentActive, Since: &took}}
	if err := live.Status().Update(ctx, current); err != nil {
		t.Fatal(err)
	}

	servesStale := newFakeClientOver(live, interceptor.Funcs{
		Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if o, ok := obj.(*v1alpha1.Collaborator); ok && key.Name == "m" {
				stale.DeepCopyInto(o)
				return nil
			}
			return c.Get(ctx, key, obj, opts...)
		},
	})
	r := &CollaboratorReconciler{reconciler: reconciler{Client: servesStale, APIReader: live, Recorder: events.NewFakeRecorder(10)}}
	_, err := r.Reconcile(ctx, request("m"))
	if !apierrors.IsConflict(err) {
		t.Fatalf("a status computed from a stale read must fail with a conflict, got %v", err)
	}
	got := getCollaborator(t, live, "m")
	if s := got.Status.WorkCenters[0]; s.State != v1alpha1.AssignmentActive || s.Since == nil {
		t.Fatalf("the newer status was overwritten: %+v", s)
	}
	if ready := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady); ready != nil {
		t.Fatalf("a conflict is not a reconcile error to report: %+v", ready)
	}

	// The retry reads the fresh object and keeps the existing assignment in effect.
	r.Client = live
	if _, err := r.Reconcile(ctx, request("m")); err != nil {
		t.Fatal(err)
	}
	got = getCollaborator(t, live, "m")
	if s := got.Status.WorkCenters[0]; s.State != v1alpha1.AssignmentActive || !s.Since.Equal(&took) {
		t.Fatalf("existing assignment to a terminating role: want Active since %v, got %+v", took, s)
	}
}

// newFakeClientOver puts interceptors in front of an existing fake client.
func newFakeClientOver(c client.WithWatch, funcs interceptor.Funcs) client.WithWatch {
	return interceptor.NewClient(c, funcs)
}

// R10 without an API server: an assignment that took effect before its role's
// deletion began stays in effect after the Account is deactivated and reactivated (the
// Pending phase in between must not erase that it exists), while one that never took
// effect is new and is Rejected RoleTerminating (R10).
func TestR10ExistingAssignmentSurvivesPendingPhases(t *testing.T) {
	ctx := context.Background()
	deleted := time.Now().Add(-time.Minute).Truncate(time.Second)
	before := metav1.NewTime(deleted.Add(-time.Hour))
	after := metav1.NewTime(deleted.Add(time.Second))
	for name, tc := range map[string]struct {
		recorded  *v1alpha1.WorkCenterAssignmentStatus
		wantState v1alpha1.AssignmentState
		wantSince *metav1.Time
	}{
		"in effect before the deletion, Pending while deactivated": {
			recorded:  &v1alpha1.WorkCenterAssignmentStatus{Name: "tower", Role: "eng", State: v1alpha1.AssignmentPending, Reason: v1alpha1.ReasonAccountDeactivated, Since: &before},
			wantState: v1alpha1.AssignmentActive, wantSince: &before,
		},
		"never in effect": {
			wantState: v1alpha1.AssignmentRejected,
		},
		"in effect with another role in that WorkCenter": {
			recorded:  &v1alpha1.WorkCenterAssignmentStatus{Name: "tower", Role: "other", State: v1alpha1.AssignmentActive, Since: &before},
			wantState: v1alpha1.AssignmentRejected,
		},
		"took effect only after the deletion began": {
			recorded:  &v1alpha1.WorkCenterAssignmentStatus{Name: "tower", Role: "eng", State: v1alpha1.AssignmentActive, Since: &after},
			wantState: v1alpha1.AssignmentRejected, wantSince: &after,
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := fixtures.Collaborator(ns, "m", v1alpha1.Member, "tower=eng")
			if tc.recorded != nil {
				m.Status.WorkCenters = []v1alpha1.WorkCenterAssignmentStatus{*tc.recorded}
			}
			c := newFakeClient(interceptor.Funcs{}, fixtures.Account(ns, "acme", 5), fixtures.WorkCenter(ns, "tower"),
				terminatingRole("eng", deleted), m)
			r := &CollaboratorReconciler{reconciler: reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(10)}}
			if _, err := r.Reconcile(ctx, request("m")); err != nil {
				t.Fatal(err)
			}
			s := getCollaborator(t, c, "m").Status.WorkCenters[0]
			if s.State != tc.wantState {
				t.Fatalf("state: want %s, got %+v", tc.wantState, s)
			}
			if tc.wantState == v1alpha1.AssignmentRejected && s.Reason != v1alpha1.ReasonRoleTerminating {
				t.Fatalf("reason: want RoleTerminating, got %+v", s)
			}
			if (tc.wantSince == nil) != (s.Since == nil) || (tc.wantSince != nil && !tc.wantSince.Equal(s.Since)) {
				t.Fatalf("since: want %v, got %v", tc.wantSince, s.Since)
			}
		})
	}
}

// A reconcile that fails for a reason a retry can fix says so in status: Ready Unknown
// ReconcileError with the error, status.observedGeneration unmoved; the next good
// reconcile clears it.
func TestReconcileErrorIsReportedWithoutMovingObservedGeneration(t *testing.T) {
	ctx := context.Background()
	m := fixtures.Collaborator(ns, "m", v1alpha1.Guest, "tower=contributor")
	m.Generation = 2
	m.Status.ObservedGeneration = 1
	m.Status.Conditions = []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionTrue,
		Reason: v1alpha1.ReasonReconciled, Message: "1 of 1 assignments in effect", ObservedGeneration: 1, LastTransitionTime: metav1.Now()}}
	failing := true
	unavailable := apierrors.NewServiceUnavailable("etcd leader changed")
	c := newFakeClient(interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if _, ok := list.(*v1alpha1.WorkCenterRoleList); ok && failing {
				return unavailable
			}
			return c.List(ctx, list, opts...)
		},
	}, fixtures.Account(ns, "acme", 5), fixtures.WorkCenter(ns, "tower"), m)
	roles := builtInRoles()
	for _, r := range roles {
		if err := c.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	r := &CollaboratorReconciler{reconciler: reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(10)}}

	if _, err := r.Reconcile(ctx, request("m")); !errors.Is(err, unavailable) {
		t.Fatalf("the reconcile must return its error for a retry, got %v", err)
	}
	got := getCollaborator(t, c, "m")
	ready := meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	if ready == nil || ready.Status != metav1.ConditionUnknown || ready.Reason != v1alpha1.ReasonReconcileError ||
		!strings.Contains(ready.Message, "etcd leader changed") {
		t.Fatalf("want Ready Unknown ReconcileError naming the error, got %+v", ready)
	}
	if got.Status.ObservedGeneration != 1 {
		t.Fatalf("observedGeneration moved on a failed reconcile: %d", got.Status.ObservedGeneration)
	}

	failing = false
	if _, err := r.Reconcile(ctx, request("m")); err != nil {
		t.Fatal(err)
	}
	got = getCollaborator(t, c, "m")
	ready = meta.FindStatusCondition(got.Status.Conditions, v1alpha1.ConditionReady)
	if ready.Status != metav1.ConditionTrue || got.Status.ObservedGeneration != 2 {
		t.Fatalf("a good reconcile clears the error and moves observedGeneration: %+v, %d", ready, got.Status.ObservedGeneration)
	}
}

func builtInRoles() []*v1alpha1.WorkCenterRole {
	var out []*v1alpha1.WorkCenterRole
	for _, n := range v1alpha1.BuiltInRoleNames {
		spec, _ := model.BuiltInRoleSpec(n)
		out = append(out, &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: n}, Spec: spec})
	}
	return out
}

// A status the API server refuses (a message over its maxLength, say) is reported as
// ReconcileError, not retried in silence forever.
func TestRefusedStatusWriteIsReported(t *testing.T) {
	ctx := context.Background()
	refused := apierrors.NewInvalid(schema.GroupKind{Group: v1alpha1.GroupVersion.Group, Kind: "WorkCenter"}, "tower", nil)
	calls := 0
	c := newFakeClient(interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			calls++
			if calls == 1 {
				return refused
			}
			return c.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	}, fixtures.Account(ns, "acme", 5), fixtures.WorkCenter(ns, "tower"))
	r := &WorkCenterReconciler{reconciler{Client: c, Recorder: events.NewFakeRecorder(10)}}
	if _, err := r.Reconcile(ctx, request("tower")); !errors.Is(err, refused) {
		t.Fatalf("want the refusal returned, got %v", err)
	}
	var wc v1alpha1.WorkCenter
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "tower"}, &wc); err != nil {
		t.Fatal(err)
	}
	ready := meta.FindStatusCondition(wc.Status.Conditions, v1alpha1.ConditionReady)
	if ready == nil || ready.Reason != v1alpha1.ReasonReconcileError || !strings.Contains(ready.Message, "writing status") {
		t.Fatalf("want Ready Unknown ReconcileError about the status write, got %+v", ready)
	}
}

// Watch map functions never drop an error silently: it is counted (and logged).
func TestMappingErrorsAreCounted(t *testing.T) {
	ctx := context.Background()
	c := newFakeClient(interceptor.Funcs{
		List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
			return apierrors.NewServiceUnavailable("cache not synced")
		},
	})
	counter := watchMappingErrors.WithLabelValues(collaboratorController, "Account")
	was := testutil.ToFloat64(counter)
	r := &CollaboratorReconciler{reconciler: reconciler{Client: c}}
	if reqs := r.forAccount(ctx, nil, fixtures.Account(ns, "acme", 1)); len(reqs) != 0 {
		t.Fatalf("nothing to wake when nothing could be read, got %v", reqs)
	}
	if got := testutil.ToFloat64(counter) - was; got != 1 {
		t.Fatalf("want the failed mapping counted once, got %v", got)
	}
	roleCounter := watchMappingErrors.WithLabelValues(collaboratorController, "WorkCenterRole")
	was = testutil.ToFloat64(roleCounter)
	reqs := r.forRole(ctx, nil, fixtures.Role(ns, "eng"))
	if len(reqs) != 0 || testutil.ToFloat64(roleCounter)-was != 1 {
		t.Fatalf("forRole: want the failed read of the account model counted, got %v more and %v", testutil.ToFloat64(roleCounter)-was, reqs)
	}
}

// BuiltInRoleRestored is an Event for a role the operator really created or reverted,
// not for a create that found the role already there (a cache lagging behind).
func TestBuiltInRoleEventOnlyWhenCreated(t *testing.T) {
	ctx := context.Background()
	for name, tc := range map[string]struct {
		existing  bool
		wantEvent int
	}{
		"created":               {existing: false, wantEvent: 3},
		"already there, unseen": {existing: true, wantEvent: 0},
	} {
		t.Run(name, func(t *testing.T) {
			acct := fixtures.Account(ns, "acme", 1)
			acct.UID = "acme-uid"
			objs := []client.Object{acct}
			if tc.existing {
				for _, r := range builtInRoles() {
					objs = append(objs, r)
				}
			}
			// The cache has not seen the roles: every Get of one says NotFound.
			c := newFakeClient(interceptor.Funcs{
				Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
					if _, ok := obj.(*v1alpha1.WorkCenterRole); ok {
						return apierrors.NewNotFound(schema.GroupResource{Resource: "workcenterroles"}, key.Name)
					}
					return c.Get(ctx, key, obj, opts...)
				},
			}, objs...)
			rec := events.NewFakeRecorder(10)
			r := &AccountReconciler{reconciler{Client: c, APIReader: c, Recorder: rec}}
			if err := r.ensureBuiltInRoles(ctx, acct); err != nil {
				t.Fatal(err)
			}
			if got := len(rec.Events); got != tc.wantEvent {
				t.Fatalf("want %d BuiltInRoleRestored events, got %d", tc.wantEvent, got)
			}
		})
	}
}

// The own-kind predicate wakes the controller when one of our finalizers is stripped
// (so it is restored) and when someone else wrote its status (so it is corrected), and
// stays quiet for our own status writes and other finalizers.
func TestOwnChangesWakeOnStrippedFinalizer(t *testing.T) {
	base := fixtures.Role(ns, "eng")
	base.Generation = 1
	base.UID = "eng-uid"
	withOurs := base.DeepCopy()
	withOurs.Finalizers = []string{v1alpha1.FinalizerInUseProtection}
	withOther := base.DeepCopy()
	withOther.Finalizers = []string{"example.com/other"}
	statusOnly := withOurs.DeepCopy()
	statusOnly.Status.Assignments = 3
	own := &ownStatuses{}
	own.remember(statusOnly) // as the status step does before it writes
	foreign := withOurs.DeepCopy()
	foreign.Status.Assignments = 7
	for name, tc := range map[string]struct {
		old, cur client.Object
		want     bool
	}{
		"our finalizer stripped":    {withOurs, base, true},
		"our finalizer added":       {base, withOurs, false},
		"another finalizer gone":    {withOther, base, false},
		"our own status write":      {withOurs, statusOnly, false},
		"a status we did not write": {withOurs, foreign, true},
		"spec changed (generation)": {base, func() client.Object { o := base.DeepCopy(); o.Generation = 2; return o }(), true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := ownChanges(own, "test").Update(event.UpdateEvent{ObjectOld: tc.old, ObjectNew: tc.cur}); got != tc.want {
				t.Fatalf("want %v, got %v", tc.want, got)
			}
		})
	}
}

// R4 after an outage: a Member whose status says it holds no license is granted one only
// once the cached Account has the live spec; until then its reconcile waits, writing
// nothing, and runs again later. A cache still holding a higher, since lowered limit
// (client-go backs off for up to a minute between watch retries after an API server
// restart) would grant licenses beyond the live limit (the chaos suite's sampler finds
// it).
func TestLicenseGrantWaitsForTheLiveAccount(t *testing.T) {
	ctx := context.Background()
	acct := fixtures.Account(ns, "acme", 2)
	acct.Generation = 1
	older := fixtures.Collaborator(ns, "m1", v1alpha1.Member)
	older.CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Hour))
	m := fixtures.Collaborator(ns, "m2", v1alpha1.Member)
	m.CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Minute))
	m.Status.Licensed = ptr.To(false)
	live := newFakeClient(interceptor.Funcs{}, acct, older, m)

	// The live Account's limit is lowered to 1; the cache still serves the old one.
	cur := &v1alpha1.Account{}
	if err := live.Get(ctx, client.ObjectKeyFromObject(acct), cur); err != nil {
		t.Fatal(err)
	}
	stale := cur.DeepCopy()
	cur.Spec.Licenses, cur.Generation = 1, 2
	if err := live.Update(ctx, cur); err != nil {
		t.Fatal(err)
	}
	cache := newFakeClientOver(live, interceptor.Funcs{
		List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			if l, ok := list.(*v1alpha1.AccountList); ok {
				l.Items = []v1alpha1.Account{*stale}
				return nil
			}
			return c.List(ctx, list, opts...)
		},
	})
	r := &CollaboratorReconciler{reconciler: reconciler{Client: cache, APIReader: live, Recorder: events.NewFakeRecorder(10)}}
	if res, err := r.Reconcile(ctx, request("m2")); err != nil || res.RequeueAfter <= 0 {
		t.Fatalf("a grant from a cache behind the live Account must wait (reconciled again later, no error), got %+v, %v", res, err)
	}
	if got := getCollaborator(t, live, "m2"); got.Status.Licensed == nil || *got.Status.Licensed {
		t.Fatalf("a license was granted beyond the live limit: %v", got.Status.Licensed)
	}

	// Once the cache has the live Account, the decision follows it: still no license at 1.
	r.Client = live
	if _, err := r.Reconcile(ctx, request("m2")); err != nil {
		t.Fatal(err)
	}
	if got := getCollaborator(t, live, "m2"); got.Status.Licensed == nil || *got.Status.Licensed {
		t.Fatalf("licensed %v at a limit of 1 behind an older Member", got.Status.Licensed)
	}
	// Raised live and in the cache alike: granted at once.
	if err := live.Get(ctx, client.ObjectKeyFromObject(acct), cur); err != nil {
		t.Fatal(err)
	}
	cur.Spec.Licenses, cur.Generation = 2, 3
	if err := live.Update(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, request("m2")); err != nil {
		t.Fatal(err)
	}
	if got := getCollaborator(t, live, "m2"); got.Status.Licensed == nil || !*got.Status.Licensed {
		t.Fatalf("licensed %v at a limit of 2", got.Status.Licensed)
	}
}

// The assignments one reconcile activates share an Event whose note names each; so do
// those it rejects for one reason; a license granted is an Event of its own; unchanged
// assignments are not repeated; names beyond one note's size go on in more Events, each
// within the API server's bound, none lost.
func TestTransitionEventsNameEveryAssignment(t *testing.T) {
	status := func(n int, state v1alpha1.AssignmentState, reason string) []v1alpha1.WorkCenterAssignmentStatus {
		var out []v1alpha1.WorkCenterAssignmentStatus
		for i := range n {
			out = append(out, v1alpha1.WorkCenterAssignmentStatus{Name: fmt.Sprintf("wc-%03d", i), Role: "eng", State: state, Reason: reason, Message: "why " + reason})
		}
		return out
	}
	record := func(before, after []v1alpha1.WorkCenterAssignmentStatus, licensed bool) []string {
		rec := events.NewFakeRecorder(1000)
		r := &CollaboratorReconciler{reconciler: reconciler{Recorder: rec}}
		b := fixtures.Collaborator(ns, "ada", v1alpha1.Member)
		b.Status.WorkCenters = before
		if before != nil { // reconciled before, with the same license
			b.Status.Licensed = ptr.To(licensed)
		}
		a := b.DeepCopy()
		a.Status.WorkCenters = after
		a.Status.Licensed = ptr.To(licensed)
		r.recordTransitions(b, a)
		close(rec.Events)
		var out []string
		for e := range rec.Events {
			out = append(out, e)
		}
		return out
	}

	got := record(nil, status(3, v1alpha1.AssignmentActive, ""), true)
	if len(got) != 2 || !strings.HasPrefix(got[0], "Normal AssignmentActivated ") || strings.Count(got[0], "is in effect (Active)") != 3 ||
		!strings.Contains(got[0], `"wc-000"`) || !strings.Contains(got[0], `"wc-002"`) || !strings.HasPrefix(got[1], "Normal LicenseGranted ") {
		t.Fatalf("three activations and a license: %q", got)
	}

	// Two already in effect, one more: the Event names only the new one.
	got = record(status(2, v1alpha1.AssignmentActive, ""), status(3, v1alpha1.AssignmentActive, ""), true)
	if len(got) != 1 || strings.Count(got[0], "is in effect") != 1 || !strings.Contains(got[0], `"wc-002"`) {
		t.Fatalf("one more activation: %q", got)
	}

	// Rejections: one Event per reason.
	mixed := append(status(2, v1alpha1.AssignmentRejected, v1alpha1.ReasonRoleRequiresMember),
		v1alpha1.WorkCenterAssignmentStatus{Name: "wc-x", Role: "gone", State: v1alpha1.AssignmentRejected, Reason: v1alpha1.ReasonRoleTerminating, Message: "terminating"})
	got = record(nil, mixed, true)
	if len(got) != 3 || !strings.HasPrefix(got[0], "Warning RoleRequiresMember ") || strings.Count(got[0], "rejected: why") != 2 ||
		!strings.HasPrefix(got[1], "Warning RoleTerminating ") || !strings.Contains(got[1], `"wc-x"`) {
		t.Fatalf("rejections: %q", got)
	}

	// 256 activations: several Events, each note within bounds, every WorkCenter named once.
	got = record(nil, status(256, v1alpha1.AssignmentActive, ""), true)
	named := 0
	for _, e := range got[:len(got)-1] {
		note := strings.TrimPrefix(e, "Normal AssignmentActivated ")
		if len(note) > model.MaxEventNote {
			t.Fatalf("note of %d bytes", len(note))
		}
		named += strings.Count(note, "is in effect (Active)")
	}
	if named != 256 || len(got) < 3 {
		t.Fatalf("%d Events name %d of 256", len(got)-1, named)
	}
}

func TestPackNotes(t *testing.T) {
	for name, tc := range map[string]struct {
		entries []string
		max     int
		want    []string
	}{
		"none":           {nil, 10, nil},
		"one":            {[]string{"abc"}, 10, []string{"abc"}},
		"joined":         {[]string{"ab", "cd"}, 6, []string{"ab; cd"}},
		"split":          {[]string{"ab", "cd", "ef"}, 7, []string{"ab; cd", "ef"}},
		"too long alone": {[]string{"abcdefghij", "x"}, 5, []string{model.Bound("abcdefghij", 5), "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			got := packNotes(tc.entries, tc.max)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
			for _, n := range got {
				if len(n) > tc.max {
					t.Fatalf("%q longer than %d", n, tc.max)
				}
			}
		})
	}
}

// A role that comes while a Collaborator is judged without it: forRole may skip the
// Collaborator (its status still said all in effect), so the reconcile, having written
// what it judged, sees the role came and asks to judge again; without a role coming, a
// status not in effect asks for nothing more.
func TestCollaboratorJudgedAgainWhenARoleCameMeanwhile(t *testing.T) {
	ctx := context.Background()
	roleComes := true
	c := newFakeClient(interceptor.Funcs{
		SubResourcePatch: func(ctx context.Context, cl client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			if roleComes { // while the status judged without it is written
				roleComes = false
				if err := cl.Create(ctx, fixtures.Role(ns, "eng")); err != nil {
					return err
				}
			}
			return cl.SubResource(sub).Patch(ctx, obj, patch, opts...)
		},
	}, fixtures.Account(ns, "acme", 5), fixtures.WorkCenter(ns, "tower"), fixtures.WorkCenter(ns, "annex"),
		fixtures.Collaborator(ns, "tom", v1alpha1.Member, "tower=eng"),
		fixtures.Collaborator(ns, "ann", v1alpha1.Member, "annex=nowhere"))
	r := &CollaboratorReconciler{reconciler: reconciler{Client: c, APIReader: c, Recorder: events.NewFakeRecorder(10)}}
	state := func(name string) v1alpha1.AssignmentState {
		var got v1alpha1.Collaborator
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Status.WorkCenters) != 1 {
			t.Fatalf("%s: status %+v", name, got.Status)
		}
		return got.Status.WorkCenters[0].State
	}
	res, err := r.Reconcile(ctx, request("tom"))
	if err != nil || res.RequeueAfter == 0 {
		t.Fatalf("judged without the role that came meanwhile: %+v, %v; want it judged again", res, err)
	}
	if s := state("tom"); s != v1alpha1.AssignmentPending {
		t.Fatalf("written as judged: %s", s)
	}
	if res, err = r.Reconcile(ctx, request("tom")); err != nil || !res.IsZero() {
		t.Fatalf("judged again: %+v, %v", res, err)
	}
	if s := state("tom"); !model.InEffect(s) {
		t.Fatalf("judged again with the role: %s", s)
	}
	if res, err = r.Reconcile(ctx, request("ann")); err != nil || !res.IsZero() {
		t.Fatalf("Pending with no role coming: %+v, %v; want nothing more", res, err)
	}
	if s := state("ann"); s != v1alpha1.AssignmentPending {
		t.Fatalf("ann: %s", s)
	}
}
