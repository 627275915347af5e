package httpapi_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seancehq/seance/httpapi"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/metrics/metricstest"
)

// serveLimited serves h as cmd/seance does, on a real listener wrapped by
// LimitConns, and returns its address.
func serveLimited(t *testing.T, h http.Handler, perAddr int, trusted []netip.Prefix, m *metrics.Metrics) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = srv.Serve(httpapi.LimitConns(ln, perAddr, trusted, m)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// keptConn is a keep-alive HTTP connection driven by hand, so that the test
// knows which connection each request travels on.
type keptConn struct {
	net.Conn
	br *bufio.Reader
}

func dialKept(t *testing.T, addr string) *keptConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &keptConn{Conn: c, br: bufio.NewReader(c)}
}

// health asks GET /health on the connection; an error means the server
// closed it.
func (c *keptConn) health() error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET /health HTTP/1.1\r\nHost: seance.test\r\n\r\n"); err != nil {
		return err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// holder is something holding one of an address's places.
type holder interface {
	works(t *testing.T) error
	close()
}

type httpHolder struct{ c *keptConn }

func (h httpHolder) works(*testing.T) error { return h.c.health() }
func (h httpHolder) close()                 { h.c.Close() }

type wsHolder struct{ c *wsClient }

// works asks a question: the answer comes back through the poller, which
// needs the counted connection's file descriptor.
func (h wsHolder) works(*testing.T) error {
	h.c.ask("Is anyone there?")
	h.c.expect("message_received")
	return nil
}
func (h wsHolder) close() { h.c.conn.Close() }

// joinWS joins the séance over REST and opens its WebSocket through addr.
func joinWS(t *testing.T, ts *testServer, addr, sessionID, name string) *wsClient {
	t.Helper()
	var j struct {
		Token string `json:"token"`
	}
	ts.post(t, "/api/sessions/"+sessionID+"/join", `{"name":"`+name+`"}`).data(t, &j)
	conn, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws/"+sessionID+"?token="+j.Token, nil)
	if err != nil {
		t.Fatalf("websocket through the limited listener: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &wsClient{t: t, conn: conn, name: name}
	c.expect(wsSessionState)
	return c
}

func TestLimitHTTPConns(t *testing.T) {
	const limit = 3
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	tests := []struct {
		name        string
		trusted     []netip.Prefix
		websockets  int // of the places held, the rest being HTTP connections
		wantRefused bool
	}{
		{"HTTP connections", nil, 0, true},
		{"WebSockets hold places too", nil, 2, true},
		{"a trusted proxy is not counted", loopback, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New(prometheus.NewRegistry(), "test")
			ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) { o.metrics = m })
			addr := serveLimited(t, ts.Config.Handler, limit, tt.trusted, m)
			s := ts.create(t, `{"name":"crowded"}`)

			var held []holder
			for i := range limit {
				if i < tt.websockets {
					held = append(held, wsHolder{joinWS(t, ts, addr, s.ID, fmt.Sprintf("Guest %d", i+1))})
					continue
				}
				h := httpHolder{dialKept(t, addr)}
				if err := h.works(t); err != nil {
					t.Fatalf("connection %d of %d: %v", i+1, limit, err)
				}
				held = append(held, h)
			}

			extra := dialKept(t, addr)
			start := time.Now()
			err := extra.health()
			took := time.Since(start)
			switch {
			case tt.wantRefused && err == nil:
				t.Fatalf("connection %d was served", limit+1)
			case tt.wantRefused && took > time.Second:
				t.Fatalf("connection %d closed after %v, want at once", limit+1, took)
			case !tt.wantRefused && err != nil:
				t.Fatalf("connection %d: %v", limit+1, err)
			}
			t.Logf("connection %d: %v after %v", limit+1, err, took.Round(time.Microsecond))

			for i, h := range held {
				if err := h.works(t); err != nil {
					t.Fatalf("place %d after connection %d came: %v", i+1, limit+1, err)
				}
			}

			// Closing one gives its place back, once the server has seen it go.
			held[0].close()
			deadline := time.Now().Add(5 * time.Second)
			for {
				err := dialKept(t, addr).health()
				if err == nil {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a closed connection's place never came back: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}

			refused := metricstest.Scrape(t, ts.URL+"/metrics").Get(metricstest.Series("seance_rate_limited_total", "limit", metrics.LimitHTTPConnections))
			if tt.wantRefused && refused < 1 || !tt.wantRefused && refused != 0 {
				t.Fatalf("rate_limited_total{limit=%q} = %v", metrics.LimitHTTPConnections, refused)
			}
		})
	}
}

// With no limit the listener is left as it is.
func TestLimitHTTPConnsOff(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	if got := httpapi.LimitConns(ln, 0, nil, nil); got != ln {
		t.Fatalf("LimitConns(ln, 0) = %T, want ln itself", got)
	}
}
