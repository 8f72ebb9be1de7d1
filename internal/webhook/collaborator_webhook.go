package webhook

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-collaborator,mutating=false,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=create;update,versions=v1alpha1,name=vcollaborator-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// Deletions only ever warn, so an unreachable webhook must not block them (a namespace
// being deleted included): the DELETE entry ignores failures.
// +kubebuilder:webhook:path=/validate-access-workcenter-io-v1alpha1-collaborator,mutating=false,failurePolicy=ignore,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=delete,versions=v1alpha1,name=vcollaborator-delete-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1

// CollaboratorValidator enforces R2, R3, R4, R5, R7 and R10 at admission, warns about
// references that wait, and warns when the deletion of an account's last administrator
// will wait on its finalizer.
type CollaboratorValidator struct {
	reader reader
}

var _ admission.Validator[*v1alpha1.Collaborator] = &CollaboratorValidator{}

// ValidateCreate checks a new Collaborator.
func (v *CollaboratorValidator) ValidateCreate(ctx context.Context, c *v1alpha1.Collaborator) (admission.Warnings, error) {
	return v.validate(ctx, nil, c)
}

// ValidateUpdate checks what an update changes. Whether the finalizer may go is decided
// for the Collaborator as it is stored: an update that demotes the last administrator
// and drops its finalizer at once does not free it (and an object being deleted skips
// the demotion check).
func (v *CollaboratorValidator) ValidateUpdate(ctx context.Context, old, c *v1alpha1.Collaborator) (admission.Warnings, error) {
	if err := v.reader.checkFinalizerKept(ctx, "Collaborator", old, c, v1alpha1.FinalizerLastAdministrator, "R7", v1alpha1.ReasonLastAccountAdministrator,
		func() (string, error) { return v.lastAdministrator(ctx, old) }); err != nil {
		return nil, err
	}
	if skipUpdate(c, equality.Semantic.DeepEqual(old.Spec, c.Spec)) {
		return nil, nil
	}
	return v.validate(ctx, old, c)
}

// ValidateDelete never denies; it warns when the deletion will wait because the
// collaborator is the last AccountAdministrator of an active Account (R7).
func (v *CollaboratorValidator) ValidateDelete(ctx context.Context, c *v1alpha1.Collaborator) (admission.Warnings, error) {
	if c.DeletionTimestamp != nil || !model.IsAccountAdministrator(c) ||
		!controllerutil.ContainsFinalizer(c, v1alpha1.FinalizerLastAdministrator) {
		return nil, nil
	}
	if gone, err := v.reader.namespaceTerminating(ctx, c.Namespace); err != nil || gone {
		return nil, err
	}
	why, err := v.lastAdministrator(ctx, c)
	if err != nil || why == "" {
		return nil, err
	}
	return admission.Warnings{fmt.Sprintf(
		"%s: its deletion waits (finalizer %s, DeletionBlocked %s) until another Member is made an AccountAdministrator or the account is deactivated",
		why, v1alpha1.FinalizerLastAdministrator, v1alpha1.ReasonLastAccountAdministrator)}, nil
}

// lastAdministrator says that c is the last AccountAdministrator of an active Account
// (R7), "" when it is not.
func (v *CollaboratorValidator) lastAdministrator(ctx context.Context, c *v1alpha1.Collaborator) (string, error) {
	if !model.IsAccountAdministrator(c) {
		return "", nil
	}
	account, err := v.reader.account(ctx, c.Namespace)
	if err != nil {
		return "", err
	}
	// R7 looks only at the AccountAdministrators.
	var admins []*v1alpha1.Collaborator
	if err := v.reader.model(ctx, c.Namespace, "Collaborators", func(m *model.Account) { admins = m.AccountAdministrators() }); err != nil {
		return "", err
	}
	if !model.LastAdministratorHolds(c, account, admins) {
		return "", nil
	}
	return fmt.Sprintf("Collaborator %q is the last AccountAdministrator of Account %q", model.Short(c.Name), model.Short(account.Name)), nil
}

