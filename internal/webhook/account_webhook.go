package webhook

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/api/equality"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-account,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=create;update,versions=v1alpha1,name=vaccount-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// Deletions only ever warn, so an unreachable webhook must not block them (a namespace
// being deleted included): the DELETE entry ignores failures.
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-account,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=delete,versions=v1alpha1,name=vaccount-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1

// AccountValidator denies one thing: removing the account-protection finalizer while
// the Account is in use (R11); its other rules are in its CRD schema. It
// warns about what a change will do to the account: a second Account in the namespace
// (DuplicateAccount), categories still in use leaving the picklist (R8), Members losing
// their license (R4), and a deletion that waits on the account-protection finalizer (R11).
type AccountValidator struct {
	reader reader
}

var _ admission.Validator[*v1alpha1.Account] = &AccountValidator{}

// ValidateCreate warns when the namespace already has an Account.
func (v *AccountValidator) ValidateCreate(ctx context.Context, acct *v1alpha1.Account) (admission.Warnings, error) {
	accounts, err := v.reader.accounts(ctx, acct.Namespace)
	if err != nil {
		return nil, err
	}
	var existing []string
	for _, a := range accounts {
		if a.Name != acct.Name {
			existing = append(existing, a.Name)
		}
	}
	if len(existing) == 0 {
		return nil, nil
	}
	slices.Sort(existing)
	has := fmt.Sprintf("Account %q", model.Short(existing[0]))
	if len(existing) > 1 {
		has = "Accounts " + model.ListWithTotal(existing, model.MaxUsersListed)
	}
	return admission.Warnings{fmt.Sprintf("namespace %q already has %s; a namespace holds one Account and the oldest wins, so Account %q will not be Ready (%s)",
		acct.Namespace, has, model.Short(acct.Name), v1alpha1.ReasonDuplicateAccount)}, nil
}

// ValidateUpdate warns about what a spec change does to the account's objects.
func (v *AccountValidator) ValidateUpdate(ctx context.Context, old, acct *v1alpha1.Account) (admission.Warnings, error) {
	if err := v.reader.checkFinalizerKept(ctx, "Account", old, acct, v1alpha1.FinalizerAccountProtection, "R11", v1alpha1.ReasonAccountInUse,
		func() (string, error) { return v.inUse(ctx, acct) }); err != nil {
		return nil, err
	}
	if skipUpdate(acct, equality.Semantic.DeepEqual(old.Spec, acct.Spec)) {
		return nil, nil
	}
	owner, err := v.reader.account(ctx, acct.Namespace)
	if err != nil || (owner != nil && owner.Name != acct.Name) {
		return nil, err // a duplicate Account governs nothing
	}
	warnings, err := v.removedCategories(ctx, old, acct)
	if err != nil {
		return nil, err
	}
	if acct.Spec.Licenses < old.Spec.Licenses {
		// R4: the Members ranked between the new and the old limit lose their license
		// (the model keeps the Members in seniority order).
		var losing []string
		if err := v.reader.model(ctx, acct.Namespace, "Collaborators", func(m *model.Account) {
			members := m.Members()
			lo, hi := min(max(acct.Spec.Licenses, 0), int32(len(members))), min(max(old.Spec.Licenses, 0), int32(len(members)))
			for _, c := range members[lo:hi] {
				losing = append(losing, c.Name)
			}
		}); err != nil {
			return nil, err
		}
		if len(losing) > 0 {
			slices.Sort(losing)
			warnings = append(warnings, fmt.Sprintf("lowering Account %q's licenses to %d takes the license, and with it every access, from its newest Members: %s (%s)",
				model.Short(acct.Name), acct.Spec.Licenses, model.ListWithTotal(losing, model.MaxUsersListed), v1alpha1.ReasonLicenseLimitExceeded))
		}
	}
	return warnings, nil
}

// removedCategories warns, per category leaving the picklist, about the WorkCenters
// that still use it (R8).
func (v *AccountValidator) removedCategories(ctx context.Context, old, acct *v1alpha1.Account) (admission.Warnings, error) {
	var removed []v1alpha1.PicklistItem
	for _, c := range old.Spec.Picklists.WorkCenterCategories {
		if !slices.Contains(acct.Spec.Picklists.WorkCenterCategories, c) {
			removed = append(removed, c)
		}
	}
	if len(removed) == 0 {
		return nil, nil
	}
	workCenters, err := v.reader.workCenters(ctx, acct.Namespace)
	if err != nil {
		return nil, err
	}
	var warnings admission.Warnings
	for _, c := range removed {
		var users []string
		for _, wc := range workCenters {
			if wc.Spec.Category == string(c) && wc.DeletionTimestamp.IsZero() {
				users = append(users, wc.Name)
			}
		}
		if len(users) == 0 {
			continue
		}
		slices.Sort(users)
		warnings = append(warnings, fmt.Sprintf("category %q leaves Account %q's workCenterCategories but WorkCenters still use it: %s; they will not be Ready (%s) until their category changes or it is added back",
			model.Short(string(c)), model.Short(acct.Name), model.ListWithTotal(users, model.MaxUsersListed), v1alpha1.ReasonUnknownCategory))
	}
	return warnings, nil
}

// ValidateDelete never denies; it warns when the deletion will wait because the
// Account still has WorkCenters, custom roles or Collaborators (R11), unless its
// namespace is being deleted.
func (v *AccountValidator) ValidateDelete(ctx context.Context, acct *v1alpha1.Account) (admission.Warnings, error) {
	if acct.DeletionTimestamp != nil || !controllerutil.ContainsFinalizer(acct, v1alpha1.FinalizerAccountProtection) {
		return nil, nil
	}
	if gone, err := v.reader.namespaceTerminating(ctx, acct.Namespace); err != nil || gone {
		return nil, err
	}
	why, err := v.inUse(ctx, acct)
	if err != nil || why == "" {
		return nil, err
	}
	return admission.Warnings{fmt.Sprintf("%s; its deletion waits (finalizer %s, DeletionBlocked %s) until they are deleted, or until namespace %q is deleted",
		why, v1alpha1.FinalizerAccountProtection, v1alpha1.ReasonAccountInUse, acct.Namespace)}, nil
}

// inUse says what the Account still has (R11), "" when it has nothing.
func (v *AccountValidator) inUse(ctx context.Context, acct *v1alpha1.Account) (string, error) {
	workCenters, err := v.reader.workCenters(ctx, acct.Namespace)
	if err != nil {
		return "", err
	}
	roles, err := v.reader.roles(ctx, acct.Namespace)
	if err != nil {
		return "", err
	}
	collaborators, err := v.reader.collaborators(ctx, acct.Namespace)
	if err != nil {
		return "", err
	}
	use := model.UseOfAccount(workCenters, slices.Collect(maps.Values(roles)), collaborators)
	if !use.InUse() {
		return "", nil
	}
	return fmt.Sprintf("Account %q still has %s", model.Short(acct.Name), use), nil
}
