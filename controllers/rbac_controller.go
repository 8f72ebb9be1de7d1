package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const (
	rbacController = "rbac"
	// RBACNamePrefix begins the name of each Collaborator's Role and RoleBinding:
	// "workcenter:collaborator:<name>" (RBACName).
	RBACNamePrefix = "workcenter:collaborator:"
	// rbacWriters write one namespace's Roles and RoleBindings in parallel: a cold start
	// creates two objects per Collaborator.
	rbacWriters = 4
	// rbacRetry is how soon a reconcile whose write met a cache behind the API server (a
	// conflict, an object already there or already gone) runs again.
	rbacRetry = 500 * time.Millisecond
)

// RBACReconciler keeps, in each account's namespace, one Role and one RoleBinding per
// Collaborator that holds its email (model.Account.HoldsEmail), controlled by the owning
// Account (so they go with it): the Role holds the Collaborator's RBAC rules
// (model.Account.RBACRules), the RoleBinding binds it to the Collaborator's user,
// IdentityPrefix followed by spec.email. A reconcile is one namespace: it computes every
// person's rules from the account model and writes only the objects whose content
// differs from the cached one (a change of type, adminRole or assignments is one Role
// update; of email, one RoleBinding update; a Collaborator gone, two deletes).
type RBACReconciler struct {
	reconciler
	// IdentityPrefix is the operator's --identity-username-prefix: a Collaborator's
	// Kubernetes username is IdentityPrefix + spec.email. "" for none.
	IdentityPrefix string
	// cache holds the operator's own Roles and RoleBindings only (those labelled
	// LabelCollaboratorRBAC), whatever the manager's cache options: the manager's cache
	// never lists the cluster's Roles and RoleBindings.
	cache cache.Cache
	// written records, per Role and RoleBinding, the resourceVersion of this manager's
	// last write: its watch event wakes nothing. Deleted UIDs likewise.
	written sync.Map
}

// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=list;watch;create;update;delete
// The operator grants these verbs in the Roles it writes, so it must hold them
// (Kubernetes refuses a Role granting what its writer lacks, without escalate):
// +kubebuilder:rbac:groups=access.workcenter.io,resources=collaborators;workcenters,verbs=create;delete

// Reconcile brings one namespace's Roles and RoleBindings in line with its account.
// The request's Name is the namespace.
func (r *RBACReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ns := req.Name
	var owner *v1alpha1.Account
	want := map[string]client.Object{} // Role/<name>, RoleBinding/<name>
	if err := r.models().Read(ctx, ns, func(m *model.Account) error {
		owner = m.Owner()
		for c, rules := range m.RBAC() {
			role, binding := r.Desired(owner, c, rules)
			want["Role/"+role.Name], want["RoleBinding/"+binding.Name] = role, binding
		}
		return nil
	}); err != nil {
		return ctrl.Result{}, err
	}
	var roles rbacv1.RoleList
	var bindings rbacv1.RoleBindingList
	for _, l := range []client.ObjectList{&roles, &bindings} {
		if err := r.cache.List(ctx, l, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return ctrl.Result{}, err
		}
	}
	have := map[string]client.Object{}
	for i := range roles.Items {
		have["Role/"+roles.Items[i].Name] = &roles.Items[i]
	}
	for i := range bindings.Items {
		have["RoleBinding/"+bindings.Items[i].Name] = &bindings.Items[i]
	}
	// While the owning Account is being deleted, nothing is created or changed: its
	// namespace is going, or its Collaborators are; whoever goes loses its binding.
	frozen := owner != nil && !owner.DeletionTimestamp.IsZero()
	// Three rounds: the Roles, then the RoleBindings (each created only once its Role is
	// ours: in the cache, or created by the first round), then what is no one's any more.
	var roleWrites, bindingWrites, deletes []func(context.Context) error
	var made sync.Map // Roles the first round created
	for k, w := range want {
		h, ok := have[k]
		switch b, isBinding := w.(*rbacv1.RoleBinding); {
		case frozen:
		case !ok && isBinding:
			bindingWrites = append(bindingWrites, func(ctx context.Context) error {
				_, cached := have["Role/"+b.RoleRef.Name]
				if _, created := made.Load(b.RoleRef.Name); !cached && !created {
					return nil // its Role is not ours yet: next time
				}
				return r.create(ctx, w)
			})
		case !ok:
			roleWrites = append(roleWrites, func(ctx context.Context) error {
				if err := r.create(ctx, w); err != nil {
					return err
				}
				made.Store(w.GetName(), true)
				return nil
			})
		case sameContent(h, w):
		case isBinding:
			bindingWrites = append(bindingWrites, r.updateOf(h, w))
		default:
			roleWrites = append(roleWrites, r.updateOf(h, w))
		}
	}
	for k, h := range have {
		if _, ok := want[k]; !ok {
			deletes = append(deletes, func(ctx context.Context) error { return r.remove(ctx, h) })
		}
	}
	err := errors.Join(r.run(ctx, roleWrites), r.run(ctx, bindingWrites), r.run(ctx, deletes))
	if isCacheBehind(err) {
		logf.FromContext(ctx).V(1).Info("RBAC writes met a cache behind the API server; again shortly", "error", err.Error())
		return ctrl.Result{RequeueAfter: rbacRetry}, nil
	}
	return ctrl.Result{}, err
}

