package model

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Rule names a rule of docs/rules.md: R1 to R11, or one of the unnumbered ones.
type Rule string

// The rules of docs/rules.md, as findings, Events and the admission metrics name them.
const (
	R1  Rule = "R1"
	R2  Rule = "R2"
	R3  Rule = "R3"
	R4  Rule = "R4"
	R5  Rule = "R5"
	R6  Rule = "R6"
	R7  Rule = "R7"
	R8  Rule = "R8"
	R9  Rule = "R9"
	R10 Rule = "R10"
	R11 Rule = "R11"
	// RuleInclusionCycle: roles that include each other in a cycle.
	RuleInclusionCycle Rule = "InclusionCycle"
	// RuleDuplicateAccount: a second Account in a namespace.
	RuleDuplicateAccount Rule = "DuplicateAccount"
	// RulePending: a reference to an object that does not exist yet waits for it.
	RulePending Rule = "Pending"
	// RuleSelectors: a WorkCenter selector must select something and parse
	// (docs/assignments.md).
	RuleSelectors Rule = "Selectors"
	// RuleTemplates: a WorkCenter publishes the collaborators of a template directly
	// (docs/assignments.md).
	RuleTemplates Rule = "Templates"
)

// Finding is a broken rule, or a warning about one: which rule, its reason constant,
// the field that breaks it, and a bounded message that names the objects and
// permissions involved. Admission denies with the errors and passes on the warnings;
// the controllers put reason and message into status; metrics and Events take the rule.
type Finding struct {
	// Rule is the rule broken or warned about.
	Rule Rule
	// Reason is one of the v1alpha1 Reason constants; "" for a rule without one (R9).
	Reason string
	// Field is the field that breaks the rule; nil for the object as a whole.
	Field *field.Path
	// Value, when set, is the field's refused value (a 422 field.Invalid); without it the
	// field is field.Forbidden.
	Value any
	// Message explains the finding to a person. An error's message does not carry its
	// rule and reason (Detail adds them); a warning's says them in its own words.
	Message string
	// Warning is a finding that never blocks: admission passes it on as a warning.
	Warning bool
	// Forbidden is an error about who asks rather than what is asked: admission refuses
	// the request with 403 Forbidden instead of 422 Invalid (R9, delegated
	// administration).
	Forbidden bool
	// Audit, on a warning of delegated administration, is the WorkCenter whose audit
	// trail records the change: an administrator changed it, or its assignments, without
	// being assigned to it (docs/administration.md). A WorkCenter that does not exist yet
	// has only its name and namespace. Adapters record it as an Event once the change is
	// allowed; nil otherwise.
	Audit *v1alpha1.WorkCenter
}

func (f *Finding) Error() string { return f.Message }

// Detail is an error's message ending with its rule and reason, "(R4,
// LicenseLimitExceeded)", or "(InclusionCycle)" for a rule that is its own reason,
// within MaxDetail bytes: the message is cut before the rule and reason are.
func (f *Finding) Detail() string {
	suffix := fmt.Sprintf(" (%s, %s)", f.Rule, f.Reason)
	switch {
	case f.Reason == "" || f.Reason == string(f.Rule):
		suffix = fmt.Sprintf(" (%s)", f.Rule)
	}
	return Bound(f.Message, MaxDetail-len(suffix)) + suffix
}

// Findings are the findings of one decision, in the order the rules were checked.
type Findings []Finding

// Errors are the findings that block.
func (fs Findings) Errors() Findings {
	return slices.DeleteFunc(slices.Clone(fs), func(f Finding) bool { return f.Warning })
}

// Rule is the rule a decision is about: that of its first error, else of its first
// warning; "" when there is no finding.
func (fs Findings) Rule() Rule {
	if errs := fs.Errors(); len(errs) > 0 {
		return errs[0].Rule
	}
	if len(fs) > 0 {
		return fs[0].Rule
	}
	return ""
}

// What the API server passes on from a webhook to the client is limited, and admission's
// answers stay within those limits, whatever the names and lists in them. Messages are
// bounded where they are built (names shortened, lists as "and N more"); Warnings and
// Denial bound the whole answer once more.
const (
	// MaxWarnings is how many bytes of warnings one answer carries in all. The API
	// server passes on up to 4096 characters of warnings per request and, past that,
	// cuts every warning of the request to 256 characters, its own and other webhooks'
	// included (k8s.io/apiserver/pkg/endpoints/filters/warning.go): 3072 leaves them
	// room, so each warning arrives whole.
	MaxWarnings = 3072
	// MaxWarning is the most one warning takes (bytes).
	MaxWarning = 1024
	// maxMoreWarnings is the room kept for the warning that counts those left out.
	maxMoreWarnings = 64
	// MaxDetail is the most one rejected field's message takes (bytes), its rule and
	// reason included.
	MaxDetail = 2048
	// MaxFieldErrors is how many rejected fields one denial names; the others are
	// counted.
	MaxFieldErrors = 10
	// MaxDenial is the most a denial's message takes (bytes). The API server sets no
	// limit, but a person reads it and kubectl prints it whole.
	MaxDenial = MaxConditionMessage
	// MaxUsername is the most of a username a message shows (bytes): usernames have no
	// schema, and a ServiceAccount's is often longer than the 63 characters of a name.
	MaxUsername = 253
)

