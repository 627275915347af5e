package anthropic_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance/spirit/anthropic"
	"github.com/seancehq/seance/spirit/anthropic/anthropictest"
)

// blankEnv clears what the SDK would read from the environment.
func blankEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE", "ANTHROPIC_CUSTOM_HEADERS"} {
		t.Setenv(k, "")
	}
}

func testPrompt() anthropic.Prompt {
	return anthropic.Prompt{
		System: "You are a ghost. Answer in 15 words at most.",
		Messages: []anthropic.Turn{
			{Role: "user", Text: "The séance has begun.\nBob asks: Is anyone there?"},
			{Role: "assistant", Text: "YES."},
			{Role: "user", Text: "Alice asks: Will it rain?"},
		},
	}
}

func stream(t *testing.T, c *anthropic.Client) (text string, emitted []string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err = c.Stream(ctx, testPrompt(), func(s string) { emitted = append(emitted, s) })
	return text, emitted, err
}

// apiKey is the key a request carried: the SDK sends it as a bearer token,
// the API also takes it as x-api-key.
func apiKey(h http.Header) string {
	if k := h.Get("X-Api-Key"); k != "" {
		return k
	}
	return strings.TrimPrefix(h.Get("Authorization"), "Bearer ")
}

func TestStreamWire(t *testing.T) {
	blankEnv(t)
	srv := anthropictest.NewServer(t, anthropictest.Reply{Chunks: []string{"NO", ". The clouds", " keep their", " counsel."}})
	c := anthropic.New(anthropic.Options{APIKey: "sk-ant-test", BaseURL: srv.URL, Model: "claude-haiku-4-5"})
	text, emitted, err := stream(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if text != "NO. The clouds keep their counsel." {
		t.Errorf("text = %q", text)
	}
	if want := []string{"NO", ". The clouds", " keep their", " counsel."}; !slices.Equal(emitted, want) {
		t.Errorf("emitted %q, want %q", emitted, want)
	}

	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != "/v1/messages" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if got := apiKey(r.Header); got != "sk-ant-test" {
		t.Errorf("API key = %q", got)
	}
	if got := r.Header.Get("Anthropic-Version"); got == "" {
		t.Error("no anthropic-version header")
	}
	var body struct {
		Model     string `json:"model"`
		Stream    bool   `json:"stream"`
		MaxTokens int    `json:"max_tokens"`
		System    []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"system"`
		Messages []struct {
			Role    string `json:"role"`
			Content []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	if body.Model != "claude-haiku-4-5" || !body.Stream || body.MaxTokens <= 0 {
		t.Errorf("model %q, stream %v, max_tokens %d", body.Model, body.Stream, body.MaxTokens)
	}
	if len(body.System) != 1 || body.System[0].Type != "text" || body.System[0].Text != testPrompt().System {
		t.Errorf("system = %+v", body.System)
	}
	var got []string
	for _, m := range body.Messages {
		for _, c := range m.Content {
			got = append(got, m.Role+" "+c.Type+": "+c.Text)
		}
	}
	want := []string{
		"user text: " + testPrompt().Messages[0].Text,
		"assistant text: YES.",
		"user text: Alice asks: Will it rain?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages\n%q\nwant\n%q", got, want)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name       string
		reply      anthropictest.Reply
		status     int
		retryable  bool
		retryAfter time.Duration
		text       string
	}{
		{"bad key", anthropictest.Reply{Status: 401}, 401, false, 0, ""},
		{"no permission", anthropictest.Reply{Status: 403}, 403, false, 0, ""},
		{"bad request", anthropictest.Reply{Status: 400}, 400, false, 0, ""},
		{"rate limited", anthropictest.Reply{Status: 429, RetryAfter: "3"}, 429, true, 3 * time.Second, ""},
		{"server error", anthropictest.Reply{Status: 500}, 500, true, 0, ""},
		{"overloaded", anthropictest.Reply{Status: 529}, 529, true, 0, ""},
		{"overloaded mid-stream", anthropictest.Reply{Chunks: []string{"The"}, Overloaded: true}, 0, true, 0, "The"},
		{"cut before text", anthropictest.Reply{Cut: true}, 0, true, 0, ""},
		{"cut mid-answer", anthropictest.Reply{Chunks: []string{"The", " mists"}, Cut: true}, 0, true, 0, "The mists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blankEnv(t)
			srv := anthropictest.NewServer(t, tc.reply)
			c := anthropic.New(anthropic.Options{APIKey: "sk-ant-test", BaseURL: srv.URL, Model: "claude-haiku-4-5"})
			text, _, err := stream(t, c)
			var e *anthropic.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want an *anthropic.Error", err, err)
			}
			if e.StatusCode != tc.status || e.Retryable() != tc.retryable || e.RetryAfter() != tc.retryAfter {
				t.Errorf("status %d, retryable %v, retry after %v; want %d, %v, %v (%v)",
					e.StatusCode, e.Retryable(), e.RetryAfter(), tc.status, tc.retryable, tc.retryAfter, err)
			}
			if text != tc.text {
				t.Errorf("text = %q, want %q", text, tc.text)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests: the SDK retried", n)
			}
		})
	}
}

func TestStreamEndings(t *testing.T) {
	event := func(name, data string) string { return fmt.Sprintf("event: %s\ndata: %s\n\n", name, data) }
	start := event("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}`) +
		event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) +
		event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hush"}}`) +
		event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	end := func(reason string) string {
		return event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"`+reason+`","stop_sequence":null},"usage":{"output_tokens":2}}`) +
			event("message_stop", `{"type":"message_stop"}`)
	}
	tests := []struct {
		name      string
		body      string
		cause     error // nil: no error
		retryable bool
	}{
		{"end_turn", start + end("end_turn"), nil, false},
		{"max_tokens", start + end("max_tokens"), nil, false},
		{"closed before message_stop", start, anthropic.ErrTruncated, true},
		{"refusal", start + end("refusal"), anthropic.ErrBlocked, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blankEnv(t)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, tc.body)
			}))
			t.Cleanup(hs.Close)
			c := anthropic.New(anthropic.Options{APIKey: "k", BaseURL: hs.URL, Model: "m"})
			text, _, err := stream(t, c)
			if text != "Hush" {
				t.Errorf("text = %q", text)
			}
			if tc.cause == nil {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			var e *anthropic.Error
			if !errors.Is(err, tc.cause) || !errors.As(err, &e) || e.Retryable() != tc.retryable {
				t.Errorf("err = %v, want %v, retryable %v", err, tc.cause, tc.retryable)
			}
		})
	}
}

func TestIgnoresEnvironment(t *testing.T) {
	srv := anthropictest.NewServer(t, anthropictest.Reply{Chunks: []string{"YES"}})
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "X-From-Env: 1")
	t.Setenv("ANTHROPIC_PROFILE", "does-not-exist")

	c := anthropic.New(anthropic.Options{APIKey: "sk-ant-test", BaseURL: srv.URL, Model: "claude-haiku-4-5"})
	if _, _, err := stream(t, c); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if got := apiKey(r.Header); got != "sk-ant-test" {
		t.Errorf("API key = %q", got)
	}
	if v := r.Header.Get("X-From-Env"); v != "" {
		t.Errorf("X-From-Env: %q came from the environment", v)
	}
}
