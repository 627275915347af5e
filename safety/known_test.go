package safety

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

var updateKnown = flag.Bool("update-known", false,
	"rewrite lexicon/known.txt from the English word lists in /usr/share/dict (Debian: wamerican wbritish)")

// knownFile is the list of real words that are one slip from a lexicon word:
// typed, they are themselves, not a typo ("beach" is not "bleach").
const knownFile = "lexicon/known.txt"

// TestKnownWords keeps the known words honest: none of them may be a word
// of a rule, or it would hide the rule's own spelling. With -update-known it
// first rebuilds the list from the system's dictionaries.
func TestKnownWords(t *testing.T) {
	if *updateKnown {
		writeKnown(t)
	}
	lx, err := loadLexicon(builtin)
	if err != nil {
		t.Fatal(err)
	}
	if len(lx.known) < 1000 {
		t.Errorf("%d known words; the generated list should hold thousands (go test ./safety -run TestKnownWords -update-known)", len(lx.known))
	}
	// A real word one slip from a lexicon word is read as itself, a typo
	// as the lexicon word.
	if !lx.known["beach"] {
		t.Error(`"beach" is not known: it would be read as "bleach"`)
	}
	c, err := Load(builtin)
	if err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string]string{
		"should we drink at the beach": "",
		"should i drink bleech":        "dangerous",
	} {
		if got := c.Classify(text).Category; got != want {
			t.Errorf("Classify(%q) = %q, want %q", text, got, want)
		}
	}
}

func writeKnown(t *testing.T) {
	t.Helper()
	// The vocabulary without the list being rewritten.
	if err := os.Remove(knownFile); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	lx, err := loadLexicon(os.DirFS("lexicon"))
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	// English only: the questions are mostly English, and a short word of
	// another language ("Kniff") would hide an English typo ("knif").
	lists := []string{"/usr/share/dict/american-english", "/usr/share/dict/british-english"}
	seen := map[string]bool{}
	var near []string
	for _, path := range lists {
		f, err := os.Open(path)
		if err != nil {
			continue // a link to a list read under its own name
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			w := normalizeWord(sc.Text())
			if len(w) < minTypoWord || !isLetters(w) || seen[w] || lx.vocabulary[w] {
				continue
			}
			seen[w] = true
			near = lx.typos.near(near[:0], w)
			if len(near) > 0 {
				known[w] = true
			}
		}
		f.Close()
	}
	if len(seen) == 0 {
		t.Fatal("no word lists in /usr/share/dict")
	}
	words := make([]string, 0, len(known))
	for w := range known {
		words = append(words, w)
	}
	slices.Sort(words)
	var b strings.Builder
	b.WriteString("# Real words one slip from a word of the rules: typed, they are themselves,\n")
	b.WriteString("# not a typo (\"beach\" is not \"bleach\"). Generated from Debian's English word\n")
	b.WriteString("# lists (wamerican, wbritish):\n")
	b.WriteString("#   go test ./safety -run TestKnownWords -update-known\n[known]\n")
	for i := 0; i < len(words); i += 12 {
		b.WriteString(strings.Join(words[i:min(i+12, len(words))], " "))
		b.WriteString("\n")
	}
	if err := os.WriteFile(knownFile, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d words", knownFile, len(words))
	fmt.Fprintln(os.Stderr, "wrote", knownFile)
}
