package install_test

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const imageTag = "registry.example.com/workcenter-operator:test"

// buildImage runs hack/image as `make image` does, into dir, with extra flags.
func buildImage(t *testing.T, out string, flags ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", "./hack/image", "-o", out, "-tag", imageTag}, flags...)...)
	cmd.Dir = filepath.Join("..", "..")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run ./hack/image: %v\n%s", err, b)
	}
}

// The image `make image` writes: read back both as a `docker save` archive and as an
// OCI image layout, it runs the static manager as /manager, as the nonroot user
// 65532, from two layers holding nothing else (no shell); and it is reproducible.
func TestImage(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "image.tar")
	buildImage(t, out)

	img := ociImage(t, out, filepath.Join(dir, "oci"))
	digest, _ := img.Digest()
	assertDockerArchive(t, out, img)

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/manager"}) || len(cf.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q, cmd %q; want [/manager] and no cmd", cf.Config.Entrypoint, cf.Config.Cmd)
	}
	assertDockerfileAgrees(t, cf)
	// A numeric user, so the kubelet can check the Deployment's runAsNonRoot.
	if cf.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (distroless nonroot)", cf.Config.User)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if mt, _ := img.MediaType(); mt != types.OCIManifestSchema1 {
		t.Errorf("manifest media type %s, want %s", mt, types.OCIManifestSchema1)
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 2 {
		t.Fatalf("%d layers, want 2 (base, manager)", len(layers))
	}
	for i, l := range layers {
		if mt, _ := l.MediaType(); mt != types.OCILayer {
			t.Errorf("layer %d: media type %s, want %s", i, mt, types.OCILayer)
		}
	}
	base := layerFiles(t, layers[0])
	wantBase := []string{"etc/", "etc/group", "etc/nsswitch.conf", "etc/passwd", "home/", "home/nonroot/", "root/", "tmp/"}
	if got := slices.Sorted(maps.Keys(base)); !slices.Equal(got, wantBase) {
		t.Errorf("base layer holds %v, want %v", got, wantBase)
	}
	if p := base["etc/passwd"]; p == nil || !strings.Contains(string(p.content), "\nnonroot:x:65532:65532:") {
		t.Errorf("/etc/passwd has no nonroot user 65532")
	}
	if h := base["home/nonroot/"]; h == nil || h.hdr.Uid != 65532 {
		t.Errorf("/home/nonroot is not owned by 65532")
	}
	if h := base["tmp/"]; h == nil || h.hdr.Mode&0o1777 != 0o1777 {
		t.Errorf("/tmp is not world-writable with the sticky bit")
	}

	app := layerFiles(t, layers[1])
	if got := slices.Sorted(maps.Keys(app)); !slices.Equal(got, []string{"manager"}) {
		t.Fatalf("manager layer holds %v, want only manager", got)
	}
	m := app["manager"]
	if m.hdr.Mode&0o777 != 0o755 || m.hdr.Uid != 0 {
		t.Errorf("/manager: mode %o uid %d, want 0755 owned by root (not writable by the user it runs as)", m.hdr.Mode, m.hdr.Uid)
	}
	assertStaticLinuxELF(t, m.content)

	// It is the manager, and it runs with no libc: its flags are the ones the chart passes.
	bin := filepath.Join(dir, "manager")
	if err := os.WriteFile(bin, m.content, 0o755); err != nil {
		t.Fatal(err)
	}
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	for _, flag := range []string{"-leader-elect", "-metrics-secure", "-webhook-cert-path", "-enable-webhooks", "-health-probe-bind-address"} {
		if !bytes.Contains(help, []byte(flag)) {
			t.Errorf("/manager --help does not list %s:\n%s", flag, help)
		}
	}

	// Reproducible: the same binary gives the same image.
	again := filepath.Join(dir, "again.tar")
	buildImage(t, again, "-binary", bin)
	if d2, _ := ociImage(t, again, filepath.Join(dir, "oci-again")).Digest(); d2 != digest {
		t.Errorf("the same manager gives another image: %s, then %s", digest, d2)
	}
}

