package controllers

import (
	"context"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const accountController = "account"

// AccountReconciler keeps an account's built-in roles, counts its people and
// WorkCenters, reports licensing (R4) and administrators, and protects an Account that
// still has objects from deletion (R11).
type AccountReconciler struct{ reconciler }

// +kubebuilder:rbac:groups=access.workcenter.io,resources=accounts,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=accounts/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=access.workcenter.io,resources=accounts/finalizers,verbs=update

// Reconcile brings one Account, and its built-in roles, in line.
func (r *AccountReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var acct v1alpha1.Account
	if err := r.Get(ctx, req.NamespacedName, &acct); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	r.models().Touch(&acct)
	step := newStatusStep(&acct, r.own)
	step.written = func(before client.Object) {
		was := before.(*v1alpha1.Account).Status.Conditions
		recordBlocked(r.Recorder, was, &acct, acct.Status.Conditions)
		recordTurnedFalse(r.Recorder, was, &acct, acct.Status.Conditions, v1alpha1.ConditionAdministratorAssigned, "CheckAdministrators")
		recordTurnedFalse(r.Recorder, was, &acct, acct.Status.Conditions, v1alpha1.ConditionLicensed, "AllocateLicenses")
	}
	return step.finish(ctx, r.Client, r.reconcile(ctx, &acct, step))
}

func (r *AccountReconciler) reconcile(ctx context.Context, acct *v1alpha1.Account, step *statusStep) error {
	var owner *v1alpha1.Account
	if err := r.models().Read(ctx, acct.Namespace, func(m *model.Account) error {
		owner = m.Owner()
		return nil
	}); err != nil {
		return err
	}
	if owner == nil { // the cache has not seen it yet
		owner = acct
	}
	if acct.DeletionTimestamp.IsZero() {
		// Only the Account that owns the namespace is protected (R11).
		if err := ensureFinalizer(ctx, r.Client, acct, v1alpha1.FinalizerAccountProtection, owner.Name == acct.Name); err != nil {
			return err
		}
		step.observed()
	}
	if err := r.models().Read(ctx, acct.Namespace, func(m *model.Account) error {
		computeAccountStatus(acct, m)
		return nil
	}); err != nil {
		return err
	}
	var err error
	if owner.Name != acct.Name {
		setReadiness(&acct.Status.Conditions, acct.Generation, model.AccountReadiness(acct, owner))
	} else if acct.DeletionTimestamp.IsZero() {
		if err = r.ensureBuiltInRoles(ctx, acct); err != nil {
			return err
		}
	}
	step.gone, err = reconcileProtection(ctx, r.Client, acct, &acct.Status.Conditions, protection{
		finalizer: v1alpha1.FinalizerAccountProtection, reason: v1alpha1.ReasonAccountInUse,
		blocker: func(ctx context.Context) (string, error) { return r.inUseBlock(ctx, acct) },
	})
	return err
}

// computeAccountStatus counts the account's people and WorkCenters and sets Licensed,
// AdministratorAssigned and Ready, from the account model's facts (the ones
// model.Account.Converged reports).
func computeAccountStatus(acct *v1alpha1.Account, m *model.Account) {
	st := &acct.Status
	n := m.Counts()
	st.Members, st.Guests, st.AccountAdministrators = n.Members, n.Guests, n.AccountAdministrators
	st.WorkCenters, st.ArchivedWorkCenters = n.WorkCenters, n.ArchivedWorkCenters
	// R4: the oldest Members hold the owning Account's licenses.
	licenses := m.Licenses()
	st.LicensesUsed = m.LicensesUsed()
	unlicensed := m.Unlicensed(licenses)
	st.ObservedGeneration = acct.Generation

	gen := acct.Generation
	if len(unlicensed) == 0 {
		setCondition(&st.Conditions, gen, v1alpha1.ConditionLicensed, true, v1alpha1.ReasonLicensesAvailable,
			fmt.Sprintf("%d of %d licenses used", st.LicensesUsed, licenses))
	} else {
		setCondition(&st.Conditions, gen, v1alpha1.ConditionLicensed, false, v1alpha1.ReasonLicenseLimitExceeded,
			fmt.Sprintf("%d Members but %d licenses: %s hold none and have no access", st.Members, licenses,
				model.ListWithTotal(unlicensed, model.MaxUsersListed)))
	}
	if st.AccountAdministrators > 0 {
		setCondition(&st.Conditions, gen, v1alpha1.ConditionAdministratorAssigned, true, v1alpha1.ReasonAdministratorPresent,
			fmt.Sprintf("%d AccountAdministrators", st.AccountAdministrators))
	} else {
		setCondition(&st.Conditions, gen, v1alpha1.ConditionAdministratorAssigned, false, v1alpha1.ReasonNoAccountAdministrator,
			"no Member has adminRole AccountAdministrator")
	}
	setReadiness(&st.Conditions, gen, model.AccountReadiness(acct, m.Owner()))
}

// ensureBuiltInRoles creates the three built-in roles and reverts any edit of them
// (R9), like Kubernetes' bootstrap RBAC roles.
func (r *AccountReconciler) ensureBuiltInRoles(ctx context.Context, acct *v1alpha1.Account) error {
	for _, name := range v1alpha1.BuiltInRoleNames {
		spec, _ := model.BuiltInRoleSpec(name)
		var role v1alpha1.WorkCenterRole
		err := r.Get(ctx, client.ObjectKey{Namespace: acct.Namespace, Name: name}, &role)
		if apierrors.IsNotFound(err) {
			role = v1alpha1.WorkCenterRole{
				ObjectMeta: metav1.ObjectMeta{Namespace: acct.Namespace, Name: name,
					Labels: map[string]string{v1alpha1.LabelBuiltIn: "true"}},
				Spec: spec,
			}
			if err := controllerutil.SetControllerReference(acct, &role, r.Scheme()); err != nil {
				return err
			}
			if err := r.Create(ctx, &role); err != nil {
				if apierrors.IsAlreadyExists(err) {
					continue // the cache lags behind a create: nothing was restored
				}
				return err
			}
			r.Recorder.Eventf(acct, &role, corev1.EventTypeNormal, v1alpha1.ReasonBuiltInRoleRestored, "Restore",
				"created built-in WorkCenterRole %q", name)
			continue
		}
		if err != nil {
			return err
		}
		if !role.DeletionTimestamp.IsZero() {
			continue // recreated once it is gone
		}
		want := role.DeepCopy()
		want.Spec = spec
		if want.Labels == nil {
			want.Labels = map[string]string{}
		}
		want.Labels[v1alpha1.LabelBuiltIn] = "true"
		want.OwnerReferences = slices.DeleteFunc(want.OwnerReferences, func(o metav1.OwnerReference) bool {
			return o.Controller != nil && *o.Controller && o.UID != acct.UID
		})
		if err := controllerutil.SetControllerReference(acct, want, r.Scheme()); err != nil {
			return err
		}
		if equality.Semantic.DeepEqual(want.Spec, role.Spec) && equality.Semantic.DeepEqual(want.ObjectMeta, role.ObjectMeta) {
			continue
		}
		if err := r.Patch(ctx, want, client.MergeFromWithOptions(&role, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		r.Recorder.Eventf(acct, want, corev1.EventTypeNormal, v1alpha1.ReasonBuiltInRoleRestored, "Restore",
			"reverted an edit of built-in WorkCenterRole %q", name)
	}
	return nil
}

// inUseBlock decides from live reads whether the Account still has WorkCenters, custom
// roles or Collaborators (R11), and returns the message why its deletion waits ("" when
// it may go). Nothing holds it when its namespace is being deleted.
func (r *AccountReconciler) inUseBlock(ctx context.Context, acct *v1alpha1.Account) (string, error) {
	if gone, err := namespaceTerminating(ctx, r.APIReader, acct.Namespace); err != nil || gone {
		return "", err
	}
	var wcs v1alpha1.WorkCenterList
	var roles v1alpha1.WorkCenterRoleList
	var collabs v1alpha1.CollaboratorList
	for _, l := range []client.ObjectList{&wcs, &roles, &collabs} {
		if err := r.APIReader.List(ctx, l, client.InNamespace(acct.Namespace)); err != nil {
			return "", err
		}
	}
	use := model.UseOfAccount(pointers(wcs.Items), pointers(roles.Items), pointers(collabs.Items))
	if !use.InUse() {
		return "", nil
	}
	return fmt.Sprintf("Account %q still has %s; delete them first, or delete namespace %q", model.Short(acct.Name), use, acct.Namespace), nil
}
