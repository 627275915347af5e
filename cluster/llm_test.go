package cluster

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeChunks is every answer of the fake model, as it streams it.
var fakeChunks = []string{"YES. The candles", " lean toward you."}

// fakeAnswer is what the spirit says when the model answers.
const fakeAnswer = "YES. The candles lean toward you."

// fakeLLM is an OpenAI-compatible chat completions server that streams
// its answers as the real one does, and can hold them: while held, a
// request gets its first event (the assistant's role) and then waits, as
// a slow model does, until the test releases it or the node asking goes
// away. Each node is given its own base URL, so each request says which
// node sent it.
type fakeLLM struct {
	t   *testing.T
	url string

	mu      sync.Mutex
	gate    chan struct{} // open while held; closed lets every answer go
	reqs    []*llmRequest
	changed chan struct{}
}

// llmRequest is one request as the fake received it.
type llmRequest struct {
	node     string // from the path: /<node>/v1/chat/completions
	prompt   string // the last user turn, with the asker's name
	at       time.Time
	answered bool // the whole answer was written
	dropped  bool // the node went away before it
}

func newFakeLLM(t *testing.T) *fakeLLM {
	f := &fakeLLM{t: t, gate: make(chan struct{}), changed: make(chan struct{})}
	close(f.gate)
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	f.url = srv.URL
	// Held answers end first: Close waits for every request in flight.
	t.Cleanup(srv.Close)
	t.Cleanup(f.release)
	return f
}

func (f *fakeLLM) baseURL(node string) string { return f.url + "/" + node + "/v1" }

// hold makes the answers of requests from now on wait for release.
func (f *fakeLLM) hold() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.gate:
		f.gate = make(chan struct{})
	default:
	}
}

func (f *fakeLLM) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.gate:
	default:
		close(f.gate)
	}
}

func (f *fakeLLM) serve(w http.ResponseWriter, r *http.Request) {
	node, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodPost || rest != "v1/chat/completions" {
		http.Error(w, `{"error":{"message":"no such endpoint","type":"invalid_request_error"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	_ = json.Unmarshal(body, &req)
	var prompt string
	for _, m := range req.Messages {
		if m.Role == "user" {
			prompt = ""
			if json.Unmarshal(m.Content, &prompt) != nil {
				prompt = string(m.Content)
			}
		}
	}
	rq := &llmRequest{node: node, prompt: prompt, at: time.Now()}
	f.mu.Lock()
	f.reqs = append(f.reqs, rq)
	n, gate := len(f.reqs), f.gate
	f.notifyLocked()
	f.mu.Unlock()

	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	flusher := w.(http.Flusher)
	chunk := func(delta, finish string) {
		fin := "null"
		if finish != "" {
			fin = `"` + finish + `"`
		}
		fmt.Fprintf(w, `data: {"id":"chatcmpl-%d","object":"chat.completion.chunk","created":%d,"model":%q,"choices":[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]}`+"\n\n",
			n, time.Now().Unix(), req.Model, delta, fin)
		flusher.Flush()
	}
	chunk(`{"role":"assistant","content":""}`, "")
	select {
	case <-gate:
	case <-r.Context().Done():
		f.mu.Lock()
		rq.dropped = true
		f.notifyLocked()
		f.mu.Unlock()
		return
	}
	for _, piece := range fakeChunks {
		content, _ := json.Marshal(piece)
		chunk(`{"content":`+string(content)+`}`, "")
	}
	chunk(`{}`, "stop")
	fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
	f.mu.Lock()
	rq.answered = true
	f.notifyLocked()
	f.mu.Unlock()
}

func (f *fakeLLM) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

// requests returns copies of the requests received so far.
func (f *fakeLLM) requests() []llmRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]llmRequest, len(f.reqs))
	for i, r := range f.reqs {
		out[i] = *r
	}
	return out
}

// waitRequest waits for a request matching pred and returns it.
func (f *fakeLLM) waitRequest(what string, timeout time.Duration, pred func(llmRequest) bool) llmRequest {
	f.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		changed := f.changed
		f.mu.Unlock()
		for _, r := range f.requests() {
			if pred(r) {
				return r
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			f.t.Fatalf("the fake LLM did not receive %s within %v; it received:\n%s", what, timeout, f.dump())
		}
	}
}

func (f *fakeLLM) dump() string {
	var b strings.Builder
	for _, r := range f.requests() {
		state := "held"
		switch {
		case r.answered:
			state = "answered"
		case r.dropped:
			state = "dropped by the node"
		}
		fmt.Fprintf(&b, "  %s from %s: %q, %s\n", r.at.Format("15:04:05.000"), r.node, r.prompt, state)
	}
	return b.String()
}
