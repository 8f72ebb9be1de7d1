// Command sample-account writes a generated account (internal/fixtures.GeneratedAccount)
// as manifests and a kustomization, laid out as config/samples is, for trying `kubectl
// procorem` (or the operator) at size:
//
//	make sample-account                                  # 5,000 collaborators into bin/sample-account
//	go run ./hack/sample-account -out DIR -collaborators 1000 -workcenters 50 -roles 20
//	kubectl procorem can-i files.upload --as c00003 --workcenter wc-009 -k bin/sample-account
//
// With -bench it then measures `kubectl procorem` on it instead (make bench-procorem):
// the plugin is built, and each command (a query and validate, through -f and through -k)
// is run -runs times; the medians of wall time (and the fastest run: on a shared machine,
// the one that waited least for a core), CPU time (user + system) and peak resident
// memory are printed as a Markdown table. The environment is passed on (GOGC, GOMAXPROCS).
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

func main() {
	s := fixtures.LargeShape
	out := flag.String("out", "bin/sample-account", "the directory to write into")
	ns := flag.String("namespace", "generated", "the account's namespace")
	flag.IntVar(&s.Collaborators, "collaborators", s.Collaborators, "collaborators (a third of them Guests)")
	flag.IntVar(&s.WorkCenters, "workcenters", s.WorkCenters, "WorkCenters")
	flag.IntVar(&s.Roles, "roles", s.Roles, "custom WorkCenterRoles")
	flag.IntVar(&s.Assignments, "assignments", s.Assignments, "assignments per collaborator")
	bench := flag.Bool("bench", false, "measure kubectl procorem on the account instead of only writing it")
	runs := flag.Int("runs", 5, "with -bench: runs of each command (the medians are printed)")
	plugin := flag.String("plugin", "", "with -bench: the kubectl-procorem binary to measure (default: built from ./cmd/kubectl-procorem)")
	flag.Parse()
	if err := fixtures.WriteGeneratedAccount(*out, *ns, s); err != nil {
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "sample-account: %d collaborators, %d WorkCenters, %d roles in namespace %s written to %s (-f %s, -k %s)\n",
		s.Collaborators, s.WorkCenters, s.Roles, *ns, *out, *out, *out)
	if *bench {
		if err := measure(*out, *plugin, *runs, s); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sample-account:", err)
	os.Exit(1)
}

// measure runs each command runs times and prints the medians.
func measure(dir, plugin string, runs int, s fixtures.Shape) error {
	if plugin == "" {
		tmp, err := os.MkdirTemp("", "bench-procorem")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		plugin = filepath.Join(tmp, "kubectl-procorem")
		build := exec.Command("go", "build", "-o", plugin, "./cmd/kubectl-procorem")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building the plugin: %w", err)
		}
	}
	who, wc := fixtures.GeneratedCollaboratorName(3), fixtures.GeneratedWorkCenterName(9)
	query := []string{"can-i", "files.upload", "--as", who, "--workcenter", wc}
	commands := []struct {
		name string
		args []string
	}{
		{"can-i -f", append(slices.Clone(query), "-f", dir)},
		{"can-i -k", append(slices.Clone(query), "-k", dir)},
		{"validate -f", []string{"validate", "-f", dir}},
		{"validate -k", []string{"validate", "-k", dir}},
	}
	fmt.Printf("kubectl procorem on a generated account of %d collaborators, %d WorkCenters, %d roles; %d runs each, medians; %s, GOMAXPROCS %d (%d CPUs)\n\n",
		s.Collaborators, s.WorkCenters, s.Roles, runs, runtime.Version(), gomaxprocs(), runtime.NumCPU())
	fmt.Println("| command | wall (fastest) | CPU (user + system) | peak RSS |")
	fmt.Println("|---|---|---|---|")
	for _, c := range commands {
		var walls, cpus []time.Duration
		var rss []int64
		for range runs {
			cmd := exec.Command(plugin, c.args...)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			if cmd.ProcessState == nil || (err != nil && cmd.ProcessState.ExitCode() != 1) {
				return fmt.Errorf("%s: %v: %s", c.name, err, stderr.String())
			}
			walls = append(walls, wall)
			cpus = append(cpus, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = append(rss, u.Maxrss) // KiB on Linux
			}
		}
		peak := "-"
		if len(rss) > 0 {
			slices.Sort(rss)
			peak = fmt.Sprintf("%d MB", rss[len(rss)/2]*1024/1_000_000)
		}
		fmt.Printf("| `%s` | %s (%s) | %s | %s |\n", c.name, seconds(median(walls)), seconds(slices.Min(walls)), seconds(median(cpus)), peak)
	}
	return nil
}

func gomaxprocs() int {
	if v := os.Getenv("GOMAXPROCS"); v != "" {
		var n int
		if _, err := fmt.Sscan(v, &n); err == nil {
			return n
		}
	}
	return runtime.GOMAXPROCS(0)
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