// Warnings are the warnings as the API server passes them on whole: each one printable
// (a control character makes the API server drop it), at most MaxWarning bytes, without
// repeats, and at most MaxWarnings bytes in all; the warnings that do not fit are counted
// in a last one.
func (fs Findings) Warnings() []string {
	var ws []string
	for _, f := range fs {
		if f.Warning {
			ws = append(ws, f.Message)
		}
	}
	return BoundWarnings(ws)
}

// BoundWarnings bounds warnings as Warnings does.
func BoundWarnings(ws []string) []string {
	var unique []string
	seen := map[string]bool{}
	for _, w := range ws {
		w = Bound(printable(w), MaxWarning)
		if w != "" && !seen[w] {
			seen[w] = true
			unique = append(unique, w)
		}
	}
	total := 0
	for i, w := range unique {
		room := MaxWarnings - total
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

// Denial is the error admission refuses the object of kind and name with, nil when no finding blocks: a
// Forbidden finding refuses the request (403); otherwise one Invalid error (422) names
// every rejected field at once, each with its rule and reason, up to MaxFieldErrors (the
// others are counted), so that a person sees every broken rule at once.
func (fs Findings) Denial(kind, name string) error {
	errs := fs.Errors()
	if len(errs) == 0 {
		return nil
	}
	gk := v1alpha1.GroupVersion.WithKind(kind).GroupKind()
	if forbidden := slices.DeleteFunc(slices.Clone(errs), func(f Finding) bool { return !f.Forbidden }); len(forbidden) > 0 {
		// Every refusal of who asks, each at its field when it has one: a change that
		// needs two capabilities the person lacks names both.
		var parts []string
		for i, f := range forbidden {
			switch {
			case i == MaxFieldErrors:
				parts = append(parts, fmt.Sprintf("and %d more", len(forbidden)-i))
			case i > MaxFieldErrors:
			case f.Field != nil:
				parts = append(parts, f.Field.String()+": "+f.Detail())
			default:
				parts = append(parts, f.Detail())
			}
		}
		resource := v1alpha1.GroupVersion.WithResource(strings.ToLower(kind) + "s").GroupResource()
		return BoundDenial(apierrors.NewForbidden(resource, name, errors.New(strings.Join(parts, "; "))))
	}
	list := make(field.ErrorList, 0, len(errs))
	for _, f := range errs {
		path := f.Field
		if path == nil {
			path = field.NewPath("spec")
		}
		if f.Value != nil {
			list = append(list, field.Invalid(path, f.Value, f.Detail()))
		} else {
			list = append(list, field.Forbidden(path, f.Detail()))
		}
	}
	if n := len(list) - MaxFieldErrors; n > 0 {
		// The object's own fields first (spec.type, spec.email), then items of its lists
		// (spec.workCenters[i].role), which can be many of the same kind.
		own := slices.DeleteFunc(slices.Clone(list), func(e *field.Error) bool { return strings.Contains(e.Field, "[") })
		items := slices.DeleteFunc(slices.Clone(list), func(e *field.Error) bool { return !strings.Contains(e.Field, "[") })
		list = append(append(own, items...)[:MaxFieldErrors:MaxFieldErrors], field.Forbidden(field.NewPath("spec"),
			fmt.Sprintf("%d more fields break rules like those above; they are named once those are fixed", n)))
	}
	return BoundDenial(apierrors.NewInvalid(gk, name, list))
}

// BoundDenial keeps a denial's message within MaxDenial bytes. Its parts are bounded
// already; this holds whatever else an error carries.
func BoundDenial(err error) error {
	if err == nil {
		return nil
	}
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		if len(err.Error()) > MaxDenial {
			return errors.New(Bound(err.Error(), MaxDenial))
		}
		return err
	}
	if len(se.ErrStatus.Message) <= MaxDenial {
		return err
	}
	st := *se.ErrStatus.DeepCopy()
	st.Message = Bound(st.Message, MaxDenial)
	return &apierrors.StatusError{ErrStatus: st}
}
