// Package accounts keeps the account model (internal/model) of every namespace a
// manager's cache holds, fresh with the cache, for the controllers and the admission
// webhooks of one manager to share.
package accounts

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Book keeps the account model (internal/model) of every namespace the cache
// holds objects in, and keeps each one as fresh as the cache:
//
//   - every event of the four kinds marks its object dirty (Touch) before anything is
//     queued because of it: the map handlers touch before they map, each reconcile
//     touches the object it reconciles, and an informer handler touches every event
//     (status-only updates included, which predicates filter from the map handlers);
//   - Read applies the dirty objects, each as the cache holds it now, before it lets a
//     reader see the model.
//
// So a reconcile queued by an event reads a model that includes that event, and the
// order in which informer handlers run does not matter: the model copies the cache, never
// an event. Building a namespace's model lists the cache once; after that, each change
// costs one cache read and the model's update of one object, so a reconcile never
// re-reads the whole account.
type Book struct {
	src     source
	mu      sync.Mutex
	entries map[string]*bookEntry
	// synced are the informer registrations of a manager's Book (watchAll): it reads
	// the informers' stores, so until each has delivered its initial list the models
	// would miss objects.
	synced []func() bool
}

// ErrNotSynced is a read of a manager's Book before its cache has synced: a model then
// would miss objects, and judge as if they did not exist.
var ErrNotSynced = errors.New("the operator's cache has not synced yet; try again in a moment")

// Synced reports whether the Book's models can be read: its cache's informers have
// delivered their initial lists (always, for a Book over a plain reader).
func (b *Book) Synced() bool {
	for _, s := range b.synced {
		if !s() {
			return false
		}
	}
	return true
}

// SyncedCheck is a readiness check (healthz.Checker): a replica whose models cannot be
// read yet must not be behind the webhook Service, or it would judge from an empty cache.
func (b *Book) SyncedCheck(*http.Request) error {
	if !b.Synced() {
		return ErrNotSynced
	}
	return nil
}

type bookEntry struct {
	// mu is held to apply changes, read-held to read the model.
	mu    sync.RWMutex
	model *model.Account // nil until first read
	// built: model is set (it stays set), so a read that finds nothing dirty takes only
	// the read lock.
	built atomic.Bool

	dirtyMu sync.Mutex
	dirty   map[bookKey]struct{}
}

type bookKey struct{ kind, name string }

// New is a Book over cache; objects are only read again once touched.
func New(cache client.Reader) *Book {
	return &Book{src: readerSource{cache}, entries: map[string]*bookEntry{}}
}

func (b *Book) entry(namespace string) *bookEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.entries[namespace]
	if e == nil {
		e = &bookEntry{dirty: map[bookKey]struct{}{}}
		b.entries[namespace] = e
	}
	return e
}

// Touch marks objects changed: the next read of their namespace's model reads them
// again from the cache.
func (b *Book) Touch(objs ...client.Object) {
	for _, o := range objs {
		kind := model.KindOf(o)
		if kind == "" {
			continue
		}
		e := b.entry(o.GetNamespace())
		e.dirtyMu.Lock()
		e.dirty[bookKey{kind, o.GetName()}] = struct{}{}
		e.dirtyMu.Unlock()
	}
}

