package spirit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seancehq/seance"
)

func TestLoadPersonasExamples(t *testing.T) {
	personas, problems := LoadPersonas("testdata/spirits")
	if len(problems) > 0 {
		t.Fatalf("problems in the example personas: %v", problems)
	}
	if len(personas) != 2 {
		t.Fatalf("got %d personas, want 2", len(personas))
	}
	keeper := personas[0]
	if keeper.ID != "lighthouse-keeper" || keeper.Name != "Keeper Wren" ||
		!strings.HasPrefix(keeper.Description, "The keeper of the Skerry Light") ||
		!strings.HasPrefix(keeper.Rules, "You are Keeper Wren") || !strings.HasSuffix(keeper.Rules, "after 1911.") {
		t.Errorf("lighthouse-keeper.md read as %+v", keeper)
	}
	if personas[1].Name != "The Night Librarian" {
		t.Errorf("a quoted name keeps no quotes: got %q", personas[1].Name)
	}
	// The catalog takes them after the built-ins.
	cat := NewCatalog(append(BuiltinPersonas(), personas...))
	if !cat.HasSpirit("night-librarian") || cat.DefaultSpirit() != DefaultPersona {
		t.Error("custom personas are not in the catalog, or displaced the default")
	}
}

func TestLoadPersonasMixed(t *testing.T) {
	personas, problems := LoadPersonas("testdata/spirits-mixed")
	var ids []string
	for _, p := range personas {
		ids = append(ids, p.ID)
	}
	if strings.Join(ids, ",") != "lighthouse-keeper,night-librarian" {
		t.Errorf("loaded %v, want the two good files", ids)
	}
	want := map[string]string{
		"missing-id.md":          "missing id",
		"missing-name.md":        "missing name",
		"no-front-matter.md":     "no front matter",
		"sibyl-copy.md":          `id "sibyl" is already used by a built-in persona`,
		"unclosed.md":            `closing "---" missing`,
		"zz-lighthouse-again.md": "already used by " + filepath.Join("testdata/spirits-mixed", "lighthouse-keeper.md"),
	}
	if len(problems) != len(want) {
		t.Errorf("%d problems, want %d: %v", len(problems), len(want), problems)
	}
	for _, p := range problems {
		msg := p.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("problem on several lines: %q", msg)
		}
		found := false
		for file, why := range want {
			if strings.Contains(msg, file) {
				found = true
				if !strings.Contains(msg, why) {
					t.Errorf("%q: want it to say %q", msg, why)
				}
			}
		}
		if !found {
			t.Errorf("unexpected problem: %q", msg)
		}
	}
}

func TestLoadPersonasFiles(t *testing.T) {
	good := "---\nid: good\nname: Good\ndescription: fine\n---\nBe good.\n"
	tests := []struct {
		name    string
		content string
		want    string // in the problem; "" for none
		check   func(seance.Persona) bool
	}{
		{"good", good, "", func(p seance.Persona) bool { return p.ID == "good" && p.Rules == "Be good." }},
		{"crlf and bom", "\uFEFF---\r\nid: crlf\r\nname: CRLF\r\n---\r\nRules.\r\n", "",
			func(p seance.Persona) bool { return p.ID == "crlf" && p.Name == "CRLF" && p.Rules == "Rules." }},
		{"comments and blank lines", "\n---\n# who\nid: c\n\nname: C\n---\n\nRules.\n\n", "",
			func(p seance.Persona) bool { return p.ID == "c" && p.Description == "" }},
		{"colon in value", "---\nid: x\nname: Mr. X: the Second\n---\nR.\n", "",
			func(p seance.Persona) bool { return p.Name == "Mr. X: the Second" }},
		{"empty", "", "no front matter", nil},
		{"no rules", "---\nid: x\nname: X\n---\n", "no voice rules", nil},
		{"bad id", "---\nid: Bad Id!\nname: X\n---\nR.\n", `id "Bad Id!"`, nil},
		{"unknown key", "---\nid: x\nname: X\nvoice: deep\n---\nR.\n", `unknown key "voice"`, nil},
		{"key twice", "---\nid: x\nid: y\nname: X\n---\nR.\n", "id given twice", nil},
		{"not key value", "---\nid: x\nname X\n---\nR.\n", "line 3", nil},
		{"long name", "---\nid: x\nname: " + strings.Repeat("n", 101) + "\n---\nR.\n", "name longer", nil},
		{"too big", "---\nid: x\nname: X\n---\n" + strings.Repeat("r", maxPersonaFile), "larger than", nil},
		{"not utf-8", "---\nid: x\nname: \xff\n---\nR.\n", "not UTF-8", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "p.md"), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			personas, problems := LoadPersonas(dir)
			if tt.want == "" {
				if len(problems) > 0 || len(personas) != 1 || !tt.check(personas[0]) {
					t.Fatalf("got %+v, %v", personas, problems)
				}
				return
			}
			if len(personas) != 0 || len(problems) != 1 {
				t.Fatalf("got %+v, %v; want one problem", personas, problems)
			}
			if msg := problems[0].Error(); !strings.Contains(msg, tt.want) || !strings.Contains(msg, "p.md") {
				t.Errorf("problem %q, want it to name p.md and say %q", msg, tt.want)
			}
		})
	}
}

func TestLoadPersonasDirectory(t *testing.T) {
	if p, problems := LoadPersonas(""); p != nil || problems != nil {
		t.Errorf("no dir: %v, %v", p, problems)
	}
	_, problems := LoadPersonas(filepath.Join(t.TempDir(), "nowhere"))
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "nowhere") {
		t.Errorf("missing dir: %v", problems)
	}

	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", "---\nid: a\nname: A\n---\nR.\n")
	write(".hidden.md", "junk")
	write("notes.txt", "junk")
	write("B.MD", "---\nid: b\nname: B\n---\nR.\n")
	if err := os.Mkdir(filepath.Join(dir, "sub.md"), 0o755); err != nil {
		t.Fatal(err)
	}
	// Unreadable: a link to nothing (permissions would not stop root).
	if err := os.Symlink(filepath.Join(dir, "gone"), filepath.Join(dir, "broken.md")); err != nil {
		t.Fatal(err)
	}
	personas, problems := LoadPersonas(dir)
	if len(personas) != 2 || personas[0].ID != "b" || personas[1].ID != "a" {
		t.Errorf("personas %+v, want B.MD and a.md", personas)
	}
	if len(problems) != 1 || !strings.Contains(problems[0].Error(), "broken.md") {
		t.Errorf("problems %v, want broken.md only", problems)
	}
}
