// Package openaitest is a fake OpenAI chat completions server for tests: it
// speaks the real streaming wire format (chat.completion.chunk events ending
// with "data: [DONE]") and OpenAI's error bodies, as scripted.
package openaitest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/seancehq/seance/spirit/llmtest"
)

// Reply scripts the server's answer to one request. Its Finish is the
// finish_reason of the last chunk; empty is "stop".
type Reply = llmtest.Reply

// Server is a running fake.
type Server = llmtest.Server

// NewServer starts a fake server, closed when the test ends. Its URL ends in
// /v1, as the SDK's base URL does.
func NewServer(t testing.TB, replies ...Reply) *Server {
	t.Helper()
	s := llmtest.NewServer(t, format{}, replies...)
	s.URL += "/v1"
	return s
}

type format struct{}

func (format) Open(r *http.Request, body []byte, n int, reply Reply) llmtest.Encoder {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		return nil
	}
	var req struct {
		Model string `json:"model"`
	}
	_ = json.Unmarshal(body, &req)
	return &answer{n: n, model: req.Model, created: time.Now().Unix(), finish: cmp.Or(reply.Finish, "stop")}
}

type answer struct {
	n       int
	model   string
	created int64
	finish  string
}

func (a *answer) frame(delta, finish string) string {
	fin := "null"
	if finish != "" {
		fin = `"` + finish + `"`
	}
	return fmt.Sprintf(`data: {"id":"chatcmpl-fake%d","object":"chat.completion.chunk","created":%d,"model":%q,"system_fingerprint":"fp_fake","choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}`+"\n\n",
		a.n, a.created, a.model, delta, fin)
}

func (a *answer) Begin(h http.Header) []string {
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Request-Id", fmt.Sprintf("req_fake%d", a.n))
	return []string{a.frame(`{"role":"assistant","content":"","refusal":null}`, "")}
}

func (a *answer) Text(_ int, chunk string) string {
	content, _ := json.Marshal(chunk)
	return a.frame(`{"content":`+string(content)+`}`, "")
}

func (a *answer) Cut() string {
	return fmt.Sprintf(`data: {"id":"chatcmpl-fake%d","object":"chat.compl`, a.n)
}

func (a *answer) End() []string {
	return []string{a.frame(`{}`, a.finish), "data: [DONE]\n\n"}
}

func (format) Error(h http.Header, status int) string {
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
	codeJSON := "null"
	if code != "" {
		codeJSON = `"` + code + `"`
	}
	h.Set("Content-Type", "application/json")
	return fmt.Sprintf(`{"error":{"message":%q,"type":%q,"param":null,"code":%s}}`+"\n", msg, typ, codeJSON)
}
