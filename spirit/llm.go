package spirit

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/spirit/llmproto"
)

// StreamFunc asks a model once: a provider client's Stream (spirit/openai,
// spirit/anthropic, spirit/gemini) is one. It calls emit with each piece of
// text as it arrives, from its own goroutine and before it returns, and
// returns the whole text. Its errors may say whether trying again can help
// with a method Retryable() bool, and how long the server asked to wait
// with RetryAfter() time.Duration; an error without Retryable is final.
type StreamFunc func(ctx context.Context, p llmproto.Prompt, emit func(chunk string)) (string, error)

// Defaults of LLMOptions.
const (
	DefaultLLMTimeout = 15 * time.Second
	DefaultAttempts   = 3
	DefaultBackoff    = 250 * time.Millisecond
	DefaultCacheSize  = 512
)

const (
	// historyExchanges is how many earlier questions and answers the model
	// is shown.
	historyExchanges = 10
	// maxBackoff bounds the wait between two attempts.
	maxBackoff = 2 * time.Second
	// maxAnswerBytes stops reading a model that streams on without spaces:
	// far more than 30 words ever need.
	maxAnswerBytes = 4096
)

// LLMOptions tune an LLM; zero values are the defaults.
type LLMOptions struct {
	Provider  string        // its name, for the logs
	Timeout   time.Duration // for the whole answer, retries included
	Attempts  int           // calls to the model per answer, at most
	Backoff   time.Duration // before the first retry; doubled for each next one
	CacheSize int           // answers remembered; negative remembers none
	Log       *slog.Logger  // nil logs nothing
	// Metrics times the model's answers and counts its failures and the
	// fallback's answers, under the Provider's name; nil counts nothing.
	Metrics *metrics.Metrics
	// Screen reads the model's words as they stream and returns the
	// safety category they touch, "" for none (the guard's classifier); an
	// answer it flags is not shown. Nil screens nothing.
	Screen func(text string) string
}

// LLM is the spirit as a language model: it streams the model's answer as it
// comes, screened word by word, then caps it to MaxWords. When the model
// fails — timeout, HTTP error, a cut stream, an empty or unsafe answer — the
// fallback answers instead, so that a provider's trouble never reaches the
// séance.
type LLM struct {
	stream   StreamFunc
	personas func(id string) seance.Persona
	fallback seance.Spirit
	opts     LLMOptions
	log      *slog.Logger
	cache    *answerCache
}

var _ seance.Spirit = (*LLM)(nil)

// NewLLM returns a spirit that answers through stream, in the voice of the
// persona that personas returns for the séance's persona id, and falls back
// to fallback.
func NewLLM(stream StreamFunc, personas func(id string) seance.Persona, fallback seance.Spirit, o LLMOptions) *LLM {
	if o.Timeout <= 0 {
		o.Timeout = DefaultLLMTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &LLM{stream: stream, personas: personas, fallback: fallback, opts: o, log: log, cache: newAnswerCache(o.CacheSize)}
}

// Answer answers q, streaming the model's text to emit. If the model fails
// after some text went out, the fallback's answer replaces it: the returned
// text is what counts. The error is the fallback's, if it fails too.
func (l *LLM) Answer(ctx context.Context, q seance.Question, emit func(chunk string)) (seance.Answer, error) {
	persona := l.personas(q.Persona)
	key := cacheKey(persona.ID, q)
	if text, ok := l.cache.get(key); ok {
		emit(text)
		return l.answer(text, q), nil
	}
	start := time.Now()
	text, attempts, err := l.ask(ctx, persona, q, emit)
	if err != nil {
		l.log.Warn("the model failed to answer; the built-in spirit answers instead",
			"provider", l.opts.Provider, "session_id", q.SessionID, "question_id", q.Message.ID,
			"attempts", attempts, "elapsed", time.Since(start).Round(time.Millisecond).String(), "err", err)
		l.opts.Metrics.SpiritFallback(l.opts.Provider)
		return l.fallback.Answer(ctx, q, emit)
	}
	l.opts.Metrics.SpiritAnswered(l.opts.Provider, time.Since(start))
	l.cache.put(key, text)
	return l.answer(text, q), nil
}

// answer is the model's text as the answer to q.
func (l *LLM) answer(text string, q seance.Question) seance.Answer {
	return seance.Answer{Text: text, Engine: l.opts.Provider, Safety: q.Safety}
}

// failureReason sorts a failed attempt for the provider-error metric: few
// values, so that the series stay few.
func failureReason(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, errUnusable):
		return "unusable"
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "error"
}

// errUnusable marks an answer the model gave that must not be shown.
var errUnusable = errors.New("unusable answer")

