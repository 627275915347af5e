package hub_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/inmem"
	"github.com/seancehq/seance/internal/testclock"
	"github.com/seancehq/seance/internal/teststore"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/spirittest"
	"github.com/seancehq/seance/sqlite"
	"github.com/seancehq/seance/wire"
)

// waitLimit bounds every wait on an event. It is only reached when a test
// fails: long enough for -race on a busy machine (SQLite, transpiled to Go,
// is slow under it), short enough that a hang fails the test, not the run.
const waitLimit = 20 * time.Second

// event is one server frame as a client would decode it.
type event struct {
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	Timestamp time.Time       `json:"timestamp"`
}

func (e event) field(t *testing.T, name string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatalf("%s data %s: %v", e.Event, e.Data, err)
	}
	return m[name]
}

func (e event) str(t *testing.T, name string) string {
	t.Helper()
	s, _ := e.field(t, name).(string)
	return s
}

// seq is the sequence number of a persisted event, 0 for the others.
func (e event) seq() int64 {
	if e.Event != wire.EvMessage && e.Event != wire.EvSpiritResponse {
		return 0
	}
	var d struct {
		Seq int64 `json:"seq"`
	}
	_ = json.Unmarshal(e.Data, &d)
	return d.Seq
}

var errTransportClosed = errors.New("transport closed")

// transport is an in-memory hub.Transport that records what the hub writes.
// With hold set, WriteText blocks until release or Close, which is what a
// peer that stopped reading looks like from the writer's side.
type transport struct {
	t    *testing.T
	name string

	mu        sync.Mutex
	frames    []event
	pings     int
	closeCode int // 0 while open
	closedAt  int // len(frames) when closed
	late      int // writes attempted after the close
	changed   chan struct{}
	closed    chan struct{}

	hold    atomic.Bool
	release chan struct{}
	blocked chan struct{} // gets a token each time a write starts to block

	writers atomic.Int32
	overlap atomic.Bool // two writes ran at once: the Transport contract forbids it
}

func newTransport(t *testing.T, name string) *transport {
	tr := &transport{
		t: t, name: name,
		changed: make(chan struct{}), closed: make(chan struct{}),
		release: make(chan struct{}), blocked: make(chan struct{}, 1),
	}
	t.Cleanup(func() {
		if tr.overlap.Load() {
			t.Errorf("%s: the hub wrote to the transport from two goroutines at once", name)
		}
	})
	return tr
}

// blocking returns a transport whose writes block from the start.
func blocking(t *testing.T, name string) *transport {
	tr := newTransport(t, name)
	tr.hold.Store(true)
	return tr
}

func (tr *transport) notify() {
	close(tr.changed)
	tr.changed = make(chan struct{})
}

func (tr *transport) WriteText(b []byte) error {
	if tr.writers.Add(1) > 1 {
		tr.overlap.Store(true)
	}
	defer tr.writers.Add(-1)
	if tr.hold.Load() {
		select {
		case tr.blocked <- struct{}{}:
		default:
		}
		select {
		case <-tr.release:
		case <-tr.closed:
		}
	}
	// Every server frame is exactly {"event", "data", "timestamp"} [orig].
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil || len(keys) != 3 || keys["event"] == nil || keys["data"] == nil || keys["timestamp"] == nil {
		tr.t.Errorf("%s: frame is not {event, data, timestamp}: %s", tr.name, b)
	}
	var e event
	if err := json.Unmarshal(b, &e); err != nil {
		tr.t.Errorf("%s: frame is not JSON: %s", tr.name, b)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.closeCode != 0 {
		tr.late++
		return errTransportClosed
	}
	tr.frames = append(tr.frames, e)
	tr.notify()
	return nil
}

func (tr *transport) WritePing() error {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.closeCode != 0 {
		return errTransportClosed
	}
	tr.pings++
	return nil
}

func (tr *transport) Close(code int, _ string) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.closeCode != 0 {
		return
	}
	tr.closeCode = code
	tr.closedAt = len(tr.frames)
	close(tr.closed)
	tr.notify()
}

// unblock lets held writes through, and all later ones.
func (tr *transport) unblock() {
	tr.hold.Store(false)
	close(tr.release)
}

// waitBlocked waits until a write is held.
func (tr *transport) waitBlocked() {
	tr.t.Helper()
	select {
	case <-tr.blocked:
	case <-time.After(waitLimit):
		tr.t.Fatalf("%s: no write blocked within %v", tr.name, waitLimit)
	}
}