// Read calls f with the namespace's model, fresh with every change touched before the
// call. f runs while other readers may run, and must not change the model or call the
// API server: changes wait for it.
func (b *Book) Read(ctx context.Context, namespace string, f func(*model.Account) error) error {
	e := b.entry(namespace)
	if !e.built.Load() || e.isDirty() {
		e.mu.Lock()
		err := e.refresh(ctx, b.src, namespace)
		e.mu.Unlock()
		if err != nil {
			return err
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	return f(e.model)
}

// refresh builds the model on first use, and otherwise applies the dirty objects.
func (e *bookEntry) refresh(ctx context.Context, r source, namespace string) error {
	e.dirtyMu.Lock()
	dirty := e.dirty
	e.dirty = map[bookKey]struct{}{}
	e.dirtyMu.Unlock()
	if e.model == nil {
		m, err := buildModel(ctx, r, namespace)
		if err != nil {
			e.requeue(dirty)
			return err
		}
		e.model = m
		e.built.Store(true)
		return nil
	}
	for k := range dirty {
		if err := apply(ctx, r, e.model, k); err != nil {
			e.requeue(dirty)
			return err
		}
		delete(dirty, k)
	}
	return nil
}

// isDirty reports whether a change waits to be applied.
func (e *bookEntry) isDirty() bool {
	e.dirtyMu.Lock()
	defer e.dirtyMu.Unlock()
	return len(e.dirty) > 0
}

// requeue marks keys dirty again after a refresh that failed.
func (e *bookEntry) requeue(keys map[bookKey]struct{}) {
	e.dirtyMu.Lock()
	defer e.dirtyMu.Unlock()
	for k := range keys {
		e.dirty[k] = struct{}{}
	}
}

// apply reads one object from the cache into the model, or removes it when it is gone.
func apply(ctx context.Context, r source, m *model.Account, k bookKey) error {
	obj, found, err := r.get(ctx, k.kind, m.Namespace, k.name)
	switch {
	case err != nil:
		return err
	case !found:
		m.Remove(k.kind, k.name)
		return nil
	}
	return m.Set(obj)
}

// buildModel reads the namespace's objects of the four kinds from the cache.
func buildModel(ctx context.Context, r source, namespace string) (*model.Account, error) {
	objs, err := r.list(ctx, namespace)
	if err != nil {
		return nil, err
	}
	m := model.New(namespace)
	for _, o := range objs {
		if err := m.Set(o); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// source is where the models' objects come from.
type source interface {
	// get is the object of kind in namespace called name; found is false when there is
	// none.
	get(ctx context.Context, kind, namespace, name string) (obj any, found bool, err error)
	// list is every object of the four kinds in namespace.
	list(ctx context.Context, namespace string) ([]any, error)
}

// readerSource reads through a client.Reader, copying each object's top level (a unit
// test's fake client).
type readerSource struct{ r client.Reader }

func newObject(kind string) client.Object {
	switch kind {
	case model.KindAccount:
		return &v1alpha1.Account{}
	case model.KindWorkCenter:
		return &v1alpha1.WorkCenter{}
	case model.KindWorkCenterRole:
		return &v1alpha1.WorkCenterRole{}
	}
	return &v1alpha1.Collaborator{}
}

func (s readerSource) get(ctx context.Context, kind, namespace, name string) (any, bool, error) {
	obj := newObject(kind)
	err := s.r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj, client.UnsafeDisableDeepCopy)
	if apierrors.IsNotFound(err) {
		return nil, false, nil
	}
	return obj, err == nil, err
}

func (s readerSource) list(ctx context.Context, namespace string) ([]any, error) {
	return Objects(ctx, s.r, namespace)
}

// Objects reads the namespace's objects of the four kinds through r (without deep
// copies, where r is a cache), Accounts first, then WorkCenters, WorkCenterRoles and
// Collaborators: what model.Build takes.
func Objects(ctx context.Context, r client.Reader, namespace string) ([]any, error) {
	var accounts v1alpha1.AccountList
	var wcs v1alpha1.WorkCenterList
	var roles v1alpha1.WorkCenterRoleList
	var collabs v1alpha1.CollaboratorList
	for _, l := range []client.ObjectList{&accounts, &wcs, &roles, &collabs} {
		if err := r.List(ctx, l, client.InNamespace(namespace), client.UnsafeDisableDeepCopy); err != nil {
			return nil, err
		}
	}
	out := make([]any, 0, len(accounts.Items)+len(wcs.Items)+len(roles.Items)+len(collabs.Items))
	for i := range accounts.Items {
		out = append(out, &accounts.Items[i])
	}
	for i := range wcs.Items {
		out = append(out, &wcs.Items[i])
	}
	for i := range roles.Items {
		out = append(out, &roles.Items[i])
	}
	for i := range collabs.Items {
		out = append(out, &collabs.Items[i])
	}
	return out, nil
}

// storeSource reads the informers' own stores: the model holds the very objects the
// cache holds, not copies (they are never changed in place; an update replaces them).
type storeSource map[string]toolscache.Indexer

func (s storeSource) get(_ context.Context, kind, namespace, name string) (any, bool, error) {
	return s[kind].GetByKey(namespace + "/" + name)
}

func (s storeSource) list(_ context.Context, namespace string) ([]any, error) {
	var out []any
	for _, kind := range []string{model.KindAccount, model.KindWorkCenter, model.KindWorkCenterRole, model.KindCollaborator} {
		objs, err := s[kind].ByIndex(toolscache.NamespaceIndex, namespace)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// watchAll touches every event of the four kinds, so the model also follows changes no
// map handler is given (status-only updates, filtered by predicates).
func (b *Book) watchAll(ctx context.Context, mgr manager.Manager) error {
	touch := func(o any) {
		if obj, ok := o.(client.Object); ok {
			b.Touch(obj)
		} else if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
			if obj, ok := d.Obj.(client.Object); ok {
				b.Touch(obj)
			}
		}
	}
	stores := storeSource{}
	for _, o := range []client.Object{&v1alpha1.Account{}, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenterRole{}, &v1alpha1.Collaborator{}} {
		inf, err := mgr.GetCache().GetInformer(ctx, o)
		if err != nil {
			return err
		}
		if ii, ok := inf.(interface{ GetIndexer() toolscache.Indexer }); ok {
			stores[model.KindOf(o)] = ii.GetIndexer()
		}
		reg, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    touch,
			UpdateFunc: func(_, cur any) { touch(cur) },
			DeleteFunc: touch,
		})
		if err != nil {
			return err
		}
		b.synced = append(b.synced, reg.HasSynced)
	}
	if len(stores) == 4 {
		b.src = stores
	}
	return nil
}

// Or is b, or, for a reconciler or validator not wired to a manager's Book (a unit
// test's), a Book that builds the model afresh from r at each Read.
func Or(b *Book, r client.Reader) *Book {
	if b != nil {
		return b
	}
	return New(r)
}

// ForManager is a Book over the manager's cache that follows its every event. The
// operator's composition (cmd/operator) makes one per manager and hands it to the
// controllers and the webhooks, so that they share one model per namespace.
func ForManager(mgr manager.Manager) (*Book, error) {
	b := New(mgr.GetCache())
	if err := b.watchAll(context.Background(), mgr); err != nil {
		return nil, err
	}
	return b, nil
}
