// Added in this copy (workcenter-operator, see ../README.md).

package resource

import (
	"bytes"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// fromBytes is kio.FromBytes(b), with the documents of b decoded on every core.
//
// kio's ByteReader splits its input into documents itself (splitDocuments, copied below)
// and decodes each with a decoder of its own; with reader annotations omitted, nothing of
// one document depends on another, but for the unwrapping of a List or ResourceList,
// which it does only when there is one document. So each document of several is read
// here by a ByteReader of its own, as the one reader would read it (with the newline
// that reader gives back to each document but the last, and no unwrapping), and the
// nodes are concatenated in order. On any error, kio.FromBytes(b) itself says which.
func fromBytes(b []byte) ([]*yaml.RNode, error) {
	const atLeast = 64 // below, one core is as fast
	values, err := splitDocuments(strings.ReplaceAll(string(b), "\r\n", "\n"))
	if err != nil || len(values) < atLeast {
		return kio.FromBytes(b)
	}
	nodes := make([][]*yaml.RNode, len(values))
	errs := make([]error, len(values))
	var wg sync.WaitGroup
	next := make(chan int, 64)
	for range min(len(values), runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range next {
				v := values[i]
				if i != len(values)-1 {
					v += "\n"
				}
				nodes[i], errs[i] = (&kio.ByteReader{
					OmitReaderAnnotations: true,
					AnchorsAweigh:         true,
					DisableUnwrapping:     true,
					Reader:                bytes.NewBufferString(v),
				}).Read()
			}
		})
	}
	for i := range values {
		next <- i
	}
	close(next)
	wg.Wait()
	var out []*yaml.RNode
	for i := range values {
		if errs[i] != nil {
			return kio.FromBytes(b)
		}
		out = append(out, nodes[i]...)
	}
	return out, nil
}

// errSeparator: an invalid separator, which kio.FromBytes reports.
var errSeparator = errors.New("invalid document separator")

// splitDocuments is kio's own (sigs.k8s.io/kustomize/kyaml/kio/byteio_reader.go,
// kyaml v0.21.2), which it does not export.
func splitDocuments(s string) ([]string, error) {
	docs := make([]string, 0)
	if len(s) > 0 {
		// The YAML document separator is any line that starts with ---
		yamlSeparatorRegexp := regexp.MustCompile(`\n---.*\n`)

		// Find all separators, check them for invalid content, and append each document to docs
		separatorLocations := yamlSeparatorRegexp.FindAllStringIndex(s, -1)
		prev := 0
		for i := range separatorLocations {
			loc := separatorLocations[i]
			separator := s[loc[0]:loc[1]]

			// If the next non-whitespace character on the line following the separator is not a comment, return an error
			trimmedContentAfterSeparator := strings.TrimSpace(separator[4:])
			if len(trimmedContentAfterSeparator) > 0 && trimmedContentAfterSeparator[0] != '#' {
				return nil, errSeparator // kio.FromBytes says which
			}

			docs = append(docs, s[prev:loc[0]])
			prev = loc[1]
		}
		docs = append(docs, s[prev:])
	}

	return docs, nil
}
