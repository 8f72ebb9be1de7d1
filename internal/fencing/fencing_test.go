package fencing

import (
	"context"
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// fakeLock is a lease lock whose writes succeed unless fail is set.
type fakeLock struct {
	resourcelock.Interface
	id   string
	fail bool
}

func (f *fakeLock) Identity() string { return f.id }
func (f *fakeLock) Create(context.Context, resourcelock.LeaderElectionRecord) error {
	if f.fail {
		return errors.New("conflict")
	}
	return nil
}
func (f *fakeLock) Update(ctx context.Context, ler resourcelock.LeaderElectionRecord) error {
	return f.Create(ctx, ler)
}

func TestWritesOnlyWhileTheLeaseWasRenewedWithinTheWindow(t *testing.T) {
	ctx := context.Background()
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
	base := fake.NewClientBuilder().WithScheme(scheme).WithObjects(pod.DeepCopy()).WithStatusSubresource(&corev1.Pod{}).Build()
	inner := &fakeLock{id: "me"}
	lock := NewLock(inner, 10*time.Second)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lock.now = func() time.Time { return clock }
	c := Client(base, lock)
	write := func() error {
		cur := &corev1.Pod{}
		if err := c.Get(ctx, client.ObjectKeyFromObject(pod), cur); err != nil {
			t.Fatalf("reads always pass: %v", err)
		}
		cur.Labels = map[string]string{"at": clock.Format("150405")}
		if err := c.Update(ctx, cur); err != nil {
			return err
		}
		cur.Status.Message = clock.String()
		return c.Status().Update(ctx, cur)
	}
	steps := []struct {
		name string
		do   func()
		ok   bool
	}{
		{"never acquired", func() {}, false},
		{"acquired", func() { _ = lock.Create(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "me"}) }, true},
		{"9s later", func() { clock = clock.Add(9 * time.Second) }, true},
		{"11s after the renewal: frozen past the window", func() { clock = clock.Add(2 * time.Second) }, false},
		{"a failed renewal does not count", func() {
			inner.fail = true
			_ = lock.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "me"})
			inner.fail = false
		}, false},
		{"renewed", func() { _ = lock.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: "me"}) }, true},
		{"released", func() { _ = lock.Update(ctx, resourcelock.LeaderElectionRecord{HolderIdentity: ""}) }, false},
	}
	for _, s := range steps {
		s.do()
		err := write()
		if s.ok && err != nil {
			t.Errorf("%s: write refused: %v", s.name, err)
		}
		if !s.ok && !errors.Is(err, ErrLeaseNotHeld) {
			t.Errorf("%s: write not fenced (err %v)", s.name, err)
		}
	}
	if Client(base, nil) != client.WithWatch(base) {
		t.Error("without leader election nothing is fenced")
	}
}
