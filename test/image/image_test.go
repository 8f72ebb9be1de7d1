// Package image_test checks the image `make image` writes (hack/image) by reading it
// back as an OCI image layout and as a `docker save` archive: one index of linux/amd64
// and linux/arm64, each running a static /manager of the right ELF machine as the
// nonroot user 65532, on a base with a CA bundle and the time zone database, each with
// an SPDX SBOM attached as an OCI referrer; built twice, the same bytes and digests.
// And it builds the Dockerfile's layout without a container engine (dockerfile_test.go)
// and compares the two file by file.
package image_test

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const (
	imageTag   = "registry.example.com/workcenter-operator:test"
	sourceDate = "1700000000" // SOURCE_DATE_EPOCH of the test builds
	root       = "../.."
)

var platforms = []string{"linux/amd64", "linux/arm64"}

// elfMachine is the ELF machine each platform's /manager must be built for.
var elfMachine = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// built is the image built once for the package's tests.
var built struct {
	once sync.Once
	dir  string // unpacked OCI layout
	tar  string
	err  error
}

// buildImage runs hack/image as `make image` does, into out.
func buildImage(out string) error {
	cmd := exec.Command("go", "run", "./hack/image", "-o", out, "-tag", imageTag, "-platforms", strings.Join(platforms, ","))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+sourceDate)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go run ./hack/image: %v\n%s", err, b)
	}
	return nil
}

// theImage builds the image once and unpacks it.
func theImage(t *testing.T) (tarFile, layoutDir string) {
	t.Helper()
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "image-test-")
		if err != nil {
			built.err = err
			return
		}
		built.tar = filepath.Join(dir, "image.tar")
		built.dir = filepath.Join(dir, "oci")
		if built.err = buildImage(built.tar); built.err == nil {
			built.err = untar(built.tar, built.dir)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.tar, built.dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.tar != "" {
		os.RemoveAll(filepath.Dir(built.tar))
	}
	os.Exit(code)
}

