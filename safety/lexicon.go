package safety

import (
	"bufio"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/seancehq/seance"
)

// builtin is the lexicon: one file per language, each a list of rules under
// a [category] heading. Adding a phrase is adding a line.
//
//go:embed lexicon/*.txt
var builtin embed.FS

// The lexicon's file format, line by line:
//
//	# a comment
//	@class = word word* word      a class of words, for this file's rules
//	[self_harm]                   the category of the rules below
//	i @want to die                a rule (see pattern.go)
//	[caution]                     words that make a question one to answer
//	                              carefully, though it is in no category
//	[harmless]                    phrases whose words no rule may use
//	dying to know
//	[known]                       real words that are never read as a typo
//	beach
//
// The categories are seance.Categories().
const (
	sectionHarmless = "harmless"
	sectionCaution  = "caution"
	sectionKnown    = "known"
)

// lexicon is every rule, indexed by how a rule begins.
type lexicon struct {
	categories []string
	ids        map[string]uint32 // every exact word of a rule, numbered from 1
	byID       [][]*rule         // rules without an anchor, whose first element has the word of this id
	byAnchor   [][]*rule         // rules whose anchor (see finish) has the word of this id
	all        []*rule
	byPrefix   map[string][]prefixRule // rules whose first element has a prefix, by its first two letters
	vocabulary map[string]bool         // every exact word of a dangerous rule
	known      map[string]bool         // words never corrected as typos
	typos      *typoIndex
}

// loadLexicon compiles every *.txt file of fsys.
func loadLexicon(fsys fs.FS) (*lexicon, error) {
	lx := &lexicon{
		categories: seance.Categories(),
		ids:        map[string]uint32{},
		byID:       [][]*rule{nil},
		byPrefix:   map[string][]prefixRule{},
		vocabulary: map[string]bool{},
		known:      map[string]bool{},
	}
	files, err := fs.Glob(fsys, "*/*.txt")
	if err != nil {
		return nil, err
	}
	top, err := fs.Glob(fsys, "*.txt")
	if err != nil {
		return nil, err
	}
	files = append(files, top...)
	slices.Sort(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("safety: no lexicon files")
	}
	// Files are parsed side by side (a server builds this as it starts),
	// then added in their order, so that ids and indexes come out the same
	// every time.
	parsed := make([]parsedFile, len(files))
	var wg sync.WaitGroup
	for i, name := range files {
		wg.Go(func() { parsed[i] = lx.parseFile(fsys, name) })
	}
	wg.Wait()
	for _, p := range parsed {
		if p.err != nil {
			return nil, p.err
		}
		for _, w := range p.known {
			lx.known[w] = true
		}
		for _, r := range p.rules {
			lx.add(r)
		}
	}
	lx.typos = newTypoIndex(lx.vocabulary)
	lx.finish()
	return lx, nil
}

// parsedFile is one lexicon file, parsed but not yet indexed.
type parsedFile struct {
	rules []*rule
	known []string
	err   error
}

// parseFile parses one file; it reads nothing of lx that parsing changes.
func (lx *lexicon) parseFile(fsys fs.FS, name string) (p parsedFile) {
	p.err = lx.loadFile(fsys, name, &p)
	return p
}

func (lx *lexicon) loadFile(fsys fs.FS, name string, p *parsedFile) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	classes := map[string]*elem{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		where := fmt.Sprintf("%s:%d", path.Base(name), n)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
			if section != sectionHarmless && section != sectionKnown && section != sectionCaution && lx.rank(section) < 0 {
				return fmt.Errorf("safety: %s: unknown category [%s]", where, section)
			}
			continue
		case isClass(line):
			def, members, _ := strings.Cut(line[1:], "=")
			def = strings.TrimSpace(def)
			var c elem
			for m := range strings.FieldsSeq(members) {
				if err := addAlt(&c, m, classes); err != nil {
					return fmt.Errorf("safety: %s: %w", where, err)
				}
			}
			if len(c.words)+len(c.prefixes) == 0 {
				return fmt.Errorf("safety: %s: class @%s is empty", where, def)
			}
			classes[def] = &c
			continue
		case section == "":
			return fmt.Errorf("safety: %s: a rule before any [category]", where)
		case section == sectionKnown:
			for w := range strings.FieldsSeq(line) {
				p.known = append(p.known, normalizeWord(w))
			}
			continue
		}
		es, err := parseRule(line, classes)
		if err != nil {
			return fmt.Errorf("safety: %s: %w", where, err)
		}
		r := &rule{elems: es, source: where + ": " + line, rank: -1, caution: section == sectionCaution}
		if section != sectionHarmless && section != sectionCaution {
			r.category, r.rank = section, lx.rank(section)
		}
		p.rules = append(p.rules, r)
	}
	return sc.Err()
}

func (lx *lexicon) rank(category string) int {
	return slices.Index(lx.categories, category)
}

