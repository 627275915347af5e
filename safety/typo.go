package safety

import "strings"

// People type on phones, late, and in a hurry: "suicde", "bleech", "drnk".
// A word that is not in the lexicon is also read as every lexicon word one
// slip away (a letter left out, added, changed or two swapped), so that a
// rule matches its typos too. Only lexicon words of five letters or more
// are reached this way, and only from a word with the same first letter:
// short words have too many neighbours ("will", "kill", "pill"), and a
// slip of the first letter is rare.

const (
	minTypoTarget = 5 // letters of a lexicon word that typos may reach
	minTypoWord   = 4 // letters of a typed word read as a typo
)

// typoIndex finds the lexicon words one slip from a word through their
// deletions: two words are one slip apart only if deleting one letter (or
// none) from each makes them equal.
type typoIndex struct {
	byDeletion map[string][]string
	words      []string // every word reachable, for wildcard lookups
}

func newTypoIndex(vocabulary map[string]bool) *typoIndex {
	ix := &typoIndex{byDeletion: map[string][]string{}}
	for w := range vocabulary {
		if !isLetters(w) {
			continue
		}
		ix.words = append(ix.words, w)
		if len(w) < minTypoTarget {
			continue
		}
		ix.addKey(w, w)
		for i := range len(w) {
			ix.addKey(w[:i]+w[i+1:], w)
		}
	}
	return ix
}

// wildcard appends to out the lexicon words that w spells with each '*'
// standing for one letter ("dr*nk": drink, drunk, drank). Words with a
// hidden letter are rare, so a scan of the words will do.
func (ix *typoIndex) wildcard(out []string, w string) []string {
	stars := strings.Count(w, "*")
	if len(w)-stars < 2 || stars > 2 {
		return out
	}
	for _, x := range ix.words {
		if len(x) != len(w) || x[0] != w[0] && w[0] != '*' {
			continue
		}
		match := true
		for i := range len(w) {
			match = match && (w[i] == '*' || w[i] == x[i])
		}
		if match {
			out = append(out, x)
		}
	}
	return out
}

func (ix *typoIndex) addKey(key, w string) {
	for _, x := range ix.byDeletion[key] {
		if x == w {
			return
		}
	}
	ix.byDeletion[key] = append(ix.byDeletion[key], w)
}

// near appends to out the lexicon words one slip from w.
func (ix *typoIndex) near(out []string, w string, buf []byte) ([]string, []byte) {
	start := len(out)
	out = collect(out, start, ix.byDeletion[w], w)
	for i := range len(w) {
		buf = append(append(buf[:0], w[:i]...), w[i+1:]...)
		out = collect(out, start, ix.byDeletion[string(buf)], w) // no allocation: a map index
	}
	return out, buf
}

// collect adds the candidates that really are one slip from w and share its
// first letter, once each: out[start:] are those already found for w.
func collect(out []string, start int, candidates []string, w string) []string {
	for _, x := range candidates {
		if x[0] != w[0] || x == w || !oneSlip(w, x) {
			continue
		}
		dup := false
		for _, y := range out[start:] {
			dup = dup || y == x
		}
		if !dup {
			out = append(out, x)
		}
	}
	return out
}

// oneSlip reports whether a and b differ by exactly one deleted, inserted or
// changed letter, or two neighbours swapped.
func oneSlip(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	switch len(b) - len(a) {
	case 0:
		diff := -1
		for i := range len(a) {
			if a[i] == b[i] {
				continue
			}
			if diff >= 0 {
				// A second difference: only a swap of neighbours.
				return diff == i-1 && a[diff] == b[i] && a[i] == b[diff] && a[i+1:] == b[i+1:]
			}
			diff = i
		}
		return diff >= 0
	case 1:
		i := 0
		for i < len(a) && a[i] == b[i] {
			i++
		}
		return a[i:] == b[i+1:]
	}
	return false
}

func isLetters(w string) bool {
	for i := range len(w) {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// swapped appends to out the lexicon words of four letters that w spells
// with two neighbouring letters swapped ("wnat", "fier"): the one slip
// short words are read past, since the others would reach too far.
func (lx *lexicon) swapped(out []string, w string, buf []byte) ([]string, []byte) {
	for i := 1; i+1 < len(w); i++ {
		buf = append(buf[:0], w...)
		buf[i], buf[i+1] = buf[i+1], buf[i]
		if lx.vocabulary[string(buf)] && !lx.known[string(buf)] {
			out = append(out, string(buf))
		}
	}
	return out, buf
}
