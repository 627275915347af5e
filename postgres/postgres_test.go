package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/postgres"
	"github.com/seancehq/seance/storetest"
)

func open(t *testing.T, url string, opts ...postgres.Option) *postgres.DB {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := postgres.Open(ctx, url, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) seance.Store {
		return open(t, testsvc.Postgres(t))
	})
}

// appliedVersions lists the migration versions goose recorded, with repeats.
func appliedVersions(t *testing.T, url string) []int64 {
	t.Helper()
	ctx := t.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT version_id FROM goose_db_version WHERE version_id > 0 ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return versions
}

// migrationVersions lists the versions of the migration files, in order.
func migrationVersions(t *testing.T) []int64 {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var versions []int64
	for _, e := range entries {
		prefix, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			t.Fatalf("migration %s: %v", e.Name(), err)
		}
		versions = append(versions, v)
	}
	return versions
}

func TestMigrateTwice(t *testing.T) {
	url := testsvc.Postgres(t)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	db := open(t, url, postgres.WithLogger(logger))
	if !strings.Contains(logs.String(), "applied migration") {
		t.Errorf("first Open logged no migration: %q", logs.String())
	}
	want := appliedVersions(t, url)
	if len(want) == 0 {
		t.Fatal("no migration recorded after Open")
	}

	logs.Reset()
	for range 2 {
		if err := db.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	open(t, url, postgres.WithLogger(logger))
	if logs.Len() != 0 {
		t.Errorf("migrating a migrated database logged %q", logs.String())
	}
	if got := appliedVersions(t, url); !reflect.DeepEqual(got, want) {
		t.Fatalf("versions after migrating again %v, want %v", got, want)
	}
	storetest.MustCreate(t, db, "still works")
}

func TestOpenConcurrent(t *testing.T) {
	url := testsvc.Postgres(t)
	const nodes = 3
	dbs := make([]*postgres.DB, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			dbs[i], errs[i] = postgres.Open(ctx, url)
		})
	}
	wg.Wait()
	for i := range nodes {
		if errs[i] != nil {
			t.Errorf("node %d: Open: %v", i, errs[i])
			continue
		}
		t.Cleanup(func() { _ = dbs[i].Close() })
	}
	if t.Failed() {
		return
	}
	if got, want := appliedVersions(t, url), migrationVersions(t); !reflect.DeepEqual(got, want) {
		t.Fatalf("versions recorded %v, want each migration once: %v", got, want)
	}
	// Every node sees the one schema.
	s := storetest.MustCreate(t, dbs[0], "shared")
	for i, db := range dbs {
		if _, err := db.Session(t.Context(), s.ID); err != nil {
			t.Errorf("node %d: %v", i, err)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	const secret = "s3cret"
	urls := []string{
		"postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=disable",
		"postgres://u:" + secret + "@127.0.0.1:1/db",
		"postgres://u@127.0.0.1:1/db?sslmode=disable&password=" + secret,
		"host=127.0.0.1 port=1 user=u password=" + secret + " dbname=db sslmode=disable",
		// Not parseable at all: the error is about the URL itself.
		"postgres://u:" + secret + "@127.0.0.1:notaport/db",
		"postgres://u:" + secret + "@127.0.0.1:1/db?sslmode=bogus",
	}
	for _, url := range urls {
		start := time.Now()
		db, err := postgres.Open(t.Context(), url)
		elapsed := time.Since(start)
		if err == nil {
			db.Close()
			t.Errorf("Open(%q) succeeded", url)
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error leaks the password: %v", err)
		}
		if elapsed > 6*time.Second {
			t.Errorf("Open(%q) took %v to fail", url, elapsed)
		}
		t.Logf("%v", err)
	}
}

// A server that accepts connections and never answers (a hung database, a
// half-open firewall) must not hang the start-up.
func TestOpenSilentServer(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the connect timeout")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()

	start := time.Now()
	db, err := postgres.Open(t.Context(), "postgres://u:s3cret@"+ln.Addr().String()+"/db?sslmode=disable")
	elapsed := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatal("Open of a silent server succeeded")
	}
	if elapsed > 8*time.Second {
		t.Fatalf("Open took %v to give up", elapsed)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Open error leaks the password: %v", err)
	}
	t.Logf("after %v: %v", elapsed.Round(time.Millisecond), err)
}

func TestUnparsableIDs(t *testing.T) {
	db := open(t, testsvc.Postgres(t))
	ctx := t.Context()
	for _, id := range []string{"not-a-uuid", "", "'; DROP TABLE messages; --"} {
		_, err := db.Session(ctx, id)
		var e *seance.Error
		if !errors.As(err, &e) || e.Code != seance.ESessionNotFound || e.Details["session_id"] != id {
			t.Errorf("Session(%q) = %v, want SESSION_NOT_FOUND naming the id", id, err)
		}
		msgs, err := db.Messages(ctx, id, 0, 10)
		if err != nil || msgs == nil || len(msgs) != 0 {
			t.Errorf("Messages(%q) = %v, %v; want an empty slice", id, msgs, err)
		}
		ps, err := db.Participants(ctx, id)
		if err != nil || ps == nil || len(ps) != 0 {
			t.Errorf("Participants(%q) = %v, %v; want an empty slice", id, ps, err)
		}
		pending, err := db.PendingQuestions(ctx, id)
		if err != nil || pending == nil || len(pending) != 0 {
			t.Errorf("PendingQuestions(%q) = %v, %v; want an empty slice", id, pending, err)
		}
	}
}

func TestClosedStore(t *testing.T) {
	db := open(t, testsvc.Postgres(t))
	_ = db.Close()
	if err := db.Ping(t.Context()); err == nil {
		t.Fatal("Ping of a closed store succeeded")
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