// The top of the layout: the image index named by the tag, and the SBOM referrers.
func topIndex(t *testing.T, dir string) (v1.ImageIndex, *v1.IndexManifest) {
	t.Helper()
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("read the OCI image layout: %v", err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	return top, im
}

// platformImages are the images of the index the tag names, by os/arch.
func platformImages(t *testing.T, dir string) (v1.ImageIndex, map[string]v1.Image) {
	t.Helper()
	top, im := topIndex(t, dir)
	var named []v1.Descriptor
	for _, d := range im.Manifests {
		if d.Annotations["org.opencontainers.image.ref.name"] != "" {
			named = append(named, d)
		}
	}
	if len(named) != 1 || named[0].Annotations["org.opencontainers.image.ref.name"] != "test" ||
		named[0].Annotations["io.containerd.image.name"] != imageTag || named[0].MediaType != types.OCIImageIndex {
		t.Fatalf("index.json names %+v; want one OCI image index named test (%s)", named, imageTag)
	}
	idx, err := top.ImageIndex(named[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]v1.Image{}
	for _, d := range m.Manifests {
		if d.Platform == nil || d.MediaType != types.OCIManifestSchema1 {
			t.Fatalf("index entry %+v: want an OCI image manifest with a platform", d)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		images[d.Platform.OS+"/"+d.Platform.Architecture] = img
	}
	if got := slices.Sorted(maps.Keys(images)); !slices.Equal(got, platforms) {
		t.Fatalf("the index holds %v, want %v", got, platforms)
	}
	return idx, images
}

// Both platforms, each: its config's os/arch, a static /manager of the right machine,
// 0755 and root's, as the entrypoint; the user 65532 of /etc/passwd, which owns its
// home; /tmp; and nothing but the base and the manager (no shell).
func TestPlatforms(t *testing.T) {
	_, dir := theImage(t)
	_, images := platformImages(t, dir)
	for _, p := range platforms {
		t.Run(p, func(t *testing.T) {
			img := images[p]
			arch := strings.TrimPrefix(p, "linux/")
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cf.OS != "linux" || cf.Architecture != arch {
				t.Errorf("config platform %s/%s, want %s", cf.OS, cf.Architecture, p)
			}
			if !slices.Equal(cf.Config.Entrypoint, []string{"/manager"}) || len(cf.Config.Cmd) != 0 {
				t.Errorf("entrypoint %q cmd %q, want [/manager] and no cmd", cf.Config.Entrypoint, cf.Config.Cmd)
			}
			// Numeric, so the kubelet can check the Deployment's runAsNonRoot.
			if cf.Config.User != "65532:65532" {
				t.Errorf("user %q, want 65532:65532 (distroless nonroot)", cf.Config.User)
			}
			if !slices.Contains(cf.Config.Env, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") {
				t.Errorf("env %q has no SSL_CERT_FILE", cf.Config.Env)
			}
			if want := time.Unix(1700000000, 0).UTC(); !cf.Created.Time.Equal(want) {
				t.Errorf("created %s, want SOURCE_DATE_EPOCH %s", cf.Created.Time, want)
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
			app := layerFiles(t, layers[1])
			if got := slices.Sorted(maps.Keys(app)); !slices.Equal(got, []string{"manager"}) {
				t.Fatalf("the manager layer holds %v, want only manager", got)
			}
			m := app["manager"]
			if m.hdr.Typeflag != tar.TypeReg || m.hdr.Mode&0o7777 != 0o755 || m.hdr.Uid != 0 || m.hdr.Gid != 0 {
				t.Errorf("/manager: type %c mode %o owner %d:%d, want a 0755 file of root's (not writable by the user it runs as)",
					m.hdr.Typeflag, m.hdr.Mode, m.hdr.Uid, m.hdr.Gid)
			}
			assertStaticELF(t, m.content, elfMachine[arch])

			base := layerFiles(t, layers[0])
			for _, name := range slices.Sorted(maps.Keys(base)) {
				if !allowedBase(name) {
					t.Errorf("the base holds %s, which distroless/static:nonroot's equivalent should not", name)
				}
			}
			passwd := base["etc/passwd"]
			if passwd == nil || !strings.Contains(string(passwd.content), "\nnonroot:x:65532:65532:nonroot:/home/nonroot:") {
				t.Errorf("/etc/passwd has no nonroot user 65532")
			}
			if h := base["home/nonroot"]; h == nil || h.hdr.Uid != 65532 || h.hdr.Gid != 65532 || h.hdr.Typeflag != tar.TypeDir {
				t.Errorf("/home/nonroot is not a directory of 65532's")
			}
			if h := base["tmp"]; h == nil || h.hdr.Mode&0o1777 != 0o1777 {
				t.Errorf("/tmp is not world-writable with the sticky bit")
			}
			for name, f := range base {
				if f.hdr.ModTime.Unix() != 1700000000 {
					t.Errorf("%s: mtime %s, want SOURCE_DATE_EPOCH", name, f.hdr.ModTime)
					break
				}
			}
			if arch == runtime.GOARCH {
				assertRuns(t, m.content)
			}
		})
	}
}

func allowedBase(name string) bool {
	switch name {
	case "etc", "etc/passwd", "etc/group", "etc/nsswitch.conf", "etc/ssl", "etc/ssl/certs",
		"etc/ssl/certs/ca-certificates.crt", "home", "home/nonroot", "root", "tmp", "usr", "usr/share":
		return true
	}
	return name == "usr/share/zoneinfo" || strings.HasPrefix(name, "usr/share/zoneinfo/")
}

// assertRuns runs the build machine's /manager: it is the manager, static, and has the
// flags the chart and config/ pass.
func assertRuns(t *testing.T, manager []byte) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "manager")
	if err := os.WriteFile(bin, manager, 0o755); err != nil {
		t.Fatal(err)
	}
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	for _, flag := range []string{"-leader-elect", "-metrics-secure", "-webhook-cert-path", "-enable-webhooks", "-health-probe-bind-address"} {
		if !bytes.Contains(help, []byte(flag)) {
			t.Errorf("/manager --help does not list %s:\n%s", flag, help)
		}
	}
}

// The CA bundle: PEM certificates that parse, Mozilla's roots among them, the only
// bundle Go's crypto/x509 needs on linux; and the time zone database, which Go's time
// package loads zones from.
func TestCABundleAndZoneinfo(t *testing.T) {
	_, dir := theImage(t)
	_, images := platformImages(t, dir)
	layers, err := images["linux/amd64"].Layers()
	if err != nil {
		t.Fatal(err)
	}
	base := layerFiles(t, layers[0])
	ca := base["etc/ssl/certs/ca-certificates.crt"]
	if ca == nil {
		t.Fatal("no /etc/ssl/certs/ca-certificates.crt")
	}
	if ca.hdr.Mode&0o777 != 0o644 || ca.hdr.Uid != 0 {
		t.Errorf("the CA bundle: mode %o owner %d, want 0644 root", ca.hdr.Mode, ca.hdr.Uid)
	}
	var subjects []string
	rest := ca.content
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("the CA bundle holds a certificate that does not parse: %v", err)
		}
		if !c.IsCA {
			t.Errorf("%s is not a CA", c.Subject)
		}
		subjects = append(subjects, c.Subject.CommonName)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		t.Errorf("the CA bundle ends with %d bytes that are not PEM", len(rest))
	}
	if len(subjects) < 100 {
		t.Errorf("the CA bundle holds %d certificates; Mozilla's roots are over 100", len(subjects))
	}
	for _, want := range []string{"ISRG Root X1", "DigiCert Global Root G2", "Amazon Root CA 1"} {
		if !slices.Contains(subjects, want) {
			t.Errorf("the CA bundle lacks %q", want)
		}
	}
	for _, zone := range []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"} {
		f := base["usr/share/zoneinfo/"+zone]
		if f == nil {
			t.Errorf("no /usr/share/zoneinfo/%s", zone)
			continue
		}
		loc, err := time.LoadLocationFromTZData(zone, f.content)
		if err != nil {
			t.Errorf("/usr/share/zoneinfo/%s: %v", zone, err)
			continue
		}
		if zone == "Europe/Berlin" {
			if _, off := time.Date(2026, 7, 1, 12, 0, 0, 0, loc).Zone(); off != 2*3600 {
				t.Errorf("Europe/Berlin in July: offset %d, want +2h", off)
			}
		}
	}
}

