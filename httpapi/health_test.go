package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/httpapi"
	"github.com/seancehq/seance/internal/testclock"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/sqlite"
)

// healthServer serves the API over store with a clock the test moves.
func healthServer(t *testing.T, store seance.Store) (*httpapi.Server, *testclock.Clock) {
	t.Helper()
	clock := testclock.New(time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC))
	srv := httpapi.New(httpapi.Deps{
		Store:   store,
		Spirits: spirit.NewCatalog(spirit.BuiltinPersonas()),
		Logger:  slog.New(slog.DiscardHandler),
		Version: "test",
		Now:     clock.Now,
		NewID:   uuid.NewString,
	})
	return srv, clock
}

type healthBody struct {
	Status   string `json:"status"`
	Database string `json:"database"`
}

// askHealth calls GET /health on h and returns the status and body.
func askHealth(t *testing.T, h http.Handler) (int, healthBody) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health", nil))
	var b healthBody
	if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
		t.Errorf("health body: %v: %s", err, rec.Body.Bytes())
	}
	return rec.Code, b
}

// countingStore counts the read and write checks made through it, and
// fails the writes while broken is set.
type countingStore struct {
	seance.Store
	pings, writes atomic.Int64
	broken        atomic.Bool
	// writeTook is how long each write takes, so that requests overlap it.
	writeTook time.Duration
	// deadlines are how far each write's deadline was when it began.
	mu        sync.Mutex
	deadlines []time.Duration
}

func (s *countingStore) Ping(ctx context.Context) error {
	s.pings.Add(1)
	return s.Store.Ping(ctx)
}

func (s *countingStore) PingWrite(ctx context.Context) error {
	s.writes.Add(1)
	if d, ok := ctx.Deadline(); ok {
		s.mu.Lock()
		s.deadlines = append(s.deadlines, time.Until(d))
		s.mu.Unlock()
	} else {
		s.mu.Lock()
		s.deadlines = append(s.deadlines, -1)
		s.mu.Unlock()
	}
	select {
	case <-time.After(s.writeTook):
	case <-ctx.Done():
		return ctx.Err()
	}
	if s.broken.Load() {
		return errors.New("disk full")
	}
	return s.Store.PingWrite(ctx)
}

func TestHealthWriteCheckCached(t *testing.T) {
	store := &countingStore{Store: sqliteStore(t), writeTook: 50 * time.Millisecond}
	srv, clock := healthServer(t, store)

	steps := []struct {
		name       string
		advance    time.Duration
		broken     bool
		requests   int // at once
		wantWrites int64
		wantCode   int
		wantDB     string
	}{
		{"first request writes", 0, false, 1, 1, http.StatusOK, "connected"},
		{"at once, within 5s: no write", 0, false, 16, 1, http.StatusOK, "connected"},
		{"broken, but the last write is recent", 4*time.Second + 999*time.Millisecond, true, 4, 1, http.StatusOK, "connected"},
		{"5s on: many at once make one write", time.Millisecond, true, 16, 2, 0, ""},
		{"the failure is remembered", time.Second, false, 4, 2, http.StatusServiceUnavailable, "unwritable"},
		{"and checked again 5s on", 4 * time.Second, false, 1, 3, http.StatusOK, "connected"},
		{"a clock set back does not stop the checks", -time.Hour, false, 1, 4, http.StatusOK, "connected"},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		store.broken.Store(st.broken)
		pingsBefore := store.pings.Load()
		codes := make([]int, st.requests)
		dbs := make([]string, st.requests)
		var wg sync.WaitGroup
		for i := range st.requests {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, b := askHealth(t, srv)
				codes[i], dbs[i] = code, b.Database
			}()
		}
		wg.Wait()
		if got := store.writes.Load(); got != st.wantWrites {
			t.Fatalf("%s: %d writes in all, want %d", st.name, got, st.wantWrites)
		}
		if got := store.pings.Load() - pingsBefore; got != int64(st.requests) {
			t.Errorf("%s: %d reads for %d requests, want one each", st.name, got, st.requests)
		}
		for i := range codes {
			// The requests that overlap a write answer from the one before.
			if st.wantCode != 0 && (codes[i] != st.wantCode || dbs[i] != st.wantDB) {
				t.Errorf("%s: request %d got %d %q, want %d %q", st.name, i, codes[i], dbs[i], st.wantCode, st.wantDB)
			}
		}
	}
	store.mu.Lock()
	defer store.mu.Unlock()
	for i, d := range store.deadlines {
		if d <= 0 || d > 2*time.Second {
			t.Errorf("write %d had %v left before its deadline, want at most 2s", i+1, d)
		}
	}
}

// A client that hangs up while the write is made does not make the database
// look unwritable to the next one.
func TestHealthWriteCheckOutlivesClient(t *testing.T) {
	store := &countingStore{Store: sqliteStore(t), writeTook: 100 * time.Millisecond}
	srv, _ := healthServer(t, store)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/health", nil))
	if code, b := askHealth(t, srv); code != http.StatusOK || b.Database != "connected" {
		t.Fatalf("after a client hung up: %d %q, want 200 connected", code, b.Database)
	}
	if got := store.writes.Load(); got != 1 {
		t.Fatalf("%d writes, want 1", got)
	}
}

// A SQLite database on a disk that filled up: /health turns 503
// "unwritable" at the next write check, and healthy again once there is room.
func TestHealthUnwritableDisk(t *testing.T) {
	dir := testsvc.SmallDisk(t, "2m")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "seance.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	srv, clock := healthServer(t, db)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)

	get := func(t *testing.T) (int, healthBody) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL+"/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b healthBody
		if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, b
	}
	var filler string
	steps := []struct {
		name     string
		do       func(t *testing.T)
		wantCode int
		want     healthBody
	}{
		{"room to spare", func(*testing.T) {}, http.StatusOK, healthBody{"healthy", "connected"}},
		{"disk full, checked 5s on", func(t *testing.T) {
			filler = testsvc.FillDisk(t, dir)
			clock.Advance(5 * time.Second)
		}, http.StatusServiceUnavailable, healthBody{"unhealthy", "unwritable"}},
		{"room again, checked 5s on", func(t *testing.T) {
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			clock.Advance(5 * time.Second)
		}, http.StatusOK, healthBody{"healthy", "connected"}},
	}
	for _, st := range steps {
		st.do(t)
		if code, b := get(t); code != st.wantCode || b != st.want {
			t.Fatalf("%s: %d %+v, want %d %+v", st.name, code, b, st.wantCode, st.want)
		}
	}
}
