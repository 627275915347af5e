package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"
)

// unlockTimeout bounds giving a lock back: it runs at shutdown too, after
// the caller's context is gone.
const unlockTimeout = 5 * time.Second

// TryLock takes a session-level advisory lock on a connection of its own,
// held until unlock. PostgreSQL lets go of it when that connection ends, so
// a node that dies holding it does not block the others for ever.
func (db *DB) TryLock(ctx context.Context, name string) (func(), bool, error) {
	key := lockKey(name)
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("postgres: lock %q: %w", name, err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil {
		conn.Release()
		return nil, false, fmt.Errorf("postgres: lock %q: %w", name, err)
	}
	if !ok {
		conn.Release()
		return nil, false, nil
	}
	var once sync.Once
	unlock := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
			defer cancel()
			if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
				// The lock may still be held on this connection: closing it
				// is the only sure way to let go, and the pool then drops it.
				_ = conn.Conn().Close(ctx)
			}
			conn.Release()
		})
	}
	return unlock, true, nil
}

// lockKey maps a lock name onto the 64-bit key space of advisory locks,
// under a prefix of its own so as not to meet another application's keys
// (or goose's migration lock) on a shared database.
func lockKey(name string) int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("seance:" + name))
	return int64(h.Sum64())
}
