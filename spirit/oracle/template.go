package oracle

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// slot is a gap in a phrase, filled from the room when the phrase is said.
type slot uint8

const (
	slotNone      slot = iota
	slotAsker          // {asker}: who asked
	slotOther          // {other}: someone present who did not ask
	slotCount          // {count}: how many are present, in words ("three")
	slotPrev           // {prev}: someone else who asked of the same thing before
	slotPrevTopic      // {prevtopic}: the word of theirs the question shares
	slotTopic          // {topic}: the question's main word
	slotSpirit         // {spirit}: the persona's name
	slotHour           // {hour}: the hour of the question, in words ("nine", "midnight")
	slotTod            // {tod}: the time of day as an adverb ("tonight", "this morning")
	slotNum            // {num}: a small number, 1–13
	slotDays           // {days}: a number of days, 2–40
	slotYear           // {year}: a year a little ahead of the question's
	slotWeekday        // {weekday}: a day of the week
	slotPick           // {pick}: the option the spirit chose, of a question "A or B?"
	slotReject         // {reject}: the option it did not
	numSlots
)

// slotByName is the gap a phrase writes as {name}, or slotNone.
func slotByName(name string) slot {
	switch name {
	case "asker":
		return slotAsker
	case "other":
		return slotOther
	case "count":
		return slotCount
	case "prev":
		return slotPrev
	case "prevtopic":
		return slotPrevTopic
	case "topic":
		return slotTopic
	case "spirit":
		return slotSpirit
	case "hour":
		return slotHour
	case "tod":
		return slotTod
	case "num":
		return slotNum
	case "days":
		return slotDays
	case "year":
		return slotYear
	case "weekday":
		return slotWeekday
	case "pick":
		return slotPick
	case "reject":
		return slotReject
	}
	return slotNone
}

// slotSet is a set of slots, one bit each (numSlots is well under 32).
type slotSet uint32

// tmpl is a phrase compiled once: its literal parts and gaps, the gaps it
// needs filled, and a fingerprint to recognise it in an earlier answer.
type tmpl struct {
	src   string
	segs  []seg
	needs slotSet
	// key is the longest literal run of the phrase: if an answer of the
	// last few contains it, the spirit said this phrase recently, whatever
	// names filled it then.
	key string
}

type seg struct {
	lit  string
	slot slot
}

// compile parses a phrase of a bank. An unknown gap is a bug in the bank,
// which the tests catch, so it panics rather than return an error nobody
// could act on at run time.
func compile(src string) tmpl {
	t := tmpl{src: src}
	rest := src
	for rest != "" {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			t.segs = append(t.segs, seg{lit: rest})
			break
		}
		if i > 0 {
			t.segs = append(t.segs, seg{lit: rest[:i]})
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			panic("oracle: unclosed { in phrase " + src)
		}
		name := rest[i+1 : i+j]
		s := slotByName(name)
		if s == slotNone {
			panic("oracle: unknown slot {" + name + "} in phrase " + src)
		}
		t.segs = append(t.segs, seg{slot: s})
		t.needs |= 1 << s
		rest = rest[i+j+1:]
	}
	for _, s := range t.segs {
		if k := strings.TrimFunc(s.lit, notWordRune); len(k) > len(t.key) {
			t.key = k
		}
	}
	return t
}

func compileAll(srcs []string) []tmpl {
	out := make([]tmpl, len(srcs))
	for i, s := range srcs {
		out[i] = compile(s)
	}
	return out
}

// fill holds what the gaps of phrases are filled with, for one answer.
type fill struct {
	vals [numSlots]string
	have slotSet
}

func (f *fill) set(s slot, v string) {
	if v == "" {
		return
	}
	f.vals[s] = v
	f.have |= 1 << s
}

func (f *fill) unset(s slot) {
	f.vals[s] = ""
	f.have &^= 1 << s
}

func (t *tmpl) render(f *fill) string {
	if len(t.segs) == 1 && t.segs[0].slot == slotNone {
		return t.segs[0].lit
	}
	var b strings.Builder
	b.Grow(len(t.src) + 24)
	start := true // of a sentence, where a gap's word takes a capital
	for _, s := range t.segs {
		if s.slot == slotNone {
			b.WriteString(s.lit)
			l := strings.TrimRight(s.lit, " ")
			start = l == "" && start || strings.HasSuffix(l, ".") || strings.HasSuffix(l, "?") || strings.HasSuffix(l, "!")
			continue
		}
		v := f.vals[s.slot]
		// Names are written as their owners typed them, even "zed".
		isName := s.slot == slotAsker || s.slot == slotOther || s.slot == slotPrev || s.slot == slotSpirit
		if r, n := utf8.DecodeRuneInString(v); start && !isName && unicode.IsLower(r) {
			b.WriteRune(unicode.ToUpper(r))
			v = v[n:]
		}
		b.WriteString(v)
		start = false
	}
	return b.String()
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// countWords counts runs of non-space characters, as the 30-word cap does.
func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}
