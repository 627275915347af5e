package sqlite

import (
	"context"
	"sync"
)

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
