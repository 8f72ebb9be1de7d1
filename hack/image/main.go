// Command image builds the manager's container image without a container engine: one
// OCI image index of linux/amd64 and linux/arm64 (the manager cross-compiled static,
// CGO_ENABLED=0), on a base equivalent to distroless/static:nonroot built from files
// (base.go: users, /tmp, the CA bundle, the time zone database), run as the nonroot user
// 65532, with an SPDX 2.3 SBOM attached to each platform's image as an OCI 1.1 referrer.
// It writes one tar file that is both an OCI image layout (index.json, blobs/) and a
// `docker save` archive (manifest.json, of the build machine's platform), so
// `docker load`, `podman load`, `skopeo copy --all oci-archive:`, `oras cp -r
// --from-oci-layout`, `crane push` and `kind load image-archive` all take it.
//
//	go run ./hack/image -o dist/image.tar -tag workcenter-operator:latest
//	go run ./hack/image -rootfs /rootfs    # only the base's files, into a directory (the Dockerfile)
//
// Reproducible: the same sources and toolchain give the same digests. The manager is
// built with -trimpath and -buildvcs=false (the revision goes into a label instead, so a
// Dockerfile build without .git compiles the same binary); every tar entry is sorted,
// with fixed owners and times; every time is SOURCE_DATE_EPOCH (`make image` sets it to
// the last commit's time; 0 when unset).
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
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Labels of every image (the Dockerfile sets the same with LABEL).
var Labels = map[string]string{
	"org.opencontainers.image.title":  "workcenter-operator",
	"org.opencontainers.image.source": "https://github.com/workcenter-io/workcenter-operator",
}

func main() {
	out := flag.String("o", "dist/image.tar", "the image tar file to write")
	tag := flag.String("tag", "workcenter-operator:latest", "the image's name and tag (IMG)")
	platforms := flag.String("platforms", "linux/amd64,linux/arm64", "comma-separated os/arch list of the index")
	binary := flag.String("binary", "", "a manager binary already built (static, linux), with one platform only; empty builds ./cmd")
	version := flag.String("version", "", "the org.opencontainers.image.version label; empty for none")
	revision := flag.String("revision", "", "the org.opencontainers.image.revision label (the commit); empty for none")
	rootfs := flag.String("rootfs", "", "write only the base's files into this directory and exit (the Dockerfile's builder stage)")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("image: ")

	base, err := BuildBase(goroot())
	if err != nil {
		log.Fatal(err)
	}
	if *rootfs != "" {
		if err := WriteRootfs(*rootfs, base.Files); err != nil {
			log.Fatal(err)
		}
		return
	}
	ref, err := name.NewTag(*tag)
	if err != nil {
		log.Fatalf("tag %q: %v", *tag, err)
	}
	var plats []v1.Platform
	for _, p := range strings.Split(*platforms, ",") {
		os, arch, ok := strings.Cut(strings.TrimSpace(p), "/")
		if !ok || os != "linux" || strings.Contains(arch, "/") {
			log.Fatalf("platform %q: want linux/<arch>", p)
		}
		plats = append(plats, v1.Platform{OS: os, Architecture: arch})
	}
	if *binary != "" && len(plats) != 1 {
		log.Fatalf("-binary needs exactly one platform, not %d", len(plats))
	}
	created := sourceDate()
	b := &Build{Base: base, Created: created, Version: *version, Revision: *revision}
	tmp, err := os.MkdirTemp("", "image-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for _, p := range plats {
		bin := *binary
		if bin == "" {
			bin = filepath.Join(tmp, "manager-"+p.Architecture)
			if err := BuildManager(bin, p.Architecture); err != nil {
				log.Fatal(err)
			}
		}
		manager, err := os.ReadFile(bin)
		if err != nil {
			log.Fatal(err)
		}
		if err := b.Add(p, manager); err != nil {
			log.Fatal(err)
		}
	}
	if err := b.WriteFile(*out, ref); err != nil {
		log.Fatal(err)
	}
	idx, _ := b.Index()
	digest, _ := idx.Digest()
	log.Printf("%s: %s %s (%s)", *out, ref, digest, *platforms)
}

