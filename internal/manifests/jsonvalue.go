package manifests

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// resourceObject is a rendered resource's object as kustomize's own output decodes: the
// value kyaml's RNode.MarshalJSON encodes (the node printed as YAML, that YAML decoded
// into a map by yaml.v3, the map encoded as JSON), decoded from JSON as sigs.k8s.io/yaml
// decodes it (numbers float64). It decodes the node itself, which is what yaml.v3 does
// with the YAML it prints of it, and converts the map as encoding to JSON and decoding
// it back would, without doing either: a third of a -k query's allocations.
func resourceObject(n *kyaml.RNode) (map[string]any, error) {
	y := n.YNode()
	if y == nil {
		return nil, nil
	}
	var m map[string]any
	if err := y.Decode(&m); err != nil {
		return nil, err
	}
	out, err := jsonValue(m)
	if err != nil {
		return nil, err
	}
	obj, _ := out.(map[string]any)
	return obj, nil
}

// jsonValue is v (as yaml.v3 decodes into an interface{}) encoded with encoding/json and
// decoded back into an interface{}: maps with string keys, slices, strings (invalid UTF-8
// replaced), float64 numbers, bools, nil; a time as its JSON string. What encoding/json
// refuses (NaN, infinities, maps with keys that are not strings) is an error, as there.
func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool:
		return v, nil
	case string:
		if !utf8.ValidString(v) {
			return validUTF8(v), nil
		}
		return v, nil
	case int:
		return float64(v), nil
	case int64:
		return float64(v), nil
	case uint64:
		return float64(v), nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, &json.UnsupportedValueError{Str: fmt.Sprint(v)}
		}
		return v, nil
	case map[string]any:
		for k, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			if !utf8.ValidString(k) {
				delete(v, k)
				k = validUTF8(k)
			}
			v[k] = c
		}
		return v, nil
	case []any:
		for i, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
		return v, nil
	case time.Time:
		return roundTripJSON(v)
	}
	return roundTripJSON(v)
}

// roundTripJSON is v encoded with encoding/json and decoded back.
func roundTripJSON(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(data, &out)
	return out, err
}

// validUTF8 is s with each byte that is not part of valid UTF-8 replaced with U+FFFD, as
// encoding/json writes it.
func validUTF8(s string) string {
	out := make([]rune, 0, len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		out = append(out, r) // RuneError for an invalid byte, size 1
		i += size
	}
	return string(out)
}
