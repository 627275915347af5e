package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
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
	var pids []int
	if s := os.Getenv("SEANCE_LOAD_TEST_PID"); s != "" {
		pid, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SEANCE_LOAD_TEST_PID=%q: %v", s, err)
		}
		pids = []int{pid}
	}
	// Small enough for the server's default per-address limits (64
	// connections, 120 joins and 30 creations a minute), so it runs against
	// a server started with no special settings.
	t.Run("asking", func(t *testing.T) {
		res := runAgainst(t, Config{
			BaseURL:    base,
			Clients:    12,
			Sessions:   2,
			AskEvery:   4 * time.Second, // 2–3 questions each: under the rate limit and the spirit's queue limit
			TypeEvery:  1500 * time.Millisecond,
			Duration:   10 * time.Second,
			Ramp:       time.Second,
			ServerPIDs: pids,
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
		res := runAgainst(t, Config{BaseURL: base, Clients: 12, Sessions: 3, ServerPIDs: pids})
		if res.Joined != 12 || res.Sent != 0 || len(res.Errors) != 0 {
			t.Errorf("joined %d, sent %d, errors %v; want 12, 0, none", res.Joined, res.Sent, res.Errors)
		}
		if pids != nil && (res.RSSBefore <= 0 || res.RSSAfter <= 0) {
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
		rest := newREST(p.bases())
		defer rest.close()
		rooms, err := rest.createSeances(t.Context(), 1, 2)
		defer rest.endSeances(rooms)
		if err != nil {
			t.Fatal(err)
		}
		r := newRun(p)
		clients := []*client{newClient(0, 0, rooms[0]), newClient(1, 0, rooms[0]), newClient(2, 0, rooms[0])}
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
// what is lost, what is a duplicate, which questions a refusal explains, and
// how it all splits between same-node and cross-node deliveries.
func TestTally(t *testing.T) {
	ms := time.Millisecond
	// same is how many of the members were on the asker's node.
	type ask struct{ from, members, same int }
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
		nodes      []int       // client → node; nil: all on one node
		want       totals      // without the split: that is wantSame and wantCross
		wantSame   Deliveries  // with nodes only; without, it must be the totals
		wantCross  Deliveries
	}{
		{
			name:    "nothing asked",
			clients: 3,
		},
		{
			name:       "every member gets it, the sender included",
			clients:    3,
			asks:       []ask{{0, 3, 3}},
			deliveries: []delivery{{0, 0, 1 * ms}, {1, 0, 2 * ms}, {2, 0, 4 * ms}},
			want:       totals{sent: 1, expected: 3, delivered: 3, p50: 2 * ms, p99: 4 * ms, max: 4 * ms},
		},
		{
			name:       "a member misses it",
			clients:    3,
			asks:       []ask{{0, 3, 3}, {1, 3, 3}},
			deliveries: []delivery{{0, 0, ms}, {1, 0, ms}, {2, 0, ms}, {0, 1, ms}, {1, 1, ms}},
			want:       totals{sent: 2, expected: 6, delivered: 5, lost: 1, p50: ms, p99: ms, max: ms},
		},
		{
			name:       "a second copy is a duplicate, not a delivery, and not a latency",
			clients:    2,
			asks:       []ask{{0, 2, 2}},
			deliveries: []delivery{{0, 0, ms}, {1, 0, 2 * ms}, {1, 0, 90 * ms}},
			want:       totals{sent: 1, expected: 2, delivered: 2, duplicated: 1, p50: ms, p99: 2 * ms, max: 2 * ms},
		},
		{
			name:     "a refused question expects nothing",
			clients:  2,
			asks:     []ask{{0, 2, 2}},
			refusals: map[int]int{0: 1},
			want:     totals{sent: 1, refused: 1},
		},
		{
			name:    "the refusal goes to the question nobody got, not to one only the sender missed",
			clients: 3,
			asks:    []ask{{0, 3, 3}, {0, 3, 3}},
			// q0 reached the others (accepted; the sender's copy is lost), q1 reached no one.
			deliveries: []delivery{{1, 0, ms}, {2, 0, ms}},
			refusals:   map[int]int{0: 1},
			want:       totals{sent: 2, refused: 1, expected: 3, delivered: 2, lost: 1, p50: ms, p99: ms, max: ms},
		},
		{
			name:     "unexplained silence is lost for every member",
			clients:  2,
			asks:     []ask{{0, 2, 2}, {0, 2, 2}, {1, 2, 2}},
			refusals: map[int]int{0: 1},
			want:     totals{sent: 3, refused: 1, expected: 4, lost: 4},
		},
		{
			name:       "a refusal with no silent question to explain changes nothing",
			clients:    2,
			asks:       []ask{{0, 2, 2}},
			deliveries: []delivery{{0, 0, 3 * ms}, {1, 0, 5 * ms}},
			refusals:   map[int]int{0: 2, 1: 1},
			want:       totals{sent: 1, expected: 2, delivered: 2, p50: 3 * ms, p99: 5 * ms, max: 5 * ms},
		},
		{
			name:       "members are counted at send time",
			clients:    3,
			asks:       []ask{{0, 2, 2}, {0, 3, 3}},
			deliveries: []delivery{{0, 0, ms}, {1, 0, ms}, {0, 1, ms}, {1, 1, ms}, {2, 1, ms}},
			want:       totals{sent: 2, expected: 5, delivered: 5, p50: ms, p99: ms, max: ms},
		},
		{
			name:    "deliveries split by the member's node against the asker's",
			clients: 4,
			nodes:   []int{0, 1, 0, 1},
			// Client 0 on node 0 asks; clients 0 and 2 are on its node.
			asks:       []ask{{0, 4, 2}},
			deliveries: []delivery{{0, 0, 1 * ms}, {2, 0, 2 * ms}, {1, 0, 5 * ms}, {3, 0, 7 * ms}},
			want:       totals{sent: 1, expected: 4, delivered: 4, p50: 2 * ms, p99: 7 * ms, max: 7 * ms},
			wantSame:   Deliveries{Expected: 2, Delivered: 2, LatencyP50: 1 * ms, LatencyP99: 2 * ms, LatencyMax: 2 * ms},
			wantCross:  Deliveries{Expected: 2, Delivered: 2, LatencyP50: 5 * ms, LatencyP99: 7 * ms, LatencyMax: 7 * ms},
		},
		{
			name:       "a loss across nodes is a cross-node loss",
			clients:    3,
			nodes:      []int{0, 1, 2},
			asks:       []ask{{1, 3, 1}, {2, 3, 1}},
			deliveries: []delivery{{0, 0, ms}, {1, 0, ms}, {1, 1, 3 * ms}, {2, 1, ms}},
			want:       totals{sent: 2, expected: 6, delivered: 4, lost: 2, p50: ms, p99: 3 * ms, max: 3 * ms},
			wantSame:   Deliveries{Expected: 2, Delivered: 2, LatencyP50: ms, LatencyP99: ms, LatencyMax: ms},
			wantCross:  Deliveries{Expected: 4, Delivered: 2, Lost: 2, LatencyP50: ms, LatencyP99: 3 * ms, LatencyMax: 3 * ms},
		},
		{
			name:       "the sender missing its own copy is a same-node loss",
			clients:    2,
			nodes:      []int{0, 1},
			asks:       []ask{{0, 2, 1}},
			deliveries: []delivery{{1, 0, 4 * ms}, {1, 0, 9 * ms}},
			want:       totals{sent: 1, expected: 2, delivered: 1, lost: 1, duplicated: 1, p50: 4 * ms, p99: 4 * ms, max: 4 * ms},
			wantSame:   Deliveries{Expected: 1, Lost: 1},
			wantCross:  Deliveries{Expected: 1, Delivered: 1, LatencyP50: 4 * ms, LatencyP99: 4 * ms, LatencyMax: 4 * ms},
		},
		{
			name:      "a refused question expects nothing on either path",
			clients:   2,
			nodes:     []int{0, 1},
			asks:      []ask{{1, 2, 1}},
			refusals:  map[int]int{1: 1},
			want:      totals{sent: 1, refused: 1},
			wantSame:  Deliveries{},
			wantCross: Deliveries{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := time.Unix(1_700_000_000, 0)
			clients := make([]*client, tt.clients)
			for i := range clients {
				node := 0
				if tt.nodes != nil {
					node = tt.nodes[i]
				}
				clients[i] = newClient(i, node, &room{})
				clients[i].refusals = tt.refusals[i]
			}
			qs := make([]*question, len(tt.asks))
			for i, a := range tt.asks {
				qs[i] = &question{sentAt: base, node: clients[a.from].node, members: int32(a.members), sameNode: int32(a.same)}
				clients[a.from].asked = append(clients[a.from].asked, qs[i])
			}
			for _, d := range tt.deliveries {
				clients[d.to].deliver(qs[d.q], base.Add(d.after))
			}
			got := tally(clients)
			wantSame, wantCross := tt.wantSame, tt.wantCross
			if tt.nodes == nil {
				w := tt.want
				wantSame = Deliveries{Expected: w.expected, Delivered: w.delivered, Lost: w.lost, LatencyP50: w.p50, LatencyP99: w.p99, LatencyMax: w.max}
			}
			if got.same != wantSame || got.cross != wantCross {
				t.Errorf("split =\n same  %+v\n cross %+v, want\n same  %+v\n cross %+v", got.same, got.cross, wantSame, wantCross)
			}
			if got.same.Expected+got.cross.Expected != got.expected || got.same.Delivered+got.cross.Delivered != got.delivered ||
				got.same.Lost+got.cross.Lost != got.lost {
				t.Errorf("the split does not add up to the totals: %+v", got)
			}
			got.same, got.cross = Deliveries{}, Deliveries{}
			if got != tt.want {
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
		case len(p.nodes) != 1 || p.nodes[0].wsBase != tt.wantWS || p.Sessions != tt.wantSessions || p.maxUsers != tt.wantMaxUser:
			t.Errorf("%+v: nodes %+v, %d séances of %d; want %q, %d of %d",
				tt.cfg, p.nodes, p.Sessions, p.maxUsers, tt.wantWS, tt.wantSessions, tt.wantMaxUser)
		}
	}
}

// TestPlanNodes checks the list of base URLs and of PIDs: each entry is one
// node, and a bad one is named by its place in the list.
func TestPlanNodes(t *testing.T) {
	tests := []struct {
		name    string
		urls    string
		pids    []int
		want    []node
		wantErr string
	}{
		{
			name: "one node",
			urls: "http://127.0.0.1:8000/",
			want: []node{{"http://127.0.0.1:8000", "ws://127.0.0.1:8000"}},
		},
		{
			name: "two nodes",
			urls: "http://10.0.0.1:8000,http://10.0.0.2:8000",
			pids: []int{101, 102},
			want: []node{{"http://10.0.0.1:8000", "ws://10.0.0.1:8000"}, {"http://10.0.0.2:8000", "ws://10.0.0.2:8000"}},
		},
		{
			name: "spaces around entries and trailing slashes",
			urls: " http://a:1/ , https://b.example/app/ ",
			want: []node{{"http://a:1", "ws://a:1"}, {"https://b.example/app", "wss://b.example/app"}},
		},
		{
			name: "a URL listed twice is two nodes, one process",
			urls: "http://a:1,http://a:1",
			pids: []int{7, 7},
			want: []node{{"http://a:1", "ws://a:1"}, {"http://a:1", "ws://a:1"}},
		},
		{name: "empty", urls: "", wantErr: `base URL "": want http://host:port`},
		{name: "no scheme, one node", urls: "127.0.0.1:8000", wantErr: `base URL "127.0.0.1:8000": want http://host:port`},
		{name: "no scheme, second node", urls: "http://a:1,b:2", wantErr: `base URL 2 of 2, "b:2": want http://host:port`},
		{name: "bad scheme, third node", urls: "http://a:1,http://b:2,ws://c:3", wantErr: `base URL 3 of 3, "ws://c:3": scheme must be http or https`},
		{name: "empty entry", urls: "http://a:1,,http://b:2", wantErr: `base URL 2 of 3 in "http://a:1,,http://b:2" is empty`},
		{name: "stray comma", urls: "http://a:1,", wantErr: "base URL 2 of 2"},
		{name: "query", urls: "http://a:1/?x=1", wantErr: "without a query"},
		{name: "fragment in a list", urls: "http://a:1,http://b:2#x", wantErr: `base URL 2 of 2, "http://b:2#x": want http://host:port[/prefix], without a query or fragment`},
		{name: "fewer PIDs than nodes", urls: "http://a:1,http://b:2", pids: []int{101}, wantErr: "1 server PID for 2 base URLs: give one per node"},
		{name: "more PIDs than nodes", urls: "http://a:1", pids: []int{101, 102}, wantErr: "2 server PIDs for 1 base URL"},
		{name: "not a PID", urls: "http://a:1,http://b:2", pids: []int{101, 0}, wantErr: "server PID 2 of 2 is 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Config{BaseURL: tt.urls, ServerPIDs: tt.pids, Clients: 12}.plan()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(p.nodes, tt.want) {
				t.Errorf("nodes %+v, want %+v", p.nodes, tt.want)
			}
		})
	}
}

// TestPlanAssignment checks which séance and which node every client gets:
// member k of séance s connects to node (k + s) mod N, and séance s is
// created through node s mod N.
func TestPlanAssignment(t *testing.T) {
	tests := []struct {
		name                     string
		nodes, clients, sessions int
		wantSeance, wantNode     []int // by client
	}{
		{
			name: "one node: everyone on it", nodes: 1, clients: 6, sessions: 2,
			wantSeance: []int{0, 1, 0, 1, 0, 1},
			wantNode:   []int{0, 0, 0, 0, 0, 0},
		},
		{
			name: "two nodes, one séance: members alternate", nodes: 2, clients: 4, sessions: 1,
			wantSeance: []int{0, 0, 0, 0},
			wantNode:   []int{0, 1, 0, 1},
		},
		{
			name: "two nodes, two séances: each starts on the node that created it", nodes: 2, clients: 6, sessions: 2,
			// Clients 0, 2, 4 are members 0, 1, 2 of séance 0; 1, 3, 5 of séance 1.
			wantSeance: []int{0, 1, 0, 1, 0, 1},
			wantNode:   []int{0, 1, 1, 0, 0, 1},
		},
		{
			name: "three nodes, séances of two", nodes: 3, clients: 6, sessions: 3,
			wantSeance: []int{0, 1, 2, 0, 1, 2},
			wantNode:   []int{0, 1, 2, 1, 2, 0},
		},
		{
			name: "more nodes than members: a séance covers as many nodes as it has members", nodes: 4, clients: 4, sessions: 2,
			wantSeance: []int{0, 1, 0, 1},
			wantNode:   []int{0, 1, 1, 2},
		},
		{
			name: "uneven séances", nodes: 2, clients: 5, sessions: 2,
			wantSeance: []int{0, 1, 0, 1, 0},
			wantNode:   []int{0, 1, 1, 0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			urls := make([]string, tt.nodes)
			for i := range urls {
				urls[i] = fmt.Sprintf("http://node%d:8000", i)
			}
			p, err := Config{BaseURL: strings.Join(urls, ","), Clients: tt.clients, Sessions: tt.sessions}.plan()
			if err != nil {
				t.Fatal(err)
			}
			gotSeance, gotNode := make([]int, tt.clients), make([]int, tt.clients)
			for i := range tt.clients {
				gotSeance[i], gotNode[i] = p.seanceOf(i), p.nodeOf(i)
			}
			if !slices.Equal(gotSeance, tt.wantSeance) || !slices.Equal(gotNode, tt.wantNode) {
				t.Errorf("séances %v, nodes %v; want %v, %v", gotSeance, gotNode, tt.wantSeance, tt.wantNode)
			}
		})
	}
}

// TestPlanSpread checks the promises of the assignment on many shapes: the
// first member of a séance is on the node that created it, a séance's
// members are spread over as many nodes as they can be and evenly, and so
// most deliveries cross nodes once there are two nodes or more.
func TestPlanSpread(t *testing.T) {
	for nodes := 1; nodes <= 5; nodes++ {
		for clients := 1; clients <= 40; clients++ {
			for sessions := ceilDiv(clients, roomLimit); sessions <= clients; sessions++ {
				urls := strings.TrimSuffix(strings.Repeat("http://n:1,", nodes), ",")
				p, err := Config{BaseURL: urls, Clients: clients, Sessions: sessions}.plan()
				if err != nil {
					t.Fatal(err)
				}
				onNode := make([][]int, sessions) // séance → members per node
				for s := range onNode {
					onNode[s] = make([]int, nodes)
				}
				for i := range clients {
					s, n := p.seanceOf(i), p.nodeOf(i)
					if i < sessions && n != s%nodes {
						t.Fatalf("%d nodes, %d clients, %d séances: the first member of séance %d is on node %d, not its creator %d",
							nodes, clients, sessions, s, n, s%nodes)
					}
					onNode[s][n]++
				}
				for s, counts := range onNode {
					if lo, hi := slices.Min(counts), slices.Max(counts); hi-lo > 1 {
						t.Fatalf("%d nodes, %d clients, %d séances: séance %d has %v members per node", nodes, clients, sessions, s, counts)
					}
				}
			}
		}
	}
}

// TestCreateThroughNodes runs the REST side against two HTTP servers that
// stand for two nodes: séances are created through the nodes in turn and
// each is ended through the node that created it. The servers only answer
// the two requests: nothing here is a WebSocket, so they are not a fake of
// the server being measured.
func TestCreateThroughNodes(t *testing.T) {
	type node struct {
		srv     *httptest.Server
		mu      sync.Mutex
		created []string // séance names, in the order asked for
		ended   []string // séance ids
	}
	nodes := []*node{{}, {}}
	for n, nd := range nodes {
		nd.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			nd.mu.Lock()
			defer nd.mu.Unlock()
			switch {
			case r.Method == http.MethodPost && r.URL.Path == "/api/sessions":
				var body struct{ Name string }
				_ = json.NewDecoder(r.Body).Decode(&body)
				nd.created = append(nd.created, body.Name)
				id := fmt.Sprintf("n%d-%d", n, len(nd.created))
				w.WriteHeader(http.StatusCreated)
				fmt.Fprintf(w, `{"success":true,"data":{"id":%q,"host_token":"tok-%s"}}`, id, id)
			case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/api/sessions/"):
				id := strings.TrimPrefix(r.URL.Path, "/api/sessions/")
				if r.Header.Get("Authorization") != "Bearer tok-"+id {
					t.Errorf("DELETE %s with %q", r.URL.Path, r.Header.Get("Authorization"))
				}
				nd.ended = append(nd.ended, id)
				w.WriteHeader(http.StatusNoContent)
			default:
				t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
				http.NotFound(w, r)
			}
		}))
		defer nd.srv.Close()
	}
	p, err := Config{BaseURL: nodes[0].srv.URL + "," + nodes[1].srv.URL + "/", Clients: 30}.plan()
	if err != nil {
		t.Fatal(err)
	}
	rest := newREST(p.bases())
	defer rest.close()
	rooms, err := rest.createSeances(t.Context(), p.Sessions, p.maxUsers)
	if err != nil {
		t.Fatal(err)
	}
	for s, rm := range rooms {
		if want := fmt.Sprintf("n%d-", s%2); rm.node != s%2 || !strings.HasPrefix(rm.id, want) {
			t.Errorf("séance %d: node %d, id %q; want node %d, an id from it", s, rm.node, rm.id, s%2)
		}
	}
	rest.endSeances(rooms)
	for n, nd := range nodes {
		slices.Sort(nd.created)
		slices.Sort(nd.ended)
		var wantCreated []string
		for s := n; s < p.Sessions; s += 2 {
			wantCreated = append(wantCreated, fmt.Sprintf("load %d", s+1))
		}
		slices.Sort(wantCreated)
		if !slices.Equal(nd.created, wantCreated) {
			t.Errorf("node %d created %v, want %v", n, nd.created, wantCreated)
		}
		if len(nd.ended) != len(wantCreated) || !strings.HasPrefix(strings.Join(nd.ended, ""), fmt.Sprintf("n%d-", n)) {
			t.Errorf("node %d ended %v, want its own %d", n, nd.ended, len(wantCreated))
		}
	}
}

func TestMemory(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name          string
		nodes         []NodeResult // PID and Joined set
		before, after map[int]int64
		wantPerNode   []float64 // BytesPerConn
		wantBefore    int64
		wantAfter     int64
		wantPerConn   float64
	}{
		{
			name:        "one node",
			nodes:       []NodeResult{{PID: 1, Joined: 1024}},
			before:      map[int]int64{1: 10 * mb},
			after:       map[int]int64{1: 14 * mb},
			wantPerNode: []float64{4096},
			wantBefore:  10 * mb, wantAfter: 14 * mb, wantPerConn: 4096,
		},
		{
			name:        "two processes",
			nodes:       []NodeResult{{PID: 1, Joined: 1024}, {PID: 2, Joined: 512}},
			before:      map[int]int64{1: 10 * mb, 2: 20 * mb},
			after:       map[int]int64{1: 14 * mb, 2: 21 * mb},
			wantPerNode: []float64{4096, 2048},
			wantBefore:  30 * mb, wantAfter: 35 * mb, wantPerConn: 5 * mb / 1536.0,
		},
		{
			name:        "one process under two URLs is counted once",
			nodes:       []NodeResult{{PID: 1, Joined: 512}, {PID: 1, Joined: 512}},
			before:      map[int]int64{1: 10 * mb},
			after:       map[int]int64{1: 14 * mb},
			wantPerNode: []float64{4096, 4096},
			wantBefore:  10 * mb, wantAfter: 14 * mb, wantPerConn: 4096,
		},
		{
			name:        "no second reading",
			nodes:       []NodeResult{{PID: 1, Joined: 10}, {PID: 2, Joined: 10}},
			before:      map[int]int64{1: 10 * mb, 2: 20 * mb},
			wantPerNode: []float64{0, 0},
			wantBefore:  30 * mb,
		},
		{
			name:        "not measured",
			nodes:       []NodeResult{{Joined: 10}, {Joined: 10}},
			wantPerNode: []float64{0, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, after, perConn := memory(tt.nodes, tt.before, tt.after)
			if before != tt.wantBefore || after != tt.wantAfter || perConn != tt.wantPerConn {
				t.Errorf("totals %d, %d, %.1f per connection; want %d, %d, %.1f", before, after, perConn, tt.wantBefore, tt.wantAfter, tt.wantPerConn)
			}
			for i, n := range tt.nodes {
				if n.BytesPerConn != tt.wantPerNode[i] {
					t.Errorf("node %d: %.1f bytes per connection, want %.1f", i+1, n.BytesPerConn, tt.wantPerNode[i])
				}
			}
		})
	}
}

