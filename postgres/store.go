package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seancehq/seance"
)

// sessionColumns is shared by every query that returns a Session so that
// scanSession and the SQL cannot drift apart. The participant count is a
// sub-select rather than a stored counter so that it cannot disagree with the
// participants table.
const sessionColumns = `s.id, s.name, s.max_users, s.spirit, s.created_at, s.ended_at, s.last_seq,
	(SELECT count(*) FROM participants p WHERE p.session_id = s.id AND p.removed_at IS NULL)`

func scanSession(row pgx.Row) (*seance.Session, error) {
	var (
		s     seance.Session
		count int64
	)
	if err := row.Scan(&s.ID, &s.Name, &s.MaxUsers, &s.Spirit, &s.CreatedAt, &s.EndedAt, &s.LastSeq, &count); err != nil {
		return nil, err
	}
	s.CreatedAt = s.CreatedAt.UTC()
	s.EndedAt = utcPtr(s.EndedAt)
	s.ParticipantCount = int(count)
	return &s, nil
}

// utcPtr normalises a nullable time: pgx returns times in the local zone, and
// callers compare what they read with what they wrote (in UTC).
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// dbTime prepares a nullable time for writing. Times go through
// seance.Timestamp because PostgreSQL would round nanoseconds to the nearest
// microsecond where the domain truncates, and the two would then disagree.
func dbTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := seance.Timestamp(*t)
	return &u
}

// sessionID parses a séance id from a client. Anything that is not a UUID
// cannot name a séance, so it is reported as not found before it reaches the
// database (where it would be a type error, i.e. an internal error).
func sessionID(id string) (uuid.UUID, error) {
	u, err := parseID(id)
	if err != nil {
		return uuid.UUID{}, seance.SessionNotFound(id)
	}
	return u, nil
}

// parseID parses an id from a client in its canonical spelling only
// (seance.ValidID): the column would match other spellings of the same
// UUID, which the rest of the server keys as other séances.
func parseID(id string) (uuid.UUID, error) {
	if !seance.ValidID(id) {
		return uuid.UUID{}, fmt.Errorf("postgres: %q is not a canonical id", id)
	}
	return uuid.Parse(id)
}

// endedOrMissing tells why a séance took no message: it has ended, or it
// does not exist. A second round trip, on a path only a late or hostile
// client takes.
func (db *DB) endedOrMissing(ctx context.Context, sid uuid.UUID, id string) error {
	var one int
	err := db.pool.QueryRow(ctx, `SELECT 1 FROM sessions WHERE id = $1`, sid).Scan(&one)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return seance.SessionNotFound(id)
	case err != nil:
		return fmt.Errorf("postgres: append message to %s: %w", id, err)
	}
	return seance.SessionEnded(id)
}

// isDomain reports whether err is already the error the caller should see
// (not found, ended), which must not be dressed up as a database failure.
func isDomain(err error) bool {
	var e *seance.Error
	return errors.As(err, &e)
}

// CreateSession stores s.
func (db *DB) CreateSession(ctx context.Context, s *seance.Session) error {
	id, err := uuid.Parse(s.ID)
	if err != nil {
		return fmt.Errorf("postgres: create session: id %q: %w", s.ID, err)
	}
	_, err = db.pool.Exec(ctx,
		`INSERT INTO sessions (id, name, max_users, spirit, created_at, ended_at, last_active_at)
		 VALUES ($1, $2, $3, $4, $5, $6, $5)`,
		id, s.Name, s.MaxUsers, s.Spirit, seance.Timestamp(s.CreatedAt), dbTime(s.EndedAt))
	if err != nil {
		return fmt.Errorf("postgres: create session %s: %w", s.ID, err)
	}
	return nil
}

