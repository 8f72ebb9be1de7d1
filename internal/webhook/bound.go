package webhook

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// What the API server passes on from a webhook to the client is limited, and the
// webhooks' answers stay within those limits, whatever the names and lists in them.
// Messages are bounded where they are built (names shortened, lists as "and N more");
// bounded checks the whole answer once more.
const (
	// maxWarnings is how many bytes of warnings one answer carries in all. The API
	// server passes on up to 4096 characters of warnings per request and, past that,
	// cuts every warning of the request to 256 characters, its own and other webhooks'
	// included (k8s.io/apiserver/pkg/endpoints/filters/warning.go): 3072 leaves them
	// room, so each warning arrives whole.
	maxWarnings = 3072
	// maxWarning is the most one warning takes (bytes).
	maxWarning = 1024
	// maxMoreWarnings is the room kept for the warning that counts those left out.
	maxMoreWarnings = 64
	// maxDetail is the most one rejected field's message takes (bytes), its rule and
	// reason included.
	maxDetail = 2048
	// maxFieldErrors is how many rejected fields one denial names; the others are
	// counted.
	maxFieldErrors = 10
	// maxDenial is the most a denial's message takes (bytes). The API server sets no
	// limit, but a person reads it and kubectl prints it whole.
	maxDenial = model.MaxConditionMessage
	// maxUsername is the most of a username a message shows (bytes): usernames have no
	// schema, and a ServiceAccount's is often longer than the 63 characters of a name.
	maxUsername = 253
)

// bound wraps a validator so that its warnings and denials always stay within the
// limits above.
func bound[T runtime.Object](v admission.Validator[T]) admission.Validator[T] {
	return bounded[T]{v}
}

type bounded[T runtime.Object] struct{ v admission.Validator[T] }

func (b bounded[T]) ValidateCreate(ctx context.Context, obj T) (admission.Warnings, error) {
	w, err := b.v.ValidateCreate(ctx, obj)
	return boundWarnings(w), boundDenial(err)
}

func (b bounded[T]) ValidateUpdate(ctx context.Context, old, obj T) (admission.Warnings, error) {
	w, err := b.v.ValidateUpdate(ctx, old, obj)
	return boundWarnings(w), boundDenial(err)
}

func (b bounded[T]) ValidateDelete(ctx context.Context, obj T) (admission.Warnings, error) {
	w, err := b.v.ValidateDelete(ctx, obj)
	return boundWarnings(w), boundDenial(err)
}

// boundWarnings makes warnings the API server passes on whole: each one printable (a
// control character makes the API server drop it), at most maxWarning bytes, without
// repeats, and at most maxWarnings bytes in all; the warnings that do not fit are
// counted in a last one.
func boundWarnings(ws admission.Warnings) admission.Warnings {
	var unique admission.Warnings
	seen := map[string]bool{}
	for _, w := range ws {
		w = model.Bound(printable(w), maxWarning)
		if w != "" && !seen[w] {
			seen[w] = true
			unique = append(unique, w)
		}
	}
	total := 0
	for i, w := range unique {
		room := maxWarnings - total
		if i < len(unique)-1 {
			room -= maxMoreWarnings
		}
		if len(w) > room {
			return append(unique[:i:i], fmt.Sprintf("... and %d more warnings", len(unique)-i))
		}
		total += len(w)
	}
	return unique
}

// printable replaces control characters (a newline from a name or a message) by spaces.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// boundDenial keeps a denial's message within maxDenial bytes. Its parts are bounded
// already (see invalid and detail); this holds whatever else an error carries.
func boundDenial(err error) error {
	if err == nil {
		return nil
	}
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		if len(err.Error()) > maxDenial {
			return errors.New(model.Bound(err.Error(), maxDenial))
		}
		return err
	}
	if len(se.ErrStatus.Message) <= maxDenial {
		return err
	}
	st := *se.ErrStatus.DeepCopy()
	st.Message = model.Bound(st.Message, maxDenial)
	return &apierrors.StatusError{ErrStatus: st}
}
