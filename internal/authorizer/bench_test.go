package authorizer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The authorizer's speed (docs/authorization.md, Speed): `make bench-authorizer` runs
// these on an account of 10,000 Collaborators (a third of them Guests, 50 WorkCenters of
// which 5 archived, 20 custom roles in include chains, three assignments each), read
// through the manager's account Book as the doors read it.
//
//   - BenchmarkCheck: one check after another (Authorizer.Review: the Book's read and
//     model.Authorize), with p50 and p99 of each;
//   - BenchmarkCheckParallel: checks on every core (GOMAXPROCS), checks/s;
//   - BenchmarkWebhookDoor: the webhook door's handler, the JSON review decoded and the
//     answer encoded, with p50 and p99, and on every core, reviews/s.
//
// The questions cycle through 4,096 random ones: WorkCenter permissions of random people
// in random WorkCenters (half of them one of theirs), and capabilities (allowed/op
// says how many are allowed).

const benchCollaborators = 10000

var bench struct {
	once      sync.Once
	a         *Authorizer
	questions []authorizationv1.SubjectAccessReviewSpec
	bodies    [][]byte
}

func benchSetup(b *testing.B) {
	bench.once.Do(func() {
		const ns = "scale"
		objs := benchObjects(ns)
		scheme := clientgoscheme.Scheme
		if err := v1alpha1.AddToScheme(scheme); err != nil {
			b.Fatal(err)
		}
		c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
		book := accounts.New(c)
		namespaces := &fixedNamespaces{ns: true}
		bench.a = New(book, namespaces, "")
		if _, err := bench.a.Review(context.Background(), &authorizationv1.SubjectAccessReviewSpec{User: "c00000@scale.example",
			ResourceAttributes: attrs(ns, "files", "upload", "wc-00")}); err != nil {
			b.Fatal(err)
		}
		perms := model.Catalog()
		caps := model.Capabilities()
		rnd := uint64(1)
		next := func(n int) int { // xorshift: the same questions every run
			rnd ^= rnd << 13
			rnd ^= rnd >> 7
			rnd ^= rnd << 17
			return int(rnd % uint64(n))
		}
		for range 4096 {
			person := next(benchCollaborators)
			user := fmt.Sprintf("c%05d@scale.example", person)
			wc := wcName(next(50))
			if next(2) == 0 { // one of the person's own WorkCenters
				wc = wcName((person*3 + next(3)) % 50)
			}
			var ra *authorizationv1.ResourceAttributes
			if next(10) == 0 {
				ra = attrs(ns, model.AccountResource, strings.ToLower(string(caps[next(len(caps))].Capability)), "")
			} else {
				r, v := model.ResourceVerb(string(perms[next(len(perms))].Permission))
				ra = attrs(ns, r, v, wc)
			}
			spec := authorizationv1.SubjectAccessReviewSpec{User: user, Groups: []string{"system:authenticated"}, ResourceAttributes: ra}
			bench.questions = append(bench.questions, spec)
			body, err := json.Marshal(authorizationv1.SubjectAccessReview{
				TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"}, Spec: spec})
			if err != nil {
				b.Fatal(err)
			}
			bench.bodies = append(bench.bodies, body)
		}
	})
}

type fixedNamespaces map[string]bool

func (f *fixedNamespaces) HasCollaborators(namespace string) (bool, bool) {
	return (*f)[namespace], true
}

func wcName(i int) string   { return fmt.Sprintf("wc-%02d", i) }
func roleName(i int) string { return fmt.Sprintf("role-%02d", i) }

// benchObjects is the account: what test/scale's shapes hold, at 10,000.
func benchObjects(ns string) []client.Object {
	const roles, workCenters, assignments = 20, 50, 3
	members := benchCollaborators - benchCollaborators/3
	created := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	objs := []client.Object{&v1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acct"},
		Spec:       v1alpha1.AccountSpec{DisplayName: "Scale", Licenses: int32(members + 100), State: v1alpha1.AccountActive},
	}}
	for _, r := range manifests.BuiltInRoles(ns, created) {
		objs = append(objs, r)
	}
	guestSafe := roles / 2
	for i := range roles {
		r := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: roleName(i)},
			Spec: v1alpha1.WorkCenterRoleSpec{DisplayName: roleName(i), Levels: v1alpha1.RoleLevels{Files: v1alpha1.LevelStandard, Posts: v1alpha1.LevelStandard}}}
		if i%5 != 0 {
			r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.ObjectName(roleName(i - 1))}
		} else if i < guestSafe {
			r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.RoleContributor}
		}
		if i >= guestSafe {
			r.Spec.Permissions = []v1alpha1.Permission{"tasks.create"}
		}
		objs = append(objs, r)
	}
	for i := range workCenters {
		objs = append(objs, &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: wcName(i)},
			Spec: v1alpha1.WorkCenterSpec{DisplayName: wcName(i), Archived: i%10 == 9}})
	}
	for i := range benchCollaborators {
		c := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("c%05d", i),
			CreationTimestamp: metav1.NewTime(created.Add(time.Duration(i) * time.Second))},
			Spec: v1alpha1.CollaboratorSpec{Email: fmt.Sprintf("c%05d@scale.example", i), Type: v1alpha1.Member, AdminRole: v1alpha1.AdminRoleNone}}
		guest := i%3 == 2
		if guest {
			c.Spec.Type = v1alpha1.Guest
		}
		if i < 2 {
			c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
		}
		for a := range assignments {
			role := (i + a) % roles
			if guest {
				role = (i + a) % guestSafe
			}
			c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
				Name: v1alpha1.ObjectName(wcName((i*assignments + a) % workCenters)), Role: v1alpha1.ObjectName(roleName(role))})
		}
		objs = append(objs, c)
	}
	// Steady state: each Collaborator's status as the controller writes it (in
	// particular since when each assignment has been in effect, which the model reads).
	m, err := model.Build(ns, objsAny(objs)...)
	if err != nil {
		panic(err)
	}
	for _, o := range objs {
		if c, ok := o.(*v1alpha1.Collaborator); ok {
			c.Status.WorkCenters = m.Evaluate(c, "", created).Statuses
		}
	}
	return objs
}

