package localenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// Binaries are the control-plane programs the local environment runs, all from one
// assets directory (the one `make envtest` builds into bin/k8s/).
var Binaries = []string{"kube-apiserver", "etcd", "kubectl"}

// DefaultPort is the apiserver's fixed port for run-local, so that the kubeconfig it
// leaves stays valid from one run to the next.
const DefaultPort = 16443

// Preflight checks, before anything starts, that the control-plane binaries are in
// assetsDir and that address:port is free. Its errors are one line each and say what
// to do. A port of 0 (any free port) is not checked.
func Preflight(assetsDir, address string, port int) error {
	if assetsDir == "" {
		return errors.New("no control-plane binaries: set KUBEBUILDER_ASSETS or run `make envtest`")
	}
	for _, b := range Binaries {
		p := filepath.Join(assetsDir, b)
		fi, err := os.Stat(p)
		if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
			return fmt.Errorf("%s not found in %s: run `make envtest`", b, assetsDir)
		}
	}
	if port == 0 {
		return nil
	}
	if port < 0 || port > 65535 {
		return fmt.Errorf("port %d is not a valid TCP port", port)
	}
	if address == "" {
		address = "127.0.0.1"
	}
	l, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return &PortInUseError{Port: port, Err: err}
	}
	return l.Close()
}

// PortInUseError is returned by Preflight when the apiserver's port is taken.
type PortInUseError struct {
	Port int
	Err  error
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("port %d is already in use (is another run-local running?); stop it or set RUN_LOCAL_PORT", e.Port)
}

func (e *PortInUseError) Unwrap() error { return e.Err }

// FindAssetsDir returns the control-plane assets directory: $KUBEBUILDER_ASSETS when
// set, otherwise the newest bin/k8s/* under repoRoot that holds a kube-apiserver, or ""
// when there is none.
func FindAssetsDir(repoRoot string) string {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob(filepath.Join(repoRoot, "bin", "k8s", "*", "kube-apiserver"))
	if len(dirs) == 0 {
		return ""
	}
	return filepath.Dir(dirs[len(dirs)-1])
}

// FindRepoRoot walks up from dir to the directory holding go.mod and config/crd/bases.
func FindRepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if isFile(filepath.Join(d, "go.mod")) && isDir(filepath.Join(d, "config", "crd", "bases")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no repository root (go.mod and config/crd/bases) above %s", dir)
		}
	}
}

func isFile(p string) bool { fi, err := os.Stat(p); return err == nil && !fi.IsDir() }
func isDir(p string) bool  { fi, err := os.Stat(p); return err == nil && fi.IsDir() }
