package procorem

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEmailDocShowsTheRealOutput: docs/email.md's examples of kubectl procorem recipients
// are the golden outputs, so they stay true when the output changes.
func TestEmailDocShowsTheRealOutput(t *testing.T) {
	doc, err := os.ReadFile("../../docs/email.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"recipients", "recipients-digest"} {
		golden, err := os.ReadFile(filepath.Join("testdata", "golden", name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		_, out, _ := strings.Cut(string(golden), "\n")
		if !strings.Contains(string(doc), out) {
			t.Errorf("docs/email.md does not show the current output of %s (testdata/golden/%s.txt)", name, name)
		}
	}
}
