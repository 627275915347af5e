package httpapi_test

import (
	"io"
	"net/http"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/internal/testclock"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/metrics/metricstest"
	"github.com/seancehq/seance/ratelimit"
	"github.com/seancehq/seance/web"
)

// Every answer — page, asset, API success and error, a panic's 500 — carries
// the security headers, and the policy is the one the UI is written to.
func TestSecurityHeaders(t *testing.T) {
	ui, err := web.New()
	if err != nil {
		t.Fatal(err)
	}
	ts := newServerWith(t, panicky{sqliteStore(t)}, func(o *depsOverride) { o.ui = ui })
	paths := []string{
		"/", "/session/00000000-0000-0000-0000-000000000000", "/static/app.js",
		"/health", "/api/spirits", "/api/nope", "/openapi.json", "/docs", "/docs/docs.js", "/metrics",
		"/api/sessions/00000000-0000-0000-0000-000000000000", // the panicking store: a 500
	}
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "same-origin",
		"X-Frame-Options":        "DENY",
	}
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			r := ts.get(t, p)
			for k, v := range want {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: %s = %q, want %q", p, k, got, v)
				}
			}
			csp := r.header.Get("Content-Security-Policy")
			for _, directive := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
				if !strings.Contains(csp, directive) {
					t.Errorf("%s: CSP %q lacks %q", p, csp, directive)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP %q allows inline code", p, csp)
			}
		})
	}
}

// The /docs page has no inline script or style, so it works under
// script-src 'self' and style-src 'self'; what it loads is served.
func TestDocsPageNeedsNoInlineCode(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	page := string(ts.get(t, "/docs").raw)
	inline := []*regexp.Regexp{
		regexp.MustCompile(`<script(\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle\s*=`),
		regexp.MustCompile(`\son[a-z]+\s*=`),
	}
	for _, re := range inline {
		if re.MatchString(page) {
			t.Errorf("/docs has inline code (%s)", re)
		}
	}
	assets := map[string]string{"docs.js": "text/javascript", "docs.css": "text/css"}
	for name, ctype := range assets {
		if !strings.Contains(page, `"/docs/`+name+`"`) {
			t.Errorf("/docs does not load /docs/%s", name)
		}
		r := ts.get(t, "/docs/"+name)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) || len(r.raw) < 100 {
			t.Errorf("/docs/%s: %d %q, %d bytes", name, r.status, r.header.Get("Content-Type"), len(r.raw))
		}
	}
	ts.get(t, "/docs/nothing.js").wantError(t, http.StatusNotFound, seance.ENotFound)
}

func from(addr string) map[string]string { return map[string]string{"X-Forwarded-For": addr} }

func (ts *testServer) createFrom(t *testing.T, header map[string]string) *reply {
	t.Helper()
	return ts.do(t, http.MethodPost, "/api/sessions", strings.NewReader(`{"name":"limited"}`), header)
}

func wantRateLimited(t *testing.T, r *reply, retryAfter string) {
	t.Helper()
	r.wantError(t, http.StatusTooManyRequests, seance.ERateLimited)
	if got := r.header.Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
}

// Séance creation: a burst of N per client address, then one per period/N;
// 429 RATE_LIMITED with Retry-After in between.
func TestCreateLimit(t *testing.T) {
	clk := testclock.New(time.Now())
	m := metrics.New(prometheus.NewRegistry(), "test")
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) {
		o.createLimit = ratelimit.New(2, time.Minute, clk.Now)
		o.metrics = m
	})
	for i := range 2 {
		if r := ts.createFrom(t, nil); r.status != http.StatusCreated {
			t.Fatalf("create %d: %d %s", i, r.status, r.raw)
		}
	}
	r := ts.createFrom(t, nil)
	wantRateLimited(t, r, "30")
	if r.env.Error.Details["limit"] != "create" {
		t.Fatalf("details %v do not name the limit", r.env.Error.Details)
	}
	clk.Advance(29 * time.Second)
	wantRateLimited(t, ts.createFrom(t, nil), "1")
	clk.Advance(time.Second)
	if r := ts.createFrom(t, nil); r.status != http.StatusCreated {
		t.Fatalf("after Retry-After: %d %s", r.status, r.raw)
	}
	// Other requests are not limited by it.
	if r := ts.get(t, "/api/spirits"); r.status != http.StatusOK {
		t.Fatalf("spirits while limited: %d", r.status)
	}
	s := metricstest.Scrape(t, ts.URL+"/metrics")
	if got := s.Get(metricstest.Series("seance_rate_limited_total", "limit", "create")); got != 2 {
		t.Fatalf("rate_limited_total{limit=create} = %v, want 2", got)
	}
	if got := s.Get(metricstest.Series("seance_http_requests_total", "route", "POST /api/sessions", "status", "429")); got != 2 {
		t.Fatalf("http_requests_total{POST /api/sessions, 429} = %v, want 2", got)
	}
}

