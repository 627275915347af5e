package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestRunAgainstServer drives a real server: there is no fake one, because a
// load tool checked against a fake only proves it agrees with the fake.
//
//	SEANCE_LOAD_TEST_URL=http://127.0.0.1:8000 [SEANCE_LOAD_TEST_PID=1234] go test ./loadgen -run AgainstServer -v
func TestRunAgainstServer(t *testing.T) {
	base := os.Getenv("SEANCE_LOAD_TEST_URL")
	if base == "" {
		t.Skip("no server: set SEANCE_LOAD_TEST_URL=http://127.0.0.1:8000 (a running `seance serve`) to run the load tool against it; " +
			"SEANCE_LOAD_TEST_PID=<its pid> adds the memory reading")
	}
	pid := 0
	if s := os.Getenv("SEANCE_LOAD_TEST_PID"); s != "" {
		var err error
		if pid, err = strconv.Atoi(s); err != nil {
			t.Fatalf("SEANCE_LOAD_TEST_PID=%q: %v", s, err)
		}
	}
	// Small enough for the server's default per-address limits (64
	// connections, 120 joins and 30 creations a minute), so it runs against
	// a server started with no special settings.
	t.Run("asking", func(t *testing.T) {
		res := runAgainst(t, Config{
			BaseURL:   base,
			Clients:   12,
			Sessions:  2,
			AskEvery:  4 * time.Second, // 2–3 questions each: under the rate limit and the spirit's queue limit
			TypeEvery: 1500 * time.Millisecond,
			Duration:  10 * time.Second,
			Ramp:      time.Second,
			ServerPID: pid,
		})
		if res.Joined != 12 || res.Failed != 0 || res.Disconnected != 0 {
			t.Errorf("joined %d, failed %d, disconnected %d; want 12, 0, 0", res.Joined, res.Failed, res.Disconnected)
		}
		if res.Sent < 12 {
			t.Errorf("sent %d questions, want at least one per client", res.Sent)
		}
		if res.Refused != 0 {
			t.Errorf("%d questions refused at well under the rate limit", res.Refused)
		}
		if res.Expected != res.Sent*6 {
			t.Errorf("expected %d deliveries, want sent × 6 = %d", res.Expected, res.Sent*6)
		}
		if res.Delivered != res.Expected || res.Lost != 0 || res.Duplicated != 0 {
			t.Errorf("delivered %d of %d, lost %d, duplicated %d", res.Delivered, res.Expected, res.Lost, res.Duplicated)
		}
		if res.LatencyMax <= 0 || res.LatencyP50 > res.LatencyP99 || res.LatencyP99 > res.LatencyMax {
			t.Errorf("latencies p50 %v p99 %v max %v are not ordered", res.LatencyP50, res.LatencyP99, res.LatencyMax)
		}
		if len(res.Errors) != 0 {
			t.Errorf("errors: %v", res.Errors)
		}
	})
	t.Run("idle", func(t *testing.T) {
		res := runAgainst(t, Config{BaseURL: base, Clients: 12, Sessions: 3, ServerPID: pid})
		if res.Joined != 12 || res.Sent != 0 || len(res.Errors) != 0 {
			t.Errorf("joined %d, sent %d, errors %v; want 12, 0, none", res.Joined, res.Sent, res.Errors)
		}
		if pid > 0 && (res.RSSBefore <= 0 || res.RSSAfter <= 0) {
			t.Errorf("RSS before %d, after %d: want both read", res.RSSBefore, res.RSSAfter)
		}
	})
	t.Run("séance full", func(t *testing.T) {
		// A séance of two takes two clients; the third must be refused with
		// the contract's SESSION_FULL error and close 4009, and counted so.
		p, err := Config{BaseURL: base, Clients: 3, Sessions: 1}.plan()
		if err != nil {
			t.Fatal(err)
		}
		rest := newREST(p.BaseURL)
		defer rest.close()
		rooms, err := rest.createSeances(t.Context(), 1, 2)
		defer rest.endSeances(rooms)
		if err != nil {
			t.Fatal(err)
		}
		r := newRun(p)
		clients := []*client{newClient(0, rooms[0]), newClient(1, rooms[0]), newClient(2, rooms[0])}
		for _, c := range clients {
			// One after the other, so which one is refused is known.
			r.joinWG.Add(1)
			r.join(t.Context(), c, time.Now())
		}
		for _, c := range clients {
			if c.ok {
				r.hangUp(c)
			}
		}
		errs := r.errs.snapshot()
		if r.joined.Load() != 2 || r.failed.Load() != 1 || errs["SESSION_FULL"] != 1 || errs["close 4009"] != 1 {
			t.Errorf("joined %d, failed %d, errors %v; want 2, 1, SESSION_FULL and close 4009",
				r.joined.Load(), r.failed.Load(), errs)
		}
	})
}