// Session returns the séance with the given id.
func (db *DB) Session(ctx context.Context, id string) (*seance.Session, error) {
	uid, err := sessionID(id)
	if err != nil {
		return nil, err
	}
	s, err := scanSession(db.pool.QueryRow(ctx,
		`SELECT `+sessionColumns+` FROM sessions s WHERE s.id = $1`, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, seance.SessionNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: session %s: %w", id, err)
	}
	return s, nil
}

// EndSession marks the séance ended at at, unless it already ended.
func (db *DB) EndSession(ctx context.Context, id string, at time.Time) (*seance.Session, error) {
	uid, err := sessionID(id)
	if err != nil {
		return nil, err
	}
	// COALESCE keeps the first end time, so ending twice (two hosts, or a
	// retry) does not move it.
	s, err := scanSession(db.pool.QueryRow(ctx,
		`UPDATE sessions s SET ended_at = COALESCE(s.ended_at, $2)
		 WHERE s.id = $1
		 RETURNING `+sessionColumns, uid, seance.Timestamp(at)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, seance.SessionNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: end session %s: %w", id, err)
	}
	return s, nil
}

// AddParticipant stores p if its séance exists and has not ended.
func (db *DB) AddParticipant(ctx context.Context, p *seance.Participant) error {
	sid, err := sessionID(p.SessionID)
	if err != nil {
		return err
	}
	pid, err := uuid.Parse(p.ID)
	if err != nil {
		return fmt.Errorf("postgres: add participant: id %q: %w", p.ID, err)
	}
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		endedAt, err := joinSession(ctx, tx, sid, p.JoinedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return seance.SessionNotFound(p.SessionID)
		}
		if err != nil {
			return err
		}
		if endedAt != nil {
			return seance.SessionEnded(p.SessionID)
		}
		_, err = tx.Exec(ctx,
			`INSERT INTO participants (id, session_id, user_id, name, joined_at, removed_at)
			 VALUES ($1, $2, $3, $4, $5, $6)`,
			pid, sid, p.UserID, p.Name, seance.Timestamp(p.JoinedAt), dbTime(p.RemovedAt))
		return err
	})
	if err != nil {
		if isDomain(err) {
			return err
		}
		return fmt.Errorf("postgres: add participant to %s: %w", p.SessionID, err)
	}
	return nil
}

const participantColumns = `id, session_id, user_id, name, joined_at, removed_at`

func scanParticipant(row pgx.Row) (*seance.Participant, error) {
	var p seance.Participant
	if err := row.Scan(&p.ID, &p.SessionID, &p.UserID, &p.Name, &p.JoinedAt, &p.RemovedAt); err != nil {
		return nil, err
	}
	p.JoinedAt = p.JoinedAt.UTC()
	p.RemovedAt = utcPtr(p.RemovedAt)
	return &p, nil
}

func participantNotFound(key string) error {
	return seance.Errorf(seance.EParticipantNotFound, "No such participant.").With("participant_id", key)
}

// Participants returns the séance's participants who were not removed, in
// joining order. An id that names no séance has no participants.
func (db *DB) Participants(ctx context.Context, sessionID string) ([]seance.Participant, error) {
	out := []seance.Participant{}
	sid, err := parseID(sessionID)
	if err != nil {
		return out, nil
	}
	rows, err := db.pool.Query(ctx,
		`SELECT `+participantColumns+`
		 FROM participants
		 WHERE session_id = $1 AND removed_at IS NULL
		 ORDER BY n`, sid)
	if err != nil {
		return nil, fmt.Errorf("postgres: participants of %s: %w", sessionID, err)
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanParticipant(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: participants of %s: %w", sessionID, err)
		}
		out = append(out, *p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: participants of %s: %w", sessionID, err)
	}
	return out, nil
}

// Participant returns one participant of the séance, removed or not. Ids that
// are not UUIDs name nobody, and must not reach the database as a type error.
func (db *DB) Participant(ctx context.Context, sessionID, id string) (*seance.Participant, error) {
	sid, err := parseID(sessionID)
	if err != nil {
		return nil, participantNotFound(id)
	}
	pid, err := parseID(id)
	if err != nil {
		return nil, participantNotFound(id)
	}
	p, err := scanParticipant(db.pool.QueryRow(ctx,
		`SELECT `+participantColumns+` FROM participants WHERE session_id = $1 AND id = $2`, sid, pid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, participantNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: participant %s of %s: %w", id, sessionID, err)
	}
	return p, nil
}

// EnsureParticipant returns the séance's participant with p.UserID, storing p
// if there is none.
func (db *DB) EnsureParticipant(ctx context.Context, p *seance.Participant) (*seance.Participant, error) {
	sid, err := sessionID(p.SessionID)
	if err != nil {
		return nil, err
	}
	pid, err := uuid.Parse(p.ID)
	if err != nil {
		return nil, fmt.Errorf("postgres: ensure participant: id %q: %w", p.ID, err)
	}
	var got *seance.Participant
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		endedAt, err := joinSession(ctx, tx, sid, p.JoinedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			return seance.SessionNotFound(p.SessionID)
		}
		if err != nil {
			return err
		}
		if endedAt != nil {
			return seance.SessionEnded(p.SessionID)
		}
		// DO UPDATE rather than DO NOTHING: it waits for a concurrent
		// insert of the same user to commit and then returns that row,
		// where DO NOTHING would return no row at all. The update changes
		// nothing: a user id is public, and whoever presents it later must
		// not rename its owner.
		got, err = scanParticipant(tx.QueryRow(ctx,
			`INSERT INTO participants (id, session_id, user_id, name, joined_at, removed_at)
			 VALUES ($1, $2, $3, $4, $5, $6)
			 ON CONFLICT (session_id, user_id) DO UPDATE SET name = participants.name
			 RETURNING `+participantColumns,
			pid, sid, p.UserID, p.Name, seance.Timestamp(p.JoinedAt), dbTime(p.RemovedAt)))
		return err
	})
	if err != nil {
		if isDomain(err) {
			return nil, err
		}
		return nil, fmt.Errorf("postgres: ensure participant in %s: %w", p.SessionID, err)
	}
	return got, nil
}

