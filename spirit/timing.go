package spirit

import (
	"hash/fnv"
	"math/rand/v2"
	"strings"
	"unicode"
)

// Bounds of one planchette step, in milliseconds.
const (
	minStep = 50
	maxStep = 500
)

// LetterTimings returns the planchette's delay before each character of
// text, in milliseconds: letters 100–200, the first letter and spaces
// 200–300, a pause after .!? (250–400) and after ,;:- (180–250), and a YES,
// NO or GOODBYE written in capitals as a word of its own as one sweep to its
// square, wherever it stands (answers open with YES or NO and farewells end
// with GOODBYE). The jitter is seeded by seed, so every node computes the
// same timings for the same message.
func LetterTimings(text, seed string) []int {
	h := fnv.New64a()
	h.Write([]byte(seed))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5eace))
	between := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }

	runes := []rune(text)
	out := make([]int, len(runes))
	sweepLeft := 0 // characters of the current board word still to place
	for i, r := range runes {
		var d int
		if sweepLeft == 0 {
			if n := boardWordAt(runes, i); n > 0 {
				// The whole word is one glide to its square: its first
				// character carries it, the rest follow at once.
				sweepLeft = n
				d = between(350, 450)
				sweepLeft--
				out[i] = d
				continue
			}
		}
		switch {
		case sweepLeft > 0:
			sweepLeft--
			d = minStep
		case i == 0:
			d = between(200, 300)
		case strings.ContainsRune(".!?", runes[i-1]):
			d = between(250, 400)
		case strings.ContainsRune(",;:-", runes[i-1]):
			d = between(180, 250)
		case unicode.IsSpace(r):
			d = between(200, 300)
		default:
			d = between(100, 200)
		}
		out[i] = min(max(d, minStep), maxStep)
	}
	return out
}

// boardWordAt returns the length of the YES, NO or GOODBYE that starts at
// runes[i] as a word of its own, which the board has as one square, or 0.
func boardWordAt(runes []rune, i int) int {
	if i > 0 && isWordRune(runes[i-1]) {
		return 0
	}
	for _, w := range [...]string{"GOODBYE", "YES", "NO"} {
		end := i + len(w)
		if end > len(runes) || !runesAre(runes[i:end], w) {
			continue
		}
		if end == len(runes) || !isWordRune(runes[end]) {
			return len(w)
		}
	}
	return 0
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func runesAre(rs []rune, ascii string) bool {
	for j, r := range rs {
		if r != rune(ascii[j]) {
			return false
		}
	}
	return true
}
