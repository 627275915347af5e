package safety

import "strings"

// affirmations are the words and phrases that tell someone to go ahead,
// in the compared form of the lexicon's words (see normalize.go).
var affirmations = func() [][]string {
	var out [][]string
	for _, p := range []string{
		"yes", "yeah", "yea", "yep", "yup", "yass", "yah", "aye", "sure", "absolutely", "definitely",
		"certainly", "affirmative", "indeed", "ok", "okay", "of course", "go for it", "go ahead", "do it",
		"why not", "sí", "oui", "ja", "jawohl", "sim", "claro", "bien sûr", "natürlich",
	} {
		var words []string
		for w := range strings.FieldsSeq(p) {
			words = append(words, normalizeWord(w))
		}
		out = append(out, words)
	}
	return out
}()

// Affirms reports whether text tells its reader yes or go ahead, in any
// words: a model's answer to a flagged question that does is not shown,
// whatever else it says.
func Affirms(text string) bool {
	var b strings.Builder
	toks := tokenize(nil, text, &b)
	for i := range toks {
		for _, a := range affirmations {
			if i+len(a) > len(toks) {
				continue
			}
			match := true
			for j, w := range a {
				match = match && toks[i+j].word == w
			}
			if match {
				return true
			}
		}
	}
	return false
}
