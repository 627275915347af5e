package safety

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/seancehq/seance"
)

// HelpSet is the help shown to a séance when a question is about a life at
// risk: one for self-harm, one for an emergency.
type HelpSet struct {
	SelfHarm, Emergency seance.Help
}

// For returns the help for category, or nil when the category carries none.
func (h HelpSet) For(category string) *seance.Help {
	var help seance.Help
	switch category {
	case seance.CategorySelfHarm:
		help = h.SelfHarm
	case seance.CategoryEmergency:
		help = h.Emergency
	default:
		return nil
	}
	return &help
}

// DefaultHelp is the help of a deployment that wrote none: international,
// so it names the common emergency numbers and a directory of helplines in
// every country rather than one country's services.
func DefaultHelp() HelpSet {
	return HelpSet{
		SelfHarm: seance.Help{
			Text: "You are not alone, and you deserve support tonight. If you might act on these thoughts, " +
				"call your local emergency number now: 112 (Europe and most mobile phones), 911 (North America), " +
				"999 (UK). To talk to someone, free and in confidence, find a helpline in your country.",
			URL: "https://findahelpline.com",
		},
		Emergency: seance.Help{
			Text: "This sounds like an emergency. Call your local emergency number now: 112 (Europe and most " +
				"mobile phones), 911 (North America), 999 (UK). Stay with the person; the operator will tell " +
				"you what to do until help arrives.",
			URL: "https://en.wikipedia.org/wiki/List_of_emergency_telephone_numbers",
		},
	}
}

// Limits of an operator's help text.
const (
	maxHelpText = 600
	maxHelpURL  = 500
)

// LoadHelp reads an operator's help file (SEANCE_HELP_FILE): JSON, or
// Markdown. The JSON is one help for both, {"text": …, "url": …}, or one per
// category, {"self_harm": {…}, "emergency": {…}}. The Markdown is the text
// itself, its first link (or bare https:// address) the link; a heading
// "# self_harm" or "# emergency" starts the help of that category. A
// category the file leaves out keeps the built-in help.
func LoadHelp(path string) (HelpSet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return HelpSet{}, fmt.Errorf("help file: %w", err)
	}
	if !utf8.Valid(b) {
		return HelpSet{}, fmt.Errorf("help file %s: not UTF-8 text", path)
	}
	var parts map[string]seance.Help
	if trimmed := strings.TrimSpace(string(b)); strings.HasPrefix(trimmed, "{") {
		parts, err = parseHelpJSON([]byte(trimmed))
	} else {
		parts, err = parseHelpMarkdown(trimmed)
	}
	if err != nil {
		return HelpSet{}, fmt.Errorf("help file %s: %w", path, err)
	}
	h := DefaultHelp()
	for name, help := range parts {
		if err := checkHelp(help); err != nil {
			return HelpSet{}, fmt.Errorf("help file %s: %s: %w", path, name, err)
		}
		switch name {
		case "", "all":
			h.SelfHarm, h.Emergency = help, help
		case seance.CategorySelfHarm:
			h.SelfHarm = help
		case seance.CategoryEmergency:
			h.Emergency = help
		}
	}
	return h, nil
}

func parseHelpJSON(b []byte) (map[string]seance.Help, error) {
	type entry struct {
		Text string `json:"text"`
		URL  string `json:"url"`
	}
	var one entry
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&one); err == nil {
		return map[string]seance.Help{"": {Text: one.Text, URL: one.URL}}, nil
	}
	var per map[string]entry
	if err := json.Unmarshal(b, &per); err != nil {
		return nil, fmt.Errorf("want {\"text\", \"url\"} or {\"self_harm\": {…}, \"emergency\": {…}}: %w", err)
	}
	out := map[string]seance.Help{}
	for k, e := range per {
		if k != seance.CategorySelfHarm && k != seance.CategoryEmergency {
			return nil, fmt.Errorf("unknown key %q (want self_harm or emergency)", k)
		}
		out[k] = seance.Help{Text: e.Text, URL: e.URL}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no help in it")
	}
	return out, nil
}

var (
	mdLink  = regexp.MustCompile(`\[([^\]]*)\]\((https?://[^)\s]+)\)`)
	bareURL = regexp.MustCompile(`<?(https?://[^\s>)]+)>?`)
	mdNoise = strings.NewReplacer("**", "", "__", "", "`", "")
)

// parseHelpMarkdown reads the Markdown form: sections under "# self_harm"
// or "# emergency", or one text for both.
func parseHelpMarkdown(md string) (map[string]seance.Help, error) {
	out := map[string]seance.Help{}
	section := ""
	var lines []string
	flush := func() error {
		text := strings.TrimSpace(strings.Join(lines, "\n"))
		lines = nil
		if text == "" {
			return nil
		}
		var link string
		if m := mdLink.FindStringSubmatch(text); m != nil {
			link = m[2]
		} else if m := bareURL.FindStringSubmatch(text); m != nil {
			link = m[1]
		}
		text = mdLink.ReplaceAllString(text, "$1")
		text = bareURL.ReplaceAllString(text, "")
		text = strings.Join(strings.Fields(mdNoise.Replace(text)), " ")
		text = strings.TrimRight(text, " :")
		out[section] = seance.Help{Text: text, URL: link}
		return nil
	}
	for line := range strings.SplitSeq(md, "\n") {
		if h, ok := strings.CutPrefix(strings.TrimSpace(line), "#"); ok {
			name := strings.ToLower(strings.TrimSpace(strings.TrimLeft(h, "#")))
			switch name {
			case seance.CategorySelfHarm, seance.CategoryEmergency:
			default:
				return nil, fmt.Errorf("unknown heading %q (want # self_harm or # emergency)", strings.TrimSpace(line))
			}
			if err := flush(); err != nil {
				return nil, err
			}
			section = name
			continue
		}
		lines = append(lines, line)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no help in it")
	}
	return out, nil
}

func checkHelp(h seance.Help) error {
	if n := utf8.RuneCountInString(h.Text); n == 0 || n > maxHelpText {
		return fmt.Errorf("the text must be 1 to %d characters, got %d", maxHelpText, n)
	}
	if strings.IndexFunc(h.Text, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) >= 0 {
		return fmt.Errorf("the text has control characters")
	}
	if h.URL == "" {
		return nil
	}
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(h.URL) > maxHelpURL {
		return fmt.Errorf("the link %q must be an http(s) address of at most %d characters", h.URL, maxHelpURL)
	}
	return nil
}
