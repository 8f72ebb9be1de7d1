package main

import (
	"archive/zip"
	"bytes"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/crypto/x509roots/fallback/bundle"
)

// Nonroot is distroless's nonroot user and group, which the Deployment's
// runAsNonRoot needs as a number.
const Nonroot = 65532

// CABundle is where the base keeps the CA certificates, as Debian and distroless do;
// Go's crypto/x509 reads it there on linux, and SSL_CERT_FILE names it for others.
const CABundle = "etc/ssl/certs/ca-certificates.crt"

// Zoneinfo is where the base keeps the time zone database (Go's time package and libc
// both look there).
const Zoneinfo = "usr/share/zoneinfo"

// Env is the image's environment, as distroless/static sets it.
var Env = []string{
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"SSL_CERT_FILE=/" + CABundle,
}

// File is one entry of a layer (and of the image's file list).
type File struct {
	Path     string // relative to /, no trailing slash
	Mode     int64  // permission bits (and sticky)
	UID, GID int
	Dir      bool
	Content  []byte
}

// Source is where a part of the base came from, for the SBOM.
type Source struct {
	Name, Version, Supplier, Download, Purl, Comment string
}

// Base is distroless/static:nonroot's content built from files instead of pulled:
// the users root, nobody and nonroot (65532), their homes, /tmp, the CA bundle of
// Mozilla's NSS roots as golang.org/x/crypto/x509roots/fallback carries them (a Go
// module, pinned by go.sum) and the IANA time zone database as the Go toolchain
// carries it ($GOROOT/lib/time/zoneinfo.zip). No shell, no package manager, no libc.
type Base struct {
	Files   []File
	Sources []Source
}

// BuildBase assembles the base. goroot is the toolchain's GOROOT (for zoneinfo.zip).
func BuildBase(goroot string) (*Base, error) {
	b := &Base{Files: []File{
		{Path: "etc", Mode: 0o755, Dir: true},
		{Path: "etc/passwd", Mode: 0o644, Content: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
				"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{Path: "etc/group", Mode: 0o644, Content: []byte("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n")},
		{Path: "etc/nsswitch.conf", Mode: 0o644, Content: []byte("hosts: files dns\n")},
		{Path: "home", Mode: 0o755, Dir: true},
		{Path: "home/nonroot", Mode: 0o700, UID: Nonroot, GID: Nonroot, Dir: true},
		{Path: "root", Mode: 0o700, Dir: true},
		{Path: "tmp", Mode: 0o1777, Dir: true},
	}}
	ca, src, err := caBundle()
	if err != nil {
		return nil, err
	}
	b.Files = append(b.Files, File{Path: CABundle, Mode: 0o644, Content: ca})
	b.Sources = append(b.Sources, src)
	zones, src, err := zoneinfo(goroot)
	if err != nil {
		return nil, err
	}
	b.Files = append(b.Files, zones...)
	b.Sources = append(b.Sources, src)
	b.Files = withParents(b.Files)
	return b, nil
}

// caBundle is the PEM bundle of the NSS roots that carry no extra constraint. A root
// NSS distrusts for certificates issued after a date cannot say so in a PEM bundle, so
// it is left out rather than trusted without its limit.
func caBundle() ([]byte, Source, error) {
	var buf bytes.Buffer
	n := 0
	for root := range bundle.Roots() {
		if root.Constraint != nil {
			continue
		}
		if err := pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: root.Certificate}); err != nil {
			return nil, Source{}, err
		}
		n++
	}
	if n == 0 {
		return nil, Source{}, fmt.Errorf("golang.org/x/crypto/x509roots/fallback/bundle holds no roots")
	}
	version := moduleVersion("golang.org/x/crypto/x509roots/fallback")
	return buf.Bytes(), Source{
		Name:     "golang.org/x/crypto/x509roots/fallback",
		Version:  version,
		Supplier: "Organization: The Go Authors",
		Download: "https://proxy.golang.org/golang.org/x/crypto/x509roots/fallback/@v/" + version + ".zip",
		Purl:     "pkg:golang/golang.org/x/crypto/x509roots/fallback@" + version,
		Comment:  fmt.Sprintf("Mozilla NSS root certificates, %d of them, written to /%s", n, CABundle),
	}, nil
}

// zoneinfo unpacks the toolchain's zoneinfo.zip under usr/share/zoneinfo.
func zoneinfo(goroot string) ([]File, Source, error) {
	zipPath := filepath.Join(goroot, "lib", "time", "zoneinfo.zip")
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return nil, Source{}, fmt.Errorf("the time zone database: %w", err)
	}
	defer zr.Close()
	var files []File
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, Source{}, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, Source{}, err
		}
		files = append(files, File{Path: path.Join(Zoneinfo, path.Clean(f.Name)), Mode: 0o644, Content: b})
	}
	if len(files) == 0 {
		return nil, Source{}, fmt.Errorf("%s is empty", zipPath)
	}
	version := "NOASSERTION"
	if b, err := os.ReadFile(filepath.Join(goroot, "lib", "time", "update.bash")); err == nil {
		if m := regexp.MustCompile(`(?m)^DATA=(\S+)`).FindSubmatch(b); m != nil {
			version = string(m[1])
		}
	}
	return files, Source{
		Name:     "tzdata",
		Version:  version,
		Supplier: "Organization: IANA",
		Download: "https://data.iana.org/time-zones/releases/tzdata" + version + ".tar.gz",
		Purl:     "pkg:generic/tzdata@" + version,
		Comment:  fmt.Sprintf("the IANA time zone database as the Go toolchain carries it (lib/time/zoneinfo.zip), %d zones under /%s", len(files), Zoneinfo),
	}, nil
}

// withParents adds every missing parent directory (0755, root) and sorts by path.
func withParents(files []File) []File {
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	out := append([]File(nil), files...)
	for _, f := range files {
		for d := path.Dir(f.Path); d != "." && !have[d]; d = path.Dir(d) {
			have[d] = true
			out = append(out, File{Path: d, Mode: 0o755, Dir: true})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// moduleVersion is the version of a module in this build's go.mod.
func moduleVersion(mod string) string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", mod).Output()
	if err != nil || len(bytes.TrimSpace(out)) == 0 {
		return "NOASSERTION"
	}
	return string(bytes.TrimSpace(out))
}

// WriteRootfs writes files under dir as they are in the layer (modes, owners when
// running as root), for the Dockerfile's builder stage to COPY.
func WriteRootfs(dir string, files []File) error {
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if f.Dir {
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		} else if err := os.WriteFile(p, f.Content, 0o644); err != nil {
			return err
		}
		if err := os.Chmod(p, os.FileMode(f.Mode&0o777)|stickyBit(f.Mode)); err != nil {
			return err
		}
		if os.Geteuid() == 0 {
			if err := os.Lchown(p, f.UID, f.GID); err != nil {
				return err
			}
		}
	}
	return nil
}

func stickyBit(mode int64) os.FileMode {
	if mode&0o1000 != 0 {
		return os.ModeSticky
	}
	return 0
}
