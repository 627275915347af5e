// Package llmtest is what the tests of the LLM provider clients share: the
// machinery of a fake server that streams scripted answers as server-sent
// events (openaitest, anthropictest and geminitest add only their wire
// format), and the checks every client must pass against its fake.
package llmtest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reply scripts a fake server's answer to one request.
type Reply struct {
	// Status, when set, answers with that HTTP error and the provider's
	// error body instead of a stream.
	Status     int
	RetryAfter string // the Retry-After header of an error

	Chunks []string      // the text, as the pieces to stream
	Delay  time.Duration // before each chunk
	// Cut drops the connection in the middle of a frame after the chunks,
	// instead of finishing the stream.
	Cut bool
	// Finish is how the stream ends after the chunks, in the provider's own
	// words: its finish or stop reason ("length", "refusal", "SAFETY"…), or
	// an ending only its fake knows (anthropictest.Overloaded). Empty is a
	// plain stop.
	Finish string
}

// Request is a request a fake server received.
type Request struct {
	Method string
	Path   string // with the query
	Header http.Header
	Body   []byte
}

// Format is a provider's wire format, for a Server to speak.
type Format interface {
	// Open returns the encoder of the answer to the n-th request (0 is the
	// first), or nil when the provider has no such endpoint: a 404.
	Open(r *http.Request, body []byte, n int, reply Reply) Encoder
	// Error sets the headers of an error response and returns its body.
	Error(h http.Header, status int) string
}

// Encoder frames one answer. Each frame goes out, flushed, as soon as it is
// returned, so that a client sees the text arrive piece by piece.
type Encoder interface {
	// Begin sets the response's headers and returns the frames before the
	// text.
	Begin(h http.Header) []string
	// Text returns the frame of the i-th chunk of text.
	Text(i int, chunk string) string
	// Cut returns the start of a frame for the connection to drop in.
	Cut() string
	// End returns the frames after the text.
	End() []string
}

// Server is a running fake. The i-th request gets the i-th Reply; requests
// past the last Reply get the last one again.
type Server struct {
	URL string // the base URL to configure a client with

	format  Format
	replies []Reply
	mu      sync.Mutex
	reqs    []Request
	first   []time.Time
	routes  map[string]http.Handler
}

// Handle serves path with h instead of the scripted answers: another
// endpoint of the same API (OpenAI's moderations). Its requests are not
// among Requests and take no Reply.
func (s *Server) Handle(path string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.routes == nil {
		s.routes = map[string]http.Handler{}
	}
	s.routes[path] = h
}

// NewServer starts a fake server that speaks f, closed when the test ends.
func NewServer(t testing.TB, f Format, replies ...Reply) *Server {
	t.Helper()
	if len(replies) == 0 {
		t.Fatal("llmtest: at least one Reply")
	}
	s := &Server{format: f, replies: replies}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// FirstToken returns when the server began writing the first text chunk of
// its i-th response, or the zero time.
func (s *Server) FirstToken(i int) time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < len(s.first) {
		return s.first[i]
	}
	return time.Time{}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	route := s.routes[r.URL.Path]
	s.mu.Unlock()
	if route != nil {
		route.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	s.first = append(s.first, time.Time{})
	reply := s.replies[min(n, len(s.replies)-1)]
	s.mu.Unlock()

	enc := s.format.Open(r, body, n, reply)
	if enc == nil {
		s.fail(w, http.StatusNotFound, "")
		return
	}
	if reply.Status != 0 {
		s.fail(w, reply.Status, reply.RetryAfter)
		return
	}
	begin := enc.Begin(w.Header())
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	send := func(frames ...string) {
		for _, f := range frames {
			io.WriteString(w, f)
			flusher.Flush()
		}
	}
	send(begin...)
	for i, c := range reply.Chunks {
		if reply.Delay > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(reply.Delay):
			}
		}
		if i == 0 {
			s.mu.Lock()
			s.first[n] = time.Now()
			s.mu.Unlock()
		}
		send(enc.Text(i, c))
	}
	if reply.Cut {
		send(enc.Cut())
		panic(http.ErrAbortHandler) // the connection drops without ending the chunked body
	}
	send(enc.End()...)
}

func (s *Server) fail(w http.ResponseWriter, status int, retryAfter string) {
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	body := s.format.Error(w.Header(), status)
	w.WriteHeader(status)
	io.WriteString(w, body)
}
