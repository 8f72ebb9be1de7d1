package model

import (
	"fmt"
	"slices"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// CheckCategory is R8: a WorkCenter's category is in the Account's picklist. Without an
// Account there is nothing to check against yet.
func CheckCategory(wc *v1alpha1.WorkCenter, account *v1alpha1.Account) *Finding {
	if wc.Spec.Category == "" || account == nil {
		return nil
	}
	cats := account.Spec.Picklists.WorkCenterCategories
	if slices.Contains(cats, v1alpha1.PicklistItem(wc.Spec.Category)) {
		return nil
	}
	names := make([]string, len(cats))
	for i, c := range cats {
		names[i] = string(c)
	}
	known := "the Account has no workCenterCategories"
	if len(names) > 0 {
		known = "known categories: " + ListWithTotal(names, 20)
	}
	return &Finding{
		Rule:   "R8",
		Reason: v1alpha1.ReasonUnknownCategory,
		Message: fmt.Sprintf("WorkCenter %q has category %q, which is not in Account %q's workCenterCategories (%s)",
			Short(wc.Name), Short(wc.Spec.Category), Short(account.Name), known),
	}
}
