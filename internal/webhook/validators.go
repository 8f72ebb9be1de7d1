package webhook

import (
	"context"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// A deletion is refused only when a Collaborator of the account asks for one its member
// type does not allow (docs/administration.md); otherwise it only warns. So each kind's
// DELETE is sent twice over: requests of people (a username outside "system:") fail
// closed, as creates and updates do, since any of them may be a Collaborator's; those of
// the cluster's own users (the namespace controller emptying a namespace, the garbage
// collector, ServiceAccounts) are never a Collaborator's and only warn, so an unreachable
// webhook does not block them.
//
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-account,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=create;update,versions=v1alpha1,name=vaccount-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-account,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=delete,versions=v1alpha1,name=vaccount-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"person","expression":"!request.userInfo.username.startsWith('system:')"}]}`
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-account,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=delete,versions=v1alpha1,name=vaccount-delete-system-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"system","expression":"request.userInfo.username.startsWith('system:')"}]}`
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenter,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenters,verbs=create;update,versions=v1alpha1,name=vworkcenter-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenter,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenters,verbs=delete,versions=v1alpha1,name=vworkcenter-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"person","expression":"!request.userInfo.username.startsWith('system:')"}]}`
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenter,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=workcenters,verbs=delete,versions=v1alpha1,name=vworkcenter-delete-system-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"system","expression":"request.userInfo.username.startsWith('system:')"}]}`
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenterrole,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=create;update,versions=v1alpha1,name=vworkcenterrole-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenterrole,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=delete,versions=v1alpha1,name=vworkcenterrole-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"person","expression":"!request.userInfo.username.startsWith('system:')"}]}`
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenterrole,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=delete,versions=v1alpha1,name=vworkcenterrole-delete-system-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"system","expression":"request.userInfo.username.startsWith('system:')"}]}`
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-collaborator,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=create;update,versions=v1alpha1,name=vcollaborator-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-collaborator,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=delete,versions=v1alpha1,name=vcollaborator-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"person","expression":"!request.userInfo.username.startsWith('system:')"}]}`
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-collaborator,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=delete,versions=v1alpha1,name=vcollaborator-delete-system-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1,patch=`{"matchConditions":[{"name":"system","expression":"request.userInfo.username.startsWith('system:')"}]}`

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

// ValidateDelete warns when the deletion will wait on a finalizer, and refuses it only
// to a Collaborator whose member type does not allow it (delegated administration).
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
	if denial == nil {
		v.record(ctx, op, obj, findings)
	}
	return warnings, denial
}

// record keeps the audit trail of an allowed change (model.Finding.Audit) until the
// API server has stored it (audit.go): an Event on each WorkCenter an administrator
// changed without being assigned to it, naming the person and what changed. A dry run
// records nothing.
func (v *Validator[T]) record(ctx context.Context, op model.Operation, obj T, findings model.Findings) {
	if v.reader.audits == nil {
		return
	}
	if _, dryRun := requestUser(ctx); dryRun {
		return
	}
	v.reader.audits.admitted(v.kind, op, obj, findings)
}

// findings reads what the request needs, the namespace (only when the decision depends
// on it) and the account's snapshot, and asks the model.
func (v *Validator[T]) findings(ctx context.Context, op model.Operation, old, obj T) (model.Findings, error) {
	user, _ := requestUser(ctx)
	r := model.Request[T]{Operation: op, Object: obj, Old: old, Username: user, Operator: v.reader.operators[user],
		IdentityPrefix: v.reader.prefix}
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
