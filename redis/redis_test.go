package redis_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/internal/testbin"
	"github.com/seancehq/seance/internal/testclock"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/redis"
	"github.com/seancehq/seance/wire"
)

// wait bounds every wait for something that happens "soon" in Redis.
const wait = 10 * time.Second

// recorder is a subscriber keeping the frames and counting the Resyncs it
// is given.
type recorder struct {
	mu      sync.Mutex
	frames  []string
	resyncs int
	changed chan struct{}
}

func subscribe(t *testing.T, b hub.Broker, sessionID string) *recorder {
	t.Helper()
	r := &recorder{changed: make(chan struct{}, 1)}
	t.Cleanup(b.Subscribe(sessionID, r.deliver))
	return r
}

func (r *recorder) deliver(ev hub.Event) {
	r.mu.Lock()
	if ev.Resync {
		r.resyncs++
	} else {
		r.frames = append(r.frames, string(ev.Frame))
	}
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) state() ([]string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.frames), r.resyncs
}

// waitFor waits until cond holds of the frames and the Resync count.
func (r *recorder) waitFor(t *testing.T, what string, cond func(frames []string, resyncs int) bool) {
	t.Helper()
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	for {
		frames, resyncs := r.state()
		if cond(frames, resyncs) {
			return
		}
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("%s: not within %v (frames %q, %d resyncs)", what, wait, frames, resyncs)
		}
	}
}

func (r *recorder) waitResyncs(t *testing.T, n int) {
	t.Helper()
	r.waitFor(t, fmt.Sprintf("Resync number %d", n), func(_ []string, got int) bool { return got >= n })
}

func (r *recorder) waitFrame(t *testing.T, frame string) {
	t.Helper()
	r.waitFor(t, "event "+frame, func(frames []string, _ int) bool { return slices.Contains(frames, frame) })
}

func publish(t *testing.T, b hub.Broker, sessionID, frame string) {
	t.Helper()
	if err := b.Publish(t.Context(), sessionID, hub.Event{Frame: []byte(frame)}); err != nil {
		t.Fatalf("Publish %s: %v", frame, err)
	}
}

// eventually polls cond until it holds, failing t after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func client(t *testing.T, url string) *goredis.Client {
	t.Helper()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func participant(id string, i int) wire.Participant {
	joined := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return wire.Participant{ID: id, Name: "Name of " + id, JoinedAt: joined}
}

func ids(ps []wire.Participant) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func mustEnter(t *testing.T, b hub.Broker, sid string, p wire.Participant) {
	t.Helper()
	if _, err := b.Enter(t.Context(), sid, p, 12); err != nil {
		t.Fatalf("Enter %s: %v", p.ID, err)
	}
}

func present(t *testing.T, b hub.Broker, sid string) []string {
	t.Helper()
	ps, err := b.Present(t.Context(), sid)
	if err != nil {
		t.Fatalf("Present: %v", err)
	}
	return ids(ps)
}