// isCacheBehind reports errors of a write decided on a cache that had not yet seen an
// earlier write: a conflict, an object already created or already deleted.
func isCacheBehind(err error) bool {
	if err == nil {
		return false
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if !isCacheBehind(e) {
				return false
			}
		}
		return true
	}
	return apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err)
}

// run runs the writes, rbacWriters at a time.
func (r *RBACReconciler) run(ctx context.Context, writes []func(context.Context) error) error {
	if len(writes) == 0 {
		return nil
	}
	work := make(chan func(context.Context) error)
	var mu sync.Mutex
	var errs []error
	var wg sync.WaitGroup
	for range min(rbacWriters, len(writes)) {
		wg.Go(func() {
			for w := range work {
				if err := w(ctx); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, w := range writes {
		work <- w
	}
	close(work)
	wg.Wait()
	return errors.Join(errs...)
}

func (r *RBACReconciler) create(ctx context.Context, o client.Object) error {
	if err := r.Create(ctx, o); err != nil {
		return err
	}
	r.remember(o)
	return nil
}

// updateOf is the update of h (cached) to w's content, with h's resourceVersion: a
// cache behind the API server makes it a conflict, never a lost write. A RoleBinding
// whose roleRef (immutable) is not ours is deleted, and made again next time.
func (r *RBACReconciler) updateOf(h, w client.Object) func(context.Context) error {
	return func(ctx context.Context) error {
		o := h.DeepCopyObject().(client.Object)
		switch o := o.(type) {
		case *rbacv1.Role:
			o.Rules = w.(*rbacv1.Role).Rules
		case *rbacv1.RoleBinding:
			wb := w.(*rbacv1.RoleBinding)
			if o.RoleRef != wb.RoleRef {
				return r.remove(ctx, h)
			}
			o.Subjects = wb.Subjects
		}
		labels, annotations := o.GetLabels(), o.GetAnnotations()
		if labels == nil {
			labels = map[string]string{}
		}
		if annotations == nil {
			annotations = map[string]string{}
		}
		for _, k := range []string{v1alpha1.LabelManagedBy, v1alpha1.LabelCollaboratorRBAC, v1alpha1.LabelCollaborator} {
			if v, ok := w.GetLabels()[k]; ok {
				labels[k] = v
			} else {
				delete(labels, k)
			}
		}
		annotations[v1alpha1.AnnotationCollaborator] = w.GetAnnotations()[v1alpha1.AnnotationCollaborator]
		o.SetLabels(labels)
		o.SetAnnotations(annotations)
		o.SetOwnerReferences(w.GetOwnerReferences())
		if err := r.Update(ctx, o); err != nil {
			return err
		}
		r.remember(o)
		return nil
	}
}

func (r *RBACReconciler) remove(ctx context.Context, h client.Object) error {
	r.written.Store(h.GetUID(), "")
	err := r.Delete(ctx, h, client.Preconditions{UID: ptrTo(h.GetUID())})
	if err != nil {
		r.written.Delete(h.GetUID())
	}
	return err
}

func ptrTo[T any](v T) *T { return &v }

// remember records o's resourceVersion after a write of this manager.
func (r *RBACReconciler) remember(o client.Object) {
	r.written.Store(writtenKey(o), o.GetResourceVersion())
}

func writtenKey(o client.Object) string {
	kind := "Role"
	if _, ok := o.(*rbacv1.RoleBinding); ok {
		kind = "RoleBinding"
	}
	return kind + "/" + o.GetNamespace() + "/" + o.GetName()
}

// ours reports an event of this manager's own write: the object as it wrote it (same
// resourceVersion), or gone by its delete.
func (r *RBACReconciler) ours(o client.Object, deleted bool) bool {
	if deleted {
		r.written.Delete(writtenKey(o))
		_, ok := r.written.LoadAndDelete(o.GetUID())
		return ok
	}
	rv, ok := r.written.Load(writtenKey(o))
	return ok && rv.(string) == o.GetResourceVersion()
}

// RBACName is the name of the Role and of the RoleBinding of the Collaborator called
// collaborator: RBACNamePrefix followed by its name, cut and completed with a digest of
// it when that passes 253 characters.
func RBACName(collaborator string) string {
	const maxName = 253
	if len(RBACNamePrefix)+len(collaborator) <= maxName {
		return RBACNamePrefix + collaborator
	}
	sum := sha256.Sum256([]byte(collaborator))
	digest := hex.EncodeToString(sum[:])[:16]
	return RBACNamePrefix + collaborator[:maxName-len(RBACNamePrefix)-len(digest)-1] + "-" + digest
}

// Desired are the Role and RoleBinding of Collaborator c, whose rules are rules, in an
// account owned by owner: named RBACName, labelled and annotated with c's name,
// controlled by owner, the RoleBinding's subject the user IdentityPrefix + spec.email.
func (r *RBACReconciler) Desired(owner *v1alpha1.Account, c *v1alpha1.Collaborator, rules []rbacv1.PolicyRule) (*rbacv1.Role, *rbacv1.RoleBinding) {
	meta := func() metav1.ObjectMeta {
		labels := map[string]string{v1alpha1.LabelManagedBy: v1alpha1.ManagedBy, v1alpha1.LabelCollaboratorRBAC: "true"}
		if len(c.Name) <= 63 {
			labels[v1alpha1.LabelCollaborator] = c.Name
		}
		return metav1.ObjectMeta{
			Namespace: c.Namespace, Name: RBACName(c.Name), Labels: labels,
			Annotations:     map[string]string{v1alpha1.AnnotationCollaborator: c.Name},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(owner, v1alpha1.GroupVersion.WithKind(model.KindAccount))},
		}
	}
	role := &rbacv1.Role{ObjectMeta: meta(), Rules: rules}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: meta(),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: r.IdentityPrefix + c.Spec.Email}},
	}
	return role, binding
}

