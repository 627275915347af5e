package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance/internal/teststore"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/token"
)

// serveOnTCP serves h on a real loopback listener, with the HTTP server's
// settings of cmd/seance, and returns the address.
func serveOnTCP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// noRooms has nobody in any room; the tests here never reach the rest.
type noRooms struct{ Rooms }

func (noRooms) Present(context.Context, string) int { return 0 }

// bodyTestServer is the whole API with the given body timeout.
func bodyTestServer(t *testing.T, timeout time.Duration) string {
	t.Helper()
	tokens, err := token.NewIssuer([]byte("test-secret-test-secret-test-secret!"), time.Hour, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return serveOnTCP(t, New(Deps{
		Store:       teststore.SQLite(t),
		Rooms:       noRooms{},
		Tokens:      tokens,
		Spirits:     spirit.NewCatalog(spirit.BuiltinPersonas()),
		Logger:      slog.New(slog.DiscardHandler),
		Version:     "test",
		Now:         time.Now,
		NewID:       uuid.NewString,
		BodyTimeout: timeout,
	}))
}

// rawRequest writes a request on conn by hand: a client that says one thing
// in its headers and does another.
func rawRequest(method, path, contentType string, contentLength int, body string) string {
	var b strings.Builder
	b.WriteString(method + " " + path + " HTTP/1.1\r\nHost: seance.test\r\n")
	if contentType != "" {
		b.WriteString("Content-Type: " + contentType + "\r\n")
	}
	if contentLength >= 0 {
		b.WriteString("Content-Length: " + strconv.Itoa(contentLength) + "\r\n")
	}
	b.WriteString("\r\n" + body)
	return b.String()
}

// closedWithin reads conn until the server closes it, and fails t unless
// that happens within d. It returns how long it took.
func closedWithin(t *testing.T, conn net.Conn, br *bufio.Reader, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(d))
	_, err := io.Copy(io.Discard, br)
	took := time.Since(start)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection still open %v after the response", d)
	}
	return took
}

