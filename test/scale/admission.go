//go:build scale

package scale

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// webhooks are the admission webhook configurations envtest installed, pointing at its
// local serving port and certificate, taken out of the API server so that objects can be
// created while no manager runs (cold convergence), and put back to measure admission.
type webhooks struct {
	validating []admissionv1.ValidatingWebhookConfiguration
	mutating   []admissionv1.MutatingWebhookConfiguration
	port       int
	certDir    string
}

// takeWebhooks removes the webhook configurations from the API server and keeps them.
func takeWebhooks(ctx context.Context, c client.Client, opts envtest.WebhookInstallOptions) (*webhooks, error) {
	h := &webhooks{port: opts.LocalServingPort, certDir: opts.LocalServingCertDir}
	var vl admissionv1.ValidatingWebhookConfigurationList
	var ml admissionv1.MutatingWebhookConfigurationList
	if err := c.List(ctx, &vl); err != nil {
		return nil, err
	}
	if err := c.List(ctx, &ml); err != nil {
		return nil, err
	}
	for _, v := range vl.Items {
		h.validating = append(h.validating, v)
		if err := c.Delete(ctx, &v); err != nil {
			return nil, err
		}
	}
	for _, m := range ml.Items {
		h.mutating = append(h.mutating, m)
		if err := c.Delete(ctx, &m); err != nil {
			return nil, err
		}
	}
	if len(h.validating) == 0 {
		return nil, fmt.Errorf("envtest installed no validating webhook configuration")
	}
	return h, nil
}

// args are the manager's flags to serve the webhooks where the configurations point.
func (h *webhooks) args() []string {
	return []string{"--enable-webhooks=true", "--webhook-port=" + strconv.Itoa(h.port), "--webhook-cert-path=" + h.certDir}
}

func fresh(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Labels: m.Labels, Annotations: m.Annotations}
}

// install puts the configurations back.
func (h *webhooks) install(ctx context.Context, c client.Client) error {
	for _, v := range h.validating {
		o := admissionv1.ValidatingWebhookConfiguration{ObjectMeta: fresh(v.ObjectMeta), Webhooks: v.Webhooks}
		if err := c.Create(ctx, &o); err != nil {
			return err
		}
	}
	for _, m := range h.mutating {
		o := admissionv1.MutatingWebhookConfiguration{ObjectMeta: fresh(m.ObjectMeta), Webhooks: m.Webhooks}
		if err := c.Create(ctx, &o); err != nil {
			return err
		}
	}
	return nil
}

// uninstall takes them out again.
func (h *webhooks) uninstall(ctx context.Context, c client.Client) error {
	for _, v := range h.validating {
		if err := c.Delete(ctx, &admissionv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: v.Name}}); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	for _, m := range h.mutating {
		if err := c.Delete(ctx, &admissionv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: m.Name}}); client.IgnoreNotFound(err) != nil {
			return err
		}
	}
	return nil
}

// admissionResult is webhook latency from three places: the API server's own histogram
// (apiserver_admission_webhook_admission_duration_seconds, estimated within its buckets as
// histogram_quantile does), the manager's (workcenter_admission_duration_seconds),
// and the harness's own clock around each dry-run request (the whole request).
type admissionResult struct {
	requests                   int
	apiP50, apiP99             time.Duration
	managerP50, managerP99     time.Duration
	requestP50, requestP99     time.Duration
	apiBuckets, managerBuckets string
}

