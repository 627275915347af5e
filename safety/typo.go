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
// none) from each makes them equal. Deletions are kept as hashes, not
// strings: the index has a hundred thousand of them, and building it is
// part of a server's start.
type typoIndex struct {
	byDeletion map[uint64][]int32 // deletion hash → index in words
	words      []string           // every word reachable, for wildcard lookups too
}

func newTypoIndex(vocabulary map[string]bool) *typoIndex {
	ix := &typoIndex{words: make([]string, 0, len(vocabulary))}
	keys := 0
	for w := range vocabulary {
		if isLetters(w) {
			ix.words = append(ix.words, w)
			if len(w) >= minTypoTarget {
				keys += len(w) + 1
			}
		}
	}
	ix.byDeletion = make(map[uint64][]int32, keys)
	for n, w := range ix.words {
		if len(w) < minTypoTarget {
			continue
		}
		for i := -1; i < len(w); i++ {
			h := deletionHash(w, i)
			if l := ix.byDeletion[h]; len(l) == 0 || l[len(l)-1] != int32(n) {
				ix.byDeletion[h] = append(l, int32(n))
			}
		}
	}
	return ix
}

// deletionHash hashes w without its i-th byte (i < 0: the whole word).
func deletionHash(w string, i int) uint64 {
	h := uint64(14695981039346656037)
	for j := range len(w) {
		if j == i {
			continue
		}
		h ^= uint64(w[j])
		h *= 1099511628211
	}
	return h ^ uint64(len(w)-min(i+1, 1))<<56
}

// near appends to out the lexicon words one slip from w.
func (ix *typoIndex) near(out []string, w string) []string {
	start := len(out)
	for i := -1; i < len(w); i++ {
		for _, n := range ix.byDeletion[deletionHash(w, i)] {
			x := ix.words[n]
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
	}
	return out
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
