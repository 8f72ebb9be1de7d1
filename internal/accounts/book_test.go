package accounts

import (
	"context"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// TestReadSeesEveryTouch: a read that finds nothing dirty takes the read lock only; one
// after a Touch applies the change first, however the reads interleave.
func TestReadSeesEveryTouch(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tom := fixtures.Collaborator("acme", "tom", v1alpha1.Guest)
	c := fake.NewClientBuilder().WithScheme(scheme).WithObjects(tom).Build()
	b := New(c)
	typeOf := func() v1alpha1.CollaboratorType {
		var typ v1alpha1.CollaboratorType
		if err := b.Read(ctx, "acme", func(m *model.Account) error { typ = m.Collaborator("tom").Spec.Type; return nil }); err != nil {
			t.Fatal(err)
		}
		return typ
	}
	if got := typeOf(); got != v1alpha1.Guest {
		t.Fatalf("built with %s", got)
	}
	for i, want := range []v1alpha1.CollaboratorType{v1alpha1.Member, v1alpha1.Guest, v1alpha1.Member} {
		stored := &v1alpha1.Collaborator{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(tom), stored); err != nil {
			t.Fatal(err)
		}
		stored.Spec.Type = want
		if err := c.Update(ctx, stored); err != nil {
			t.Fatal(err)
		}
		// Readers running meanwhile see the model before or after the change, never a
		// torn one, and the race detector watches the fast path.
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); typeOf() }()
		}
		b.Touch(stored)
		if got := typeOf(); got != want {
			t.Fatalf("change %d: read %s after the Touch, want %s", i, got, want)
		}
		wg.Wait()
	}
}
