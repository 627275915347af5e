package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
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
	if got := appliedVersions(t, url); len(got) != 1 || got[0] != 1 {
		t.Fatalf("versions recorded %v, want each migration once", got)
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
	}
}

func TestRemovedParticipantsAreNotCounted(t *testing.T) {
	db := open(t, testsvc.Postgres(t))
	ctx := t.Context()
	s := storetest.MustCreate(t, db, "room")
	at := s.CreatedAt
	present := seance.Participant{ID: uuid.NewString(), SessionID: s.ID, UserID: "a", Name: "A", JoinedAt: at}
	removed := seance.Participant{ID: uuid.NewString(), SessionID: s.ID, UserID: "b", Name: "B", JoinedAt: at, RemovedAt: &at}
	for _, p := range []seance.Participant{removed, present} {
		if err := db.AddParticipant(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.Participants(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []seance.Participant{present}) {
		t.Fatalf("participants %+v, want only %+v", got, present)
	}
	read, err := db.Session(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if read.ParticipantCount != 1 {
		t.Fatalf("participant_count %d, want 1", read.ParticipantCount)
	}
}

func TestLetterTimingsNilAndEmpty(t *testing.T) {
	db := open(t, testsvc.Postgres(t))
	ctx := t.Context()
	s := storetest.MustCreate(t, db, "timings")
	var want []seance.Message
	for _, timings := range [][]int{nil, {}, {1, 2}} {
		m := seance.Message{
			ID: uuid.NewString(), SessionID: s.ID, UserID: "spirit", UserName: "Spirit",
			Text: "NO", IsSpirit: true, Timestamp: s.CreatedAt, LetterTimings: timings,
		}
		if err := db.AppendMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	got, err := db.Messages(ctx, s.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages\n got %#v\nwant %#v", got, want)
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
