package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Label names.
const (
	labelNamespace = "namespace"
	labelAccount   = "account"
	labelKind      = "kind"
	labelType      = "type"
	labelLicensed  = "licensed"
	labelState     = "state"
	labelReason    = "reason"
	labelReady     = "ready"
)

// The gauges. Every one carries namespace and account (the owning Account's name, ""
// while the namespace has none).
var (
	descLicenses = prometheus.NewDesc("workcenter_account_licenses",
		"Licenses the account pays for: the owning Account's spec.licenses.",
		[]string{labelNamespace, labelAccount}, nil)
	descLicensesUsed = prometheus.NewDesc("workcenter_account_licenses_used",
		"Members holding one of the account's licenses: the owning Account's status.licensesUsed.",
		[]string{labelNamespace, labelAccount}, nil)
	descCollaborators = prometheus.NewDesc("workcenter_collaborators",
		"Collaborators by spec.type (Member, Guest) and status.licensed (true, false; unknown for a Member not reconciled yet; a Guest holds none).",
		[]string{labelNamespace, labelAccount, labelType, labelLicensed}, nil)
	descAssignments = prometheus.NewDesc("workcenter_assignments",
		"WorkCenter assignments by state (Active, Archived, Rejected, Pending) and reason, as the Collaborators' status.workCenters say.",
		[]string{labelNamespace, labelAccount, labelState, labelReason}, nil)
	descObjects = prometheus.NewDesc("workcenter_objects",
		"Objects by kind and Ready condition (status True, False, Unknown; Unknown without a Ready condition yet) and its reason.",
		[]string{labelNamespace, labelAccount, labelKind, labelReady, labelReason}, nil)
	descStalled = prometheus.NewDesc("workcenter_objects_stalled",
		"Objects whose Stalled condition is True (the spec breaks a rule and will not fix itself), by kind and reason.",
		[]string{labelNamespace, labelAccount, labelKind, labelReason}, nil)
	descStalledSince = prometheus.NewDesc("workcenter_objects_stalled_oldest_timestamp_seconds",
		"When the longest-Stalled object of the kind became Stalled (its Stalled condition's lastTransitionTime, Unix seconds); absent while none is.",
		[]string{labelNamespace, labelAccount, labelKind}, nil)
	descBlocked = prometheus.NewDesc("workcenter_deletions_blocked",
		"Objects whose deletion a finalizer of the operator holds (DeletionBlocked True), by kind and reason (RoleInUse, LastAccountAdministrator, AccountInUse).",
		[]string{labelNamespace, labelAccount, labelKind, labelReason}, nil)
	descBlockedSince = prometheus.NewDesc("workcenter_deletions_blocked_oldest_timestamp_seconds",
		"Since when the longest-blocked deletion of the kind has waited (its DeletionBlocked condition's lastTransitionTime, Unix seconds), by reason; absent while none waits.",
		[]string{labelNamespace, labelAccount, labelKind, labelReason}, nil)
	descScrapeErrors = prometheus.NewDesc("workcenter_metrics_cache_read_errors",
		"1 when this scrape could not read the manager's cache, so the workcenter_* gauges are missing from it; 0 otherwise.",
		nil, nil)
)

// readTimeout bounds a scrape's cache reads (a cache not synced yet waits for its
// informers), below Prometheus' default scrape timeout of 10s so that the rest of the
// scrape still arrives.
const readTimeout = 5 * time.Second

// Collector computes the gauges from a reader's objects at each scrape.
type Collector struct {
	reader client.Reader
}

var _ prometheus.Collector = &Collector{}

// New is a Collector over reader: the manager's cache in the operator.
func New(reader client.Reader) *Collector { return &Collector{reader: reader} }

// Register registers a Collector over reader with controller-runtime's registry, which
// the manager serves on /metrics.
func Register(reader client.Reader) error { return crmetrics.Registry.Register(New(reader)) }

// Describe sends the gauges' descriptions.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLicenses, descLicensesUsed, descCollaborators, descAssignments,
		descObjects, descStalled, descStalledSince, descBlocked, descBlockedSince, descScrapeErrors} {
		ch <- d
	}
}

// Collect reads every object of the four kinds and sends the gauges.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), readTimeout)
	defer cancel()
	var objs objects
	err := errNotSynced
	if c.synced(ctx) {
		objs, err = read(ctx, c.reader)
	}
	failed := 0.0
	if err != nil {
		failed = 1
		logf.Log.WithName("metrics").Error(err, "reading the cache for the workcenter_* gauges")
	} else {
		for _, s := range measure(objs) {
			ch <- prometheus.MustNewConstMetric(s.desc, prometheus.GaugeValue, s.value, s.labels...)
		}
	}
	ch <- prometheus.MustNewConstMetric(descScrapeErrors, prometheus.GaugeValue, failed)
}

// errNotSynced: a scrape of a replica whose cache has not synced (starting, or unable to
// list) answers at once, without the gauges, rather than wait for it.
var errNotSynced = errors.New("the manager's cache has not synced yet")

// synced reports whether the reader is a cache that has synced, asked without waiting (a
// plain reader counts as synced).
func (c *Collector) synced(ctx context.Context) bool {
	s, ok := c.reader.(interface{ WaitForCacheSync(context.Context) bool })
	if !ok {
		return true
	}
	now, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	return s.WaitForCacheSync(now)
}

// objects are the four kinds' objects of every namespace.
type objects struct {
	accounts      []v1alpha1.Account
	workCenters   []v1alpha1.WorkCenter
	roles         []v1alpha1.WorkCenterRole
	collaborators []v1alpha1.Collaborator
}

