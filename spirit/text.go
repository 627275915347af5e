package spirit

import (
	"strings"
	"unicode"
)

// MaxWords is the longest answer the board spells.
const MaxWords = 30

// Cap cuts text to at most words words at a word boundary, ending the cut
// text in "...". Runs of white space become one space either way, because
// the board has no line breaks and a model's output often does.
func Cap(text string, words int) string {
	if words <= 0 {
		return ""
	}
	f := strings.Fields(text)
	if len(f) <= words {
		return strings.Join(f, " ")
	}
	cut := strings.TrimRight(strings.Join(f[:words], " "), ",;:.!?-–—… ")
	return cut + "..."
}

// Words splits text into lower-case words of letters and digits, the form
// every phrase list of this package is written in. Apostrophes vanish rather
// than split ("don't" is "dont"), so that a contraction stays one word.
func Words(text string) []string {
	var b strings.Builder
	b.Grow(len(text))
	space := true
	for _, r := range text {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.Fields(b.String())
}
