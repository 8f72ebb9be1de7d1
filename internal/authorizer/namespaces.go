package authorizer

import (
	"sync"

	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// collaboratorNamespaces counts the Collaborators of each namespace from the events of
// the manager's Collaborator informer: a review is only read from the account Book when
// its namespace holds one, so that reviews naming any other namespace (there may be
// many, made up) never make the Book build a model. Its size is the number of namespaces
// that hold Collaborators.
type collaboratorNamespaces struct {
	mu     sync.RWMutex
	counts map[string]int
	// synced is the informer registration's HasSynced: until it is true, the counts
	// may miss namespaces.
	synced func() bool
}

func newCollaboratorNamespaces() *collaboratorNamespaces {
	return &collaboratorNamespaces{counts: map[string]int{}}
}

// HasCollaborators implements Namespaces.
func (n *collaboratorNamespaces) HasCollaborators(namespace string) (has, ok bool) {
	if n.synced == nil || !n.synced() {
		return false, false
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.counts[namespace] > 0, true
}

func (n *collaboratorNamespaces) add(delta int, obj any) {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if c := n.counts[o.GetNamespace()] + delta; c > 0 {
		n.counts[o.GetNamespace()] = c
	} else {
		delete(n.counts, o.GetNamespace())
	}
}

// handler is the informer's event handler: an object enters the store once (add) and
// leaves it once (delete, or its final state unknown); updates change no count.
func (n *collaboratorNamespaces) handler() toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { n.add(1, obj) },
		DeleteFunc: func(obj any) { n.add(-1, obj) },
	}
}
