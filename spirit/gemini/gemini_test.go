package gemini_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/seancehq/seance/spirit/gemini"
	"github.com/seancehq/seance/spirit/gemini/geminitest"
	"github.com/seancehq/seance/spirit/llmproto"
	"github.com/seancehq/seance/spirit/llmtest"
)

// blankEnv clears what the SDK would read from the environment.
func blankEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_USE_ENTERPRISE",
		"GOOGLE_GEMINI_BASE_URL", "GOOGLE_VERTEX_BASE_URL", "GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "GOOGLE_CLOUD_REGION",
	} {
		t.Setenv(k, "")
	}
}

func newClient(t *testing.T, base string) *gemini.Client {
	t.Helper()
	c, err := gemini.New(gemini.Options{APIKey: "AIza-test", BaseURL: base, Model: "gemini-2.5-flash"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func start(t *testing.T, reply geminitest.Reply) (llmtest.Client, *geminitest.Server) {
	blankEnv(t)
	srv := geminitest.NewServer(t, reply)
	return newClient(t, srv.URL), srv
}

func TestStreamWire(t *testing.T) {
	r := llmtest.CheckWire(t, start)
	if r.Method != http.MethodPost || r.Path != "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get("X-Goog-Api-Key"); got != "AIza-test" {
		t.Errorf("x-goog-api-key = %q", got)
	}
	var body struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []struct {
				Text string `json:"text"`
			} `json:"parts"`
		} `json:"contents"`
		SystemInstruction struct {
			Parts []struct {
				Text string `json:"text"`
			} `json:"parts"`
		} `json:"systemInstruction"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("body %s: %v", r.Body, err)
	}
	if p := body.SystemInstruction.Parts; len(p) != 1 || p[0].Text != llmtest.Prompt().System {
		t.Errorf("systemInstruction = %+v", body.SystemInstruction)
	}
	var got []string
	for _, c := range body.Contents {
		for _, p := range c.Parts {
			got = append(got, c.Role+": "+p.Text)
		}
	}
	want := []string{
		"user: " + llmtest.Prompt().Messages[0].Text,
		"model: YES.",
		"user: Alice asks: Will it rain?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("contents\n%q\nwant\n%q", got, want)
	}
}

func TestStreamErrors(t *testing.T) {
	llmtest.CheckFailures(t, start, []llmtest.Failure{
		{Name: "bad key", Reply: geminitest.Reply{Status: 400}},
		{Name: "no permission", Reply: geminitest.Reply{Status: 403}},
		{Name: "unknown model", Reply: geminitest.Reply{Status: 404}},
		{Name: "quota", Reply: geminitest.Reply{Status: 429}, Retryable: true},
		{Name: "overloaded", Reply: geminitest.Reply{Status: 503}, Retryable: true},
		{Name: "blocked answer", Reply: geminitest.Reply{Chunks: []string{"The"}, Finish: "SAFETY"}, Cause: llmproto.ErrBlocked, Text: "The"},
	})
}

func TestStreamEndings(t *testing.T) {
	const chunk = `data: {"candidates": [{"content": {"parts": [{"text": "Hush"}],"role": "model"}%s,"index": 0}]}` + "\r\n\r\n"
	client := func(t *testing.T, url string) llmtest.Client {
		blankEnv(t)
		return newClient(t, url+"/")
	}
	llmtest.CheckEndings(t, client, []llmtest.Ending{
		{Name: "STOP", Body: fmt.Sprintf(chunk, `,"finishReason": "STOP"`), Text: "Hush"},
		{Name: "MAX_TOKENS", Body: fmt.Sprintf(chunk, `,"finishReason": "MAX_TOKENS"`), Text: "Hush"},
		{Name: "closed without a finishReason", Body: fmt.Sprintf(chunk, ""), Text: "Hush", Cause: llmproto.ErrTruncated, Retryable: true},
		{Name: "prompt blocked", Body: `data: {"promptFeedback": {"blockReason": "SAFETY"},"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9}}` + "\r\n\r\n",
			Cause: llmproto.ErrBlocked},
	})
}

func TestIgnoresEnvironment(t *testing.T) {
	srv := geminitest.NewServer(t, geminitest.Reply{Chunks: []string{"YES"}})
	t.Setenv("GEMINI_API_KEY", "AIza-from-env")
	t.Setenv("GOOGLE_API_KEY", "AIza-from-env-too")
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1/")
	t.Setenv("GOOGLE_CLOUD_PROJECT", "from-env")
	t.Setenv("GOOGLE_CLOUD_LOCATION", "us-central1")

	if _, _, err := llmtest.Stream(t, newClient(t, srv.URL)); err != nil {
		t.Fatal(err)
	}
	r := srv.Requests()[0]
	if got := r.Header.Get("X-Goog-Api-Key"); got != "AIza-test" {
		t.Errorf("x-goog-api-key = %q", got)
	}
	if _, err := gemini.New(gemini.Options{Model: "gemini-2.5-flash"}); err == nil {
		t.Error("New without a key took one from the environment")
	}
}
