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
	"unique"

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
	// cached records, per Role and RoleBinding of the RBAC cache (writtenKey), the
	// digests of the version the cache holds (keepDigests): the cache keeps of each
	// only its name, version and the labels and annotations of others, the rest being
	// only ever compared.
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
// (immutable) is not ours is deleted, and made again next time. The cache keeps of h
// only what update needs (keepDigests): the labels and annotations of others, with ours.
func (r *RBACReconciler) update(ctx context.Context, h, w client.Object) error {
	o := h.DeepCopyObject().(client.Object)
	switch o := o.(type) {
	case *rbacv1.Role:
		o.Rules = w.(*rbacv1.Role).Rules
	case *rbacv1.RoleBinding:
		d, recorded := r.digestsOf(h)
		if !recorded { // the cache is behind the transform: look again shortly
			return apierrors.NewConflict(rbacv1.Resource("rolebindings"), h.GetName(), errors.New("not yet in the RBAC cache"))
		}
		if !d.roleRefOurs {
			return r.remove(ctx, h)
		}
		wb := w.(*rbacv1.RoleBinding)
		o.RoleRef, o.Subjects = wb.RoleRef, wb.Subjects
	}
	labels, annotations := o.GetLabels(), o.GetAnnotations()
	if labels == nil {
		labels = map[string]string{}
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	for _, k := range ourLabels {
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

// ourLabels are the labels the operator sets on its Roles and RoleBindings (Desired).
var ourLabels = []string{v1alpha1.LabelManagedBy, v1alpha1.LabelCollaboratorRBAC, v1alpha1.LabelCollaborator}

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
		if v, ok := r.cached.Load(writtenKey(o)); ok && v.(rbacDigests).uid == o.GetUID() {
			r.cached.CompareAndDelete(writtenKey(o), v) // not a newer object's of that name
		}
		_, ok := r.written.LoadAndDelete(o.GetUID())
		return ok
	}
	d, ok := r.written.Load(writtenKey(o))
	if !ok {
		return false
	}
	cached, _ := r.digestsOf(o)
	return d.(uint64) == cached.content()
}

// rbacDigests are what the operator compares of one version of a Role or RoleBinding
// (its UID and resourceVersion), as digests: what it grants, whether its roleRef is
// ours, its metadata of ours.
type rbacDigests struct {
	uid             types.UID
	resourceVersion string
	// grants: a Role's rules (rulesDigest), a RoleBinding's subjects (subjectsDigest).
	grants uint64
	// roleRefOurs: a RoleBinding's roleRef is the Role of its name (Desired's); always
	// true of a Role.
	roleRefOurs bool
	// meta: our labels, our annotation and the ownerReferences (metaDigest).
	meta uint64
}

// content is one digest of all of d: what remember records of a write.
func (d rbacDigests) content() uint64 {
	h := digester{fnv.New64a()}
	h.list([]string{strconv.FormatUint(d.grants, 16), strconv.FormatBool(d.roleRefOurs), strconv.FormatUint(d.meta, 16)})
	return h.Sum64()
}

// digestsOfObject are the digests of o as it is (the whole object, not a cached one).
func digestsOfObject(o client.Object) rbacDigests {
	d := rbacDigests{uid: o.GetUID(), resourceVersion: o.GetResourceVersion(), roleRefOurs: true,
		meta: metaDigest(o.GetLabels(), o.GetAnnotations()[v1alpha1.AnnotationCollaborator], o.GetOwnerReferences())}
	switch o := o.(type) {
	case *rbacv1.Role:
		d.grants = rulesDigest(o.Rules)
	case *rbacv1.RoleBinding:
		d.grants = subjectsDigest(o.Subjects)
		d.roleRefOurs = o.RoleRef == rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: o.Name}
	}
	return d
}

// contentDigest is the digest of what the operator keeps of a Role or RoleBinding as it
// is: the rules, or the roleRef and subjects; its labels and annotation; the
// ownerReferences.
func contentDigest(o client.Object) uint64 { return digestsOfObject(o).content() }

// keepDigests is the RBAC cache's transform: a Role's or RoleBinding's digests are
// recorded (cached) and the cache keeps only what update needs. Dropped: the rules, the
// subjects and roleRef, the ownerReferences, and the labels and annotations when they
// are only ours (all of them are compared by digest, and update writes ours whole); the
// namespace is shared. The controller only compares a cached object with what it
// computes (roleUpToDate, bindingUpToDate) and with what it wrote (ours). An object with
// no recorded digests (digestsOf) is never up to date, so that at worst it is written
// again.
func (r *RBACReconciler) keepDigests(o any) (any, error) {
	obj, ok := o.(client.Object)
	if !ok {
		return o, nil
	}
	switch x := obj.(type) {
	case *rbacv1.Role:
		if x.Rules == nil && x.OwnerReferences == nil {
			return o, nil // already kept
		}
		r.cached.Store(writtenKey(x), digestsOfObject(x))
		x.Rules = nil
	case *rbacv1.RoleBinding:
		if x.Subjects == nil && x.RoleRef == (rbacv1.RoleRef{}) && x.OwnerReferences == nil {
			return o, nil
		}
		r.cached.Store(writtenKey(x), digestsOfObject(x))
		x.Subjects, x.RoleRef = nil, rbacv1.RoleRef{}
	default:
		return o, nil
	}
	obj.SetOwnerReferences(nil)
	if onlyOurs(obj.GetLabels(), ourLabels...) {
		obj.SetLabels(nil)
	}
	if onlyOurs(obj.GetAnnotations(), v1alpha1.AnnotationCollaborator) {
		obj.SetAnnotations(nil)
	}
	obj.SetNamespace(unique.Make(obj.GetNamespace()).Value())
	return o, nil
}

