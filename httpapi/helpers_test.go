package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/httpapi"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/inmem"
	"github.com/seancehq/seance/internal/teststore"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/netpoll"
	"github.com/seancehq/seance/ratelimit"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/spirittest"
	"github.com/seancehq/seance/token"
	"github.com/seancehq/seance/web"
)

func sqliteStore(t *testing.T) seance.Store { return teststore.SQLite(t) }

// forEachBackend runs fn once per store kind, each as its own subtest.
func forEachBackend(t *testing.T, fn func(t *testing.T, open func(t *testing.T) seance.Store)) {
	for _, b := range teststore.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, func(t *testing.T) seance.Store { return b.Open(t) })
		})
	}
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the JSON log records written so far.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		out = append(out, m)
	}
	return out
}

type testServer struct {
	*httptest.Server
	store  seance.Store
	tokens *token.Issuer
	logs   *syncBuffer
	rooms  *hub.Hub
}

const testSecret = "test-secret-test-secret-test-secret!"

func newServer(t *testing.T, store seance.Store) *testServer {
	t.Helper()
	return newServerWith(t, store, func(*depsOverride) {})
}

func newServerWith(t *testing.T, store seance.Store, override func(*depsOverride)) *testServer {
	t.Helper()
	o := depsOverride{origins: []string{"http://localhost:3000"}, spirit: spirittest.Placeholder{}}
	override(&o)
	logs := &syncBuffer{}
	tokens, err := token.NewIssuer([]byte(testSecret), time.Hour, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	spirits := spirit.NewCatalog(spirit.BuiltinPersonas())
	rooms := hub.New(hub.Config{
		Store:     store,
		Broker:    inmem.NewBroker(),
		Spirit:    o.spirit,
		Persona:   spirits.Persona,
		Logger:    slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       time.Now,
		NewID:     uuid.NewString,
		Timings:   spirit.LetterTimings,
		PingEvery: o.pingEvery,
		Metrics:   o.metrics,
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rooms.Shutdown(ctx)
	})
	poller, err := netpoll.New()
	if err != nil && err != netpoll.ErrUnsupported {
		t.Fatal(err)
	}
	if poller != nil {
		t.Cleanup(func() { poller.Close() })
	}
	srv := httpapi.New(httpapi.Deps{
		Poller:      poller,
		Store:       store,
		Rooms:       rooms,
		Tokens:      tokens,
		Spirits:     spirits,
		Logger:      slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		CORSOrigins: o.origins,
		Version:     "test",
		Now:         time.Now,
		NewID:       uuid.NewString,

		IdentifyTimeout: o.identifyTimeout,
		PongWait:        o.pongWait,

		UI:             o.ui,
		Metrics:        o.metrics,
		CreateLimit:    o.createLimit,
		JoinLimit:      o.joinLimit,
		ConnLimit:      o.connLimit,
		TrustedProxies: o.trustedProxies,
	})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, store: store, tokens: tokens, logs: logs, rooms: rooms}
}

// reply is a decoded response.
type reply struct {
	status int
	header http.Header
	raw    []byte
	env    struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *struct {
			Code    string         `json:"code"`
			Message string         `json:"message"`
			Details map[string]any `json:"details"`
		} `json:"error"`
		Meta map[string]any `json:"meta"`
	}
}

func (ts *testServer) do(t *testing.T, method, path string, body io.Reader, header map[string]string) *reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	r := &reply{status: resp.StatusCode, header: resp.Header}
	r.raw, err = io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(r.raw, &r.env); err != nil {
			t.Fatalf("%s %s: response is not JSON: %s", method, path, r.raw)
		}
	}
	return r
}

func (ts *testServer) post(t *testing.T, path, body string) *reply {
	t.Helper()
	return ts.do(t, http.MethodPost, path, strings.NewReader(body), nil)
}

func (ts *testServer) get(t *testing.T, path string) *reply {
	t.Helper()
	return ts.do(t, http.MethodGet, path, nil, nil)
}

// wantError checks an error envelope.
func (r *reply) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if r.env.Success || r.env.Error == nil || r.env.Error.Code != code {
		t.Fatalf("want error %s, got %s", code, r.raw)
	}
	if r.env.Error.Message == "" || r.env.Error.Details == nil || r.env.Meta["timestamp"] == nil {
		t.Fatalf("error envelope lacks message, details or meta.timestamp: %s", r.raw)
	}
}

func (r *reply) data(t *testing.T, v any) {
	t.Helper()
	if !r.env.Success {
		t.Fatalf("not a success envelope (status %d): %s", r.status, r.raw)
	}
	if err := json.Unmarshal(r.env.Data, v); err != nil {
		t.Fatalf("data: %v: %s", err, r.raw)
	}
}

type session struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	MaxUsers         int        `json:"max_users"`
	CreatedAt        time.Time  `json:"created_at"`
	IsActive         bool       `json:"is_active"`
	Spirit           string     `json:"spirit"`
	ParticipantCount int        `json:"participant_count"`
	EndedAt          *time.Time `json:"ended_at"`
	HostToken        string     `json:"host_token"`
}

func (ts *testServer) create(t *testing.T, body string) session {
	t.Helper()
	r := ts.post(t, "/api/sessions", body)
	if r.status != http.StatusCreated {
		t.Fatalf("create %s: status %d: %s", body, r.status, r.raw)
	}
	var s session
	r.data(t, &s)
	return s
}

// appendMessages stores n questions in the séance straight through the store
// (asking over WebSocket is the real-time layer's business).
func (ts *testServer) appendMessages(t *testing.T, sessionID string, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		m := &seance.Message{ID: uuid.NewString(), SessionID: sessionID, UserID: "u1", UserName: "Ada", Text: "question " + strconv.Itoa(i), Timestamp: seance.Timestamp(time.Now())}
		if err := ts.store.AppendMessage(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// depsOverride changes what newServerWith passes to the server.
type depsOverride struct {
	origins         []string
	spirit          seance.Spirit
	pingEvery       time.Duration
	identifyTimeout time.Duration
	pongWait        time.Duration

	ui             *web.UI
	metrics        *metrics.Metrics
	createLimit    *ratelimit.Limiter
	joinLimit      *ratelimit.Limiter
	connLimit      *ratelimit.Concurrency
	trustedProxies []netip.Prefix
}
