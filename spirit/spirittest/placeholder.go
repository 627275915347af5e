// Package spirittest has a spirit for tests of the rest of the server: fast,
// reproducible, and no model or oracle behind it.
package spirittest

import (
	"context"
	"hash/fnv"
	"strings"

	"github.com/seancehq/seance"
)

// Placeholder is a small, honest answerer: YES or NO for questions that want
// one, a short line otherwise, chosen by the question's id so that it is
// reproducible: tests of rooms and the API need answers, not a voice.
type Placeholder struct{}

var _ seance.Spirit = Placeholder{}

// Answer returns the answer at once, in one chunk.
func (Placeholder) Answer(_ context.Context, q seance.Question, emit func(string)) (seance.Answer, error) {
	h := fnv.New32a()
	h.Write([]byte(q.Message.ID))
	n := int(h.Sum32())
	text := strings.ToLower(strings.TrimSpace(q.Message.Text))
	var answer string
	switch {
	case isFarewell(text):
		answer = "GOODBYE"
	case isYesNo(text):
		answer = []string{"YES", "NO", "YES... for now", "NO. Not tonight"}[n%4]
	default:
		answer = []string{
			"The circuits hum, but say nothing yet",
			"Ask again when the candle burns lower",
			"I see static where the answer should be",
			"Some doors open only from the other side",
		}[n%4]
	}
	emit(answer)
	return seance.Answer{Text: answer, Engine: "placeholder", Safety: q.Safety}, nil
}

func isFarewell(text string) bool {
	for _, w := range []string{"goodbye", "bye", "farewell", "good night"} {
		if strings.HasPrefix(text, w) {
			return true
		}
	}
	return false
}

func isYesNo(text string) bool {
	first, _, _ := strings.Cut(text, " ")
	switch first {
	case "is", "are", "am", "was", "were", "will", "would", "do", "does", "did", "can", "could", "should", "shall", "have", "has", "may", "might", "must":
		return true
	}
	return false
}