// measureAdmission sends n server-side dry-run updates of the account's Collaborators and
// roles through the webhooks, one at a time, and reads the latency figures. With people
// (the harness's config, which may impersonate), every other request is made as the
// account's first Account Administrator (allowed) and the others as its first Member
// (refused by delegated administration: 403).
func measureAdmission(t *testing.T, ctx context.Context, c client.Client, apiserver rest.Interface, m *manager,
	s shape, ns string, n int, people *rest.Config) admissionResult {
	collab := func(i int) *v1alpha1.Collaborator {
		return &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: s.collaborator(ns, i%s.collaborators).Name}}
	}
	as := func(i int) (client.Client, bool) { return c, false }
	if people != nil {
		impersonate := func(who *v1alpha1.Collaborator) client.Client {
			cfg := rest.CopyConfig(people)
			cfg.Impersonate = rest.ImpersonationConfig{UserName: who.Spec.Email, Groups: []string{"system:masters", "system:authenticated"}}
			pc, err := client.New(cfg, client.Options{Scheme: c.Scheme()})
			if err != nil {
				t.Fatal(err)
			}
			return pc
		}
		first := admins
		for s.collaborator(ns, first).Spec.Type != v1alpha1.Member {
			first++
		}
		if s.collaborator(ns, 0).Spec.AdminRole != v1alpha1.AdminRoleAccountAdministrator {
			t.Fatalf("the shape's first collaborator is no Account Administrator")
		}
		administrator, member := impersonate(s.collaborator(ns, 0)), impersonate(s.collaborator(ns, first))
		as = func(i int) (client.Client, bool) {
			if i%2 == 0 {
				return administrator, false
			}
			return member, true
		}
	}
	dryRun := func(i int) error {
		var o client.Object = collab(i)
		if i%10 == 9 {
			o = &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: roleName(i % s.roles)}}
		}
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			return err
		}
		before := o.DeepCopyObject().(client.Object)
		switch x := o.(type) {
		case *v1alpha1.Collaborator:
			x.Spec.DisplayName = fmt.Sprintf("dry run %d", i)
		case *v1alpha1.WorkCenterRole:
			x.Spec.Description = fmt.Sprintf("dry run %d", i)
		}
		pc, refused := as(i)
		err := pc.Patch(ctx, o, client.MergeFrom(before), client.DryRunAll)
		switch {
		case refused && apierrors.IsForbidden(err) && strings.Contains(err.Error(), "(Delegation)"):
			return nil
		case refused && err == nil:
			return fmt.Errorf("a Member's change of %s was allowed", o.GetName())
		}
		return err
	}
	// The webhook server answers once its certificate is loaded: wait for the first
	// admitted request.
	deadline := time.Now().Add(time.Minute)
	for {
		err := dryRun(0)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no dry-run request admitted through the webhooks after 1m: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	apiBefore := histogram(scrapeAPIServer(t, ctx, apiserver), "apiserver_admission_webhook_admission_duration_seconds")
	mgrBefore := histogram(mustScrape(t, m), "workcenter_admission_duration_seconds")
	var took []time.Duration
	for i := range n {
		start := time.Now()
		if err := dryRun(i + 1); err != nil {
			t.Fatalf("dry-run request %d: %v", i, err)
		}
		took = append(took, time.Since(start))
	}
	apiAfter := histogram(scrapeAPIServer(t, ctx, apiserver), "apiserver_admission_webhook_admission_duration_seconds")
	mgrAfter := histogram(mustScrape(t, m), "workcenter_admission_duration_seconds")
	slices.Sort(took)
	r := admissionResult{requests: n, requestP50: took[n/2], requestP99: took[min(n-1, n*99/100)]}
	api, mgr := apiAfter.minus(apiBefore), mgrAfter.minus(mgrBefore)
	r.apiP50, r.apiP99 = api.quantile(0.5), api.quantile(0.99)
	r.managerP50, r.managerP99 = mgr.quantile(0.5), mgr.quantile(0.99)
	r.apiBuckets, r.managerBuckets = api.String(), mgr.String()
	return r
}

