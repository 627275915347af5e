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
	// Participant returns one participant of the séance by its id, removed
	// or not. EParticipantNotFound if there is none.
	Participant(ctx context.Context, sessionID, id string) (*Participant, error)
	// EnsureParticipant returns the séance's participant whose UserID is
	// p.UserID, storing p first if there is none; an existing one keeps
	// its name (user ids are public: presenting one must not rename its
	// owner). A removed
	// participant is returned as it is, RemovedAt set, for the caller to
	// refuse. ESessionNotFound, ESessionEnded as AddParticipant.
	EnsureParticipant(ctx context.Context, p *Participant) (*Participant, error)
	// RemoveParticipant marks removed the séance's participant whose ID or
	// UserID is key, and returns it; removing twice keeps the first time.
	// EParticipantNotFound if there is none.
	RemoveParticipant(ctx context.Context, sessionID, key string, at time.Time) (*Participant, error)

	// AppendMessage stores m, assigning m.Seq (the séance's next sequence
	// number) in the same transaction. ESessionNotFound if the séance is
	// absent, ESessionEnded if it has ended: nothing is stored for an ended
	// séance, not even the answer to a question asked just before its end.
	AppendMessage(ctx context.Context, m *Message) error
	// Messages returns up to limit messages with Seq > afterSeq, oldest first.
	Messages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]Message, error)
	// PendingQuestions returns the séance's questions (messages not from the
	// spirit) that no spirit message replies to, oldest first: after a
	// restart they are still owed an answer.
	PendingQuestions(ctx context.Context, sessionID string) ([]Message, error)

	// EndIdleSessions ends, at the time at, the active séances whose last
	// activity (creation, a join, a message: the times those carry) is
	// before idleBefore, and returns their ids: at most limit of them, the
	// longest idle first. A séance that turns active while this runs is
	// either ended before its activity is stored or not ended at all.
	EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]string, error)
	// DeleteEndedBefore deletes up to limit séances that ended before t,
	// their participants and messages with them, oldest ended first, and
	// returns how many séances it deleted. Active séances are never deleted.
	DeleteEndedBefore(ctx context.Context, t time.Time, limit int) (int, error)
	// TryLock takes the lock called name without waiting; ok is false when
	// it is held already. The lock is shared by every node on the database,
	// so that a background job runs on one node at a time; unlock lets it
	// go (calling it again does nothing), and so does a node that dies.
	TryLock(ctx context.Context, name string) (unlock func(), ok bool, err error)

	// EnsureState returns the value stored under key, storing value first if
	// the key is absent. Concurrent callers (several nodes) all get the same value.
	EnsureState(ctx context.Context, key, value string) (string, error)

	// Ping checks that the database is reachable and usable.
	Ping(ctx context.Context) error
	// PingWrite checks that the database takes a write, by making one: a
	// full disk, a read-only file or a read-only PostgreSQL still answer
	// Ping, and only a write tells. It writes a row of its own, so it
	// costs one small commit.
	PingWrite(ctx context.Context) error
	Close() error
}