// RemoveParticipant marks removed the séance's participant whose id or
// user_id is key, keeping the first removal time.
func (db *DB) RemoveParticipant(ctx context.Context, sessionID, key string, at time.Time) (*seance.Participant, error) {
	sid, err := parseID(sessionID)
	if err != nil {
		return nil, participantNotFound(key)
	}
	// user_id is the client's free text: a key that is not a UUID can only
	// be a user_id, and comparing it with the uuid column would be a type
	// error. When it spells another participant's id too, the id wins,
	// being the unambiguous name.
	var pid *uuid.UUID
	if u, err := parseID(key); err == nil {
		pid = &u
	}
	p, err := scanParticipant(db.pool.QueryRow(ctx,
		`UPDATE participants SET removed_at = COALESCE(removed_at, $4)
		 WHERE id = (SELECT id FROM participants
		             WHERE session_id = $1 AND (id = $2 OR user_id = $3)
		             ORDER BY id IS NOT DISTINCT FROM $2 DESC, n
		             LIMIT 1)
		 RETURNING `+participantColumns,
		sid, pid, key, seance.Timestamp(at)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, participantNotFound(key)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: remove participant %s of %s: %w", key, sessionID, err)
	}
	return p, nil
}

// AppendMessage stores m with the séance's next sequence number and sets m.Seq.
func (db *DB) AppendMessage(ctx context.Context, m *seance.Message) error {
	sid, err := sessionID(m.SessionID)
	if err != nil {
		return err
	}
	mid, err := uuid.Parse(m.ID)
	if err != nil {
		return fmt.Errorf("postgres: append message: id %q: %w", m.ID, err)
	}
	var replyTo *uuid.UUID
	if m.ReplyTo != "" {
		r, err := uuid.Parse(m.ReplyTo)
		if err != nil {
			return fmt.Errorf("postgres: append message: reply_to %q: %w", m.ReplyTo, err)
		}
		replyTo = &r
	}
	// nil and empty timings are different values to the caller (no timings
	// versus an answer with no letters), so only nil becomes NULL.
	var timings *string
	if m.LetterTimings != nil {
		b, err := json.Marshal(m.LetterTimings)
		if err != nil {
			return fmt.Errorf("postgres: append message: letter timings: %w", err)
		}
		s := string(b)
		timings = &s
	}

	category, helpText, helpURL := safetyColumns(m.Safety)

	// One statement, so one round trip and its own transaction: the UPDATE's
	// row lock serialises the writers of one séance, so sequence numbers
	// have neither gaps nor repeats, while other séances append in
	// parallel. A second answer to a question breaks messages_one_answer
	// and rolls the whole statement back, its number included.
	var seq int64
	err = db.pool.QueryRow(ctx,
		`WITH s AS (
		   UPDATE sessions SET last_seq = last_seq + 1, last_active_at = GREATEST(last_active_at, $2)
		   WHERE id = $1 AND ended_at IS NULL RETURNING last_seq)
		 INSERT INTO messages (id, session_id, seq, user_id, user_name, message, is_spirit, reply_to, letter_timings, created_at,
		                       safety_category, safety_help_text, safety_help_url)
		 SELECT $3, $1, s.last_seq, $4, $5, $6, $7, $8, $9::jsonb, $2, $10, $11, $12 FROM s
		 RETURNING seq`,
		sid, seance.Timestamp(m.Timestamp), mid, m.UserID, m.UserName, m.Text, m.IsSpirit, replyTo, timings,
		category, helpText, helpURL).Scan(&seq)
	var pgErr *pgconn.PgError
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return db.endedOrMissing(ctx, sid, m.SessionID)
	case errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "messages_one_answer":
		return seance.ErrAnswered
	case err != nil:
		return fmt.Errorf("postgres: append message to %s: %w", m.SessionID, err)
	}
	// Only now: a rolled-back append must not leave a sequence number behind.
	m.Seq = seq
	return nil
}

