package openai_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/seancehq/seance/spirit/llmproto"
	"github.com/seancehq/seance/spirit/llmtest"
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

func start(t *testing.T, reply openaitest.Reply) (llmtest.Client, *openaitest.Server) {
	blankEnv(t)
	srv := openaitest.NewServer(t, reply)
	return openai.New(openai.Options{APIKey: "sk-test", BaseURL: srv.URL, Model: "gpt-4o-mini"}), srv
}

func TestStreamWire(t *testing.T) {
	r := llmtest.CheckWire(t, start)
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
		"system: " + llmtest.Prompt().System,
		"user: " + llmtest.Prompt().Messages[0].Text,
		"assistant: YES.",
		"user: Alice asks: Will it rain?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("messages\n%q\nwant\n%q", got, want)
	}
}

func TestStreamErrors(t *testing.T) {
	llmtest.CheckFailures(t, start, []llmtest.Failure{
		{Name: "bad key", Reply: openaitest.Reply{Status: 401}},
		{Name: "unknown model", Reply: openaitest.Reply{Status: 404}},
		{Name: "bad request", Reply: openaitest.Reply{Status: 400}},
		{Name: "rate limited", Reply: openaitest.Reply{Status: 429, RetryAfter: "2"}, Retryable: true, RetryAfter: 2 * time.Second},
		{Name: "overloaded", Reply: openaitest.Reply{Status: 503}, Retryable: true},
	})
}

func TestStreamEndings(t *testing.T) {
	const chunk = `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hush"},"logprobs":null,"finish_reason":%s}]}` + "\n\n"
	client := func(t *testing.T, url string) llmtest.Client {
		blankEnv(t)
		return openai.New(openai.Options{BaseURL: url + "/v1", Model: "m"})
	}
	llmtest.CheckEndings(t, client, []llmtest.Ending{
		{Name: "finish_reason then [DONE]", Body: fmt.Sprintf(chunk, `"stop"`) + "data: [DONE]\n\n", Text: "Hush"},
		{Name: "length is an ending too", Body: fmt.Sprintf(chunk, `"length"`) + "data: [DONE]\n\n", Text: "Hush"},
		{Name: "closed without finish_reason", Body: fmt.Sprintf(chunk, `null`), Text: "Hush", Cause: llmproto.ErrTruncated, Retryable: true},
		{Name: "content filter", Body: fmt.Sprintf(chunk, `"content_filter"`) + "data: [DONE]\n\n", Text: "Hush", Cause: llmproto.ErrBlocked},
	})
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
			if _, _, err := llmtest.Stream(t, c); err != nil {
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
