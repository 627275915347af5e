// Package teststore opens real, fresh stores for tests: a SQLite file in the
// test's temporary folder, or a fresh PostgreSQL database (skipped or failed
// as internal/testsvc decides when PostgreSQL is absent). Each is closed when
// the test ends.
package teststore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/postgres"
	"github.com/seancehq/seance/sqlite"
)

// SQLite opens a new database file.
func SQLite(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "seance.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a new, empty database.
func Postgres(tb testing.TB) *postgres.DB {
	tb.Helper()
	return PostgresAt(tb, testsvc.Postgres(tb))
}

// PostgresAt opens the database at url.
func PostgresAt(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Backend is one kind of store.
type Backend struct {
	Name string
	Open func(tb testing.TB) seance.Store
}

// Backends are every kind of store, for tests that must hold on each.
func Backends() []Backend {
	return []Backend{
		{"sqlite", func(tb testing.TB) seance.Store { return SQLite(tb) }},
		{"postgres", func(tb testing.TB) seance.Store { return Postgres(tb) }},
	}
}
