package accounts

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// For is the Book the manager carries, the same at every call: the controllers and the
// webhooks of one manager share it.
func TestForIsTheBookTheManagerCarries(t *testing.T) {
	b := New(nil)
	var mgr manager.Manager = bookManager{book: b}
	for range 2 {
		got, err := For(mgr)
		if err != nil {
			t.Fatal(err)
		}
		if got != b {
			t.Fatalf("For returned another Book than the manager's")
		}
	}
}
