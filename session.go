package seance

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a séance that the contract fixes.
const (
	MaxSessionName  = 100
	MinUsers        = 2
	MaxUsers        = 12
	DefaultMaxUsers = 6
)

// Session is one séance: a room with a spirit, a capacity and a history.
type Session struct {
	ID        string
	Name      string
	MaxUsers  int
	Spirit    string // persona id
	CreatedAt time.Time
	EndedAt   *time.Time // nil while the séance is active
	LastSeq   int64      // sequence number of the newest message

	// ParticipantCount is how many participants have joined and not been removed.
	ParticipantCount int
}

// IsActive reports whether the séance still accepts joins and questions.
func (s *Session) IsActive() bool { return s.EndedAt == nil }

// NewSession is what a client asks for when it creates a séance. Pointer fields
// are optional: nil means "use the default".
type NewSession struct {
	Name     string
	MaxUsers *int
	Spirit   *string
}

// SpiritCatalog tells which persona ids exist and which one is the default.
type SpiritCatalog interface {
	HasSpirit(id string) bool
	DefaultSpirit() string
}

// Validate checks ns against the contract, normalises it (trimmed name,
// defaults filled in) and returns the Session to store. id and now come from
// the caller so that validation stays deterministic.
func (ns NewSession) Validate(spirits SpiritCatalog, id string, now time.Time) (*Session, error) {
	name, err := checkName(ns.Name, MaxSessionName)
	if err != nil {
		return nil, err
	}
	maxUsers := DefaultMaxUsers
	if ns.MaxUsers != nil {
		maxUsers = *ns.MaxUsers
		if maxUsers < MinUsers || maxUsers > MaxUsers {
			return nil, Errorf(EValidation, "max_users must be from %d to %d.", MinUsers, MaxUsers).With("field", "max_users")
		}
	}
	spirit := spirits.DefaultSpirit()
	if ns.Spirit != nil {
		spirit = *ns.Spirit
		if !spirits.HasSpirit(spirit) {
			return nil, Errorf(EValidation, "unknown spirit %q.", spirit).With("field", "spirit")
		}
	}
	return &Session{
		ID:        id,
		Name:      name,
		MaxUsers:  maxUsers,
		Spirit:    spirit,
		CreatedAt: Timestamp(now),
	}, nil
}

// Timestamp truncates t to the precision every store keeps (microseconds, in
// UTC), so that a value read back equals the value written.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ParticipantName trims name and checks it: 1 to MaxParticipantName
// characters, as for any name (see checkName).
func ParticipantName(name string) (string, error) {
	return checkName(name, MaxParticipantName)
}

// checkName trims a name (a séance's or a participant's) and checks it: 1 to
// maxLen characters, valid UTF-8, and readable as what it is. Names are shown
// to everyone beside other text, so a name must not be able to disguise
// itself or what surrounds it: no control characters (PostgreSQL text cannot
// even hold NUL), no direction overrides that reverse the rest of a line, no
// tag characters that smuggle hidden text, no line breaks, and not made of
// invisible characters only, which would look like nobody at all.
func checkName(name string, maxLen int) (string, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > maxLen {
		return "", Errorf(EValidation, "name must be 1 to %d characters.", maxLen).With("field", "name")
	}
	if !utf8.ValidString(name) {
		return "", Errorf(EValidation, "name must be valid UTF-8.").With("field", "name")
	}
	if strings.ContainsFunc(name, unicode.IsControl) {
		return "", Errorf(EValidation, "name must not contain control characters.").With("field", "name")
	}
	if strings.ContainsFunc(name, refusedInName) {
		return "", Errorf(EValidation, "name must not contain invisible or direction-changing characters.").With("field", "name")
	}
	if !strings.ContainsFunc(name, visible) {
		return "", Errorf(EValidation, "name must have at least one visible character.").With("field", "name")
	}
	return name, nil
}

// refusedInName reports the characters a name never holds beside control
// characters: bidi controls (embeddings, overrides, isolates and the marks),
// which reorder what is displayed after them; line and paragraph separators,
// which break a name shown on one line; and tag characters, which most
// fonts draw as nothing yet carry text.
func refusedInName(r rune) bool {
	return isBidiControl(r) || r == '\u200e' || r == '\u200f' || r == '\u061c' ||
		r == '\u2028' || r == '\u2029' ||
		r >= 0xE0000 && r <= 0xE007F
}

// isBidiControl reports the embeddings, overrides and isolates
// (U+202A–U+202E, U+2066–U+2069): each changes the direction of the text
// that follows it, up to the end of the paragraph if nothing closes it.
func isBidiControl(r rune) bool {
	return r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069'
}

