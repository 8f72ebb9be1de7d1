package image_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The Dockerfile, built by a container engine, lays out the same image as `make image`.
// With no engine here, the test builds the Dockerfile's layout itself: it runs the
// Dockerfile's instructions, for each platform, with the semantics of a Docker/BuildKit
// build — the builder stage's COPY from the build context into a work directory of its
// own and its RUN commands (all `go` commands, the local toolchain standing in for the
// golang image, absolute paths of the builder's file system mapped under a directory of
// the test's), then the final stage's COPY --from=builder (owners 0:0 unless --chown,
// modes kept, "dir/" copies its contents), WORKDIR, ENV, LABEL, USER and ENTRYPOINT —
// and compares that file list (path, type, mode, owner, content digest) and config with
// the image hack/image wrote. An instruction this interpreter does not know fails the
// test rather than being skipped.
func TestDockerfileLayout(t *testing.T) {
	_, dir := theImage(t)
	_, images := platformImages(t, dir)
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range platforms {
		t.Run(p, func(t *testing.T) {
			got := buildDockerfile(t, string(df), p)
			want := imageFS(t, images[p])
			if d := diffFS(want, got.fs, "make image", "Dockerfile"); len(d) > 0 {
				if len(d) > 30 {
					d = append(d[:30], fmt.Sprintf("... and %d more", len(d)-30))
				}
				t.Errorf("the Dockerfile's %s layout differs from make image's:\n%s", p, strings.Join(d, "\n"))
			}
			cf, err := images[p].ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.entrypoint, cf.Config.Entrypoint) || got.user != cf.Config.User ||
				got.workdir != cf.Config.WorkingDir || !slices.Equal(got.env, cf.Config.Env) ||
				!maps.Equal(got.labels, cf.Config.Labels) || len(cf.Config.Cmd) != 0 {
				t.Errorf("the Dockerfile's config: entrypoint %q user %q workdir %q env %q labels %v;\nmake image's: entrypoint %q user %q workdir %q env %q labels %v cmd %q",
					got.entrypoint, got.user, got.workdir, got.env, got.labels,
					cf.Config.Entrypoint, cf.Config.User, cf.Config.WorkingDir, cf.Config.Env, cf.Config.Labels, cf.Config.Cmd)
			}
		})
	}
}

// dockerImage is what the Dockerfile's final stage produces.
type dockerImage struct {
	fs         map[string]entry
	entrypoint []string
	user       string
	workdir    string
	env        []string
	labels     map[string]string
}

type instruction struct {
	line  int
	cmd   string // upper case
	flags map[string]string
	args  string
}

// parseDockerfile splits a Dockerfile into instructions (comments dropped, continued
// lines joined).
func parseDockerfile(t *testing.T, text string) []instruction {
	t.Helper()
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSuffix(trimmed, "\\") + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, rest, _ := strings.Cut(cur.String(), " ")
		in := instruction{line: start, cmd: strings.ToUpper(cmd), flags: map[string]string{}}
		rest = strings.TrimSpace(rest)
		for strings.HasPrefix(rest, "--") {
			flag, r, _ := strings.Cut(rest, " ")
			k, v, _ := strings.Cut(strings.TrimPrefix(flag, "--"), "=")
			in.flags[k] = v
			rest = strings.TrimSpace(r)
		}
		in.args = rest
		out = append(out, in)
		cur.Reset()
	}
	return out
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// expand substitutes ${VAR}, ${VAR:-default} and $VAR as Dockerfile and sh do.
func expand(s string, vars map[string]string) string {
	return varRef.ReplaceAllStringFunc(s, func(m string) string {
		sm := varRef.FindStringSubmatch(m)
		name := sm[1]
		if name == "" {
			name = sm[4]
		}
		if v := vars[name]; v != "" {
			return v
		}
		return sm[3]
	})
}

// shellWords splits a RUN command line as sh does for the simple commands the
// Dockerfile uses: words, double and single quotes; no pipes, no &&.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("|&;<>()`", r):
			t.Fatalf("RUN %q: the test's interpreter runs simple commands only", s)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// buildDockerfile builds the Dockerfile's final stage for platform (os/arch) as a file
