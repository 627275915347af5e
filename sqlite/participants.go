package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/seancehq/seance"
)

// AddParticipant stores p in an active séance.
func (db *DB) AddParticipant(ctx context.Context, p *seance.Participant) error {
	cid, ok := canonicalID(p.SessionID)
	if !ok {
		return seance.SessionNotFound(p.SessionID)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := activeSession(ctx, tx, cid, p.SessionID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx,
			`INSERT INTO participants (id, session_id, user_id, name, joined_at, removed_at) VALUES (?, ?, ?, ?, ?, ?)`,
			p.ID, cid, p.UserID, p.Name, micros(p.JoinedAt), optMicros(p.RemovedAt))
		if err != nil {
			return err
		}
		return touch(ctx, tx, cid, p.JoinedAt)
	})
	return wrap("add participant", err)
}

const participantColumns = `id, session_id, user_id, name, joined_at, removed_at`

func scanParticipant(row scanner) (*seance.Participant, error) {
	var (
		p       seance.Participant
		joined  int64
		removed sql.NullInt64
	)
	if err := row.Scan(&p.ID, &p.SessionID, &p.UserID, &p.Name, &joined, &removed); err != nil {
		return nil, err
	}
	p.JoinedAt = fromMicros(joined)
	p.RemovedAt = fromOptMicros(removed)
	return &p, nil
}

func participantNotFound(key string) error {
	return seance.Errorf(seance.EParticipantNotFound, "No such participant.").With("participant_id", key)
}

// Participants returns the séance's participants who were not removed.
func (db *DB) Participants(ctx context.Context, sessionID string) ([]seance.Participant, error) {
	cid, ok := canonicalID(sessionID)
	if !ok {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx,
		`SELECT `+participantColumns+` FROM participants
		 WHERE session_id = ? AND removed_at IS NULL ORDER BY n`, cid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: participants: %w", err)
	}
	defer rows.Close()
	var ps []seance.Participant
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: participants: %w", err)
		}
		ps = append(ps, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: participants: %w", err)
	}
	return ps, nil
}

// Participant returns one participant of the séance, removed or not.
func (db *DB) Participant(ctx context.Context, sessionID, id string) (*seance.Participant, error) {
	sid, ok := canonicalID(sessionID)
	if !ok {
		return nil, participantNotFound(id)
	}
	pid, ok := canonicalID(id)
	if !ok {
		return nil, participantNotFound(id)
	}
	p, err := scanParticipant(db.read.QueryRowContext(ctx,
		`SELECT `+participantColumns+` FROM participants WHERE session_id = ? AND id = ?`, sid, pid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, participantNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: participant: %w", err)
	}
	return p, nil
}

// EnsureParticipant returns the séance's participant with p.UserID, storing p
// if there is none.
func (db *DB) EnsureParticipant(ctx context.Context, p *seance.Participant) (*seance.Participant, error) {
	cid, ok := canonicalID(p.SessionID)
	if !ok {
		return nil, seance.SessionNotFound(p.SessionID)
	}
	var got *seance.Participant
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if err := activeSession(ctx, tx, cid, p.SessionID); err != nil {
			return err
		}
		// The stored participant wins, name included: a user id is public,
		// and whoever presents it later must not rename its owner.
		var err error
		got, err = scanParticipant(tx.QueryRowContext(ctx,
			`INSERT INTO participants (id, session_id, user_id, name, joined_at, removed_at) VALUES (?, ?, ?, ?, ?, ?)
			 ON CONFLICT (session_id, user_id) DO UPDATE SET name = name
			 RETURNING `+participantColumns,
			p.ID, cid, p.UserID, p.Name, micros(p.JoinedAt), optMicros(p.RemovedAt)))
		return err
	})
	if err != nil {
		return nil, wrap("ensure participant", err)
	}
	return got, nil
}

// RemoveParticipant marks removed the séance's participant whose id or
// user_id is key, keeping the first removal time.
func (db *DB) RemoveParticipant(ctx context.Context, sessionID, key string, at time.Time) (*seance.Participant, error) {
	sid, ok := canonicalID(sessionID)
	if !ok {
		return nil, participantNotFound(key)
	}
	// user_id is the client's free text and may spell another
	// participant's id; the id wins then, being the unambiguous name.
	var id any
	if pid, ok := canonicalID(key); ok {
		id = pid
	}
	p, err := scanParticipant(db.write.QueryRowContext(ctx,
		`UPDATE participants SET removed_at = COALESCE(removed_at, ?)
		 WHERE n = (SELECT n FROM participants
		            WHERE session_id = ? AND (id = ? OR user_id = ?)
		            ORDER BY id IS ? DESC, n LIMIT 1)
		 RETURNING `+participantColumns,
		micros(at), sid, id, key, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, participantNotFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: remove participant: %w", err)
	}
	return p, nil
}
