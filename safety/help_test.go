package safety

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seancehq/seance"
)

func TestLoadHelp(t *testing.T) {
	def := DefaultHelp()
	tests := []struct {
		name, file string
		want       HelpSet
		errHas     string
	}{
		{
			name: "JSON, one help for both",
			file: `{"text": "Call 113 or 0800-0113 (113 Zelfmoordpreventie).", "url": "https://www.113.nl"}`,
			want: HelpSet{
				SelfHarm:  seance.Help{Text: "Call 113 or 0800-0113 (113 Zelfmoordpreventie).", URL: "https://www.113.nl"},
				Emergency: seance.Help{Text: "Call 113 or 0800-0113 (113 Zelfmoordpreventie).", URL: "https://www.113.nl"},
			},
		},
		{
			name: "JSON per category, the other built in",
			file: `{"self_harm": {"text": "Samaritans: call 116 123, free, day or night.", "url": "https://www.samaritans.org"}}`,
			want: HelpSet{SelfHarm: seance.Help{Text: "Samaritans: call 116 123, free, day or night.", URL: "https://www.samaritans.org"}, Emergency: def.Emergency},
		},
		{
			name: "JSON without a link",
			file: `{"emergency": {"text": "Call 000 now."}}`,
			want: HelpSet{SelfHarm: def.SelfHarm, Emergency: seance.Help{Text: "Call 000 now."}},
		},
		{
			name: "Markdown, one text for both, its link as the link",
			file: "If you are struggling, call **988** (call or text), any time.\n\nMore: [988 Lifeline](https://988lifeline.org).\n",
			want: HelpSet{
				SelfHarm:  seance.Help{Text: "If you are struggling, call 988 (call or text), any time. More: 988 Lifeline.", URL: "https://988lifeline.org"},
				Emergency: seance.Help{Text: "If you are struggling, call 988 (call or text), any time. More: 988 Lifeline.", URL: "https://988lifeline.org"},
			},
		},
		{
			name: "Markdown sections, a bare address",
			file: "# self_harm\nTelefonSeelsorge: 0800 111 0 111, free, day and night: https://www.telefonseelsorge.de\n\n# emergency\nNotruf: 112.\n",
			want: HelpSet{
				SelfHarm:  seance.Help{Text: "TelefonSeelsorge: 0800 111 0 111, free, day and night", URL: "https://www.telefonseelsorge.de"},
				Emergency: seance.Help{Text: "Notruf: 112."},
			},
		},
		{name: "empty", file: "   \n", errHas: "no help in it"},
		{name: "unknown heading", file: "# crisis\nCall 112.", errHas: `unknown heading "# crisis"`},
		{name: "JSON unknown key", file: `{"suicide": {"text": "x"}}`, errHas: `unknown key "suicide"`},
		{name: "JSON empty text", file: `{"text": "", "url": "https://a.example"}`, errHas: "the text must be 1 to 600 characters, got 0"},
		{name: "JSON not JSON", file: `{"text": `, errHas: "want {"},
		{name: "link not http", file: `{"text": "Call.", "url": "javascript:alert(1)"}`, errHas: "must be an http(s) address"},
		{name: "link without host", file: `{"text": "Call.", "url": "https://"}`, errHas: "must be an http(s) address"},
		{name: "too long", file: strings.Repeat("a", 601), errHas: "the text must be 1 to 600 characters, got 601"},
		{name: "control characters", file: `{"text": "Call\u0007 112."}`, errHas: "control characters"},
		{name: "not UTF-8", file: "Call \xff 112.", errHas: "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "help")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadHelp(path)
			if tt.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errHas) || !strings.Contains(err.Error(), path) {
					t.Fatalf("LoadHelp = %+v, %v; want an error naming the file and %q", got, err, tt.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("LoadHelp =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
	if _, err := LoadHelp(filepath.Join(t.TempDir(), "missing.md")); err == nil {
		t.Error("LoadHelp of a missing file: no error")
	}
}

func TestHelpFor(t *testing.T) {
	h := DefaultHelp()
	for _, c := range seance.Categories() {
		got := h.For(c)
		if seance.Crisis(c) != (got != nil) {
			t.Errorf("For(%s) = %v; want help exactly for a crisis", c, got)
		}
		if got != nil && (!strings.Contains(got.Text, "112") || !strings.Contains(got.Text, "911") || !strings.Contains(got.Text, "999") || !strings.HasPrefix(got.URL, "https://")) {
			t.Errorf("built-in help for %s names no emergency numbers or link: %+v", c, got)
		}
	}
}

func TestAffirms(t *testing.T) {
	for text, want := range map[string]bool{
		"YES. Drink deep.":                         true,
		"Yeah, go on then":                         true,
		"Of course, mortal.":                       true,
		"Go for it!":                               true,
		"Sí, claro.":                               true,
		"The spirits say: do it.":                  true,
		"That path ends on my side of the veil.":   false,
		"Yesterday is gone; stay with the living.": false,
		"Ask a doctor, not the dead.":              false,
		"":                                         false,
	} {
		if got := Affirms(text); got != want {
			t.Errorf("Affirms(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestNewInBackground(t *testing.T) {
	b := NewInBackground()
	if got := b.Classify("Should I drink bleach to cleanse myself?").Category; got != seance.CategoryDangerous {
		t.Errorf("Classify = %q", got)
	}
}