// list, running its builder stage for real.
func buildDockerfile(t *testing.T, text, platform string) dockerImage {
	t.Helper()
	targetOS, targetArch, _ := strings.Cut(platform, "/")
	buildPlatform := "linux/" + goEnv(t, "GOARCH")
	args := map[string]string{ // BuildKit's automatic platform ARGs
		"TARGETPLATFORM": platform, "TARGETOS": targetOS, "TARGETARCH": targetArch,
		"BUILDPLATFORM": buildPlatform, "BUILDOS": "linux", "BUILDARCH": goEnv(t, "GOARCH"),
	}
	global := map[string]string{}
	var stages []*stage
	var cur *stage
	img := dockerImage{fs: map[string]entry{}, labels: map[string]string{}, workdir: "/"}
	tmp := t.TempDir()
	for _, in := range parseDockerfile(t, text) {
		where := fmt.Sprintf("Dockerfile:%d %s", in.line, in.cmd)
		if cur == nil && in.cmd != "ARG" && in.cmd != "FROM" {
			t.Fatalf("%s before FROM", where)
		}
		switch in.cmd {
		case "ARG":
			name, def, _ := strings.Cut(in.args, "=")
			if cur == nil {
				global[name] = def
				continue
			}
			v, ok := args[name]
			if !ok {
				v = global[name]
				if def != "" {
					v = def
				}
			}
			cur.vars[name] = v
		case "FROM":
			ref, name, _ := strings.Cut(expand(in.args, global), " AS ")
			ref = strings.TrimSpace(ref)
			if p := in.flags["platform"]; p != "" && expand(p, args) != buildPlatform && expand(p, args) != platform {
				t.Fatalf("%s --platform=%s: neither the build's nor the target's platform", where, p)
			}
			cur = &stage{name: strings.TrimSpace(name), scratch: ref == "scratch", vars: map[string]string{}, workdir: "/"}
			if !cur.scratch {
				// The golang image: the local toolchain stands in for it.
				if !strings.HasPrefix(ref, "golang:") {
					t.Fatalf("%s %s: the test only knows golang images and scratch", where, ref)
				}
				if !strings.Contains(ref, "@sha256:") {
					t.Errorf("%s %s: not pinned by digest", where, ref)
				}
				cur.root = filepath.Join(tmp, fmt.Sprintf("stage%d", len(stages)))
			}
			stages = append(stages, cur)
		case "WORKDIR":
			cur.workdir = path.Join(cur.workdir, expand(in.args, cur.vars))
			if cur.scratch {
				img.workdir = cur.workdir
				mkdirs(img.fs, strings.TrimPrefix(cur.workdir, "/"))
			} else if err := os.MkdirAll(cur.hostPath(cur.workdir), 0o755); err != nil {
				t.Fatal(err)
			}
		case "COPY":
			words := strings.Fields(expand(in.args, cur.vars))
			if len(words) != 2 {
				t.Fatalf("%s %q: the test knows COPY <src> <dest> only", where, in.args)
			}
			src, dst := words[0], words[1]
			if !path.IsAbs(dst) {
				dst = path.Join(cur.workdir, dst) + map[bool]string{true: "/"}[strings.HasSuffix(dst, "/")]
			}
			var from string // a directory or file on disk
			if f := in.flags["from"]; f != "" {
				var fromStage *stage
				for _, s := range stages {
					if s.name == f {
						fromStage = s
					}
				}
				if fromStage == nil || fromStage.scratch {
					t.Fatalf("%s --from=%s: no such builder stage", where, f)
				}
				from = fromStage.hostPath(src)
			} else {
				from = filepath.Join(root, filepath.FromSlash(src))
			}
			if cur.scratch {
				uid, gid := 0, 0
				if c := in.flags["chown"]; c != "" {
					if _, err := fmt.Sscanf(c, "%d:%d", &uid, &gid); err != nil {
						t.Fatalf("%s --chown=%s: the test knows numeric uid:gid only", where, c)
					}
				}
				copyInto(t, img.fs, from, src, dst, uid, gid)
			} else {
				copyOnDisk(t, from, cur.hostPath(dst), strings.HasSuffix(src, "/"))
			}
		case "RUN":
			if cur.scratch {
				t.Fatalf("%s: RUN in a scratch stage has no shell", where)
			}
			words := shellWords(t, expand(in.args, cur.vars))
			var env []string
			for len(words) > 0 && regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(words[0]) {
				env = append(env, words[0])
				words = words[1:]
			}
			if len(words) == 0 || words[0] != "go" {
				t.Fatalf("%s %q: the test runs go commands only", where, in.args)
			}
			for i, w := range words {
				if strings.HasPrefix(w, "/") {
					words[i] = cur.hostPath(w)
				}
			}
			cmd := exec.Command("go", words[1:]...)
			cmd.Dir = cur.hostPath(cur.workdir)
			cmd.Env = append(append(os.Environ(), "GOFLAGS="), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s %q: %v\n%s", where, in.args, err, out)
			}
		case "ENV":
			k, v, ok := strings.Cut(in.args, "=")
			if !ok {
				t.Fatalf("%s %q: the test knows ENV key=value only", where, in.args)
			}
			if cur.scratch {
				img.env = slices.DeleteFunc(img.env, func(e string) bool { return strings.HasPrefix(e, k+"=") })
				img.env = append(img.env, k+"="+expand(v, cur.vars))
			}
		case "LABEL":
			k, v, ok := strings.Cut(in.args, "=")
			if !ok {
				t.Fatalf("%s %q: the test knows LABEL key=value only", where, in.args)
			}
			img.labels[k] = strings.Trim(v, `"`)
		case "USER":
			img.user = expand(in.args, cur.vars)
		case "ENTRYPOINT":
			if err := json.Unmarshal([]byte(in.args), &img.entrypoint); err != nil {
				t.Fatalf("%s %q: want the exec form (a JSON array): %v", where, in.args, err)
			}
		default:
			t.Fatalf("%s: the test's Dockerfile interpreter does not know %s; teach it (test/image/dockerfile_test.go)", where, in.cmd)
		}
	}
	if cur == nil || !cur.scratch {
		t.Fatalf("the Dockerfile's final stage is not FROM scratch: its base would have to be pulled to know its files")
	}
	return img
}