// Joins over REST and over WebSocket share one budget; a refused WebSocket
// gets HTTP 429 before the upgrade.
func TestJoinLimit(t *testing.T) {
	clk := testclock.New(time.Now())
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) {
		o.joinLimit = ratelimit.New(2, time.Hour, clk.Now)
	})
	s := ts.create(t, `{"name":"joinable"}`)
	if r := ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Ada"}`); r.status != http.StatusCreated {
		t.Fatalf("first join: %d %s", r.status, r.raw)
	}
	c, _, err := ts.dial(t, s.ID, "", nil)
	if err != nil {
		t.Fatalf("second join (WebSocket): %v", err)
	}
	c.conn.Close()

	wantRateLimited(t, ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Bo"}`), "1800")
	_, resp, err := ts.dial(t, s.ID, "", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "1800" {
		t.Fatalf("WebSocket over the join limit: %v, %+v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), seance.ERateLimited) {
		t.Fatalf("429 body %s", body)
	}
}

// At most N WebSockets open at once per address, refused with HTTP 429
// before the upgrade; a closed one frees its place.
func TestConnectionLimit(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "test")
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) {
		o.connLimit = ratelimit.NewConcurrency(2)
		o.metrics = m
	})
	s := ts.create(t, `{"name":"crowded"}`)
	a, _ := ts.joinAs(t, s.ID, "a", "A")
	ts.joinAs(t, s.ID, "b", "B")
	_, resp, err := ts.dial(t, s.ID, "", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third connection: %v, %+v", err, resp)
	}
	if got := metricstest.Scrape(t, ts.URL+"/metrics").Get("seance_websocket_connections"); got != 2 {
		t.Fatalf("websocket_connections = %v, want 2", got)
	}
	a.conn.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, _, err := ts.dial(t, s.ID, "", nil)
		if err == nil {
			c.conn.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed connection's place never came back: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := metricstest.Scrape(t, ts.URL+"/metrics").Get(metricstest.Series("seance_rate_limited_total", "limit", "connections")); got < 1 {
		t.Fatalf("rate_limited_total{limit=connections} = %v", got)
	}
}

// X-Forwarded-For names the client only when the peer is a trusted proxy;
// otherwise every request of the peer shares its budget, whatever it claims.
func TestForwardedForAndTheLimits(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name    string
		trusted []netip.Prefix
		// headers of consecutive creates, and whether each is allowed (limit 1)
		from []string
		ok   []bool
	}{
		{"trusted proxy: each forwarded client has its own budget", loopback,
			[]string{"203.0.113.7", "203.0.113.8", "203.0.113.7"}, []bool{true, true, false}},
		{"trusted proxy: the rightmost untrusted hop counts, not what the client prepended", loopback,
			[]string{"198.51.100.1, 203.0.113.7", "198.51.100.2, 203.0.113.7"}, []bool{true, false}},
		{"trusted proxy chain: proxies are skipped", loopback,
			[]string{"203.0.113.9, 127.0.0.5", "203.0.113.9"}, []bool{true, false}},
		{"untrusted peer: the header is ignored", nil,
			[]string{"203.0.113.7", "203.0.113.8"}, []bool{true, false}},
		{"trusted proxy of another network: ignored", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
			[]string{"203.0.113.7", "203.0.113.8"}, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) {
				o.createLimit = ratelimit.New(1, time.Hour, nil)
				o.trustedProxies = tt.trusted
			})
			for i, xff := range tt.from {
				r := ts.createFrom(t, from(xff))
				if got := r.status == http.StatusCreated; got != tt.ok[i] {
					t.Fatalf("create %d from %q: %d, want allowed=%v", i, xff, r.status, tt.ok[i])
				}
			}
		})
	}
}

// A zero limit (nil) limits nothing: what "SEANCE_LIMIT_*=0" means.
func TestNoLimits(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"open"}`)
	for i := range 50 {
		if r := ts.createFrom(t, nil); r.status != http.StatusCreated {
			t.Fatalf("create %d: %d", i, r.status)
		}
		if r := ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Ada"}`); r.status != http.StatusCreated {
			t.Fatalf("join %d: %d %s", i, r.status, r.raw)
		}
	}
}
