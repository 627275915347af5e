// Package testsvc gives tests the real services of this machine — a fresh
// PostgreSQL database, a Redis database — and decides what happens when one is
// missing: the test skips with a clear message, unless SEANCE_REQUIRE_SERVICES=1
// (as in CI), where a missing service fails the test.
package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultPostgresURL is the administrative database used to create and drop
// per-test databases when SEANCE_TEST_POSTGRES_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Required reports whether missing services must fail tests instead of skipping them.
func Required() bool { return os.Getenv("SEANCE_REQUIRE_SERVICES") == "1" }

// Unavailable skips tb (or fails it when services are required) because the
// named service cannot be used.
func Unavailable(tb testing.TB, service string, err error) {
	tb.Helper()
	if Required() {
		tb.Fatalf("%s is required (SEANCE_REQUIRE_SERVICES=1) but unavailable: %v", service, err)
	}
	tb.Skipf("skipping: %s unavailable (%v); set SEANCE_REQUIRE_SERVICES=1 to make this a failure", service, err)
}

// PostgresAdminURL is the URL of the server's maintenance database.
func PostgresAdminURL() string {
	if u := os.Getenv("SEANCE_TEST_POSTGRES_URL"); u != "" {
		return u
	}
	return DefaultPostgresURL
}

// Postgres creates a fresh, empty database for tb, drops it when tb ends, and
// returns its URL.
func Postgres(tb testing.TB) string {
	tb.Helper()
	admin := PostgresAdminURL()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		Unavailable(tb, "PostgreSQL", err)
	}
	defer conn.Close(context.Background())

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "seance_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() { DropPostgres(tb, name) })

	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse %s: %v", admin, err)
	}
	u.Path = "/" + name
	return u.String()
}

// DropPostgres drops the named database, disconnecting whoever still uses it.
func DropPostgres(tb testing.TB, name string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, PostgresAdminURL())
	if err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name)); err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
	}
}

// PostgresAdmin runs sql on the maintenance database; tests use it to cut a
// database off and to let it back in.
func PostgresAdmin(tb testing.TB, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, PostgresAdminURL())
	if err != nil {
		tb.Fatalf("connect to %s: %v", PostgresAdminURL(), err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