// sameContent reports whether the cached object h has the content of w: the rules of a
// Role, the roleRef and subjects of a RoleBinding, our labels and annotation, the
// ownerReferences. Anything else (labels of others, managedFields) is not ours to keep.
func sameContent(h, w client.Object) bool {
	switch h := h.(type) {
	case *rbacv1.Role:
		if !equalRules(h.Rules, w.(*rbacv1.Role).Rules) {
			return false
		}
	case *rbacv1.RoleBinding:
		wb := w.(*rbacv1.RoleBinding)
		if h.RoleRef != wb.RoleRef || !slices.Equal(h.Subjects, wb.Subjects) {
			return false
		}
	}
	for _, k := range []string{v1alpha1.LabelManagedBy, v1alpha1.LabelCollaboratorRBAC, v1alpha1.LabelCollaborator} {
		hv, hok := h.GetLabels()[k]
		wv, wok := w.GetLabels()[k]
		if hv != wv || hok != wok {
			return false
		}
	}
	if h.GetAnnotations()[v1alpha1.AnnotationCollaborator] != w.GetAnnotations()[v1alpha1.AnnotationCollaborator] {
		return false
	}
	return slices.EqualFunc(h.GetOwnerReferences(), w.GetOwnerReferences(), func(a, b metav1.OwnerReference) bool {
		return a.APIVersion == b.APIVersion && a.Kind == b.Kind && a.Name == b.Name && a.UID == b.UID &&
			equalPtr(a.Controller, b.Controller) && equalPtr(a.BlockOwnerDeletion, b.BlockOwnerDeletion)
	})
}

func equalRules(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool {
		return slices.Equal(x.Verbs, y.Verbs) && slices.Equal(x.APIGroups, y.APIGroups) && slices.Equal(x.Resources, y.Resources) &&
			slices.Equal(x.ResourceNames, y.ResourceNames) && slices.Equal(x.NonResourceURLs, y.NonResourceURLs)
	})
}

func equalPtr[T comparable](a, b *T) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
