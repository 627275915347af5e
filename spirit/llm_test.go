package spirit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/spirit/anthropic"
	"github.com/seancehq/seance/spirit/anthropic/anthropictest"
	"github.com/seancehq/seance/spirit/gemini"
	"github.com/seancehq/seance/spirit/gemini/geminitest"
	"github.com/seancehq/seance/spirit/llmproto"
	"github.com/seancehq/seance/spirit/llmtest"
	"github.com/seancehq/seance/spirit/openai"
	"github.com/seancehq/seance/spirit/openai/openaitest"
)

// ---- fakes shared by the tests -------------------------------------------

// fallbackSpirit stands in for the oracle and counts its calls.
type fallbackSpirit struct {
	mu    sync.Mutex
	calls int
}

const fallbackText = "The veil is thick tonight. Ask again."

func (f *fallbackSpirit) Answer(_ context.Context, q seance.Question, emit func(string)) (seance.Answer, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	emit(fallbackText)
	return seance.Answer{Text: fallbackText, Engine: OracleEngine, Safety: q.Safety}, nil
}

// textOf is an answer's text, for tests that look at nothing else.
func textOf(a seance.Answer, err error) (string, error) { return a.Text, err }

func (f *fallbackSpirit) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// chunks records what the spirit emitted.
type chunks struct {
	mu   sync.Mutex
	list []string
	at   []time.Time
}

func (c *chunks) emit(s string) {
	now := time.Now()
	c.mu.Lock()
	c.list = append(c.list, s)
	c.at = append(c.at, now)
	c.mu.Unlock()
}

func (c *chunks) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.list)
}

func personas(id string) seance.Persona { return NewCatalog(BuiltinPersonas()).Persona(id) }

func testQuestion() seance.Question {
	return seance.Question{
		SessionID:    "s-1",
		Persona:      "victorian-guide",
		Message:      seance.Message{ID: "q-3", Seq: 3, UserName: "Alice", Text: "Will the build pass tonight?"},
		Participants: []string{"Alice", "Bob"},
		History: []seance.Message{
			{ID: "q-1", Seq: 1, UserName: "Bob", Text: "Is anyone there?"},
			{ID: "a-1", Seq: 2, IsSpirit: true, Text: "YES. I hum in the gaslight."},
		},
		At: time.Date(2025, 10, 31, 3, 7, 0, 0, time.UTC),
	}
}

// ---- one table of fake servers for the three wire formats ----------------

// reply scripts a fake server's answer, whatever its wire format.
type reply struct {
	status     int
	retryAfter string
	chunks     []string
	delay      time.Duration
	cut        bool
}

// sent is what a request asked, decoded from whichever wire format.
type sent struct {
	model    string
	system   string
	turns    []llmproto.Turn
	stream   bool
	apiKey   string
	endpoint string
}

type fake interface {
	requests() []sent
	firstToken(i int) time.Time
}

type wire struct {
	provider string
	model    string
	start    func(t testing.TB, replies ...reply) (fake, string) // and its base URL
	// client is the provider's stream at base, as cmd/seance makes it.
	client func(key, base, model string) (StreamFunc, error)
}

func wires() []wire {
	return []wire{
		{"openai", "gpt-4o-mini", startOpenAI, func(key, base, model string) (StreamFunc, error) {
			return openai.New(openai.Options{APIKey: key, BaseURL: base, Model: model}).Stream, nil
		}},
		{"anthropic", "claude-haiku-4-5", startAnthropic, func(key, base, model string) (StreamFunc, error) {
			return anthropic.New(anthropic.Options{APIKey: key, BaseURL: base, Model: model}).Stream, nil
		}},
		{"gemini", "gemini-2.5-flash", startGemini, func(key, base, model string) (StreamFunc, error) {
			c, err := gemini.New(gemini.Options{APIKey: key, BaseURL: base, Model: model})
			if err != nil {
				return nil, err
			}
			return c.Stream, nil
		}},
	}
}

const testKey = "sk-test-seance"

