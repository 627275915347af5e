// Package sqlite is the seance.Store on SQLite, through the pure-Go
// modernc.org/sqlite driver (no cgo), in WAL mode. It is the default store: a
// file next to the binary and nothing else to run.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/seancehq/seance"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a seance.Store on one SQLite database file.
//
// SQLite lets one writer in at a time; concurrent writers on separate
// connections would wait on the busy timeout and stretch latency. So writes go
// through a pool of exactly one connection (queued by database/sql, fairly),
// while reads use their own pool and run in parallel under WAL.
//
// SQLite would otherwise checkpoint the WAL inside whichever commit crosses
// the threshold, making that one request pay for everyone's writes (the p99
// of creating a séance was twice as long). Automatic checkpoints are off;
// a background loop on its own connection checkpoints passively instead,
// which never blocks writers.
type DB struct {
	path  string
	inode uint64 // of the file as opened; see Ping
	write *sql.DB
	read  *sql.DB

	checkpoints *sql.DB
	stop        chan struct{}
	stopped     chan struct{}

	// locks are TryLock's: a SQLite database has one node, this process.
	lockMu sync.Mutex
	locks  map[string]bool
}

// checkpointEvery is how often the background loop folds the WAL back into
// the database file.
const checkpointEvery = time.Second

var _ seance.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path and applies the
// migrations. path ":memory:" gives a private in-memory database.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	memory := path == ":memory:"
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate"
	if !memory {
		dsn += "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=wal_autocheckpoint(0)"
	}
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	db := &DB{path: path, write: write, read: write}
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if !memory {
		read, err := sql.Open("sqlite", dsn+"&mode=ro")
		if err != nil {
			write.Close()
			return nil, fmt.Errorf("sqlite: open %s for reading: %w", path, err)
		}
		read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)))
		read.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)))
		db.read = read
		if db.checkpoints, err = sql.Open("sqlite", dsn); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: open %s for checkpoints: %w", path, err)
		}
		db.checkpoints.SetMaxOpenConns(1)
		db.stop, db.stopped = make(chan struct{}), make(chan struct{})
		go db.checkpointLoop()
		if db.inode, err = inode(path); err != nil {
			db.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Migrate applies every migration not yet applied.
func (db *DB) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db.write, sub, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", db.path, err)
	}
	return nil
}

