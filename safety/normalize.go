package safety

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text is written to be read past: capitals, accents, stretched letters
// ("pleeease"), digits for letters ("k1ll"), letters spaced out
// ("b l e a c h"). Every word, of a question and of the lexicon alike, is
// reduced to one form before it is compared, so that one line of the
// lexicon matches all of its spellings.

// fold maps a rune to the lower-case ASCII letters it stands for, or ""
// when it separates words. Letters of other scripts stay as they are, lower
// case.
func fold(r rune) string {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return asciiRunes[r : r+1]
		case 'A' <= r && r <= 'Z':
			return asciiRunes[r+'a'-'A' : r+'a'-'A'+1]
		}
		return ""
	}
	if 0xFF01 <= r && r <= 0xFF5E { // full-width forms of ASCII
		return fold(r - 0xFEE0)
	}
	if s, ok := foldTable[r]; ok {
		return s
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return string(unicode.ToLower(r))
	}
	if unicode.Is(unicode.Mn, r) { // a combining accent: dropped
		return "\x00"
	}
	return ""
}

// asciiRunes lets fold return one-letter strings without allocating.
const asciiRunes = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f" +
	"\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f" +
	" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\x7f"

// foldTable spells the accented Latin letters of the languages the lexicon
// covers without their accents, and the Cyrillic and Greek letters that
// look like Latin ones as those, since they are the usual way to slip a
// word past a filter.
var foldTable = func() map[rune]string {
	m := map[rune]string{'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe", 'ø': "o", 'Ø': "o", 'ð': "d", 'þ': "th", 'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ı': "i"}
	for base, accented := range map[string]string{
		"a": "àáâãäåāăąǎÀÁÂÃÄÅĀĂĄǍаАαΑ",
		"c": "çćĉċčÇĆĈĊČсС",
		"e": "èéêëēĕėęěÈÉÊËĒĔĖĘĚеЕεΕ",
		"g": "ĝğġģĜĞĠĢ",
		"h": "ĥħĤĦһ",
		"i": "ìíîïĩīĭįÌÍÎÏĨĪĬĮİіІιΙ",
		"j": "ĵĴј",
		"k": "ķĶκΚ",
		"l": "ĺļľŀĹĻĽĿ",
		"n": "ñńņňÑŃŅŇ",
		"o": "òóôõöōŏőÒÓÔÕÖŌŎŐоОοΟ",
		"p": "рРρΡ",
		"r": "ŕŗřŔŖŘ",
		"s": "śŝşšŚŜŞŠѕЅ",
		"t": "ţťŧŢŤŦτΤ",
		"u": "ùúûüũūŭůűųÙÚÛÜŨŪŬŮŰŲ",
		"w": "ŵŴ",
		"x": "хХχΧ",
		"y": "ýÿŷÝŸŶуУ",
		"z": "źżžŹŻŽ",
	} {
		for _, r := range accented {
			m[r] = base
		}
	}
	return m
}()

// leet is what a digit or symbol inside a word stands for.
func leet(b byte) byte {
	switch b {
	case '0':
		return 'o'
	case '1', '!', '|':
		return 'i'
	case '3':
		return 'e'
	case '4', '@':
		return 'a'
	case '5', '$':
		return 's'
	case '7', '+':
		return 't'
	}
	return 0
}

// token is one word of a text, in its compared form.
type token struct {
	word    string   // lower case, unaccented, repeated letters collapsed
	id      uint32   // of word in the lexicon, 0 if no rule has it
	near    []string // lexicon words one typo away, when word is not one
	nearIDs []uint32 // their ids
	guard   bool     // part of a harmless phrase: no rule may use it
}

// tokenize appends the words of text to out. Symbols inside a word that
// stand for letters ("$uic1de", "k!ll") are read as those letters; a word
// of digits only stays a number ("30 pills"). Apostrophes join ("don't" is
// "dont"); every other symbol separates.
func tokenize(out []token, text string, buf *strings.Builder) []token {
	buf.Reset()
	var (
		start     = 0 // of the current word in buf
		hasLetter bool
		hasLeet   bool
	)
	flush := func() {
		if buf.Len() == start {
			return
		}
		w := buf.String()[start:]
		if hasLetter && hasLeet && !isQuantity(w) {
			w = unleet(w)
		}
		out = append(out, token{word: collapse(w)})
		buf.WriteByte(' ')
		start = buf.Len()
		hasLetter, hasLeet = false, false
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if r == '\'' || r == '’' || r == 'ʼ' || r == '`' {
			continue
		}
		if r == '*' && buf.Len() > start {
			// A letter hidden inside a word ("dr*nk", "g*n"): kept, for
			// the typo reader to find the words it may stand for.
			buf.WriteByte('*')
			continue
		}
		if r < utf8.RuneSelf && leet(byte(r)) != 0 && !('0' <= r && r <= '9') {
			// A symbol counts as a letter only between letters or before
			// one ("$uicide", "k!ll"), not as punctuation ("bleach!").
			next, _ := utf8.DecodeRuneInString(text[i:])
			if f := fold(next); f != "" && f != "\x00" && (buf.Len() > start || r == '$' || r == '@') {
				buf.WriteByte(byte(r))
				hasLeet = true
				continue
			}
			flush()
			continue
		}
		f := fold(r)
		switch {
		case f == "":
			flush()
		case f == "\x00":
		default:
			if '0' <= f[0] && f[0] <= '9' {
				hasLeet = true
			} else {
				hasLetter = true
			}
			buf.WriteString(f)
		}
	}
	flush()
	return out
}

// isQuantity reports a number with a unit after it ("10x", "3am", "500mg"),
// which is not a word in disguise.
func isQuantity(w string) bool {
	i := 0
	for i < len(w) && '0' <= w[i] && w[i] <= '9' {
		i++
	}
	if i == 0 || i == len(w) {
		return false
	}
	switch unit := w[i:]; unit {
	case "st", "nd", "rd", "th": // an ordinal, if it is spelled as one
		last, tens := w[i-1], byte('0')
		if i > 1 {
			tens = w[i-2]
		}
		want := "th"
		if tens != '1' {
			switch last {
			case '1':
				want = "st"
			case '2':
				want = "nd"
			case '3':
				want = "rd"
			}
		}
		return unit == want
	case "x", "k", "m", "am", "pm", "mg", "ml", "g", "kg", "km", "mph", "kmh", "kph",
		"h", "hr", "hrs", "min", "mins", "s", "lb", "lbs", "oz", "cm", "mm", "ft", "yo", "yr", "yrs", "d", "l":
		return true
	}
	return false
}

// unleet reads the digits and symbols of a word as the letters they stand
// for.
func unleet(w string) string {
	b := []byte(w)
	for i, c := range b {
		if l := leet(c); l != 0 {
			b[i] = l
		}
	}
	return string(b)
}

// collapse writes each run of one letter once: "kiiiill" and "kill" are
// both "kil", "pills" and "pils" both "pils".
func collapse(w string) string {
	for i := 1; i < len(w); i++ {
		if w[i] == w[i-1] {
			b := []byte(w[:i])
			for j := i + 1; j < len(w); j++ {
				if w[j] != b[len(b)-1] {
					b = append(b, w[j])
				}
			}
			return string(b)
		}
	}
	return w
}

// normalizeWord is the compared form of one word of the lexicon.
func normalizeWord(w string) string {
	if plain(w) {
		return w // most words of the lexicon: nothing to fold
	}
	var b strings.Builder
	toks := tokenize(nil, w, &b)
	if len(toks) != 1 {
		return ""
	}
	return toks[0].word
}

// plain reports a word of lower-case ASCII letters with no letter twice in
// a row, which is its own compared form.
func plain(w string) bool {
	if w == "" {
		return false
	}
	for i := range len(w) {
		if w[i] < 'a' || w[i] > 'z' || i > 0 && w[i] == w[i-1] {
			return false
		}
	}
	return true
}