func runAgainst(t *testing.T, cfg Config) Result {
	t.Helper()
	cfg.Progress = t.Output()
	res, err := Run(t.Context(), cfg)
	var b strings.Builder
	res.Write(&b)
	t.Log("\n" + b.String())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestTally checks the accounting on hand-made runs: which deliveries count,
// what is lost, what is a duplicate, and which questions a refusal explains.
func TestTally(t *testing.T) {
	ms := time.Millisecond
	type ask struct{ from, members int }
	type delivery struct {
		to, q int // q indexes asks
		after time.Duration
	}
	tests := []struct {
		name       string
		clients    int
		asks       []ask
		deliveries []delivery
		refusals   map[int]int // client → question-refusing error events it got
		want       totals
	}{
		{
			name:    "nothing asked",
			clients: 3,
		},
		{
			name:       "every member gets it, the sender included",
			clients:    3,
			asks:       []ask{{0, 3}},
			deliveries: []delivery{{0, 0, 1 * ms}, {1, 0, 2 * ms}, {2, 0, 4 * ms}},
			want:       totals{sent: 1, expected: 3, delivered: 3, p50: 2 * ms, p99: 4 * ms, max: 4 * ms},
		},
		{
			name:       "a member misses it",
			clients:    3,
			asks:       []ask{{0, 3}, {1, 3}},
			deliveries: []delivery{{0, 0, ms}, {1, 0, ms}, {2, 0, ms}, {0, 1, ms}, {1, 1, ms}},
			want:       totals{sent: 2, expected: 6, delivered: 5, lost: 1, p50: ms, p99: ms, max: ms},
		},
		{
			name:       "a second copy is a duplicate, not a delivery, and not a latency",
			clients:    2,
			asks:       []ask{{0, 2}},
			deliveries: []delivery{{0, 0, ms}, {1, 0, 2 * ms}, {1, 0, 90 * ms}},
			want:       totals{sent: 1, expected: 2, delivered: 2, duplicated: 1, p50: ms, p99: 2 * ms, max: 2 * ms},
		},
		{
			name:     "a refused question expects nothing",
			clients:  2,
			asks:     []ask{{0, 2}},
			refusals: map[int]int{0: 1},
			want:     totals{sent: 1, refused: 1},
		},
		{
			name:    "the refusal goes to the question nobody got, not to one only the sender missed",
			clients: 3,
			asks:    []ask{{0, 3}, {0, 3}},
			// q0 reached the others (accepted; the sender's copy is lost), q1 reached no one.
			deliveries: []delivery{{1, 0, ms}, {2, 0, ms}},
			refusals:   map[int]int{0: 1},
			want:       totals{sent: 2, refused: 1, expected: 3, delivered: 2, lost: 1, p50: ms, p99: ms, max: ms},
		},
		{
			name:     "unexplained silence is lost for every member",
			clients:  2,
			asks:     []ask{{0, 2}, {0, 2}, {1, 2}},
			refusals: map[int]int{0: 1},
			want:     totals{sent: 3, refused: 1, expected: 4, lost: 4},
		},
		{
			name:       "a refusal with no silent question to explain changes nothing",
			clients:    2,
			asks:       []ask{{0, 2}},
			deliveries: []delivery{{0, 0, 3 * ms}, {1, 0, 5 * ms}},
			refusals:   map[int]int{0: 2, 1: 1},
			want:       totals{sent: 1, expected: 2, delivered: 2, p50: 3 * ms, p99: 5 * ms, max: 5 * ms},
		},
		{
			name:       "members are counted at send time",
			clients:    3,
			asks:       []ask{{0, 2}, {0, 3}},
			deliveries: []delivery{{0, 0, ms}, {1, 0, ms}, {0, 1, ms}, {1, 1, ms}, {2, 1, ms}},
			want:       totals{sent: 2, expected: 5, delivered: 5, p50: ms, p99: ms, max: ms},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := time.Unix(1_700_000_000, 0)
			clients := make([]*client, tt.clients)
			for i := range clients {
				clients[i] = newClient(i, &room{})
				clients[i].refusals = tt.refusals[i]
			}
			qs := make([]*question, len(tt.asks))
			for i, a := range tt.asks {
				qs[i] = &question{sentAt: base, members: int32(a.members)}
				clients[a.from].asked = append(clients[a.from].asked, qs[i])
			}
			for _, d := range tt.deliveries {
				clients[d.to].deliver(qs[d.q], base.Add(d.after))
			}
			if got := tally(clients); got != tt.want {
				t.Errorf("tally =\n %+v, want\n %+v", got, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	series := func(n int) []time.Duration {
		s := make([]time.Duration, n)
		for i := range s {
			s[i] = time.Duration(i+1) * time.Millisecond
		}
		return s
	}
	tests := []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 0.99, 0},
		{series(1), 0.5, time.Millisecond},
		{series(1), 0.99, time.Millisecond},
		{series(4), 0.5, 2 * time.Millisecond},
		{series(100), 0.5, 50 * time.Millisecond},
		{series(100), 0.99, 99 * time.Millisecond},
		{series(100), 1, 100 * time.Millisecond},
		{series(10), 0.99, 10 * time.Millisecond},
		{series(1000), 0.99, 990 * time.Millisecond},
		{series(1001), 0.99, 991 * time.Millisecond},
		{series(3), 0, time.Millisecond},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("percentile(%d values, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
		}
	}
}

func TestHistogram(t *testing.T) {
	// Every value lands in a bucket whose upper bound is above it and within
	// the promised 6.25%.
	for _, us := range []uint64{0, 1, 15, 16, 31, 32, 33, 47, 48, 63, 64, 999, 1000, 12345, 1 << 20, 1<<40 + 7, 1<<63 - 1} {
		b := histBucket(us)
		if b < 0 || b >= histBuckets {
			t.Fatalf("bucket(%d) = %d, out of range", us, b)
		}
		up := histUpper(b)
		if up <= us || (us >= 2*histSub && float64(up-us) > float64(us)/histSub) {
			t.Errorf("%dµs → bucket %d with upper bound %d", us, b, up)
		}
		if b > 0 && histUpper(b-1) > us {
			t.Errorf("%dµs → bucket %d, but the bucket below ends at %d", us, b, histUpper(b-1))
		}
	}
	var h histogram
	if _, ok := h.quantile(0.99); ok {
		t.Error("an empty histogram has a quantile")
	}
	for i := 1; i <= 100; i++ {
		h.record(time.Duration(i) * time.Millisecond)
	}
	p99, _ := h.quantile(0.99)
	if p99 < 99*time.Millisecond || p99 > 106*time.Millisecond {
		t.Errorf("p99 of 1..100 ms ≈ %v, want about 99 ms", p99)
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		cfg                       Config
		wantErr                   string
		wantWS                    string
		wantSessions, wantMaxUser int
	}{
		{cfg: Config{BaseURL: "http://127.0.0.1:8000", Clients: 2000, Sessions: 334}, wantWS: "ws://127.0.0.1:8000", wantSessions: 334, wantMaxUser: 6},
		{cfg: Config{BaseURL: "http://127.0.0.1:8000/", Clients: 2000}, wantWS: "ws://127.0.0.1:8000", wantSessions: 334, wantMaxUser: 6},
		{cfg: Config{BaseURL: "https://seance.example/app", Clients: 10000, Sessions: 1667}, wantWS: "wss://seance.example/app", wantSessions: 1667, wantMaxUser: 6},
		{cfg: Config{BaseURL: "http://h:1", Clients: 1}, wantWS: "ws://h:1", wantSessions: 1, wantMaxUser: 2},
		{cfg: Config{BaseURL: "http://h:1", Clients: 24, Sessions: 2}, wantWS: "ws://h:1", wantSessions: 2, wantMaxUser: 12},
		{cfg: Config{BaseURL: "http://h:1", Clients: 25, Sessions: 2}, wantErr: "use at least 3 séances"},
		{cfg: Config{BaseURL: "http://h:1", Clients: 3, Sessions: 4}, wantErr: "empty"},
		{cfg: Config{BaseURL: "http://h:1", Clients: 0}, wantErr: "at least 1"},
		{cfg: Config{BaseURL: "ftp://h:1", Clients: 1}, wantErr: "scheme"},
		{cfg: Config{BaseURL: "127.0.0.1:8000", Clients: 1}, wantErr: "base URL"},
		{cfg: Config{BaseURL: "http://h:1", Clients: 1, AskEvery: time.Second}, wantErr: "needs a duration"},
		{cfg: Config{BaseURL: "http://h:1", Clients: 1, Ramp: -1}, wantErr: "negative"},
	}
	for _, tt := range tests {
		p, err := tt.cfg.plan()
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%+v: error %v, want one containing %q", tt.cfg, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%+v: %v", tt.cfg, err)
		case p.wsBase != tt.wantWS || p.Sessions != tt.wantSessions || p.maxUsers != tt.wantMaxUser:
			t.Errorf("%+v: ws %q, %d séances of %d; want %q, %d of %d",
				tt.cfg, p.wsBase, p.Sessions, p.maxUsers, tt.wantWS, tt.wantSessions, tt.wantMaxUser)
		}
	}
}

func TestErrorNames(t *testing.T) {
	resp := func(status int, body string) *http.Response {
		return &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(body))}
	}
	tests := []struct{ got, want string }{
		{dialError(websocket.ErrBadHandshake, resp(429, `{"success":false,"error":{"code":"RATE_LIMITED","message":"slow down"}}`)), "http 429 RATE_LIMITED"},
		{dialError(websocket.ErrBadHandshake, resp(403, "Forbidden")), "http 403"},
		{dialError(fmt.Errorf("dial tcp 127.0.0.1:9: %w", syscall.ECONNREFUSED), nil), "dial: connection refused"},
		{dialError(context.DeadlineExceeded, nil), "dial: timeout"},
		{readError(&websocket.CloseError{Code: 1008, Text: "slow"}), "close 1008"},
		{readError(&websocket.CloseError{Code: 4010}), "close 4010"},
		{readError(fmt.Errorf("read tcp: %w", syscall.ECONNRESET)), "read: connection reset"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestNextSlot(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct{ prev, now, want int }{
		{0, 500, 1000},  // on time
		{0, 1000, 1000}, // exactly at the next slot
		{0, 3200, 4000}, // a stalled write: the missed slots are skipped, not burst
	}
	for _, tt := range tests {
		if got := nextSlot(at(tt.prev), time.Second, at(tt.now)); !got.Equal(at(tt.want)) {
			t.Errorf("nextSlot(%d, now %d) = %v, want %d ms", tt.prev, tt.now, got.Sub(t0), tt.want)
		}
	}
}

func TestParseVmRSS(t *testing.T) {
	got, err := parseVmRSS("Name:\tseance\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 1 kB\n")
	if err != nil || got != 12345*1024 {
		t.Errorf("parseVmRSS = %d, %v; want %d", got, err, 12345*1024)
	}
	if _, err := parseVmRSS("Name:\tkthreadd\n"); err == nil {
		t.Error("no VmRSS line, no error")
	}
}