// stage is one FROM of the Dockerfile.
type stage struct {
	name    string
	scratch bool
	root    string // a builder stage's file system, on disk
	vars    map[string]string
	workdir string
}

// hostPath is where a path of the builder stage's file system is on disk.
func (s *stage) hostPath(p string) string {
	if !path.IsAbs(p) {
		p = path.Join(s.workdir, p)
	}
	return filepath.Join(s.root, filepath.FromSlash(p))
}

func goEnv(t *testing.T, key string) string {
	t.Helper()
	out, err := exec.Command("go", "env", key).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// mkdirs adds the directories of p (and p) that are missing, 0755 root, as a build
// creates a WORKDIR or a COPY's destination.
func mkdirs(fsys map[string]entry, p string) {
	for d := p; d != "." && d != "" && d != "/"; d = path.Dir(d) {
		if _, ok := fsys[d]; !ok {
			fsys[d] = entry{Dir: true, Mode: 0o755}
		}
	}
}

// copyInto copies from (a file or, with src ending in "/" or being a directory, a
// directory's contents) to dst in fsys, with owners uid:gid and the source's modes.
func copyInto(t *testing.T, fsys map[string]entry, from, src, dst string, uid, gid int) {
	t.Helper()
	st, err := os.Stat(from)
	if err != nil {
		t.Fatalf("COPY %s: %v", src, err)
	}
	dst = strings.TrimPrefix(dst, "/")
	if !st.IsDir() {
		if strings.HasSuffix(dst, "/") || dst == "" {
			dst = path.Join(dst, filepath.Base(from))
		}
		mkdirs(fsys, path.Dir(dst))
		fsys[dst] = fileEntry(t, from, st, uid, gid)
		return
	}
	dst = strings.TrimSuffix(dst, "/")
	if dst != "" {
		mkdirs(fsys, dst)
	}
	err = filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if rel == "." {
			return nil
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fsys[path.Join(dst, filepath.ToSlash(rel))] = fileEntry(t, p, info, uid, gid)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func fileEntry(t *testing.T, p string, info os.FileInfo, uid, gid int) entry {
	t.Helper()
	mode := int64(info.Mode().Perm())
	if info.Mode()&os.ModeSticky != 0 {
		mode |= 0o1000
	}
	if info.Mode()&^(os.ModePerm|os.ModeSticky|os.ModeDir) != 0 {
		t.Fatalf("%s: mode %s: the test copies files and directories only", p, info.Mode())
	}
	e := entry{Dir: info.IsDir(), Mode: mode, UID: uid, GID: gid}
	if !e.Dir {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		e.SHA256 = hex.EncodeToString(sum[:])
	}
	return e
}

// copyOnDisk is a builder stage's COPY from the build context.
func copyOnDisk(t *testing.T, from, to string, contents bool) {
	t.Helper()
	st, err := os.Stat(from)
	if err != nil {
		t.Fatal(err)
	}
	if !st.IsDir() {
		if strings.HasSuffix(to, string(filepath.Separator)) {
			to = filepath.Join(to, filepath.Base(from))
		}
		b, err := os.ReadFile(from)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(to), 0o755)
		}
		if err == nil {
			err = os.WriteFile(to, b, st.Mode().Perm())
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	_ = contents // a directory source always copies its contents, as Docker does
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
