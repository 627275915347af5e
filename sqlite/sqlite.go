// Package sqlite is the seance.Store on SQLite, through the pure-Go
// modernc.org/sqlite driver (no cgo), in WAL mode. It is the default store: a
// file next to the binary and nothing else to run.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/seancehq/seance"
)

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
	// appends are the message insert's statements, on write.
	appends appendStmts

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
	if db.appends, err = prepareAppend(ctx, write); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
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
	err = errors.Join(err, db.appends.close(), db.write.Close())
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
