package manifests

import (
	"testing"

	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// BenchmarkLoadAtSize: Load of the generated account of issue 20 (5,000 collaborators,
// 200 WorkCenters, 50 roles), through -f (the directory) and through -k (its
// kustomization): what every offline query pays before it answers.
//
//	go test ./internal/manifests/ -run '^$' -bench LoadAtSize -benchtime 3x -cpuprofile cpu.out
func BenchmarkLoadAtSize(b *testing.B) {
	dir := b.TempDir()
	if err := fixtures.WriteGeneratedAccount(dir, "generated", fixtures.LargeShape); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"files", Options{Files: []string{dir}}},
		{"kustomization", Options{Kustomizations: []string{dir}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				set, err := Load(c.opts)
				if err != nil {
					b.Fatal(err)
				}
				if n := len(set.Objects); n != 5251 {
					b.Fatalf("%d objects", n)
				}
			}
		})
	}
}
