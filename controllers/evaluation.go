package controllers

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/access"
)

// accountView is what evaluating a Collaborator's assignments reads of its account:
// the owning Account, the roles, and the Members (for licenses, read only when a Member
// is evaluated), read once per reconcile.
// The Collaborator controller evaluates one Collaborator with it, the WorkCenter
// controller every Collaborator assigned to one WorkCenter: both call evaluate, so a
// WorkCenter's count and its Collaborators' states can never disagree.
type accountView struct {
	r         client.Reader
	namespace string
	account   *v1alpha1.Account
	roles     access.Roles
	// members is nil until a Member's license is first asked for.
	members []*v1alpha1.Collaborator
	// licensed is the whole allocation, computed on first use when many Collaborators
	// are evaluated; a single one is decided in one pass (access.HoldsLicense).
	licensed map[string]bool
	// workCenters read so far, by name (nil: does not exist): a WorkCenter's count
	// evaluates hundreds of Collaborators against the same WorkCenter.
	workCenters map[string]*v1alpha1.WorkCenter
	now         metav1.Time
}

func newAccountView(ctx context.Context, r client.Reader, namespace string, account *v1alpha1.Account) (*accountView, error) {
	v := &accountView{r: r, namespace: namespace, account: account, now: metav1.Now().Rfc3339Copy(),
		workCenters: map[string]*v1alpha1.WorkCenter{}}
	var err error
	if v.roles, err = rolesOf(ctx, r, namespace); err != nil {
		return nil, err
	}
	return v, nil
}

// holdsLicense is R4 for c; many is true when the caller evaluates many Collaborators.
func (v *accountView) holdsLicense(ctx context.Context, c *v1alpha1.Collaborator, many bool) (bool, error) {
	if v.account == nil || !access.IsMember(c) {
		return false, nil
	}
	if v.members == nil {
		members, err := collaboratorsBy(ctx, v.r, v.namespace, indexCollaboratorType, string(v1alpha1.Member))
		if err != nil {
			return false, err
		}
		v.members = members
	}
	if !many {
		return access.HoldsLicense(c, v.members, v.account.Spec.Licenses), nil
	}
	if v.licensed == nil {
		v.licensed = access.AllocateLicenses(v.members, v.account.Spec.Licenses)
	}
	return v.licensed[c.Name], nil
}

// evaluation is the outcome of one Collaborator's assignments.
type evaluation struct {
	statuses  []v1alpha1.WorkCenterAssignmentStatus
	licensed  bool
	duplicate *access.Violation
}

// evaluate decides c's assignments, those to onlyWorkCenter when it is not empty. The one
// thing it reads of c's own status is a fact, not a conclusion: since when each
// assignment has been in effect (R10's memory).
func (v *accountView) evaluate(ctx context.Context, c *v1alpha1.Collaborator, onlyWorkCenter string, many bool) (evaluation, error) {
	sameEmail, err := collaboratorsBy(ctx, v.r, v.namespace, indexCollaboratorEmail, emailKey(c.Spec.Email))
	if err != nil {
		return evaluation{}, err
	}
	licensed, err := v.holdsLicense(ctx, c, many)
	if err != nil {
		return evaluation{}, err
	}
	e := evaluation{duplicate: access.CheckEmailUnique(c, sameEmail), licensed: licensed}
	e.statuses = make([]v1alpha1.WorkCenterAssignmentStatus, 0, len(c.Spec.WorkCenters))
	for _, a := range c.Spec.WorkCenters {
		if onlyWorkCenter != "" && string(a.Name) != onlyWorkCenter {
			continue
		}
		wc, err := v.workCenter(ctx, string(a.Name))
		if err != nil {
			return evaluation{}, err
		}
		e.statuses = append(e.statuses, access.EvaluateAssignment(access.AssignmentInput{
			Account: v.account, Collaborator: c, Licensed: e.licensed, DuplicateEmail: e.duplicate,
			Assignment: a, WorkCenter: wc, Roles: v.roles,
			Since: inEffectSince(c.Status.WorkCenters, a), Now: v.now,
		}))
	}
	return e, nil
}

// inEffectSince is when assignment a first took effect, as the last status recorded it:
// kept only while the spec keeps the same role in the same WorkCenter.
func inEffectSince(recorded []v1alpha1.WorkCenterAssignmentStatus, a v1alpha1.WorkCenterAssignment) *metav1.Time {
	for _, s := range recorded {
		if s.Name == string(a.Name) && s.Role == string(a.Role) {
			return s.Since
		}
	}
	return nil
}

// workCenter reads a WorkCenter once per view, nil when it does not exist.
func (v *accountView) workCenter(ctx context.Context, name string) (*v1alpha1.WorkCenter, error) {
	if wc, seen := v.workCenters[name]; seen {
		return wc, nil
	}
	wc, err := workCenterNamed(ctx, v.r, v.namespace, name)
	if err == nil {
		v.workCenters[name] = wc
	}
	return wc, err
}

// workCenterNamed reads a WorkCenter, nil when it does not exist.
func workCenterNamed(ctx context.Context, r client.Reader, namespace, name string) (*v1alpha1.WorkCenter, error) {
	var wc v1alpha1.WorkCenter
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &wc); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &wc, nil
}