// The SBOM: per platform, an OCI 1.1 artifact manifest of artifactType
// application/spdx+json whose subject is that platform's image manifest, listed in
// index.json as `oras attach` lists referrers in an OCI layout; its one blob is an
// SPDX 2.3 JSON document listing the main module, controller-runtime at the version
// go.mod requires, the Go standard library and the base's sources.
func TestSBOM(t *testing.T) {
	_, dir := theImage(t)
	top, im := topIndex(t, dir)
	idx, images := platformImages(t, dir)
	idxManifest, _ := idx.IndexManifest()
	crVersion := goListVersion(t, "sigs.k8s.io/controller-runtime")
	mainModule := goListVersion(t, "")
	namespaces := map[string]bool{}
	for _, d := range idxManifest.Manifests {
		p := d.Platform.OS + "/" + d.Platform.Architecture
		t.Run(p, func(t *testing.T) {
			var referrers []v1.Descriptor
			for _, r := range im.Manifests {
				if r.ArtifactType == "application/spdx+json" {
					raw := blob(t, dir, r.Digest)
					var m v1.Manifest
					if err := json.Unmarshal(raw, &m); err != nil {
						t.Fatal(err)
					}
					if m.Subject != nil && m.Subject.Digest == d.Digest {
						referrers = append(referrers, r)
					}
				}
			}
			if len(referrers) != 1 {
				t.Fatalf("%d SBOM referrers of the %s image %s in index.json, want 1", len(referrers), p, d.Digest)
			}
			art, err := top.Image(referrers[0].Digest)
			if err != nil {
				t.Fatal(err)
			}
			m, err := art.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if m.ArtifactType != "application/spdx+json" || m.Config.MediaType != "application/vnd.oci.empty.v1+json" ||
				m.Subject.MediaType != types.OCIManifestSchema1 || m.Subject.Size != d.Size {
				t.Errorf("SBOM manifest %+v: want artifactType application/spdx+json, the empty config, and the image as subject", m)
			}
			if len(m.Layers) != 1 || m.Layers[0].MediaType != "application/spdx+json" {
				t.Fatalf("SBOM manifest layers %+v, want one application/spdx+json blob", m.Layers)
			}
			var doc struct {
				SPDXVersion, DataLicense, SPDXID, DocumentNamespace string
				CreationInfo                                        struct{ Created string }
				DocumentDescribes                                   []string
				Packages                                            []struct {
					SPDXID, Name, VersionInfo string
					ExternalRefs              []struct{ ReferenceType, ReferenceLocator string }
				}
				Relationships []struct{ SpdxElementID, RelationshipType, RelatedSpdxElement string }
			}
			if err := json.Unmarshal(blob(t, dir, m.Layers[0].Digest), &doc); err != nil {
				t.Fatalf("the SBOM is not JSON: %v", err)
			}
			if doc.SPDXVersion != "SPDX-2.3" || doc.DataLicense != "CC0-1.0" || doc.SPDXID != "SPDXRef-DOCUMENT" {
				t.Errorf("SBOM header %q %q %q, want SPDX-2.3 CC0-1.0 SPDXRef-DOCUMENT", doc.SPDXVersion, doc.DataLicense, doc.SPDXID)
			}
			if doc.CreationInfo.Created != "2023-11-14T22:13:20Z" {
				t.Errorf("SBOM created %q, want SOURCE_DATE_EPOCH 2023-11-14T22:13:20Z", doc.CreationInfo.Created)
			}
			if namespaces[doc.DocumentNamespace] || !strings.Contains(doc.DocumentNamespace, d.Digest.String()) {
				t.Errorf("documentNamespace %q: want one per image, naming %s", doc.DocumentNamespace, d.Digest)
			}
			namespaces[doc.DocumentNamespace] = true
			versions := map[string]string{}
			purls := map[string]string{}
			ids := map[string]bool{}
			for _, pkg := range doc.Packages {
				versions[pkg.Name] = pkg.VersionInfo
				ids[pkg.SPDXID] = true
				for _, r := range pkg.ExternalRefs {
					if r.ReferenceType == "purl" {
						purls[pkg.Name] = r.ReferenceLocator
					}
				}
			}
			if _, ok := versions[mainModule]; !ok {
				t.Errorf("the SBOM does not list the main module %s", mainModule)
			}
			if v := versions["sigs.k8s.io/controller-runtime"]; v != crVersion {
				t.Errorf("the SBOM lists controller-runtime at %q, go.mod requires %s", v, crVersion)
			}
			if purls["sigs.k8s.io/controller-runtime"] != "pkg:golang/sigs.k8s.io/controller-runtime@"+crVersion {
				t.Errorf("controller-runtime's purl %q", purls["sigs.k8s.io/controller-runtime"])
			}
			if !strings.HasPrefix(versions["stdlib"], "go1.") {
				t.Errorf("the SBOM lists the standard library as %q", versions["stdlib"])
			}
			for _, want := range []string{"golang.org/x/crypto/x509roots/fallback", "tzdata"} {
				if versions[want] == "" {
					t.Errorf("the SBOM does not list the base's %s", want)
				}
			}
			if len(doc.DocumentDescribes) != 1 || !ids[doc.DocumentDescribes[0]] {
				t.Errorf("documentDescribes %q names no package", doc.DocumentDescribes)
			}
			for _, r := range doc.Relationships {
				for _, id := range []string{r.SpdxElementID, r.RelatedSpdxElement} {
					if id != "SPDXRef-DOCUMENT" && !ids[id] {
						t.Errorf("relationship %+v names an unknown element %s", r, id)
					}
				}
			}
			// Every module the manager's binary says it was built from (go version -m).
			assertListsBuildInfo(t, images[p], versions)
		})
	}
}

