package httpapi_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/postgres"
	"github.com/seancehq/seance/sqlite"
)

func TestCORS(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	preflight := func(origin string) *reply {
		return ts.do(t, http.MethodOptions, "/api/sessions", nil, map[string]string{
			"Origin":                         origin,
			"Access-Control-Request-Method":  "POST",
			"Access-Control-Request-Headers": "content-type, authorization",
		})
	}
	ok := preflight("http://localhost:3000")
	if ok.status != http.StatusNoContent ||
		ok.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		ok.header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(ok.header.Get("Access-Control-Allow-Methods"), "DELETE") ||
		!strings.Contains(ok.header.Get("Access-Control-Allow-Headers"), "authorization") {
		t.Fatalf("allowed preflight: %d %v", ok.status, ok.header)
	}
	bad := preflight("http://evil.example")
	bad.wantError(t, http.StatusForbidden, seance.EForbidden)
	if bad.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a disallowed origin got Access-Control-Allow-Origin")
	}

	simple := ts.do(t, http.MethodPost, "/api/sessions", strings.NewReader(`{"name":"x"}`), map[string]string{"Origin": "http://localhost:3000"})
	if simple.header.Get("Access-Control-Allow-Origin") != "http://localhost:3000" || !strings.Contains(simple.header.Get("Access-Control-Expose-Headers"), "Location") {
		t.Fatalf("simple request from an allowed origin: %v", simple.header)
	}
	other := ts.do(t, http.MethodGet, "/health", nil, map[string]string{"Origin": "http://evil.example"})
	if other.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("a disallowed origin got Access-Control-Allow-Origin on a simple request")
	}
}

func TestCORSWildcardEchoesOrigin(t *testing.T) {
	ts := newServerWith(t, sqliteStore(t), func(d *depsOverride) { d.origins = []string{"*"} })
	r := ts.do(t, http.MethodOptions, "/api/sessions/x", nil, map[string]string{"Origin": "https://anywhere.example", "Access-Control-Request-Method": "DELETE"})
	if r.status != http.StatusNoContent || r.header.Get("Access-Control-Allow-Origin") != "https://anywhere.example" {
		t.Fatalf("wildcard preflight: %d %v", r.status, r.header)
	}
}

func TestRequestIDsAndLogs(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	r := ts.get(t, "/api/sessions/nope")
	generated := r.header.Get("X-Request-ID")
	if len(generated) < 8 {
		t.Fatalf("no request id generated: %q", generated)
	}
	echoed := ts.do(t, http.MethodGet, "/health", nil, map[string]string{"X-Request-ID": "lb-1234"}).header.Get("X-Request-ID")
	if echoed != "lb-1234" {
		t.Fatalf("incoming request id not kept: %q", echoed)
	}
	hostile := ts.do(t, http.MethodGet, "/health", nil, map[string]string{"X-Request-ID": `"}{evil` + strings.Repeat("x", 100)}).header.Get("X-Request-ID")
	if strings.Contains(hostile, "evil") {
		t.Fatalf("a hostile request id was echoed: %q", hostile)
	}
	var seen []string
	for _, l := range ts.logs.lines(t) {
		if l["msg"] != "request" {
			continue
		}
		id, _ := l["request_id"].(string)
		if id == "" {
			t.Fatalf("request log line without request_id: %v", l)
		}
		seen = append(seen, id)
		for _, k := range []string{"method", "path", "status", "duration_ms"} {
			if l[k] == nil {
				t.Fatalf("request log line without %s: %v", k, l)
			}
		}
	}
	if len(seen) != 3 || seen[0] != generated || seen[1] != "lb-1234" {
		t.Fatalf("logged request ids %v", seen)
	}
}

func TestMethodNotAllowedAndUnknownPath(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	r := ts.do(t, http.MethodPut, "/api/sessions", strings.NewReader(`{}`), nil)
	r.wantError(t, http.StatusMethodNotAllowed, seance.EMethod)
	if !strings.Contains(r.header.Get("Allow"), "POST") {
		t.Fatalf("Allow %q", r.header.Get("Allow"))
	}
	ts.do(t, http.MethodPatch, "/api/sessions/abc", nil, map[string]string{"Content-Type": "application/json"}).wantError(t, http.StatusMethodNotAllowed, seance.EMethod)
	ts.get(t, "/api/nothing-here").wantError(t, http.StatusNotFound, seance.ENotFound)
}

// panicky is a store whose Session panics, as a bug deep in a handler would.
type panicky struct{ seance.Store }

func (panicky) Session(context.Context, string) (*seance.Session, error) {
	panic("the planchette fell off the table")
}

func TestPanicBecomes500(t *testing.T) {
	ts := newServer(t, panicky{sqliteStore(t)})
	r := ts.get(t, "/api/sessions/00000000-0000-0000-0000-000000000000")
	r.wantError(t, http.StatusInternalServerError, seance.EInternal)
	if strings.Contains(string(r.raw), "planchette") || strings.Contains(string(r.raw), "goroutine") {
		t.Fatalf("panic details reached the client: %s", r.raw)
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "planchette fell") || !strings.Contains(logs, "goroutine") {
		t.Fatalf("panic and stack not logged:\n%s", logs)
	}
	// The server is still serving.
	if ts.get(t, "/health").status != http.StatusOK {
		t.Fatal("server unhealthy after a panic")
	}
}

func TestHealth(t *testing.T) {
	t.Run("sqlite file deleted", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "seance.db")
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ts := newServer(t, db)
		wantHealth(t, ts, http.StatusOK, "healthy", "connected")
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		wantHealth(t, ts, http.StatusServiceUnavailable, "unhealthy", "disconnected")
	})
	t.Run("sqlite closed", func(t *testing.T) {
		db := sqliteStore(t)
		ts := newServer(t, db)
		db.Close()
		wantHealth(t, ts, http.StatusServiceUnavailable, "unhealthy", "disconnected")
	})
	t.Run("postgres cut off and back", func(t *testing.T) {
		url := testsvc.Postgres(t)
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ts := newServer(t, db)
		wantHealth(t, ts, http.StatusOK, "healthy", "connected")

		name := strings.TrimPrefix(strings.SplitN(url[strings.LastIndex(url, "/"):], "?", 2)[0], "/")
		testsvc.PostgresAdmin(t, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS false")
		testsvc.PostgresAdmin(t, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '"+name+"'")
		t.Cleanup(func() { testsvc.PostgresAdmin(t, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS true") })
		wantHealth(t, ts, http.StatusServiceUnavailable, "unhealthy", "disconnected")

		testsvc.PostgresAdmin(t, "ALTER DATABASE "+name+" ALLOW_CONNECTIONS true")
		wantHealth(t, ts, http.StatusOK, "healthy", "connected")
	})
}

func wantHealth(t *testing.T, ts *testServer, status int, state, database string) {
	t.Helper()
	r := ts.get(t, "/health")
	var h struct {
		Status, Database, Timestamp string
	}
	if err := jsonUnmarshal(r.raw, &h); err != nil {
		t.Fatalf("health body: %v: %s", err, r.raw)
	}
	if r.status != status || h.Status != state || h.Database != database || h.Timestamp == "" {
		t.Fatalf("health: %d %s, want %d %s/%s", r.status, r.raw, status, state, database)
	}
}