// TestWrite checks the report's shape: one node reads as it always has,
// several add each node's share, the two paths and each process's memory.
func TestWrite(t *testing.T) {
	ms := time.Millisecond
	one := Result{
		Clients: 12, Joined: 12, Sessions: 2, Sent: 10, Expected: 60, Delivered: 60, Measured: 10 * time.Second, DeliveriesPerSec: 6,
		LatencyP50: ms, LatencyP99: 2 * ms, LatencyMax: 3 * ms,
		SameNode:  Deliveries{Expected: 60, Delivered: 60, LatencyP50: ms, LatencyP99: 2 * ms, LatencyMax: 3 * ms},
		RSSBefore: 10 << 20, RSSAfter: 11 << 20, BytesPerConn: 1 << 20 / 12.0,
		Nodes: []NodeResult{{URL: "http://a:1", Sessions: 2, Clients: 12, Joined: 12, PID: 7, RSSBefore: 10 << 20, RSSAfter: 11 << 20}},
	}
	var b strings.Builder
	one.Write(&b)
	for _, no := range []string{"node", "same-node", "cross-node", "process"} {
		if strings.Contains(b.String(), no) {
			t.Errorf("one node's report mentions %q:\n%s", no, b.String())
		}
	}
	if !strings.Contains(b.String(), "Séance load: 12 clients in 2 séances\n") ||
		!strings.Contains(b.String(), "  server RSS   before 10.0 MiB, after 11.0 MiB: 85.3 KiB per joined connection\n") {
		t.Errorf("one node's report:\n%s", b.String())
	}

	two := one
	two.Failed, two.Joined = 1, 11
	two.Lost, two.Delivered = 1, 59
	two.SameNode = Deliveries{Expected: 30, Delivered: 30, LatencyP50: ms, LatencyP99: ms, LatencyMax: ms}
	two.CrossNode = Deliveries{Expected: 30, Delivered: 29, Lost: 1, LatencyP50: 2 * ms, LatencyP99: 3 * ms, LatencyMax: 3 * ms}
	two.Nodes = []NodeResult{
		{URL: "http://a:1", Sessions: 1, Clients: 6, Joined: 6, PID: 7, RSSBefore: 10 << 20, RSSAfter: 11 << 20, BytesPerConn: 1 << 20 / 11.0},
		{URL: "http://a:1", Sessions: 1, Clients: 6, Joined: 5, Failed: 1, PID: 7, RSSBefore: 10 << 20, RSSAfter: 11 << 20, BytesPerConn: 1 << 20 / 11.0},
	}
	two.BytesPerConn = 1 << 20 / 11.0
	two.Errors = map[string]int{"close 4004": 1}
	b.Reset()
	two.Write(&b)
	for _, want := range []string{
		"Séance load: 12 clients in 2 séances over 2 nodes\n",
		"  node 1       http://a:1: 1 séance created, 6 clients, joined 6 (failed 0)\n",
		"  node 2       http://a:1: 1 séance created, 6 clients, joined 5 (failed 1)\n",
		"    same-node  p50 1.00ms  p99 1.00ms  max 1.00ms  (delivered 30 of 30, lost 0)\n",
		"    cross-node p50 2.00ms  p99 3.00ms  max 3.00ms  (delivered 29 of 30, lost 1)\n",
		"  server RSS   node 1 (pid 7): before 10.0 MiB, after 11.0 MiB: 93.1 KiB per joined connection\n",
		"               node 2 (pid 7): the same process as node 1\n",
		"               total of 1 process: before 10.0 MiB, after 11.0 MiB: 93.1 KiB per joined connection\n",
		"hint: clients failed to join through node 2 (1 of 6)",
		"hint: only cross-node deliveries were lost",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("two nodes' report lacks %q:\n%s", want, b.String())
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
