package safety

import (
	"fmt"
	"slices"
	"strings"
)

// A rule of the lexicon is one line: words to find in a row, written as
//
//	word          that word (in any spelling: see normalize.go)
//	word*         any word that begins so
//	=word         that word exactly: never reached from a typo (for words one
//	              slip from harmless words of other languages, as slurs are)
//	a|b|c         any of these words
//	(a b|c|d e)   any of these, each one or more words
//	@class        any word of a class defined in the same file ("@pills = pill pills tablet*")
//	x?            the element x, or nothing: "my?", "(a|the)?"
//	_             any one word
//	#             a number, in digits or words ("30", "thirty", "a dozen")
//	...           up to four words, any
//	$             the end of the text
//
// Rules must begin with a word, a prefix, a class or a group, which is what
// the classifier looks them up by.

// maxGap is how many words "..." may stand for.
const maxGap = 4

type elem struct {
	words    []string // exact words, as written
	ids      []uint32 // the same words' ids (see lexicon.intern), sorted
	prefixes []string
	phrases  [][]elem // alternatives of several words, each word an elem
	exact    []string // words no typo reaches (written =word)
	// starts are the ids and prefixes a token it matches may have as its
	// first word: its own, and the first words of its phrases.
	startIDs      []uint32
	startPrefixes []string
	any           bool // "_"
	number        bool // "#"
	end           bool // "$"
	gap           bool // "..."
	optional      bool
}

func (e *elem) match(t *token) bool {
	if e.any {
		return true
	}
	if t.guard {
		return false
	}
	if e.number && isNumber(t.word) {
		return true
	}
	return t.in(e.ids, e.prefixes)
}

// in reports whether the token, or a word it may be a typo of, is one of
// ids or begins with one of prefixes.
func (t *token) in(ids []uint32, prefixes []string) bool {
	if wordIn(ids, prefixes, t.id, t.word) {
		return true
	}
	for i, n := range t.near {
		if wordIn(ids, prefixes, t.nearIDs[i], n) {
			return true
		}
	}
	return false
}

