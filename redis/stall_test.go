package redis_test

import (
	"context"
	"io"
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
	proxy := startDelayProxy(t, u.Host)
	u.Host = proxy.addr
	b := newNode(t, u.String(), redis.Options{Prefix: prefix})

	store := teststore.SQLite(t)
	personas := spirit.NewCatalog(spirit.BuiltinPersonas())
	h := hub.New(hub.Config{
		Store: store, Broker: b, Spirit: spirit.Placeholder{}, Persona: personas.Persona,
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

	// Ada's question: its rate-limit reply comes back from Redis 4 s late.
	proxy.delay.Store(int64(4 * time.Second))
	asked := make(chan struct{})
	go func() {
		defer close(asked)
		ada.Receive(wire.ClientFrame{Kind: wire.KindSend, Message: "Is anyone there?"})
	}()
	proxy.waitDelayed(t)
	proxy.delay.Store(0)

	joined := make(chan struct{})
	go func() {
		defer close(joined)
		join("cy")
	}()
	bo.Receive(wire.ClientFrame{Kind: wire.KindTyping})
	adaSees.waitFor(t, "Bo typing", wire.EvUserTyping)
	select {
	case <-joined:
	case <-asked:
		t.Fatal("Cy's join waited for Ada's question")
	}
	if adaSees.has(wire.EvMessage) {
		t.Fatal("the question got through before the others: the test did not stall it")
	}
	select {
	case <-asked:
	case <-time.After(wait):
		t.Fatal("Ada's question never got through")
	}
	adaSees.waitFor(t, "Ada's question", wire.EvMessage)
}

// delayProxy forwards TCP to Redis; replies read while delay is set reach
// the client that much later, each connection on its own.
type delayProxy struct {
	addr    string
	delay   atomic.Int64 // nanoseconds
	delayed chan struct{}
}

func startDelayProxy(t *testing.T, target string) *delayProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &delayProxy{addr: ln.Addr().String(), delayed: make(chan struct{}, 16)}
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
			wg.Go(func() { _, _ = io.Copy(server, client); server.Close() })
			wg.Go(func() { p.replies(client, server); client.Close() })
		}
	})
	return p
}

// replies copies server to client, holding each read back by the delay
// set when it arrived.
func (p *delayProxy) replies(client, server net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if err != nil {
			return
		}
		if d := time.Duration(p.delay.Load()); d > 0 {
			select {
			case p.delayed <- struct{}{}:
			default:
			}
			time.Sleep(d)
		}
		if _, err := client.Write(buf[:n]); err != nil {
			return
		}
	}
}

// waitDelayed waits until a reply is being held back.
func (p *delayProxy) waitDelayed(t *testing.T) {
	t.Helper()
	select {
	case <-p.delayed:
	case <-time.After(wait):
		t.Fatal("no reply was delayed")
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
