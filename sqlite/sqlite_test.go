package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/sqlite"
	"github.com/seancehq/seance/storetest"
)

// MustOpen opens a fresh database file in a temporary folder.
func MustOpen(tb testing.TB) (*sqlite.DB, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "seance.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, path
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) seance.Store {
		db, _ := MustOpen(t)
		return db
	})
}

func TestStoreInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) seance.Store {
		db, err := sqlite.Open(context.Background(), ":memory:")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	db, path := MustOpen(t)
	sess := storetest.MustCreate(t, db, "kept")
	db.Close()

	again, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.Migrate(ctx); err != nil {
		t.Fatalf("migrating twice: %v", err)
	}
	got, err := again.Session(ctx, sess.ID)
	if err != nil || got.Name != "kept" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}

func TestPingFailsWhenTheFileIsGone(t *testing.T) {
	db, path := MustOpen(t)
	ctx := context.Background()
	if err := db.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(ctx); err == nil {
		t.Fatal("Ping succeeded after the database file was deleted")
	}
}

func TestOpenFailsInAMissingFolder(t *testing.T) {
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"))
	if err == nil {
		t.Fatal("open in a missing folder succeeded")
	}
}