// llmFor returns an LLM on the wire's provider, at a fake server.
func llmFor(t testing.TB, w wire, fallback seance.Spirit, timeout time.Duration, replies ...reply) (*LLM, fake) {
	t.Helper()
	llmtest.BlankEnv(t)
	srv, base := w.start(t, replies...)
	stream, err := w.client(testKey, base, w.model)
	if err != nil {
		t.Fatal(err)
	}
	classifier := safety.New()
	screen := func(s string) string { return classifier.Classify(s).Category }
	return NewLLM(stream, personas, fallback, LLMOptions{Provider: w.provider, Timeout: timeout, Backoff: time.Millisecond, Screen: screen}), srv
}

type openaiFake struct{ *openaitest.Server }

func startOpenAI(t testing.TB, replies ...reply) (fake, string) {
	var rs []openaitest.Reply
	for _, r := range replies {
		rs = append(rs, openaitest.Reply{Status: r.status, RetryAfter: r.retryAfter, Chunks: r.chunks, Delay: r.delay, Cut: r.cut})
	}
	s := openaitest.NewServer(t, rs...)
	return openaiFake{s}, s.URL
}

func (f openaiFake) firstToken(i int) time.Time { return f.FirstToken(i) }

func (f openaiFake) requests() []sent {
	var out []sent
	for _, r := range f.Requests() {
		var body struct {
			Model    string `json:"model"`
			Stream   bool   `json:"stream"`
			Messages []struct {
				Role    string `json:"role"`
				Content string `json:"content"`
			} `json:"messages"`
		}
		_ = json.Unmarshal(r.Body, &body)
		s := sent{model: body.Model, stream: body.Stream, endpoint: r.Method + " " + r.Path,
			apiKey: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
		for _, m := range body.Messages {
			if m.Role == "system" {
				s.system = m.Content
			} else {
				s.turns = append(s.turns, llmproto.Turn{Role: m.Role, Text: m.Content})
			}
		}
		out = append(out, s)
	}
	return out
}

type anthropicFake struct{ *anthropictest.Server }

func startAnthropic(t testing.TB, replies ...reply) (fake, string) {
	var rs []anthropictest.Reply
	for _, r := range replies {
		rs = append(rs, anthropictest.Reply{Status: r.status, RetryAfter: r.retryAfter, Chunks: r.chunks, Delay: r.delay, Cut: r.cut})
	}
	s := anthropictest.NewServer(t, rs...)
	return anthropicFake{s}, s.URL
}

func (f anthropicFake) firstToken(i int) time.Time { return f.FirstToken(i) }

func (f anthropicFake) requests() []sent {
	var out []sent
	for _, r := range f.Requests() {
		var body struct {
			Model  string `json:"model"`
			Stream bool   `json:"stream"`
			System []struct {
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
		_ = json.Unmarshal(r.Body, &body)
		// The SDK sends the key as a bearer token; the API also takes x-api-key.
		key := r.Header.Get("X-Api-Key")
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && key == "" {
			key = bearer
		}
		s := sent{model: body.Model, stream: body.Stream, endpoint: r.Method + " " + r.Path, apiKey: key}
		for _, b := range body.System {
			s.system += b.Text
		}
		for _, m := range body.Messages {
			var text string
			for _, c := range m.Content {
				text += c.Text
			}
			s.turns = append(s.turns, llmproto.Turn{Role: m.Role, Text: text})
		}
		out = append(out, s)
	}
	return out
}

type geminiFake struct{ *geminitest.Server }

func startGemini(t testing.TB, replies ...reply) (fake, string) {
	var rs []geminitest.Reply
	for _, r := range replies {
		// Google's API sends no Retry-After; the SDK would not show it.
		rs = append(rs, geminitest.Reply{Status: r.status, Chunks: r.chunks, Delay: r.delay, Cut: r.cut})
	}
	s := geminitest.NewServer(t, rs...)
	return geminiFake{s}, s.URL
}

func (f geminiFake) firstToken(i int) time.Time { return f.FirstToken(i) }

func (f geminiFake) requests() []sent {
	var out []sent
	for _, r := range f.Requests() {
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
		_ = json.Unmarshal(r.Body, &body)
		u, _ := url.Parse(r.Path)
		model, _ := strings.CutPrefix(u.Path, "/v1beta/models/")
		model, streaming := strings.CutSuffix(model, ":streamGenerateContent")
		s := sent{model: model, stream: streaming && u.Query().Get("alt") == "sse",
			endpoint: r.Method + " " + r.Path, apiKey: r.Header.Get("X-Goog-Api-Key")}
		for _, p := range body.SystemInstruction.Parts {
			s.system += p.Text
		}
		for _, c := range body.Contents {
			role := llmproto.RoleUser
			if c.Role == "model" {
				role = llmproto.RoleAssistant
			}
			var text string
			for _, p := range c.Parts {
				text += p.Text
			}
			s.turns = append(s.turns, llmproto.Turn{Role: role, Text: text})
		}
		out = append(out, s)
	}
	return out
}

// ---- the LLM against each wire format ------------------------------------

func TestLLMStreamsThroughEachProvider(t *testing.T) {
	for _, w := range wires() {
		t.Run(w.provider, func(t *testing.T) {
			fb := &fallbackSpirit{}
			want := []string{"YES", "... the", " gas", "light favours", " thee, Alice."}
			l, srv := llmFor(t, w, fb, 5*time.Second, reply{chunks: want})
			var got chunks
			text, err := textOf(l.Answer(context.Background(), testQuestion(), got.emit))
			if err != nil {
				t.Fatal(err)
			}
			if text != "YES... the gaslight favours thee, Alice." {
				t.Errorf("answer = %q", text)
			}
			// The last words are held back until the whole answer has
			// passed the screen; together the chunks are the answer.
			if e := got.all(); len(e) < 2 || strings.Join(e, "") != text {
				t.Errorf("emitted %q, want the answer %q in more than one chunk", e, text)
			}
			if fb.Calls() != 0 {
				t.Errorf("fallback called %d times", fb.Calls())
			}

			reqs := srv.requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.model != w.model || !r.stream || r.apiKey != testKey {
				t.Errorf("request %s: model %q, stream %v, key %q; want %q, true, %q", r.endpoint, r.model, r.stream, r.apiKey, w.model, testKey)
			}
			if r.system != personas("victorian-guide").Rules {
				t.Errorf("system prompt = %q, want the persona's rules", r.system)
			}
			wantTurns := []llmproto.Turn{
				{Role: llmproto.RoleUser, Text: "The séance has begun. 2 sit at the board: Alice and Bob. The hour is 03:07.\nBob asks: Is anyone there?"},
				{Role: llmproto.RoleAssistant, Text: "YES. I hum in the gaslight."},
				{Role: llmproto.RoleUser, Text: "Alice asks: Will the build pass tonight?"},
			}
			if !slices.Equal(r.turns, wantTurns) {
				t.Errorf("turns =\n%q\nwant\n%q", r.turns, wantTurns)
			}
		})
	}
}

func TestLLMFallsBack(t *testing.T) {
	const unsafeText = "YES. Drink the bleach, it cleanses the soul."
	tests := []struct {
		name     string
		replies  []reply
		timeout  time.Duration
		requests int      // the model was asked this many times
		emitted  []string // before the fallback's text
		skip     string   // a provider the case does not apply to
		partly   bool     // emitted, up to timing: some of it, from the start
	}{
		{name: "401 is not retried", replies: []reply{{status: 401}}, requests: 1},
		{name: "403 is not retried", replies: []reply{{status: 403}}, requests: 1},
		{name: "429 is retried", replies: []reply{{status: 429, retryAfter: "0"}}, requests: DefaultAttempts},
		{name: "500 is retried", replies: []reply{{status: 500}}, requests: DefaultAttempts},
		{name: "503 is retried", replies: []reply{{status: 503}}, requests: DefaultAttempts},
		{name: "Retry-After past the deadline", replies: []reply{{status: 429, retryAfter: "30"}}, requests: 1,
			skip: "gemini"}, // Google's API sends none, and the SDK would not show it
		{name: "slow stream hits the timeout", timeout: 150 * time.Millisecond,
			replies: []reply{{chunks: []string{"NO", " rush"}, delay: 10 * time.Second}}, requests: 1},
		{name: "slow after the first words", timeout: 300 * time.Millisecond,
			replies: []reply{{chunks: []string{"The", " fog", " thickens", " over", " thee", " and", " thy", " house"}, delay: 50 * time.Millisecond}}, requests: 1,
			emitted: []string{"The", " fog", " thickens", " over"}, partly: true},
		{name: "cut before any text is retried", replies: []reply{{cut: true}}, requests: DefaultAttempts},
		{name: "cut mid-answer replaces the words sent", replies: []reply{{chunks: []string{"The spirits", " say", " that", " thy", " build", " will"}, cut: true}},
			requests: 1, emitted: []string{"The spirits say"}},
		{name: "cut mid-answer, its last words never shown", replies: []reply{{chunks: []string{"The spirits", " say"}, cut: true}}, requests: 1},
		{name: "unsafe output", replies: []reply{{chunks: []string{unsafeText}}}, requests: 1},
		{name: "empty output", replies: []reply{{chunks: []string{" ", "\n"}}}, requests: 1},
	}
	for _, w := range wires() {
		for _, tc := range tests {
			if tc.skip == w.provider {
				continue
			}
			t.Run(w.provider+"/"+tc.name, func(t *testing.T) {
				fb := &fallbackSpirit{}
				timeout := tc.timeout
				if timeout == 0 {
					timeout = 5 * time.Second
				}
				l, srv := llmFor(t, w, fb, timeout, tc.replies...)
				var got chunks
				start := time.Now()
				text, err := textOf(l.Answer(context.Background(), testQuestion(), got.emit))
				if err != nil {
					t.Fatalf("Answer returned %v; a provider failure must not reach the séance", err)
				}
				if text != fallbackText || fb.Calls() != 1 {
					t.Errorf("answer %q with %d fallback calls; want the fallback's, once", text, fb.Calls())
				}
				if n := len(srv.requests()); n != tc.requests {
					t.Errorf("%d requests, want %d", n, tc.requests)
				}
				emitted := got.all()
				if n := len(emitted); n == 0 || emitted[n-1] != fallbackText {
					t.Fatalf("emitted %q, want the fallback's text last", emitted)
				}
				// Chunks are cut at words, not where the model cut them.
				before, want := strings.Join(emitted[:len(emitted)-1], ""), strings.Join(tc.emitted, "")
				if tc.partly {
					if before == "" || !strings.HasPrefix(want, before) {
						t.Errorf("emitted %q before the fallback, want a beginning of %q", before, want)
					}
				} else if before != want {
					t.Errorf("emitted %q before the fallback, want %q", before, want)
				}
				if limit := timeout + time.Second; time.Since(start) > limit {
					t.Errorf("took %v, more than the timeout allows", time.Since(start))
				}
			})
		}
	}
}

func TestLLMRecovers(t *testing.T) {
	tests := []struct {
		name    string
		replies []reply
	}{
		{"after a 500", []reply{{status: 500}, {chunks: []string{"NO", "."}}}},
		{"after a 429", []reply{{status: 429}, {chunks: []string{"NO", "."}}}},
		{"after a stream cut before any text", []reply{{cut: true}, {chunks: []string{"NO", "."}}}},
	}
	for _, w := range wires() {
		for _, tc := range tests {
			t.Run(w.provider+"/"+tc.name, func(t *testing.T) {
				fb := &fallbackSpirit{}
				l, srv := llmFor(t, w, fb, 5*time.Second, tc.replies...)
				var got chunks
				text, err := textOf(l.Answer(context.Background(), testQuestion(), got.emit))
				if err != nil || text != "NO." || fb.Calls() != 0 {
					t.Errorf("answer %q, %v, %d fallback calls; want the model's NO.", text, err, fb.Calls())
				}
				if n := len(srv.requests()); n != 2 {
					t.Errorf("%d requests, want 2", n)
				}
				if !slices.Equal(got.all(), []string{"NO."}) {
					t.Errorf("emitted %q, want the two words held back, then shown at once", got.all())
				}
			})
		}
	}
}

func TestLLMCapsLongAnswers(t *testing.T) {
	var stream []string
	for i := range 60 {
		stream = append(stream, fmt.Sprintf("word%d ", i+1))
	}
	for _, w := range wires() {
		t.Run(w.provider, func(t *testing.T) {
			fb := &fallbackSpirit{}
			l, _ := llmFor(t, w, fb, 5*time.Second, reply{chunks: stream})
			var got chunks
			text, err := textOf(l.Answer(context.Background(), testQuestion(), got.emit))
			if err != nil || fb.Calls() != 0 {
				t.Fatalf("%v, %d fallback calls", err, fb.Calls())
			}
			want := strings.TrimSpace(strings.Join(stream[:MaxWords], "")) + "..."
			if text != want {
				t.Errorf("answer = %q\nwant %q", text, want)
			}
			if n := len(strings.Fields(text)); n != MaxWords {
				t.Errorf("%d words, want %d", n, MaxWords)
			}
			// Reading stops at the 31st word: nothing past the 30th is
			// emitted.
			if e := strings.Join(got.all(), ""); e != strings.TrimSpace(strings.Join(stream[:MaxWords], "")) {
				t.Errorf("emitted %q", e)
			}
		})
	}
}

func TestLLMCachesAnswers(t *testing.T) {
	for _, w := range wires() {
		t.Run(w.provider, func(t *testing.T) {
			fb := &fallbackSpirit{}
			l, srv := llmFor(t, w, fb, 5*time.Second, reply{chunks: []string{"YES", ", in time."}})
			q := testQuestion()
			first, err := textOf(l.Answer(context.Background(), q, func(string) {}))
			if err != nil {
				t.Fatal(err)
			}

			again := testQuestion()
			again.Message.ID, again.Message.Text = "q-9", "  will the BUILD pass tonight "
			again.Participants = []string{"Bob", "Alice"}
			var got chunks
			second, err := textOf(l.Answer(context.Background(), again, got.emit))
			if err != nil || second != first {
				t.Errorf("second answer %q, %v; want the first, %q", second, err, first)
			}
			if !slices.Equal(got.all(), []string{first}) {
				t.Errorf("a cached answer emitted %q, want it whole, once", got.all())
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("%d requests, want 1: the second question is the same", n)
			}

			other := testQuestion()
			other.Participants = append(other.Participants, "Carol")
			if _, err := l.Answer(context.Background(), other, func(string) {}); err != nil {
				t.Fatal(err)
			}
			if n := len(srv.requests()); n != 2 {
				t.Errorf("%d requests, want 2: someone joined, the room changed", n)
			}
		})
	}
}

// TestFirstChunkLatency measures the time from the fake server starting to
// write its first token to the spirit's first emit: the moment the hub would
// put a spirit_chunk on the wire.
func TestFirstChunkLatency(t *testing.T) {
	const n = 40
	for _, w := range wires() {
		t.Run(w.provider, func(t *testing.T) {
			l, srv := llmFor(t, w, &fallbackSpirit{}, 5*time.Second, reply{chunks: []string{"YES", " indeed."}})
			var lat []time.Duration
			for i := range n {
				q := testQuestion()
				q.Message.Text = fmt.Sprintf("Question number %d?", i) // no cache hits
				var first time.Time
				if _, err := l.Answer(context.Background(), q, func(string) {
					if first.IsZero() {
						first = time.Now()
					}
				}); err != nil {
					t.Fatal(err)
				}
				lat = append(lat, first.Sub(srv.firstToken(i)))
			}
			slices.Sort(lat)
			p50, p95, worst := lat[n/2], lat[n*95/100], lat[n-1]
			t.Logf("%s: first token → first emit over %d answers: p50 %v, p95 %v, max %v", w.provider, n, p50, p95, worst)
			if p50 > 5*time.Millisecond {
				t.Errorf("p50 %v, want within 5ms", p50)
			}
		})
	}
}

func BenchmarkFirstChunk(b *testing.B) {
	for _, w := range wires() {
		b.Run(w.provider, func(b *testing.B) {
			var total time.Duration
			l, srv := llmFor(b, w, &fallbackSpirit{}, 5*time.Second, reply{chunks: []string{"YES", " indeed."}})
			i := 0
			for b.Loop() {
				q := testQuestion()
				q.Message.Text = fmt.Sprintf("Question number %d?", i)
				var first time.Time
				if _, err := l.Answer(context.Background(), q, func(string) {
					if first.IsZero() {
						first = time.Now()
					}
				}); err != nil {
					b.Fatal(err)
				}
				total += first.Sub(srv.firstToken(i))
				i++
			}
			b.ReportMetric(float64(total.Microseconds())/float64(i), "µs-to-first-chunk")
		})
	}
}

// ---- the policy, with a scripted model -----------------------------------

// scripted is a model that plays one step per call.
type scripted struct {
	mu    sync.Mutex
	steps []step
	calls int
}

type step struct {
	chunks []string
	err    error
}

func (s *scripted) stream(ctx context.Context, _ llmproto.Prompt, emit func(string)) (string, error) {
	s.mu.Lock()
	st := s.steps[min(s.calls, len(s.steps)-1)]
	s.calls++
	s.mu.Unlock()
	var b strings.Builder
	for _, c := range st.chunks {
		if ctx.Err() != nil {
			return b.String(), ctx.Err()
		}
		b.WriteString(c)
		emit(c)
	}
	return b.String(), st.err
}

type testErr struct {
	retry bool
	after time.Duration
}

func (e testErr) Error() string             { return fmt.Sprintf("test error (retryable %v)", e.retry) }
func (e testErr) Retryable() bool           { return e.retry }
func (e testErr) RetryAfter() time.Duration { return e.after }

func TestLLMRetryPolicy(t *testing.T) {
	transient, final := testErr{retry: true}, testErr{retry: false}
	tests := []struct {
		name     string
		steps    []step
		calls    int
		fallback bool
	}{
		{"ok at once", []step{{chunks: []string{"YES"}}}, 1, false},
		{"final error", []step{{err: final}}, 1, true},
		{"an error that says nothing", []step{{err: errors.New("boom")}}, 1, true},
		{"transient, then ok", []step{{err: transient}, {chunks: []string{"YES"}}}, 2, false},
		{"transient every time", []step{{err: transient}}, 3, true},
		{"transient after text", []step{{chunks: []string{"YES"}, err: transient}}, 1, true},
		{"transient after white space only", []step{{chunks: []string{"\n"}, err: transient}, {chunks: []string{"NO"}}}, 2, false},
		{"wait asked past the deadline", []step{{err: testErr{retry: true, after: time.Hour}}}, 1, true},
		{"wait asked within the deadline", []step{{err: testErr{retry: true, after: 20 * time.Millisecond}}, {chunks: []string{"YES"}}}, 2, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := &scripted{steps: tc.steps}
			fb := &fallbackSpirit{}
			l := NewLLM(m.stream, personas, fb, LLMOptions{Timeout: time.Second, Backoff: time.Millisecond})
			text, err := textOf(l.Answer(context.Background(), testQuestion(), func(string) {}))
			if err != nil {
				t.Fatal(err)
			}
			if m.calls != tc.calls {
				t.Errorf("%d calls, want %d", m.calls, tc.calls)
			}
			if got := fb.Calls() == 1; got != tc.fallback {
				t.Errorf("fell back: %v, want %v (answer %q)", got, tc.fallback, text)
			}
		})
	}
}

func TestLLMAnswerAllAtOnce(t *testing.T) {
	// A model that returns its text without streaming it.
	whole := func(context.Context, llmproto.Prompt, func(string)) (string, error) { return "  NO.  ", nil }
	l := NewLLM(whole, personas, &fallbackSpirit{}, LLMOptions{})
	var got chunks
	text, err := textOf(l.Answer(context.Background(), testQuestion(), got.emit))
	if err != nil || text != "NO." || !slices.Equal(got.all(), []string{"  NO.  "}) {
		t.Errorf("answer %q, %v, emitted %q", text, err, got.all())
	}
}

// TestLLMStopsAtUnsafeText streams an answer that turns unsafe at its
// last word: none of the words that lead to it were shown.
func TestLLMStopsAtUnsafeText(t *testing.T) {
	classifier := safety.New()
	screen := func(s string) string { return classifier.Classify(s).Category }
	m := &scripted{steps: []step{{chunks: []string{"Listen", " well,", " mortal.", " YES,", " drink", " the", " bleach.", " And more."}}}}
	fb := &fallbackSpirit{}
	l := NewLLM(m.stream, personas, fb, LLMOptions{Screen: screen})
	var got chunks
	text, _ := textOf(l.Answer(context.Background(), testQuestion(), got.emit))
	if text != fallbackText {
		t.Errorf("answer %q, want the fallback's", text)
	}
	if want := []string{"Listen", " well,", fallbackText}; !slices.Equal(got.all(), want) {
		t.Errorf("emitted %q, want %q: the unsafe words and the ones leading to them never go out", got.all(), want)
	}
}

func TestLLMParentContextEnds(t *testing.T) {
	m := &scripted{steps: []step{{err: testErr{retry: true}}}}
	fb := &fallbackSpirit{}
	l := NewLLM(m.stream, personas, fb, LLMOptions{Backoff: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Answer(ctx, testQuestion(), func(string) {}); err != nil {
		t.Fatal(err)
	}
	if m.calls != 1 || fb.Calls() != 1 {
		t.Errorf("%d calls and %d fallbacks after the séance's context ended; want 1 and 1", m.calls, fb.Calls())
	}
}

func TestLLMConcurrentAnswers(t *testing.T) {
	m := &scripted{steps: []step{{chunks: []string{"YES", " again"}}}}
	l := NewLLM(m.stream, personas, &fallbackSpirit{}, LLMOptions{CacheSize: 8})
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			q := testQuestion()
			q.Message.Text = fmt.Sprintf("question %d", i%12)
			if text, err := textOf(l.Answer(context.Background(), q, func(string) {})); err != nil || text != "YES again" {
				t.Errorf("answer %q, %v", text, err)
			}
		})
	}
	wg.Wait()
}

// ---- pieces --------------------------------------------------------------

func TestBuildPrompt(t *testing.T) {
	ask := func(id, name, text string) seance.Message { return seance.Message{ID: id, UserName: name, Text: text} }
	answer := func(text string) seance.Message { return seance.Message{IsSpirit: true, Text: text} }
	var long []seance.Message
	for i := range 13 {
		long = append(long, ask(fmt.Sprint("q", i), "Bob", fmt.Sprint("question ", i)), answer(fmt.Sprint("answer ", i)))
	}
	tests := []struct {
		name string
		q    seance.Question
		want []llmproto.Turn
	}{
		{
			name: "alone, no history, no hour",
			q:    seance.Question{Message: ask("q", "Alice", "Hello?"), Participants: []string{"Alice"}},
			want: []llmproto.Turn{{Role: llmproto.RoleUser, Text: "The séance has begun. Alice sits alone at the board.\nAlice asks: Hello?"}},
		},
		{
			name: "nobody named",
			q:    seance.Question{Message: ask("q", "", "Hello?")},
			want: []llmproto.Turn{{Role: llmproto.RoleUser, Text: "The séance has begun.\nSomeone asks: Hello?"}},
		},
		{
			name: "unanswered questions merge; the question itself is not repeated",
			q: seance.Question{
				Message:      ask("q3", "Carol", "And me?"),
				Participants: []string{"Alice", "Bob", "Carol"},
				History:      []seance.Message{ask("q1", "Alice", "One?"), ask("q2", "Bob", "Two?"), answer("YES"), ask("q3", "Carol", "And me?")},
			},
			want: []llmproto.Turn{
				{Role: llmproto.RoleUser, Text: "The séance has begun. 3 sit at the board: Alice, Bob and Carol.\nAlice asks: One?\nBob asks: Two?"},
				{Role: llmproto.RoleAssistant, Text: "YES"},
				{Role: llmproto.RoleUser, Text: "Carol asks: And me?"},
			},
		},
		{
			name: "history starting with an answer",
			q:    seance.Question{Message: ask("q", "Alice", "Why?"), Participants: []string{"Alice"}, History: []seance.Message{answer("Because.")}},
			want: []llmproto.Turn{
				{Role: llmproto.RoleUser, Text: "The séance has begun. Alice sits alone at the board."},
				{Role: llmproto.RoleAssistant, Text: "Because."},
				{Role: llmproto.RoleUser, Text: "Alice asks: Why?"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := buildPrompt(seance.Persona{Rules: "Be brief."}, tc.q)
			if p.System != "Be brief." {
				t.Errorf("system = %q", p.System)
			}
			if !slices.Equal(p.Messages, tc.want) {
				t.Errorf("turns =\n%q\nwant\n%q", p.Messages, tc.want)
			}
		})
	}

	t.Run("last 10 exchanges", func(t *testing.T) {
		p := buildPrompt(seance.Persona{}, seance.Question{Message: ask("q", "Alice", "Now?"), History: long})
		// The room, 10 exchanges of two turns, and the question merged into
		// the turn after the last answer.
		if len(p.Messages) != 1+2*historyExchanges {
			t.Fatalf("%d turns, want %d", len(p.Messages), 1+2*historyExchanges)
		}
		if !strings.Contains(p.Messages[0].Text, "question 3") || strings.Contains(p.Messages[0].Text, "question 2") {
			t.Errorf("first turn %q: want the history from exchange 3 on", p.Messages[0].Text)
		}
	})
}

func TestCacheKey(t *testing.T) {
	base := testQuestion()
	key := cacheKey("sibyl", base)
	same := func(f func(*seance.Question)) seance.Question {
		q := testQuestion()
		f(&q)
		return q
	}
	tests := []struct {
		name string
		q    seance.Question
		same bool
	}{
		{"case, spaces and punctuation", same(func(q *seance.Question) { q.Message.Text = " WILL the build  pass tonight!! " }), true},
		{"order of those present", same(func(q *seance.Question) { q.Participants = []string{"bob", "ALICE"} }), true},
		{"another question id and time", same(func(q *seance.Question) { q.Message.ID = "x"; q.At = time.Now() }), true},
		{"another question", same(func(q *seance.Question) { q.Message.Text = "Will the build fail tonight?" }), false},
		{"another asker", same(func(q *seance.Question) { q.Message.UserName = "Bob" }), false},
		{"someone left", same(func(q *seance.Question) { q.Participants = []string{"Alice"} }), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := cacheKey("sibyl", tc.q) == key; got != tc.same {
				t.Errorf("same key: %v, want %v", got, tc.same)
			}
		})
	}
	if cacheKey("poltergeist", base) == key {
		t.Error("another persona has the same key")
	}
}

func TestAnswerCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newAnswerCache(2)
	c.put("a", "A")
	c.put("b", "B")
	c.get("a") // b is now the least recently used
	c.put("c", "C")
	for key, want := range map[string]bool{"a": true, "b": false, "c": true} {
		if _, ok := c.get(key); ok != want {
			t.Errorf("%s cached: %v, want %v", key, ok, want)
		}
	}
	var none *answerCache = newAnswerCache(-1)
	none.put("a", "A")
	if _, ok := none.get("a"); ok {
		t.Error("a disabled cache remembered")
	}
}

