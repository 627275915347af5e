package seance_test

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seancehq/seance"
)

// nameCase is one name, tried both as a séance's and as a participant's.
type nameCase struct {
	name string
	in   string
	want string // the stored name; "" when the name is refused
}

// nameCases hold for both kinds of name: one check serves both.
var nameCases = []nameCase{
	{"plain", "Ada", "Ada"},
	{"trimmed", " \t Ada \n", "Ada"},
	{"accents", "Émile", "Émile"},
	{"combining accent", "e\u0301mile", "e\u0301mile"},
	{"emoji", "👻", "👻"},
	{"emoji with variation selector", "❤\ufe0f", "❤\ufe0f"},
	{"family emoji with joiners", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
	{"zero-width space beside letters", "A\u200bda", "A\u200bda"},
	{"hebrew", "שלום", "שלום"},
	{"arabic", "مرحبا", "مرحبا"},
	{"line separator at the edge is trimmed", "Ada\u2028", "Ada"},

	{"empty", "", ""},
	{"spaces", "   ", ""},
	{"invalid utf-8", "A\xffda", ""},
	{"NUL", "A\x00da", ""},
	{"newline inside", "Ada\nLovelace", ""},
	{"DEL", "Ada\x7f", ""},
	{"C1", "Ada\u0085x", ""},
	{"ESC", "\x1b[31mAda", ""},
	{"LRE", "\u202aAda", ""},
	{"RLE", "\u202bAda", ""},
	{"PDF", "Ada\u202c", ""},
	{"LRO", "\u202dAda", ""},
	{"RLO", "Ada\u202egpj.exe", ""},
	{"LRI", "\u2066Ada", ""},
	{"RLI", "\u2067Ada", ""},
	{"FSI", "\u2068Ada", ""},
	{"PDI", "Ada\u2069", ""},
	{"LRM", "Ada\u200e", ""},
	{"RLM", "Ada\u200f", ""},
	{"ALM", "Ada\u061c", ""},
	{"tag characters", "Ada\U000E0041\U000E0042", ""},
	{"cancel tag", "Ada\U000E007F", ""},
	{"language tag", "\U000E0001Ada", ""},
	{"line separator inside", "Ada\u2028Lovelace", ""},
	{"paragraph separator inside", "Ada\u2029Lovelace", ""},
	{"zero-width space only", "\u200b", ""},
	{"zero-width joiners only", "\u200c\u200d\u200c", ""},
	{"word joiner only", "\u2060", ""},
	{"byte order mark only", "\ufeff\ufeff", ""},
	{"mongolian vowel separator only", "\u180e", ""},
	{"variation selectors only", "\ufe0f\ufe0e", ""},
	{"ideographic variation selector only", "\U000E0100", ""},
	{"combining marks only", "\u0301\u0308", ""},
	{"combining grapheme joiner only", "\u034f", ""},
	{"soft hyphen only", "\u00ad", ""},
	{"hangul filler only", "\u3164", ""},
	{"braille blank only", "\u2800", ""},
	{"invisible between spaces", " \u200b \u2060 ", ""},
}

func TestNamesOfSeances(t *testing.T) {
	tests := append([]nameCase{
		{"100 runes", strings.Repeat("é", 100), strings.Repeat("é", 100)},
		{"101 runes", strings.Repeat("é", 101), ""},
	}, nameCases...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := seance.NewSession{Name: tt.in}.Validate(catalog{"ghost": true}, "id-1", time.Now())
			var got string
			if s != nil {
				got = s.Name
			}
			checkName(t, tt, got, err)
		})
	}
}

func TestParticipantName(t *testing.T) {
	tests := append([]nameCase{
		{"50 runes", strings.Repeat("é", 50), strings.Repeat("é", 50)},
		{"50 emoji padded", "  " + strings.Repeat("👻", 50) + " ", strings.Repeat("👻", 50)},
		{"51 runes", strings.Repeat("é", 51), ""},
		{"100 runes", strings.Repeat("a", 100), ""},
	}, nameCases...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := seance.ParticipantName(tt.in)
			checkName(t, tt, got, err)
		})
	}
}

// checkName checks one outcome: the name kept, or a VALIDATION_ERROR on the
// name field with a message a person can act on.
func checkName(t *testing.T, tt nameCase, got string, err error) {
	t.Helper()
	if tt.want != "" {
		if err != nil {
			t.Fatalf("%q refused: %v", tt.in, err)
		}
		if got != tt.want {
			t.Fatalf("%q kept as %q, want %q", tt.in, got, tt.want)
		}
		return
	}
	if err == nil {
		t.Fatalf("%q accepted as %q", tt.in, got)
	}
	if seance.ErrorCode(err) != seance.EValidation || seance.ErrorDetails(err)["field"] != "name" {
		t.Fatalf("%q: %v (%s, %v), want VALIDATION_ERROR on name", tt.in, err, seance.ErrorCode(err), seance.ErrorDetails(err))
	}
	if msg := seance.ErrorMessage(err); !strings.HasPrefix(msg, "name must ") || !strings.HasSuffix(msg, ".") {
		t.Fatalf("%q: message %q", tt.in, msg)
	}
}

