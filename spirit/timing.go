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
// 200–300, a pause after .!? (250–400) and after ,;:- (180–250), and a
// leading YES, NO or GOODBYE as one sweep to its square. The jitter is seeded
// by seed, so every node computes the same timings for the same message.
func LetterTimings(text, seed string) []int {
	h := fnv.New64a()
	h.Write([]byte(seed))
	rng := rand.New(rand.NewPCG(h.Sum64(), 0x5eace))
	between := func(lo, hi int) int { return lo + rng.IntN(hi-lo+1) }

	runes := []rune(text)
	out := make([]int, len(runes))
	sweep := boardWord(text)
	for i, r := range runes {
		var d int
		switch {
		case i < sweep:
			// The whole word is one glide to its square: the first character
			// carries it, the rest follow at once.
			if i == 0 {
				d = between(350, 450)
			} else {
				d = minStep
			}
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

// boardWord returns the length of a leading YES, NO or GOODBYE (a word of its
// own), which the board has as one square, or 0.
func boardWord(text string) int {
	for _, w := range []string{"GOODBYE", "YES", "NO"} {
		if strings.HasPrefix(text, w) && (len(text) == len(w) || !unicode.IsLetter(rune(text[len(w)]))) {
			return len(w)
		}
	}
	return 0
}
