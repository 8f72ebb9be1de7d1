package procorem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/spf13/cobra"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Problem is one thing wrong with an object of the manifests.
type Problem struct {
	// Source is the file and document the object was read from.
	Source    string `json:"source"`
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	// Field is the field at fault, when one is.
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
	// File, Line and Column are where the field (or the object) is in the manifests;
	// for an object rendered from a kustomization, in the file it came from when that is
	// known, else File is the kustomization.
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`

	// order is the object's place in the manifests: problems are reported in it.
	order int
	// text is the line at fault, shown under the problem.
	text string
	// refused: the API server would refuse the object (decoding, schema or admission);
	// otherwise the problem is the operator's verdict on an object it would store.
	refused bool
}

func (p Problem) String() string {
	where := p.Source
	if p.Line > 0 {
		where = manifests.Position{File: p.File, Line: p.Line, Column: p.Column}.String()
	}
	s := fmt.Sprintf("%s: %s/%s", where, p.Kind, p.Name)
	if p.Field != "" {
		s += ": " + p.Field
	}
	return s + ": " + p.Message
}

// snippet is the problem with the line at fault shown under it.
func (p Problem) snippet() string {
	return p.String() + "\n" + manifests.Snippet(manifests.Position{File: p.File, Line: p.Line, Column: p.Column}, p.text)
}

// at places p at the field of o (the object when field is "").
func (p Problem) at(o manifests.Object, field string) Problem {
	pos := o.Position(field)
	p.File, p.Line, p.Column = pos.File, pos.Line, pos.Column
	p.text = o.Text(pos)
	return p
}

// rulesNotChecked is the API server's note that CEL rules were skipped because the
// object fails its schema: with the schema's own problems it is not one more problem
// (a value outside an enum would be counted twice), so it is shown alone only.
const rulesNotChecked = "some validation rules were not checked"

// Report is what validate found.
type Report struct {
	// Valid is true when no object would be rejected.
	Valid bool `json:"valid"`
	// Objects counts the objects of the access.workcenter.io kinds checked.
	Objects  int       `json:"objects"`
	Problems []Problem `json:"problems"`
	// Warnings are what admission warns about: references that do not resolve (they wait,
	// Pending, until the object appears) and the like.
	Warnings []Problem `json:"warnings"`
}

// refused are the problems of the objects the API server would refuse.
func (r Report) refused() []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if p.refused {
			out = append(out, p)
		}
	}
	return out
}

// refusedObjects counts the objects the API server would refuse.
func (r Report) refusedObjects() int {
	seen := map[int]bool{}
	for _, p := range r.Problems {
		if p.refused {
			seen[p.order] = true
		}
	}
	return len(seen)
}

// Validate checks the manifests' objects offline as the cluster would: each as the API
// server decodes it and against the CRD's schema (strict field validation, defaults,
// OpenAPI validation, CEL rules; internal/manifests and internal/schema), then the
// account rules through the admission webhooks' own validators (internal/webhook
// Offline), replayed in dependency order (Accounts, WorkCenterRoles, WorkCenters,
// Collaborators; manifest order within a kind, which is also seniority), and last the
// operator's verdict on every assignment admitted.
func Validate(ctx context.Context, set *manifests.Set) (Report, error) {
	r, _, err := admit(ctx, set)
	return r, err
}

// admit is Validate, and the account model of each namespace as the cluster would hold
// it once every object is applied: the objects the API server would store, as it would
// store them (those it refuses are not there), with the built-in roles.
func admit(_ context.Context, set *manifests.Set) (Report, map[string]*model.Account, error) {
	r := Report{Problems: []Problem{}, Warnings: []Problem{}}
	type admitted struct {
		src   manifests.Object
		obj   client.Object
		order int
	}
	byKind := map[string][]admitted{}
	for i, o := range set.Objects {
		r.Objects++
		for _, p := range o.Problems {
			if len(o.Problems) > 1 && strings.Contains(p.Message, rulesNotChecked) {
				continue // a consequence of the object's other problems, not one more
			}
			r.Problems = append(r.Problems, Problem{Source: o.Source, Namespace: o.Raw.GetNamespace(), Kind: o.Kind(), Name: o.Raw.GetName(),
				Field: p.Field, Message: p.Message, File: p.At.File, Line: p.At.Line, Column: p.At.Column, text: o.Text(p.At), order: i, refused: true})
		}
		if o.Typed == nil {
			continue
		}
		typed := o.Typed.DeepCopyObject().(client.Object)
		typed.SetCreationTimestamp(metav1.NewTime(manifests.Epoch.Add(time.Duration(i) * time.Second)))
		byKind[o.Kind()] = append(byKind[o.Kind()], admitted{o, typed, i})
	}

	// Admission offline: the model's verdict on each create, against the objects admitted
	// before it, as the webhooks judge it against the cache.
	models := map[string]*model.Account{}
	modelOf := func(ns string) *model.Account {
		if models[ns] == nil {
			models[ns] = model.New(ns)
		}
		return models[ns]
	}
	seeded := map[string]bool{}
	var kept []admitted
	for _, kind := range manifests.Kinds {
		for _, a := range byKind[kind] {
			m := modelOf(a.obj.GetNamespace())
			findings := m.ValidateCreate(a.obj)
			for _, w := range findings.Warnings() {
				r.Warnings = append(r.Warnings, Problem{Source: a.src.Source, Namespace: a.obj.GetNamespace(), Kind: kind, Name: a.obj.GetName(), Message: w, order: a.order}.at(a.src, ""))
			}
			if err := findings.Denial(kind, a.obj.GetName()); err != nil {
				r.Problems = append(r.Problems, denial(a.src, a.obj, err, a.order)...)
				continue
			}
			if err := m.Set(a.obj); err != nil {
				return r, nil, err
			}
			kept = append(kept, a)
			if acct, ok := a.obj.(*v1alpha1.Account); ok && !seeded[acct.Namespace] {
				seeded[acct.Namespace] = true
				for _, role := range manifests.BuiltInRoles(acct.Namespace, acct.CreationTimestamp) {
					if m.Role(role.Name) == nil {
						if err := m.Set(role); err != nil {
							return r, nil, err
						}
					}
				}
			}
		}
	}

	// The operator's verdict on what admission let through.
	now := metav1.NewTime(time.Now())
	for _, ns := range set.AccountNamespaces() {
		if modelOf(ns).Owner() == nil {
			r.Warnings = append(r.Warnings, Problem{Source: "-", Namespace: ns, Kind: "Account", Name: "-", order: -1,
				Message: fmt.Sprintf("namespace %s has no Account: nobody has any access there until one exists (assignments stay Pending, AccountNotFound)", ns)})
		}
	}
	for _, a := range kept {
		c, ok := a.obj.(*v1alpha1.Collaborator)
		if !ok || hasProblem(r.Problems, a.src) {
			continue
		}
		m := modelOf(c.Namespace)
		for i, s := range m.Evaluate(c, "", now).Statuses {
			if s.State == v1alpha1.AssignmentRejected {
				field := fmt.Sprintf("spec.workCenters[%d]", i)
				r.Problems = append(r.Problems, Problem{Source: a.src.Source, Namespace: c.Namespace, Kind: model.KindCollaborator, Name: c.Name,
					Field: field, Message: fmt.Sprintf("the operator would reject the assignment (%s): %s", s.Reason, s.Message), order: a.order}.at(a.src, field))
			}
		}
	}
	r.Warnings = dedupe(r.Warnings)
	byOrder := func(a, b Problem) int { return a.order - b.order }
	slices.SortStableFunc(r.Problems, byOrder)
	slices.SortStableFunc(r.Warnings, byOrder)
	r.Valid = len(r.Problems) == 0
	return r, models, nil
}

func hasProblem(ps []Problem, o manifests.Object) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool {
		return p.Namespace == o.Raw.GetNamespace() && p.Name == o.Raw.GetName() && p.Kind == o.Kind()
	})
}

func dedupe(ps []Problem) []Problem {
	out := []Problem{}
	for _, p := range ps {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// denial turns an admission denial into problems, one per field it names.
func denial(src manifests.Object, obj client.Object, err error, order int) []Problem {
	base := Problem{Source: src.Source, Namespace: obj.GetNamespace(), Kind: src.Kind(), Name: obj.GetName(), order: order, refused: true}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		st := status.Status()
		if st.Details != nil && len(st.Details.Causes) > 0 {
			var out []Problem
			for _, c := range st.Details.Causes {
				p := base
				p.Field, p.Message = c.Field, c.Message
				out = append(out, p.at(src, c.Field))
			}
			return out
		}
		base.Message = st.Message
		return []Problem{base.at(src, "")}
	}
	base.Message = err.Error()
	return []Problem{base.at(src, "")}
}

func writeReport(w io.Writer, r Report) {
	for _, p := range r.Problems {
		fmt.Fprint(w, p.snippet())
	}
	for _, p := range r.Warnings {
		fmt.Fprintln(w, "warning: "+p.String())
	}
	verdict := "valid"
	if !r.Valid {
		verdict = "invalid"
	}
	fmt.Fprintf(w, "%s: %s, %s, %s\n", verdict, plural(r.Objects, "object"), plural(len(r.Problems), "problem"), plural(len(r.Warnings), "warning"))
}

func (o *options) validate() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate -f PATH | -k DIR",
		Short: "Check manifests offline as the cluster would: CRD schema and CEL, then the account rules",
		Long: `validate checks every object of the manifests against the operator's CRDs (structural
schema, defaults, OpenAPI validation and CEL rules, with Kubernetes' own apiextensions
libraries), then the account rules (R2-R5, R8, R10, inclusion cycles) with the messages
admission gives, replaying the objects in dependency order with seniority following the
manifests. References that do not resolve are warnings: they wait, they are not errors.

Exit: 0 valid, 1 invalid, 2 unreadable manifests.`,
		Example: `  kubectl procorem validate -f config/samples
  kubectl procorem validate -k overlays/prod -o json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("validate takes no arguments, got %q: give the manifests with -f PATH or -k DIR", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.checkOutput("text", "json"); err != nil {
				return err
			}
			if !o.offline() {
				return fmt.Errorf("validate checks manifests: give them with -f PATH or -k DIR")
			}
			set, err := o.load()
			if err != nil {
				return err
			}
			r, err := Validate(cmd.Context(), set)
			if err != nil {
				return err
			}
			if o.output == "json" {
				if err := writeJSON(o.stdout, r); err != nil {
					return err
				}
			} else {
				writeReport(o.stdout, r)
			}
			if !r.Valid {
				return exit{ExitNo}
			}
			return nil
		},
	}
	return cmd
}
