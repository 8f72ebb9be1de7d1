package install_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The Dockerfile's build stage copies every directory of the module the manager
// (./cmd) is built from.
func TestDockerfileCopiesTheManagersSources(t *testing.T) {
	root := filepath.Join("..", "..")
	mod, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	list := exec.Command("go", "list", "-deps", "-f", "{{if and .Module .Module.Main}}{{.ImportPath}}{{end}}", "./cmd")
	list.Dir = root
	out, err := list.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	prefix := strings.TrimSpace(string(mod)) + "/"
	var dirs []string
	for _, p := range strings.Fields(string(out)) {
		dir, _, _ := strings.Cut(strings.TrimPrefix(p, prefix), "/")
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	for _, dir := range dirs {
		if !slices.Contains(lines, "COPY "+dir+"/ "+dir+"/") {
			t.Errorf("the Dockerfile does not copy %s/, which the manager is built from", dir)
		}
	}
}