// visible reports whether r draws something by itself. Spaces, format
// characters (zero-width spaces and joiners, U+2060, U+FEFF, U+180E),
// variation selectors, combining marks (which only decorate the character
// before them), the Hangul fillers and the blank Braille pattern all render
// as nothing, or as a blank, when they stand alone.
func visible(r rune) bool {
	if unicode.IsSpace(r) || r == '\u2800' {
		return false
	}
	return !unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Cc,
		unicode.Variation_Selector, unicode.Other_Default_Ignorable_Code_Point)
}

// QuestionText cleans a question and checks it. The text is kept as typed
// but for what could act on a reader's screen rather than be read: line
// breaks are kept (as \n) and every other control character goes, escape
// sequences whole, so that no question can move a terminal's cursor, retitle
// its window or hide a link when a transcript or a log is viewed; so do the
// bidi overrides and isolates, which could reverse the text shown after the
// question. What remains must be 1 to MaxQuestionLen characters.
func QuestionText(text string) (string, error) {
	if !utf8.ValidString(text) {
		return "", Errorf(EValidation, "message must be valid UTF-8.").With("field", "message")
	}
	text = strings.TrimSpace(stripControls(text))
	if text == "" {
		return "", Errorf(EEmptyMessage, "Ask something: the message is empty.")
	}
	if utf8.RuneCountInString(text) > MaxQuestionLen {
		return "", Errorf(EMessageTooLong, "A question can have at most %d characters.", MaxQuestionLen).With("max", MaxQuestionLen)
	}
	return text, nil
}

// The characters that begin and end escape sequences. Of the 8-bit (C1)
// forms only CSI and ST are taken as such: the other C1 characters are
// dropped alone, so that one stray character in text that was mis-decoded
// somewhere cannot take the rest of a question with it.
const (
	esc = '\x1b'
	bel = '\x07'
	csi = '\u009b' // ESC [
	st  = '\u009c' // ESC \
)

// stripControls removes from valid UTF-8 text every control character but
// \n, with the escape sequences they begin, and the bidi overrides and
// isolates. \r\n and a lone \r become \n, a tab a space. A sequence is removed
// whole, or its parameters would be left behind as text ("[31m"); a string
// sequence (OSC and its kin) that is never terminated runs to the end, as a
// terminal would swallow it.
func stripControls(text string) string {
	rs := []rune(text)
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\r':
			b.WriteByte('\n')
			if i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
		case r == '\t':
			b.WriteByte(' ')
		case r == esc:
			i = skipEscape(rs, i)
		case r == csi:
			i = skipCSI(rs, i+1)
		case unicode.IsControl(r) || isBidiControl(r):
			// Dropped alone: a control character without a sequence.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// skipEscape returns the index of the last rune of the escape sequence that
// starts with the ESC at rs[i].
func skipEscape(rs []rune, i int) int {
	if i+1 >= len(rs) {
		return i
	}
	switch rs[i+1] {
	case '[':
		return skipCSI(rs, i+2)
	case ']', 'P', 'X', '^', '_':
		return skipString(rs, i+2)
	}
	// Any other sequence: intermediate bytes (0x20–0x2F, as in ESC ( B),
	// then one final byte (0x30–0x7E). ESC before anything else (a line
	// break, another control, a letter beyond ASCII) is removed alone.
	j := i + 1
	for j < len(rs) && rs[j] >= 0x20 && rs[j] <= 0x2f {
		j++
	}
	if j < len(rs) && rs[j] >= 0x30 && rs[j] <= 0x7e {
		return j
	}
	return i
}

// skipCSI returns the index of the last rune of a control sequence whose
// parameters start at rs[i]: parameter and intermediate bytes
// (0x20–0x3F), then a final byte (0x40–0x7E). A sequence broken off by
// anything else ends before it, so that the text after it is kept.
func skipCSI(rs []rune, i int) int {
	for i < len(rs) && rs[i] >= 0x20 && rs[i] <= 0x3f {
		i++
	}
	if i < len(rs) && rs[i] >= 0x40 && rs[i] <= 0x7e {
		return i
	}
	return i - 1
}

// skipString returns the index of the last rune of a string sequence (OSC,
// DCS, SOS, PM, APC) whose content starts at rs[i]: up to and including its
// terminator, BEL, ESC \ or ST, or to the end of the text.
func skipString(rs []rune, i int) int {
	for ; i < len(rs); i++ {
		switch {
		case rs[i] == bel || rs[i] == st:
			return i
		case rs[i] == esc && i+1 < len(rs) && rs[i+1] == '\\':
			return i + 1
		}
	}
	return len(rs) - 1
}
