package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/seancehq/seance/spirit/openai"
	"github.com/seancehq/seance/spirit/openai/openaitest"
)

// blankEnv clears what the SDK would read from the environment.
func blankEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS", "OPENAI_ADMIN_KEY"} {
		t.Setenv(k, "")
	}
}

func testPrompt() openai.Prompt {
	return openai.Prompt{
		System: "You are a ghost. Answer in 15 words at most.",
		Messages: []openai.Turn{
			{Role: "user", Text: "The séance has begun.\nBob asks: Is anyone there?"},
			{Role: "assistant", Text: "YES."},
			{Role: "user", Text: "Alice asks: Will it rain?"},
		},
	}
}

func stream(t *testing.T, c *openai.Client) (text string, emitted []string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err = c.Stream(ctx, testPrompt(), func(s string) { emitted = append(emitted, s) })
	return text, emitted, err
}

func TestStreamWire(t *testing.T) {
	blankEnv(t)
	srv := openaitest.NewServer(t, openaitest.Reply{Chunks: []string{"NO", ". The clouds", " keep their", " counsel."}})
	c := openai.New(openai.Options{APIKey: "sk-test", BaseURL: srv.URL, Model: "gpt-4o-mini"})
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
	if r.Method != http.MethodPost || r.Path != "/v1/chat/completions" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("X-Stainless-Retry-Count"); got != "0" {
		t.Errorf("X-Stainless-Retry-Count = %q", got)
	}
	var body struct {
		Model    string `json:"model"`
		Stream   bool   `json:"stream"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	if body.Model != "gpt-4o-mini" || !body.Stream {
		t.Errorf("model %q, stream %v", body.Model, body.Stream)
	}
	var got []string
	for _, m := range body.Messages {
		got = append(got, m.Role+": "+m.Content)
	}
	want := []string{
		"system: " + testPrompt().System,
		"user: " + testPrompt().Messages[0].Text,
		"assistant: YES.",
		"user: Alice asks: Will it rain?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages\n%q\nwant\n%q", got, want)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name       string
		reply      openaitest.Reply
		status     int
		retryable  bool
		retryAfter time.Duration
		text       string
	}{
		{"bad key", openaitest.Reply{Status: 401}, 401, false, 0, ""},
		{"unknown model", openaitest.Reply{Status: 404}, 404, false, 0, ""},
		{"bad request", openaitest.Reply{Status: 400}, 400, false, 0, ""},
		{"rate limited", openaitest.Reply{Status: 429, RetryAfter: "2"}, 429, true, 2 * time.Second, ""},
		{"server error", openaitest.Reply{Status: 500}, 500, true, 0, ""},
		{"overloaded", openaitest.Reply{Status: 503}, 503, true, 0, ""},
		{"cut before text", openaitest.Reply{Cut: true}, 0, true, 0, ""},
		{"cut mid-answer", openaitest.Reply{Chunks: []string{"The", " mists"}, Cut: true}, 0, true, 0, "The mists"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blankEnv(t)
			srv := openaitest.NewServer(t, tc.reply)
			c := openai.New(openai.Options{APIKey: "sk-test", BaseURL: srv.URL, Model: "gpt-4o-mini"})
			text, _, err := stream(t, c)
			var e *openai.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want an *openai.Error", err, err)
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

// rawServer answers every request with body, as an event stream.
func rawServer(t *testing.T, body string) string {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, body)
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/v1"
}

func TestStreamEndings(t *testing.T) {
	const chunk = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hush"},"logprobs":null,"finish_reason":%s}]}` + "\n\n"
	tests := []struct {
		name      string
		body      string
		cause     error // nil: no error
		retryable bool
	}{
		{"finish_reason then [DONE]", fmt.Sprintf(chunk, `"stop"`) + "data: [DONE]\n\n", nil, false},
		{"length is an ending too", fmt.Sprintf(chunk, `"length"`) + "data: [DONE]\n\n", nil, false},
		{"closed without finish_reason", fmt.Sprintf(chunk, `null`), openai.ErrTruncated, true},
		{"content filter", fmt.Sprintf(chunk, `"content_filter"`) + "data: [DONE]\n\n", openai.ErrBlocked, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blankEnv(t)
			c := openai.New(openai.Options{BaseURL: rawServer(t, tc.body), Model: "m"})
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
			var e *openai.Error
			if !errors.Is(err, tc.cause) || !errors.As(err, &e) || e.Retryable() != tc.retryable {
				t.Errorf("err = %v, want %v, retryable %v", err, tc.cause, tc.retryable)
			}
		})
	}
}

func TestIgnoresEnvironment(t *testing.T) {
	srv := openaitest.NewServer(t, openaitest.Reply{Chunks: []string{"YES"}})
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
	t.Setenv("OPENAI_API_KEY", "sk-from-env")
	t.Setenv("OPENAI_ORG_ID", "org-from-env")
	t.Setenv("OPENAI_CUSTOM_HEADERS", "X-From-Env: 1")

	for _, tc := range []struct {
		name, key, auth string
	}{
		{"with a key", "sk-test", "Bearer sk-test"},
		{"a local server needs none", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := len(srv.Requests())
			c := openai.New(openai.Options{APIKey: tc.key, BaseURL: srv.URL, Model: "llama3.2"})
			if _, _, err := stream(t, c); err != nil {
				t.Fatal(err)
			}
			r := srv.Requests()[n]
			if got := r.Header.Get("Authorization"); got != tc.auth {
				t.Errorf("Authorization = %q, want %q", got, tc.auth)
			}
			for _, h := range []string{"OpenAI-Organization", "X-From-Env"} {
				if v := r.Header.Get(h); v != "" {
					t.Errorf("%s: %q came from the environment", h, v)
				}
			}
		})
	}
}