// validate checks c, and what changed since old (nil on create).
func (v *CollaboratorValidator) validate(ctx context.Context, old, c *v1alpha1.Collaborator) (admission.Warnings, error) {
	account, err := v.reader.account(ctx, c.Namespace)
	if err != nil {
		return nil, err
	}
	roles, err := v.reader.roles(ctx, c.Namespace)
	if err != nil {
		return nil, err
	}
	// What the rules need of the other Collaborators, from the account model's indexes
	// rather than a walk over all of them: those sharing c's email (R5), the
	// AccountAdministrators (R7), and how many Members there are (R4).
	var sameEmail, admins []*v1alpha1.Collaborator
	var members int32
	if err := v.reader.model(ctx, c.Namespace, "Collaborators", func(m *model.Account) {
		sameEmail, admins = m.SameEmail(c), m.AccountAdministrators()
		members = int32(len(m.Members()))
		if stored := m.Collaborator(c.Name); stored != nil && model.IsMember(stored) {
			members-- // c itself, as stored
		}
	}); err != nil {
		return nil, err
	}
	workCenters, err := v.reader.workCenters(ctx, c.Namespace)
	if err != nil {
		return nil, err
	}

	var warnings admission.Warnings
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if account == nil {
		warnings = append(warnings, fmt.Sprintf("namespace %q has no Account yet; Collaborator %q waits (Pending, %s) until one appears",
			c.Namespace, model.Short(c.Name), v1alpha1.ReasonAccountNotFound))
	}

	errs = append(errs, checkAssignments(c, old, roles, workCenters, &warnings)...)

	// R4: a new Member, or a Guest made a Member, needs a free license.
	if viol := model.CheckLicenseFree(c, old, members, account); viol != nil {
		errs = append(errs, forbidden(spec.Child("type"), viol))
	}

	// R5: an email another collaborator of the account has. The collaborator taking it
	// is the newcomer to the email, whatever its own age.
	if old == nil || old.Spec.Email != c.Spec.Email {
		if same := sameEmail; len(same) > 0 {
			newcomer := c.DeepCopy()
			newcomer.CreationTimestamp = metav1.Time{}
			if viol := model.CheckEmailUnique(newcomer, same); viol != nil {
				errs = append(errs, field.Invalid(spec.Child("email"), c.Spec.Email, detail(viol)))
			}
		}
	}

	// R7: the last AccountAdministrator of an active Account is not demoted.
	if old != nil && model.IsAccountAdministrator(old) && !model.IsAccountAdministrator(c) &&
		model.AccountActive(account) && !model.OtherAdministratorStays(c, admins) {
		path := spec.Child("adminRole")
		if !model.IsMember(c) {
			path = spec.Child("type")
		}
		errs = append(errs, forbidden(path, &model.Violation{
			Rule: "R7", Reason: v1alpha1.ReasonLastAccountAdministrator,
			Message: fmt.Sprintf("Collaborator %q is the last AccountAdministrator of Account %q and cannot be demoted to %s %s; make another Member an AccountAdministrator first, or deactivate the account",
				model.Short(c.Name), model.Short(account.Name), c.Spec.Type, c.Spec.AdminRole),
		}))
	}
	return warnings, invalid("Collaborator", c.Name, errs)
}

// checkAssignments is R2, R3 and R10 for each assignment, and the warnings for the
// WorkCenters and roles an assignment waits for.
func checkAssignments(c, old *v1alpha1.Collaborator, roles model.Roles, workCenters []*v1alpha1.WorkCenter, warnings *admission.Warnings) field.ErrorList {
	existingWC := map[string]bool{}
	for _, wc := range workCenters {
		existingWC[wc.Name] = true
	}
	before := map[v1alpha1.ObjectName]v1alpha1.ObjectName{}
	if old != nil {
		for _, a := range old.Spec.WorkCenters {
			before[a.Name] = a.Role
		}
	}
	// R3: a Member turned into a Guest answers for every member-only role held.
	madeGuest := old != nil && model.IsMember(old) && !model.IsMember(c)
	var errs field.ErrorList
	for i, a := range c.Spec.WorkCenters {
		wcName, roleName := string(a.Name), string(a.Role)
		path := field.NewPath("spec", "workCenters").Index(i).Child("role")
		prevRole, had := before[a.Name]
		isNew := !had || prevRole != a.Role
		if !existingWC[wcName] {
			*warnings = append(*warnings, pendingWarning(fmt.Sprintf("WorkCenter %q", model.Short(wcName))))
		}
		role, ok := roles[roleName]
		if !ok {
			*warnings = append(*warnings, pendingWarning(fmt.Sprintf("WorkCenterRole %q (assigned in WorkCenter %q)", model.Short(roleName), model.Short(wcName))))
			continue
		}
		// R10: no new assignment to a role that is being deleted.
		if isNew {
			if viol := model.CheckRoleNotTerminating(c, wcName, role); viol != nil {
				errs = append(errs, forbidden(path, viol))
			}
		}
		perms, err := roles.Effective(roleName)
		switch e := err.(type) {
		case *model.CycleError:
			// A new assignment to a role that cannot be resolved is refused, as the
			// controllers would reject it (Stalled); one the update leaves as it was stays
			// Rejected, with a warning.
			if isNew {
				errs = append(errs, field.Forbidden(path, model.Bound(fmt.Sprintf("WorkCenterRole %q cannot be resolved: %s; assign another role in WorkCenter %q, or break the cycle first",
					model.Short(roleName), e.Error(), model.Short(wcName)), maxDetail-32)+" ("+v1alpha1.ReasonInclusionCycle+")"))
			} else {
				*warnings = append(*warnings, fmt.Sprintf("WorkCenterRole %q cannot be resolved: %s; the assignment in WorkCenter %q is Rejected (%s) until the cycle is broken",
					model.Short(roleName), e.Error(), model.Short(wcName), v1alpha1.ReasonInclusionCycle))
			}
		case *model.RoleNotFoundError:
			*warnings = append(*warnings, fmt.Sprintf("%s; the assignment in WorkCenter %q waits (Pending) until it appears", e.Error(), model.Short(wcName)))
		}
		// R2 and R3, as model.CheckGuestRoles checks them, one assignment at a time so
		// that an update answers only for what it changes.
		viol := model.CheckRoleForGuest(c, wcName, roleName, perms)
		switch {
		case viol == nil:
		case madeGuest:
			viol.Rule = "R3"
			errs = append(errs, forbidden(field.NewPath("spec", "type"), viol))
		case isNew:
			errs = append(errs, forbidden(path, viol))
		default:
			*warnings = append(*warnings, fmt.Sprintf("%s; the assignment stays Rejected (%s)", viol.Message, viol.Reason))
		}
	}
	return errs
}
