package webhook

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

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
	// prefix is the identity prefix of delegated administration (Options.IdentityPrefix).
	prefix string
	// audits holds the audit trail's Events until their change is stored; nil writes
	// none (unit tests).
	audits *pendingAudits
}

// model runs f on the namespace's account model.
func (r reader) model(ctx context.Context, namespace, what string, f func(m *model.Account)) error {
	if r.book != nil && !r.book.Synced() {
		// A replica whose cache is still filling answers nothing rather than judge from
		// part of the account (its readiness check keeps it out of the Service meanwhile).
		return apierrors.NewServiceUnavailable(accounts.ErrNotSynced.Error())
	}
	if err := accounts.Or(r.book, r.cache).Read(ctx, namespace, func(m *model.Account) error { f(m); return nil }); err != nil {
		return readError(namespace, what, err)
	}
	return nil
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

// requestUser is the username of the admission request being validated, and whether
// the request is a dry run (it changes nothing, so the audit trail records nothing).
func requestUser(ctx context.Context) (string, bool) {
	req, err := admission.RequestFromContext(ctx)
	if err != nil {
		return "", false
	}
	return req.UserInfo.Username, req.DryRun != nil && *req.DryRun
}
