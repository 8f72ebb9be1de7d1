package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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
	// rbacWriters write one namespace's Roles and RoleBindings in parallel. Each write of
	// a Role or RoleBinding by a user without escalate (or bind) makes the API server
	// resolve the writer's own permissions from a consistent read of the RBAC bindings,
	// which waits for its watch cache (about 100 ms on envtest): the writes are bound by
	// that wait, not by the API server's CPU, and a cold start makes two per Collaborator.
	rbacWriters = 32
	// rbacWorkers reconcile namespaces in parallel, so that one account's long pass (a
	// cold start, a role held by thousands) does not hold back another's change; they
	// share the rbacWriters.
	rbacWorkers = 4
	// builtInWait is how long a namespace whose built-in roles are not all there yet
	// waits for them (the Account controller makes them at once, R9): rules computed
	// without them would be written again a moment later.
	builtInWait = 10 * time.Second
	// rbacChunk is how many people's rules one read of the account model computes: about
	// a millisecond's hold of the model.
	rbacChunk = 200
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
	// written records, per Role and RoleBinding, a digest of the content of this
	// manager's last write (contentDigest): its watch event wakes nothing. Deleted UIDs
	// likewise.
	written sync.Map
	// cached records, per Role of the RBAC cache (writtenKey), the digests of the
	// version the cache holds (keepDigests): its rules are dropped from the cache, being
	// most of a Role's size and only ever compared.
	cached sync.Map
	// holding records since when a namespace's new grants have waited for its statuses
	// (holdGrants).
	holding sync.Map
	// waiting records since when a namespace has waited for its built-in roles.
	waiting sync.Map
	// writers holds a token per write in flight, rbacWriters at most over all
	// namespaces.
	writers chan struct{}
}

// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles;rolebindings,verbs=list;watch;create;update;delete
// The operator grants these verbs in the Roles it writes, so it must hold them
// (Kubernetes refuses a Role granting what its writer lacks, without escalate):
// +kubebuilder:rbac:groups=access.workcenter.io,resources=collaborators;workcenters,verbs=create;delete

