package chaos

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The sampler flags what the operator must never write and lets the lag it cannot
// avoid pass: each case injects one status write.
func TestSampler(t *testing.T) {
	const ns = "s"
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	grace := time.Second
	created := func(c *v1alpha1.Collaborator, sec int) *v1alpha1.Collaborator {
		c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
		c.Generation, c.Status.ObservedGeneration = 1, 1
		return c
	}
	active := func(c *v1alpha1.Collaborator) *v1alpha1.Collaborator {
		c = c.DeepCopy()
		for _, a := range c.Spec.WorkCenters {
			c.Status.WorkCenters = append(c.Status.WorkCenters, v1alpha1.WorkCenterAssignmentStatus{Name: string(a.Name), Role: string(a.Role), State: v1alpha1.AssignmentActive})
		}
		return c
	}
	licensed := func(c *v1alpha1.Collaborator, yes bool) *v1alpha1.Collaborator {
		c = c.DeepCopy()
		c.Status.Licensed = &yes
		return c
	}
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	terminating := func(o client.Object, sec int) client.Object {
		o = o.DeepCopyObject().(client.Object)
		when := metav1.NewTime(at(sec))
		o.SetDeletionTimestamp(&when)
		return o
	}
	admin := func(name string) *v1alpha1.Collaborator {
		c := created(fixtures.Collaborator(ns, name, v1alpha1.Member), 0)
		c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
		return c
	}
	deactivated := func(a *v1alpha1.Account) *v1alpha1.Account {
		a.Spec.State = v1alpha1.AccountDeactivated
		return a
	}
	upload := fixtures.Role(ns, "r", fixtures.Perms(string(model.FilesUpload)))
	memberOnly := fixtures.Role(ns, "r", fixtures.Perms(string(model.TasksCreate)))
	guest := created(fixtures.Collaborator(ns, "g", v1alpha1.Guest, "wc=r"), 0)

	cases := map[string]struct {
		events []func(s *sampler)
		want   []string // rules flagged, in order
	}{
		"guest active on a role member-only for longer than the grace": {events: []func(*sampler){
			func(s *sampler) { s.observe(memberOnly, false, t0) },
			func(s *sampler) { s.observe(guest, false, t0) },
			func(s *sampler) { s.observe(active(guest), false, t0.Add(2*time.Second)) },
		}, want: []string{"R2"}},
		"guest active on a role that just became member-only": {events: []func(*sampler){
			func(s *sampler) { s.observe(upload, false, t0) },
			func(s *sampler) { s.observe(guest, false, t0) },
			func(s *sampler) { s.observe(memberOnly, false, t0.Add(2*time.Second)) },
			func(s *sampler) { s.observe(active(guest), false, t0.Add(2*time.Second+100*time.Millisecond)) },
		}},
		"guest active on a role member-only through an include": {events: []func(*sampler){
			func(s *sampler) {
				s.observe(fixtures.Role(ns, "base", fixtures.Perms(string(model.FilesMove))), false, t0)
			},
			func(s *sampler) {
				s.observe(fixtures.Role(ns, "r", fixtures.Includes("base"), fixtures.Perms(string(model.FilesUpload))), false, t0)
			},
			func(s *sampler) { s.observe(active(guest), false, t0.Add(5*time.Second)) },
		}, want: []string{"R2"}},
		"a status unchanged is no write": {events: []func(*sampler){
			func(s *sampler) { s.observe(upload, false, t0) },
			func(s *sampler) { s.observe(active(guest), false, t0) },
			func(s *sampler) { s.observe(memberOnly, false, t0.Add(time.Second)) },
			func(s *sampler) {
				g := active(guest)
				g.Finalizers = []string{"x"}
				s.observe(g, false, t0.Add(5*time.Second))
			},
		}},
		"a license beyond the limit": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 1), false, t0) },
			func(s *sampler) { s.observe(created(fixtures.Collaborator(ns, "m1", v1alpha1.Member), 1), false, t0) },
			func(s *sampler) { s.observe(created(fixtures.Collaborator(ns, "m2", v1alpha1.Member), 2), false, t0) },
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m1", v1alpha1.Member), 1), true), false, t0.Add(2*time.Second))
			},
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m2", v1alpha1.Member), 2), true), false, t0.Add(3*time.Second))
			},
		}, want: []string{"R4", "R4-total"}},
		"licenses written under a higher limit, revoked after it is lowered": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 2), false, t0) },
			func(s *sampler) { s.observe(created(fixtures.Collaborator(ns, "m1", v1alpha1.Member), 1), false, t0) },
			func(s *sampler) { s.observe(created(fixtures.Collaborator(ns, "m2", v1alpha1.Member), 2), false, t0) },
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m1", v1alpha1.Member), 1), true), false, t0.Add(2*time.Second))
			},
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m2", v1alpha1.Member), 2), true), false, t0.Add(2*time.Second))
			},
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 1), false, t0.Add(3*time.Second)) },
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m2", v1alpha1.Member), 2), false), false, t0.Add(6*time.Second))
			},
		}},
		"a Member deleted frees its license for the next": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 1), false, t0) },
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m1", v1alpha1.Member), 1), true), false, t0.Add(2*time.Second))
			},
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m2", v1alpha1.Member), 2), false), false, t0.Add(2*time.Second))
			},
			func(s *sampler) {
				s.observe(created(fixtures.Collaborator(ns, "m1", v1alpha1.Member), 1), true, t0.Add(3*time.Second))
			},
			func(s *sampler) {
				s.observe(licensed(created(fixtures.Collaborator(ns, "m2", v1alpha1.Member), 2), true), false, t0.Add(3*time.Second+100*time.Millisecond))
			},
		}},
		"a role gone while a Collaborator held it from before its deletion": {events: []func(*sampler){
			func(s *sampler) { s.observe(upload, false, t0) },
			func(s *sampler) { s.observe(guest, false, t0) },
			func(s *sampler) { s.observe(upload, true, at(3)) }, // no finalizer held it
		}, want: []string{"R6"}},
		"a role gone while another role included it": {events: []func(*sampler){
			func(s *sampler) { s.observe(upload, false, t0) },
			func(s *sampler) { s.observe(fixtures.Role(ns, "outer", fixtures.Includes("r")), false, t0) },
			func(s *sampler) { s.observe(terminating(upload, 2), false, at(2)) },
			func(s *sampler) { s.observe(terminating(upload, 2), true, at(3)) },
		}, want: []string{"R6"}},
		"a role gone after its holder dropped it, the drop seen just after": {events: []func(*sampler){
			func(s *sampler) { s.observe(upload, false, t0) },
			func(s *sampler) { s.observe(guest, false, t0) },
			func(s *sampler) { s.observe(terminating(upload, 3), false, at(3)) },
			func(s *sampler) { s.observe(terminating(upload, 3), true, at(3)) },
			func(s *sampler) {
				s.observe(fixtures.Collaborator(ns, "g", v1alpha1.Guest), false, at(3).Add(200*time.Millisecond))
			},
		}},
		"a role gone while held only by an assignment made after its deletion was asked (R10's)": {events: []func(*sampler){
			func(s *sampler) { s.observe(terminating(upload, 3), false, at(3)) },
			func(s *sampler) { s.observe(guest, false, at(3).Add(100*time.Millisecond)) },
			func(s *sampler) { s.observe(terminating(upload, 3), true, at(4)) },
		}},
		"the last AccountAdministrator gone from an active Account": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 5), false, t0) },
			func(s *sampler) { s.observe(admin("a1"), false, t0) },
			func(s *sampler) { s.observe(admin("a1"), true, at(3)) },
		}, want: []string{"R7"}},
		"an AccountAdministrator gone while another stays": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 5), false, t0) },
			func(s *sampler) { s.observe(admin("a1"), false, t0) },
			func(s *sampler) { s.observe(admin("a2"), false, t0) },
			func(s *sampler) { s.observe(admin("a1"), true, at(3)) },
		}},
		"the last AccountAdministrator gone from an Account deactivated, then active again": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 5), false, t0) },
			func(s *sampler) { s.observe(admin("a1"), false, t0) },
			func(s *sampler) { s.observe(terminating(admin("a1"), 2), false, at(2)) },
			func(s *sampler) {
				s.observe(deactivated(fixtures.Account(ns, "acme", 5)), false, at(2).Add(500*time.Millisecond))
			},
			func(s *sampler) { s.observe(terminating(admin("a1"), 2), true, at(3)) },
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 5), false, at(3).Add(100*time.Millisecond)) },
		}},
		"an Account gone while a WorkCenter it had remains": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 5), false, t0) },
			func(s *sampler) { s.observe(fixtures.WorkCenter(ns, "wc"), false, t0) },
			func(s *sampler) { s.observe(fixtures.Role(ns, v1alpha1.RoleReadOnly), false, t0) },
			func(s *sampler) { s.observe(terminating(fixtures.Account(ns, "acme", 5), 2), false, at(2)) },
			func(s *sampler) { s.observe(terminating(fixtures.Account(ns, "acme", 5), 2), true, at(3)) },
		}, want: []string{"R11"}},
		"an Account gone once only its built-in roles remain": {events: []func(*sampler){
			func(s *sampler) { s.observe(fixtures.Account(ns, "acme", 5), false, t0) },
			func(s *sampler) { s.observe(fixtures.WorkCenter(ns, "wc"), false, t0) },
			func(s *sampler) { s.observe(fixtures.Role(ns, v1alpha1.RoleReadOnly), false, t0) },
			func(s *sampler) { s.observe(terminating(fixtures.Account(ns, "acme", 5), 2), false, at(2)) },
			func(s *sampler) { s.observe(fixtures.WorkCenter(ns, "wc"), true, at(2).Add(500*time.Millisecond)) },
			func(s *sampler) { s.observe(terminating(fixtures.Account(ns, "acme", 5), 2), true, at(3)) },
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newSampler(grace)
			for _, e := range tc.events {
				e(s)
			}
			_, n, _, found := s.report()
			var rules []string
			for _, v := range found {
				rules = append(rules, v[:strings.Index(v, ":")])
			}
			if n != len(tc.want) || strings.Join(rules, ",") != strings.Join(tc.want, ",") {
				t.Errorf("flagged %v, want rules %v", found, tc.want)
			}
		})
	}
}

