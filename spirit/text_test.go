package spirit

import (
	"strings"
	"testing"
)

func TestCap(t *testing.T) {
	long := strings.Repeat("word ", 40)
	tests := []struct {
		text  string
		words int
		want  string
	}{
		{"YES. The circuits hum.", 30, "YES. The circuits hum."},
		{"  spaced\n\tout  words ", 30, "spaced out words"},
		{"one two three four", 3, "one two three..."},
		{"one two, three four", 2, "one two..."},
		{"one two. three", 2, "one two..."},
		{"one two - three", 2, "one two..."},
		{"one — three", 1, "one..."},
		{long, MaxWords, strings.TrimSpace(strings.Repeat("word ", 30)) + "..."},
		{"anything", 0, ""},
		{"", 5, ""},
	}
	for _, tt := range tests {
		got := Cap(tt.text, tt.words)
		if got != tt.want {
			t.Errorf("Cap(%q, %d) = %q, want %q", tt.text, tt.words, got, tt.want)
		}
		if n := len(strings.Fields(got)); n > max(tt.words, 0) {
			t.Errorf("Cap(%q, %d) has %d words", tt.text, tt.words, n)
		}
	}
}

func TestWords(t *testing.T) {
	got := Words("Don't STOP—the Sibyl’s 3 answers!")
	want := []string{"dont", "stop", "the", "sibyls", "3", "answers"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Words = %q, want %q", got, want)
	}
}
