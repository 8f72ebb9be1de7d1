package sharding

import (
	"fmt"
	"slices"
	"testing"
)

func namespaces(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("account-%d", i)
	}
	return out
}

// Assign depends on the set of shards only, spreads the namespaces evenly, and moves
// only what consistent hashing must: to a shard that joins, from one that leaves.
func TestAssignMovesOnlyTheJoinersAndTheLeaversNamespaces(t *testing.T) {
	nss := namespaces(3000)
	three := []string{"a", "b", "c"}
	count := map[string]int{}
	for _, ns := range nss {
		s := Assign(ns, three)
		if other := Assign(ns, []string{"c", "a", "b"}); other != s {
			t.Fatalf("%s: %s or %s, depending on the order of the shards", ns, s, other)
		}
		count[s]++
	}
	for _, s := range three {
		if n := count[s]; n < 850 || n > 1150 {
			t.Errorf("shard %s holds %d of 3000 namespaces over 3 shards", s, n)
		}
	}
	four := []string{"a", "b", "c", "d"}
	two := []string{"a", "c"}
	moved := map[string]int{}
	for _, ns := range nss {
		before, joined, left := Assign(ns, three), Assign(ns, four), Assign(ns, two)
		if joined != before && joined != "d" {
			t.Errorf("%s moved from %s to %s when d joined", ns, before, joined)
		}
		if left != before && before != "b" {
			t.Errorf("%s moved from %s to %s when b left", ns, before, left)
		}
		if joined == "d" {
			moved["joined"]++
		}
		if before == "b" {
			moved["left"]++
		}
	}
	if n := moved["joined"]; n < 600 || n > 900 {
		t.Errorf("d joining took %d of 3000 namespaces, about a quarter expected", n)
	}
	if Assign("x", nil) != "" {
		t.Error("a namespace assigned with no shard")
	}
}

func states(m map[string]ShardState) func(string) ShardState {
	return func(s string) ShardState { return m[s] }
}

// Next, one namespace at a time: a live owner is drained before its namespace moves, a
// dead one (Gone) is not, an expired one not yet taken over keeps it.
func TestNextDrainsALiveOwnerOnly(t *testing.T) {
	// Namespaces that "b" wins over "a", and the other way round.
	var toB, toA string
	for _, ns := range namespaces(100) {
		if Assign(ns, []string{"a", "b"}) == "b" && toB == "" {
			toB = ns
		}
		if Assign(ns, []string{"a", "b"}) == "a" && toA == "" {
			toA = ns
		}
	}
	live := []string{"a", "b"}
	alive := states(map[string]ShardState{"a": Live, "b": Live, "x": Gone, "e": Expired})
	for _, tc := range []struct {
		name string
		ns   string
		cur  Assignment
		live []string
		want Assignment
	}{
		{"new", toB, Assignment{}, live, Assignment{Owner: "b"}},
		{"no live shard", toB, Assignment{Owner: "a"}, nil, Assignment{Owner: "a"}},
		{"in place", toB, Assignment{Owner: "b"}, live, Assignment{Owner: "b"}},
		{"live owner: drain first", toB, Assignment{Owner: "a"}, live, Assignment{Owner: "a", Drain: "a"}},
		{"draining: wait", toB, Assignment{Owner: "a", Drain: "a"}, live, Assignment{Owner: "a", Drain: "a"}},
		{"drained: move", toB, Assignment{Owner: "a", Drain: "a", Drained: "a"}, live, Assignment{Owner: "b"}},
		{"another's acknowledgement counts for nothing", toB, Assignment{Owner: "a", Drain: "a", Drained: "b"}, live, Assignment{Owner: "a", Drain: "a", Drained: "b"}},
		{"a stale drain is started again", toB, Assignment{Owner: "a", Drain: "b", Drained: "b"}, live, Assignment{Owner: "a", Drain: "a"}},
		{"drain called off", toA, Assignment{Owner: "a", Drain: "a", Drained: "a"}, live, Assignment{Owner: "a"}},
		{"gone owner: no drain", toB, Assignment{Owner: "x", Drain: "x"}, live, Assignment{Owner: "b"}},
		{"expired owner not taken over: wait", toB, Assignment{Owner: "e"}, live, Assignment{Owner: "e"}},
		{"unknown owner: wait", toB, Assignment{Owner: "u"}, live, Assignment{Owner: "u"}},
	} {
		if got := Next(tc.ns, tc.cur, tc.live, alive); got != tc.want {
			t.Errorf("%s: %+v gives %+v, want %+v", tc.name, tc.cur, got, tc.want)
		}
	}
}

// Every namespace reaches the shard Assign picks, in at most three steps (drain,
// acknowledgement, move), whatever it held before.
func TestNextConverges(t *testing.T) {
	live := []string{"a", "b", "c"}
	st := states(map[string]ShardState{"a": Live, "b": Live, "c": Live, "x": Gone})
	for _, ns := range namespaces(200) {
		for _, start := range []Assignment{{}, {Owner: "a"}, {Owner: "b", Drain: "b"}, {Owner: "x"}, {Owner: "c", Drain: "c", Drained: "c"}} {
			cur := start
			for step := 0; ; step++ {
				next := Next(ns, cur, live, st)
				if next == cur && next.Drain == cur.Owner && next.Drain != "" {
					next.Drained = cur.Owner // the owner acknowledges
				}
				if next == cur {
					break
				}
				if step == 3 {
					t.Fatalf("%s from %+v: no fixed point after 3 steps (%+v)", ns, start, next)
				}
				cur = next
			}
			if want := (Assignment{Owner: Assign(ns, live)}); cur != want {
				t.Errorf("%s from %+v ends at %+v, want %+v", ns, start, cur, want)
			}
		}
	}
	if !slices.Equal(live, []string{"a", "b", "c"}) {
		t.Fatal("Next changed its live shards")
	}
}
