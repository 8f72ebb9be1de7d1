// Command image builds the manager's container image without a container engine: the
// image the Dockerfile describes (a static manager on a distroless-like base, run as
// the nonroot user 65532), assembled with go-containerregistry and written as one tar
// file that is both an OCI image layout (index.json, blobs/) and a `docker save`
// archive (manifest.json), so `docker load`, `podman load`, `skopeo copy oci-archive:`,
// `crane push` and `kind load image-archive` all take it.
//
//	go run ./hack/image -o dist/image.tar -tag workcenter-operator:latest
//
// The image has two layers: the base (/etc/passwd and /etc/group with root, nobody and
// nonroot, /home/nonroot, /tmp) and the manager at /manager. Files have fixed owners and
// times, and the config's creation time is SOURCE_DATE_EPOCH (0 by default), so the
// same binary gives the same image digest.
package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Nonroot is distroless's nonroot user and group, which the Deployment's
// runAsNonRoot needs as a number.
const Nonroot = 65532

func main() {
	out := flag.String("o", "dist/image.tar", "the image tar file to write")
	tag := flag.String("tag", "workcenter-operator:latest", "the image's name and tag (IMG)")
	binary := flag.String("binary", "", "a manager binary already built (static, linux); empty builds ./cmd")
	arch := flag.String("arch", runtime.GOARCH, "the image's CPU architecture (GOARCH)")
	version := flag.String("version", "", "the org.opencontainers.image.version label; empty for none")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("image: ")

	ref, err := name.NewTag(*tag)
	if err != nil {
		log.Fatalf("tag %q: %v", *tag, err)
	}
	if *binary == "" {
		tmp, err := os.MkdirTemp("", "image-")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(tmp)
		*binary = filepath.Join(tmp, "manager")
		if err := buildManager(*binary, *arch); err != nil {
			log.Fatal(err)
		}
	}
	manager, err := os.ReadFile(*binary)
	if err != nil {
		log.Fatal(err)
	}
	img, err := Build(manager, *arch, *version, sourceDate())
	if err != nil {
		log.Fatal(err)
	}
	if err := WriteFile(*out, ref, img); err != nil {
		log.Fatal(err)
	}
	digest, _ := img.Digest()
	log.Printf("%s: %s %s", *out, ref, digest)
}

// buildManager builds ./cmd as the Dockerfile does: static (no cgo), for linux.
func buildManager(out, arch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd: %w", err)
	}
	return nil
}

// sourceDate is SOURCE_DATE_EPOCH, or the Unix epoch.
func sourceDate() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Unix(0, 0).UTC()
}

// file is one entry of a layer.
type file struct {
	path     string
	mode     int64
	uid, gid int
	dir      bool
	content  []byte
}

// baseFiles are what the manager needs of distroless/static:nonroot: the users, a home
// and /tmp. No shell, no package manager, no CA bundle (the manager only talks to the
// API server, with the service account's CA).
func baseFiles() []file {
	return []file{
		{path: "etc", mode: 0o755, dir: true},
		{path: "etc/passwd", mode: 0o644, content: []byte(
			"root:x:0:0:root:/root:/sbin/nologin\n" +
				"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
				"nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")},
		{path: "etc/group", mode: 0o644, content: []byte("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n")},
		{path: "etc/nsswitch.conf", mode: 0o644, content: []byte("hosts: files dns\n")},
		{path: "home", mode: 0o755, dir: true},
		{path: "home/nonroot", mode: 0o700, uid: Nonroot, gid: Nonroot, dir: true},
		{path: "root", mode: 0o700, dir: true},
		{path: "tmp", mode: 0o1777, dir: true},
	}
}

// Build assembles the image: the base layer, the manager layer, and a config that runs
// /manager as nonroot.
func Build(manager []byte, arch, version string, created time.Time) (v1.Image, error) {
	var layers []v1.Layer
	for _, files := range [][]file{
		baseFiles(),
		{{path: "manager", mode: 0o755, content: manager}},
	} {
		l, err := layer(files, created)
		if err != nil {
			return nil, err
		}
		layers = append(layers, l)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.AppendLayers(img, layers...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: created}
	cf.Author = "workcenter-operator"
	cf.Config.Entrypoint = []string{"/manager"}
	cf.Config.Cmd = nil
	cf.Config.User = fmt.Sprintf("%d:%d", Nonroot, Nonroot)
	cf.Config.WorkingDir = "/"
	cf.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cf.Config.Labels = map[string]string{
		"org.opencontainers.image.title":  "workcenter-operator",
		"org.opencontainers.image.source": "https://github.com/workcenter-io/workcenter-operator",
	}
	if version != "" {
		cf.Config.Labels["org.opencontainers.image.version"] = version
	}
	for i := range cf.History {
		cf.History[i].Created = v1.Time{Time: created}
	}
	return mutate.ConfigFile(img, cf)
}

// layer makes a gzip-compressed OCI layer of files, in order, with fixed times.
func layer(files []file, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name: f.path, Mode: f.mode, Uid: f.uid, Gid: f.gid, ModTime: mtime,
			Typeflag: tar.TypeReg, Size: int64(len(f.content)), Format: tar.FormatPAX,
		}
		if f.dir {
			h.Name, h.Typeflag, h.Size = f.path+"/", tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.content); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}

// containerdName is ref fully qualified the way containerd names images
// (docker.io/library/workcenter-operator:latest).
func containerdName(ref name.Tag) string {
	registry := ref.RegistryStr()
	if registry == name.DefaultRegistry {
		registry = "docker.io"
	}
	return registry + "/" + ref.RepositoryStr() + ":" + ref.TagStr()
}

// WriteFile writes img to path as one tar holding both an OCI image layout and a
// `docker save` manifest.json, through a temporary file renamed into place.
func WriteFile(path string, ref name.Tag, img v1.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := Write(tmp, ref, img); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Write writes img to w as an OCI image layout archive with a docker manifest.json.
func Write(w io.Writer, ref name.Tag, img v1.Image) error {
	blobs := map[string][]byte{} // path -> content
	blob := func(b []byte) (v1.Hash, string) {
		h, _, _ := v1.SHA256(bytes.NewReader(b))
		p := "blobs/sha256/" + h.Hex
		blobs[p] = b
		return h, p
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return err
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	manifestDigest, _ := blob(manifest)
	_, configPath := blob(config)
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	var layerPaths []string
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		_, p := blob(b)
		layerPaths = append(layerPaths, p)
	}

	index := v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: types.OCIManifestSchema1,
			Size:      int64(len(manifest)),
			Digest:    manifestDigest,
			Annotations: map[string]string{
				"org.opencontainers.image.ref.name": ref.TagStr(),
				"io.containerd.image.name":          containerdName(ref),
			},
		}},
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}
	dockerManifest, err := json.Marshal(tarball.Manifest{{
		Config:   configPath,
		RepoTags: []string{ref.String()},
		Layers:   layerPaths,
	}})
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	put := func(p string, b []byte) error {
		h := &tar.Header{Name: p, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
	}
	if err := put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := put("index.json", indexJSON); err != nil {
		return err
	}
	if err := put("manifest.json", dockerManifest); err != nil {
		return err
	}
	paths := make([]string, 0, len(blobs))
	for p := range blobs {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if err := put(p, blobs[p]); err != nil {
			return err
		}
	}
	return tw.Close()
}
