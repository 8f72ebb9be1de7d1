package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// The mutating webhooks give an object the protection finalizer it needs from the
// moment it exists, as Kubernetes' admission plugin does for PVC protection: the
// controllers add the same finalizers, but only once they reconcile the object, and with
// thousands of objects queued (or the manager down) a deletion could come first and meet
// none. Each adds exactly the finalizer the object's controller keeps on it, so the two
// never disagree; an object being deleted is left alone. On an update the finalizer is
// added only when the stored object lacks it (a Member promoted to AccountAdministrator,
// an object created before the webhooks were installed): an update that removes it is
// validation's to judge (refused while the object is in use, naming what uses it), and
// removing finalizers stays the controllers' business.
//
// +kubebuilder:webhook:path=/mutate-access-workcenter-io-v1alpha1-collaborator,mutating=true,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=collaborators,verbs=create;update,versions=v1alpha1,name=mcollaborator-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/mutate-access-workcenter-io-v1alpha1-workcenterrole,mutating=true,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=workcenterroles,verbs=create;update,versions=v1alpha1,name=mworkcenterrole-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/mutate-access-workcenter-io-v1alpha1-account,mutating=true,failurePolicy=fail,sideEffects=None,groups=access.workcenter.io,resources=accounts,verbs=create;update,versions=v1alpha1,name=maccount-v1alpha1.access.workcenter.io,timeoutSeconds=5,admissionReviewVersions=v1

// CollaboratorProtection gives every AccountAdministrator the last-administrator
// finalizer (R7).
type CollaboratorProtection struct{}

var _ admission.Defaulter[*v1alpha1.Collaborator] = CollaboratorProtection{}

// Default adds the finalizer to an AccountAdministrator that is not being deleted.
func (CollaboratorProtection) Default(ctx context.Context, c *v1alpha1.Collaborator) error {
	if c.DeletionTimestamp.IsZero() && model.IsAccountAdministrator(c) {
		return protect(ctx, c, v1alpha1.FinalizerLastAdministrator)
	}
	return nil
}

// RoleProtection gives every WorkCenterRole the in-use-protection finalizer (R6).
type RoleProtection struct{}

var _ admission.Defaulter[*v1alpha1.WorkCenterRole] = RoleProtection{}

// Default adds the finalizer to a role that is not being deleted.
func (RoleProtection) Default(ctx context.Context, r *v1alpha1.WorkCenterRole) error {
	if r.DeletionTimestamp.IsZero() {
		return protect(ctx, r, v1alpha1.FinalizerInUseProtection)
	}
	return nil
}

// AccountProtection gives the Account that owns its namespace the account-protection
// finalizer (R11): a new Account owns it when no other Account does (an older one keeps
// it), an existing one when the account model says so.
type AccountProtection struct {
	reader reader
}

var _ admission.Defaulter[*v1alpha1.Account] = AccountProtection{}

// Default adds the finalizer to the owning Account, when it is not being deleted.
func (p AccountProtection) Default(ctx context.Context, a *v1alpha1.Account) error {
	if !a.DeletionTimestamp.IsZero() || controllerutil.ContainsFinalizer(a, v1alpha1.FinalizerAccountProtection) {
		return nil
	}
	owns := false
	if err := p.reader.model(ctx, a.Namespace, "Accounts", func(m *model.Account) {
		owner := m.Owner()
		owns = owner == nil || owner.Name == a.Name
	}); err != nil {
		return err
	}
	if owns {
		return protect(ctx, a, v1alpha1.FinalizerAccountProtection)
	}
	return nil
}

// registerDefaulter serves d, behind schemaFirst, at the path controller-runtime's
// builder gives obj's mutating webhook (the path the kubebuilder markers above name).
func registerDefaulter[T runtime.Object](mgr ctrl.Manager, obj T, d admission.Defaulter[T]) error {
	gvk, err := apiutil.GVKForObject(obj, mgr.GetScheme())
	if err != nil {
		return err
	}
	path := "/mutate-" + strings.ReplaceAll(gvk.Group, ".", "-") + "-" + gvk.Version + "-" + strings.ToLower(gvk.Kind)
	mgr.GetWebhookServer().Register(path, defaulter(mgr.GetScheme(), obj, d))
	return nil
}

// defaulter is the mutating webhook of d: controller-runtime's, behind schemaFirst.
func defaulter[T runtime.Object](scheme *runtime.Scheme, obj T, d admission.Defaulter[T]) *admission.Webhook {
	wh := admission.WithDefaulter(scheme, d)
	wh.Handler = schemaFirst{next: wh.Handler, decoder: admission.NewDecoder(scheme),
		new: func() runtime.Object { return obj.DeepCopyObject() }}
	return wh
}

// schemaFirst lets through, unchanged, an object that does not decode into its Go type
// (a string where the schema wants a list, a number out of range): mutating webhooks run
// before the API server checks the CRD's schema, which then refuses the object naming
// every field that is wrong, where a decoding error would name one, in Go's words. The
// CRDs are generated from the Go types, so what does not decode never passes the schema
// (FuzzSchemaFirst checks it on any spec) and never needs a finalizer.
type schemaFirst struct {
	next    admission.Handler
	decoder admission.Decoder
	new     func() runtime.Object
}

func (s schemaFirst) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Delete {
		if err := s.decoder.Decode(req, s.new()); err != nil {
			return admission.Allowed("the object does not match its schema, which the API server checks next")
		}
	}
	return s.next.Handle(ctx, req)
}

// protect adds finalizer to obj, unless the request is an update of an object that
// carries it already (then obj lacks it only because the update removes it).
func protect(ctx context.Context, obj client.Object, finalizer string) error {
	if req, err := admission.RequestFromContext(ctx); err == nil && req.Operation == admissionv1.Update {
		var old metav1.PartialObjectMetadata
		if err := json.Unmarshal(req.OldObject.Raw, &old); err != nil {
			return apierrors.NewBadRequest(fmt.Sprintf("reading the stored object: %v", err))
		}
		if controllerutil.ContainsFinalizer(&old, finalizer) {
			return nil
		}
	}
	controllerutil.AddFinalizer(obj, finalizer)
	return nil
}