func TestBodyTimeout(t *testing.T) {
	const newSession = `{"name":"Midnight circle"}`
	tests := []struct {
		name    string
		timeout time.Duration // the server's SEANCE_BODY_TIMEOUT
		request string
		// trickle, when set, is sent one byte a second after the request.
		trickle    string
		wantStatus int
		wantCode   string // the error envelope's; "" for a success
		wantClose  bool
		// within bounds the time from the request to the end of the
		// response, and to the close when wantClose.
		within time.Duration
	}{
		{
			name: "body trickled past the timeout", timeout: time.Second,
			request: rawRequest("POST", "/api/sessions", "application/json", len(newSession), ""), trickle: newSession,
			wantStatus: http.StatusRequestTimeout, wantCode: "REQUEST_TIMEOUT", wantClose: true, within: 3 * time.Second,
		},
		{
			name: "GET declaring 200000 bytes, sending none", timeout: 10 * time.Second,
			request:    rawRequest("GET", "/health", "", 200000, ""),
			wantStatus: http.StatusRequestEntityTooLarge, wantCode: "PAYLOAD_TOO_LARGE", wantClose: true, within: time.Second,
		},
		{
			name: "GET declaring 1000 bytes, sending none", timeout: 10 * time.Second,
			request:    rawRequest("GET", "/health", "", 1000, ""),
			wantStatus: http.StatusOK, wantClose: true, within: time.Second,
		},
		{
			name: "POST refused before its body is read, body never sent", timeout: 10 * time.Second,
			request:    rawRequest("POST", "/api/sessions", "text/plain", 1000, ""),
			wantStatus: http.StatusUnsupportedMediaType, wantCode: "UNSUPPORTED_MEDIA_TYPE", wantClose: true, within: time.Second,
		},
		{
			name: "GET with a body sent whole, not read", timeout: 10 * time.Second,
			request:    rawRequest("GET", "/health", "", 5, "hello"),
			wantStatus: http.StatusOK, wantClose: true, within: time.Second,
		},
		{
			name: "body sent whole and read: the connection stays", timeout: time.Second,
			request:    rawRequest("POST", "/api/sessions", "application/json", len(newSession), newSession),
			wantStatus: http.StatusCreated, within: 5 * time.Second,
		},
		{
			name: "no body: the connection stays", timeout: time.Second,
			request:    rawRequest("GET", "/health", "", -1, ""),
			wantStatus: http.StatusOK, within: 5 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := bodyTestServer(t, tt.timeout)
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			_ = conn.SetDeadline(time.Now().Add(tt.within + 5*time.Second))
			start := time.Now()
			if _, err := io.WriteString(conn, tt.request); err != nil {
				t.Fatal(err)
			}
			answered := make(chan struct{})
			defer close(answered)
			if tt.trickle != "" {
				go func() {
					// Half a second apart from the deadline's ticks, so that
					// no byte races it.
					tick := time.NewTicker(time.Second)
					defer tick.Stop()
					select {
					case <-time.After(500 * time.Millisecond):
					case <-answered:
						return
					}
					for i := range len(tt.trickle) {
						if _, err := conn.Write([]byte{tt.trickle[i]}); err != nil {
							return
						}
						select {
						case <-tick.C:
						case <-answered:
							return
						}
					}
				}()
			}

			br := bufio.NewReader(conn)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no response: %v", err)
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			var env struct {
				Error *struct{ Code string } `json:"error"`
			}
			_ = json.Unmarshal(raw, &env)
			code := ""
			if env.Error != nil {
				code = env.Error.Code
			}
			if resp.StatusCode != tt.wantStatus || code != tt.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", resp.StatusCode, code, raw, tt.wantStatus, tt.wantCode)
			}
			if took > tt.within {
				t.Fatalf("answered after %v, want within %v", took, tt.within)
			}
			if tt.trickle != "" && took < tt.timeout {
				t.Fatalf("answered after %v, before the body timeout of %v", took, tt.timeout)
			}
			if !tt.wantClose {
				if resp.Close {
					t.Fatalf("Connection: close on a request that left nothing unread")
				}
				// The connection serves the next request.
				if _, err := io.WriteString(conn, rawRequest("GET", "/health", "", -1, "")); err != nil {
					t.Fatal(err)
				}
				next, err := http.ReadResponse(br, nil)
				if err != nil || next.StatusCode != http.StatusOK {
					t.Fatalf("next request on the connection: %v, %v", next, err)
				}
				next.Body.Close()
				return
			}
			if !resp.Close {
				t.Errorf("no Connection: close in the response")
			}
			closed := closedWithin(t, conn, br, tt.within)
			t.Logf("answered in %v, connection closed %v later", took.Round(time.Millisecond), closed.Round(time.Millisecond))
		})
	}
}

// Once the body is in, the handler may take longer than the body timeout:
// the deadline no longer holds, and neither the request's context nor the
// connection suffer from it.
func TestBodyTimeoutLiftedOnceRead(t *testing.T) {
	const timeout = 500 * time.Millisecond
	s := &Server{Deps: Deps{BodyTimeout: timeout}}
	addr := serveOnTCP(t, s.withBodyTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		select {
		case <-time.After(3 * timeout):
			w.WriteHeader(http.StatusNoContent)
		case <-r.Context().Done():
			http.Error(w, "context cancelled", http.StatusInternalServerError)
		}
	})))
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	for i := range 2 {
		if _, err := io.WriteString(conn, rawRequest("POST", "/", "application/json", 2, "{}")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || resp.Close {
			t.Fatalf("request %d: %d (close %v), want 204 on a kept connection", i+1, resp.StatusCode, resp.Close)
		}
	}
}

func TestBodyTimedOut(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"deadline of a connection", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{"another net timeout", &net.OpError{Op: "read", Net: "tcp", Err: errTimeout{}}, true},
		{"wrapped", errors.Join(errors.New("reading"), &net.OpError{Op: "read", Err: errTimeout{}}), true},
		{"end of body", io.ErrUnexpectedEOF, false},
		{"none", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bodyTimedOut(tt.err); got != tt.want {
				t.Fatalf("bodyTimedOut(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// errTimeout is a net.Error that timed out, as a connection's read past its
// deadline returns.
type errTimeout struct{}

func (errTimeout) Error() string   { return "i/o timeout" }
func (errTimeout) Timeout() bool   { return true }
func (errTimeout) Temporary() bool { return true }
