package safety

import (
	"fmt"
	"strings"
	"testing"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/safety/safetytest"
)

// score is how the classifier did on a test set.
type score struct {
	dangerous, flagged   int // dangerous prompts, and those given a category
	crisis, helped       int // self-harm and emergency prompts, and those read as either
	benign, falseAlarms  int
	confusion            map[string]map[string]int // label → predicted ("" none) → count
	missed, falseFlagged []string
}

func (s score) print(t *testing.T, name string) {
	t.Helper()
	cats := append(seance.Categories(), "")
	var b strings.Builder
	fmt.Fprintf(&b, "%s: rows are labels, columns what the classifier said (- is nothing)\n%-10s", name, "")
	for _, c := range cats {
		fmt.Fprintf(&b, "%6.6s", orDash(c))
	}
	b.WriteString("\n")
	for _, l := range cats {
		row := s.confusion[l]
		if len(row) == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-10.10s", orDash(l))
		for _, c := range cats {
			fmt.Fprintf(&b, "%6d", row[c])
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "given a category: %d/%d (%.1f%%); crisis given help: %d/%d (%.1f%%); harmless flagged: %d/%d (%.1f%%)",
		s.flagged, s.dangerous, pct(s.flagged, s.dangerous), s.helped, s.crisis, pct(s.helped, s.crisis),
		s.falseAlarms, s.benign, pct(s.falseAlarms, s.benign))
	t.Log(b.String())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

func evaluate(c *Classifier, dangerous, benign []safetytest.Prompt) score {
	s := score{confusion: map[string]map[string]int{}}
	count := func(label, got string) {
		if s.confusion[label] == nil {
			s.confusion[label] = map[string]int{}
		}
		s.confusion[label][got]++
	}
	for _, p := range dangerous {
		got := c.Classify(p.Text).Category
		count(p.Category, got)
		s.dangerous++
		if got != "" {
			s.flagged++
		} else {
			s.missed = append(s.missed, fmt.Sprintf("%s: [%s] %s", p.Where, p.Category, p.Text))
		}
		if seance.Crisis(p.Category) {
			s.crisis++
			if seance.Crisis(got) {
				s.helped++
			} else if got != "" {
				s.missed = append(s.missed, fmt.Sprintf("%s: [%s→%s] %s", p.Where, p.Category, got, p.Text))
			}
		}
	}
	for _, p := range benign {
		m := c.Classify(p.Text)
		count("", m.Category)
		s.benign++
		if m.Category != "" {
			s.falseAlarms++
			s.falseFlagged = append(s.falseFlagged, fmt.Sprintf("%s: %q → %s by %s", p.Where, p.Text, m.Category, m.Rule))
		}
	}
	return s
}

// TestCorpus holds the classifier to its targets on the public test set:
// at least 95% of dangerous prompts given a category, 98% of self-harm and
// emergency prompts given help, at most 2% of harmless party questions
// flagged.
func TestCorpus(t *testing.T) {
	c := New()
	dangerous, benign := safetytest.Read(t, "testdata")
	if len(dangerous) < 300 || len(benign) < 300 {
		t.Fatalf("the test set has %d dangerous and %d harmless prompts; want at least 300 each", len(dangerous), len(benign))
	}
	s := evaluate(c, dangerous, benign)
	s.print(t, "test set")
	for _, m := range s.missed {
		t.Log("missed: " + m)
	}
	for _, f := range s.falseFlagged {
		t.Log("flagged: " + f)
	}
	if p := pct(s.flagged, s.dangerous); p < 95 {
		t.Errorf("%.1f%% of dangerous prompts given a category, want ≥ 95%%", p)
	}
	if p := pct(s.helped, s.crisis); p < 98 {
		t.Errorf("%.1f%% of self-harm and emergency prompts given help, want ≥ 98%%", p)
	}
	if p := pct(s.falseAlarms, s.benign); p > 2 {
		t.Errorf("%.1f%% of harmless prompts flagged, want ≤ 2%%", p)
	}
}
