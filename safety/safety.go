// Package safety reads a question for what the spirit must not play with:
// someone thinking of ending their life, an emergency happening now, an act
// that could kill ("should I drink bleach?"), violence, crime, hate, sex,
// and requests for medical, legal or financial advice. It is a lexicon of
// phrases in English, Spanish, French, German and Portuguese (lexicon/*.txt)
// matched past capitals, accents, typos, digits for letters and spaced-out
// letters, in a few microseconds and without a network.
//
// It also holds the help a person in crisis is shown (help.go) and the
// affirmations an answer to a flagged question must never contain.
package safety

import (
	"io/fs"
	"slices"
	"strings"
	"sync"
)

// Classifier finds the category of a text. It is safe for concurrent use;
// it is built once and only read after.
type Classifier struct {
	lx      *lexicon
	scratch sync.Pool // of *scratch
}

type scratch struct {
	toks    []token
	buf     strings.Builder
	near    []string
	nearIDs []uint32
	del     []byte
	path    []int
	present []uint32 // the ids of the text's words and their typos, sorted
	bits    []uint64 // the bit of each id of present
	seen    []uint32 // by rule: the gen it was last tried in
	cands   []*rule  // the rules that may match the text
	gen     uint32
}

// presentIDs are the ids of the words of toks, and of the words their typos
// may be, sorted and without repeats.
func presentIDs(out []uint32, toks []token) []uint32 {
	for _, t := range toks {
		if t.id != 0 {
			out = append(out, t.id)
		}
		for _, id := range t.nearIDs {
			if id != 0 {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Match is what Classify found: the category (empty when nothing) and the
// rule that decided it, as "file:line: rule", for logs and tests.
type Match struct {
	Category string
	Rule     string
	// Caution is set when the text is in no category but has words of
	// death, harm or drugs in it ("will my grandma die?"): its answer
	// should not be a cheerful YES either.
	Caution bool
}

// New returns a classifier of the built-in lexicon.
func New() *Classifier {
	c, err := Load(builtin)
	if err != nil {
		// The built-in lexicon is compiled by every test run; this is a
		// programming error, not a condition to handle.
		panic(err)
	}
	return c
}

// Load returns a classifier of the lexicon files of fsys: *.txt at its top
// and one folder down.
func Load(fsys fs.FS) (*Classifier, error) {
	lx, err := loadLexicon(fsys)
	if err != nil {
		return nil, err
	}
	c := &Classifier{lx: lx}
	c.scratch.New = func() any { return &scratch{toks: make([]token, 0, 32)} }
	return c, nil
}

// Classify returns the most serious category text touches, if any.
func (c *Classifier) Classify(text string) Match {
	s := c.scratch.Get().(*scratch)
	defer c.scratch.Put(s)
	s.toks = tokenize(s.toks[:0], text, &s.buf)
	s.near, s.nearIDs = s.near[:0], s.nearIDs[:0]
	s.toks = c.joinSpelled(s.toks)
	c.correctTypos(s)
	s.present = presentIDs(s.present[:0], s.toks)
	if n := (len(c.lx.byID) + 63) / 64; len(s.bits) < n {
		s.bits = make([]uint64, n)
	}
	for _, id := range s.present {
		s.bits[id/64] |= 1 << (id % 64)
	}
	c.collect(s)
	c.guardHarmless(s)

	// Most serious first: the first rule that matches is the answer.
	slices.SortFunc(s.cands, func(a, b *rule) int { return a.rank - b.rank })
	var m Match
	for _, r := range s.cands {
		if r.category != "" && s.matchesAnywhere(r) {
			m = Match{Category: r.category, Rule: r.source}
			break
		}
	}
	if m.Category == "" {
		for _, r := range s.cands {
			if r.caution && s.matchesAnywhere(r) {
				m.Caution = true
				break
			}
		}
	}
	for _, id := range s.present {
		s.bits[id/64] = 0
	}
	return m
}

// collect puts in s.cands each rule that may match s's words, once: the
// rules anchored on a word the text has (or may have, through a typo), and
// those without an anchor that begin with one of its words.
func (c *Classifier) collect(s *scratch) {
	s.cands = s.cands[:0]
	s.gen++
	if len(s.seen) < len(c.lx.all) {
		s.seen = make([]uint32, len(c.lx.all))
	}
	add := func(r *rule) {
		if s.seen[r.n] != s.gen {
			s.seen[r.n] = s.gen
			if r.present(s.present, s.bits) {
				s.cands = append(s.cands, r)
			}
		}
	}
	for _, id := range s.present {
		for _, r := range c.lx.byAnchor[id] {
			add(r)
		}
	}
	for i := range s.toks {
		t := &s.toks[i]
		c.beginningWith(t.id, t.word, add)
		for j, w := range t.near {
			c.beginningWith(t.nearIDs[j], w, add)
		}
	}
}

// beginningWith calls add with each rule without an anchor that begins
// with the word w, of id id.
func (c *Classifier) beginningWith(id uint32, w string, add func(*rule)) {
	for _, r := range c.lx.byID[id] {
		add(r)
	}
	if len(w) < 2 {
		return
	}
	for _, pr := range c.lx.byPrefix[w[:2]] {
		if strings.HasPrefix(w, pr.prefix) {
			add(pr.rule)
		}
	}
}

// matches calls found with the words of each place r matches, until it
// returns false; it reports whether r matched anywhere.
func (s *scratch) matches(r *rule, found func(path []int) bool) bool {
	matched := false
	for i := range s.toks {
		if !r.elems[0].mayStart(&s.toks[i]) {
			continue
		}
		path, ok := matchPath(r.elems, s.toks, i, s.path[:0])
		s.path = path
		if ok {
			matched = true
			if !found(path) {
				break
			}
		}
	}
	return matched
}

// matchesAnywhere reports whether r matches starting at some word.
func (s *scratch) matchesAnywhere(r *rule) bool {
	return s.matches(r, func([]int) bool { return false })
}

// correctTypos sets each word's near words: the lexicon words it may be a
// typo of.
func (c *Classifier) correctTypos(s *scratch) {
	lx := c.lx
	for i := range s.toks {
		t := &s.toks[i]
		t.id = lx.ids[t.word]
		t.near, t.nearIDs = nil, nil
		start := len(s.near)
		switch {
		case strings.IndexByte(t.word, '*') >= 0:
			s.near = lx.typos.wildcard(s.near, t.word)
		case len(t.word) < minTypoWord || lx.vocabulary[t.word] || lx.known[t.word] || !isLetters(t.word):
			continue
		default:
			s.near = lx.typos.near(s.near, t.word)
			if len(t.word) == minTypoWord {
				s.near, s.del = lx.swapped(s.near, t.word, s.del)
			}
		}
		if len(s.near) > start {
			t.near = s.near[start:len(s.near):len(s.near)]
			for _, n := range t.near {
				s.nearIDs = append(s.nearIDs, lx.ids[n])
			}
			t.nearIDs = s.nearIDs[len(s.nearIDs)-len(t.near) : len(s.nearIDs) : len(s.nearIDs)]
		}
	}
}

// guardHarmless marks the words of harmless phrases ("dying to know",
// "killing it") so that no rule uses them.
func (c *Classifier) guardHarmless(s *scratch) {
	for _, r := range s.cands {
		if r.category == "" && !r.caution {
			s.matches(r, func(path []int) bool {
				for _, j := range path {
					s.toks[j].guard = true
				}
				return true
			})
		}
	}
}

// joinSpelled reads letters spelled one by one ("b l e a c h", "k.i.l.l")
// as the words they spell: a run of three or more one-letter words is
// joined, and kept joined when it splits into lexicon words.
func (c *Classifier) joinSpelled(toks []token) []token {
	out := toks[:0]
	for i := 0; i < len(toks); {
		j := i
		for j < len(toks) && len(toks[j].word) == 1 {
			j++
		}
		if j-i < 3 {
			if j == i {
				j++
			}
			out = append(out, toks[i:j]...)
			i = j
			continue
		}
		var b strings.Builder
		for _, t := range toks[i:j] {
			b.WriteString(t.word)
		}
		words := c.split(b.String())
		if words == nil {
			// "s l e e p f o r e v e r p l s": the longest beginning that
			// splits, the rest kept as one word.
			joined := b.String()
			for n := len(joined) - 1; n >= 4 && words == nil; n-- {
				if words = c.split(joined[:n]); words != nil {
					words = append(words, collapse(joined[n:]))
				}
			}
		}
		if words == nil {
			out = append(out, toks[i:j]...)
		} else {
			for _, w := range words {
				out = append(out, token{word: w})
			}
		}
		i = j
	}
	return out
}

// split divides s into lexicon words, the fewest possible, or returns nil
// when it cannot. s is spelled as typed: a letter doubled across two words
// ("want to") must not be collapsed before they are told apart.
func (c *Classifier) split(s string) []string {
	// best[i] is the fewest words s[:i] splits into (0: not at all, but
	// best[0] is 1 so that lengths are counted plus one).
	best := make([]int, len(s)+1)
	from := make([]int, len(s)+1)
	best[0] = 1
	for i := 1; i <= len(s); i++ {
		for j := max(0, i-20); j < i; j++ {
			if best[j] == 0 || !c.lx.vocabulary[collapse(s[j:i])] {
				continue
			}
			if best[i] == 0 || best[j]+1 < best[i] {
				best[i], from[i] = best[j]+1, j
			}
		}
	}
	if best[len(s)] == 0 {
		return nil
	}
	var words []string
	for i := len(s); i > 0; i = from[i] {
		words = append(words, collapse(s[from[i]:i]))
	}
	for l, r := 0, len(words)-1; l < r; l, r = l+1, r-1 {
		words[l], words[r] = words[r], words[l]
	}
	return words
}

// Background is a classifier being built: building takes longer than the
// rest of a server's start, which need not wait for it. A question
// classified before it is ready waits.
type Background struct {
	ready chan struct{}
	c     *Classifier
}

// NewInBackground starts building the built-in classifier.
func NewInBackground() *Background {
	b := &Background{ready: make(chan struct{})}
	go func() {
		defer close(b.ready)
		b.c = New()
	}()
	return b
}

// Classify is Classifier.Classify, once the classifier is built.
func (b *Background) Classify(text string) Match {
	<-b.ready
	return b.c.Classify(text)
}
