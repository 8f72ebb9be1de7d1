package webhook

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// reader reads an account's objects for the validators: from the manager's account
// Book (the same account models the controllers read, fresh with the manager's cache),
// without copying the objects, as the validators only read what it returns; and the
// namespace itself live, since only a deletion warning needs it.
type reader struct {
	cache client.Reader
	live  client.Reader
	// book is the manager's; nil builds a model from cache for each read (unit tests).
	book *accounts.Book
	// operators are the operator's own usernames: it alone edits built-in roles (R9)
	// and removes protection finalizers from objects in use.
	operators map[string]bool
}

// model runs f on the namespace's account model.
func (r reader) model(ctx context.Context, namespace, what string, f func(m *model.Account)) error {
	if err := accounts.Or(r.book, r.cache).Read(ctx, namespace, func(m *model.Account) error { f(m); return nil }); err != nil {
		return readError(namespace, what, err)
	}
	return nil
}

// account returns the Account that owns the namespace: the oldest one (creation time,
// then name), as the controllers decide. nil when there is none.
func (r reader) account(ctx context.Context, namespace string) (*v1alpha1.Account, error) {
	var owner *v1alpha1.Account
	err := r.model(ctx, namespace, "Accounts", func(m *model.Account) { owner = m.Owner() })
	return owner, err
}

func (r reader) accounts(ctx context.Context, namespace string) ([]*v1alpha1.Account, error) {
	var out []*v1alpha1.Account
	err := r.model(ctx, namespace, "Accounts", func(m *model.Account) { out = m.Accounts() })
	return out, err
}

func (r reader) roles(ctx context.Context, namespace string) (model.Roles, error) {
	var out model.Roles
	// A copy: the model's map changes with the next role event.
	err := r.model(ctx, namespace, "WorkCenterRoles", func(m *model.Account) { out = maps.Clone(m.Roles()) })
	return out, err
}

func (r reader) collaborators(ctx context.Context, namespace string) ([]*v1alpha1.Collaborator, error) {
	var out []*v1alpha1.Collaborator
	err := r.model(ctx, namespace, "Collaborators", func(m *model.Account) { out = m.AllCollaborators() })
	return out, err
}

func (r reader) workCenters(ctx context.Context, namespace string) ([]*v1alpha1.WorkCenter, error) {
	var out []*v1alpha1.WorkCenter
	err := r.model(ctx, namespace, "WorkCenters", func(m *model.Account) { out = m.WorkCenters() })
	return out, err
}

// namespaceTerminating reports whether the namespace is being deleted: then the
// protection finalizers step aside, and a deletion has nothing to warn about.
func (r reader) namespaceTerminating(ctx context.Context, namespace string) (bool, error) {
	var ns corev1.Namespace
	if err := r.live.Get(ctx, types.NamespacedName{Name: namespace}, &ns); err != nil {
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, readError(namespace, "the Namespace", err)
	}
	return !ns.DeletionTimestamp.IsZero(), nil
}

// readError is a failed read: an internal error, so that clients retry, rather than a
// denial that would read as a broken rule.
func readError(namespace, what string, err error) error {
	return apierrors.NewInternalError(fmt.Errorf("reading %s of namespace %q: %w", what, namespace, err))
}

// checkFinalizerKept refuses an update that removes finalizer, one of the operator's
// protections, while the object is still in use, for anyone but the operator: otherwise
// a `kubectl replace` of a manifest without it (or a GitOps tool syncing with replace)
// drops the protection, and the next delete removes an object that is in use. inUse
// returns what still uses the object ("" when nothing does); it is asked only when the
// update removes the finalizer. A namespace being deleted lets every finalizer go.
func (r reader) checkFinalizerKept(ctx context.Context, kind string, old, cur client.Object, finalizer, rule, reason string,
	inUse func() (string, error)) error {
	if !controllerutil.ContainsFinalizer(old, finalizer) || controllerutil.ContainsFinalizer(cur, finalizer) ||
		r.operators[requestUser(ctx)] {
		return nil
	}
	if gone, err := r.namespaceTerminating(ctx, cur.GetNamespace()); err != nil || gone {
		return err
	}
	why, err := inUse()
	if err != nil || why == "" {
		return err
	}
	return apierrors.NewInvalid(v1alpha1.GroupVersion.WithKind(kind).GroupKind(), cur.GetName(), field.ErrorList{
		field.Forbidden(field.NewPath("metadata", "finalizers"), fmt.Sprintf(
			"%s: finalizer %s protects it while it is in use, and the operator removes it once nothing uses it; keep it (kubectl apply leaves it in place; a replaced manifest must list it) (%s, %s)",
			why, finalizer, rule, reason)),
	})
}

// skipUpdate reports whether an update is let through without checking any rule: the
// object is being deleted, or its spec did not change (finalizers, labels, owner
// references, as the controllers and the garbage collector write them).
func skipUpdate(cur client.Object, sameSpec bool) bool {
	return cur.GetDeletionTimestamp() != nil || sameSpec
}

// invalid turns the broken rules into one Invalid error, so that a person sees every
// one of them at once, each at the field that breaks it, up to maxFieldErrors: the
// others are counted. nil when there are none.
func invalid(kind, name string, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	if n := len(errs) - maxFieldErrors; n > 0 {
		// The object's own fields first (spec.type, spec.email), then items of its lists
		// (spec.workCenters[i].role), which can be many of the same kind.
		own := slices.DeleteFunc(slices.Clone(errs), func(e *field.Error) bool { return strings.Contains(e.Field, "[") })
		items := slices.DeleteFunc(slices.Clone(errs), func(e *field.Error) bool { return !strings.Contains(e.Field, "[") })
		errs = append(append(own, items...)[:maxFieldErrors:maxFieldErrors], field.Forbidden(field.NewPath("spec"),
			fmt.Sprintf("%d more fields break rules like those above; they are named once those are fixed", n)))
	}
	return apierrors.NewInvalid(v1alpha1.GroupVersion.WithKind(kind).GroupKind(), name, errs)
}

// forbidden is a broken rule at a field: the rule's message, with its number and reason
// so that people and tools can tell rules apart.
func forbidden(path *field.Path, v *model.Violation) *field.Error {
	return field.Forbidden(path, detail(v))
}

// detail is a violation's message ending with its rule and reason, within maxDetail
// bytes: the message is cut before the rule and reason are.
func detail(v *model.Violation) string {
	suffix := fmt.Sprintf(" (%s, %s)", v.Rule, v.Reason)
	return model.Bound(v.Message, maxDetail-len(suffix)) + suffix
}

// requestUser is the username of the admission request being validated.
func requestUser(ctx context.Context) string {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return ""
	}
	return req.UserInfo.Username
}

func groupResource(resource string) schema.GroupResource {
	return v1alpha1.GroupVersion.WithResource(resource).GroupResource()
}

// pendingWarning is the warning for a reference to an object that does not exist yet.
func pendingWarning(what string) string {
	return what + " does not exist yet; the assignment waits (Pending) until it appears"
}
