package authorizer

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// apiMetrics are the API server's authorization webhook metrics for the authorizer
// (name procorem.workcenter.io, config/authorization).
type apiMetrics struct {
	counts  map[string]map[string]float64 // metric -> result -> value
	buckets map[float64]float64           // apiserver_authorization_webhook_duration_seconds, result success: le -> cumulative count
	sum     float64
	n       float64
}

const webhookName = "procorem.workcenter.io"

func apiServerMetrics() (apiMetrics, error) {
	raw, err := admin.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		return apiMetrics{}, err
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(string(raw)))
	if err != nil {
		return apiMetrics{}, err
	}
	m := apiMetrics{counts: map[string]map[string]float64{}, buckets: map[float64]float64{}}
	label := func(mm *dto.Metric, name string) string {
		for _, l := range mm.GetLabel() {
			if l.GetName() == name {
				return l.GetValue()
			}
		}
		return ""
	}
	for name, f := range families {
		if !strings.HasPrefix(name, "apiserver_authorization_webhook_") {
			continue
		}
		for _, mm := range f.GetMetric() {
			if label(mm, "name") != webhookName {
				continue
			}
			result := label(mm, "result")
			switch {
			case mm.GetCounter() != nil:
				if m.counts[name] == nil {
					m.counts[name] = map[string]float64{}
				}
				m.counts[name][result] += mm.GetCounter().GetValue()
			case mm.GetHistogram() != nil && result == "success":
				h := mm.GetHistogram()
				for _, b := range h.GetBucket() {
					m.buckets[b.GetUpperBound()] += float64(b.GetCumulativeCount())
				}
				m.buckets[math.Inf(1)] += float64(h.GetSampleCount())
				m.sum += h.GetSampleSum()
				m.n += float64(h.GetSampleCount())
			}
		}
	}
	return m, nil
}

func (m apiMetrics) count(metric, result string) float64 { return m.counts[metric][result] }

// minus is what was observed between before and m.
func (m apiMetrics) minus(before apiMetrics) apiMetrics {
	out := apiMetrics{buckets: map[float64]float64{}, sum: m.sum - before.sum, n: m.n - before.n}
	for le, c := range m.buckets {
		out.buckets[le] = c - before.buckets[le]
	}
	return out
}

// quantile interpolates within the histogram's buckets, as PromQL's histogram_quantile
// does.
func (m apiMetrics) quantile(q float64) float64 {
	les := make([]float64, 0, len(m.buckets))
	for le := range m.buckets {
		les = append(les, le)
	}
	slices.Sort(les)
	if m.n == 0 {
		return math.NaN()
	}
	rank := q * m.n
	prevLE, prevCount := 0.0, 0.0
	for _, le := range les {
		c := m.buckets[le]
		if c >= rank {
			if math.IsInf(le, 1) {
				return prevLE
			}
			if c == prevCount {
				return le
			}
			return prevLE + (le-prevLE)*(rank-prevCount)/(c-prevCount)
		}
		prevLE, prevCount = le, c
	}
	return prevLE
}

// under is the share of the calls that took at most le seconds (a bucket's bound).
func (m apiMetrics) under(le float64) float64 {
	if m.n == 0 {
		return math.NaN()
	}
	return m.buckets[le] / m.n
}

func (m apiMetrics) summary() string {
	if m.n == 0 {
		return "no calls"
	}
	return fmt.Sprintf("%.0f calls, mean %.2f ms, p50 %.2f ms, p99 %.2f ms (interpolated in buckets of 5, 10, 25 ms...), %.1f%% within 5 ms",
		m.n, 1000*m.sum/m.n, 1000*m.quantile(0.5), 1000*m.quantile(0.99), 100*m.under(0.005))
}