// wordIn reports whether the word w, of id id (0 if it is in no rule), is
// one of the sorted ids or begins with one of prefixes.
func wordIn(ids []uint32, prefixes []string, id uint32, w string) bool {
	if id != 0 {
		if len(ids) < 16 {
			for _, x := range ids {
				if x == id {
					return true
				}
			}
		} else if _, ok := slices.BinarySearch(ids, id); ok {
			return true
		}
	}
	for _, p := range prefixes {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// rule is one compiled line of the lexicon.
type rule struct {
	category string // or "" for a harmless phrase or a caution
	caution  bool   // a word of [caution]
	// needs are, for each element that has them, the words one of which a
	// text must have for the rule to match. They are checked before the
	// rule is tried: most rules begin with a common word ("should", "i")
	// and go on to a rare one, which most texts lack.
	needs  [][]uint32
	rank   int // of the category: lower is more serious
	n      int // its place in the lexicon
	elems  []elem
	source string // file:line, to say which rule matched
}

// present reports whether the text has a word of each of the rule's needs:
// if not, it cannot match. ids are the text's word ids, sorted; bits has
// the bit of each set.
func (r *rule) present(ids []uint32, bits []uint64) bool {
	for _, need := range r.needs {
		found := false
		if len(need) <= 2*len(ids) {
			for _, id := range need {
				if bits[id/64]&(1<<(id%64)) != 0 {
					found = true
					break
				}
			}
		} else {
			for _, id := range ids {
				if _, found = slices.BinarySearch(need, id); found {
					break
				}
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// setNeeds lists what the rule needs, once its words have ids.
func (r *rule) setNeeds() {
	for i := range r.elems {
		if set, ok := r.elems[i].needs(); ok {
			r.needs = append(r.needs, set)
		}
	}
}

// needs returns the words one of which e cannot match without: its own,
// and the last of each of its phrases. It has none to offer when it may
// match nothing, or a word by its beginning or its shape.
func (e *elem) needs() ([]uint32, bool) {
	if e.optional || e.gap || e.any || e.number || e.end || len(e.prefixes) > 0 {
		return nil, false
	}
	set := slices.Clone(e.ids)
	for _, ph := range e.phrases {
		last := &ph[len(ph)-1]
		if last.any || last.number || len(last.prefixes) > 0 || len(last.ids) == 0 {
			return nil, false
		}
		set = append(set, last.ids...)
	}
	slices.Sort(set)
	set = slices.Compact(set)
	return set, len(set) > 0
}

// mayStart reports whether t may be the first word e matches.
func (e *elem) mayStart(t *token) bool {
	if e.any || e.number {
		return true
	}
	if t.guard {
		return false
	}
	return t.in(e.startIDs, e.startPrefixes)
}

// matchPath reports whether the elements match the words starting at i,
// appending to path the words their own words matched — not those a gap
// passed over: a harmless phrase shields only those from the other rules.
func matchPath(es []elem, toks []token, i int, path []int) ([]int, bool) {
	if len(es) == 0 {
		return path, true
	}
	e := &es[0]
	switch {
	case e.end:
		if i == len(toks) {
			return matchPath(es[1:], toks, i, path)
		}
		return path, false
	case e.gap:
		for skip := 0; skip <= maxGap && i+skip <= len(toks); skip++ {
			if p, ok := matchPath(es[1:], toks, i+skip, path); ok {
				return p, true
			}
		}
		return path, false
	}
	n := len(path)
	if i < len(toks) && e.match(&toks[i]) {
		if p, ok := matchPath(es[1:], toks, i+1, append(path[:n], i)); ok {
			return p, true
		}
	}
	for _, ph := range e.phrases {
		if next, ok := matchWords(ph, toks, i); ok {
			p := path[:n]
			for j := i; j < next; j++ {
				p = append(p, j)
			}
			if p, ok := matchPath(es[1:], toks, next, p); ok {
				return p, true
			}
		}
	}
	if e.optional {
		return matchPath(es[1:], toks, i, path[:n])
	}
	return path[:n], false
}

// matchWords matches the words of a phrase alternative, one token each.
func matchWords(ph []elem, toks []token, i int) (int, bool) {
	if i+len(ph) > len(toks) {
		return 0, false
	}
	for j := range ph {
		if !ph[j].match(&toks[i+j]) {
			return 0, false
		}
	}
	return i + len(ph), true
}

// parseRule compiles one line of rule text with the file's classes.
func parseRule(line string, classes map[string]*elem) ([]elem, error) {
	var es []elem
	for rest := strings.TrimSpace(line); rest != ""; rest = strings.TrimSpace(rest) {
		var tok string
		if rest[0] == '(' {
			end := strings.IndexByte(rest, ')')
			if end < 0 {
				return nil, fmt.Errorf("unclosed (")
			}
			tok, rest = rest[:end+1], rest[end+1:]
			if strings.HasPrefix(rest, "?") {
				tok, rest = tok+"?", rest[1:]
			}
			if rest != "" && rest[0] != ' ' {
				return nil, fmt.Errorf("a space must follow %s", tok)
			}
		} else {
			tok, rest, _ = strings.Cut(rest, " ")
		}
		e, err := parseElem(tok, classes)
		if err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("empty rule")
	}
	if f := es[0]; f.gap || f.any || f.optional || f.number || f.end {
		return nil, fmt.Errorf("a rule must begin with a word: %q", line)
	}
	return es, nil
}

func parseElem(tok string, classes map[string]*elem) (elem, error) {
	switch tok {
	case "...", "…":
		return elem{gap: true}, nil
	case "_":
		return elem{any: true}, nil
	case "#", "#?":
		return elem{number: true, optional: tok == "#?"}, nil
	case "$":
		return elem{end: true}, nil
	}
	var e elem
	if strings.HasSuffix(tok, "?") && len(tok) > 1 {
		e.optional = true
		tok = strings.TrimSuffix(tok, "?")
	}
	group := strings.HasPrefix(tok, "(")
	if group {
		tok = strings.TrimSuffix(strings.TrimPrefix(tok, "("), ")")
	}
	if strings.ContainsAny(tok, "()") {
		return e, fmt.Errorf("misplaced parenthesis in %q", tok)
	}
	for alt := range strings.SplitSeq(tok, "|") {
		words := strings.Fields(alt)
		if len(words) <= 1 {
			if err := addAlt(&e, strings.TrimSpace(alt), classes); err != nil {
				return e, err
			}
			continue
		}
		var ph []elem
		for _, w := range words {
			var we elem
			if err := addAlt(&we, w, classes); err != nil {
				return e, err
			}
			ph = append(ph, we)
		}
		e.phrases = append(e.phrases, ph)
	}
	return e, nil
}

func addAlt(e *elem, alt string, classes map[string]*elem) error {
	switch {
	case alt == "":
		return fmt.Errorf("empty alternative")
	case alt == "#":
		e.number = true
	case alt == "_":
		e.any = true
	case strings.HasPrefix(alt, "=") && len(alt) > 1:
		w := normalizeWord(alt[1:])
		if w == "" {
			return fmt.Errorf("%q is not one word", alt)
		}
		e.words = append(e.words, w)
		e.exact = append(e.exact, w)
	case strings.HasPrefix(alt, "@"):
		c, ok := classes[alt[1:]]
		if !ok {
			return fmt.Errorf("unknown class %s", alt)
		}
		e.words = append(e.words, c.words...)
		e.prefixes = append(e.prefixes, c.prefixes...)
	case strings.HasSuffix(alt, "*"):
		p := normalizeWord(strings.TrimSuffix(alt, "*"))
		if len(p) < 2 {
			return fmt.Errorf("prefix %q is too short", alt)
		}
		e.prefixes = append(e.prefixes, p)
	default:
		w := normalizeWord(alt)
		if w == "" {
			return fmt.Errorf("%q is not one word", alt)
		}
		e.words = append(e.words, w)
	}
	return nil
}

// isNumber reports whether w is a count: digits, or a number word of the
// lexicon's languages.
func isNumber(w string) bool {
	if w == "" {
		return false
	}
	digits := true
	for i := range len(w) {
		digits = digits && '0' <= w[i] && w[i] <= '9'
	}
	return digits || numberWords[w]
}

// numberWords are the counts people write out, in their compared form
// (repeated letters collapsed: "thirteen" is "thirten").
var numberWords = func() map[string]bool {
	m := map[string]bool{}
	for w := range strings.FieldsSeq(`two three four five six seven eight nine ten eleven twelve thirteen fourteen
		fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
		dozen dozens hundreds several
		dos tres cuatro cinco seis siete ocho nueve diez veinte treinta cuarenta cincuenta cien docena
		deux trois quatre cinq sept huit neuf dix vingt trente quarante cinquante cent douzaine
		zwei drei vier funf sechs sieben acht neun zehn zwanzig dreissig vierzig funfzig hundert dutzend
		dois duas quatro sete oito nove dez vinte trinta quarenta cinquenta cem duzia`) {
		m[normalizeWord(w)] = true
	}
	return m
}()
