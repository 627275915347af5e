package llmtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/seancehq/seance/spirit/llmproto"
)

// Client is a provider's client, as the checks use it.
type Client interface {
	Stream(ctx context.Context, p llmproto.Prompt, emit func(string)) (string, error)
}

// Start starts a fake server scripted with reply and returns it with a
// client configured to use it, in an environment the SDK cannot read.
type Start func(t *testing.T, reply Reply) (Client, *Server)

// Prompt is what the checks ask: a system prompt, and a conversation with
// both roles in it, so that each must reach the wire in its own form.
func Prompt() llmproto.Prompt {
	return llmproto.Prompt{
		System: "You are a ghost. Answer in 15 words at most.",
		Messages: []llmproto.Turn{
			{Role: llmproto.RoleUser, Text: "The séance has begun.\nBob asks: Is anyone there?"},
			{Role: llmproto.RoleAssistant, Text: "YES."},
			{Role: llmproto.RoleUser, Text: "Alice asks: Will it rain?"},
		},
	}
}

// Stream asks c the Prompt, with a deadline so that a hung stream fails the
// test rather than hanging it, and returns what c emitted besides.
func Stream(t testing.TB, c Client) (text string, emitted []string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	text, err = c.Stream(ctx, Prompt(), func(s string) { emitted = append(emitted, s) })
	return text, emitted, err
}

// CheckWire checks that an answer streamed in four chunks comes back whole,
// each chunk emitted as it arrived, from a single request: it returns that
// request, for the provider's checks of its own wire format.
func CheckWire(t *testing.T, start Start) Request {
	t.Helper()
	chunks := []string{"NO", ". The clouds", " keep their", " counsel."}
	c, srv := start(t, Reply{Chunks: chunks})
	text, emitted, err := Stream(t, c)
	if err != nil {
		t.Fatal(err)
	}
	if text != "NO. The clouds keep their counsel." {
		t.Errorf("text = %q", text)
	}
	if !slices.Equal(emitted, chunks) {
		t.Errorf("emitted %q, want %q", emitted, chunks)
	}
	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	return reqs[0]
}

// Failure is a reply a client must turn into an *llmproto.Error, whose
// StatusCode is the reply's Status.
type Failure struct {
	Name  string
	Reply Reply
	// What the error must say besides:
	Retryable  bool
	RetryAfter time.Duration
	Cause      error  // for errors.Is; nil checks none
	Text       string // what the client returned with it
}

// CheckFailures runs each Failure as a subtest, after those every client
// must report alike whatever its provider, and checks besides that the SDK
// made a single request: retrying is the caller's decision.
func CheckFailures(t *testing.T, start Start, failures []Failure) {
	t.Helper()
	common := []Failure{
		{Name: "server error", Reply: Reply{Status: 500}, Retryable: true},
		{Name: "cut before text", Reply: Reply{Cut: true}, Retryable: true},
		{Name: "cut mid-answer", Reply: Reply{Chunks: []string{"The", " mists"}, Cut: true}, Retryable: true, Text: "The mists"},
	}
	for _, f := range append(common, failures...) {
		t.Run(f.Name, func(t *testing.T) {
			c, srv := start(t, f.Reply)
			text, _, err := Stream(t, c)
			var e *llmproto.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want an *llmproto.Error", err, err)
			}
			if e.StatusCode != f.Reply.Status || e.Retryable() != f.Retryable || e.RetryAfter() != f.RetryAfter {
				t.Errorf("status %d, retryable %v, retry after %v; want %d, %v, %v (%v)",
					e.StatusCode, e.Retryable(), e.RetryAfter(), f.Reply.Status, f.Retryable, f.RetryAfter, err)
			}
			if f.Cause != nil && !errors.Is(err, f.Cause) {
				t.Errorf("err = %v, want %v", err, f.Cause)
			}
			if text != f.Text {
				t.Errorf("text = %q, want %q", text, f.Text)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("%d requests: the SDK retried or resumed", n)
			}
		})
	}
}

// Ending is a whole response body, as a server may really send it, and how
// a client must end the stream it reads from it.
type Ending struct {
	Name      string
	Body      string
	Text      string // what the client returns
	Cause     error  // that the *llmproto.Error wraps; nil for no error
	Retryable bool
}

// CheckEndings runs each Ending as a subtest, against a server that answers
// any request with its Body as an event stream; client returns a client of
// the server at url.
func CheckEndings(t *testing.T, client func(t *testing.T, url string) Client, endings []Ending) {
	t.Helper()
	for _, end := range endings {
		t.Run(end.Name, func(t *testing.T) {
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, end.Body)
			}))
			t.Cleanup(hs.Close)
			text, _, err := Stream(t, client(t, hs.URL))
			if text != end.Text {
				t.Errorf("text = %q, want %q", text, end.Text)
			}
			if end.Cause == nil {
				if err != nil {
					t.Errorf("err = %v", err)
				}
				return
			}
			var e *llmproto.Error
			if !errors.Is(err, end.Cause) || !errors.As(err, &e) || e.Retryable() != end.Retryable {
				t.Errorf("err = %v, want %v, retryable %v", err, end.Cause, end.Retryable)
			}
		})
	}
}
