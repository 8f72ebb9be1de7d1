package webhook

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenterrole,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=create;update,versions=v1alpha1,name=vworkcenterrole-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// Deletions only ever warn, so an unreachable webhook must not block them (a namespace
// being deleted included): the DELETE entry ignores failures.
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-workcenterrole,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=delete,versions=v1alpha1,name=vworkcenterrole-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1

// WorkCenterRoleValidator enforces R2 through role changes, R9 (built-in roles are
// the operator's) and rejects new inclusion cycles; it warns about includes that wait
// and about deletions that wait on the in-use finalizer (R6).
type WorkCenterRoleValidator struct {
	reader reader
}

var _ admission.Validator[*v1alpha1.WorkCenterRole] = &WorkCenterRoleValidator{}

// ValidateCreate checks a new role.
func (v *WorkCenterRoleValidator) ValidateCreate(ctx context.Context, role *v1alpha1.WorkCenterRole) (admission.Warnings, error) {
	return v.validate(ctx, nil, role)
}

// ValidateUpdate checks what an update changes. For a role, the built-in label counts
// as spec: removing it from a built-in role is an edit of that role (R9).
func (v *WorkCenterRoleValidator) ValidateUpdate(ctx context.Context, old, role *v1alpha1.WorkCenterRole) (admission.Warnings, error) {
	if err := v.reader.checkFinalizerKept(ctx, "WorkCenterRole", old, role, v1alpha1.FinalizerInUseProtection, "R6", v1alpha1.ReasonRoleInUse,
		func() (string, error) { return v.inUse(ctx, role) }); err != nil {
		return nil, err
	}
	same := equality.Semantic.DeepEqual(old.Spec, role.Spec) &&
		old.Labels[v1alpha1.LabelBuiltIn] == role.Labels[v1alpha1.LabelBuiltIn]
	if skipUpdate(role, same) {
		return nil, nil
	}
	return v.validate(ctx, old, role)
}

// ValidateDelete never denies, built-in roles included (the Account controller
// recreates them); it warns when the deletion will wait because the role is assigned or
// included (R6).
func (v *WorkCenterRoleValidator) ValidateDelete(ctx context.Context, role *v1alpha1.WorkCenterRole) (admission.Warnings, error) {
	if role.DeletionTimestamp != nil || !controllerutil.ContainsFinalizer(role, v1alpha1.FinalizerInUseProtection) {
		return nil, nil
	}
	if gone, err := v.reader.namespaceTerminating(ctx, role.Namespace); err != nil || gone {
		return nil, err
	}
	why, err := v.inUse(ctx, role)
	if err != nil || why == "" {
		return nil, err
	}
	return admission.Warnings{fmt.Sprintf("%s; its deletion waits (finalizer %s, DeletionBlocked %s) until they are removed",
		why, v1alpha1.FinalizerInUseProtection, v1alpha1.ReasonRoleInUse)}, nil
}

// inUse says who holds or includes the role (R6), "" when nothing does.
func (v *WorkCenterRoleValidator) inUse(ctx context.Context, role *v1alpha1.WorkCenterRole) (string, error) {
	var holders []*v1alpha1.Collaborator
	if err := v.reader.model(ctx, role.Namespace, "Collaborators", func(m *model.Account) { holders = m.Holding(role.Name) }); err != nil {
		return "", err
	}
	roles, err := v.reader.roles(ctx, role.Namespace)
	if err != nil {
		return "", err
	}
	use := model.UseOf(role.Name, holders, roles)
	if !use.InUse() {
		return "", nil
	}
	return fmt.Sprintf("WorkCenterRole %q is %s", model.Short(role.Name), use), nil
}

// validate checks role, and what changed since old (nil on create).
func (v *WorkCenterRoleValidator) validate(ctx context.Context, old, role *v1alpha1.WorkCenterRole) (admission.Warnings, error) {
	if v1alpha1.IsBuiltInRoleName(role.Name) {
		return nil, v.checkBuiltIn(ctx, old, role)
	}
	roles, err := v.reader.roles(ctx, role.Namespace)
	if err != nil {
		return nil, err
	}
	var warnings admission.Warnings
	for _, inc := range role.Spec.Includes {
		if _, ok := roles[string(inc)]; !ok && string(inc) != role.Name {
			warnings = append(warnings, fmt.Sprintf("WorkCenterRole %q includes %q, which does not exist yet; the role and its assignments wait (Pending) until it appears",
				model.Short(role.Name), model.Short(string(inc))))
		}
	}

	var errs field.ErrorList
	// A cycle this change creates is rejected; one that was there before is not its doing.
	next := make(model.Roles, len(roles)+1)
	for n, r := range roles {
		next[n] = r
	}
	next[role.Name] = role
	if _, err := next.Effective(role.Name); err != nil {
		if cycle, ok := err.(*model.CycleError); ok {
			if _, err := roles.Effective(role.Name); isCycle(err) {
				warnings = append(warnings, fmt.Sprintf("%s; the roles of the cycle stay not Ready (%s) until it is broken", cycle.Error(), v1alpha1.ReasonInclusionCycle))
			} else {
				errs = append(errs, field.Forbidden(field.NewPath("spec", "includes"),
					fmt.Sprintf("%s; this change to WorkCenterRole %q closes it: remove one of those includes (%s)", cycle.Error(), model.Short(role.Name), v1alpha1.ReasonInclusionCycle)))
			}
		}
	}
	// R2: no role held by a guest is made member-only. Only the holders of the role and
	// of the roles including it can be affected: the model's index finds them without
	// reading every Collaborator of the account.
	var holders []*v1alpha1.Collaborator
	if err := v.reader.model(ctx, role.Namespace, "Collaborators", func(m *model.Account) {
		seen := map[string]bool{}
		for _, affected := range next.Dependents(role.Name) {
			for _, c := range m.Holding(affected) {
				if !seen[c.Name] {
					seen[c.Name] = true
					holders = append(holders, c)
				}
			}
		}
	}); err != nil {
		return nil, err
	}
	if viol := model.CheckRoleChange(role, roles, holders); viol != nil {
		errs = append(errs, forbidden(field.NewPath("spec"), viol))
	}
	return warnings, invalid("WorkCenterRole", role.Name, errs)
}

func isCycle(err error) bool {
	_, ok := err.(*model.CycleError)
	return ok
}

// checkBuiltIn is R9: built-in roles are created and restored by the operator alone.
func (v *WorkCenterRoleValidator) checkBuiltIn(ctx context.Context, old, role *v1alpha1.WorkCenterRole) error {
	user := requestUser(ctx)
	if v.reader.operators[user] {
		return nil
	}
	what := "edit"
	if old == nil {
		what = "create"
	}
	return apierrors.NewForbidden(groupResource("workcenterroles"), role.Name, fmt.Errorf(
		"WorkCenterRole %q is built in (one of %s): only the operator may %s it, and it reverts any change of its spec or its %s label (R9); user %q can create a custom role instead, for example one that includes %q",
		role.Name, strings.Join(v1alpha1.BuiltInRoleNames, ", "), what, v1alpha1.LabelBuiltIn, model.Bound(user, maxUsername), role.Name))
}
