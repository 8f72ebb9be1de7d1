package model

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Findings as admission answers with them (findings.go): the rule a decision is about,
// the errors, each error's detail, the denial and the warnings, within what the API
// server passes on whole.

// Findings of every shape, for the tables below.
var (
	warnPending = Finding{Rule: RulePending, Reason: v1alpha1.ReasonAccountNotFound, Warning: true, Message: "no Account yet"}
	warnCycle   = Finding{Rule: RuleInclusionCycle, Reason: v1alpha1.ReasonInclusionCycle, Warning: true, Message: "a cycle was there before"}
	errR4       = Finding{Rule: R4, Reason: v1alpha1.ReasonLicenseLimitExceeded, Field: field.NewPath("spec", "type"), Message: "no free license"}
	errR5       = Finding{Rule: R5, Reason: v1alpha1.ReasonDuplicateEmail, Field: field.NewPath("spec", "email"), Value: "ada@example.com", Message: "email taken"}
	errR9       = Finding{Rule: R9, Forbidden: true, Message: "read-only is built in"}
)

func itemError(i int) Finding {
	return Finding{Rule: R2, Reason: v1alpha1.ReasonRoleRequiresMember, Field: field.NewPath("spec", "workCenters").Index(i).Child("role"), Message: fmt.Sprintf("role %d", i)}
}

func TestFindingsRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   Findings
		want Rule
	}{
		{"none", nil, ""},
		{"empty", Findings{}, ""},
		{"only warnings: the first warning's", Findings{warnPending, warnCycle}, RulePending},
		{"a warning before an error: the error's", Findings{warnPending, errR5}, R5},
		{"several errors: the first's", Findings{warnCycle, errR4, errR5}, R4},
		{"a forbidden error", Findings{warnCycle, errR9}, R9},
	} {
		if got := tc.fs.Rule(); got != tc.want {
			t.Errorf("%s: Rule() = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestFindingsErrors(t *testing.T) {
	fs := Findings{warnPending, errR4, warnCycle, errR5, errR9}
	got := fs.Errors()
	var rules []Rule
	for _, f := range got {
		rules = append(rules, f.Rule)
	}
	if !slices.Equal(rules, []Rule{R4, R5, R9}) {
		t.Errorf("Errors() rules %v, want [R4 R5 R9] in order", rules)
	}
	if len(fs) != 5 || fs[0].Rule != RulePending || fs[2].Rule != RuleInclusionCycle {
		t.Errorf("Errors() changed the findings it was asked about: %v", fs)
	}
	if got := (Findings{warnPending, warnCycle}).Errors(); len(got) != 0 {
		t.Errorf("Errors() of warnings = %v, want none", got)
	}
	if got := Findings(nil).Errors(); len(got) != 0 {
		t.Errorf("Errors() of none = %v", got)
	}
}

func TestFindingDetail(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    Finding
		want string
	}{
		{"rule and reason", errR4, "no free license (R4, LicenseLimitExceeded)"},
		{"a rule that is its own reason", Finding{Rule: RuleInclusionCycle, Reason: v1alpha1.ReasonInclusionCycle, Message: "cycle"}, "cycle (InclusionCycle)"},
		{"a rule without a reason", errR9, "read-only is built in (R9)"},
		{"an empty message", Finding{Rule: R10, Reason: v1alpha1.ReasonRoleTerminating}, " (R10, RoleTerminating)"},
	} {
		if got := tc.f.Detail(); got != tc.want {
			t.Errorf("%s: Detail() = %q, want %q", tc.name, got, tc.want)
		}
	}
	// At the limit exactly, nothing is cut; one byte more and the message is.
	suffix := " (R2, RoleRequiresMember)"
	fits := Finding{Rule: R2, Reason: v1alpha1.ReasonRoleRequiresMember, Message: strings.Repeat("a", MaxDetail-len(suffix))}
	if got := fits.Detail(); len(got) != MaxDetail || strings.Contains(got, "…") {
		t.Errorf("a message that fits was cut: %d bytes", len(got))
	}
	over := Finding{Rule: R2, Reason: v1alpha1.ReasonRoleRequiresMember, Message: strings.Repeat("a", MaxDetail)}
	if got := over.Detail(); len(got) > MaxDetail || !strings.HasSuffix(got, "…"+suffix) {
		t.Errorf("a long message: %d bytes, ending %q", len(got), got[max(0, len(got)-40):])
	}
}

func TestDetailKeepsRuleAndReason(t *testing.T) {
	v := &Finding{Rule: "R2", Reason: v1alpha1.ReasonRoleRequiresMember, Message: strings.Repeat("ü", 3000)}
	got := v.Detail()
	if len(got) > MaxDetail || !utf8.ValidString(got) || !strings.HasSuffix(got, "… (R2, RoleRequiresMember)") {
		t.Fatalf("detail of %d bytes: %.100q…%q", len(got), got, got[len(got)-40:])
	}
	short := &Finding{Rule: "R5", Reason: v1alpha1.ReasonDuplicateEmail, Message: "taken"}
	if got := short.Detail(); got != "taken (R5, DuplicateEmail)" {
		t.Fatalf("detail = %q", got)
	}
}

// wantCause is one rejected field of a 422.
type wantCause struct {
	typ     metav1.CauseType
	field   string
	message string // the whole cause message
}

func TestDenial(t *testing.T) {
	invalid := func(path, value, detail string) wantCause {
		return wantCause{metav1.CauseType(field.ErrorTypeInvalid), path, fmt.Sprintf("Invalid value: %q: %s", value, detail)}
	}
	forbidden := func(path, detail string) wantCause {
		return wantCause{metav1.CauseType(field.ErrorTypeForbidden), path, "Forbidden: " + detail}
	}
	var items Findings
	for i := range 12 {
		items = append(items, itemError(i))
	}
	for _, tc := range []struct {
		name string
		fs   Findings
		// code is 0 for no denial, 422 with causes, 403 with says in the message.
		code   int32
		causes []wantCause
		says   string
		defect string
	}{
		{name: "no findings", fs: nil},
		{name: "only warnings", fs: Findings{warnPending, warnCycle}},
		{name: "a value: Invalid", fs: Findings{errR5}, code: http.StatusUnprocessableEntity,
			causes: []wantCause{invalid("spec.email", "ada@example.com", "email taken (R5, DuplicateEmail)")}},
		{name: "no value: Forbidden at the field", fs: Findings{errR4}, code: http.StatusUnprocessableEntity,
			causes: []wantCause{forbidden("spec.type", "no free license (R4, LicenseLimitExceeded)")}},
		{name: "no field: at spec", fs: Findings{{Rule: RuleInclusionCycle, Reason: v1alpha1.ReasonInclusionCycle, Message: "cycle"}}, code: http.StatusUnprocessableEntity,
			causes: []wantCause{forbidden("spec", "cycle (InclusionCycle)")}},
		{name: "one cause per error, in order, warnings left out", fs: Findings{warnPending, itemError(3), errR4, warnCycle, errR5}, code: http.StatusUnprocessableEntity,
			causes: []wantCause{
				forbidden("spec.workCenters[3].role", "role 3 (R2, RoleRequiresMember)"),
				forbidden("spec.type", "no free license (R4, LicenseLimitExceeded)"),
				invalid("spec.email", "ada@example.com", "email taken (R5, DuplicateEmail)"),
			}},
		{name: "exactly MaxFieldErrors: all named", fs: items[:MaxFieldErrors], code: http.StatusUnprocessableEntity,
			causes: func() []wantCause {
				var out []wantCause
				for i := range MaxFieldErrors {
					out = append(out, forbidden(fmt.Sprintf("spec.workCenters[%d].role", i), fmt.Sprintf("role %d (R2, RoleRequiresMember)", i)))
				}
				return out
			}()},
		{name: "more than MaxFieldErrors: own fields first, the rest counted", fs: append(slices.Clone(items), errR4, errR5), code: http.StatusUnprocessableEntity,
			causes: func() []wantCause {
				out := []wantCause{
					forbidden("spec.type", "no free license (R4, LicenseLimitExceeded)"),
					invalid("spec.email", "ada@example.com", "email taken (R5, DuplicateEmail)"),
				}
				for i := range MaxFieldErrors - 2 {
					out = append(out, forbidden(fmt.Sprintf("spec.workCenters[%d].role", i), fmt.Sprintf("role %d (R2, RoleRequiresMember)", i)))
				}
				return append(out, forbidden("spec", "4 more fields break rules like those above; they are named once those are fixed"))
			}()},
		{name: "a Forbidden finding: 403", fs: Findings{warnPending, errR9}, code: http.StatusForbidden, says: "read-only is built in (R9)"},
		{name: "a Forbidden finding wins over Invalid ones", fs: Findings{errR4, errR9, errR5}, code: http.StatusForbidden, says: "read-only is built in (R9)"},
		{name: "a Forbidden denial ends with its rule", fs: Findings{errR9}, code: http.StatusForbidden, says: "read-only is built in (R9)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.fs.Denial("Collaborator", "gina")
			var problems []string
			bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
			var se *apierrors.StatusError
			switch {
			case tc.code == 0:
				if err != nil {
					bad("denied: %v", err)
				}
			case !errors.As(err, &se):
				bad("not a StatusError: %T %v", err, err)
			case se.ErrStatus.Code != tc.code:
				bad("code %d (%s), want %d", se.ErrStatus.Code, se.ErrStatus.Reason, tc.code)
			case tc.code == http.StatusForbidden:
				if !apierrors.IsForbidden(err) || se.ErrStatus.Details == nil || se.ErrStatus.Details.Group != v1alpha1.GroupVersion.Group ||
					se.ErrStatus.Details.Kind != "collaborators" || se.ErrStatus.Details.Name != "gina" {
					bad("not Forbidden on collaborators %q: %+v", "gina", se.ErrStatus.Details)
				}
				if !strings.HasSuffix(se.ErrStatus.Message, tc.says) {
					bad("message %q does not end with %q", se.ErrStatus.Message, tc.says)
				}
			default:
				if !apierrors.IsInvalid(err) || se.ErrStatus.Details == nil || se.ErrStatus.Details.Group != v1alpha1.GroupVersion.Group ||
					se.ErrStatus.Details.Kind != "Collaborator" || se.ErrStatus.Details.Name != "gina" {
					bad("not Invalid on Collaborator %q: %+v", "gina", se.ErrStatus.Details)
					break
				}
				causes := se.ErrStatus.Details.Causes
				if len(causes) != len(tc.causes) {
					bad("%d causes, want %d", len(causes), len(tc.causes))
				}
				for i := range min(len(causes), len(tc.causes)) {
					g, w := causes[i], tc.causes[i]
					if g.Type != w.typ || g.Field != w.field || g.Message != w.message {
						bad("cause %d: %s at %s: %q\n  want %s at %s: %q", i, g.Type, g.Field, g.Message, w.typ, w.field, w.message)
					}
				}
			}
			if tc.defect != "" {
				if len(problems) == 0 {
					t.Fatalf("passes although skipped for a defect, %q: drop the skip", tc.defect)
				}
				t.Skipf("DEFECT: %s\n%s", tc.defect, strings.Join(problems, "\n"))
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

func TestInvalidCountsWhatItLeavesOut(t *testing.T) {
	var findings Findings
	for i := range 256 {
		findings = append(findings, Finding{Rule: R2, Reason: v1alpha1.ReasonRoleRequiresMember, Field: field.NewPath("spec", "workCenters").Index(i).Child("role"), Message: "no"})
	}
	err := findings.Denial("Collaborator", "gina")
	var se *apierrors.StatusError
	if !errors.As(err, &se) || !apierrors.IsInvalid(err) {
		t.Fatalf("not Invalid: %v", err)
	}
	causes := se.ErrStatus.Details.Causes
	if len(causes) != MaxFieldErrors+1 || !strings.Contains(causes[MaxFieldErrors].Message, "246 more fields break rules") {
		t.Fatalf("%d causes, last %q", len(causes), causes[len(causes)-1].Message)
	}
	if (Findings{}).Denial("Collaborator", "gina") != nil {
		t.Fatal("no errors, yet a denial")
	}
}

func TestBoundDenial(t *testing.T) {
	long := strings.Repeat("ß", MaxDenial)
	forbiddenErr := apierrors.NewForbidden(v1alpha1.GroupVersion.WithResource("workcenterroles").GroupResource(), "read-only", errors.New(long))
	cases := map[string]error{
		"status error": forbiddenErr,
		"plain error":  errors.New(long),
	}
	for name, err := range cases {
		t.Run(name, func(t *testing.T) {
			got := BoundDenial(err)
			if len(got.Error()) > MaxDenial || !utf8.ValidString(got.Error()) {
				t.Fatalf("denial of %d bytes", len(got.Error()))
			}
			if name == "status error" && (!apierrors.IsForbidden(got) || forbiddenErr.Error() == got.Error()) {
				t.Fatalf("got %T %v", got, apierrors.ReasonForError(got))
			}
		})
	}
	if BoundDenial(nil) != nil {
		t.Fatal("nil became an error")
	}
	small := apierrors.NewBadRequest("small")
	if BoundDenial(small) != error(small) {
		t.Fatal("a small denial was rebuilt")
	}
	plain := errors.New("small")
	if BoundDenial(plain) != plain {
		t.Fatal("a small plain error was rebuilt")
	}
}

// A denial whose message the findings make long stays within MaxDenial, as a 403 and as
// a 422.
func TestDenialIsBounded(t *testing.T) {
	huge := strings.Repeat("ß", MaxDenial)
	for name, fs := range map[string]Findings{
		"403": {{Rule: R9, Forbidden: true, Message: huge}},
		"422": func() Findings {
			var fs Findings
			for i := range 30 {
				f := itemError(i)
				f.Message = huge
				fs = append(fs, f)
			}
			return fs
		}(),
	} {
		err := fs.Denial("WorkCenterRole", "read-only")
		if err == nil || len(err.Error()) > MaxDenial || !utf8.ValidString(err.Error()) {
			t.Errorf("%s: denial of %d bytes", name, len(fmt.Sprint(err)))
		}
	}
}

func TestFindingsWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   Findings
		want []string
	}{
		{"none", nil, nil},
		{"errors are no warnings", Findings{errR4, errR9}, nil},
		{"the warnings' messages, in order", Findings{warnCycle, errR4, warnPending}, []string{"a cycle was there before", "no Account yet"}},
		{"repeats dropped", Findings{warnPending, warnCycle, warnPending}, []string{"no Account yet", "a cycle was there before"}},
		{"control characters", Findings{{Rule: RulePending, Warning: true, Message: "role\n\"x\"\tgone\x00"}}, []string{"role \"x\" gone "}},
		{"an empty warning dropped", Findings{{Rule: RulePending, Warning: true}, warnPending}, []string{"no Account yet"}},
	} {
		if got := tc.fs.Warnings(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Warnings() = %q, want %q", tc.name, got, tc.want)
		}
	}
	// Bounded as BoundWarnings bounds them.
	var many Findings
	for i := range 300 {
		many = append(many, Finding{Rule: R8, Warning: true, Message: fmt.Sprintf("%03d ", i) + strings.Repeat("w", 996)})
	}
	got := many.Warnings()
	if len(got) != 4 || got[3] != "... and 297 more warnings" {
		t.Errorf("%d warnings, the last %.80q", len(got), got[len(got)-1])
	}
	checkWarnings(t, got)
}

func TestBoundWarnings(t *testing.T) {
	many := func(n, size int) []string {
		var ws []string
		for i := range n {
			ws = append(ws, fmt.Sprintf("%03d ", i)+strings.Repeat("w", size-4))
		}
		return ws
	}
	cases := map[string]struct {
		in   []string
		want []string
	}{
		"none":                     {nil, nil},
		"whole":                    {[]string{"a", "b"}, []string{"a", "b"}},
		"repeats dropped":          {[]string{"a", "b", "a"}, []string{"a", "b"}},
		"control characters":       {[]string{"a\nb\tc"}, []string{"a b c"}},
		"a long one is cut":        {[]string{strings.Repeat("é", 1000)}, []string{strings.Repeat("é", 510) + "…"}},
		"as many as fit, counted":  {many(300, 1000), append(many(3, 1000), "... and 297 more warnings")},
		"room kept for the count":  {many(4, 1010), append(many(2, 1010), "... and 2 more warnings")},
		"exactly the last one fit": {many(3, 1024), many(3, 1024)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := BoundWarnings(tc.in)
			if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
				t.Fatalf("got %d warnings %.200q, want %d %.200q", len(got), got, len(tc.want), tc.want)
			}
			checkWarnings(t, got)
		})
	}
}

// checkWarnings asserts what the API server needs to pass every warning on whole: valid
// UTF-8 without control characters, each within MaxWarning, all within MaxWarnings, and
// so within the 4096 characters past which it cuts them all to 256.
func checkWarnings(t *testing.T, ws []string) {
	t.Helper()
	total, runes := 0, 0
	for _, w := range ws {
		if !utf8.ValidString(w) || strings.IndexFunc(w, unicode.IsControl) >= 0 || len(w) > MaxWarning {
			t.Errorf("warning of %d bytes, valid %v: %.200q", len(w), utf8.ValidString(w), w)
		}
		total += len(w)
		runes += utf8.RuneCountInString(w)
	}
	if total > MaxWarnings || runes > 4096 {
		t.Errorf("%d warnings of %d bytes, %d characters in all", len(ws), total, runes)
	}
}

// TestForbiddenDenialNamesEveryRefusal: a 403 names each refused field, up to
// MaxFieldErrors, and counts the others.
func TestForbiddenDenialNamesEveryRefusal(t *testing.T) {
	var fs Findings
	for i := range MaxFieldErrors + 3 {
		fs = append(fs, Finding{Rule: RuleDelegation, Forbidden: true, Field: field.NewPath("spec", "workCenters").Index(i), Message: fmt.Sprintf("refused %d", i)})
	}
	fs = append(fs, Finding{Rule: R4, Reason: "LicenseLimitExceeded", Message: "not a refusal of who asks"})
	err := fs.Denial("Collaborator", "tom")
	if !apierrors.IsForbidden(err) {
		t.Fatalf("want 403, got %v", err)
	}
	for _, want := range []string{"spec.workCenters[0]: refused 0 (Delegation)", "spec.workCenters[9]: refused 9", "and 3 more"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("denial lacks %q: %s", want, err)
		}
	}
	for _, not := range []string{"refused 10", "not a refusal"} {
		if strings.Contains(err.Error(), not) {
			t.Errorf("denial has %q: %s", not, err)
		}
	}
}