// safetyColumns are the column values of an answer's safety: all NULL for
// none, and the help's NULL for a category without help.
func safetyColumns(s *seance.Safety) (category, helpText, helpURL *string) {
	if s == nil {
		return nil, nil, nil
	}
	if s.Help == nil {
		return &s.Category, nil, nil
	}
	return &s.Category, &s.Help.Text, &s.Help.URL
}

const messageColumns = `id, seq, session_id, user_id, user_name, message, is_spirit, reply_to, letter_timings, created_at,
	safety_category, safety_help_text, safety_help_url`

// Messages returns up to limit messages of the séance with Seq > afterSeq,
// oldest first. An id that names no séance has no messages.
func (db *DB) Messages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]seance.Message, error) {
	sid, err := parseID(sessionID)
	if err != nil || limit <= 0 {
		return []seance.Message{}, nil
	}
	rows, err := db.pool.Query(ctx,
		`SELECT `+messageColumns+`
		 FROM messages
		 WHERE session_id = $1 AND seq > $2
		 ORDER BY seq
		 LIMIT $3`, sid, afterSeq, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: messages of %s: %w", sessionID, err)
	}
	out, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: messages of %s: %w", sessionID, err)
	}
	return out, nil
}

// PendingQuestions returns the séance's questions that no spirit message
// answers, oldest first. An id that names no séance has none.
func (db *DB) PendingQuestions(ctx context.Context, sessionID string) ([]seance.Message, error) {
	sid, err := parseID(sessionID)
	if err != nil {
		return []seance.Message{}, nil
	}
	rows, err := db.pool.Query(ctx,
		`SELECT `+messageColumns+`
		 FROM messages q
		 WHERE q.session_id = $1 AND NOT q.is_spirit
		   AND NOT EXISTS (SELECT 1 FROM messages a
		                   WHERE a.session_id = q.session_id AND a.reply_to = q.id AND a.is_spirit)
		 ORDER BY q.seq`, sid)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending questions of %s: %w", sessionID, err)
	}
	out, err := scanMessages(rows)
	if err != nil {
		return nil, fmt.Errorf("postgres: pending questions of %s: %w", sessionID, err)
	}
	return out, nil
}