func objsAny(objs []client.Object) []any {
	out := make([]any, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

// reportLatency reports the p50 and p99 of lat (the duration of each operation), and
// the operations per second of one core.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1000 }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.99), "p99-µs")
}

func BenchmarkCheck(b *testing.B) {
	benchSetup(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	allowed := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		q := &bench.questions[i%len(bench.questions)]
		start := time.Now()
		d, err := bench.a.Review(ctx, q)
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if d.Opinion == model.Allow {
			allowed++
		}
	}
	b.StopTimer()
	reportLatency(b, lat)
	b.ReportMetric(float64(allowed)/float64(b.N), "allowed/op")
}

func BenchmarkCheckParallel(b *testing.B) {
	benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var next sync.Mutex
	i := 0
	b.RunParallel(func(pb *testing.PB) {
		next.Lock()
		j := i * 997
		i++
		next.Unlock()
		for pb.Next() {
			j++
			if _, err := bench.a.Review(ctx, &bench.questions[j%len(bench.questions)]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "checks/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
}

func BenchmarkWebhookDoor(b *testing.B) {
	benchSetup(b)
	h := NewServer(bench.a, ServerOptions{}).WebhookHandler()
	serve := func(body []byte) {
		req := httptest.NewRequest(http.MethodPost, WebhookPath, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	}
	b.Run("sequential", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			start := time.Now()
			serve(bench.bodies[i%len(bench.bodies)])
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		reportLatency(b, lat)
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.ResetTimer()
		start := time.Now()
		var mu sync.Mutex
		i := 0
		b.RunParallel(func(pb *testing.PB) {
			mu.Lock()
			j := i * 997
			i++
			mu.Unlock()
			for pb.Next() {
				j++
				serve(bench.bodies[j%len(bench.bodies)])
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "reviews/s")
	})
}

// BenchmarkAuthorize is model.Authorize alone, on the same questions: what of a check's
// time and allocations is the model's (the rest is the Book's read and the adapter's).
func BenchmarkAuthorize(b *testing.B) {
	benchSetup(b)
	var m *model.Account
	if err := bench.a.accounts.Read(context.Background(), "scale", func(a *model.Account) error { m = a; return nil }); err != nil {
		b.Fatal(err)
	}
	qs := make([]model.ResourceAttributes, len(bench.questions))
	for i, q := range bench.questions {
		ra := q.ResourceAttributes
		qs[i] = model.ResourceAttributes{Group: ra.Group, Version: ra.Version, Resource: ra.Resource, Verb: ra.Verb, Name: ra.Name}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		j := i % len(qs)
		_ = m.Authorize(bench.questions[j].User, "", qs[j])
	}
}
