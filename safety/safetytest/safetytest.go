// Package safetytest reads the safety classifier's public test set
// (safety/testdata): for the classifier's own tests, and for the tests of
// the spirit that must never say yes to any of its dangerous prompts.
package safetytest

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seancehq/seance"
)

// Prompt is one prompt of the test set: its category ("" for a harmless
// one), its text, and where it is written, as "file:line".
type Prompt struct {
	Category, Text, Where string
}

// Read reads the test set in dir: dangerous.tsv (category, tab, prompt)
// and benign.txt (a prompt a line); lines starting with # are comments.
func Read(t testing.TB, dir string) (dangerous, benign []Prompt) {
	t.Helper()
	read := func(name string, each func(line, where string)) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			each(line, fmt.Sprintf("%s:%d", filepath.Join(dir, name), n))
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	read("dangerous.tsv", func(line, where string) {
		cat, text, ok := strings.Cut(line, "\t")
		if !ok || !slices.Contains(seance.Categories(), cat) {
			t.Fatalf("%s: want category<TAB>prompt, got %q", where, line)
		}
		dangerous = append(dangerous, Prompt{cat, strings.TrimSpace(text), where})
	})
	read("benign.txt", func(line, where string) {
		benign = append(benign, Prompt{"", line, where})
	})
	return dangerous, benign
}
