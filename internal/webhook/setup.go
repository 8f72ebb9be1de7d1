// Package webhook holds the validating admission webhooks of the four kinds. They call
// the same pure rules (internal/access) as the controllers, so admission and
// reconciliation never disagree.
//
// What the webhooks reject and what they only warn about follows SPEC section 3:
// a reference to an object that does not exist yet is never rejected (apply order is
// arbitrary in GitOps), and a deletion is never denied: the controllers' finalizers hold
// it, and the webhooks say so in a warning.
//
// Two habits keep the webhooks out of the controllers' way: an update that leaves the
// spec as it was (finalizers, labels, owner references) is always allowed, and nothing
// is checked on an object that is being deleted. Rules that compare with the old object
// "ratchet": an update is rejected for what it changes, and a problem it leaves as it
// was (a guest's unchanged assignment whose role became member-only meanwhile, a
// category that left the picklist) is a warning, as the object's status already says.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
)

// Options configure the validators.
type Options struct {
	// OperatorUsernames are the identities allowed to edit built-in roles (R9): the
	// operator's own. When empty, Setup asks the API server who the manager's client is
	// (see OwnIdentity).
	OperatorUsernames []string
}

// Setup registers the validating webhooks of Account, WorkCenter, WorkCenterRole and
// Collaborator, and the mutating webhooks that give Accounts, WorkCenterRoles and
// Collaborators their protection finalizers at creation (protection.go), with the
// manager's webhook server. The validators read the account's
// objects from the manager's account Book, which the controllers share. Their
// answers are bounded (see bound): every warning reaches the client whole.
func Setup(mgr ctrl.Manager, opts Options) error {
	if len(opts.OperatorUsernames) == 0 {
		me, err := OwnIdentity(mgr.GetConfig())
		if err != nil {
			return fmt.Errorf("determining the operator's own username (allowed to edit built-in roles): %w", err)
		}
		opts.OperatorUsernames = []string{me}
	}
	operators := map[string]bool{}
	for _, u := range opts.OperatorUsernames {
		operators[u] = true
	}
	book, err := accounts.For(mgr)
	if err != nil {
		return err
	}
	r := reader{cache: mgr.GetClient(), live: mgr.GetAPIReader(), book: book, operators: operators}
	if err := registerDefaulter(mgr, &v1alpha1.Account{}, AccountProtection{reader: r}); err != nil {
		return err
	}
	if err := registerDefaulter(mgr, &v1alpha1.WorkCenterRole{}, RoleProtection{}); err != nil {
		return err
	}
	if err := registerDefaulter(mgr, &v1alpha1.Collaborator{}, CollaboratorProtection{}); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.Account{}).
		WithValidator(observed(bound[*v1alpha1.Account](&AccountValidator{reader: r}))).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.WorkCenter{}).
		WithValidator(observed(bound[*v1alpha1.WorkCenter](&WorkCenterValidator{reader: r}))).Complete(); err != nil {
		return err
	}
	if err := ctrl.NewWebhookManagedBy(mgr, &v1alpha1.WorkCenterRole{}).
		WithValidator(observed(bound[*v1alpha1.WorkCenterRole](&WorkCenterRoleValidator{reader: r}))).Complete(); err != nil {
		return err
	}
	return ctrl.NewWebhookManagedBy(mgr, &v1alpha1.Collaborator{}).
		WithValidator(observed(bound[*v1alpha1.Collaborator](&CollaboratorValidator{reader: r}))).Complete()
}

// OwnIdentity asks the API server, with a SelfSubjectReview, which username cfg
// authenticates as. The operator passes its own to Options.OperatorUsernames, so that
// its restoring of built-in roles passes R9.
func OwnIdentity(cfg *rest.Config) (string, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("SelfSubjectReview: %w", err)
	}
	if review.Status.UserInfo.Username == "" {
		return "", errors.New("SelfSubjectReview: the API server returned no username")
	}
	return review.Status.UserInfo.Username, nil
}