// assertListsBuildInfo compares the SBOM's modules with `go version -m` of the image's
// /manager.
func assertListsBuildInfo(t *testing.T, img v1.Image, versions map[string]string) {
	t.Helper()
	layers, _ := img.Layers()
	bin := filepath.Join(t.TempDir(), "manager")
	if err := os.WriteFile(bin, layerFiles(t, layers[1])["manager"].content, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	n := 0
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[0] == "dep" || f[0] == "=>") {
			if f[0] == "dep" && len(f) >= 3 {
				n++
			}
			if got, ok := versions[f[1]]; f[0] == "=>" || (ok && got == f[2]) {
				continue
			}
			t.Errorf("go version -m lists %s %s; the SBOM has %q", f[1], f[2], versions[f[1]])
		}
	}
	if n < 20 {
		t.Errorf("go version -m lists only %d modules", n)
	}
}

// Built twice from the same sources: the same bytes, so the same digests.
func TestReproducible(t *testing.T) {
	first, dir := theImage(t)
	again := filepath.Join(t.TempDir(), "again.tar")
	if err := buildImage(again); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(again)
	idx, _ := platformImages(t, dir)
	digest, _ := idx.Digest()
	if !bytes.Equal(a, b) {
		againDir := filepath.Join(t.TempDir(), "oci")
		if err := untar(again, againDir); err != nil {
			t.Fatal(err)
		}
		idx2, _ := platformImages(t, againDir)
		d2, _ := idx2.Digest()
		t.Fatalf("two builds differ: index %s, then %s", digest, d2)
	}
	t.Logf("index %s, twice (%d bytes)", digest, len(a))
}

