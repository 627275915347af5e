// Package anthropictest is a fake Anthropic Messages API for tests: it speaks
// the real streaming wire format (message_start, content_block_start, ping,
// content_block_delta with text_delta, content_block_stop, message_delta,
// message_stop) and Anthropic's error bodies, as scripted.
package anthropictest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/seancehq/seance/spirit/llmtest"
)

// Reply scripts the server's answer to one request. Its Finish is the
// stop_reason of the message_delta; empty is "end_turn".
type Reply = llmtest.Reply

// Overloaded, as a Reply's Finish, ends the stream after the chunks with an
// error event, as the API does when it runs out of capacity mid-answer.
const Overloaded = "overloaded_error"

// Server is a running fake.
type Server = llmtest.Server

// NewServer starts a fake server, closed when the test ends.
func NewServer(t testing.TB, replies ...Reply) *Server {
	t.Helper()
	return llmtest.NewServer(t, format{}, replies...)
}

type format struct{}

func (format) Open(r *http.Request, body []byte, n int, reply Reply) llmtest.Encoder {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
		return nil
	}
	var req struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &req)
	return &answer{n: n, model: req.Model, finish: cmp.Or(reply.Finish, "end_turn")}
}

type answer struct {
	n      int
	model  string
	finish string
}

func event(name, data string) string { return fmt.Sprintf("event: %s\ndata: %s\n\n", name, data) }

func (a *answer) Begin(h http.Header) []string {
	h.Set("Request-Id", fmt.Sprintf("req_fake%d", a.n))
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	return []string{
		event("message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_fake%d","type":"message","role":"assistant","content":[],"model":%q,"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":120,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`, a.n, a.model)),
		event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`),
		event("ping", `{"type": "ping"}`),
	}
}

func (a *answer) Text(_ int, chunk string) string {
	text, _ := json.Marshal(chunk)
	return event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`+string(text)+`}}`)
}

func (a *answer) Cut() string {
	return "event: content_block_delta\ndata: {\"type\":\"content_block_del"
}

func (a *answer) End() []string {
	if a.finish == Overloaded {
		return []string{event("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":null}`)}
	}
	stop, _ := json.Marshal(a.finish)
	return []string{
		event("content_block_stop", `{"type":"content_block_stop","index":0}`),
		event("message_delta", `{"type":"message_delta","delta":{"stop_reason":`+string(stop)+`,"stop_sequence":null},"usage":{"output_tokens":12}}`),
		event("message_stop", `{"type":"message_stop"}`),
	}
}

func (format) Error(h http.Header, status int) string {
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
	h.Set("Request-Id", "req_fake")
	h.Set("Content-Type", "application/json")
	return fmt.Sprintf(`{"type":"error","error":{"type":%q,"message":%q},"request_id":"req_fake"}`+"\n", typ, msg)
}