// The failover test's write watch flags a write in the old leader's name from the
// second it was resumed on, once, and nothing older nor of another manager.
func TestWritesFlagsTheOldLeader(t *testing.T) {
	w := &writes{}
	at := func(manager string, when time.Time) *v1alpha1.Collaborator {
		c := fixtures.Collaborator("ns", "c", v1alpha1.Guest)
		tm := metav1.NewTime(when)
		c.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: &tm}}
		return c
	}
	w.observe(at("manager-a", time.Now())) // nothing expected yet
	resumed := w.expect("manager-a")
	w.observe(at("manager-a", resumed.Add(-2*time.Second)))
	w.observe(at("manager-b", resumed))
	if len(w.found()) != 0 {
		t.Fatalf("flagged %v", w.found())
	}
	w.observe(at("manager-a", resumed.Add(time.Second)))
	w.observe(at("manager-a", resumed.Add(time.Second)))
	if len(w.found()) != 1 || w.total() != 1 {
		t.Fatalf("flagged %v, want one write", w.found())
	}
}

// While paused (a broken watch), writes update the state but are not judged; resume
// judges again only once the sampler has seen every live object's revision.
func TestSamplerPause(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSampler(time.Second)
	acct := fixtures.Account("s", "acme", 1)
	acct.ResourceVersion = "10"
	s.observe(acct, false, t0)
	m := func(name string, sec int, rv string, licensed bool) *v1alpha1.Collaborator {
		c := fixtures.Collaborator("s", name, v1alpha1.Member)
		c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(sec) * time.Second))
		c.Generation, c.Status.ObservedGeneration, c.ResourceVersion = 1, 1, rv
		c.Status.Licensed = &licensed
		return c
	}
	s.observe(m("m1", 1, "11", true), false, t0)
	s.observe(m("m2", 2, "12", false), false, t0)
	s.pause()
	// Listed again after a restart: m2's license, written under a raised limit, comes
	// before the Account that raised it.
	s.observe(m("m2", 2, "14", true), false, t0.Add(5*time.Second))
	raised := acct.DeepCopy()
	raised.Spec.Licenses, raised.ResourceVersion = 2, "13"
	if s.resume([]client.Object{raised, m("m1", 1, "11", true), m("m2", 2, "14", true)}) {
		t.Fatal("resumed before the sampler saw the raised limit")
	}
	s.observe(raised, false, t0.Add(5*time.Second))
	s.observe(m("gone", 0, "9", true), false, t0.Add(5*time.Second)) // deleted during the outage
	if s.resume([]client.Object{raised, m("m1", 1, "11", true), m("m2", 2, "14", true)}) {
		t.Fatal("resumed while the sampler still holds an object deleted during the outage")
	}
	s.observe(m("gone", 0, "9", true), true, t0.Add(5*time.Second))
	if !s.resume([]client.Object{raised, m("m1", 1, "11", true), m("m2", 2, "14", true)}) {
		t.Fatal("not resumed once the sampler saw every object")
	}
	if _, n, _, found := s.report(); n != 0 {
		t.Fatalf("flagged %v while paused", found)
	}
	// Judged again: the limit lowered, and a license granted beyond it a grace later.
	s.observe(acct, false, t0.Add(6*time.Second))
	s.observe(m("m3", 3, "15", false), false, t0.Add(6*time.Second))
	s.observe(m("m3", 3, "16", true), false, t0.Add(8*time.Second))
	if _, n, _, _ := s.report(); n == 0 {
		t.Fatal("nothing flagged after resume")
	}
}

