package authorizer

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// TestWebhookDoorSpeed is `make bench-authorizer`'s second half (AUTHORIZER_BENCH=1):
// the webhook door through the API server, on an account of AUTHORIZER_BENCH_COLLABORATORS
// Collaborators (default 10,000; a third Guests, 50 WorkCenters, 20 custom roles, three
// assignments each, as test/scale's shapes). Once every object is Ready, it times
// AUTHORIZER_BENCH_REVIEWS reviews (default 5,000) asked by 4 clients at a time, as the
// API server's apiserver_authorization_webhook_duration_seconds, the manager's
// workcenter_authorizer_duration_seconds and the client see them; then 1,000 at once.
func TestWebhookDoorSpeed(t *testing.T) {
	if os.Getenv("AUTHORIZER_BENCH") == "" {
		t.Skip("make bench-authorizer runs it (AUTHORIZER_BENCH=1)")
	}
	ctx := context.Background()
	size := envInt("AUTHORIZER_BENCH_COLLABORATORS", 10000)
	reviews := envInt("AUTHORIZER_BENCH_REVIEWS", 5000)
	ns := namespace(t, "scale")
	start := time.Now()
	objs := scaleObjects(ns, size)
	work := make(chan client.Object)
	var wg sync.WaitGroup
	var createErr error
	var errMu sync.Mutex
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				if err := env.Client.Create(ctx, o); err != nil {
					errMu.Lock()
					createErr = err
					errMu.Unlock()
				}
			}
		}()
	}
	// In dependency order: the Account, roles and WorkCenters before the people.
	for i, o := range objs {
		if i == len(objs)-size {
			close(work)
			wg.Wait()
			work = make(chan client.Object)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for o := range work {
						if err := env.Client.Create(ctx, o); err != nil {
							errMu.Lock()
							createErr = err
							errMu.Unlock()
						}
					}
				}()
			}
		}
		work <- o
	}
	close(work)
	wg.Wait()
	if createErr != nil {
		t.Fatal(createErr)
	}
	if err := env.WaitReady(ctx, 20*time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d objects created and Ready in %s", len(objs), time.Since(start).Round(time.Second))
	// The operator's RBAC for each person (two writes each) follows the statuses: timed
	// while it is being written, the reviews would measure those writes' load on the API
	// server too. Wait until every person's RoleBinding is there.
	for deadline := time.Now().Add(20 * time.Minute); ; time.Sleep(2 * time.Second) {
		var bindings rbacv1.RoleBindingList
		if err := env.Client.List(ctx, &bindings, client.InNamespace(ns), client.HasLabels{v1alpha1.LabelCollaboratorRBAC}); err != nil {
			t.Fatal(err)
		}
		if len(bindings.Items) >= size {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d RoleBindings after 20m", len(bindings.Items), size)
		}
	}
	t.Logf("and every person's RBAC written in %s", time.Since(start).Round(time.Second))

	// The questions: random people, permissions and WorkCenters (half one of theirs),
	// and capabilities.
	perms, caps := model.Catalog(), model.Capabilities()
	rnd := uint64(7)
	next := func(n int) int {
		rnd ^= rnd << 13
		rnd ^= rnd >> 7
		rnd ^= rnd << 17
		return int(rnd % uint64(n))
	}
	questions := make([]authorizationv1.SubjectAccessReviewSpec, 4096)
	for i := range questions {
		person := next(size)
		wc := next(50)
		if next(2) == 0 {
			wc = (person*3 + next(3)) % 50
		}
		ra := in(ns, "", "", fmt.Sprintf("wc-%02d", wc))
		if next(10) == 0 {
			ra.Resource, ra.Verb, ra.Name = model.AccountResource, strings.ToLower(string(caps[next(len(caps))].Capability)), ""
		} else {
			ra.Resource, ra.Verb = model.ResourceVerb(string(perms[next(len(perms))].Permission))
		}
		questions[i] = authorizationv1.SubjectAccessReviewSpec{User: fmt.Sprintf("c%05d@scale.example", person), ResourceAttributes: ra}
	}
	askSpec := func(i int) (time.Duration, error) {
		began := time.Now()
		sar, err := admin.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: questions[i%len(questions)]}, metav1.CreateOptions{})
		if err == nil && sar.Status.EvaluationError != "" {
			err = fmt.Errorf("evaluation error: %s", sar.Status.EvaluationError)
		}
		if err == nil && !sar.Status.Allowed && !sar.Status.Denied {
			err = fmt.Errorf("no opinion on a Collaborator: %s", sar.Status.Reason)
		}
		return time.Since(began), err
	}
	for i := range 200 { // warm the connections
		if _, err := askSpec(i); err != nil {
			t.Fatal(err)
		}
	}

	steady := func(n, clients int) ([]time.Duration, time.Duration, apiMetrics, managerHistogram, []error) {
		before, err := apiServerMetrics()
		if err != nil {
			t.Fatal(err)
		}
		mBefore := managerDurations(t)
		lat := make([]time.Duration, n)
		var errs []error
		var mu sync.Mutex
		jobs := make(chan int)
		began := time.Now()
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range jobs {
					d, err := askSpec(i)
					lat[i] = d
					if err != nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
				}
			}()
		}
		for i := range n {
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		elapsed := time.Since(began)
		after, err := apiServerMetrics()
		if err != nil {
			t.Fatal(err)
		}
		return lat, elapsed, after.minus(before), managerDurations(t).minus(mBefore), errs
	}

	var rows [][2]string
	row := func(k, v string) { rows = append(rows, [2]string{k, v}) }
	row("account", fmt.Sprintf("%d Collaborators, %d objects", size, len(objs)))
	row("cores (GOMAXPROCS), API server and manager on the same machine", strconv.Itoa(runtime.GOMAXPROCS(0)))
	lat, elapsed, api, mgr, errs := steady(reviews, 4)
	row(fmt.Sprintf("%d reviews, 4 clients: reviews/s", reviews), fmt.Sprintf("%.0f", float64(reviews)/elapsed.Seconds()))
	row("client round trip p50 / p99", fmt.Sprintf("%s / %s", pct(lat, 0.5), pct(lat, 0.99)))
	row("API server webhook p50 / p99 (apiserver_authorization_webhook_duration_seconds)", fmt.Sprintf("%.2fms / %.2fms (%.1f%% within its first bucket, 5ms)", 1000*api.quantile(0.5), 1000*api.quantile(0.99), 100*api.under(0.005)))
	row("API server webhook mean", fmt.Sprintf("%.2fms", 1000*api.sum/api.n))
	row("manager p50 / p99 (workcenter_authorizer_duration_seconds)", fmt.Sprintf("%.0fµs / %.0fµs", 1e6*mgr.quantile(0.5), 1e6*mgr.quantile(0.99)))
	row("errors", strconv.Itoa(len(errs)))
	if len(errs) > 0 {
		t.Errorf("%d reviews failed, the first: %v", len(errs), errs[0])
	}
	lat, elapsed, api, mgr, errs = steady(1000, 1000)
	row("1,000 concurrent: manager p50 / p99", fmt.Sprintf("%.0fµs / %.0fµs", 1e6*mgr.quantile(0.5), 1e6*mgr.quantile(0.99)))
	row("1,000 concurrent reviews: wall time", elapsed.Round(time.Millisecond).String())
	row("1,000 concurrent: client p50 / p99; API server webhook p50 / p99", fmt.Sprintf("%s / %s; %.0fms / %.0fms", pct(lat, 0.5), pct(lat, 0.99), 1000*api.quantile(0.5), 1000*api.quantile(0.99)))
	row("1,000 concurrent: errors and timeouts", strconv.Itoa(len(errs)))
	if len(errs) > 0 {
		t.Errorf("%d of 1,000 concurrent reviews failed, the first: %v", len(errs), errs[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| figure | value |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s |\n", r[0], r[1])
	}
	t.Logf("\n%s", b.String())
	fmt.Println(b.String())
}

func pct(lat []time.Duration, q float64) string {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))].Round(10 * time.Microsecond).String()
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// managerHistogram is workcenter_authorizer_duration_seconds{door="webhook"} of the
// in-process manager.
type managerHistogram struct {
	buckets map[float64]float64
	n       float64
}

