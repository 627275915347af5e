package redis_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/internal/teststore"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/redis"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/spirittest"
	"github.com/seancehq/seance/wire"
)

// A question whose rate-limit check is stuck in a slow Redis holds up
// nobody else in its séance: another member's typing still reaches the
// room, and a newcomer still joins, before the question gets through.
func TestStalledRedisStallsOnlyItsCaller(t *testing.T) {
	rawURL, prefix := testsvc.Redis(t)
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	// The reply to Ada's question's rate-limit check (its key names the
	// question budget) comes back from Redis 6 s late.
	proxy := startDelayProxy(t, u.Host, "limit:{ask:", 6*time.Second)
	u.Host = proxy.addr
	b := newNode(t, u.String(), redis.Options{Prefix: prefix})

	store := teststore.SQLite(t)
	personas := spirit.NewCatalog(spirit.BuiltinPersonas())
	h := hub.New(hub.Config{
		Store: store, Broker: b, Spirit: spirittest.Placeholder{}, Persona: personas.Persona,
		Logger: slog.New(slog.DiscardHandler), Now: time.Now, NewID: uuid.NewString, Timings: spirit.LetterTimings,
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		h.Shutdown(ctx)
	})
	sess := &seance.Session{ID: uuid.NewString(), Name: "slow", MaxUsers: 6, Spirit: personas.DefaultSpirit(), CreatedAt: seance.Timestamp(time.Now())}
	if err := store.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	join := func(userID string) (*hub.Client, *sink) {
		t.Helper()
		s := newSink()
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		c, err := h.Join(ctx, sess.ID, hub.Identity{UserID: userID, Name: userID}, s, hub.Resume{})
		if err != nil {
			t.Fatalf("%s joins: %v", userID, err)
		}
		t.Cleanup(c.Leave)
		return c, s
	}
	ada, adaSees := join("ada")
	bo, _ := join("bo")

	proxy.armed.Store(true)
	var askedAt, joinedAt atomic.Int64
	asked := make(chan struct{})
	go func() {
		defer close(asked)
		ada.Receive(wire.ClientFrame{Kind: wire.KindSend, Message: "Is anyone there?"})
		askedAt.Store(time.Now().UnixNano())
	}()
	proxy.waitDelayed(t)

	joined := make(chan struct{})
	go func() {
		defer close(joined)
		join("cy")
		joinedAt.Store(time.Now().UnixNano())
	}()
	bo.Receive(wire.ClientFrame{Kind: wire.KindTyping})
	adaSees.waitFor(t, "Bo typing", wire.EvUserTyping)
	typedAt := time.Now().UnixNano()
	for _, ch := range []chan struct{}{joined, asked} {
		select {
		case <-ch:
		case <-time.After(2 * wait):
			t.Fatal("Cy's join or Ada's question never ended")
		}
	}
	// In order, not in time: whatever the machine's speed, the others
	// must not have waited for the question.
	if typedAt > askedAt.Load() {
		t.Error("Bo's typing reached Ada only after her question got through")
	}
	if joinedAt.Load() > askedAt.Load() {
		t.Error("Cy's join waited for Ada's question")
	}
	adaSees.waitFor(t, "Ada's question", wire.EvMessage)
}

// delayProxy forwards TCP to Redis. Armed, it holds back for delay the
// reply to the first request that names marker: that request stalls, and
// every other goes through at once, on its own connection.
type delayProxy struct {
	addr    string
	marker  []byte
	delay   time.Duration
	armed   atomic.Bool
	delayed chan struct{}
}

func startDelayProxy(t *testing.T, target, marker string, delay time.Duration) *delayProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &delayProxy{addr: ln.Addr().String(), marker: []byte(marker), delay: delay, delayed: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			var hold atomic.Bool // the next reply on this connection is held back
			wg.Go(func() { p.requests(server, client, &hold); server.Close() })
			wg.Go(func() { p.replies(client, server, &hold); client.Close() })
		}
	})
	return p
}

// requests copies client to server, marking the connection when an armed
// proxy sees the marker go by.
func (p *delayProxy) requests(server, client net.Conn, hold *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if err != nil {
			return
		}
		if bytes.Contains(buf[:n], p.marker) && p.armed.CompareAndSwap(true, false) {
			hold.Store(true)
		}
		if _, err := server.Write(buf[:n]); err != nil {
			return
		}
	}
}

// replies copies server to client, holding back a marked connection's next
// reply.
func (p *delayProxy) replies(client, server net.Conn, hold *atomic.Bool) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if err != nil {
			return
		}
		if hold.CompareAndSwap(true, false) {
			p.delayed <- struct{}{}
			time.Sleep(p.delay)
		}
		if _, err := client.Write(buf[:n]); err != nil {
			return
		}
	}
}

// waitDelayed waits until the marked reply is being held back.
func (p *delayProxy) waitDelayed(t *testing.T) {
	t.Helper()
	select {
	case <-p.delayed:
	case <-time.After(wait):
		t.Fatal("no reply was held back")
	}
}

// sink is a hub.Transport that keeps the events it is sent.
type sink struct {
	mu      sync.Mutex
	events  []string
	changed chan struct{}
}

func newSink() *sink { return &sink{changed: make(chan struct{}, 1)} }

func (s *sink) WriteText(frame []byte) error {
	s.mu.Lock()
	s.events = append(s.events, string(frame))
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
	return nil
}

func (s *sink) WritePing() error  { return nil }
func (s *sink) Close(int, string) {}

func (s *sink) has(event string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.events {
		if strings.Contains(e, `"event":"`+event+`"`) {
			return true
		}
	}
	return false
}

func (s *sink) waitFor(t *testing.T, what, event string) {
	t.Helper()
	deadline := time.After(wait)
	for !s.has(event) {
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("%s: no %s within %v", what, event, wait)
		}
	}
}
