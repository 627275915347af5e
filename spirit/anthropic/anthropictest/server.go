// Package anthropictest is a fake Anthropic Messages API for tests: it speaks
// the real streaming wire format (message_start, content_block_start, ping,
// content_block_delta with text_delta, content_block_stop, message_delta,
// message_stop) and Anthropic's error bodies, as scripted.
package anthropictest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Reply scripts the server's answer to one request.
type Reply struct {
	// Status, when set, answers with that HTTP error and Anthropic's error
	// body instead of a stream.
	Status     int
	RetryAfter string // the retry-after header of an error

	Chunks []string      // the text, as the deltas to stream
	Delay  time.Duration // before each chunk
	// Cut drops the connection in the middle of a frame after the chunks,
	// instead of finishing the stream.
	Cut bool
	// Overloaded ends the stream after the chunks with an error event, as
	// the API does when it runs out of capacity mid-answer.
	Overloaded bool
}

// Request is a request the server received.
type Request struct {
	Method string
	Path   string // with the query
	Header http.Header
	Body   []byte
}

// Server is a running fake. The i-th request gets the i-th Reply; requests
// past the last Reply get the last one again.
type Server struct {
	URL string // the base URL to configure a client with

	replies []Reply
	mu      sync.Mutex
	reqs    []Request
	first   []time.Time
}

// NewServer starts a fake server, closed when the test ends.
func NewServer(t testing.TB, replies ...Reply) *Server {
	t.Helper()
	if len(replies) == 0 {
		t.Fatal("anthropictest: at least one Reply")
	}
	s := &Server{replies: replies}
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
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.RequestURI(), Header: r.Header.Clone(), Body: body})
	s.first = append(s.first, time.Time{})
	reply := s.replies[min(n, len(s.replies)-1)]
	s.mu.Unlock()

	w.Header().Set("Request-Id", fmt.Sprintf("req_fake%d", n))
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		writeError(w, http.StatusNotFound, "")
		return
	}
	if reply.Status != 0 {
		writeError(w, reply.Status, reply.RetryAfter)
		return
	}
	var req struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &req)

	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	event := func(name, data string) {
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, data)
		flusher.Flush()
	}
	event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_fake%d","type":"message","role":"assistant","content":[],"model":%q,"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":120,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`, n, req.Model))
	event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	event("ping", `{"type": "ping"}`)
	for i, c := range reply.Chunks {
		if reply.Delay > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(reply.Delay):
			}
		}
		text, _ := json.Marshal(c)
		if i == 0 {
			s.mu.Lock()
			s.first[n] = time.Now()
			s.mu.Unlock()
		}
		event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+string(text)+`}}`)
	}
	switch {
	case reply.Cut:
		fmt.Fprint(w, "event: content_block_delta\ndata: {\"type\":\"content_block_del")
		flusher.Flush()
		panic(http.ErrAbortHandler) // the connection drops without ending the chunked body
	case reply.Overloaded:
		event("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":null}`)
		return
	}
	event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}`)
	event("message_stop", `{"type":"message_stop"}`)
}

func writeError(w http.ResponseWriter, status int, retryAfter string) {
	typ, msg := "invalid_request_error", "Invalid request."
	switch {
	case status == http.StatusUnauthorized:
		typ, msg = "authentication_error", "invalid x-api-key"
	case status == http.StatusForbidden:
		typ, msg = "permission_error", "Your API key does not have permission to use the specified resource."
	case status == http.StatusNotFound:
		typ, msg = "not_found_error", "The requested resource could not be found."
	case status == http.StatusTooManyRequests:
		typ, msg = "rate_limit_error", "This request would exceed the rate limit for your organization."
	case status == 529:
		typ, msg = "overloaded_error", "Overloaded"
	case status >= 500:
		typ, msg = "api_error", "Internal server error"
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"type":"error","error":{"type":%q,"message":%q},"request_id":"req_fake"}`+"\n", typ, msg)
}