// Reconcile brings one namespace's Roles and RoleBindings in line with its account.
// The request's Name is the namespace. Every person's rules are computed (the model's
// RBAC, one pass) and compared with the cached objects as they are; the objects to write
// are built only for those that differ.
func (r *RBACReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ns := req.Name
	type person struct {
		c     *v1alpha1.Collaborator
		rules []rbacv1.PolicyRule
	}
	// Every person's rules, rbacChunk people per read of the model: a read holds the
	// account's model, and every change to it waits (admission's included). A change
	// between two reads wakes the namespace again, which computes it all once more.
	var owner *v1alpha1.Account
	var names []string
	builtIns := true
	if err := r.models().Read(ctx, ns, func(m *model.Account) error {
		owner, names = m.Owner(), m.CollaboratorNames()
		for _, n := range v1alpha1.BuiltInRoleNames {
			builtIns = builtIns && m.Role(n) != nil
		}
		return nil
	}); err != nil {
		return ctrl.Result{}, err
	}
	if !builtIns && owner != nil && owner.DeletionTimestamp.IsZero() {
		since, _ := r.waiting.LoadOrStore(ns, time.Now())
		if time.Since(since.(time.Time)) < builtInWait {
			return ctrl.Result{RequeueAfter: rbacRetry}, nil
		}
	} else {
		r.waiting.Delete(ns)
	}
	people := make([]person, 0, len(names))
	for chunk := range slices.Chunk(names, rbacChunk) {
		if err := r.models().Read(ctx, ns, func(m *model.Account) error {
			if uidOf(m.Owner()) != uidOf(owner) {
				return errOwnerMoved
			}
			for c, rules := range m.RBACOf(chunk) {
				people = append(people, person{c, rules})
			}
			return nil
		}); errors.Is(err, errOwnerMoved) {
			return ctrl.Result{RequeueAfter: rbacRetry}, nil
		} else if err != nil {
			return ctrl.Result{}, err
		}
	}
	var roleList rbacv1.RoleList
	var bindingList rbacv1.RoleBindingList
	for _, l := range []client.ObjectList{&roleList, &bindingList} {
		if err := r.cache.List(ctx, l, client.InNamespace(ns), client.UnsafeDisableDeepCopy); err != nil {
			return ctrl.Result{}, err
		}
	}
	roles := make(map[string]*rbacv1.Role, len(roleList.Items))
	for i := range roleList.Items {
		roles[roleList.Items[i].Name] = &roleList.Items[i]
	}
	bindings := make(map[string]*rbacv1.RoleBinding, len(bindingList.Items))
	for i := range bindingList.Items {
		bindings[bindingList.Items[i].Name] = &bindingList.Items[i]
	}
	// While the owning Account is being deleted, nothing is created or changed: its
	// namespace is going, or its Collaborators are; whoever goes loses its binding.
	frozen := owner != nil && !owner.DeletionTimestamp.IsZero()
	// Three rounds: the Roles, then the RoleBindings (each created only once its Role is
	// ours: in the cache, or created by the first round), then what is no one's any more.
	var roleWrites, bindingWrites, updates, deletes []func(context.Context) error
	var made sync.Map // Roles the first round created
	for _, p := range people {
		name := RBACName(p.c.Name)
		role, hasRole := roles[name]
		binding, hasBinding := bindings[name]
		delete(roles, name)
		delete(bindings, name)
		if frozen {
			continue
		}
		switch {
		case !hasRole:
			roleWrites = append(roleWrites, func(ctx context.Context) error {
				want, _ := r.Desired(owner, p.c, p.rules)
				if err := r.create(ctx, want); err != nil {
					return err
				}
				made.Store(name, true)
				return nil
			})
		case !r.roleUpToDate(role, owner, p.c.Name, p.rules):
			updates = append(updates, func(ctx context.Context) error {
				want, _ := r.Desired(owner, p.c, p.rules)
				return r.update(ctx, role, want)
			})
		}
		switch {
		case !hasBinding:
			bindingWrites = append(bindingWrites, func(ctx context.Context) error {
				if _, created := made.Load(name); !hasRole && !created {
					return nil // its Role is not ours yet: next time
				}
				_, want := r.Desired(owner, p.c, p.rules)
				return r.create(ctx, want)
			})
		case !r.bindingUpToDate(binding, owner, p.c):
			updates = append(updates, func(ctx context.Context) error {
				_, want := r.Desired(owner, p.c, p.rules)
				return r.update(ctx, binding, want)
			})
		}
	}
	for _, o := range roles {
		deletes = append(deletes, func(ctx context.Context) error { return r.remove(ctx, o) })
	}
	for _, o := range bindings {
		deletes = append(deletes, func(ctx context.Context) error { return r.remove(ctx, o) })
	}
	// What takes rights away (a deletion, an update) first and at once; what grants new
	// ones (the creates) once the namespace's statuses are written (holdGrants).
	start := time.Now()
	err := errors.Join(r.run(ctx, deletes), r.run(ctx, updates))
	held := time.Duration(0)
	if len(roleWrites)+len(bindingWrites) > 0 {
		held = r.holdGrants(ns)
	}
	if held == 0 {
		err = errors.Join(err, r.run(ctx, roleWrites), r.run(ctx, bindingWrites))
	}
	if n := len(roleWrites) + len(bindingWrites) + len(updates) + len(deletes); n > 0 {
		logf.FromContext(ctx).V(1).Info("RBAC written", "people", len(people), "creates", len(roleWrites)+len(bindingWrites),
			"updates", len(updates), "deletes", len(deletes), "grantsHeld", held > 0, "took", time.Since(start).String(), "error", err)
	}
	if held > 0 && err == nil {
		return ctrl.Result{RequeueAfter: held}, nil
	}
	switch {
	case isCacheBehind(err):
		logf.FromContext(ctx).V(1).Info("RBAC writes met a cache behind the API server; again shortly", "error", err.Error())
		return ctrl.Result{RequeueAfter: rbacRetry}, nil
	case namespaceGoing(err):
		return ctrl.Result{}, nil
	}
	return ctrl.Result{}, err
}

// holdGrants decides whether a namespace's new Roles and RoleBindings wait: while its
// status controllers still have requests of it queued (statusBacklog), for grantHold at
// most from the first time they waited. It returns how long they may still wait (the
// reconcile comes back then at the latest; the backlog going idle wakes it sooner), or
// zero to write them now.
func (r *RBACReconciler) holdGrants(ns string) time.Duration {
	if r.backlog.pending(ns) == 0 {
		r.holding.Delete(ns)
		return 0
	}
	since, _ := r.holding.LoadOrStore(ns, time.Now())
	left := grantHold - time.Since(since.(time.Time))
	if left <= 0 {
		return 0
	}
	return left
}

// errOwnerMoved: the Account owning the namespace changed while its people's rules were
// computed; they are computed again.
var errOwnerMoved = errors.New("the owning Account changed")