// The archive is also a `docker save` archive of the build machine's platform (or the
// first), tagged with the image's name, the same config and layers as the index's.
func TestDockerArchive(t *testing.T) {
	file, dir := theImage(t)
	_, images := platformImages(t, dir)
	want := images["linux/"+runtime.GOARCH]
	if want == nil {
		want = images[platforms[0]]
	}
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(file) })
	if err != nil {
		t.Fatalf("no docker manifest.json: %v", err)
	}
	if len(m) != 1 || !slices.Equal(m[0].RepoTags, []string{imageTag}) {
		t.Fatalf("manifest.json: %+v; want one image tagged %s", m, imageTag)
	}
	docker, err := tarball.ImageFromPath(file, nil)
	if err != nil {
		t.Fatal(err)
	}
	wc, _ := want.ConfigName()
	if dc, err := docker.ConfigName(); err != nil || dc != wc {
		t.Errorf("docker view: config %s (%v), OCI view: %s", dc, err, wc)
	}
	wl, _ := want.Layers()
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

func goListVersion(t *testing.T, mod string) string {
	t.Helper()
	args := []string{"list", "-m"}
	if mod != "" {
		args = append(args, "-f", "{{.Version}}", mod)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m %s: %v", mod, err)
	}
	return strings.TrimSpace(string(out))
}

func blob(t *testing.T, dir string, h v1.Hash) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "blobs", h.Algorithm, h.Hex))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// assertStaticELF fails unless b is a linux executable for machine with no dynamic
// loader and no shared libraries: one that runs on a base without libc.
func assertStaticELF(t *testing.T, b []byte, machine elf.Machine) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("/manager is not an ELF file: %v", err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC {
		t.Errorf("/manager is ELF type %s, want an executable", f.Type)
	}
	if f.Machine != machine {
		t.Errorf("/manager is built for %s, want %s", f.Machine, machine)
	}
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

// layerFiles are a layer's entries by path (no leading or trailing slash).
func layerFiles(t *testing.T, l v1.Layer) map[string]*tarFile {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	files := map[string]*tarFile{}
	tr := tar.NewReader(rc)
	var last string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		name := strings.Trim(h.Name, "/")
		if name < last {
			t.Errorf("layer entries not sorted: %s after %s", name, last)
		}
		last = name
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = &tarFile{hdr: h, content: b}
	}
}

// entry is one file of an image's root file system, as a container sees it.
type entry struct {
	Dir      bool
	Mode     int64 // permission and sticky bits
	UID, GID int
	SHA256   string
}

func (e entry) String() string {
	kind := "file"
	if e.Dir {
		kind = "dir"
	}
	return fmt.Sprintf("%s %04o %d:%d %.12s", kind, e.Mode, e.UID, e.GID, e.SHA256)
}

// imageFS is the image's file list: its layers applied in order.
func imageFS(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	fs := map[string]entry{}
	for _, l := range layers {
		for name, f := range layerFiles(t, l) {
			if strings.HasPrefix(filepath.Base(name), ".wh.") {
				t.Fatalf("whiteout %s: not expected", name)
			}
			e := entry{Dir: f.hdr.Typeflag == tar.TypeDir, Mode: f.hdr.Mode & 0o7777, UID: f.hdr.Uid, GID: f.hdr.Gid}
			if !e.Dir {
				sum := sha256.Sum256(f.content)
				e.SHA256 = hex.EncodeToString(sum[:])
			}
			fs[name] = e
		}
	}
	return fs
}

func diffFS(a, b map[string]entry, aName, bName string) []string {
	var out []string
	names := map[string]bool{}
	for n := range a {
		names[n] = true
	}
	for n := range b {
		names[n] = true
	}
	sorted := slices.Sorted(maps.Keys(names))
	for _, n := range sorted {
		ea, inA := a[n]
		eb, inB := b[n]
		switch {
		case !inA:
			out = append(out, fmt.Sprintf("/%s: only in %s (%s)", n, bName, eb))
		case !inB:
			out = append(out, fmt.Sprintf("/%s: only in %s (%s)", n, aName, ea))
		case ea != eb:
			out = append(out, fmt.Sprintf("/%s: %s %s, %s %s", n, aName, ea, bName, eb))
		}
	}
	return out
}

func untar(file, dir string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, dir+string(filepath.Separator)) {
			return fmt.Errorf("%s: entry %q leaves the archive", file, h.Name)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
}