// assertDockerfileAgrees checks that the Dockerfile describes the image make image
// builds: the manager of ./cmd built static, at /manager, on distroless's static nonroot
// base, with the same user and entrypoint.
func assertDockerfileAgrees(t *testing.T, cf *v1.ConfigFile) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var stages [][]string // each stage's instructions, comments and blank lines dropped
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "FROM ") {
			stages = append(stages, nil)
		}
		if len(stages) > 0 {
			stages[len(stages)-1] = append(stages[len(stages)-1], line)
		}
	}
	if len(stages) != 2 {
		t.Fatalf("the Dockerfile has %d stages, want 2 (build, run)", len(stages))
	}
	build, run := strings.Join(stages[0], "\n"), stages[1]
	for _, want := range []string{"CGO_ENABLED=0", "go build", "-o manager ./cmd"} {
		if !strings.Contains(build, want) {
			t.Errorf("the Dockerfile's build stage lacks %q", want)
		}
	}
	entrypoint, _ := json.Marshal(cf.Config.Entrypoint)
	for _, want := range []string{
		"FROM gcr.io/distroless/static:nonroot",
		"WORKDIR " + cf.Config.WorkingDir,
		"COPY --from=builder /workspace/manager .",
		"USER " + cf.Config.User,
		"ENTRYPOINT " + strings.ReplaceAll(string(entrypoint), ",", ", "),
	} {
		if !slices.Contains(run, want) {
			t.Errorf("the Dockerfile's run stage lacks %q (what make image builds); it has %q", want, run)
		}
	}
}

// ociImage reads file as an OCI image layout archive holding one image, named by the
// tag's tag in index.json.
func ociImage(t *testing.T, file, dir string) v1.Image {
	t.Helper()
	untar(t, file, dir)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("read %s as an OCI image layout: %v", file, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != "test" {
		t.Fatalf("%s: index.json holds %+v; want one manifest named test", file, im.Manifests)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// assertDockerArchive checks that file is also a `docker save` archive (manifest.json)
// of the same config and layers, tagged with the image's name.
func assertDockerArchive(t *testing.T, file string, img v1.Image) {
	t.Helper()
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
	if err != nil {
		t.Fatalf("%s has no docker manifest.json: %v", file, err)
	}
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{imageTag}) {
		t.Errorf("manifest.json: %+v; want one image tagged %s", m, imageTag)
	}
	docker, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		t.Fatalf("read %s as a docker archive: %v", file, err)
	}
	want, _ := img.ConfigName()
	if got, err := docker.ConfigName(); err != nil || got != want {
		t.Errorf("docker view: config %s (%v), OCI view: %s", got, err, want)
	}
	wl, _ := img.Layers()
	dl, err := docker.Layers()
	if err != nil || len(dl) != len(wl) {
		t.Fatalf("docker view: %d layers (%v), OCI view: %d", len(dl), err, len(wl))
	}
	for i := range wl {
		wd, _ := wl[i].Digest()
		if dd, _ := dl[i].Digest(); dd != wd {
			t.Errorf("layer %d: docker view %s, OCI view %s", i, dd, wd)
		}
	}
}

// assertStaticLinuxELF fails unless b is a linux executable with no dynamic loader and
// no shared libraries: one that runs on an empty base.
func assertStaticLinuxELF(t *testing.T, b []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("/manager is not an ELF executable: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("/manager asks for a dynamic loader: it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("/manager needs shared libraries %v: it is not static", libs)
	}
	if f.OSABI != elf.ELFOSABI_NONE && f.OSABI != elf.ELFOSABI_LINUX {
		t.Errorf("/manager is built for OS ABI %s, not linux", f.OSABI)
	}
}

type tarFile struct {
	hdr     *tar.Header
	content []byte
}

func layerFiles(t *testing.T, l v1.Layer) map[string]*tarFile {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]*tarFile{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[strings.TrimPrefix(h.Name, "/")] = &tarFile{hdr: h, content: b}
	}
}

func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			t.Fatalf("%s: entry %q leaves the archive", file, h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
