package seance

import (
	"context"
	"time"
)

// Store keeps séances, participants, messages and a little server state.
// Implementations: sqlite (default) and postgres; both pass storetest.
type Store interface {
	// CreateSession stores s. s.ID must be unique.
	CreateSession(ctx context.Context, s *Session) error
	// Session returns the séance, or ESessionNotFound.
	Session(ctx context.Context, id string) (*Session, error)
	// EndSession marks the séance ended at the given time and returns it.
	// Ending an ended séance changes nothing. ESessionNotFound if absent.
	EndSession(ctx context.Context, id string, at time.Time) (*Session, error)

	// AddParticipant stores p. ESessionNotFound if the séance is absent,
	// ESessionEnded if it has ended.
	AddParticipant(ctx context.Context, p *Participant) error
	// Participants returns the séance's participants who were not removed,
	// in joining order.
	Participants(ctx context.Context, sessionID string) ([]Participant, error)

	// AppendMessage stores m, assigning m.Seq (the séance's next sequence
	// number) in the same transaction. ESessionNotFound if the séance is absent.
	AppendMessage(ctx context.Context, m *Message) error
	// Messages returns up to limit messages with Seq > afterSeq, oldest first.
	Messages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]Message, error)

	// EnsureState returns the value stored under key, storing value first if
	// the key is absent. Concurrent callers (several nodes) all get the same value.
	EnsureState(ctx context.Context, key, value string) (string, error)

	// Ping checks that the database is reachable and usable.
	Ping(ctx context.Context) error
	Close() error
}
