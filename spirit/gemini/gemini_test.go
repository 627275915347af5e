package gemini_test

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

	"github.com/seancehq/seance/spirit/gemini"
	"github.com/seancehq/seance/spirit/gemini/geminitest"
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

func testPrompt() gemini.Prompt {
	return gemini.Prompt{
		System: "You are a ghost. Answer in 15 words at most.",
		Messages: []gemini.Turn{
			{Role: "user", Text: "The séance has begun.\nBob asks: Is anyone there?"},
			{Role: "assistant", Text: "YES."},
			{Role: "user", Text: "Alice asks: Will it rain?"},
		},
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

func stream(t *testing.T, c *gemini.Client) (text string, emitted []string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err = c.Stream(ctx, testPrompt(), func(s string) { emitted = append(emitted, s) })
	return text, emitted, err
}

func TestStreamWire(t *testing.T) {
	blankEnv(t)
	srv := geminitest.NewServer(t, geminitest.Reply{Chunks: []string{"NO", ". The clouds", " keep their", " counsel."}})
	text, emitted, err := stream(t, newClient(t, srv.URL))
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
	if p := body.SystemInstruction.Parts; len(p) != 1 || p[0].Text != testPrompt().System {
		t.Errorf("systemInstruction = %+v", body.SystemInstruction)
	}
	var got []string
	for _, c := range body.Contents {
		for _, p := range c.Parts {
			got = append(got, c.Role+": "+p.Text)
		}
	}
	want := []string{
		"user: " + testPrompt().Messages[0].Text,
		"model: YES.",
		"user: Alice asks: Will it rain?",
	}
	if !slices.Equal(got, want) {
		t.Errorf("contents\n%q\nwant\n%q", got, want)
	}
}

func TestStreamErrors(t *testing.T) {
	tests := []struct {
		name      string
		reply     geminitest.Reply
		status    int
		retryable bool
		text      string
		cause     error
	}{
		{"bad key", geminitest.Reply{Status: 400}, 400, false, "", nil},
		{"no permission", geminitest.Reply{Status: 403}, 403, false, "", nil},
		{"unknown model", geminitest.Reply{Status: 404}, 404, false, "", nil},
		{"quota", geminitest.Reply{Status: 429}, 429, true, "", nil},
		{"server error", geminitest.Reply{Status: 500}, 500, true, "", nil},
		{"overloaded", geminitest.Reply{Status: 503}, 503, true, "", nil},
		{"cut before text", geminitest.Reply{Cut: true}, 0, true, "", nil},
		{"cut mid-answer", geminitest.Reply{Chunks: []string{"The", " mists"}, Cut: true}, 0, true, "The mists", nil},
		{"blocked answer", geminitest.Reply{Chunks: []string{"The"}, FinishReason: "SAFETY"}, 0, false, "The", gemini.ErrBlocked},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blankEnv(t)
			srv := geminitest.NewServer(t, tc.reply)
			text, _, err := stream(t, newClient(t, srv.URL))
			var e *gemini.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want a *gemini.Error", err, err)
			}
			if e.StatusCode != tc.status || e.Retryable() != tc.retryable {
				t.Errorf("status %d, retryable %v; want %d, %v (%v)", e.StatusCode, e.Retryable(), tc.status, tc.retryable, err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("err = %v, want %v", err, tc.cause)
			}
			if text != tc.text {
				t.Errorf("text = %q, want %q", text, tc.text)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests: the SDK retried or resumed", n)
			}
		})
	}
}

func TestStreamEndings(t *testing.T) {
	const chunk = `data: {"candidates": [{"content": {"parts": [{"text": "Hush"}],"role": "model"}%s,"index": 0}]}` + "\r\n\r\n"
	tests := []struct {
		name      string
		body      string
		cause     error // nil: no error
		retryable bool
		text      string
	}{
		{"STOP", fmt.Sprintf(chunk, `,"finishReason": "STOP"`), nil, false, "Hush"},
		{"MAX_TOKENS", fmt.Sprintf(chunk, `,"finishReason": "MAX_TOKENS"`), nil, false, "Hush"},
		{"closed without a finishReason", fmt.Sprintf(chunk, ""), gemini.ErrTruncated, true, "Hush"},
		{"prompt blocked", `data: {"promptFeedback": {"blockReason": "SAFETY"},"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9}}` + "\r\n\r\n",
			gemini.ErrBlocked, false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			blankEnv(t)
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, tc.body)
			}))
			t.Cleanup(hs.Close)
			text, _, err := stream(t, newClient(t, hs.URL+"/"))
			if text != tc.text {
				t.Errorf("text = %q, want %q", text, tc.text)
			}
			if tc.cause == nil {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			var e *gemini.Error
			if !errors.Is(err, tc.cause) || !errors.As(err, &e) || e.Retryable() != tc.retryable {
				t.Errorf("err = %v, want %v, retryable %v", err, tc.cause, tc.retryable)
			}
		})
	}
}

func TestIgnoresEnvironment(t *testing.T) {
	srv := geminitest.NewServer(t, geminitest.Reply{Chunks: []string{"YES"}})
	t.Setenv("GEMINI_API_KEY", "AIza-from-env")
	t.Setenv("GOOGLE_API_KEY", "AIza-from-env-too")
	t.Setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
	t.Setenv("GOOGLE_GEMINI_BASE_URL", "http://127.0.0.1:1/")
	t.Setenv("GOOGLE_CLOUD_PROJECT", "from-env")
	t.Setenv("GOOGLE_CLOUD_LOCATION", "us-central1")

	if _, _, err := stream(t, newClient(t, srv.URL)); err != nil {
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