// read lists the objects without deep copies: measure only reads them.
func read(ctx context.Context, r client.Reader) (objects, error) {
	var a v1alpha1.AccountList
	var w v1alpha1.WorkCenterList
	var ro v1alpha1.WorkCenterRoleList
	var co v1alpha1.CollaboratorList
	for _, l := range []client.ObjectList{&a, &w, &ro, &co} {
		if err := r.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
			return objects{}, err
		}
	}
	return objects{accounts: a.Items, workCenters: w.Items, roles: ro.Items, collaborators: co.Items}, nil
}

// sample is one gauge's value.
type sample struct {
	desc   *prometheus.Desc
	labels []string
	value  float64
}

// gauges accumulates samples by description and label values, in first-seen order.
type gauges struct {
	index map[string]int
	out   []sample
}

func (g *gauges) key(d *prometheus.Desc, lv []string) string {
	k := d.String()
	for _, v := range lv {
		k += "\xff" + v
	}
	return k
}

// add adds v to the gauge.
func (g *gauges) add(d *prometheus.Desc, v float64, lv ...string) {
	k := g.key(d, lv)
	if i, ok := g.index[k]; ok {
		g.out[i].value += v
		return
	}
	g.index[k] = len(g.out)
	g.out = append(g.out, sample{desc: d, labels: lv, value: v})
}

// min keeps the smallest v given to the gauge.
func (g *gauges) min(d *prometheus.Desc, v float64, lv ...string) {
	k := g.key(d, lv)
	if i, ok := g.index[k]; ok {
		g.out[i].value = min(g.out[i].value, v)
		return
	}
	g.index[k] = len(g.out)
	g.out = append(g.out, sample{desc: d, labels: lv, value: v})
}

// measure computes every gauge from the objects.
func measure(objs objects) []sample {
	g := &gauges{index: map[string]int{}}

	// The owning Account of each namespace, as the controllers decide it.
	byNamespace := map[string][]*v1alpha1.Account{}
	for i := range objs.accounts {
		a := &objs.accounts[i]
		byNamespace[a.Namespace] = append(byNamespace[a.Namespace], a)
	}
	owners := map[string]*v1alpha1.Account{}
	for ns, as := range byNamespace {
		owners[ns] = model.OwningAccount(as)
	}
	account := func(ns string) string {
		if o := owners[ns]; o != nil {
			return o.Name
		}
		return ""
	}

	for ns, o := range owners {
		g.add(descLicenses, float64(o.Spec.Licenses), ns, o.Name)
		g.add(descLicensesUsed, float64(o.Status.LicensesUsed), ns, o.Name)
	}
	for i := range objs.collaborators {
		c := &objs.collaborators[i]
		ns, acct := c.Namespace, account(c.Namespace)
		typ, licensed := string(v1alpha1.Guest), "false"
		if model.IsMember(c) {
			typ, licensed = string(v1alpha1.Member), "unknown"
			if c.Status.Licensed != nil {
				licensed = boolString(*c.Status.Licensed)
			}
		}
		g.add(descCollaborators, 1, ns, acct, typ, licensed)
		for _, s := range c.Status.WorkCenters {
			g.add(descAssignments, 1, ns, acct, boundedState(s.State), boundedReason(s.Reason))
		}
	}

	conditions := func(kind string, o metav1.Object, conds []metav1.Condition) {
		ns, acct := o.GetNamespace(), account(o.GetNamespace())
		ready, reason := string(metav1.ConditionUnknown), ""
		if c := meta.FindStatusCondition(conds, v1alpha1.ConditionReady); c != nil {
			ready, reason = boundedStatus(c.Status), boundedReason(c.Reason)
		}
		g.add(descObjects, 1, ns, acct, kind, ready, reason)
		if c := meta.FindStatusCondition(conds, v1alpha1.ConditionStalled); c != nil && c.Status == metav1.ConditionTrue {
			g.add(descStalled, 1, ns, acct, kind, boundedReason(c.Reason))
			g.min(descStalledSince, unixSeconds(c.LastTransitionTime, o.GetCreationTimestamp()), ns, acct, kind)
		}
		if c := meta.FindStatusCondition(conds, v1alpha1.ConditionDeletionBlocked); c != nil && c.Status == metav1.ConditionTrue {
			reason := boundedReason(c.Reason)
			since := o.GetCreationTimestamp()
			if d := o.GetDeletionTimestamp(); d != nil {
				since = *d
			}
			g.add(descBlocked, 1, ns, acct, kind, reason)
			g.min(descBlockedSince, unixSeconds(c.LastTransitionTime, since), ns, acct, kind, reason)
		}
	}
	for i := range objs.accounts {
		o := &objs.accounts[i]
		conditions("Account", o, o.Status.Conditions)
	}
	for i := range objs.workCenters {
		o := &objs.workCenters[i]
		conditions("WorkCenter", o, o.Status.Conditions)
	}
	for i := range objs.roles {
		o := &objs.roles[i]
		conditions("WorkCenterRole", o, o.Status.Conditions)
	}
	for i := range objs.collaborators {
		o := &objs.collaborators[i]
		conditions("Collaborator", o, o.Status.Conditions)
	}
	return g.out
}

// unixSeconds is t in Unix seconds, or fallback's when t is not set.
func unixSeconds(t, fallback metav1.Time) float64 {
	if t.IsZero() {
		t = fallback
	}
	return float64(t.Unix())
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