func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		log.Fatalf("go env GOROOT: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// BuildManager builds ./cmd as the Dockerfile does: static (no cgo), for linux/arch,
// without paths or VCS stamps, so the same sources give the same binary anywhere.
func BuildManager(out, arch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", out, "./cmd")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch, "GOFLAGS=")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd for linux/%s: %w", arch, err)
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

// Build collects the platforms' images and their SBOMs.
type Build struct {
	Base              *Base
	Created           time.Time
	Version, Revision string

	images []platformImage
}

type platformImage struct {
	platform v1.Platform
	image    v1.Image
	sbom     []byte
}

// Add builds the image of one platform around manager, and its SBOM.
func (b *Build) Add(p v1.Platform, manager []byte) error {
	var layers []v1.Layer
	for _, files := range [][]File{b.Base.Files, {{Path: "manager", Mode: 0o755, Content: manager}}} {
		l, err := layer(files, b.Created)
		if err != nil {
			return err
		}
		layers = append(layers, l)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, mutate.Addendum{Layer: layers[0], History: v1.History{
		CreatedBy: "base: distroless/static:nonroot equivalent (hack/image/base.go)", Created: v1.Time{Time: b.Created}}},
		mutate.Addendum{Layer: layers[1], History: v1.History{
			CreatedBy: "COPY manager /manager", Created: v1.Time{Time: b.Created}}})
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = p.OS, p.Architecture, p.Variant
	cf.Created = v1.Time{Time: b.Created}
	cf.Author = "workcenter-operator"
	cf.Config.Entrypoint = []string{"/manager"}
	cf.Config.Cmd = nil
	cf.Config.User = fmt.Sprintf("%d:%d", Nonroot, Nonroot)
	cf.Config.WorkingDir = "/"
	cf.Config.Env = append([]string(nil), Env...)
	cf.Config.Labels = map[string]string{}
	for k, v := range Labels {
		cf.Config.Labels[k] = v
	}
	if b.Version != "" {
		cf.Config.Labels["org.opencontainers.image.version"] = b.Version
	}
	if b.Revision != "" {
		cf.Config.Labels["org.opencontainers.image.revision"] = b.Revision
	}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return err
	}
	// Annotated like buildx's images, so registries show the creation time and source.
	img = mutate.Annotations(img, map[string]string{
		"org.opencontainers.image.created": b.Created.Format(time.RFC3339),
		"org.opencontainers.image.source":  Labels["org.opencontainers.image.source"],
	}).(v1.Image)
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	version := b.Version
	if version == "" {
		version = b.Revision
	}
	if version == "" {
		version = "(devel)"
	}
	sbom, err := SBOM(manager, p.OS+"/"+p.Architecture, digest.String(), version, b.Base, b.Created)
	if err != nil {
		return err
	}
	b.images = append(b.images, platformImage{platform: p, image: img, sbom: sbom})
	return nil
}

// Index is the OCI image index of the platforms' images, in the order added.
func (b *Build) Index() (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range b.images {
		p := pi.platform
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: pi.image, Descriptor: v1.Descriptor{
			MediaType: types.OCIManifestSchema1, Platform: &p,
		}})
	}
	idx = mutate.Annotations(idx, map[string]string{
		"org.opencontainers.image.created": b.Created.Format(time.RFC3339),
	}).(v1.ImageIndex)
	return idx, nil
}

