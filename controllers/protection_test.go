package controllers

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// R7's releases in one namespace never interleave: from the live read that decides to
// let an administrator go until its finalizer is removed, no other release decision of
// the namespace runs. Otherwise, of two administrators deleted at once, the older could
// be let go on a read taken while the younger still stood, and the younger on a read
// that still shows the older: both gone, and the account without an administrator.
func TestLastAdministratorReleasesAreSerial(t *testing.T) {
	for _, serial := range []bool{true, false} {
		var active, most atomic.Int32
		enter := func() {
			n := active.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
		}
		var objs []client.Object
		for _, name := range []string{"first", "second"} {
			c := fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, name, v1alpha1.Member))
			c.Finalizers = []string{v1alpha1.FinalizerLastAdministrator}
			now := metav1.Now()
			c.DeletionTimestamp = &now
			objs = append(objs, c)
		}
		c := newFakeClient(interceptor.Funcs{Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			defer active.Add(-1) // the release is written: the decision is over
			return c.Patch(ctx, obj, patch, opts...)
		}}, objs...)
		var locks namespaceLocks
		var wg sync.WaitGroup
		for _, o := range objs {
			wg.Add(1)
			go func(o client.Object) {
				defer wg.Done()
				p := protection{finalizer: v1alpha1.FinalizerLastAdministrator, reason: v1alpha1.ReasonLastAccountAdministrator,
					blocker: func(context.Context) (string, error) {
						enter()
						time.Sleep(50 * time.Millisecond) // a live read
						return "", nil
					}}
				if serial {
					p.serial = locks.of(ns)
				}
				var conds []metav1.Condition
				if _, err := reconcileProtection(context.Background(), c, o, &conds, p); err != nil {
					t.Error(err)
				}
			}(o)
		}
		wg.Wait()
		if got := most.Load(); serial && got != 1 {
			t.Fatalf("with the namespace's lock, %d release decisions ran at once", got)
		} else if !serial && got != 2 {
			t.Fatalf("without the lock the two decisions should overlap (the test would prove nothing): %d", got)
		}
	}
}