func managerDurations(t testing.TB) managerHistogram {
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	h := managerHistogram{buckets: map[float64]float64{}}
	for _, f := range families {
		if f.GetName() != "workcenter_authorizer_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			door := ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "door" {
					door = l.GetValue()
				}
			}
			if door != "webhook" {
				continue
			}
			for _, b := range m.GetHistogram().GetBucket() {
				h.buckets[b.GetUpperBound()] = float64(b.GetCumulativeCount())
			}
			h.buckets[math.Inf(1)] = float64(m.GetHistogram().GetSampleCount())
			h.n = float64(m.GetHistogram().GetSampleCount())
		}
	}
	return h
}

func (h managerHistogram) minus(before managerHistogram) managerHistogram {
	out := managerHistogram{buckets: map[float64]float64{}, n: h.n - before.n}
	for le, c := range h.buckets {
		out.buckets[le] = c - before.buckets[le]
	}
	return out
}

func (h managerHistogram) quantile(q float64) float64 {
	return apiMetrics{buckets: h.buckets, n: h.n}.quantile(q)
}

// scaleObjects is an account of size Collaborators in namespace ns, in dependency order
// (the Account, roles, WorkCenters, then the people): test/scale's shape.
func scaleObjects(ns string, size int) []client.Object {
	const roles, workCenters, assignments = 20, 50, 3
	members := size - size/3
	objs := []client.Object{&v1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acct"},
		Spec:       v1alpha1.AccountSpec{DisplayName: "Scale", Licenses: int32(members + 100), State: v1alpha1.AccountActive},
	}}
	roleName := func(i int) string { return fmt.Sprintf("role-%02d", i) }
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
		objs = append(objs, &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("wc-%02d", i)},
			Spec: v1alpha1.WorkCenterSpec{DisplayName: fmt.Sprintf("wc-%02d", i), Archived: i%10 == 9}})
	}
	for i := range size {
		c := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("c%05d", i)},
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
				Name: v1alpha1.ObjectName(fmt.Sprintf("wc-%02d", (i*assignments+a)%workCenters)), Role: v1alpha1.ObjectName(roleName(role))})
		}
		objs = append(objs, c)
	}
	return objs
}
