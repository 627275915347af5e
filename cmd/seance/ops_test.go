package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/seancehq/seance/metrics/metricstest"
	"github.com/seancehq/seance/spirit/openai/openaitest"
	"github.com/seancehq/seance/sqlite"
)

// call makes one REST request and decodes the envelope's data into out
// (when out is not nil).
func call(t *testing.T, method, url, body, bearer string, out any) int {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		var env struct{ Data json.RawMessage }
		if err := json.Unmarshal(raw, &env); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
		if err := json.Unmarshal(env.Data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	return resp.StatusCode
}

type created struct {
	ID        string `json:"id"`
	HostToken string `json:"host_token"`
}

func createSeance(t *testing.T, base string) created {
	t.Helper()
	var c created
	if code := call(t, http.MethodPost, base+"/api/sessions", `{"name":"operations"}`, "", &c); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	return c
}

// TestMetricsOverHTTP scrapes a running server, makes things happen, and
// scrapes again: every kind of metric moves as it should.
func TestMetricsOverHTTP(t *testing.T) {
	// A provider that refuses every request: the built-in spirit answers.
	provider := openaitest.NewServer(t, openaitest.Reply{Status: http.StatusBadRequest})
	base, _, _ := startServer(t, env(
		"SEANCE_ADDR", "127.0.0.1:0",
		"SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "metrics.db"),
		"SEANCE_SPIRIT_PROVIDER", "openai",
		"SEANCE_SPIRIT_BASE_URL", provider.URL,
		"SEANCE_SPIRIT_API_KEY", "sk-metrics-test",
		"SEANCE_LIMIT_CREATE", "2/m",
	))
	scrape := func() metricstest.Sample { return metricstest.Scrape(t, base+"/metrics") }
	before := scrape()

	s := createSeance(t, base)
	ada := connect(t, base, s.ID, "ada", -1)
	ada.ask("Is anyone there?")
	ada.until("spirit_response")

	during := scrape()
	moved := []struct {
		series string
		delta  float64
	}{
		{metricstest.Series("seance_http_requests_total", "route", "POST /api/sessions", "status", "201"), 1},
		{metricstest.Series("seance_http_requests_total", "route", "GET /ws/{id}", "status", "101"), 1},
		{"seance_joins_total", 1},
		{metricstest.Series("seance_messages_total", "kind", "question"), 1},
		{metricstest.Series("seance_messages_total", "kind", "answer"), 1},
		{metricstest.Series("seance_spirit_answer_seconds_count", "engine", "oracle"), 1},
		{metricstest.Series("seance_spirit_provider_errors_total", "engine", "openai", "reason", "error"), 1},
		{metricstest.Series("seance_spirit_fallbacks_total", "engine", "openai"), 1},
	}
	for _, m := range moved {
		if got := during.Get(m.series) - before.Get(m.series); got != m.delta {
			t.Errorf("%s moved by %v, want %v", m.series, got, m.delta)
		}
	}
	for series, want := range map[string]float64{"seance_websocket_connections": 1, "seance_seances_active": 1} {
		if got := during.Get(series); got != want {
			t.Errorf("%s = %v with one client connected, want %v", series, got, want)
		}
	}
	if during.Get(metricstest.Series("seance_lifecycle_runs_total", "result", "done")) < 1 {
		t.Error("the lifecycle job has not run")
	}

	// The create limit is 2 a minute: one séance made, one more allowed.
	createSeance(t, base)
	if code := call(t, http.MethodPost, base+"/api/sessions", `{"name":"one too many"}`, "", nil); code != http.StatusTooManyRequests {
		t.Fatalf("third create in a minute: %d, want 429", code)
	}
	ada.conn.Close()

	deadline := time.Now().Add(10 * time.Second)
	for {
		after := scrape()
		done := after.Get("seance_websocket_connections") == 0 && after.Get("seance_seances_active") == 0 && after.Get("seance_leaves_total")-before.Get("seance_leaves_total") == 1
		if done {
			if got := after.Get(metricstest.Series("seance_rate_limited_total", "limit", "create")); got != 1 {
				t.Errorf("rate_limited_total{limit=create} = %v, want 1", got)
			}
			if got := after.Get(metricstest.Series("seance_http_requests_total", "route", "POST /api/sessions", "status", "429")); got != 1 {
				t.Errorf("http_requests_total{POST /api/sessions, 429} = %v, want 1", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the client left: connections %v, séances %v, leaves %v",
				after.Get("seance_websocket_connections"), after.Get("seance_seances_active"), after.Get("seance_leaves_total"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestIdleSeanceEndsInARunningServer: with a one-second idle TTL, a client
// that says nothing is told session_ended (idle) and closed with 4010.
func TestIdleSeanceEndsInARunningServer(t *testing.T) {
	base, _, _ := startServer(t, env(
		"SEANCE_ADDR", "127.0.0.1:0",
		"SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "idle.db"),
		"SEANCE_SESSION_IDLE_TTL", "1s",
	))
	s := createSeance(t, base)
	c := connect(t, base, s.ID, "ada", -1)
	_ = c.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	for {
		var f frame
		if err := c.conn.ReadJSON(&f); err != nil {
			t.Fatalf("no session_ended: %v", err)
		}
		if f.Event == "session_ended" {
			var d struct{ Reason string }
			_ = json.Unmarshal(f.Data, &d)
			if d.Reason != "idle" {
				t.Fatalf("session_ended reason %q, want idle", d.Reason)
			}
			break
		}
	}
	if code := c.untilClosed(); code != 4010 {
		t.Fatalf("closed with %d, want 4010", code)
	}
	var got struct {
		IsActive bool `json:"is_active"`
	}
	if call(t, http.MethodGet, base+"/api/sessions/"+s.ID, "", "", &got); got.IsActive {
		t.Fatal("the idle séance still reads as active")
	}
}

// TestSecretsNeverLogged runs a server with a known JWT secret (or a
// generated one) and a known provider API key at the most talkative log
// level, uses every kind of token there is, rightly and wrongly, and then
// reads the whole log: neither secret nor any token issued is in it.
func TestSecretsNeverLogged(t *testing.T) {
	const (
		jwtSecret = "log-scan-jwt-secret-0123456789-abcdefghij"
		apiKey    = "sk-log-scan-api-key-9f8e7d6c5b4a"
	)
	tests := []struct {
		name   string
		secret string // "" lets the server generate one
	}{
		{"configured secret", jwtSecret},
		{"generated secret", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			provider := openaitest.NewServer(t, openaitest.Reply{Chunks: []string{"YES.", " The", " veil", " parts."}})
			db := filepath.Join(t.TempDir(), "logscan.db")
			base, stop, logs := startServer(t, env(
				"SEANCE_ADDR", "127.0.0.1:0",
				"SEANCE_DATABASE_URL", "sqlite:"+db,
				"SEANCE_JWT_SECRET", tt.secret,
				"SEANCE_LOG_LEVEL", "debug",
				"SEANCE_SPIRIT_PROVIDER", "openai",
				"SEANCE_SPIRIT_BASE_URL", provider.URL,
				"SEANCE_SPIRIT_API_KEY", apiKey,
			))
			tokens := exerciseTokens(t, base)
			if err := stop(); err != nil {
				t.Fatal(err)
			}

			secret := tt.secret
			if secret == "" {
				store, err := sqlite.Open(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				secret, err = store.EnsureState(context.Background(), "jwt_secret", "absent")
				store.Close()
				if err != nil || secret == "absent" {
					t.Fatalf("generated secret: %q, %v", secret, err)
				}
			}
			if reqs := provider.Requests(); len(reqs) == 0 || !strings.Contains(reqs[0].Header.Get("Authorization"), apiKey) {
				t.Fatal("the provider was not called with the API key: the scan would prove nothing")
			}

			log := logs.String()
			if !strings.Contains(log, `"jwt_secret":"`) || !strings.Contains(log, `"msg":"request"`) {
				t.Fatalf("the log lacks the start-up configuration or request lines:\n%s", log)
			}
			secrets := map[string]string{"JWT secret": secret, "API key": apiKey}
			for i, tok := range tokens {
				secrets["token "+string(rune('A'+i))] = tok
				// A token cut up (split across fields, trimmed) still shows
				// its signature.
				secrets["signature of token "+string(rune('A'+i))] = tok[strings.LastIndexByte(tok, '.')+1:]
			}
			for what, s := range secrets {
				if strings.Contains(log, s) {
					t.Errorf("the %s is in the log", what)
				}
			}
		})
	}
}

// exerciseTokens creates, joins, talks, misuses tokens, removes and ends,
// and returns every token the server issued.
func exerciseTokens(t *testing.T, base string) []string {
	t.Helper()
	a, b := createSeance(t, base), createSeance(t, base)
	var joined struct {
		Participant struct{ ID string } `json:"participant"`
		Token       string              `json:"token"`
		WSURL       string              `json:"ws_url"`
	}
	if code := call(t, http.MethodPost, base+"/api/sessions/"+a.ID+"/join", `{"name":"Ada"}`, "", &joined); code != http.StatusCreated {
		t.Fatalf("join: %d", code)
	}
	wsBase := "ws" + strings.TrimPrefix(base, "http")
	conn, _, err := websocket.DefaultDialer.Dial(wsBase+joined.WSURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, conn: conn}
	c.until("session_state")
	c.ask("Will the secrets stay secret?")
	c.until("spirit_response")

	// Tokens where they do not belong, each refused.
	misuses := []struct {
		method, path, bearer string
		want                 int
	}{
		{http.MethodDelete, "/api/sessions/" + b.ID, a.HostToken, http.StatusForbidden},
		{http.MethodDelete, "/api/sessions/" + a.ID, joined.Token, http.StatusForbidden},
		{http.MethodDelete, "/api/sessions/" + a.ID, a.HostToken + "x", http.StatusUnauthorized},
	}
	for _, m := range misuses {
		if code := call(t, m.method, base+m.path, "", m.bearer, nil); code != m.want {
			t.Fatalf("%s %s: %d, want %d", m.method, m.path, code, m.want)
		}
	}
	if other, _, err := websocket.DefaultDialer.Dial(wsBase+"/ws/"+b.ID+"?token="+joined.Token, nil); err == nil {
		oc := &client{t: t, conn: other}
		if code := oc.untilClosed(); code != 4001 {
			t.Fatalf("a token of another séance: close %d, want 4001", code)
		}
	}

	if code := call(t, http.MethodDelete, base+"/api/sessions/"+a.ID+"/participants/"+joined.Participant.ID, "", a.HostToken, nil); code != http.StatusOK {
		t.Fatalf("remove: %d", code)
	}
	c.untilClosed()
	for _, s := range []created{a, b} {
		if code := call(t, http.MethodDelete, base+"/api/sessions/"+s.ID, "", s.HostToken, nil); code != http.StatusOK {
			t.Fatalf("end: %d", code)
		}
	}
	return []string{a.HostToken, b.HostToken, joined.Token}
}