func mustScrape(t *testing.T, m *manager) map[string]*dto.MetricFamily {
	fams, err := m.scrape()
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func scrapeAPIServer(t *testing.T, ctx context.Context, apiserver rest.Interface) map[string]*dto.MetricFamily {
	raw, err := apiserver.Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		t.Fatalf("reading the API server's metrics: %v", err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

// buckets is a cumulative histogram summed over every series of one metric: upper bound
// (seconds) to count.
type buckets map[float64]float64

func histogram(fams map[string]*dto.MetricFamily, name string) buckets {
	out := buckets{}
	if f := fams[name]; f != nil {
		for _, m := range f.Metric {
			h := m.GetHistogram()
			for _, b := range h.GetBucket() {
				if !math.IsInf(b.GetUpperBound(), 1) { // +Inf is the sample count, below
					out[b.GetUpperBound()] += float64(b.GetCumulativeCount())
				}
			}
			out[math.Inf(1)] += float64(h.GetSampleCount())
		}
	}
	return out
}

func (b buckets) minus(o buckets) buckets {
	out := buckets{}
	for k, v := range b {
		out[k] = v - o[k]
	}
	return out
}

func (b buckets) bounds() []float64 {
	var out []float64
	for k := range b {
		out = append(out, k)
	}
	sort.Float64s(out)
	return out
}

// quantile estimates the q-quantile as Prometheus's histogram_quantile does: linearly
// within the bucket it falls in; in the +Inf bucket, the highest finite bound.
func (b buckets) quantile(q float64) time.Duration {
	bounds := b.bounds()
	total := b[math.Inf(1)]
	if total == 0 {
		return 0
	}
	rank := q * total
	lower, below := 0.0, 0.0
	for _, ub := range bounds {
		count := b[ub]
		if count >= rank {
			if math.IsInf(ub, 1) {
				return time.Duration(lower * float64(time.Second))
			}
			frac := 1.0
			if count > below {
				frac = (rank - below) / (count - below)
			}
			return time.Duration((lower + (ub-lower)*frac) * float64(time.Second))
		}
		lower, below = ub, count
	}
	return time.Duration(lower * float64(time.Second))
}

// String shows the non-empty buckets: "<=5ms: 180, <=10ms: 20".
func (b buckets) String() string {
	var out []string
	below := 0.0
	for _, ub := range b.bounds() {
		n := b[ub] - below
		below = b[ub]
		if n == 0 {
			continue
		}
		bound := "+Inf"
		if !math.IsInf(ub, 1) {
			bound = (time.Duration(ub * float64(time.Second))).String()
		}
		out = append(out, fmt.Sprintf("<=%s: %.0f", bound, n))
	}
	return fmt.Sprint(out)
}

// latencyUnderLoad times new Members of the converged account, create to Ready, while
// another account of about 1,000 objects is applied at once and converges. It returns
// the timings taken while that account had not converged yet.
func latencyUnderLoad(t *testing.T, ctx context.Context, c client.Client, obs *observer, m *manager, s shape,
	ns, loadNs string, changes int) (p50, p99, createP50, createP99 time.Duration, timed int) {
	load := shape{name: "load", namespaces: 1, collaborators: 960, workCenters: 20, roles: 10, assignments: 3}
	mustCreate(t, ctx, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: loadNs}})
	settle(obs, m)
	loaded := make(chan error, 1)
	go func() { loaded <- createAll(ctx, c, load.objects(loadNs), 16) }()
	var lat, creates []time.Duration
	for i := 0; i < changes*5 && len(lat) < changes; i++ {
		if obs.pending(map[string]bool{loadNs: true}, load.objectsPerAccount()) == 0 {
			break
		}
		took, created := newMemberReady(t, ctx, c, obs, s.collaborator(ns, memberIndex(s.collaborators+5000+i*3)))
		// Only timings that ended while the other account was still converging.
		if obs.pending(map[string]bool{loadNs: true}, load.objectsPerAccount()) > 0 {
			lat, creates = append(lat, took), append(creates, created)
		}
	}
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	if err := obs.waitConverged(map[string]bool{loadNs: true}, load.objectsPerAccount(), 30*time.Minute); err != nil {
		t.Fatal(err)
	}
	if len(lat) == 0 {
		return 0, 0, 0, 0, 0
	}
	slices.Sort(lat)
	slices.Sort(creates)
	pct := func(l []time.Duration, p int) time.Duration { return l[min(len(l)-1, len(l)*p/100)] }
	return pct(lat, 50), pct(lat, 99), pct(creates, 50), pct(creates, 99), len(lat)
}

// apiserverCPU is the API server's process_cpu_seconds_total.
func apiserverCPU(t *testing.T, ctx context.Context, apiserver rest.Interface) float64 {
	f := scrapeAPIServer(t, ctx, apiserver)["process_cpu_seconds_total"]
	if f == nil || len(f.Metric) == 0 {
		return 0
	}
	return f.Metric[0].GetCounter().GetValue()
}
