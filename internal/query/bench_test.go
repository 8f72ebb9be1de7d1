package query

import (
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// large is the benchmarks' account: 10,000 collaborators (a third of them
// guests, 3 assignments each, 1 in 50 an administrator), 200 roles including each other
// in chains, 50 WorkCenters (5 archived), 8,000 licenses.
func large(b *testing.B) *Engine { return largeN(b, 10000) }

// largeN is large with n collaborators.
func largeN(b *testing.B, n int) *Engine {
	b.Helper()
	m := model.New(ns)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(m.Set(fixtures.Account(ns, "acme", 8000)))
	for i := range 50 {
		wc := fixtures.WorkCenter(ns, fmt.Sprintf("wc-%02d", i))
		wc.Spec.Archived = i%10 == 9
		must(m.Set(wc))
	}
	for _, name := range BuiltInRoles {
		must(m.Set(fixtures.Role(ns, name)))
	}
	catalog := model.Catalog()
	for i := range 200 {
		r := fixtures.Role(ns, fmt.Sprintf("role-%03d", i))
		if i%4 != 0 {
			r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.ObjectName(fmt.Sprintf("role-%03d", i-1))}
		} else {
			r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.RoleContributor}
		}
		if i%2 == 0 {
			r.Spec.Permissions = []v1alpha1.Permission{catalog[i%len(catalog)].Permission}
		}
		r.Spec.Levels.Folders = v1alpha1.LevelStandard
		must(m.Set(r))
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		typ := v1alpha1.Member
		if i%3 == 0 {
			typ = v1alpha1.Guest
		}
		var assign []string
		for k := range 3 {
			role := fmt.Sprintf("role-%03d", (i*7+k*13)%200)
			if typ == v1alpha1.Guest {
				role = v1alpha1.RoleContributor
			}
			assign = append(assign, fmt.Sprintf("wc-%02d=%s", (i+k*17)%50, role))
		}
		c := fixtures.Collaborator(ns, fmt.Sprintf("person-%05d", i), typ, assign...)
		c.Spec.Email = c.Name + "@acme.example"
		c.CreationTimestamp = metav1.NewTime(t.Add(time.Duration(i) * time.Second))
		if typ == v1alpha1.Member && i%50 == 1 {
			c.Spec.AdminRole = v1alpha1.AdminRoleWorkCenterAdministrator
		}
		must(m.Set(c))
	}
	e := New(m, now)
	e.Matrix() // load: every role's effective set, memoized by the model
	return e
}

// BenchmarkWhoCan is who-can over 10,000 collaborators and 200 roles, with the denied
// (goal: under 50 ms after loading).
func BenchmarkWhoCan(b *testing.B) {
	e := large(b)
	b.ResetTimer()
	var n int
	for b.Loop() {
		r := e.WhoCan(model.FilesUpload, "wc-07", true)
		n = len(r.Allowed) + len(r.Denied)
	}
	b.ReportMetric(float64(n), "answers")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkMatrix is the matrix of 200 roles (and the built-in ones) against the
// catalog (goal: under 50 ms after loading).
func BenchmarkMatrix(b *testing.B) {
	e := large(b)
	b.ResetTimer()
	for b.Loop() {
		_ = e.Matrix()
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
}

// BenchmarkCheck is can-i with its explanation, for a Member granted through a chain of
// includes (goal: under 20 µs).
func BenchmarkCheck(b *testing.B) {
	e := large(b)
	c := e.Model().Collaborator("person-00001")
	wc := string(c.Spec.WorkCenters[0].Name)
	b.ResetTimer()
	for b.Loop() {
		if d := e.Check(c, wc, model.FoldersCreate); !d.Allowed {
			b.Fatalf("denied: %s", d.Reason())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
}

// BenchmarkWhoCanCapability is who-can for an account-level capability, with the
// refused, over 1,000 and 10,000 collaborators: the model decides for each of them, and
// each refusal's message names the holders, which the model counts once per snapshot.
func BenchmarkWhoCanCapability(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("collaborators=%d", n), func(b *testing.B) {
			e := largeN(b, n)
			b.ResetTimer()
			var answers int
			for b.Loop() {
				r := e.WhoCanCapability(model.WorkCentersEdit, "wc-07", true)
				answers = len(r.Allowed) + len(r.Denied)
			}
			b.ReportMetric(float64(answers), "answers")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
		})
	}
}

// BenchmarkCanCapability is can-i for an account-level capability, refused (the message
// names who holds it).
func BenchmarkCanCapability(b *testing.B) {
	e := large(b)
	c := e.Model().Collaborator("person-00002")
	b.ResetTimer()
	for b.Loop() {
		if d := e.CanCapability(c, model.UsersUpgrade, ""); d.Allowed {
			b.Fatalf("allowed: %s", d.Message)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/op")
}
