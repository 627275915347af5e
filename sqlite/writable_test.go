package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/sqlite"
)

// checkpoint folds the WAL into the database file from a connection of its
// own, as the store's background loop does: the next write then starts the
// WAL over, in space the file already has.
func checkpoint(tb testing.TB, path string) {
	tb.Helper()
	c, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	defer c.Close()
	var busy, logged, done int
	if err := c.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &done); err != nil {
		tb.Fatal(err)
	}
	if busy != 0 || logged != done {
		tb.Fatalf("checkpoint: busy %d, %d frames in the WAL, %d checkpointed", busy, logged, done)
	}
}

func TestPingWriteUnwritable(t *testing.T) {
	tests := []struct {
		name string
		// prepare runs before the disk turns unwritable.
		prepare func(t *testing.T, db *sqlite.DB, path string)
		// spoil makes the disk unwritable; what it returns undoes that.
		spoil func(t *testing.T, dir string) (undo func())
	}{
		{
			name:    "full disk",
			prepare: func(*testing.T, *sqlite.DB, string) {},
			spoil: func(t *testing.T, dir string) func() {
				filler := testsvc.FillDisk(t, dir)
				return func() {
					if err := os.Remove(filler); err != nil {
						t.Fatal(err)
					}
				}
			},
		},
		{
			// The WAL holds space of its own: writes that fit in it still
			// succeed on a full disk, and only the next larger one fails.
			name: "full disk, WAL started over",
			prepare: func(t *testing.T, db *sqlite.DB, path string) {
				checkpoint(t, path)
				if err := db.PingWrite(context.Background()); err != nil {
					t.Fatal(err)
				}
			},
			spoil: func(t *testing.T, dir string) func() {
				filler := testsvc.FillDisk(t, dir)
				return func() {
					if err := os.Remove(filler); err != nil {
						t.Fatal(err)
					}
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testsvc.SmallDisk(t, "2m")
			path := filepath.Join(dir, "seance.db")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			db, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.PingWrite(ctx); err != nil {
				t.Fatalf("PingWrite of a healthy store: %v", err)
			}
			tt.prepare(t, db, path)

			undo := tt.spoil(t, dir)
			for i := range 3 {
				// Each time, not only the first: a failed write must not
				// leave a state in which the next one passes.
				if err := db.PingWrite(ctx); err == nil {
					t.Fatalf("PingWrite %d succeeded on an unwritable disk", i+1)
				}
			}
			if err := db.Ping(ctx); err != nil {
				t.Fatalf("Ping: %v (reads should still work)", err)
			}

			undo()
			if err := db.PingWrite(ctx); err != nil {
				t.Fatalf("PingWrite once the disk is writable again: %v", err)
			}
		})
	}
}