// scanMessages reads and closes rows of messageColumns.
func scanMessages(rows pgx.Rows) ([]seance.Message, error) {
	defer rows.Close()
	out := []seance.Message{}
	for rows.Next() {
		var (
			m       seance.Message
			replyTo *string
			timings []byte

			category, helpText, helpURL *string
		)
		if err := rows.Scan(&m.ID, &m.Seq, &m.SessionID, &m.UserID, &m.UserName, &m.Text, &m.IsSpirit, &replyTo, &timings, &m.Timestamp,
			&category, &helpText, &helpURL); err != nil {
			return nil, err
		}
		if category != nil {
			m.Safety = &seance.Safety{Category: *category}
			if helpText != nil {
				m.Safety.Help = &seance.Help{Text: *helpText}
				if helpURL != nil {
					m.Safety.Help.URL = *helpURL
				}
			}
		}
		if replyTo != nil {
			m.ReplyTo = *replyTo
		}
		if timings != nil {
			if err := json.Unmarshal(timings, &m.LetterTimings); err != nil {
				return nil, fmt.Errorf("letter timings of %s: %w", m.ID, err)
			}
		}
		m.Timestamp = m.Timestamp.UTC()
		out = append(out, m)
	}
	return out, rows.Err()
}

// joinSession records a join at t as the séance's latest activity (it never
// moves back) and returns when the séance ended, nil if it has not; the
// caller refuses the join then, and its rollback undoes the activity. The
// row lock it takes makes a concurrent EndSession wait for this join to
// commit, or the join wait for the end, so nobody joins a séance after it
// has ended. An exclusive lock from the start, not FOR SHARE then an
// update: two joins each holding a share lock and waiting to upgrade it
// would deadlock.
func joinSession(ctx context.Context, tx pgx.Tx, sid uuid.UUID, t time.Time) (*time.Time, error) {
	var endedAt *time.Time
	err := tx.QueryRow(ctx,
		`UPDATE sessions SET last_active_at = GREATEST(last_active_at, $2) WHERE id = $1 RETURNING ended_at`,
		sid, seance.Timestamp(t)).Scan(&endedAt)
	return endedAt, err
}

// EndIdleSessions ends the active séances idle since before idleBefore.
// SKIP LOCKED passes over a séance whose row a message or a join holds at
// that moment (it is not idle); a row changed since the statement began is
// checked again, as it is once locked. The choice is a CTE, computed once:
// as an IN (sub-select) it would be run again for each row updated, skip
// the rows this very statement just updated, and end every idle séance
// whatever the limit.
func (db *DB) EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]string, error) {
	rows, err := db.pool.Query(ctx,
		`WITH idle AS (
		     SELECT id FROM sessions
		     WHERE ended_at IS NULL AND last_active_at < $1
		     ORDER BY last_active_at LIMIT $3
		     FOR UPDATE SKIP LOCKED)
		 UPDATE sessions s SET ended_at = $2
		 FROM idle WHERE s.id = idle.id
		 RETURNING s.id::text`,
		seance.Timestamp(idleBefore), seance.Timestamp(at), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: end idle sessions: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("postgres: end idle sessions: %w", err)
	}
	return ids, nil
}

// DeleteEndedBefore deletes séances that ended before t; their participants
// and messages go with them (ON DELETE CASCADE). A CTE for the same reason
// as in EndIdleSessions.
func (db *DB) DeleteEndedBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	tag, err := db.pool.Exec(ctx,
		`WITH old AS (
		     SELECT id FROM sessions
		     WHERE ended_at IS NOT NULL AND ended_at < $1
		     ORDER BY ended_at LIMIT $2
		     FOR UPDATE SKIP LOCKED)
		 DELETE FROM sessions s USING old WHERE s.id = old.id`,
		seance.Timestamp(t), limit)
	if err != nil {
		return 0, fmt.Errorf("postgres: delete ended sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// EnsureState returns the value stored under key, storing value first if the
// key is absent.
func (db *DB) EnsureState(ctx context.Context, key, value string) (string, error) {
	// Two statements, not one: a concurrent inserter makes ON CONFLICT wait
	// for the first insert to commit, and only a statement started after
	// that sees the winning value. A single INSERT ... RETURNING would return
	// nothing to the losers.
	if _, err := db.pool.Exec(ctx,
		`INSERT INTO server_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		key, value); err != nil {
		return "", fmt.Errorf("postgres: ensure state %q: %w", key, err)
	}
	var stored string
	if err := db.pool.QueryRow(ctx,
		`SELECT value FROM server_state WHERE key = $1`, key).Scan(&stored); err != nil {
		return "", fmt.Errorf("postgres: ensure state %q: %w", key, err)
	}
	return stored, nil
}