// layer makes a gzip-compressed OCI layer of files, in order, with fixed times.
func layer(files []File, mtime time.Time) (v1.Layer, error) {
	files = append([]File(nil), files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name: f.Path, Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: mtime,
			Typeflag: tar.TypeReg, Size: int64(len(f.Content)), Format: tar.FormatPAX,
		}
		if f.Dir {
			h.Name, h.Typeflag, h.Size = f.Path+"/", tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Content); err != nil {
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

// WriteFile writes the build to path as one tar holding both an OCI image layout and a
// `docker save` manifest.json, through a temporary file renamed into place.
func (b *Build) WriteFile(path string, ref name.Tag) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := b.Write(tmp, ref); err != nil {
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

// emptyConfig is the OCI empty descriptor's content, the config of an artifact.
var emptyConfig = []byte("{}")

// Write writes the build to w: an OCI image layout whose index.json names the image
// index by the tag and lists each SBOM's referrer manifest (as `oras attach` to an OCI
// layout does: no name and no platform, so no tool takes it for a runnable image), plus a `docker save` manifest.json of the build machine's platform
// (or the first).
func (b *Build) Write(w io.Writer, ref name.Tag) error {
	blobs := map[string][]byte{} // path -> content
	blob := func(content []byte) (v1.Hash, string) {
		h, _, _ := v1.SHA256(bytes.NewReader(content))
		p := "blobs/sha256/" + h.Hex
		blobs[p] = content
		return h, p
	}
	idx, err := b.Index()
	if err != nil {
		return err
	}
	rawIndex, err := idx.RawManifest()
	if err != nil {
		return err
	}
	indexDigest, _ := blob(rawIndex)
	indexMediaType, _ := idx.MediaType()
	top := []v1.Descriptor{{
		MediaType: indexMediaType,
		Size:      int64(len(rawIndex)),
		Digest:    indexDigest,
		Annotations: map[string]string{
			"org.opencontainers.image.ref.name": ref.TagStr(),
			"io.containerd.image.name":          containerdName(ref),
		},
	}}
	var docker tarball.Manifest
	for i, pi := range b.images {
		manifest, err := pi.image.RawManifest()
		if err != nil {
			return err
		}
		config, err := pi.image.RawConfigFile()
		if err != nil {
			return err
		}
		manifestDigest, _ := blob(manifest)
		_, configPath := blob(config)
		layers, err := pi.image.Layers()
		if err != nil {
			return err
		}
		var layerPaths []string
		for _, l := range layers {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			c, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				return err
			}
			_, p := blob(c)
			layerPaths = append(layerPaths, p)
		}
		if pi.platform.Architecture == runtime.GOARCH || (i == 0 && !b.has(runtime.GOARCH)) {
			docker = tarball.Manifest{{Config: configPath, RepoTags: []string{ref.String()}, Layers: layerPaths}}
		}

		// The SBOM: an OCI 1.1 artifact manifest whose subject is this platform's image.
		sbomDigest, _ := blob(pi.sbom)
		emptyDigest, _ := blob(emptyConfig)
		artifact := v1.Manifest{
			SchemaVersion: 2,
			MediaType:     types.OCIManifestSchema1,
			Config: v1.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Size: int64(len(emptyConfig)),
				Digest: emptyDigest, Data: emptyConfig},
			Layers: []v1.Descriptor{{MediaType: SPDXMediaType, Size: int64(len(pi.sbom)), Digest: sbomDigest,
				Annotations: map[string]string{"org.opencontainers.image.title": "sbom.spdx.json"}}},
			Subject:      &v1.Descriptor{MediaType: types.OCIManifestSchema1, Size: int64(len(manifest)), Digest: manifestDigest},
			ArtifactType: SPDXMediaType,
			Annotations: map[string]string{
				"org.opencontainers.image.created": b.Created.Format(time.RFC3339),
			},
		}
		rawArtifact, err := json.Marshal(artifact)
		if err != nil {
			return err
		}
		artifactDigest, _ := blob(rawArtifact)
		top = append(top, v1.Descriptor{
			MediaType: types.OCIManifestSchema1, Size: int64(len(rawArtifact)), Digest: artifactDigest,
			ArtifactType: SPDXMediaType,
			Annotations: map[string]string{
				"org.opencontainers.image.created": b.Created.Format(time.RFC3339),
				// Which image it describes, for tools that list index.json without
				// following subjects.
				"vnd.workcenter.sbom.subject": manifestDigest.String(),
			},
		})
	}
	layoutIndex, err := json.Marshal(v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: top})
	if err != nil {
		return err
	}
	dockerManifest, err := json.Marshal(docker)
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	epoch := time.Unix(0, 0)
	put := func(p string, content []byte) error {
		h := &tar.Header{Name: p, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg, ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(content)
		return err
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Name: d, Mode: 0o755, Typeflag: tar.TypeDir, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	if err := put("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	if err := put("index.json", layoutIndex); err != nil {
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

func (b *Build) has(arch string) bool {
	for _, pi := range b.images {
		if pi.platform.Architecture == arch {
			return true
		}
	}
	return false
}
