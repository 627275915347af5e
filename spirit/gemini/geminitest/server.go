// Package geminitest is a fake Gemini API for tests: it answers
// models/{model}:streamGenerateContent?alt=sse with the real wire format
// (server-sent events of GenerateContentResponse JSON, "\r\n\r\n" apart, the
// last with a finishReason) and Google's error bodies, as scripted.
package geminitest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reply scripts the server's answer to one request.
type Reply struct {
	// Status, when set, answers with that HTTP error and Google's error body
	// instead of a stream.
	Status int

	Chunks []string      // the text, as the chunks to stream
	Delay  time.Duration // before each chunk
	// Cut drops the connection in the middle of a frame after the chunks,
	// instead of finishing the stream.
	Cut bool
	// FinishReason of the last chunk; empty is "STOP".
	FinishReason string
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
		t.Fatal("geminitest: at least one Reply")
	}
	s := &Server{replies: replies}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(hs.Close)
	s.URL = hs.URL + "/"
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

	model, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	model, ok2 := strings.CutSuffix(model, ":streamGenerateContent")
	if r.Method != http.MethodPost || !ok || !ok2 || r.URL.Query().Get("alt") != "sse" {
		writeError(w, http.StatusNotFound)
		return
	}
	if reply.Status != 0 {
		writeError(w, reply.Status)
		return
	}

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Vary", "Origin, X-Origin, Referer")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	chunk := func(text, finish string) {
		t, _ := json.Marshal(text)
		fin := ""
		if finish != "" {
			fin = fmt.Sprintf(`,"finishReason": %q`, finish)
		}
		fmt.Fprintf(w, `data: {"candidates": [{"content": {"parts": [{"text": %s}],"role": "model"}%s,"index": 0}],"usageMetadata": {"promptTokenCount": 120,"candidatesTokenCount": 4,"totalTokenCount": 124},"modelVersion": %q,"responseId": "fake%d"}`+"\r\n\r\n",
			t, fin, model, n)
		flusher.Flush()
	}
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
		if i == len(reply.Chunks)-1 && !reply.Cut {
			// The API puts the finishReason on the last chunk of text.
			chunk(c, cmp.Or(reply.FinishReason, "STOP"))
			return
		}
		chunk(c, "")
	}
	if reply.Cut {
		fmt.Fprint(w, `data: {"candidates": [{"content": {"parts": [{"text": "`)
		flusher.Flush()
		panic(http.ErrAbortHandler) // the connection drops without ending the chunked body
	}
	chunk("", cmp.Or(reply.FinishReason, "STOP"))
}

func writeError(w http.ResponseWriter, status int) {
	state, msg := "INVALID_ARGUMENT", "Request contains an invalid argument."
	switch {
	case status == http.StatusBadRequest:
		msg = "API key not valid. Please pass a valid API key."
	case status == http.StatusUnauthorized:
		state, msg = "UNAUTHENTICATED", "Request had invalid authentication credentials."
	case status == http.StatusForbidden:
		state, msg = "PERMISSION_DENIED", "Method doesn't allow unregistered callers."
	case status == http.StatusNotFound:
		state, msg = "NOT_FOUND", "models/unknown is not found for API version v1beta."
	case status == http.StatusTooManyRequests:
		state, msg = "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."
	case status == http.StatusServiceUnavailable:
		state, msg = "UNAVAILABLE", "The model is overloaded. Please try again later."
	case status >= 500:
		state, msg = "INTERNAL", "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\n  \"error\": {\n    \"code\": %d,\n    \"message\": %q,\n    \"status\": %q\n  }\n}\n", status, msg, state)
}