func (lx *lexicon) add(r *rule) {
	for i := range r.elems {
		lx.intern(&r.elems[i])
	}
	r.setNeeds()
	r.n = len(lx.all)
	lx.all = append(lx.all, r)
	if r.category == "" && !r.caution {
		return // harmless phrases are not what typos are corrected to
	}
	for _, e := range r.elems {
		lx.learn(e)
		for _, ph := range e.phrases {
			for _, pe := range ph {
				lx.learn(pe)
			}
		}
	}
}

// learn adds e's words to the vocabulary typos are read as, but for those
// written =word.
func (lx *lexicon) learn(e elem) {
	for _, w := range e.words {
		if !slices.Contains(e.exact, w) {
			lx.vocabulary[w] = true
		}
	}
}

// intern numbers the words of e, and of its phrases, so that a word is
// compared by its id: one map lookup per word of the text, then integer
// comparisons however many words a rule lists.
func (lx *lexicon) intern(e *elem) {
	e.ids = e.ids[:0]
	for _, w := range e.words {
		id, ok := lx.ids[w]
		if !ok {
			id = uint32(len(lx.byID))
			lx.ids[w] = id
			lx.byID = append(lx.byID, nil)
		}
		e.ids = append(e.ids, id)
	}
	slices.Sort(e.ids)
	e.ids = slices.Compact(e.ids)
	e.startIDs, e.startPrefixes = slices.Clone(e.ids), slices.Clone(e.prefixes)
	for _, ph := range e.phrases {
		for i := range ph {
			lx.intern(&ph[i])
		}
		e.startIDs = append(e.startIDs, ph[0].startIDs...)
		e.startPrefixes = append(e.startPrefixes, ph[0].startPrefixes...)
	}
	slices.Sort(e.startIDs)
	e.startIDs = slices.Compact(e.startIDs)
}

// finish indexes the rules. A rule is looked up by its anchor: of the sets
// of words it needs (one word of each), the one whose words the fewest
// other rules need, a fair sign of a rare word ("bleach" rather than
// "should"). A text wakes only the rules whose anchor it has a word of. A
// rule with no such set is looked up by the word it begins with.
func (lx *lexicon) finish() {
	lx.byAnchor = make([][]*rule, len(lx.byID))
	count := make([]int, len(lx.byID))
	for _, r := range lx.all {
		for _, need := range r.needs {
			for _, id := range need {
				count[id]++
			}
		}
	}
	// The words of almost every sentence are never a good anchor, however
	// few rules need them.
	for w := range strings.FieldsSeq(commonWords) {
		if id, ok := lx.ids[normalizeWord(w)]; ok {
			count[id] += 1000
		}
	}
	for _, r := range lx.all {
		best, cost := -1, 0
		for i, need := range r.needs {
			c := 0
			for _, id := range need {
				c += count[id]
			}
			if best < 0 || c < cost {
				best, cost = i, c
			}
		}
		if best < 0 {
			first := r.elems[0]
			lx.index(r, first)
			for _, ph := range first.phrases {
				lx.index(r, ph[0])
			}
			continue
		}
		for _, id := range r.needs[best] {
			lx.byAnchor[id] = append(lx.byAnchor[id], r)
		}
	}
}

// index files r under the words and prefixes e begins with.
func (lx *lexicon) index(r *rule, e elem) {
	for _, id := range e.ids {
		if !slices.Contains(lx.byID[id], r) {
			lx.byID[id] = append(lx.byID[id], r)
		}
	}
	for _, p := range e.prefixes {
		pr := prefixRule{p, r}
		if !slices.Contains(lx.byPrefix[p[:2]], pr) {
			lx.byPrefix[p[:2]] = append(lx.byPrefix[p[:2]], pr)
		}
	}
}

// prefixRule is a rule whose first element has the prefix.
type prefixRule struct {
	prefix string
	rule   *rule
}

// isClass reports whether line defines a class ("@name = …") rather than
// being a rule that begins with one ("@want to die").
func isClass(line string) bool {
	def, _, ok := strings.Cut(line, "=")
	def = strings.TrimSpace(def)
	return ok && strings.HasPrefix(def, "@") && len(def) > 1 && !strings.ContainsAny(def, " |*?")
}

// commonWords are the most frequent words of the lexicon's languages.
const commonWords = `i me my mine you your u he him his she her they them their we us our it its im ive id ill
a an the to of in on at for with from by about as into over after before up out off down
is are was were be been being am have has had do does did dont doesnt didnt cant wont isnt not no yes
and or but if so just then than that this these those there here what which who whom how why when where
should can could will would may might must shall gonna wanna going want get got go make take tell say
all any some one more most very really too also only still even now tonight today ok okay please spirit
de la le les el los las un una uno y o e que en es se me mi te tu su lo por para con no si al del
je tu il elle on nous vous ils est suis pas ne et ou un une des du au aux ce ca cest mon ma mes ton
ich du er sie es wir ihr der die das den dem des ein eine einen und oder nicht ist bin bist mit zu von
eu voce ele ela nos o a os as um uma de do da dos das em no na e ou que nao se com por para meu minha`
