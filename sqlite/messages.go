package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/seancehq/seance"
)

// appendStmts are AppendMessage's statements, prepared once on the writer:
// parsing them again for every message cost more than running them.
type appendStmts struct {
	nextSeq, answered, insert *sql.Stmt
}

func prepareAppend(ctx context.Context, w *sql.DB) (appendStmts, error) {
	var s appendStmts
	var err error
	for _, p := range []struct {
		stmt  **sql.Stmt
		query string
	}{
		{&s.nextSeq, `UPDATE sessions SET last_seq = last_seq + 1, last_active_at = max(last_active_at, ?)
			WHERE id = ? AND ended_at IS NULL RETURNING last_seq`},
		{&s.answered, `SELECT EXISTS (SELECT 1 FROM messages WHERE session_id = ? AND reply_to = ? AND is_spirit)`},
		{&s.insert, `INSERT INTO messages (id, session_id, seq, user_id, user_name, message, is_spirit, reply_to, letter_timings, created_at,
			                      safety_category, safety_help_text, safety_help_url)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
	} {
		if *p.stmt, err = w.PrepareContext(ctx, p.query); err != nil {
			return s, errors.Join(fmt.Errorf("sqlite: prepare: %w", err), s.close())
		}
	}
	return s, nil
}

func (s appendStmts) close() error {
	var err error
	for _, st := range []*sql.Stmt{s.nextSeq, s.answered, s.insert} {
		if st != nil {
			err = errors.Join(err, st.Close())
		}
	}
	return err
}

// AppendMessage stores m with the séance's next sequence number, taken in the
// same transaction so that no two messages share one and none is skipped.
func (db *DB) AppendMessage(ctx context.Context, m *seance.Message) error {
	cid, ok := canonicalID(m.SessionID)
	if !ok {
		return seance.SessionNotFound(m.SessionID)
	}
	var timings any
	if m.LetterTimings != nil {
		b, err := json.Marshal(m.LetterTimings)
		if err != nil {
			return fmt.Errorf("sqlite: append message: %w", err)
		}
		timings = string(b)
	}
	var replyTo any
	if m.ReplyTo != "" {
		replyTo = m.ReplyTo
	}
	safetyCategory, helpText, helpURL := safetyColumns(m.Safety)
	var seq int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.StmtContext(ctx, db.appends.nextSeq).QueryRowContext(ctx, micros(m.Timestamp), cid).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			// Absent or ended: which one the client is told.
			if err := activeSession(ctx, tx, cid, m.SessionID); err != nil {
				return err
			}
			return seance.SessionEnded(m.SessionID)
		}
		if err != nil {
			return err
		}
		// One writer at a time: no other answer can slip in after this check.
		if m.IsSpirit && replyTo != nil {
			var answered bool
			if err := tx.StmtContext(ctx, db.appends.answered).QueryRowContext(ctx, cid, replyTo).Scan(&answered); err != nil {
				return err
			}
			if answered {
				return seance.ErrAnswered
			}
		}
		_, err = tx.StmtContext(ctx, db.appends.insert).ExecContext(ctx,
			m.ID, cid, seq, m.UserID, m.UserName, m.Text, m.IsSpirit, replyTo, timings, micros(m.Timestamp),
			safetyCategory, helpText, helpURL)
		return err
	})
	if err != nil {
		return wrap("append message", err)
	}
	m.Seq = seq
	return nil
}

// activeSession is nil for a séance that exists and has not ended, and
// SESSION_NOT_FOUND or SESSION_ENDED otherwise. id is the caller's spelling,
// for the error; cid the canonical one.
func activeSession(ctx context.Context, tx *sql.Tx, cid, id string) error {
	var ended sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT ended_at FROM sessions WHERE id = ?`, cid).Scan(&ended)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return seance.SessionNotFound(id)
	case err != nil:
		return err
	case ended.Valid:
		return seance.SessionEnded(id)
	}
	return nil
}

// safetyColumns are the column values of an answer's safety: all NULL for
// none, and the help's NULL for a category without help.
func safetyColumns(s *seance.Safety) (category, helpText, helpURL any) {
	if s == nil {
		return nil, nil, nil
	}
	if s.Help == nil {
		return s.Category, nil, nil
	}
	return s.Category, s.Help.Text, s.Help.URL
}

const messageColumns = `id, seq, session_id, user_id, user_name, message, is_spirit, reply_to, letter_timings, created_at,
	safety_category, safety_help_text, safety_help_url`

// Messages returns up to limit messages after afterSeq, oldest first.
func (db *DB) Messages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]seance.Message, error) {
	cid, ok := canonicalID(sessionID)
	if !ok {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx,
		`SELECT `+messageColumns+` FROM messages WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?`, cid, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	ms, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: messages: %w", err)
	}
	return ms, nil
}

// PendingQuestions returns the séance's questions that no spirit message
// answers, oldest first.
func (db *DB) PendingQuestions(ctx context.Context, sessionID string) ([]seance.Message, error) {
	cid, ok := canonicalID(sessionID)
	if !ok {
		return nil, nil
	}
	rows, err := db.read.QueryContext(ctx,
		`SELECT `+messageColumns+` FROM messages q
		 WHERE q.session_id = ? AND q.is_spirit = 0
		   AND NOT EXISTS (SELECT 1 FROM messages a
		                   WHERE a.session_id = q.session_id AND a.reply_to = q.id AND a.is_spirit = 1)
		 ORDER BY q.seq`, cid)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending questions: %w", err)
	}
	ms, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: pending questions: %w", err)
	}
	return ms, nil
}

// scanMessages reads and closes rows of messageColumns.
func scanMessages(rows *sql.Rows) ([]seance.Message, error) {
	defer rows.Close()
	var ms []seance.Message
	for rows.Next() {
		var (
			m       seance.Message
			replyTo sql.NullString
			timings sql.NullString
			created int64

			category, helpText, helpURL sql.NullString
		)
		if err := rows.Scan(&m.ID, &m.Seq, &m.SessionID, &m.UserID, &m.UserName, &m.Text, &m.IsSpirit, &replyTo, &timings, &created,
			&category, &helpText, &helpURL); err != nil {
			return nil, err
		}
		if category.Valid {
			m.Safety = &seance.Safety{Category: category.String}
			if helpText.Valid {
				m.Safety.Help = &seance.Help{Text: helpText.String, URL: helpURL.String}
			}
		}
		m.ReplyTo = replyTo.String
		if timings.Valid {
			if err := json.Unmarshal([]byte(timings.String), &m.LetterTimings); err != nil {
				return nil, fmt.Errorf("letter timings of %s: %w", m.ID, err)
			}
		}
		m.Timestamp = fromMicros(created)
		ms = append(ms, m)
	}
	return ms, rows.Err()
}