func (tr *transport) snapshot() ([]event, int) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return slices.Clone(tr.frames), tr.closeCode
}

// waitFor waits until cond holds for the frames so far (and the close code).
func (tr *transport) waitFor(what string, cond func(frames []event, closeCode int) bool) []event {
	tr.t.Helper()
	deadline := time.After(waitLimit)
	for {
		tr.mu.Lock()
		frames, code, changed := slices.Clone(tr.frames), tr.closeCode, tr.changed
		tr.mu.Unlock()
		if cond(frames, code) {
			return frames
		}
		select {
		case <-changed:
		case <-deadline:
			tr.t.Fatalf("%s: no %s within %v; got %s (close %d)", tr.name, what, waitLimit, summary(frames), code)
		}
	}
}

// waitCount waits until n events of that name arrived.
func (tr *transport) waitCount(name string, n int) []event {
	tr.t.Helper()
	return tr.waitFor(fmt.Sprintf("%d × %s", n, name), func(fs []event, _ int) bool { return len(named(fs, name)) >= n })
}

// waitClosed waits for the close and returns its code.
func (tr *transport) waitClosed() int {
	tr.t.Helper()
	tr.waitFor("close", func(_ []event, code int) bool { return code != 0 })
	_, code := tr.snapshot()
	return code
}

func (tr *transport) isClosed() bool {
	select {
	case <-tr.closed:
		return true
	default:
		return false
	}
}

func named(fs []event, name string) []event {
	var out []event
	for _, e := range fs {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// upTo returns the frames up to and including the first one named name.
func upTo(fs []event, name string) []event {
	for i, e := range fs {
		if e.Event == name {
			return fs[:i+1]
		}
	}
	return fs
}

func names(fs []event) []string {
	out := make([]string, len(fs))
	for i, e := range fs {
		out[i] = e.Event
	}
	return out
}

func summary(fs []event) string {
	if len(fs) > 12 {
		return fmt.Sprintf("%v … (%d frames)", names(fs[len(fs)-12:]), len(fs))
	}
	return fmt.Sprint(names(fs))
}

// persisted returns the seq of each message_received and spirit_response.
func persisted(fs []event) []int64 {
	var out []int64
	for _, e := range fs {
		if s := e.seq(); s != 0 {
			out = append(out, s)
		}
	}
	return out
}

// gatedSpirit holds every answer until the test releases it, so the test
// decides when the spirit's queue moves.
type gatedSpirit struct {
	took    chan seance.Message // each question as the spirit takes it
	release chan struct{}
	calls   atomic.Int32
}

func newGatedSpirit() *gatedSpirit {
	return &gatedSpirit{took: make(chan seance.Message, 1024), release: make(chan struct{})}
}

func (g *gatedSpirit) Answer(ctx context.Context, q seance.Question, emit func(string)) (seance.Answer, error) {
	g.calls.Add(1)
	g.took <- q.Message
	select {
	case <-g.release:
	case <-ctx.Done():
		return seance.Answer{}, ctx.Err()
	}
	answer := "ANSWER TO " + q.Message.Text
	emit(answer)
	return seance.Answer{Text: answer, Engine: "gated"}, nil
}

// next waits for the spirit to take a question.
func (g *gatedSpirit) next(t *testing.T) seance.Message {
	t.Helper()
	select {
	case q := <-g.took:
		return q
	case <-time.After(waitLimit):
		t.Fatalf("the spirit took no question within %v", waitLimit)
		return seance.Message{}
	}
}

// answer lets the question being answered through.
func (g *gatedSpirit) answer(t *testing.T) {
	t.Helper()
	select {
	case g.release <- struct{}{}:
	case <-time.After(waitLimit):
		t.Fatalf("the spirit was not answering")
	}
}

// broker is the in-process broker, counting live subscriptions per séance
// (a room that is never dropped keeps one), with a hook run before each
// subscription is made.
type broker struct {
	*inmem.Broker
	mu     sync.Mutex
	subs   map[string]int
	before func(sessionID string)
}

func newBroker(opts ...inmem.Option) *broker {
	return &broker{Broker: inmem.NewBroker(opts...), subs: map[string]int{}}
}

func (b *broker) Subscribe(sessionID string, deliver func(hub.Event)) func() {
	if b.before != nil {
		b.before(sessionID)
	}
	unsub := b.Broker.Subscribe(sessionID, deliver)
	b.mu.Lock()
	b.subs[sessionID]++
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			unsub()
			b.mu.Lock()
			b.subs[sessionID]--
			b.mu.Unlock()
		})
	}
}

