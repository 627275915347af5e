package lifecycle_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/inmem"
	"github.com/seancehq/seance/internal/testclock"
	"github.com/seancehq/seance/internal/teststore"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/lifecycle"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/spirittest"
	"github.com/seancehq/seance/wire"
)

var t0 = time.Date(2026, 10, 31, 21, 0, 0, 0, time.UTC)

const (
	idleTTL   = 24 * time.Hour
	retention = 720 * time.Hour
)

// rooms records what the job tells the rooms.
type rooms struct {
	mu    sync.Mutex
	ended map[string]string // séance id → reason
}

func (r *rooms) EndSession(_ context.Context, id, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended == nil {
		r.ended = map[string]string{}
	}
	r.ended[id] = reason
	return nil
}

func (r *rooms) reason(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended[id]
}

func openSQLite(t *testing.T) seance.Store { return teststore.SQLite(t) }

func create(t *testing.T, s seance.Store, name string, at time.Time) *seance.Session {
	t.Helper()
	sess := &seance.Session{ID: uuid.NewString(), Name: name, MaxUsers: 6, Spirit: "sibyl", CreatedAt: seance.Timestamp(at)}
	if err := s.CreateSession(context.Background(), sess); err != nil {
		t.Fatal(err)
	}
	return sess
}

func ask(t *testing.T, s seance.Store, sess *seance.Session, at time.Time) {
	t.Helper()
	m := &seance.Message{ID: uuid.NewString(), SessionID: sess.ID, UserID: "u", UserName: "Ada", Text: "anyone?", Timestamp: seance.Timestamp(at)}
	if err := s.AppendMessage(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

// TestExpiryAndRetention walks a fake clock through a month and more: each
// séance ends a day after its last activity, and is deleted with its
// messages 30 days after it ended.
func TestExpiryAndRetention(t *testing.T) {
	for _, b := range teststore.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			store := b.Open(t)
			clk := testclock.New(t0)
			told := &rooms{}
			job := lifecycle.New(lifecycle.Config{Store: store, Rooms: told, IdleTTL: idleTTL, Retention: retention, Now: clk.Now})

			quiet := create(t, store, "quiet", t0)
			chatty := create(t, store, "chatty", t0)
			ask(t, store, chatty, t0.Add(23*time.Hour))
			ended := create(t, store, "ended by its host", t0)
			if _, err := store.EndSession(context.Background(), ended.ID, t0.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			names := map[string]string{quiet.ID: "quiet", chatty.ID: "chatty", ended.ID: "ended by its host"}

			steps := []struct {
				at          time.Time
				wantExpired []string
				wantDeleted []string
			}{
				{t0.Add(idleTTL - time.Second), nil, nil},
				{t0.Add(idleTTL + time.Second), []string{"quiet"}, nil},
				{t0.Add(23*time.Hour + idleTTL - time.Second), nil, nil},
				{t0.Add(23*time.Hour + idleTTL + time.Second), []string{"chatty"}, nil},
				{t0.Add(time.Hour + retention + time.Second), nil, []string{"ended by its host"}},
				{t0.Add(idleTTL + time.Second + retention + time.Second), nil, []string{"quiet"}},
				{t0.Add(23*time.Hour + idleTTL + time.Second + retention + time.Second), nil, []string{"chatty"}},
			}
			present := map[string]bool{quiet.ID: true, chatty.ID: true, ended.ID: true}
			for i, st := range steps {
				clk.Set(st.at)
				res, err := job.RunOnce(context.Background())
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if !res.Ran {
					t.Fatalf("step %d: the pass did not run", i)
				}
				var expired []string
				for _, id := range res.Expired {
					expired = append(expired, names[id])
					if got := told.reason(id); got != lifecycle.ReasonIdle {
						t.Fatalf("step %d: room of %s told %q, want %q", i, names[id], got, lifecycle.ReasonIdle)
					}
					sess, err := store.Session(context.Background(), id)
					if err != nil || sess.IsActive() || !sess.EndedAt.Equal(seance.Timestamp(st.at)) {
						t.Fatalf("step %d: %s after expiry: %+v, %v", i, names[id], sess, err)
					}
				}
				if !slices.Equal(expired, st.wantExpired) {
					t.Fatalf("step %d (%v): expired %v, want %v", i, st.at.Sub(t0), expired, st.wantExpired)
				}
				if res.Deleted != len(st.wantDeleted) {
					t.Fatalf("step %d (%v): deleted %d, want %v", i, st.at.Sub(t0), res.Deleted, st.wantDeleted)
				}
				for id, name := range names {
					if slices.Contains(st.wantDeleted, name) {
						present[id] = false
					}
					_, err := store.Session(context.Background(), id)
					if exists := err == nil; exists != present[id] {
						t.Fatalf("step %d: %s exists=%v, want %v (%v)", i, name, exists, present[id], err)
					}
					if !present[id] {
						if ms, _ := store.Messages(context.Background(), id, 0, 10); len(ms) != 0 {
							t.Fatalf("step %d: %s deleted but %d messages left", i, name, len(ms))
						}
					}
				}
			}
		})
	}
}

