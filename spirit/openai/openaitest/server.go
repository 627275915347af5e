// Package openaitest is a fake OpenAI chat completions server for tests: it
// speaks the real streaming wire format (chat.completion.chunk events ending
// with "data: [DONE]") and OpenAI's error bodies, as scripted.
package openaitest

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
	// Status, when set, answers with that HTTP error and OpenAI's error body
	// instead of a stream.
	Status     int
	RetryAfter string // the Retry-After header of an error

	Chunks []string      // the text, as the deltas to stream
	Delay  time.Duration // before each chunk
	// Cut drops the connection in the middle of a frame after the chunks,
	// instead of finishing the stream.
	Cut bool
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
	URL string // the base URL to configure a client with, ending in /v1

	replies []Reply
	mu      sync.Mutex
	reqs    []Request
	first   []time.Time
}

// NewServer starts a fake server, closed when the test ends.
func NewServer(t testing.TB, replies ...Reply) *Server {
	t.Helper()
	if len(replies) == 0 {
		t.Fatal("openaitest: at least one Reply")
	}
	s := &Server{replies: replies}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL + "/v1"
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

	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
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
	w.Header().Set("X-Request-Id", fmt.Sprintf("req_fake%d", n))
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	created := time.Now().Unix()
	frame := func(delta string, finish string) {
		fin := "null"
		if finish != "" {
			fin = `"` + finish + `"`
		}
		fmt.Fprintf(w, `data: {"id":"chatcmpl-fake%d","object":"chat.completion.chunk","created":%d,"model":%q,"system_fingerprint":"fp_fake","choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}`+"\n\n",
			n, created, req.Model, delta, fin)
		flusher.Flush()
	}
	frame(`{"role":"assistant","content":"","refusal":null}`, "")
	for i, c := range reply.Chunks {
		if reply.Delay > 0 {
			select {
			case <-r.Context().Done():
				return
			case <-time.After(reply.Delay):
			}
		}
		content, _ := json.Marshal(c)
		if i == 0 {
			s.mu.Lock()
			s.first[n] = time.Now()
			s.mu.Unlock()
		}
		frame(`{"content":`+string(content)+`}`, "")
	}
	if reply.Cut {
		fmt.Fprintf(w, `data: {"id":"chatcmpl-fake%d","object":"chat.compl`, n)
		flusher.Flush()
		panic(http.ErrAbortHandler) // the connection drops without ending the chunked body
	}
	frame(`{}`, "stop")
	fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
}

func writeError(w http.ResponseWriter, status int, retryAfter string) {
	typ, code, msg := "invalid_request_error", "", "Invalid request."
	switch {
	case status == http.StatusUnauthorized:
		code, msg = "invalid_api_key", "Incorrect API key provided: sk-fake. You can find your API key at https://platform.openai.com/account/api-keys."
	case status == http.StatusNotFound:
		code, msg = "model_not_found", "The model does not exist or you do not have access to it."
	case status == http.StatusTooManyRequests:
		typ, code, msg = "requests", "rate_limit_exceeded", "Rate limit reached for requests. Please try again in 20ms."
	case status >= 500:
		typ, msg = "server_error", "The server had an error while processing your request. Sorry about that!"
	}
	if retryAfter != "" {
		w.Header().Set("Retry-After", retryAfter)
	}
	codeJSON := "null"
	if code != "" {
		codeJSON = `"` + code + `"`
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":%q,"param":null,"code":%s}}`+"\n", msg, typ, codeJSON)
}
