package webhook

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Deletions only ever warn, so an unreachable webhook must not block them (a namespace
// being deleted included): their entries ignore failures. A WorkCenter's deletion has
// nothing to check or warn about, so its DELETE is not sent to the webhook: one less
// call that can fail while a namespace is being emptied.
//
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-account,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=create;update,versions=v1alpha1,name=vaccount-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-account,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=delete,versions=v1alpha1,name=vaccount-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenter,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenters,verbs=create;update,versions=v1alpha1,name=vworkcenter-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenterrole,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=create;update,versions=v1alpha1,name=vworkcenterrole-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenterrole,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=delete,versions=v1alpha1,name=vworkcenterrole-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-collaborator,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=create;update,versions=v1alpha1,name=vcollaborator-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-collaborator,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=delete,versions=v1alpha1,name=vcollaborator-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1

// Validator is the validating webhook of one kind, an adapter over the rules layer: it
// reads the account's snapshot once per request, asks the model (model.ValidateAccount,
// ValidateWorkCenter, ValidateRole, ValidateCollaborator) and answers with its findings:
// errors as one bounded denial, warnings bounded so that each reaches the client whole.
// Every decision is timed and counted under the rule of its findings.
type Validator[T client.Object] struct {
	reader reader
	kind   string
	judge  func(m *model.Account, r model.Request[T]) model.Findings
}

var _ admission.Validator[*v1alpha1.Collaborator] = &Validator[*v1alpha1.Collaborator]{}

// accountValidator is the Account's webhook (model.Account.ValidateAccount).
func accountValidator(r reader) *Validator[*v1alpha1.Account] {
	return &Validator[*v1alpha1.Account]{r, "Account", (*model.Account).ValidateAccount}
}

// workCenterValidator is the WorkCenter's webhook (model.Account.ValidateWorkCenter).
func workCenterValidator(r reader) *Validator[*v1alpha1.WorkCenter] {
	return &Validator[*v1alpha1.WorkCenter]{r, "WorkCenter", (*model.Account).ValidateWorkCenter}
}

// roleValidator is the WorkCenterRole's webhook (model.Account.ValidateRole).
func roleValidator(r reader) *Validator[*v1alpha1.WorkCenterRole] {
	return &Validator[*v1alpha1.WorkCenterRole]{r, "WorkCenterRole", (*model.Account).ValidateRole}
}

// collaboratorValidator is the Collaborator's webhook (model.Account.ValidateCollaborator).
func collaboratorValidator(r reader) *Validator[*v1alpha1.Collaborator] {
	return &Validator[*v1alpha1.Collaborator]{r, "Collaborator", (*model.Account).ValidateCollaborator}
}

// ValidateCreate judges a new object.
func (v *Validator[T]) ValidateCreate(ctx context.Context, obj T) (admission.Warnings, error) {
	var none T
	return v.validate(ctx, model.Create, none, obj)
}

// ValidateUpdate judges what an update changes.
func (v *Validator[T]) ValidateUpdate(ctx context.Context, old, obj T) (admission.Warnings, error) {
	return v.validate(ctx, model.Update, old, obj)
}

// ValidateDelete never denies; it warns when the deletion will wait on a finalizer.
func (v *Validator[T]) ValidateDelete(ctx context.Context, obj T) (admission.Warnings, error) {
	var none T
	return v.validate(ctx, model.Delete, none, obj)
}

func (v *Validator[T]) validate(ctx context.Context, op model.Operation, old, obj T) (admission.Warnings, error) {
	start := time.Now()
	findings, err := v.findings(ctx, op, old, obj)
	if err != nil {
		observe(v.kind, string(op), start, "error", "")
		return nil, err
	}
	warnings := admission.Warnings(findings.Warnings())
	denial := findings.Denial(v.kind, obj.GetName())
	verdict := "allowed"
	switch {
	case denial != nil:
		verdict = "denied"
	case len(warnings) > 0:
		verdict = "warned"
	}
	observe(v.kind, string(op), start, verdict, findings.Rule())
	return warnings, denial
}

// findings reads what the request needs, the namespace (only when the decision depends
// on it) and the account's snapshot, and asks the model.
func (v *Validator[T]) findings(ctx context.Context, op model.Operation, old, obj T) (model.Findings, error) {
	user := requestUser(ctx)
	r := model.Request[T]{Operation: op, Object: obj, Old: old, Username: user, Operator: v.reader.operators[user]}
	var oldMeta client.Object
	if op == model.Update {
		oldMeta = old
	}
	if model.NeedsNamespace(op, oldMeta, obj) {
		gone, err := v.reader.namespaceTerminating(ctx, obj.GetNamespace())
		if err != nil {
			return nil, err
		}
		r.NamespaceTerminating = gone
	}
	var out model.Findings
	err := v.reader.model(ctx, obj.GetNamespace(), "the account", func(m *model.Account) { out = v.judge(m, r) })
	return out, err
}
