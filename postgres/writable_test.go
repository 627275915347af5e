package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seancehq/seance/internal/testsvc"
)

// setReadOnly makes every new session on the database read-only (or
// writable again) and ends the sessions already open, so that the store's
// pool reconnects under the new default.
func setReadOnly(t *testing.T, name string, on bool) {
	t.Helper()
	set := "SET default_transaction_read_only = on"
	if !on {
		set = "RESET default_transaction_read_only"
	}
	testsvc.PostgresAdmin(t, fmt.Sprintf("ALTER DATABASE %s %s", name, set))
	testsvc.PostgresAdmin(t, fmt.Sprintf(
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()", name))
}

// eventually retries check until it returns nil: the pool finds out about
// its ended connections one use at a time.
func eventually(t *testing.T, what string, check func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing after 10s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestPingWriteReadOnlyDatabase(t *testing.T) {
	raw := testsvc.Postgres(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	db := open(t, raw)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.PingWrite(ctx); err != nil {
		t.Fatalf("PingWrite of a writable database: %v", err)
	}

	setReadOnly(t, name, true)
	eventually(t, "Ping of a read-only database", db.Ping)
	for i := range 3 {
		err := db.PingWrite(ctx)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" { // read_only_sql_transaction
			t.Fatalf("PingWrite %d of a read-only database = %v, want SQLSTATE 25006", i+1, err)
		}
	}
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping of a read-only database: %v (reads should still work)", err)
	}

	setReadOnly(t, name, false)
	eventually(t, "PingWrite once the database is writable again", db.PingWrite)
}
