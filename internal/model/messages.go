package model

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits of the fields and objects a message ends up in. A message that names objects
// or permissions is bounded where it is built: names are at most 253 characters and
// lists reach their maxItems, so an unbounded message can exceed the field and freeze a
// status (every write refused) or lose an Event.
const (
	// MaxAssignmentMessage is status.workCenters[].message's maxLength.
	MaxAssignmentMessage = 1024
	// MaxConditionMessage is metav1.Condition's message maxLength.
	MaxConditionMessage = 32768
	// MaxEventNote is the most an events.k8s.io/v1 Event note may hold (bytes).
	MaxEventNote = 1024
	// MaxListInMessage is how many bytes ListWithTotal's list takes at most: ten names
	// shortened to 63 runes still fit, and a message with a list and a few names stays
	// within MaxAssignmentMessage and MaxEventNote.
	MaxListInMessage = 512
	// maxNameInMessage is how many runes of a name a message shows before "…".
	maxNameInMessage = 63
	// maxChainInMessage is how many roles a chain of includes (a cycle, the path to a
	// missing role) shows: the first ones and the last.
	maxChainInMessage = 8
)

const ellipsis = "…"

// Bound returns msg cut to at most max bytes, on a rune boundary, ending in "…" when
// cut. max is in bytes, which also bounds the count of characters a schema measures.
func Bound(msg string, max int) string {
	if len(msg) <= max {
		return msg
	}
	if max < len(ellipsis) {
		return ""
	}
	cut := max - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + ellipsis
}

// Short is a name as a message shows it: whole when it has at most 63 runes, else its
// first 62 runes and "…", so that a message naming several objects at their maximum
// length stays readable and within its field.
func Short(name string) string {
	if utf8.RuneCountInString(name) <= maxNameInMessage {
		return name
	}
	n := 0
	for i := range name {
		if n == maxNameInMessage-1 {
			return name[:i] + ellipsis
		}
		n++
	}
	return name
}

func same(s string) string { return s }

// cat appends parts to b: messages built on a hot path (a check's answer) are appended to
// one buffer and made a string once.
func cat(b []byte, parts ...string) []byte {
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func shortAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Short(n)
	}
	return out
}

// ListWithin joins up to limit names, each shortened (Short), as many as fit in max
// bytes, and says how many there are in all when some are left out:
// "a, b, c and 7 more (10 in total)". The result is never longer than max.
func ListWithin(names []string, limit, max int) string {
	return listWithin(names, limit, max, Short)
}

// listWithin is ListWithin with each item shown as show gives it.
func listWithin(names []string, limit, max int, show func(string) string) string {
	return listOf(names[:min(limit, len(names))], len(names), max, show)
}

// listOf is listWithin for the first names of a list of total, in order: those are all
// it shows.
func listOf(first []string, total, max int, show func(string) string) string {
	if len(first) == total {
		all := make([]string, total)
		for i, n := range first {
			all[i] = show(n)
		}
		if list := strings.Join(all, ", "); len(list) <= max {
			return list
		}
	}
	more := func(shown int) string {
		if shown == total {
			return ""
		}
		return fmt.Sprintf(" and %d more (%d in total)", total-shown, total)
	}
	var b strings.Builder
	shown := 0
	for ; shown < len(first); shown++ {
		name, sep := show(first[shown]), ""
		if shown > 0 {
			sep = ", "
		}
		if b.Len()+len(sep)+len(name)+len(more(shown+1)) > max {
			break
		}
		b.WriteString(sep)
		b.WriteString(name)
	}
	if shown == 0 && total > 0 {
		return Bound(fmt.Sprintf("%d in total", total), max)
	}
	return b.String() + more(shown)
}

// chain joins a chain of role names with " -> ", showing at most maxChainInMessage of
// them: the first ones, then how many are left out, then the last.
func chain(path []string) string {
	if len(path) <= maxChainInMessage {
		return strings.Join(shortAll(path), " -> ")
	}
	head := shortAll(path[:maxChainInMessage-1])
	return fmt.Sprintf("%s -> … %d more … -> %s", strings.Join(head, " -> "), len(path)-maxChainInMessage, Short(path[len(path)-1]))
}

// ListWithTotal joins up to limit names, each shortened (Short), and says how many
// there are in all when some are left out: "a, b, c and 7 more (10 in total)". The list
// takes at most MaxListInMessage bytes: fewer names are shown when they are long.
func ListWithTotal(names []string, limit int) string {
	return ListWithin(names, limit, MaxListInMessage)
}

// Nearest returns up to three of names closest to name (edit distance, ignoring case),
// nearest first; a name containing it counts as nearer than any other.
func Nearest(name string, names []string) []string {
	type scored struct {
		name string
		d    int
	}
	var near []scored
	lower := strings.ToLower(name)
	for _, n := range names {
		ln := strings.ToLower(n)
		d := distance(lower, ln)
		if len(lower) >= 3 && strings.Contains(ln, lower) {
			d = 0
		}
		near = append(near, scored{n, d})
	}
	slices.SortStableFunc(near, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, s := range near {
		if !slices.Contains(out, s.name) {
			out = append(out, s.name)
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

// Closest are the names of names nearest to name, when any is near enough to be what
// was meant (a different case, or a typo or two): those at the smallest edit distance.
func Closest(name string, names []string) []string {
	best, limit := -1, max(2, len(name)/3)
	var out []string
	for _, n := range names {
		d := distance(strings.ToLower(name), strings.ToLower(n))
		if d > limit {
			continue
		}
		switch {
		case best < 0 || d < best:
			best, out = d, []string{n}
		case d == best:
			out = append(out, n)
		}
	}
	return out
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