// A node that stops refreshing (it died) stops counting after TTL; the
// nodes still refreshing learn it from Refresh, each participant gone once
// in all, however many refresh at the same moment.
func TestPresenceExpiry(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	opts := redis.Options{Prefix: prefix, TTL: time.Second}
	dead, alive, other := newNode(t, url, opts), newNode(t, url, opts), newNode(t, url, opts)
	const sid = "expiry"
	ada, bo, cy := participant("ada", 1), participant("bo", 2), participant("cy", 3)
	entered := time.Now()        // no later than the dead node's clock when ada entered
	mustEnter(t, dead, sid, ada) // only on the node that dies
	mustEnter(t, dead, sid, bo)  // on both
	mustEnter(t, alive, sid, bo)
	mustEnter(t, alive, sid, cy)

	if gone, err := alive.Refresh(t.Context(), sid, []wire.Participant{bo, cy}); err != nil || len(gone) != 0 {
		t.Fatalf("Refresh before the expiry: %v, %v; want nobody gone", ids(gone), err)
	}

	var (
		mu       sync.Mutex
		reported = map[string]int{}
		firstAt  time.Time
		seen     = make(chan struct{})
		seenOnce sync.Once
		wg       sync.WaitGroup
	)
	// Both live nodes refresh as they would, concurrently, until some
	// rounds after the dead node's participant was reported.
	for _, n := range []struct {
		b    *redis.Broker
		here []wire.Participant
	}{{alive, []wire.Participant{bo, cy}}, {other, nil}} {
		wg.Go(func() {
			deadline := time.Now().Add(wait)
			after := 0
			for after < 10 && time.Now().Before(deadline) {
				gone, err := n.b.Refresh(context.Background(), sid, n.here)
				if err != nil {
					t.Errorf("Refresh: %v", err)
					return
				}
				mu.Lock()
				for _, p := range gone {
					reported[p.ID]++
					if p.ID == "ada" && (p.Name != ada.Name || !p.JoinedAt.Equal(ada.JoinedAt)) {
						t.Errorf("gone participant = %+v, want %+v", p, ada)
					}
				}
				if reported["ada"] > 0 {
					seenOnce.Do(func() {
						firstAt = time.Now()
						close(seen)
					})
				}
				mu.Unlock()
				select {
				case <-seen:
					after++
				default:
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	if want := map[string]int{"ada": 1}; !maps.Equal(reported, want) {
		t.Fatalf("reported gone: %v, want %v", reported, want)
	}
	if after := firstAt.Sub(entered); after < opts.TTL {
		t.Fatalf("ada reported gone %v after she entered, before the TTL of %v", after, opts.TTL)
	}
	if got := present(t, alive, sid); !slices.Equal(got, []string{"bo", "cy"}) {
		t.Fatalf("Present after the expiry = %v, want [bo cy]", got)
	}
	// The dead node's late Leave does not report ada a second time, and
	// bo is still on the live node.
	for _, id := range []string{"ada", "bo"} {
		if last, err := dead.Leave(t.Context(), sid, id); err != nil || last {
			t.Fatalf("late Leave %s on the expired node: last %v, %v; want false", id, last, err)
		}
	}
	// A node back from a partition restores its records by refreshing.
	if gone, err := dead.Refresh(t.Context(), sid, []wire.Participant{ada}); err != nil || len(gone) != 0 {
		t.Fatalf("Refresh of the returning node: %v, %v", ids(gone), err)
	}
	if got := present(t, other, sid); !slices.Equal(got, []string{"ada", "bo", "cy"}) {
		t.Fatalf("Present after the node came back = %v, want [ada bo cy]", got)
	}
}

// A holder that stops renewing loses the lease after LeaseTTL, not before,
// and another node takes it.
func TestLeaseExpiry(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	const ttl = 500 * time.Millisecond
	opts := redis.Options{Prefix: prefix, LeaseTTL: ttl}
	holder, next := newNode(t, url, opts), newNode(t, url, opts)
	const sid = "lease"
	ctx := t.Context()

	if ok, err := holder.AcquireSpirit(ctx, sid); err != nil || !ok {
		t.Fatalf("AcquireSpirit: %v, %v", ok, err)
	}
	// Renewed well within LeaseTTL, the lease outlives it many times over.
	var lastRenew time.Time
	for i := range 10 {
		lastRenew = time.Now()
		if ok, err := holder.RenewSpirit(ctx, sid); err != nil || !ok {
			t.Fatalf("RenewSpirit %d: %v, %v", i, ok, err)
		}
		if ok, err := next.AcquireSpirit(ctx, sid); err != nil || ok {
			t.Fatalf("AcquireSpirit by another node while renewed: %v, %v", ok, err)
		}
		time.Sleep(ttl / 5)
	}

	eventually(t, "another node acquires the abandoned lease", func() bool {
		ok, err := next.AcquireSpirit(ctx, sid)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	})
	if held := time.Since(lastRenew); held < ttl {
		t.Fatalf("the lease changed hands %v after its last renewal, before LeaseTTL %v", held, ttl)
	}
	if ok, err := holder.RenewSpirit(ctx, sid); err != nil || ok {
		t.Fatalf("RenewSpirit by the former holder: %v, %v; want false", ok, err)
	}
	// The former holder's release leaves the new holder's lease alone.
	if err := holder.ReleaseSpirit(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if ok, err := next.RenewSpirit(ctx, sid); err != nil || !ok {
		t.Fatalf("RenewSpirit by the new holder after the former's release: %v, %v; want true", ok, err)
	}
}

// The holder acquiring again keeps its lease (a retry whose first answer
// was lost must not lock the node out of its own lease).
func TestAcquireAgain(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	a, b := newNode(t, url, redis.Options{Prefix: prefix}), newNode(t, url, redis.Options{Prefix: prefix})
	ctx := t.Context()
	for i := range 2 {
		if ok, err := a.AcquireSpirit(ctx, "s"); err != nil || !ok {
			t.Fatalf("AcquireSpirit %d by the holder: %v, %v; want true", i+1, ok, err)
		}
	}
	if ok, err := b.AcquireSpirit(ctx, "s"); err != nil || ok {
		t.Fatalf("AcquireSpirit by another node: %v, %v; want false", ok, err)
	}
}

// Resync comes when the subscription starts and again after the
// connection is cut; events flow again after it.
func TestResyncAfterReconnection(t *testing.T) {
	t.Parallel()
	srv := testsvc.StartRedis(t)
	a, b := newNode(t, srv.URL(), redis.Options{}), newNode(t, srv.URL(), redis.Options{})
	const sid, sid2 = "resync", "resync-2"

	r := subscribe(t, a, sid)
	r.waitResyncs(t, 1)
	publish(t, b, sid, "before")
	r.waitFrame(t, "before")
	// Subscribing to a séance whose channel is already confirmed misses
	// nothing, so gets no Resync; another séance's subscription does.
	late := subscribe(t, a, sid)
	other := subscribe(t, a, sid2)
	other.waitResyncs(t, 1)
	publish(t, b, sid, "to both")
	late.waitFrame(t, "to both")
	if _, n := late.state(); n != 0 {
		t.Fatalf("a subscriber joining a live channel got %d Resyncs, want 0", n)
	}

	killed, err := client(t, srv.URL()).ClientKillByFilter(t.Context(), "TYPE", "pubsub").Result()
	if err != nil || killed < 1 {
		t.Fatalf("CLIENT KILL TYPE pubsub: %d, %v", killed, err)
	}
	r.waitResyncs(t, 2)
	late.waitResyncs(t, 1)
	other.waitResyncs(t, 2)

	publish(t, b, sid, "after")
	r.waitFrame(t, "after")
	publish(t, b, sid2, "after, other séance")
	other.waitFrame(t, "after, other séance")
}

// A node subscribes to a séance's channel once, whatever its number of
// local subscribers, and unsubscribes when the last one leaves.
func TestOneRedisSubscriptionPerSeance(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	a, b := newNode(t, url, redis.Options{Prefix: prefix}), newNode(t, url, redis.Options{Prefix: prefix})
	rdb := client(t, url)
	const sid = "numsub"
	channel := prefix + "{" + sid + "}:events"
	numsub := func() int64 {
		t.Helper()
		n, err := rdb.PubSubNumSub(t.Context(), channel).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n[channel]
	}

	r := &recorder{changed: make(chan struct{}, 1)}
	unsubs := []func(){
		a.Subscribe(sid, r.deliver),
		a.Subscribe(sid, func(hub.Event) {}),
		a.Subscribe(sid, func(hub.Event) {}),
	}
	r.waitResyncs(t, 1)
	if n := numsub(); n != 1 {
		t.Fatalf("Redis subscriptions of a node with three local subscribers: %d, want 1", n)
	}
	rb := subscribe(t, b, sid)
	rb.waitResyncs(t, 1)
	if n := numsub(); n != 2 {
		t.Fatalf("Redis subscriptions of two nodes: %d, want 2", n)
	}

	for _, unsub := range unsubs[1:] {
		unsub()
	}
	publish(t, b, sid, "one left")
	r.waitFrame(t, "one left")
	if n := numsub(); n != 2 {
		t.Fatalf("Redis subscriptions with one local subscriber left: %d, want 2", n)
	}
	unsubs[0]()
	eventually(t, "the node without subscribers unsubscribes", func() bool { return numsub() == 1 })
}

// Through a Redis outage a node keeps serving its own members; Ping says
// it is down; after the restart the subscriptions come back with a Resync,
// events cross nodes again, and a refresh restores what Redis lost.
func TestOutage(t *testing.T) {
	t.Parallel()
	srv := testsvc.StartRedis(t)
	a, b := newNode(t, srv.URL(), redis.Options{}), newNode(t, srv.URL(), redis.Options{})
	const sid, sid2 = "outage", "outage-2"
	ada := participant("ada", 1)
	mustEnter(t, a, sid, ada)
	ra, rb := subscribe(t, a, sid), subscribe(t, b, sid)
	ra.waitResyncs(t, 1)
	rb.waitResyncs(t, 1)

	srv.Stop()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	// Publications are sent in the background: Publish reports the outage
	// once a send has failed, and never fails the local delivery.
	var err error
	published := 0
	eventually(t, "Publish reports the outage", func() bool {
		published++
		err = a.Publish(ctx, sid, hub.Event{Frame: []byte("while down")})
		return err != nil
	})
	if !strings.Contains(err.Error(), "publish") {
		t.Fatalf("Publish while Redis is down: %v; want a publish error", err)
	}
	if frames, _ := ra.state(); len(frames) != published || frames[0] != "while down" {
		t.Fatalf("local subscriber while Redis is down got %d frames (%q), want the %d published", len(frames), frames, published)
	}
	if err := a.Ping(t.Context()); err == nil {
		t.Fatal("Ping succeeded while Redis is down")
	}
	if _, err := a.Enter(ctx, sid, participant("bo", 2), 12); err == nil || !strings.Contains(err.Error(), "enter") {
		t.Fatalf("Enter while Redis is down: %v; want an enter error", err)
	}
	// Subscribing while Redis is down neither blocks nor is forgotten.
	rc := subscribe(t, b, sid2)

	srv.Start()
	eventually(t, "Ping succeeds after the restart", func() bool { return a.Ping(t.Context()) == nil })
	ra.waitResyncs(t, 2)
	rb.waitResyncs(t, 2)
	rc.waitResyncs(t, 1)
	// The first publication after the restart may still report the
	// failure before it; it is sent all the same, and clears the report.
	_ = a.Publish(t.Context(), sid, hub.Event{Frame: []byte("after restart")})
	rb.waitFrame(t, "after restart")
	eventually(t, "Publish stops reporting the outage", func() bool {
		return a.Publish(t.Context(), sid, hub.Event{Frame: []byte("after restart")}) == nil
	})
	publish(t, a, sid2, "new séance")
	rc.waitFrame(t, "new séance")

	// The restarted Redis kept nothing; the node's refresh puts ada back.
	if got := present(t, b, sid); len(got) != 0 {
		t.Fatalf("Present after a restart without persistence = %v, want nobody", got)
	}
	if gone, err := a.Refresh(t.Context(), sid, []wire.Participant{ada}); err != nil || len(gone) != 0 {
		t.Fatalf("Refresh after the restart: %v, %v", ids(gone), err)
	}
	if got := present(t, b, sid); !slices.Equal(got, []string{"ada"}) {
		t.Fatalf("Present after the refresh = %v, want [ada]", got)
	}
}

// What another program publishes on a séance's channel is logged and
// dropped; the events after it still arrive.
func TestMalformedPayloadDropped(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	var logs testbin.Buffer
	a := newNode(t, url, redis.Options{Prefix: prefix, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	b := newNode(t, url, redis.Options{Prefix: prefix})
	const sid = "malformed"
	r := subscribe(t, a, sid)
	r.waitResyncs(t, 1)

	channel := prefix + "{" + sid + "}:events"
	bad := []string{
		"",
		"garbage",
		"node-x\n{not json\nframe",
		"node-x\n[1, 2]\nframe",
		"node-x\n{\"seq\":\"seven\"}\n",
		"\n{}\nno origin",
		"node-x only an origin",
	}
	rdb := client(t, url)
	for _, p := range bad {
		if err := rdb.Publish(t.Context(), channel, p).Err(); err != nil {
			t.Fatal(err)
		}
	}
	publish(t, b, sid, "good")
	r.waitFrame(t, "good")
	if frames, _ := r.state(); !slices.Equal(frames, []string{"good"}) {
		t.Fatalf("subscriber got %q, want only [good]", frames)
	}
	eventually(t, "every malformed payload logged", func() bool {
		return strings.Count(logs.String(), "dropped a malformed event") == len(bad)
	})
}

// No error shows the password of the URL, whatever went wrong.
func TestErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	const secret = "s3cretpass"
	srv := testsvc.StartRedis(t)
	port := strings.TrimSuffix(strings.TrimPrefix(srv.URL(), "redis://127.0.0.1:"), "/0")
	check := func(t *testing.T, what string, err error) {
		t.Helper()
		if err == nil {
			t.Fatalf("%s: no error", what)
		}
		if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "pass@") {
			t.Fatalf("%s: the error shows the password: %v", what, err)
		}
	}

	for i, url := range []string{
		"redis://user:" + secret + "@127.0.0.1:1/0",            // nobody listens
		"redis://user:" + secret + "@127.0.0.1:bad/0",          // bad port
		"redis://user:s3cret%zzpass@127.0.0.1:" + port + "/0",  // bad escape
		"redis://user:" + secret + "@127.0.0.1:" + port + "/x", // bad database
		"redis://user:" + secret + "@127.0.0.1:" + port + "/0?dial_timeout=" + secret,
		"redis://user:" + secret + "@ho st:6379/0",                         // bad host
		"http://user:" + secret + "@127.0.0.1:" + port + "/0",              // not Redis
		"redis://" + secret + "@127.0.0.1:1/0",                             // password alone
		"redis://user:" + secret + "@127.0.0.1:" + port + "/0?x=" + secret, // unknown option
	} {
		_, err := redis.New(t.Context(), url, redis.Options{NodeID: "n"})
		check(t, fmt.Sprintf("New with URL %d", i+1), err)
	}

	// A server asking for the password, which then goes away: the errors
	// of every operation.
	admin := client(t, srv.URL())
	if err := admin.ConfigSet(t.Context(), "requirepass", secret).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := redis.New(t.Context(), "redis://default:wrong"+secret+"@127.0.0.1:"+port+"/0", redis.Options{NodeID: "n"})
	check(t, "New with a wrong password", err)
	b := newNode(t, "redis://default:"+secret+"@127.0.0.1:"+port+"/0", redis.Options{})
	srv.Stop()
	ctx := t.Context()
	ops := map[string]func() error{
		"publish": func() error {
			// Sent in the background: the failure shows from the next call.
			for {
				if err := b.Publish(ctx, "s", hub.Event{Frame: []byte("x")}); err != nil {
					return err
				}
				time.Sleep(10 * time.Millisecond)
			}
		},
		"ping": func() error { return b.Ping(ctx) },
		"enter": func() error {
			_, err := b.Enter(ctx, "s", participant("ada", 1), 2)
			return err
		},
		"leave": func() error {
			_, err := b.Leave(ctx, "s", "ada")
			return err
		},
		"present": func() error {
			_, err := b.Present(ctx, "s")
			return err
		},
		"refresh": func() error {
			_, err := b.Refresh(ctx, "s", nil)
			return err
		},
		"acquire": func() error {
			_, err := b.AcquireSpirit(ctx, "s")
			return err
		},
		"renew": func() error {
			_, err := b.RenewSpirit(ctx, "s")
			return err
		},
		"release": func() error { return b.ReleaseSpirit(ctx, "s") },
		"rate limit": func() error {
			_, _, err := b.Allow(ctx, "k", 1, time.Second)
			return err
		},
	}
	// Each waits out go-redis's retries; together they wait once.
	errs := make(map[string]error, len(ops))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for op, do := range ops {
		wg.Go(func() {
			err := do()
			mu.Lock()
			errs[op] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	for op, err := range errs {
		check(t, op, err)
		if !strings.Contains(err.Error(), op) {
			t.Errorf("%s while Redis is down: %q does not say what failed", op, err)
		}
	}
}

func TestNewChecksTheNodeID(t *testing.T) {
	t.Parallel()
	url, _ := testsvc.Redis(t)
	for _, id := range []string{"", "a|b", "a\nb"} {
		if b, err := redis.New(t.Context(), url, redis.Options{NodeID: id}); err == nil {
			b.Close()
			t.Errorf("New with node id %q: no error", id)
		}
	}
}

// Every key written expires, a séance's keys share its hash tag, and a
// séance everyone left keeps no presence keys.
func TestKeys(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	b := newNode(t, url, redis.Options{Prefix: prefix})
	const sid = "0b7e-keys"
	ctx := t.Context()
	ada := participant("ada", 1)
	mustEnter(t, b, sid, ada)
	if _, err := b.Refresh(ctx, sid, []wire.Participant{ada}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.AcquireSpirit(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Allow(ctx, "203.0.113.7", 5, time.Minute); err != nil {
		t.Fatal(err)
	}
	publish(t, b, sid, "x")

	rdb := client(t, url)
	keys := func() []string {
		t.Helper()
		got, err := rdb.Keys(ctx, prefix+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(got)
		return got
	}
	want := []string{
		prefix + "limit:{203.0.113.7}",
		prefix + "{" + sid + "}:here",
		prefix + "{" + sid + "}:spirit",
		prefix + "{" + sid + "}:who",
	}
	slices.Sort(want)
	if got := keys(); !slices.Equal(got, want) {
		t.Fatalf("keys = %q, want %q", got, want)
	}
	for _, k := range want {
		ttl, err := rdb.PTTL(ctx, k).Result()
		if err != nil || ttl <= 0 {
			t.Errorf("key %s: expiry %v, %v; want one", k, ttl, err)
		}
	}

	if _, err := b.Leave(ctx, sid, "ada"); err != nil {
		t.Fatal(err)
	}
	if err := b.ReleaseSpirit(ctx, sid); err != nil {
		t.Fatal(err)
	}
	if got := keys(); !slices.Equal(got, want[:1]) {
		t.Fatalf("keys after everyone left = %q, want %q", got, want[:1])
	}
}

// The rate limit's window slides on Options.Now: an event leaves it exactly
// one period after it was taken, and retryAfter says when.
func TestAllowSlidingWindow(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	c := testclock.New(time.Now())
	b := newNode(t, url, redis.Options{Prefix: prefix, Now: c.Now})
	ctx := t.Context()
	const per = 10 * time.Second
	steps := []struct {
		advance   time.Duration
		ok        bool
		retryWant time.Duration
	}{
		{0, true, 0},                          // t0
		{time.Second, true, 0},                // t0+1s
		{time.Second, false, 8 * time.Second}, // t0+2s: the t0 event leaves at t0+10s
		{7*time.Second + 999*time.Millisecond, false, time.Millisecond},
		{time.Millisecond, true, 0}, // t0+10s: the t0 event has left
		{0, false, time.Second},     // the t0+1s one leaves at t0+11s
	}
	for i, s := range steps {
		c.Advance(s.advance)
		ok, retry, err := b.Allow(ctx, "k", 2, per)
		if err != nil {
			t.Fatal(err)
		}
		if ok != s.ok || retry != s.retryWant {
			t.Fatalf("step %d: %v, retry %v; want %v, retry %v", i, ok, retry, s.ok, s.retryWant)
		}
	}
}

// Present is in joining order, ties broken by id, whichever order the
// participants entered in.
func TestPresentOrder(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	b := newNode(t, url, redis.Options{Prefix: prefix})
	const sid = "order"
	for _, p := range []wire.Participant{participant("late", 9), participant("b", 1), participant("a", 1), participant("early", 0)} {
		mustEnter(t, b, sid, p)
	}
	if got := present(t, b, sid); !slices.Equal(got, []string{"early", "a", "b", "late"}) {
		t.Fatalf("Present = %v, want [early a b late]", got)
	}
}

// errors.Is sees through the broker's errors to the cause.
func TestErrorsKeepTheCause(t *testing.T) {
	t.Parallel()
	url, prefix := testsvc.Redis(t)
	b := newNode(t, url, redis.Options{Prefix: prefix})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Present(ctx, "s"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Present with a canceled context: %v; want context.Canceled in the chain", err)
	}
}
