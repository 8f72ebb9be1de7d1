package query

import (
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// CompareNames orders names as people read them: runs of digits by their number, the rest
// as text, so that user-142 comes before user-1072 (text order puts it after). Names that
// differ only in leading zeros fall back to text order, so the order is total.
func CompareNames(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			x, y := strings.TrimLeft(a[si:i], "0"), strings.TrimLeft(b[sj:j], "0")
			if len(x) != len(y) {
				return len(x) - len(y)
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			return int(a[i]) - int(b[j])
		}
		i++
		j++
	}
	if c := (len(a) - i) - (len(b) - j); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// SortNames sorts names in place in the order of CompareNames.
func SortNames(names []string) { slices.SortFunc(names, CompareNames) }

// byName orders collaborators by CompareNames.
func byName(x, y *v1alpha1.Collaborator) int { return CompareNames(x.Name, y.Name) }

// sortedByName is a copy of cs in the order of CompareNames.
func sortedByName(cs []*v1alpha1.Collaborator) []*v1alpha1.Collaborator {
	out := slices.Clone(cs)
	slices.SortFunc(out, byName)
	return out
}
