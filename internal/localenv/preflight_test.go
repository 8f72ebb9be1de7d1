package localenv

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// fakeAssets makes a directory with executable stand-ins for the given binaries.
func fakeAssets(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestPreflightMissingBinaries(t *testing.T) {
	for _, tc := range []struct {
		have    []string
		missing string
	}{
		{nil, "kube-apiserver"},
		{[]string{"kube-apiserver"}, "etcd"},
		{[]string{"kube-apiserver", "etcd"}, "kubectl"},
	} {
		dir := fakeAssets(t, tc.have...)
		want := fmt.Sprintf("%s not found in %s: run `make envtest`", tc.missing, dir)
		if err := Preflight(dir, "127.0.0.1", 0); err == nil || err.Error() != want {
			t.Errorf("with %v: got %v, want %q", tc.have, err, want)
		}
	}
	if err := Preflight("", "127.0.0.1", 0); err == nil {
		t.Error("an empty assets directory passed")
	}
	// Present but not executable is as good as missing.
	dir := fakeAssets(t, "kube-apiserver", "etcd", "kubectl")
	if err := os.Chmod(filepath.Join(dir, "etcd"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Preflight(dir, "127.0.0.1", 0); err == nil {
		t.Error("a non-executable etcd passed")
	}
}

func TestPreflightPortInUse(t *testing.T) {
	dir := fakeAssets(t, Binaries...)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port

	err = Preflight(dir, "127.0.0.1", port)
	want := fmt.Sprintf("port %d is already in use (is another run-local running?); stop it or set RUN_LOCAL_PORT", port)
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	var inUse *PortInUseError
	if !errors.As(err, &inUse) || inUse.Port != port {
		t.Errorf("got %#v, want a *PortInUseError for port %d", err, port)
	}

	// Free again: the check itself must not hold the port.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := Preflight(dir, "127.0.0.1", port); err != nil {
			t.Fatalf("free port %d, check %d: %v", port, i, err)
		}
	}
	if err := Preflight(dir, "127.0.0.1", 70000); err == nil {
		t.Error("port 70000 passed")
	}
}

func TestFindRepoRoot(t *testing.T) {
	root, err := FindRepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "samples")); err != nil {
		t.Errorf("root %s has no config/samples: %v", root, err)
	}
	if _, err := FindRepoRoot(t.TempDir()); err == nil {
		t.Error("found a repository root above an empty temp dir")
	}
}
