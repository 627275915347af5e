package httpapi

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/seancehq/seance"
)

// defaultBodyTimeout is the contract's SEANCE_BODY_TIMEOUT, for a Server
// built without one.
const defaultBodyTimeout = 10 * time.Second

// withBodyTimeout bounds two ways a client could hold a connection with a
// body it does not send. The body must arrive within BodyTimeout of the
// handler's start: a read past it fails, and decodeObject answers 408. And
// once the handler has answered without reading the whole body, the
// connection closes: net/http would otherwise read up to 256 KiB of what is
// left, with no deadline, to reuse the connection, so a request declaring a
// body it never sends would hold its connection (and a place of
// SEANCE_LIMIT_HTTP_CONNS) for as long as the client likes.
//
// A request without a body gets no deadline: net/http reads the connection
// in the background meanwhile to notice a client leaving, and a deadline
// there would cancel the request. So a WebSocket upgrade (no body) keeps no
// deadline of ours on the connection it hijacks.
func (s *Server) withBodyTimeout(next http.Handler) http.Handler {
	timeout := s.BodyTimeout
	if timeout <= 0 {
		timeout = defaultBodyTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		// A writer without a connection (a test's recorder) cannot take
		// deadlines; its body has none to miss.
		_ = rc.SetReadDeadline(time.Now().Add(timeout))
		body := &watchedBody{ReadCloser: r.Body}
		r.Body = body
		bw := &bodyWriter{ResponseWriter: w, body: body, rc: rc}
		next.ServeHTTP(bw, r)
		bw.finish()
	})
}

// watchedBody notes when the body has been read to its end. There net/http
// lifts the read deadline itself, as it starts reading the connection in
// the background.
type watchedBody struct {
	io.ReadCloser
	eof atomic.Bool
}

func (b *watchedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.eof.Store(true)
	}
	return n, err
}

// bodyWriter closes the connection after a response given while the body
// was not read to its end.
type bodyWriter struct {
	http.ResponseWriter
	body     *watchedBody
	rc       *http.ResponseController
	answered bool
	hijacked bool
}

// answering runs before the response's header goes out. As net/http itself
// assumes there, the handler is done with the body: what is left of it is
// not worth waiting for.
func (w *bodyWriter) answering() {
	if w.answered {
		return
	}
	w.answered = true
	w.abandonBody()
}

func (w *bodyWriter) abandonBody() {
	if w.body.eof.Load() {
		return
	}
	w.Header().Set("Connection", "close")
	// Without this, net/http still reads the rest of the body, before the
	// response or after it, even on a connection it is about to close.
	_ = w.rc.SetReadDeadline(time.Unix(1, 0))
}

// finish runs when the handler returns.
func (w *bodyWriter) finish() {
	if w.hijacked {
		// No longer an HTTP connection: its reads are the new owner's.
		return
	}
	if !w.answered {
		// net/http writes the header for the handler: it is not sent yet,
		// so the Connection header still goes with it.
		w.abandonBody()
	}
}

func (w *bodyWriter) WriteHeader(code int) {
	if code >= 200 {
		w.answering()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *bodyWriter) Write(b []byte) (int, error) {
	w.answering()
	return w.ResponseWriter.Write(b)
}

func (w *bodyWriter) Flush() {
	w.answering()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *bodyWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.hijacked = true
	}
	return c, rw, err
}

func (w *bodyWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// bodyTimedOut reports whether err, from reading a request body, is the
// body's deadline passing.
func bodyTimedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func bodyTimeout() error {
	return seance.Errorf(seance.ETimeout, "The request body did not arrive in time; the connection will be closed.")
}