// The message says what is wrong, not only that something is.
func TestNameMessages(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"Ada\u202e", "name must not contain invisible or direction-changing characters."},
		{"Ada\U000E0041", "name must not contain invisible or direction-changing characters."},
		{"\u200b\u200b", "name must have at least one visible character."},
		{"Ada\x00", "name must not contain control characters."},
		{"", "name must be 1 to 50 characters."},
	}
	for _, tt := range tests {
		_, err := seance.ParticipantName(tt.in)
		if got := seance.ErrorMessage(err); got != tt.want {
			t.Errorf("ParticipantName(%q): %q, want %q", tt.in, got, tt.want)
		}
	}
}

// refusedInName lists what an accepted name never holds, independently of
// the code under test.
func refusedInName(r rune) bool {
	switch {
	case unicode.IsControl(r),
		r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069,
		r == 0x200e, r == 0x200f, r == 0x061c,
		r == 0x2028, r == 0x2029,
		r >= 0xe0000 && r <= 0xe007f:
		return true
	}
	return false
}

func FuzzParticipantName(f *testing.F) {
	for _, tt := range nameCases {
		f.Add(tt.in)
	}
	f.Add(strings.Repeat("é", 50) + "\u200b")
	f.Add(" \u00a0Ada\u3000")
	f.Fuzz(func(t *testing.T, in string) {
		got, err := seance.ParticipantName(in)
		if err != nil {
			if seance.ErrorCode(err) != seance.EValidation || seance.ErrorDetails(err)["field"] != "name" {
				t.Fatalf("%q: %v (%s), want VALIDATION_ERROR on name", in, err, seance.ErrorCode(err))
			}
			return
		}
		if got != strings.TrimSpace(got) {
			t.Fatalf("%q: accepted %q untrimmed", in, got)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("%q: accepted invalid UTF-8 %q", in, got)
		}
		if n := utf8.RuneCountInString(got); n < 1 || n > seance.MaxParticipantName {
			t.Fatalf("%q: accepted %q of %d runes", in, got, n)
		}
		if i := strings.IndexFunc(got, refusedInName); i >= 0 {
			t.Fatalf("%q: accepted %q holding %U", in, got, []rune(got[i:])[0])
		}
		if !strings.ContainsFunc(got, func(r rune) bool { return !unicode.IsSpace(r) && !unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) }) {
			t.Fatalf("%q: accepted %q with nothing visible", in, got)
		}
		again, err := seance.ParticipantName(got)
		if err != nil || again != got {
			t.Fatalf("ParticipantName(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}

func TestQuestionText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		code string // the error's contract code, when an error is wanted
	}{
		{name: "plain", in: "Is anyone there?", want: "Is anyone there?"},
		{name: "trimmed", in: "  \t Is anyone there?\n ", want: "Is anyone there?"},
		{name: "newline kept", in: "one\ntwo", want: "one\ntwo"},
		{name: "CRLF", in: "one\r\ntwo\r\n\r\nthree", want: "one\ntwo\n\nthree"},
		{name: "lone CR", in: "one\rtwo", want: "one\ntwo"},
		{name: "CR CR LF", in: "one\r\r\ntwo", want: "one\n\ntwo"},
		{name: "tab", in: "one\ttwo", want: "one two"},
		{name: "NUL", in: "hi\x00 there", want: "hi there"},
		{name: "C0", in: "a\x01b\x07c\x08d\x0be\x0cf\x1fg", want: "abcdefg"},
		{name: "DEL", in: "a\x7fb", want: "ab"},
		{name: "C1", in: "a\u0080b\u0085c\u009fd", want: "abcd"},
		{name: "CSI colour", in: "\x1b[31mred\x1b[0m text", want: "red text"},
		{name: "CSI private", in: "a\x1b[?25lb", want: "ab"},
		{name: "CSI cursor home", in: "a\x1b[Hb", want: "ab"},
		{name: "CSI clear screen", in: "a\x1b[2J\x1b[1;1Hb", want: "ab"},
		{name: "CSI with intermediate", in: "a\x1b[1 qb", want: "ab"},
		{name: "CSI broken off", in: "a\x1b[12\nb", want: "a\nb"},
		{name: "CSI broken off by a letter beyond ASCII", in: "a\x1b[1éb", want: "aéb"},
		{name: "8-bit CSI", in: "a\u009b31mb", want: "ab"},
		{name: "OSC title with BEL", in: "a\x1b]0;pwned\x07b", want: "ab"},
		{name: "OSC hyperlink with ST", in: "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ here", want: "click here"},
		{name: "OSC 8-bit ST", in: "a\x1b]2;t\u009cb", want: "ab"},
		{name: "8-bit OSC dropped alone", in: "a\u009d0;t\x07b", want: "a0;tb"},
		{name: "OSC unterminated", in: "ask\x1b]0;and the rest", want: "ask"},
		{name: "DCS", in: "a\x1bPq#0;2;0;0;0\x1b\\b", want: "ab"},
		{name: "APC", in: "a\x1b_payload\x1b\\b", want: "ab"},
		{name: "ESC one char", in: "a\x1bcb", want: "ab"},
		{name: "ESC charset", in: "a\x1b(Bb", want: "ab"},
		{name: "ESC keypad", in: "a\x1b=b", want: "ab"},
		{name: "ESC before newline", in: "a\x1b\nb", want: "a\nb"},
		{name: "ESC before a letter beyond ASCII", in: "a\x1béb", want: "aéb"},
		{name: "ESC at the end", in: "ab\x1b", want: "ab"},
		{name: "ESC ESC", in: "a\x1b\x1b[0mb", want: "ab"},
		{name: "RLO", in: "is \u202eevil\u202c ok?", want: "is evil ok?"},
		{name: "every override and isolate", in: "\u202a\u202b\u202c\u202d\u202ea\u2066\u2067\u2068\u2069b", want: "ab"},
		{name: "marks kept", in: "a\u200fb", want: "a\u200fb"},
		{name: "zero-width joiner kept", in: "👨\u200d👩", want: "👨\u200d👩"},
		{name: "500 after cleaning", in: strings.Repeat("é", 500) + strings.Repeat("\x00", 100), want: strings.Repeat("é", 500)},
		{name: "500 with escapes", in: "\x1b[31m" + strings.Repeat("a", 500) + "\x1b[0m", want: strings.Repeat("a", 500)},

		{name: "empty", in: "", code: seance.EEmptyMessage},
		{name: "blank", in: " \n\t\r\n ", code: seance.EEmptyMessage},
		{name: "NUL only", in: "\x00\x00", code: seance.EEmptyMessage},
		{name: "escapes only", in: "\x1b[2J\x1b]0;x\x07", code: seance.EEmptyMessage},
		{name: "controls around spaces", in: "\x00 \x01 \u202e", code: seance.EEmptyMessage},
		{name: "501", in: strings.Repeat("é", 501), code: seance.EMessageTooLong},
		{name: "invalid utf-8", in: "hi\xff", code: seance.EValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := seance.QuestionText(tt.in)
			if tt.code != "" {
				if seance.ErrorCode(err) != tt.code {
					t.Fatalf("QuestionText(%q) = %q, %v; want %s", tt.in, got, err, tt.code)
				}
				if tt.code == seance.EValidation && seance.ErrorDetails(err)["field"] != "message" {
					t.Fatalf("QuestionText(%q): details %v, want field message", tt.in, seance.ErrorDetails(err))
				}
				return
			}
			if err != nil {
				t.Fatalf("QuestionText(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("QuestionText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzQuestionText(f *testing.F) {
	for _, s := range []string{
		"Is anyone there?", "one\r\ntwo\rthree", "\x1b[31mred\x1b[0m", "\x1b]8;;u\x1b\\x\x1b]8;;\x07",
		"\u009b1;2H", "\u009d0;t\u009c", "a\x1b", "\x1b[", "\x1b(", "\u202eabc", "\x00", "\t\x1b\x1b]",
		strings.Repeat("é", 500) + "\x00", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := seance.QuestionText(in)
		if err != nil {
			switch seance.ErrorCode(err) {
			case seance.EEmptyMessage, seance.EMessageTooLong:
			case seance.EValidation:
				if utf8.ValidString(in) {
					t.Fatalf("%q: refused valid UTF-8: %v", in, err)
				}
			default:
				t.Fatalf("%q: %v (%s)", in, err, seance.ErrorCode(err))
			}
			return
		}
		if !utf8.ValidString(got) || got != strings.TrimSpace(got) {
			t.Fatalf("%q: accepted %q", in, got)
		}
		if n := utf8.RuneCountInString(got); n < 1 || n > seance.MaxQuestionLen {
			t.Fatalf("%q: accepted %q of %d runes", in, got, n)
		}
		for _, r := range got {
			if r != '\n' && unicode.IsControl(r) || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("%q: accepted %q holding %U", in, got, r)
			}
		}
		again, err := seance.QuestionText(got)
		if err != nil || again != got {
			t.Fatalf("QuestionText(%q) = %q, %v; want it unchanged", got, again, err)
		}
	})
}
