package webhook

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// A WorkCenter's deletion has nothing to check or warn about, so DELETE is not sent
// to the webhook: one less call that can fail while a namespace is being emptied.
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenter,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenters,verbs=create;update,versions=v1alpha1,name=vworkcenter-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1

// WorkCenterValidator enforces R8: a WorkCenter's category is in its Account's picklist.
type WorkCenterValidator struct {
	reader reader
}

var _ admission.Validator[*v1alpha1.WorkCenter] = &WorkCenterValidator{}

// ValidateCreate checks a new WorkCenter.
func (v *WorkCenterValidator) ValidateCreate(ctx context.Context, wc *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return v.validate(ctx, nil, wc)
}

// ValidateUpdate checks what an update changes: archiving a WorkCenter whose category
// left the picklist meanwhile is fine, choosing such a category is not.
func (v *WorkCenterValidator) ValidateUpdate(ctx context.Context, old, wc *v1alpha1.WorkCenter) (admission.Warnings, error) {
	if skipUpdate(wc, equality.Semantic.DeepEqual(old.Spec, wc.Spec)) {
		return nil, nil
	}
	return v.validate(ctx, old, wc)
}

// ValidateDelete allows every deletion.
func (v *WorkCenterValidator) ValidateDelete(context.Context, *v1alpha1.WorkCenter) (admission.Warnings, error) {
	return nil, nil
}

func (v *WorkCenterValidator) validate(ctx context.Context, old, wc *v1alpha1.WorkCenter) (admission.Warnings, error) {
	account, err := v.reader.account(ctx, wc.Namespace)
	if err != nil {
		return nil, err
	}
	if account == nil {
		msg := fmt.Sprintf("namespace %q has no Account yet; WorkCenter %q waits (%s) until one appears", wc.Namespace, model.Short(wc.Name), v1alpha1.ReasonAccountNotFound)
		if wc.Spec.Category != "" {
			msg += fmt.Sprintf(", and its category %q is checked against the Account's workCenterCategories then", model.Short(wc.Spec.Category))
		}
		return admission.Warnings{msg}, nil
	}
	viol := model.CheckCategory(wc, account)
	switch {
	case viol == nil:
		return nil, nil
	case old == nil || old.Spec.Category != wc.Spec.Category:
		return nil, invalid("WorkCenter", wc.Name, field.ErrorList{field.Invalid(field.NewPath("spec", "category"), wc.Spec.Category, detail(viol))})
	default:
		return admission.Warnings{fmt.Sprintf("%s; the WorkCenter stays not Ready (%s)", viol.Message, viol.Reason)}, nil
	}
}