// TestOneNodeAtATime: while another node holds the lock, a pass does
// nothing; once it lets go, the next pass does the work.
func TestOneNodeAtATime(t *testing.T) {
	tests := []struct {
		name string
		// stores returns this node's store and the other node's.
		stores func(t *testing.T) (mine, other seance.Store)
	}{
		{"sqlite", func(t *testing.T) (seance.Store, seance.Store) {
			s := openSQLite(t)
			return s, s // one node per SQLite database: the other "node" is this process
		}},
		{"postgres", func(t *testing.T) (seance.Store, seance.Store) {
			url := testsvc.Postgres(t)
			return teststore.PostgresAt(t, url), teststore.PostgresAt(t, url)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mine, other := tt.stores(t)
			idle := create(t, mine, "idle", t0)
			clk := testclock.New(t0.Add(2 * idleTTL))
			job := lifecycle.New(lifecycle.Config{Store: mine, Rooms: &rooms{}, IdleTTL: idleTTL, Retention: retention, Now: clk.Now})

			unlock, ok, err := other.TryLock(context.Background(), "lifecycle")
			if err != nil || !ok {
				t.Fatalf("the other node could not take the lock: %v, %v", ok, err)
			}
			res, err := job.RunOnce(context.Background())
			if err != nil || res.Ran || len(res.Expired) != 0 {
				t.Fatalf("with the lock held elsewhere: %+v, %v", res, err)
			}
			unlock()
			res, err = job.RunOnce(context.Background())
			if err != nil || !res.Ran || !slices.Equal(res.Expired, []string{idle.ID}) {
				t.Fatalf("after the other node let go: %+v, %v", res, err)
			}
		})
	}
}

// transport is a hub.Transport that keeps the frames written to it.
type transport struct {
	mu     sync.Mutex
	frames [][]byte
	closed chan int
}

func (tr *transport) WriteText(b []byte) error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.frames = append(tr.frames, b)
	return nil
}

func (tr *transport) WritePing() error { return nil }

func (tr *transport) Close(code int, _ string) {
	select {
	case tr.closed <- code:
	default:
	}
}

func (tr *transport) last() (event string, data map[string]any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var f struct {
		Event string         `json:"event"`
		Data  map[string]any `json:"data"`
	}
	_ = json.Unmarshal(tr.frames[len(tr.frames)-1], &f)
	return f.Event, f.Data
}

// TestIdleEndsConnectedClients: someone still connected to a séance that
// went idle is told session_ended with reason "idle", and closed with 4010.
func TestIdleEndsConnectedClients(t *testing.T) {
	store := openSQLite(t)
	clk := testclock.New(t0)
	catalog := spirit.NewCatalog(spirit.BuiltinPersonas())
	h := hub.New(hub.Config{
		Store: store, Broker: inmem.NewBroker(), Spirit: spirittest.Placeholder{}, Persona: catalog.Persona,
		Logger: slog.New(slog.DiscardHandler), Now: clk.Now, NewID: uuid.NewString, Timings: spirit.LetterTimings,
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	sess := create(t, store, "left open", t0)
	tr := &transport{closed: make(chan int, 1)}
	if _, err := h.Join(context.Background(), sess.ID, hub.Identity{UserID: "ada", Name: "Ada"}, tr, hub.Resume{}); err != nil {
		t.Fatal(err)
	}

	job := lifecycle.New(lifecycle.Config{Store: store, Rooms: h, IdleTTL: idleTTL, Retention: retention, Now: clk.Now})
	clk.Set(t0.Add(idleTTL + time.Minute))
	if _, err := job.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-tr.closed:
		if code != wire.CloseEnded {
			t.Fatalf("closed with %d, want %d", code, wire.CloseEnded)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the connected client was not closed")
	}
	if ev, data := tr.last(); ev != wire.EvSessionEnded || data["reason"] != lifecycle.ReasonIdle {
		t.Fatalf("last frame %s %v, want session_ended with reason idle", ev, data)
	}
}

// countingStore counts the passes that reach the store.
type countingStore struct {
	lifecycle.Store
	passes atomic.Int32
}

func (c *countingStore) TryLock(ctx context.Context, name string) (func(), bool, error) {
	c.passes.Add(1)
	return c.Store.TryLock(ctx, name)
}

// TestStartAndStop: a started job passes at once and then every tick, and
// stop ends it for good.
func TestStartAndStop(t *testing.T) {
	store := &countingStore{Store: openSQLite(t)}
	job := lifecycle.New(lifecycle.Config{Store: store, Rooms: &rooms{}, IdleTTL: idleTTL, Retention: retention, Every: 10 * time.Millisecond})
	stop := job.Start(context.Background())
	deadline := time.Now().Add(10 * time.Second)
	for store.passes.Load() < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d passes in 10 s", store.passes.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	after := store.passes.Load()
	time.Sleep(50 * time.Millisecond)
	if n := store.passes.Load(); n != after {
		t.Fatalf("%d passes after stop", n-after)
	}
}

func TestEvery(t *testing.T) {
	tests := []struct {
		idle, retention, want time.Duration
	}{
		{24 * time.Hour, 720 * time.Hour, time.Minute},
		{time.Minute, 720 * time.Hour, 30 * time.Second},
		{time.Hour, 10 * time.Second, 5 * time.Second},
		{time.Millisecond, time.Hour, 100 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := lifecycle.Every(tt.idle, tt.retention); got != tt.want {
			t.Errorf("Every(%v, %v) = %v, want %v", tt.idle, tt.retention, got, tt.want)
		}
	}
}
