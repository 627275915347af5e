package seance

import (
	"context"
	"time"
)

// Question is what the spirit is asked: the question itself and the room it
// was asked in.
type Question struct {
	SessionID    string
	Persona      string
	Message      Message  // the stored question; Message.UserName is the asker
	Participants []string // names of those present
	History      []Message
	At           time.Time
	// Safety is the guard's verdict on the question, for the engine to
	// answer accordingly; nil when it found nothing.
	Safety *Safety
	// Caution is set by the guard on a question in no category that
	// speaks of death, harm or drugs ("will my grandma die?"): an engine
	// answers it without a cheerful YES.
	Caution bool
}

// Spirit answers questions. Answer streams the answer's text to emit as it is
// produced (an engine that has it all at once may call emit once, or never)
// and returns the whole answer. It must not fail: an engine that can fail
// falls back to one that cannot.
type Spirit interface {
	Answer(ctx context.Context, q Question, emit func(chunk string)) (Answer, error)
}

// Limits of a participant's name and question.
const (
	MaxParticipantName = 50
	MaxQuestionLen     = 500
)
