package model

import (
	"fmt"
	"testing"
)

// rbacBenchAccount is an account of n people, as test/scale shapes them: 50 WorkCenters,
// the 200 chained roles of benchRoles, three assignments each, a third of them Guests;
// among the Members two Account Administrators, and one in fifty a WorkCenter or User
// Administrator; licenses for every Member.
func rbacBenchAccount(b *testing.B, n int) *Account {
	a := New(testNamespace)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(a.Set(newAccount(licenses(int32(n)))))
	for _, r := range benchRoles() {
		must(a.Set(r))
	}
	for i := range 50 {
		must(a.Set(newWorkCenter(fmt.Sprintf("wc-%d", i), i%10 == 9)))
	}
	for i := range n {
		opts := []collabOpt{created(i)}
		guest := i%3 == 2
		if !guest {
			opts = append(opts, member())
		}
		switch {
		case i < 2:
			opts = append(opts, admin(aa))
		case !guest && i%50 == 0:
			opts = append(opts, admin(wca))
		case !guest && i%50 == 1:
			opts = append(opts, admin(ua))
		}
		chain := func(k int) string {
			c := (i + k*7) % 40
			if guest && c%10 <= 1 {
				c += 2 // keep guests off member-only chains
			}
			return fmt.Sprintf("chain-%02d-%d", c, k)
		}
		opts = append(opts, assigned(
			fmt.Sprintf("wc-%d=%s", (3*i)%50, chain(0)),
			fmt.Sprintf("wc-%d=%s", (3*i+1)%50, chain(1)),
			fmt.Sprintf("wc-%d=%s", (3*i+2)%50, chain(2)),
		))
		must(a.Set(newCollab(fmt.Sprintf("person-%05d", i), opts...)))
	}
	return a
}

// BenchmarkRBAC is what the RBAC controller computes on every change of an account: the
// rules of all its people (RBAC), at 1,000 and 10,000 collaborators, per person and for
// the whole account; and one person's rules alone (RBACRules), which decides every
// capability afresh.
func BenchmarkRBAC(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		a := rbacBenchAccount(b, n)
		b.Run(fmt.Sprintf("all %d people", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				count := 0
				for _, rules := range a.RBAC() {
					if len(rules) == 0 {
						b.Fatal("no rules")
					}
					count++
				}
				if count != n {
					b.Fatalf("%d people, want %d", count, n)
				}
			}
			perAccount := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			b.ReportMetric(perAccount/1e6, "ms/account")
			b.ReportMetric(perAccount/float64(n)/1e3, "µs/person")
		})
		b.Run(fmt.Sprintf("one person of %d", n), func(b *testing.B) {
			c := a.Collaborator("person-00004")
			b.ReportAllocs()
			for b.Loop() {
				if len(a.RBACRules(c)) == 0 {
					b.Fatal("no rules")
				}
			}
		})
	}
}
