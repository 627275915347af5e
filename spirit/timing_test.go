package spirit

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLetterTimings(t *testing.T) {
	tests := []struct {
		text   string
		sweeps []int // rune offsets where a board word's sweep starts
	}{
		{"The circuits hum, softly. Ask again?", nil},
		{"YES. The circuits hum.", []int{0}},
		{"NO", []int{0}},
		{"Close the tab gently. GOODBYE", []int{22}},
		{"YES. Go in peace. GOODBYE", []int{0, 18}},
		{"YESTERDAY, NOBODY said yes or no.", nil},
		{"Séance: NO.", []int{8}},
		{"", nil},
	}
	for _, tt := range tests {
		for _, seed := range []string{"a", "b", "c"} {
			got := LetterTimings(tt.text, seed)
			runes := []rune(tt.text)
			if len(got) != len(runes) {
				t.Fatalf("%q: %d timings for %d characters", tt.text, len(got), len(runes))
			}
			if !slices.Equal(got, LetterTimings(tt.text, seed)) {
				t.Fatalf("%q: not reproducible for one seed", tt.text)
			}
			inSweep := 0
			for i, d := range got {
				if d < 50 || d > 500 {
					t.Errorf("%q[%d]: %d ms, outside 50–500", tt.text, i, d)
				}
				if slices.Contains(tt.sweeps, i) {
					if d < 350 || d > 450 {
						t.Errorf("%q[%d]: sweep start %d ms, want 350–450", tt.text, i, d)
					}
					inSweep = boardWordAt(runes, i) - 1
					continue
				}
				if inSweep > 0 {
					inSweep--
					if d != 50 {
						t.Errorf("%q[%d]: %d ms inside a sweep, want 50", tt.text, i, d)
					}
					continue
				}
				lo, hi := 100, 200
				switch {
				case i == 0, runes[i] == ' ' && !strings.ContainsRune(".!?,;:-", runes[i-1]):
					lo, hi = 200, 300
				case strings.ContainsRune(".!?", runes[i-1]):
					lo, hi = 250, 400
				case strings.ContainsRune(",;:-", runes[i-1]):
					lo, hi = 180, 250
				}
				if d < lo || d > hi {
					t.Errorf("%q[%d] %q: %d ms, want %d–%d", tt.text, i, runes[i], d, lo, hi)
				}
			}
		}
	}
	long := strings.Repeat("The candle gutters. ", 20)
	if a, b := LetterTimings(long, "x"), LetterTimings(long, "y"); slices.Equal(a, b) {
		t.Error("different seeds, same jitter")
	}
	if n := utf8.RuneCountInString("Séance"); len(LetterTimings("Séance", "s")) != n {
		t.Error("one timing per character, not per byte")
	}
}
