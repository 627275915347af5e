package spirit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/seancehq/seance"
)

// Limits of a persona file. A persona's name is the spirit's name on every
// answer and its rules a model's system prompt: both stay small.
const (
	maxPersonaFile   = 64 << 10
	maxPersonaID     = 64
	maxPersonaName   = 100
	maxPersonaDesc   = 300
	personaFileExt   = ".md"
	frontMatterFence = "---"
)

// LoadPersonas reads the custom personas in dir: every *.md file, in name
// order, each a front matter of "key: value" lines between two "---" lines
// (id, name, description) followed by the voice rules as free text.
//
// A bad file is reported in problems, one line naming it, and skipped: a
// typo in one persona must not keep the séances of the others from starting.
// An id already taken by a built-in persona or by an earlier file is a
// problem too, so that a file can never silently replace a persona that
// séances already use. An empty dir means no custom personas.
func LoadPersonas(dir string) (personas []seance.Persona, problems []error) {
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, []error{fmt.Errorf("spirits dir %s: %w", dir, err)}
	}
	taken := map[string]string{}
	for _, p := range BuiltinPersonas() {
		taken[p.ID] = "a built-in persona"
	}
	for _, e := range entries {
		name := e.Name()
		// Editors leave hidden lock and swap files beside the real ones.
		if e.IsDir() || strings.HasPrefix(name, ".") || !strings.EqualFold(filepath.Ext(name), personaFileExt) {
			continue
		}
		path := filepath.Join(dir, name)
		p, err := readPersonaFile(path)
		if err != nil {
			problems = append(problems, fmt.Errorf("persona file %s: %w", path, err))
			continue
		}
		if owner, ok := taken[p.ID]; ok {
			problems = append(problems, fmt.Errorf("persona file %s: id %q is already used by %s", path, p.ID, owner))
			continue
		}
		taken[p.ID] = path
		personas = append(personas, p)
	}
	return personas, problems
}

func readPersonaFile(path string) (seance.Persona, error) {
	f, err := os.Open(path)
	if err != nil {
		return seance.Persona{}, bare(err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPersonaFile+1))
	if err != nil {
		return seance.Persona{}, bare(err)
	}
	if len(b) > maxPersonaFile {
		return seance.Persona{}, fmt.Errorf("larger than %d KiB", maxPersonaFile>>10)
	}
	if !utf8.Valid(b) {
		return seance.Persona{}, errors.New("not UTF-8 text")
	}
	return parsePersona(string(b))
}

// parsePersona reads one persona file's text. Only the three keys are known;
// any other key is refused rather than ignored, because a misspelt "name"
// would otherwise pass as a persona with no name.
func parsePersona(text string) (seance.Persona, error) {
	text = strings.TrimPrefix(text, "\uFEFF")
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), maxPersonaFile+1)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return strings.TrimRight(sc.Text(), " \t\r"), true
	}
	first, ok := next()
	for ok && strings.TrimSpace(first) == "" {
		first, ok = next()
	}
	if !ok || first != frontMatterFence {
		return seance.Persona{}, errors.New(`no front matter: the file must begin with a "---" line, then id:, name:, description:, then "---"`)
	}
	var p seance.Persona
	seen := map[string]bool{}
	closed := false
	for {
		l, ok := next()
		if !ok {
			break
		}
		if l == frontMatterFence {
			closed = true
			break
		}
		if strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "#") {
			continue
		}
		key, value, found := strings.Cut(l, ":")
		if !found {
			return seance.Persona{}, fmt.Errorf("line %d: want \"key: value\", got %q (is the closing \"---\" missing?)", line, l)
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = unquote(strings.TrimSpace(value))
		if seen[key] {
			return seance.Persona{}, fmt.Errorf("line %d: %s given twice", line, key)
		}
		seen[key] = true
		switch key {
		case "id":
			p.ID = value
		case "name":
			p.Name = value
		case "description":
			p.Description = value
		default:
			return seance.Persona{}, fmt.Errorf("line %d: unknown key %q (want id, name or description)", line, key)
		}
	}
	if err := sc.Err(); err != nil {
		return seance.Persona{}, err
	}
	if !closed {
		return seance.Persona{}, errors.New(`front matter is not closed by a "---" line`)
	}
	var rules strings.Builder
	for {
		l, ok := next()
		if !ok {
			break
		}
		rules.WriteString(l)
		rules.WriteByte('\n')
	}
	p.Rules = strings.TrimSpace(rules.String())

	switch {
	case p.ID == "":
		return seance.Persona{}, errors.New("missing id in the front matter")
	case !validPersonaID(p.ID):
		return seance.Persona{}, fmt.Errorf("id %q: use 1–%d lower-case letters, digits and hyphens", p.ID, maxPersonaID)
	case p.Name == "":
		return seance.Persona{}, errors.New("missing name in the front matter")
	case utf8.RuneCountInString(p.Name) > maxPersonaName:
		return seance.Persona{}, fmt.Errorf("name longer than %d characters", maxPersonaName)
	case utf8.RuneCountInString(p.Description) > maxPersonaDesc:
		return seance.Persona{}, fmt.Errorf("description longer than %d characters", maxPersonaDesc)
	case p.Rules == "":
		return seance.Persona{}, errors.New("no voice rules after the front matter (they are the spirit's character)")
	}
	return p, nil
}

// validPersonaID keeps ids to what a URL, a JSON field and a log line carry
// without escaping, which is how clients pass them around.
func validPersonaID(id string) bool {
	if id == "" || len(id) > maxPersonaID || id[0] == '-' || id[len(id)-1] == '-' {
		return false
	}
	for _, r := range id {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// bare drops the path from a file error: the caller's message names the
// file already.
func bare(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