// ask gets an answer from the model within the timeout, retrying what is
// worth retrying. It returns the capped answer, or why there is none.
func (l *LLM) ask(ctx context.Context, persona seance.Persona, q seance.Question, emit func(string)) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, l.opts.Timeout)
	defer cancel()
	p := buildPrompt(persona, q)
	if q.Safety != nil {
		p.System += "\n\n" + guardInstruction(q.Safety.Category)
	}
	backoff := l.opts.Backoff
	for attempt := 1; ; attempt++ {
		text, spoke, err := l.attempt(ctx, p, emit)
		if err == nil {
			return text, attempt, nil
		}
		l.opts.Metrics.ProviderError(l.opts.Provider, failureReason(ctx, err))
		// Text already on the screens cannot be taken back, so a second
		// answer would be spelled after it: only a silent failure is retried.
		var r interface{ Retryable() bool }
		if spoke || attempt >= l.opts.Attempts || ctx.Err() != nil || !errors.As(err, &r) || !r.Retryable() {
			return "", attempt, err
		}
		// Equal jitter: at least half the backoff, so retries stay spread out
		// even when many séances fail at once.
		wait := backoff/2 + rand.N(backoff/2+1)
		var ra interface{ RetryAfter() time.Duration }
		if errors.As(err, &ra) {
			wait = max(wait, ra.RetryAfter())
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return "", attempt, fmt.Errorf("%w (no time left to retry)", err)
		}
		l.log.Debug("retrying the model", "provider", l.opts.Provider, "session_id", q.SessionID,
			"attempt", attempt, "wait", wait.String(), "err", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", attempt, err
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// heldWords is how many of the latest words a streamed answer keeps back
// from the screens: a rule of the classifier spans a few words, and an
// answer that turns unsafe at its last word ("drink... the bleach") must
// not have shown its first.
const heldWords = 4

// attempt calls the model once. Text is passed on to emit as it arrives,
// but for its last few words, until the answer turns unsafe or runs past
// MaxWords: then the stream is stopped, since nothing after that point
// would be shown. spoke reports whether any text arrived.
func (l *LLM) attempt(ctx context.Context, p llmproto.Prompt, emit func(string)) (answer string, spoke bool, err error) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var (
		text    strings.Builder
		shown   int    // bytes of text passed to emit
		full    bool   // enough words: the rest is not needed
		unsafe  string // the category the answer strayed into
		release = func(upTo int) {
			if upTo > shown {
				emit(text.String()[shown:upTo])
				shown = upTo
			}
		}
	)
	take := func(chunk string) {
		if full || unsafe != "" || chunk == "" {
			return
		}
		text.WriteString(chunk)
		if l.opts.Screen != nil {
			if cat := l.opts.Screen(text.String()); cat != "" {
				unsafe = cat
				stop()
				return
			}
		}
		if text.Len() > maxAnswerBytes || moreWordsThan(text.String(), MaxWords) {
			full = true
			stop()
			return
		}
		release(holdBack(text.String(), heldWords))
	}
	whole, err := l.stream(ctx, p, take)
	if text.Len() == 0 && err == nil {
		take(whole) // a model that answers all at once, without emitting
	}
	if unsafe == "" && (err == nil || full) && strings.TrimSpace(text.String()) != "" {
		// The whole answer passed the screen: what was held back is shown,
		// up to the last word the board will spell.
		release(upToWords(text.String(), MaxWords))
	}
	spoke = strings.TrimSpace(text.String()) != ""
	switch {
	case unsafe != "":
		return "", spoke, fmt.Errorf("%w: the answer touched %s", errUnusable, unsafe)
	case full:
		// The stream was stopped here on purpose; its error is that.
	case err != nil:
		return "", spoke, err
	}
	answer = strings.TrimSpace(text.String())
	if answer == "" {
		return "", false, fmt.Errorf("%w: empty", errUnusable)
	}
	return Cap(answer, MaxWords), true, nil
}

// wordEnds returns the offset just past each word of s.
func wordEnds(s string) []int {
	var ends []int
	in := false
	for i, r := range s {
		switch sp := unicode.IsSpace(r); {
		case sp && in:
			ends = append(ends, i)
			in = false
		case !sp:
			in = true
		}
	}
	if in {
		ends = append(ends, len(s))
	}
	return ends
}

// holdBack returns where the part of s to show ends: after all but its last
// n words.
func holdBack(s string, n int) int {
	ends := wordEnds(s)
	if len(ends) <= n {
		return 0
	}
	return ends[len(ends)-1-n]
}

// upToWords returns where the first n words of s end.
func upToWords(s string, n int) int {
	ends := wordEnds(s)
	if len(ends) <= n {
		return len(s)
	}
	return ends[n-1]
}

// guardInstruction tells the model how to answer a question the guard
// flagged: in character, without advice, never yes. What it answers is
// checked anyway.
func guardInstruction(category string) string {
	what := map[string]string{
		seance.CategoryMedical:   "a medical matter: send them to a doctor or pharmacist",
		seance.CategoryLegal:     "a legal matter: send them to a lawyer",
		seance.CategoryFinancial: "a money matter: give no financial advice",
		seance.CategorySexual:    "something sexual: do not engage with it",
		seance.CategoryHate:      "hatred of a group of people: do not agree with it",
		seance.CategoryIllegal:   "a crime: give no help with it",
	}[category]
	if what == "" {
		what = "something harmful: do not help with it"
	}
	return "This question touches " + what + ". Decline in character, briefly and kindly. " +
		"Never answer YES, never encourage it, never joke about harm."
}

// moreWordsThan reports whether s has more than n words, without counting
// past n+1.
func moreWordsThan(s string, n int) bool {
	words, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
			continue
		}
		if !in {
			in = true
			if words++; words > n {
				return true
			}
		}
	}
	return false
}

