package anthropic_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance/spirit/anthropic"
	"github.com/seancehq/seance/spirit/anthropic/anthropictest"
	"github.com/seancehq/seance/spirit/llmproto"
	"github.com/seancehq/seance/spirit/llmtest"
)

// blankEnv clears what the SDK would read from the environment.
func blankEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE", "ANTHROPIC_CUSTOM_HEADERS"} {
		t.Setenv(k, "")
	}
}

func start(t *testing.T, reply anthropictest.Reply) (llmtest.Client, *anthropictest.Server) {
	blankEnv(t)
	srv := anthropictest.NewServer(t, reply)
	return anthropic.New(anthropic.Options{APIKey: "sk-ant-test", BaseURL: srv.URL, Model: "claude-haiku-4-5"}), srv
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
	r := llmtest.CheckWire(t, start)
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
	if len(body.System) != 1 || body.System[0].Type != "text" || body.System[0].Text != llmtest.Prompt().System {
		t.Errorf("system = %+v", body.System)
	}
	var got []string
	for _, m := range body.Messages {
		for _, c := range m.Content {
			got = append(got, m.Role+" "+c.Type+": "+c.Text)
		}
	}
	want := []string{
		"user text: " + llmtest.Prompt().Messages[0].Text,
		"assistant text: YES.",
		"user text: Alice asks: Will it rain?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages\n%q\nwant\n%q", got, want)
	}
}

func TestStreamErrors(t *testing.T) {
	llmtest.CheckFailures(t, start, []llmtest.Failure{
		{Name: "bad key", Reply: anthropictest.Reply{Status: 401}},
		{Name: "no permission", Reply: anthropictest.Reply{Status: 403}},
		{Name: "bad request", Reply: anthropictest.Reply{Status: 400}},
		{Name: "rate limited", Reply: anthropictest.Reply{Status: 429, RetryAfter: "3"}, Retryable: true, RetryAfter: 3 * time.Second},
		{Name: "overloaded", Reply: anthropictest.Reply{Status: 529}, Retryable: true},
		{Name: "overloaded mid-stream", Reply: anthropictest.Reply{Chunks: []string{"The"}, Finish: anthropictest.Overloaded}, Retryable: true, Text: "The"},
	})
}

func TestStreamEndings(t *testing.T) {
	event := func(name, data string) string { return fmt.Sprintf("event: %s\ndata: %s\n\n", name, data) }
	begin := event("message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}}`) +
		event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) +
		event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hush"}}`) +
		event("content_block_stop", `{"type":"content_block_stop","index":0}`)
	end := func(reason string) string {
		return event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"`+reason+`","stop_sequence":null},"usage":{"output_tokens":2}}`) +
			event("message_stop", `{"type":"message_stop"}`)
	}
	client := func(t *testing.T, url string) llmtest.Client {
		blankEnv(t)
		return anthropic.New(anthropic.Options{APIKey: "k", BaseURL: url, Model: "m"})
	}
	llmtest.CheckEndings(t, client, []llmtest.Ending{
		{Name: "end_turn", Body: begin + end("end_turn"), Text: "Hush"},
		{Name: "max_tokens", Body: begin + end("max_tokens"), Text: "Hush"},
		{Name: "closed before message_stop", Body: begin, Text: "Hush", Cause: llmproto.ErrTruncated, Retryable: true},
		{Name: "refusal", Body: begin + end("refusal"), Text: "Hush", Cause: llmproto.ErrBlocked},
	})
}

func TestIgnoresEnvironment(t *testing.T) {
	srv := anthropictest.NewServer(t, anthropictest.Reply{Chunks: []string{"YES"}})
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
	t.Setenv("ANTHROPIC_CUSTOM_HEADERS", "X-From-Env: 1")
	t.Setenv("ANTHROPIC_PROFILE", "does-not-exist")

	c := anthropic.New(anthropic.Options{APIKey: "sk-ant-test", BaseURL: srv.URL, Model: "claude-haiku-4-5"})
	if _, _, err := llmtest.Stream(t, c); err != nil {
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