func (b *broker) subscriptions(sessionID string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.subs[sessionID]
}

func newClock() *testclock.Clock {
	return testclock.New(time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC))
}

var catalog = spirit.NewCatalog(spirit.BuiltinPersonas())

func newStore(t *testing.T) *sqlite.DB { return teststore.SQLite(t) }

// newHub starts a hub on store with the placeholder spirit and the
// contract's limits, as adjusted by opts; it is shut down at the end.
func newHub(t *testing.T, store seance.Store, opts ...func(*hub.Config)) *hub.Hub {
	t.Helper()
	cfg := hub.Config{
		Store:   store,
		Broker:  newBroker(),
		Spirit:  spirittest.Placeholder{},
		Persona: catalog.Persona,
		Logger:  slog.New(slog.DiscardHandler),
		Now:     time.Now,
		NewID:   uuid.NewString,
		Timings: spirit.LetterTimings,
	}
	for _, o := range opts {
		o(&cfg)
	}
	h := hub.New(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	return h
}

func withSpirit(s seance.Spirit) func(*hub.Config) { return func(c *hub.Config) { c.Spirit = s } }
func withBroker(b hub.Broker) func(*hub.Config)    { return func(c *hub.Config) { c.Broker = b } }

// noLimits lifts the rate limit and the waiting limit, for tests that need
// many questions fast.
func noLimits(c *hub.Config) {
	c.AskLimit = 1 << 20
	c.AskWindow = time.Second
	c.MaxWaiting = 1 << 20
}

func newSession(t *testing.T, store seance.Store, maxUsers int) *seance.Session {
	t.Helper()
	s, err := seance.NewSession{Name: "Midnight circle", MaxUsers: &maxUsers}.Validate(catalog, uuid.NewString(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := store.CreateSession(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return s
}

func endSession(t *testing.T, store seance.Store, h *hub.Hub, sessionID string) {
	t.Helper()
	ctx := context.Background()
	if _, err := store.EndSession(ctx, sessionID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := h.EndSession(ctx, sessionID, "The host ended the séance."); err != nil {
		t.Fatal(err)
	}
}

// connect joins like the WebSocket edge does, and like it, calls Leave once
// the transport is closed (the reader ends with the connection).
func connect(t *testing.T, h *hub.Hub, sessionID, userID, name string, tr *transport, resume hub.Resume) (*hub.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := h.Join(ctx, sessionID, hub.Identity{UserID: userID, Name: name}, tr, resume)
	if err != nil {
		return nil, err
	}
	go func() { <-tr.closed; c.Leave() }()
	// Closing at the end also ends the goroutine above.
	t.Cleanup(func() { tr.Close(1000, "test over") })
	return c, nil
}

// join connects a new recorded client and waits for its welcome.
func join(t *testing.T, h *hub.Hub, sessionID, userID, name string) (*hub.Client, *transport) {
	t.Helper()
	tr := newTransport(t, name)
	c, err := connect(t, h, sessionID, userID, name, tr, hub.Resume{})
	if err != nil {
		t.Fatalf("%s joins: %v", name, err)
	}
	return c, tr
}

func ask(c *hub.Client, text string) { c.Receive(wire.ClientFrame{Kind: wire.KindSend, Message: text}) }

func typing(c *hub.Client) { c.Receive(wire.ClientFrame{Kind: wire.KindTyping}) }

// wantCode checks the contract code of err.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	if got := seance.ErrorCode(err); got != code {
		t.Fatalf("error %v (%s), want %s", err, got, code)
	}
}

// eventually polls cond, for state the hub exposes only by polling.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %v", what, waitLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

type stateData struct {
	You          wire.Participant   `json:"you"`
	Participants []wire.Participant `json:"participants"`
	History      []wire.Message     `json:"history"`
	LastSeq      int64              `json:"last_seq"`
}

func sessionState(t *testing.T, e event) stateData {
	t.Helper()
	if e.Event != wire.EvSessionState {
		t.Fatalf("got %s, want session_state", e.Event)
	}
	var st stateData
	if err := json.Unmarshal(e.Data, &st); err != nil {
		t.Fatal(err)
	}
	return st
}