func (db *DB) checkpointLoop() {
	defer close(db.stopped)
	tick := time.NewTicker(checkpointEvery)
	defer tick.Stop()
	for {
		select {
		case <-db.stop:
			return
		case <-tick.C:
			// A failed passive checkpoint is retried at the next tick; the
			// WAL only grows meanwhile, nothing is lost.
			_, _ = db.checkpoints.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// Close stops the checkpoint loop, folds the WAL into the database file and
// closes every pool. Calling it twice is harmless.
func (db *DB) Close() error {
	var err error
	if db.stop != nil {
		select {
		case <-db.stop:
			return nil
		default:
		}
		close(db.stop)
		<-db.stopped
		_, _ = db.checkpoints.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		err = db.checkpoints.Close()
	}
	err = errors.Join(err, db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping runs a query, and also checks that the file it opened is still the one
// at its path: an open SQLite handle keeps working on a deleted file, and
// everything written there would vanish at the next start.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	if db.inode != 0 {
		ino, err := inode(db.path)
		if err != nil {
			return fmt.Errorf("sqlite: ping: %w", err)
		}
		if ino != db.inode {
			return fmt.Errorf("sqlite: ping: %s was replaced since it was opened", db.path)
		}
	}
	return nil
}

// healthWriteKey is the server_state row PingWrite rewrites.
const healthWriteKey = "health.write"

// minFreeSpace is the room PingWrite wants on the database's file system: a
// message takes a few pages of WAL, and a checkpoint more in the file.
const minFreeSpace = 256 << 10

// PingWrite rewrites a row of server_state on the writing connection: a
// file system turned read-only fails it while reads still work. A full disk
// may not: after a checkpoint the WAL is rewritten from its start, in space
// it already holds, so small writes keep succeeding until one needs more
// and a message is lost. The free space is checked first for that.
func (db *DB) PingWrite(ctx context.Context) error {
	if db.path != ":memory:" {
		free, err := freeSpace(db.path)
		if err != nil {
			return fmt.Errorf("sqlite: write check: %w", err)
		}
		if free < minFreeSpace {
			return fmt.Errorf("sqlite: write check: %d bytes free beside %s, want at least %d", free, db.path, minFreeSpace)
		}
	}
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO server_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		healthWriteKey, time.Now().UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("sqlite: write check: %w", err)
	}
	return nil
}

// freeSpace is what an unprivileged writer may still use on the file system
// that holds path.
func freeSpace(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

func inode(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Ino, nil
	}
	return 0, nil
}

// canonicalID returns id when it is spelled canonically (seance.ValidID),
// or false: another spelling of the same UUID names nothing, or it would
// open a second room, rate limit and presence for the same séance.
func canonicalID(id string) (string, bool) {
	return id, seance.ValidID(id)
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func optMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromOptMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

const sessionColumns = `id, name, max_users, spirit, created_at, ended_at, last_seq,
	(SELECT count(*) FROM participants p WHERE p.session_id = sessions.id AND p.removed_at IS NULL)`

type scanner interface{ Scan(dest ...any) error }

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

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
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

// AddParticipant stores p in an active séance.
func (db *DB) AddParticipant(ctx context.Context, p *seance.Participant) error {
	cid, ok := canonicalID(p.SessionID)
	if !ok {
		return seance.SessionNotFound(p.SessionID)
	}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var ended sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT ended_at FROM sessions WHERE id = ?`, cid).Scan(&ended)
		if errors.Is(err, sql.ErrNoRows) {
			return seance.SessionNotFound(p.SessionID)
		}
		if err != nil {
			return err
		}
		if ended.Valid {
			return seance.SessionEnded(p.SessionID)
		}
		_, err = tx.ExecContext(ctx,
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
		var ended sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT ended_at FROM sessions WHERE id = ?`, cid).Scan(&ended)
		if errors.Is(err, sql.ErrNoRows) {
			return seance.SessionNotFound(p.SessionID)
		}
		if err != nil {
			return err
		}
		if ended.Valid {
			return seance.SessionEnded(p.SessionID)
		}
		// The stored participant wins, name included: a user id is public,
		// and whoever presents it later must not rename its owner.
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
		err := tx.QueryRowContext(ctx,
			`UPDATE sessions SET last_seq = last_seq + 1, last_active_at = max(last_active_at, ?)
			 WHERE id = ? AND ended_at IS NULL RETURNING last_seq`,
			micros(m.Timestamp), cid).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return endedOrMissing(ctx, tx, cid)
		}
		if err != nil {
			return err
		}
		// One writer at a time: no other answer can slip in after this check.
		if m.IsSpirit && replyTo != nil {
			var answered bool
			if err := tx.QueryRowContext(ctx,
				`SELECT EXISTS (SELECT 1 FROM messages WHERE session_id = ? AND reply_to = ? AND is_spirit)`,
				cid, replyTo).Scan(&answered); err != nil {
				return err
			}
			if answered {
				return seance.ErrAnswered
			}
		}
		_, err = tx.ExecContext(ctx,
			`INSERT INTO messages (id, session_id, seq, user_id, user_name, message, is_spirit, reply_to, letter_timings, created_at,
			                      safety_category, safety_help_text, safety_help_url)
			 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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

// endedOrMissing tells why a séance took no message: it has ended, or it
// does not exist.
func endedOrMissing(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = ?`, id).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return seance.SessionNotFound(id)
	case err != nil:
		return err
	}
	return seance.SessionEnded(id)
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

// touch records activity in the séance at t; activity never moves back.
func touch(ctx context.Context, tx *sql.Tx, cid string, t time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_active_at = max(last_active_at, ?) WHERE id = ?`, micros(t), cid)
	return err
}

// EndIdleSessions ends the active séances idle since before idleBefore. One
// statement, and SQLite has one writer: no activity can slip in between
// choosing a séance and ending it. A join counts through the participant's
// joined_at rather than by touching the séance: identify-frame joins are the
// hottest write of a busy node, and a second UPDATE there halved how many
// joins a second it could take (10,000 joins in 10 s timed out).
func (db *DB) EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]string, error) {
	rows, err := db.write.QueryContext(ctx,
		`UPDATE sessions SET ended_at = ?
		 WHERE id IN (SELECT id FROM sessions
		              WHERE ended_at IS NULL AND last_active_at < ?
		                AND NOT EXISTS (SELECT 1 FROM participants p
		                                WHERE p.session_id = sessions.id AND p.joined_at >= ?)
		              ORDER BY last_active_at LIMIT ?)
		 RETURNING id`,
		micros(at), micros(idleBefore), micros(idleBefore), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: end idle sessions: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqlite: end idle sessions: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: end idle sessions: %w", err)
	}
	return ids, nil
}

// DeleteEndedBefore deletes séances that ended before t; their participants
// and messages go with them (ON DELETE CASCADE).
func (db *DB) DeleteEndedBefore(ctx context.Context, t time.Time, limit int) (int, error) {
	res, err := db.write.ExecContext(ctx,
		`DELETE FROM sessions
		 WHERE id IN (SELECT id FROM sessions
		              WHERE ended_at IS NOT NULL AND ended_at < ?
		              ORDER BY ended_at LIMIT ?)`,
		micros(t), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete ended sessions: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: delete ended sessions: %w", err)
	}
	return int(n), nil
}

// TryLock takes a lock of this process: a SQLite database is served by one
// node, so there is nobody else to exclude.
func (db *DB) TryLock(_ context.Context, name string) (func(), bool, error) {
	db.lockMu.Lock()
	defer db.lockMu.Unlock()
	if db.locks[name] {
		return nil, false, nil
	}
	if db.locks == nil {
		db.locks = map[string]bool{}
	}
	db.locks[name] = true
	var once sync.Once
	return func() {
		once.Do(func() {
			db.lockMu.Lock()
			delete(db.locks, name)
			db.lockMu.Unlock()
		})
	}, true, nil
}

// EnsureState returns the value under key, storing value first if there is none.
func (db *DB) EnsureState(ctx context.Context, key, value string) (string, error) {
	var got string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO server_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM server_state WHERE key = ?`, key).Scan(&got)
	})
	if err != nil {
		return "", wrap("ensure state", err)
	}
	return got, nil
}

func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// wrap adds context to infrastructure errors and lets domain errors through
// as they are, so their codes reach the client.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *seance.Error
	if errors.As(err, &e) || errors.Is(err, seance.ErrAnswered) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}
