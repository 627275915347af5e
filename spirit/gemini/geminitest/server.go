// Package geminitest is a fake Gemini API for tests: it answers
// models/{model}:streamGenerateContent?alt=sse with the real wire format
// (server-sent events of GenerateContentResponse JSON, "\r\n\r\n" apart, the
// last with a finishReason) and Google's error bodies, as scripted.
package geminitest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/seancehq/seance/spirit/llmtest"
)

// Reply scripts the server's answer to one request. Its Finish is the
// finishReason of the last chunk; empty is "STOP". Leave its RetryAfter
// empty: Google's API sends no Retry-After.
type Reply = llmtest.Reply

// Server is a running fake.
type Server = llmtest.Server

// NewServer starts a fake server, closed when the test ends.
func NewServer(t testing.TB, replies ...Reply) *Server {
	t.Helper()
	s := llmtest.NewServer(t, format{}, replies...)
	s.URL += "/"
	return s
}

type format struct{}

func (format) Open(r *http.Request, _ []byte, n int, reply Reply) llmtest.Encoder {
	model, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	model, ok2 := strings.CutSuffix(model, ":streamGenerateContent")
	if r.Method != http.MethodPost || !ok || !ok2 || r.URL.Query().Get("alt") != "sse" {
		return nil
	}
	return &answer{n: n, model: model, reply: reply}
}

type answer struct {
	n     int
	model string
	reply Reply
}

func (a *answer) chunk(text, finish string) string {
	t, _ := json.Marshal(text)
	fin := ""
	if finish != "" {
		fin = fmt.Sprintf(`,"finishReason": %q`, finish)
	}
	return fmt.Sprintf(`data: {"candidates": [{"content": {"parts": [{"text": %s}],"role": "model"}%s,"index": 0}],"usageMetadata": {"promptTokenCount": 120,"candidatesTokenCount": 4,"totalTokenCount": 124},"modelVersion": %q,"responseId": "fake%d"}`+"\r\n\r\n",
		t, fin, a.model, a.n)
}

func (a *answer) finish() string { return cmp.Or(a.reply.Finish, "STOP") }

func (a *answer) Begin(h http.Header) []string {
	h.Set("Content-Type", "text/event-stream")
	h.Set("Vary", "Origin, X-Origin, Referer")
	return nil
}

func (a *answer) Text(i int, text string) string {
	if i == len(a.reply.Chunks)-1 && !a.reply.Cut {
		// The API puts the finishReason on the last chunk of text.
		return a.chunk(text, a.finish())
	}
	return a.chunk(text, "")
}

func (a *answer) Cut() string { return `data: {"candidates": [{"content": {"parts": [{"text": "` }

func (a *answer) End() []string {
	if len(a.reply.Chunks) > 0 {
		return nil // the last chunk ended it
	}
	return []string{a.chunk("", a.finish())}
}

func (format) Error(h http.Header, status int) string {
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
	h.Set("Content-Type", "application/json; charset=UTF-8")
	return fmt.Sprintf("{\n  \"error\": {\n    \"code\": %d,\n    \"message\": %q,\n    \"status\": %q\n  }\n}\n", status, msg, state)
}