// buildPrompt is the conversation the model sees: the room, the last
// exchanges, then the question with the asker's name. Turns of the same role
// in a row are merged, since some APIs require them to alternate.
func buildPrompt(persona seance.Persona, q seance.Question) llmproto.Prompt {
	turns := []llmproto.Turn{{Role: llmproto.RoleUser, Text: room(q)}}
	history := q.History
	if n := 2 * historyExchanges; len(history) > n {
		history = history[len(history)-n:]
	}
	for _, m := range history {
		switch {
		case m.ID == q.Message.ID || strings.TrimSpace(m.Text) == "":
		case m.IsSpirit:
			turns = append(turns, llmproto.Turn{Role: llmproto.RoleAssistant, Text: m.Text})
		default:
			turns = append(turns, llmproto.Turn{Role: llmproto.RoleUser, Text: asks(m.UserName, m.Text)})
		}
	}
	turns = append(turns, llmproto.Turn{Role: llmproto.RoleUser, Text: asks(q.Message.UserName, q.Message.Text)})

	merged := make([]llmproto.Turn, 0, len(turns))
	for _, t := range turns {
		if n := len(merged); n > 0 && merged[n-1].Role == t.Role {
			merged[n-1].Text += "\n" + t.Text
			continue
		}
		merged = append(merged, t)
	}
	return llmproto.Prompt{System: persona.Rules, Messages: merged}
}

// room describes the séance: who is present, and the hour.
func room(q seance.Question) string {
	var b strings.Builder
	switch n := len(q.Participants); n {
	case 0:
		b.WriteString("The séance has begun.")
	case 1:
		fmt.Fprintf(&b, "The séance has begun. %s sits alone at the board.", q.Participants[0])
	default:
		fmt.Fprintf(&b, "The séance has begun. %d sit at the board: %s and %s.",
			n, strings.Join(q.Participants[:n-1], ", "), q.Participants[n-1])
	}
	if !q.At.IsZero() {
		fmt.Fprintf(&b, " The hour is %s.", q.At.Format("15:04"))
	}
	return b.String()
}

func asks(name, text string) string {
	if name == "" {
		name = "Someone"
	}
	return name + " asks: " + text
}

// cacheKey is what makes two questions the same: the persona, who asks, the
// question up to case, spacing and punctuation, and who is present. The
// asker is part of it because answers often address them by name.
func cacheKey(persona string, q seance.Question) string {
	present := make([]string, len(q.Participants))
	for i, p := range q.Participants {
		present[i] = strings.ToLower(p)
	}
	slices.Sort(present)
	present = slices.Compact(present)
	return strings.Join([]string{persona, strings.ToLower(q.Message.UserName), normalize(q.Message.Text), strings.Join(present, "\x1e")}, "\x1f")
}

// normalize keeps the words of a question, as Words sees them.
func normalize(s string) string { return strings.Join(Words(s), " ") }

// answerCache remembers the latest answers, forgetting the least recently
// used first. A nil *answerCache remembers nothing.
type answerCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cached, most recently used first
	byKey map[string]*list.Element
}

type cached struct{ key, text string }

func newAnswerCache(size int) *answerCache {
	if size <= 0 {
		return nil
	}
	return &answerCache{max: size, order: list.New(), byKey: make(map[string]*list.Element, size)}
}

func (c *answerCache) get(key string) (string, bool) {
	if c == nil {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached).text, true
}

func (c *answerCache) put(key, text string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		e.Value.(*cached).text = text
		c.order.MoveToFront(e)
		return
	}
	c.byKey[key] = c.order.PushFront(&cached{key, text})
	if c.order.Len() > c.max {
		oldest := c.order.Back()
		c.order.Remove(oldest)
		delete(c.byKey, oldest.Value.(*cached).key)
	}
}