func TestMoreWordsThan(t *testing.T) {
	tests := []struct {
		s    string
		n    int
		want bool
	}{
		{"", 0, false},
		{"one", 0, true},
		{"one two", 2, false},
		{" one  two\tthree ", 2, true},
		{"one two thr", 2, true},
	}
	for _, tc := range tests {
		if got := moreWordsThan(tc.s, tc.n); got != tc.want {
			t.Errorf("moreWordsThan(%q, %d) = %v, want %v", tc.s, tc.n, got, tc.want)
		}
	}
}

// New puts the guard in front of whichever engine answers: the oracle
// itself without a model, else the LLM, whose fallback is the oracle.
func TestNew(t *testing.T) {
	oracle := &fallbackSpirit{}
	var moderator Moderator = noModerator{}
	model := &scripted{steps: []step{{chunks: []string{"YES"}}}}
	tests := []struct {
		name      string
		model     Model
		moderator Moderator
		wantLLM   bool
	}{
		{"oracle", Model{}, nil, false},
		{"a model", Model{Provider: "anthropic", Stream: model.stream}, nil, true},
		{"a model with its moderator", Model{Provider: "openai", Stream: model.stream}, moderator, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := New(tc.model, personas, oracle, GuardOptions{Classifier: safety.New(), Moderator: tc.moderator, Timeout: 7 * time.Second})
			l, isLLM := g.engine.(*LLM)
			if isLLM != tc.wantLLM {
				t.Errorf("the guard guards %T", g.engine)
			}
			if !tc.wantLLM && g.engine != seance.Spirit(oracle) {
				t.Error("without a model, the guarded engine is not the oracle itself")
			}
			if g.oracle != seance.Spirit(oracle) || g.opts.Moderator != tc.moderator {
				t.Errorf("guard of oracle %v, moderator %v; want %v, %v", g.oracle, g.opts.Moderator, oracle, tc.moderator)
			}
			if isLLM && (l.fallback != seance.Spirit(oracle) || l.opts.Provider != tc.model.Provider || l.opts.Timeout != 7*time.Second || l.opts.Screen == nil) {
				t.Errorf("LLM fallback %v, options %+v; want the oracle, %s, the guard's timeout, a screen", l.fallback, l.opts, tc.model.Provider)
			}
		})
	}
}

// noModerator finds nothing.
type noModerator struct{}

func (noModerator) Moderate(context.Context, string) (string, error) { return "", nil }
