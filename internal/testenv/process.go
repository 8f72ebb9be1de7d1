package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/workcenter-io/workcenter-operator/internal/localenv"
)

// Manager is the operator's real binary (built from ./cmd) running as a process, as
// the scale and chaos suites run it: killed, restarted, scraped.
type Manager struct {
	// MetricsAddr and PprofAddr are the loopback addresses of its metrics and profiles.
	MetricsAddr, PprofAddr string

	cmd      *exec.Cmd
	exited   chan struct{}
	stopOnce sync.Once
}

// FreePort is a loopback address with a port nothing listens on now, and one this
// process has not handed out before: the kernel may give the same free port to two
// calls in a row (each listener is closed before the next call), and a manager given it
// for both its metrics and its pprof would fail to start.
func FreePort() string {
	freePorts.Lock()
	defer freePorts.Unlock()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		addr := l.Addr().String()
		l.Close()
		if !freePorts.given[addr] {
			freePorts.given[addr] = true
			return addr
		}
	}
}

var freePorts = struct {
	sync.Mutex
	given map[string]bool
}{given: map[string]bool{}}

// PrepareManager builds the manager binary into dir and writes a kubeconfig for the
// operator's user (bound only to the generated ClusterRole, see Operator) next to it,
// for StartManager. The binary sets its own client rate limits, as in a cluster.
func (e *Env) PrepareManager(ctx context.Context, dir string) (bin, kubeconfig string, err error) {
	operator, err := e.Operator(ctx)
	if err != nil {
		return "", "", err
	}
	operator.QPS, operator.Burst = 0, 0
	kubeconfig = filepath.Join(dir, "operator.kubeconfig")
	if err := localenv.WriteKubeconfig(kubeconfig, operator); err != nil {
		return "", "", err
	}
	bin = filepath.Join(dir, "manager")
	build := exec.Command("go", "build", "-o", bin, "./cmd")
	build.Dir = e.Root
	if out, err := build.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("building the manager: %v\n%s", err, out)
	}
	return bin, kubeconfig, nil
}

// StartManager runs bin with kubeconfig: no leader election, no webhooks unless extra
// says so, metrics and pprof on free loopback ports, output appended to logPath. It
// returns once the manager serves metrics.
func StartManager(bin, kubeconfig, logPath string, extra ...string) (*Manager, error) {
	m := &Manager{MetricsAddr: FreePort(), PprofAddr: FreePort(), exited: make(chan struct{})}
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	args := append([]string{"--metrics-bind-address=" + m.MetricsAddr, "--health-probe-bind-address=0",
		"--enable-webhooks=false", "--leader-elect=false", "--pprof-bind-address=" + m.PprofAddr}, extra...)
	m.cmd = exec.Command(bin, args...)
	m.cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig)
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	if err := m.cmd.Start(); err != nil {
		logFile.Close()
		return nil, err
	}
	go func() { _ = m.cmd.Wait(); logFile.Close(); close(m.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := m.Scrape(); err == nil {
			return m, nil
		}
		if time.Now().After(deadline) {
			m.Stop()
			return nil, fmt.Errorf("the manager serves no metrics after 30s; see %s", logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the manager with SIGTERM, as Kubernetes does (once; later calls do
// nothing).
func (m *Manager) Stop() { m.end(syscall.SIGTERM) }

// Kill kills the manager with SIGKILL: no cleanup, whatever it was writing.
func (m *Manager) Kill() { m.end(syscall.SIGKILL) }

func (m *Manager) end(sig syscall.Signal) {
	m.stopOnce.Do(func() {
		_ = m.cmd.Process.Signal(sig)
		_ = m.cmd.Process.Signal(syscall.SIGCONT) // a stopped process acts on no other signal
		select {
		case <-m.exited:
		case <-time.After(20 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.exited
		}
	})
}

// Signal sends sig to the manager: SIGSTOP freezes it (a partition, a long pause),
// SIGCONT resumes it.
func (m *Manager) Signal(sig syscall.Signal) error { return m.cmd.Process.Signal(sig) }

// Exited is closed once the manager's process has ended, whatever ended it.
func (m *Manager) Exited() <-chan struct{} { return m.exited }

// scrapes time out: a frozen manager never answers.
var scrapes = &http.Client{Timeout: 5 * time.Second}

// Scrape reads the manager's metrics.
func (m *Manager) Scrape() (map[string]*dto.MetricFamily, error) {
	resp, err := scrapes.Get("http://" + m.MetricsAddr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(resp.Body)
}
