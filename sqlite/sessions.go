package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/seancehq/seance"
)

const sessionColumns = `id, name, max_users, spirit, created_at, ended_at, last_seq,
	(SELECT count(*) FROM participants p WHERE p.session_id = sessions.id AND p.removed_at IS NULL)`

func scanSession(row scanner) (*seance.Session, error) {
	var (
		s       seance.Session
		created int64
		ended   sql.NullInt64
	)
	if err := row.Scan(&s.ID, &s.Name, &s.MaxUsers, &s.Spirit, &created, &ended, &s.LastSeq, &s.ParticipantCount); err != nil {
		return nil, err
	}
	s.CreatedAt = fromMicros(created)
	s.EndedAt = fromOptMicros(ended)
	return &s, nil
}

// CreateSession stores s.
func (db *DB) CreateSession(ctx context.Context, s *seance.Session) error {
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO sessions (id, name, max_users, spirit, created_at, ended_at, last_seq, last_active_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.Name, s.MaxUsers, s.Spirit, micros(s.CreatedAt), optMicros(s.EndedAt), s.LastSeq, micros(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return nil
}

// Session returns the séance with the given id.
func (db *DB) Session(ctx context.Context, id string) (*seance.Session, error) {
	return db.session(ctx, db.read, id)
}

func (db *DB) session(ctx context.Context, q querier, id string) (*seance.Session, error) {
	cid, ok := canonicalID(id)
	if !ok {
		return nil, seance.SessionNotFound(id)
	}
	s, err := scanSession(q.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, cid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, seance.SessionNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: session: %w", err)
	}
	return s, nil
}

// EndSession marks the séance ended; an ended séance keeps its first end time.
func (db *DB) EndSession(ctx context.Context, id string, at time.Time) (*seance.Session, error) {
	cid, ok := canonicalID(id)
	if !ok {
		return nil, seance.SessionNotFound(id)
	}
	var s *seance.Session
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL`, micros(at), cid); err != nil {
			return err
		}
		var err error
		s, err = db.session(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, wrap("end session", err)
	}
	return s, nil
}

// touch records activity in the séance at t; activity never moves back.
func touch(ctx context.Context, tx *sql.Tx, cid string, t time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_active_at = max(last_active_at, ?) WHERE id = ?`, micros(t), cid)
	return err
}