// namespaceGoing reports creates refused because the namespace is being deleted:
// everything in it goes, and its deletion wakes nothing more.
func namespaceGoing(err error) bool {
	if err == nil {
		return false
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			if !namespaceGoing(e) && !isCacheBehind(e) {
				return false
			}
		}
		return true
	}
	return apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause)
}

func uidOf(a *v1alpha1.Account) types.UID {
	if a == nil {
		return ""
	}
	return a.UID
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

// run runs the writes, in parallel with those of the other namespaces, rbacWriters at
// a time in all.
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
				r.writers <- struct{}{}
				err := w(ctx)
				<-r.writers
				if err != nil {
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
	r.remember(o)
	return r.Create(ctx, o)
}

// update writes w's content over h (cached), with h's resourceVersion: a cache behind
// the API server makes it a conflict, never a lost write. A RoleBinding whose roleRef
// (immutable) is not ours is deleted, and made again next time.
func (r *RBACReconciler) update(ctx context.Context, h, w client.Object) error {
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
	r.remember(o)
	return r.Update(ctx, o)
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

// remember records the content of o (contentDigest) as this manager's, before it
// writes it: the watch event of the write, which can come before the write returns,
// wakes nothing. A write that fails leaves a digest that only that very content would
// match, which needs no reconcile anyway.
func (r *RBACReconciler) remember(o client.Object) {
	r.written.Store(writtenKey(o), contentDigest(o))
}

func writtenKey(o client.Object) string {
	kind := "Role"
	if _, ok := o.(*rbacv1.RoleBinding); ok {
		kind = "RoleBinding"
	}
	return kind + "/" + o.GetNamespace() + "/" + o.GetName()
}

// ours reports an event of this manager's own write: the object with the content it
// wrote, or gone by its delete.
func (r *RBACReconciler) ours(o client.Object, deleted bool) bool {
	if deleted {
		r.written.Delete(writtenKey(o))
		r.cached.Delete(writtenKey(o))
		_, ok := r.written.LoadAndDelete(o.GetUID())
		return ok
	}
	d, ok := r.written.Load(writtenKey(o))
	if !ok {
		return false
	}
	content := contentDigest(o)
	if role, isRole := o.(*rbacv1.Role); isRole {
		if cached, ok := r.digestsOf(role); ok {
			content = cached.content
		}
	}
	return d.(uint64) == content
}

// roleDigests are the digests of one version of a cached Role (its resourceVersion):
// of its rules (rulesDigest) and of its content (contentDigest).
type roleDigests struct {
	resourceVersion string
	rules, content  uint64
}

// keepDigests is the RBAC cache's transform: a Role's digests are recorded (cached) and
// its rules dropped before the cache stores it. The controller only compares a Role's
// rules with the rules it computes (roleUpToDate) and its content with what it wrote
// (ours); an update writes the computed rules whole. A Role already transformed (no
// rules) is left as it is.
func (r *RBACReconciler) keepDigests(o any) (any, error) {
	if role, ok := o.(*rbacv1.Role); ok && role.Rules != nil {
		r.cached.Store(writtenKey(role), roleDigests{resourceVersion: role.ResourceVersion,
			rules: rulesDigest(role.Rules), content: contentDigest(role)})
		role.Rules = nil
	}
	return o, nil
}

// digestsOf are the recorded digests of the cached Role h, when the transform recorded
// them for the version h is.
func (r *RBACReconciler) digestsOf(h *rbacv1.Role) (roleDigests, bool) {
	if h.Rules != nil {
		return roleDigests{}, false // not transformed: compare the rules themselves
	}
	v, ok := r.cached.Load(writtenKey(h))
	if !ok {
		return roleDigests{}, false
	}
	d := v.(roleDigests)
	return d, d.resourceVersion == h.ResourceVersion
}

// digester writes strings and lists of strings into a hash, each with its length.
type digester struct{ hash.Hash64 }

func (h digester) str(s string) {
	_, _ = h.Write(binary.AppendUvarint(nil, uint64(len(s))))
	_, _ = h.Write([]byte(s))
}

func (h digester) list(ss []string) {
	_, _ = h.Write(binary.AppendUvarint(nil, uint64(len(ss))))
	for _, s := range ss {
		h.str(s)
	}
}

func (h digester) rules(rules []rbacv1.PolicyRule) {
	for _, r := range rules {
		for _, l := range [][]string{r.APIGroups, r.Resources, r.ResourceNames, r.Verbs, r.NonResourceURLs} {
			h.list(l)
		}
	}
}

// rulesDigest is a digest of a Role's rules.
func rulesDigest(rules []rbacv1.PolicyRule) uint64 {
	h := digester{fnv.New64a()}
	h.rules(rules)
	return h.Sum64()
}

// contentDigest is a digest of what the operator keeps of a Role or RoleBinding: the
// rules, or the roleRef and subjects; its labels and annotation; the ownerReferences.
func contentDigest(o client.Object) uint64 {
	h := digester{fnv.New64a()}
	str, list := h.str, h.list
	switch o := o.(type) {
	case *rbacv1.Role:
		str("Role")
		h.rules(o.Rules)
	case *rbacv1.RoleBinding:
		list([]string{"RoleBinding", o.RoleRef.APIGroup, o.RoleRef.Kind, o.RoleRef.Name})
		for _, s := range o.Subjects {
			list([]string{s.APIGroup, s.Kind, s.Name, s.Namespace})
		}
	}
	for _, k := range []string{v1alpha1.LabelManagedBy, v1alpha1.LabelCollaboratorRBAC, v1alpha1.LabelCollaborator} {
		v, ok := o.GetLabels()[k]
		list([]string{k, strconv.FormatBool(ok), v})
	}
	str(o.GetAnnotations()[v1alpha1.AnnotationCollaborator])
	for _, ref := range o.GetOwnerReferences() {
		list([]string{ref.APIVersion, ref.Kind, ref.Name, string(ref.UID),
			strconv.FormatBool(ref.Controller != nil && *ref.Controller), strconv.FormatBool(ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion)})
	}
	return h.Sum64()
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

// roleUpToDate reports whether the cached Role h is what Desired makes for the
// Collaborator called collaborator, whose rules are rules, in owner's account: its rules
// (by their digest, when the cache dropped them: keepDigests), our labels and annotation,
// its controller. Labels and annotations of others are not ours to keep or remove. It
// builds nothing: most Roles are up to date.
func (r *RBACReconciler) roleUpToDate(h *rbacv1.Role, owner *v1alpha1.Account, collaborator string, rules []rbacv1.PolicyRule) bool {
	same := false
	if d, ok := r.digestsOf(h); ok {
		same = d.rules == rulesDigest(rules)
	} else {
		same = equalRules(h.Rules, rules)
	}
	return same && ourMetadata(h, owner, collaborator)
}

// bindingUpToDate is roleUpToDate for the RoleBinding of c: its roleRef and its one
// subject, c's user.
func (r *RBACReconciler) bindingUpToDate(h *rbacv1.RoleBinding, owner *v1alpha1.Account, c *v1alpha1.Collaborator) bool {
	return h.RoleRef == rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: RBACName(c.Name)} &&
		len(h.Subjects) == 1 && h.Subjects[0] == rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: r.IdentityPrefix + c.Spec.Email} &&
		ourMetadata(h, owner, c.Name)
}

// ourMetadata reports whether h carries the labels, annotation and controller Desired
// gives the objects of the Collaborator called collaborator.
func ourMetadata(h client.Object, owner *v1alpha1.Account, collaborator string) bool {
	labels := h.GetLabels()
	if labels[v1alpha1.LabelManagedBy] != v1alpha1.ManagedBy || labels[v1alpha1.LabelCollaboratorRBAC] != "true" {
		return false
	}
	if v, ok := labels[v1alpha1.LabelCollaborator]; ok != (len(collaborator) <= 63) || (ok && v != collaborator) {
		return false
	}
	if h.GetAnnotations()[v1alpha1.AnnotationCollaborator] != collaborator {
		return false
	}
	refs := h.GetOwnerReferences()
	return len(refs) == 1 && refs[0].APIVersion == v1alpha1.GroupVersion.String() && refs[0].Kind == model.KindAccount &&
		refs[0].Name == owner.Name && refs[0].UID == owner.UID &&
		refs[0].Controller != nil && *refs[0].Controller && refs[0].BlockOwnerDeletion != nil && *refs[0].BlockOwnerDeletion
}

func equalRules(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool {
		return slices.Equal(x.Verbs, y.Verbs) && slices.Equal(x.APIGroups, y.APIGroups) && slices.Equal(x.Resources, y.Resources) &&
			slices.Equal(x.ResourceNames, y.ResourceNames) && slices.Equal(x.NonResourceURLs, y.NonResourceURLs)
	})
}
