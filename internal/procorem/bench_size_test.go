package procorem

import (
	"io"
	"strings"
	"testing"

	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// BenchmarkAtSize: whole commands (Main, as the plugin runs them) on the generated
// account of issue 20 (fixtures.LargeShape: 5,000 collaborators, 200 WorkCenters, 50
// roles), through -f and -k. make bench-procorem measures the built plugin instead, wall
// and CPU; this is for profiles:
//
//	go test ./internal/procorem/ -run '^$' -bench AtSize/validate-f -benchtime 3x -cpuprofile cpu.out
func BenchmarkAtSize(b *testing.B) {
	dir := b.TempDir()
	if err := fixtures.WriteGeneratedAccount(dir, "generated", fixtures.LargeShape); err != nil {
		b.Fatal(err)
	}
	query := []string{"can-i", "files.upload", "--as", fixtures.GeneratedCollaboratorName(3), "--workcenter", fixtures.GeneratedWorkCenterName(9)}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"can-i-f", append(query, "-f", dir)},
		{"can-i-k", append(query, "-k", dir)},
		{"validate-f", []string{"validate", "-f", dir}},
		{"validate-k", []string{"validate", "-k", dir}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				var errOut strings.Builder
				if code := Main(c.args, strings.NewReader(""), io.Discard, &errOut); code != 0 {
					b.Fatalf("exit %d: %s", code, errOut.String())
				}
			}
		})
	}
}
