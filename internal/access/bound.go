package access

import (
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
	// maxNameInMessage is how many runes of a name a message shows before "…".
	maxNameInMessage = 63
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

func shortAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = Short(n)
	}
	return out
}