// onlyOurs reports whether every key of m is one of keys.
func onlyOurs(m map[string]string, keys ...string) bool {
	for k := range m {
		if !slices.Contains(keys, k) {
			return false
		}
	}
	return true
}

// digestsOf are the digests of the cached h, and whether the transform recorded them
// for its version; if it did not, those of h as it is (a whole object, not from the
// cache; a cached one's are then those of nothing, never up to date).
func (r *RBACReconciler) digestsOf(h client.Object) (rbacDigests, bool) {
	if v, ok := r.cached.Load(writtenKey(h)); ok {
		if d := v.(rbacDigests); d.uid == h.GetUID() && d.resourceVersion == h.GetResourceVersion() {
			return d, true
		}
	}
	return digestsOfObject(h), false
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

// label writes one of our labels: its key, whether it is there, its value.
func (h digester) label(k, v string, ok bool) {
	h.str(k)
	h.str(strconv.FormatBool(ok))
	h.str(v)
}

// ref writes one ownerReference.
func (h digester) ref(apiVersion, kind, name string, uid types.UID, controller, block bool) {
	h.list([]string{apiVersion, kind, name, string(uid), strconv.FormatBool(controller), strconv.FormatBool(block)})
}

// rulesDigest is a digest of a Role's rules.
func rulesDigest(rules []rbacv1.PolicyRule) uint64 {
	h := digester{fnv.New64a()}
	h.rules(rules)
	return h.Sum64()
}

// subjectsDigest is a digest of a RoleBinding's subjects.
func subjectsDigest(subjects []rbacv1.Subject) uint64 {
	h := digester{fnv.New64a()}
	for _, s := range subjects {
		h.list([]string{s.APIGroup, s.Kind, s.Name, s.Namespace})
	}
	return h.Sum64()
}

// metaDigest is a digest of what the operator keeps of a Role's or RoleBinding's
// metadata: our labels (each there or not, and its value), our annotation, and every
// ownerReference. desiredMeta is the same of Desired's, without building it.
func metaDigest(labels map[string]string, annotation string, refs []metav1.OwnerReference) uint64 {
	h := digester{fnv.New64a()}
	for _, k := range ourLabels {
		v, ok := labels[k]
		h.label(k, v, ok)
	}
	h.str(annotation)
	for _, ref := range refs {
		h.ref(ref.APIVersion, ref.Kind, ref.Name, ref.UID, ref.Controller != nil && *ref.Controller, ref.BlockOwnerDeletion != nil && *ref.BlockOwnerDeletion)
	}
	return h.Sum64()
}

// desiredMeta is metaDigest of what Desired makes for the Collaborator called
// collaborator in owner's account.
func desiredMeta(owner *v1alpha1.Account, collaborator string) uint64 {
	h := digester{fnv.New64a()}
	h.label(v1alpha1.LabelManagedBy, v1alpha1.ManagedBy, true)
	h.label(v1alpha1.LabelCollaboratorRBAC, "true", true)
	if len(collaborator) <= 63 {
		h.label(v1alpha1.LabelCollaborator, collaborator, true)
	} else {
		h.label(v1alpha1.LabelCollaborator, "", false)
	}
	h.str(collaborator)
	h.ref(accountAPIVersion, model.KindAccount, owner.Name, owner.UID, true, true)
	return h.Sum64()
}

// accountAPIVersion is the apiVersion of an ownerReference to an Account.
var accountAPIVersion = v1alpha1.GroupVersion.String()

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
// Collaborator called collaborator, whose rules are rules, in owner's account: its rules,
// our labels and annotation, its controller, by their digests (keepDigests). Labels and
// annotations of others are not ours to keep or remove. It builds nothing: most Roles
// are up to date.
func (r *RBACReconciler) roleUpToDate(h *rbacv1.Role, owner *v1alpha1.Account, collaborator string, rules []rbacv1.PolicyRule) bool {
	d, _ := r.digestsOf(h)
	return d.grants == rulesDigest(rules) && d.meta == desiredMeta(owner, collaborator)
}

// bindingUpToDate is roleUpToDate for the RoleBinding of c: its roleRef and its one
// subject, c's user.
func (r *RBACReconciler) bindingUpToDate(h *rbacv1.RoleBinding, owner *v1alpha1.Account, c *v1alpha1.Collaborator) bool {
	d, _ := r.digestsOf(h)
	subject := [1]rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: r.IdentityPrefix + c.Spec.Email}}
	return d.roleRefOurs && d.grants == subjectsDigest(subject[:]) && d.meta == desiredMeta(owner, c.Name)
}
