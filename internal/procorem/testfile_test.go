package procorem

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workcenter-io/workcenter-operator/internal/manifests"
)

// FuzzReadTestFile feeds the access test file reader arbitrary bytes: it never panics,
// and either reads a file whose every test asserts something, or says why not: one line
// naming the file, or problems each placed in the file with a message.
func FuzzReadTestFile(f *testing.F) {
	for _, glob := range []string{"testdata/*.yaml", "testdata/tests/*.yaml", "testdata/format/*.yaml", samples + "/tests/*.yaml", "../../docs/examples/access-tests/*test*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	for _, s := range []string{
		"", "tests:", "tests: 7", "manifests: x\ntests: [1]", "tests: [{name: a, check: [{}]}]", "tests: [{name: a, whoCan: [{permission: x, expect: [a, &b c, *b]}]}]",
		"a: &a [*a]\ntests: *a", "tests: [{name: a, Check: []}]\nmanifests: [.]\n", "tests: [{name: a, name: b}]", "tests: [{name: a, check: [{who: [], workCenter: [x], allow: [files.upload]}]}]\nmanifests: [.]",
		"tests: [{name: a, permissions: [{who: [a, b], workCenter: w}]}]\nmanifests: [.]", "manifests: [.]\nexpected: e.yaml",
		"tests: [{name: a, objects: [7], listWorkCenters: [{who: a, permission: files.upload, expect: []}]}]\nmanifests: [.]",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "t.yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tf, err := readTestFile(path)
		var located *manifests.LocatedError
		switch {
		case errors.As(err, &located):
			for _, p := range located.Places {
				if p.At.File != path || p.Message == "" {
					t.Fatalf("problem %+v is not placed in the file", p)
				}
			}
		case err != nil:
			if !strings.HasPrefix(err.Error(), path+": ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q: not one line naming the file", err)
			}
		default:
			if len(tf.Tests) == 0 && tf.Expected == "" || len(tf.Manifests) == 0 {
				t.Fatalf("read a file without tests or manifests: %+v", tf.TestFile)
			}
			for _, test := range tf.Tests {
				if test.Name == "" || len(test.Check)+len(test.Capabilities)+len(test.WhoCan)+len(test.Assignments)+len(test.ListWorkCenters)+len(test.Permissions) == 0 {
					t.Fatalf("read a test that asserts nothing: %+v", test)
				}
				for _, c := range test.Check {
					if len(c.Allow)+len(c.Deny) == 0 {
						t.Fatalf("read a check that asserts nothing: %+v", c)
					}
				}
				for _, w := range test.WhoCan {
					if w.Expect == nil {
						t.Fatalf("read a whoCan without expect: %+v", w)
					}
				}
				for _, l := range test.ListWorkCenters {
					if l.Expect == nil || len(l.Who) == 0 {
						t.Fatalf("read a listWorkCenters that asserts nothing: %+v", l)
					}
				}
				for _, p := range test.Permissions {
					if p.Expect == nil || len(p.Who) == 0 || len(p.WorkCenter) == 0 {
						t.Fatalf("read a permissions assertion that asserts nothing: %+v", p)
					}
				}
			}
		}
	})
}