// A license judged against an Account the sampler has not seen change yet is skipped,
// not flagged; against the live one, flagged.
func TestSamplerStaleAccount(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, behind := range []bool{true, false} {
		acct := fixtures.Account("s", "acme", 1)
		acct.ResourceVersion = "10"
		liveAcct := acct.DeepCopy()
		if behind {
			liveAcct.Spec.Licenses, liveAcct.ResourceVersion = 5, "20"
		}
		s := newSampler(time.Second)
		s.live = staticReader{liveAcct}
		s.observe(acct, false, t0)
		m2 := fixtures.Collaborator("s", "m2", v1alpha1.Member)
		m2.CreationTimestamp = metav1.NewTime(t0.Add(2 * time.Second))
		m1 := m2.DeepCopy()
		m1.Name, m1.CreationTimestamp = "m1", metav1.NewTime(t0.Add(time.Second))
		s.observe(m1, false, t0)
		s.observe(m2, false, t0)
		yes := true
		m2 = m2.DeepCopy()
		m2.Status.Licensed = &yes
		s.observe(m2, false, t0.Add(3*time.Second))
		_, n, byRule, found := s.report()
		if behind && (n != 0 || byRule["skipped"] == 0) {
			t.Errorf("behind: flagged %v, skipped %d", found, byRule["skipped"])
		}
		if !behind && n == 0 {
			t.Errorf("up to date: nothing flagged")
		}
	}
}

// staticReader answers Get with its Account.
type staticReader struct{ acct *v1alpha1.Account }

func (r staticReader) Get(_ context.Context, _ client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	r.acct.DeepCopyInto(obj.(*v1alpha1.Account))
	return nil
}

func (r staticReader) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return nil
}
