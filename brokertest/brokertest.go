// Package brokertest is the behaviour every hub.Broker must have, as seen
// from several nodes sharing one backend. Each implementation's tests call
// Run with a function that sets up a fresh, empty backend.
package brokertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/wire"
)

// Wait bounds every wait for something that happens "soon after" on
// another node.
const Wait = 10 * time.Second

// Run runs the whole suite. newCluster sets up one fresh backend for t and
// returns node, which gives one more node sharing it each time it is
// called; a single-process broker may return the same broker every time,
// as the hubs of one process share one. It releases everything with
// t.Cleanup. Each case gets a backend of its own, and cases run in
// parallel.
func Run(t *testing.T, newCluster func(t *testing.T) (node func() hub.Broker)) {
	tests := []struct {
		name string
		fn   func(t *testing.T, node func() hub.Broker)
	}{
		{"PublishReachesEveryNode", testPublishReachesEveryNode},
		{"NotAfterUnsubscribe", testNotAfterUnsubscribe},
		{"SubscribeAgain", testSubscribeAgain},
		{"OtherSeancesNotReached", testOtherSeancesNotReached},
		{"OrderPerPublisher", testOrderPerPublisher},
		{"EventRoundTrip", testEventRoundTrip},
		{"EnterAndLeave", testEnterAndLeave},
		{"SameParticipantOnTwoNodes", testSameParticipantOnTwoNodes},
		{"LeaveUnknown", testLeaveUnknown},
		{"JoiningOrder", testJoiningOrder},
		{"Full", testFull},
		{"CapacityRace", testCapacityRace},
		{"RefreshKeepsPresent", testRefreshKeepsPresent},
		{"SeancesApart", testSeancesApart},
		{"SpiritLease", testSpiritLease},
		{"Allow", testAllow},
		{"AllowSharedByNodes", testAllowSharedByNodes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newCluster(t))
		})
	}
}

// sessionID names the case's n-th séance.
func sessionID(t *testing.T, n int) string {
	t.Helper()
	return fmt.Sprintf("%s-%d", t.Name(), n)
}

// probe marks the events that waitLive publishes; recorders count them
// apart, so that the cases see only their own events.
const probe = "\x00brokertest-probe"

// recorder is a subscriber that keeps what it is given.
type recorder struct {
	mu      sync.Mutex
	events  []hub.Event
	probes  int
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{}, 1)} }

// subscribe makes a recorder of sessionID's events on b, unsubscribed at
// cleanup.
func subscribe(t *testing.T, b hub.Broker, sessionID string) (*recorder, func()) {
	t.Helper()
	r := newRecorder()
	unsub := b.Subscribe(sessionID, r.deliver)
	t.Cleanup(unsub)
	return r, unsub
}

func (r *recorder) deliver(ev hub.Event) {
	r.mu.Lock()
	switch {
	case ev.Resync:
		// Whether and when a broker resyncs is its own; the other cases
		// here make sure they need none.
	case bytes.HasPrefix(ev.Frame, []byte(probe)):
		r.probes++
	default:
		r.events = append(r.events, ev)
	}
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() (events []hub.Event, probes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hub.Event(nil), r.events...), r.probes
}

// waitUntil waits until cond holds of the recorded events, or fails t
// after Wait.
func (r *recorder) waitUntil(t *testing.T, what string, cond func([]hub.Event) bool) []hub.Event {
	t.Helper()
	deadline := time.NewTimer(Wait)
	defer deadline.Stop()
	for {
		events, _ := r.snapshot()
		if cond(events) {
			return events
		}
		select {
		case <-r.changed:
		case <-deadline.C:
			t.Fatalf("%s: not within %v; got %d events: %s", what, Wait, len(events), describe(events))
		}
	}
}

// waitCount waits for n recorded events.
func (r *recorder) waitCount(t *testing.T, what string, n int) []hub.Event {
	t.Helper()
	return r.waitUntil(t, what, func(evs []hub.Event) bool { return len(evs) >= n })
}

// waitLive publishes probes on pub until one reaches each recorder: from
// then on, their subscriptions get pub's events. A broker may start a
// subscription in the background; what it misses before, it makes up for
// with a Resync, which is not what these cases are about.
func waitLive(t *testing.T, pub hub.Broker, sessionID string, rs ...*recorder) {
	t.Helper()
	deadline := time.Now().Add(Wait)
	for _, r := range rs {
		_, before := r.snapshot()
		for i := 1; ; i++ {
			if err := pub.Publish(t.Context(), sessionID, hub.Event{Frame: []byte(probe)}); err != nil {
				t.Fatalf("publish a probe: %v", err)
			}
			if r.probesOver(before, 50*time.Millisecond) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the subscription to %s got none of %d probes from the publishing node", sessionID, i)
			}
		}
	}
}

// probesOver reports whether more than n probes arrive within d.
func (r *recorder) probesOver(n int, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if _, p := r.snapshot(); p > n {
			return true
		}
		select {
		case <-r.changed:
		case <-timer.C:
			_, p := r.snapshot()
			return p > n
		}
	}
}

func describe(events []hub.Event) string {
	var b bytes.Buffer
	for i, ev := range events {
		if i == 8 {
			fmt.Fprintf(&b, " …")
			break
		}
		fmt.Fprintf(&b, " {seq %d frame %q to %q}", ev.Seq, ev.Frame, ev.To)
	}
	return b.String()
}

func frame(s string) hub.Event { return hub.Event{Frame: []byte(s)} }

func frames(events []hub.Event) []string {
	out := make([]string, len(events))
	for i, ev := range events {
		out[i] = string(ev.Frame)
	}
	return out
}

func publish(t *testing.T, b hub.Broker, sessionID string, ev hub.Event) {
	t.Helper()
	if err := b.Publish(t.Context(), sessionID, ev); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func testPublishReachesEveryNode(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	local, _ := subscribe(t, n1, sid)
	local2, _ := subscribe(t, n1, sid)
	remote, _ := subscribe(t, n2, sid)
	waitLive(t, n1, sid, remote)

	publish(t, n1, sid, frame("hello"))
	// This node's subscribers have it when Publish returns.
	for _, r := range []*recorder{local, local2} {
		if got, _ := r.snapshot(); !reflect.DeepEqual(frames(got), []string{"hello"}) {
			t.Fatalf("local subscriber after Publish: %q, want [hello]", frames(got))
		}
	}
	got := remote.waitCount(t, "the other node's subscriber gets the event", 1)
	if !reflect.DeepEqual(frames(got), []string{"hello"}) {
		t.Fatalf("other node's subscriber: %q, want [hello]", frames(got))
	}

	// And the other way round.
	waitLive(t, n2, sid, local)
	publish(t, n2, sid, frame("back"))
	if got, _ := remote.snapshot(); !reflect.DeepEqual(frames(got), []string{"hello", "back"}) {
		t.Fatalf("publishing node's own subscriber: %q, want [hello back]", frames(got))
	}
	local.waitCount(t, "the first node's subscriber gets the other's event", 2)
	local2.waitCount(t, "the first node's second subscriber gets the other's event", 2)
	for _, r := range []*recorder{local, local2} {
		if got, _ := r.snapshot(); !reflect.DeepEqual(frames(got), []string{"hello", "back"}) {
			t.Fatalf("first node's subscriber: %q, want [hello back]", frames(got))
		}
	}
}

func testNotAfterUnsubscribe(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	gone, unsub := subscribe(t, n2, sid)
	stay, _ := subscribe(t, n2, sid)
	localGone, localUnsub := subscribe(t, n1, sid)
	waitLive(t, n1, sid, gone, stay)

	unsub()
	unsub() // a second call is harmless
	localUnsub()
	publish(t, n1, sid, frame("after"))
	publish(t, n2, sid, frame("local after"))
	publish(t, n1, sid, frame("marker"))
	// Events of one node arrive in order, so once marker is in, after
	// would have been too.
	stay.waitUntil(t, "the remaining subscriber gets the marker", func(evs []hub.Event) bool {
		return len(evs) > 0 && string(evs[len(evs)-1].Frame) == "marker"
	})
	for name, r := range map[string]*recorder{"other node": gone, "publishing node": localGone} {
		if got, _ := r.snapshot(); len(got) != 0 {
			t.Errorf("unsubscribed subscriber on the %s got %q", name, frames(got))
		}
	}
}

func testSubscribeAgain(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	first, unsub := subscribe(t, n2, sid)
	waitLive(t, n1, sid, first)
	unsub() // n2 has no subscriber of sid left

	again, _ := subscribe(t, n2, sid)
	waitLive(t, n1, sid, again)
	publish(t, n1, sid, frame("again"))
	again.waitCount(t, "a subscriber after everyone left gets events", 1)
	if got, _ := first.snapshot(); len(got) != 0 {
		t.Errorf("the first, unsubscribed subscriber got %q", frames(got))
	}
}

func testOtherSeancesNotReached(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	s1, s2 := sessionID(t, 1), sessionID(t, 2)
	remote1, _ := subscribe(t, n2, s1)
	remote2, _ := subscribe(t, n2, s2)
	local2, _ := subscribe(t, n1, s2)
	waitLive(t, n1, s1, remote1)
	waitLive(t, n1, s2, remote2)

	publish(t, n1, s1, frame("for one"))
	publish(t, n1, s2, frame("for two"))
	if got, _ := local2.snapshot(); !reflect.DeepEqual(frames(got), []string{"for two"}) {
		t.Errorf("local subscriber of the second séance: %q, want [for two]", frames(got))
	}
	remote1.waitCount(t, "the first séance's subscriber", 1)
	// One node's events arrive in order, whichever séance: once "for two"
	// is in, "for one" has been handed out.
	remote2.waitCount(t, "the second séance's subscriber", 1)
	if got, _ := remote1.snapshot(); !reflect.DeepEqual(frames(got), []string{"for one"}) {
		t.Errorf("first séance's subscriber: %q, want [for one]", frames(got))
	}
	if got, _ := remote2.snapshot(); !reflect.DeepEqual(frames(got), []string{"for two"}) {
		t.Errorf("second séance's subscriber: %q, want [for two]", frames(got))
	}
}

func testOrderPerPublisher(t *testing.T, node func() hub.Broker) {
	const count = 200
	n1, n2, n3 := node(), node(), node()
	sid := sessionID(t, 1)
	local, _ := subscribe(t, n1, sid)
	remote, _ := subscribe(t, n2, sid)
	waitLive(t, n1, sid, remote)
	waitLive(t, n3, sid, remote, local)

	// Two nodes publish at once; each one's events must keep their order.
	var wg sync.WaitGroup
	for _, pub := range []struct {
		b    hub.Broker
		name string
	}{{n1, "one"}, {n3, "three"}} {
		wg.Go(func() {
			for i := 1; i <= count; i++ {
				ev := hub.Event{Seq: int64(i), Frame: []byte(pub.name), To: pub.name}
				if err := pub.b.Publish(context.Background(), sid, ev); err != nil {
					t.Errorf("Publish %d from %s: %v", i, pub.name, err)
					return
				}
			}
		})
	}
	wg.Wait()

	for name, r := range map[string]*recorder{"publishing node": local, "other node": remote} {
		got := r.waitCount(t, "every event on the "+name, 2*count)
		if len(got) != 2*count {
			t.Fatalf("%s: %d events, want %d", name, len(got), 2*count)
		}
		next := map[string]int64{"one": 1, "three": 1}
		for _, ev := range got {
			if ev.Seq != next[ev.To] {
				t.Fatalf("%s: event %d from %s arrived when %d was due", name, ev.Seq, ev.To, next[ev.To])
			}
			next[ev.To]++
		}
	}
}

func testEventRoundTrip(t *testing.T, node func() hub.Broker) {
	at := time.Date(2026, 10, 31, 23, 59, 58, 123456789, time.UTC)
	events := []struct {
		name string
		ev   hub.Event
	}{
		{"question", hub.Event{
			Seq:   41,
			Frame: []byte(`{"type":"message_received","data":{"text":"Is anyone there? 👻 née"}}`),
			Msg: &seance.Message{
				ID: "m-41", Seq: 41, SessionID: "s", UserID: "u-1", UserName: "Ada",
				Text: "Is anyone there? 👻 née", Timestamp: at,
			},
			Except: "u-1",
		}},
		{"answer", hub.Event{
			Seq:   42,
			Frame: []byte(`{"type":"spirit_response"}`),
			Msg: &seance.Message{
				ID: "m-42", Seq: 42, SessionID: "s", UserID: "spirit", UserName: "The Spirit",
				Text: "YES", IsSpirit: true, Timestamp: at.Add(time.Second),
				ReplyTo: "m-41", LetterTimings: []int{0, 350, 700},
			},
		}},
		{"empty letter timings", hub.Event{
			Seq: 43, Frame: []byte("x"),
			Msg: &seance.Message{ID: "m-43", Seq: 43, IsSpirit: true, LetterTimings: []int{}, Timestamp: at},
		}},
		{"thinking", hub.Event{Frame: []byte(`{"type":"spirit_thinking"}`), Taking: "m-41"}},
		{"removal", hub.Event{Frame: []byte(`{"type":"error"}`), To: "u-2", Close: 4403}},
		{"end", hub.Event{Frame: []byte(`{"type":"session_ended"}`), Close: 4000, Ends: true}},
		{"binary frame with newlines", hub.Event{Frame: []byte("a\nb\r\n\x00\xff{\"}\n")}},
		{"no frame", hub.Event{Seq: 7, To: "u-3"}},
		{"every field set", everyField(t, at)},
	}
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	local, _ := subscribe(t, n1, sid)
	remote, _ := subscribe(t, n2, sid)
	waitLive(t, n1, sid, remote)

	for _, e := range events {
		publish(t, n1, sid, e.ev)
	}
	for name, r := range map[string]*recorder{"publishing node": local, "other node": remote} {
		got := r.waitCount(t, "every event on the "+name, len(events))
		if len(got) != len(events) {
			t.Fatalf("%s: %d events, want %d", name, len(got), len(events))
		}
		for i, e := range events {
			if !sameEvent(got[i], e.ev) {
				t.Errorf("%s, %s:\n got %+v (msg %+v)\nwant %+v (msg %+v)", name, e.name, got[i], got[i].Msg, e.ev, e.ev.Msg)
			}
		}
	}
}

// everyField is an event with each of its published fields set, found by
// reflection, so that a field added to hub.Event is checked here too.
func everyField(t *testing.T, at time.Time) hub.Event {
	t.Helper()
	var ev hub.Event
	v := reflect.ValueOf(&ev).Elem()
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if sf.Tag.Get("json") == "-" {
			continue // never published
		}
		switch x := f.Addr().Interface().(type) {
		case *int64:
			*x = 1<<53 + int64(i)
		case *int:
			*x = 4000 + i
		case *bool:
			*x = true
		case *string:
			*x = "value of " + sf.Name + " ✓"
		case *[]byte:
			*x = []byte("frame of " + sf.Name + "\n\x00\xff")
		case **seance.Message:
			*x = &seance.Message{
				ID: "m", Seq: 9, SessionID: "s", UserID: "u", UserName: "n", Text: "t",
				IsSpirit: true, Timestamp: at, ReplyTo: "q", LetterTimings: []int{1, 2},
				Safety: &seance.Safety{Category: seance.CategorySelfHarm, Help: &seance.Help{Text: "help ✓", URL: "https://example.org"}},
			}
		default:
			t.Fatalf("hub.Event.%s is a %s, which this suite does not fill yet: extend everyField", sf.Name, sf.Type)
		}
	}
	return ev
}

// sameEvent compares events field by field, times by the instant they name.
func sameEvent(x, y hub.Event) bool {
	if (x.Msg == nil) != (y.Msg == nil) {
		return false
	}
	if x.Msg != nil {
		mx, my := *x.Msg, *y.Msg
		if !mx.Timestamp.Equal(my.Timestamp) {
			return false
		}
		mx.Timestamp, my.Timestamp = time.Time{}, time.Time{}
		if !reflect.DeepEqual(mx, my) {
			return false
		}
	}
	x.Msg, y.Msg = nil, nil
	if len(x.Frame) == 0 && len(y.Frame) == 0 {
		x.Frame, y.Frame = nil, nil
	}
	return reflect.DeepEqual(x, y)
}

// participant is a participant who joined i seconds after a reference
// time.
func participant(id string, i int) wire.Participant {
	joined := time.Date(2026, 10, 31, 22, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return wire.Participant{ID: id, Name: "Name of " + id, JoinedAt: joined}
}

func enter(t *testing.T, b hub.Broker, sid string, p wire.Participant, max int, wantFirst bool) {
	t.Helper()
	first, err := b.Enter(t.Context(), sid, p, max)
	if err != nil {
		t.Fatalf("Enter %s: %v", p.ID, err)
	}
	if first != wantFirst {
		t.Fatalf("Enter %s: first = %v, want %v", p.ID, first, wantFirst)
	}
}

func leave(t *testing.T, b hub.Broker, sid, userID string, wantLast bool) {
	t.Helper()
	last, err := b.Leave(t.Context(), sid, userID)
	if err != nil {
		t.Fatalf("Leave %s: %v", userID, err)
	}
	if last != wantLast {
		t.Fatalf("Leave %s: last = %v, want %v", userID, last, wantLast)
	}
}

// wantPresent checks who is present, in order; times compare by instant.
func wantPresent(t *testing.T, b hub.Broker, sid string, want ...wire.Participant) {
	t.Helper()
	got, err := b.Present(t.Context(), sid)
	if err != nil {
		t.Fatalf("Present: %v", err)
	}
	if !sameParticipants(got, want) {
		t.Fatalf("Present = %v, want %v", ids(got), ids(want))
	}
}

func sameParticipants(got, want []wire.Participant) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].Name != want[i].Name || !got[i].JoinedAt.Equal(want[i].JoinedAt) {
			return false
		}
	}
	return true
}

func ids(ps []wire.Participant) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func testEnterAndLeave(t *testing.T, node func() hub.Broker) {
	n := node()
	sid := sessionID(t, 1)
	ada, bo := participant("ada", 1), participant("bo", 2)
	wantPresent(t, n, sid)
	enter(t, n, sid, ada, 6, true)
	wantPresent(t, n, sid, ada)
	enter(t, n, sid, bo, 6, true)
	wantPresent(t, n, sid, ada, bo)
	leave(t, n, sid, "ada", true)
	wantPresent(t, n, sid, bo)
	leave(t, n, sid, "bo", true)
	wantPresent(t, n, sid)
	// Back after leaving: present for the first time again.
	enter(t, n, sid, ada, 6, true)
	wantPresent(t, n, sid, ada)
}

func testSameParticipantOnTwoNodes(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	ada, bo := participant("ada", 1), participant("bo", 2)
	enter(t, n1, sid, ada, 2, true)
	enter(t, n2, sid, ada, 2, false)
	enter(t, n2, sid, bo, 2, true)
	// Ada counts once: the séance of two is full, not over.
	wantPresent(t, n1, sid, ada, bo)
	wantPresent(t, n2, sid, ada, bo)

	leave(t, n1, sid, "ada", false)
	wantPresent(t, n1, sid, ada, bo)
	leave(t, n2, sid, "ada", true)
	wantPresent(t, n1, sid, bo)
}

func testLeaveUnknown(t *testing.T, node func() hub.Broker) {
	n := node()
	sid := sessionID(t, 1)
	leave(t, n, sid, "nobody", false)
	enter(t, n, sid, participant("ada", 1), 6, true)
	leave(t, n, sid, "nobody", false)
	wantPresent(t, n, sid, participant("ada", 1))
}

func testJoiningOrder(t *testing.T, node func() hub.Broker) {
	nodes := []hub.Broker{node(), node(), node()}
	sid := sessionID(t, 1)
	// Ids out of alphabetical order, joining times in the order of entry.
	order := []wire.Participant{
		participant("zed", 1), participant("amy", 2), participant("kim", 3),
		participant("bob", 4), participant("yan", 5),
	}
	for i, p := range order {
		enter(t, nodes[i%len(nodes)], sid, p, 12, true)
	}
	for _, n := range nodes {
		wantPresent(t, n, sid, order...)
	}
	leave(t, nodes[1], sid, "amy", true)
	wantPresent(t, nodes[0], sid, order[0], order[2], order[3], order[4])
}

func testFull(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	ada, bo, cy := participant("ada", 1), participant("bo", 2), participant("cy", 3)
	enter(t, n1, sid, ada, 2, true)
	enter(t, n2, sid, bo, 2, true)

	for _, n := range []hub.Broker{n1, n2} {
		_, err := n.Enter(t.Context(), sid, cy, 2)
		if code := seance.ErrorCode(err); code != seance.ESessionFull {
			t.Fatalf("Enter into a full séance: %v (code %s), want %s", err, code, seance.ESessionFull)
		}
		var e *seance.Error
		if !errors.As(err, &e) || e.Details["max_users"] != 2 {
			t.Fatalf("SESSION_FULL details = %v, want max_users 2", e)
		}
	}
	// Someone present comes in on another node all the same.
	enter(t, n2, sid, ada, 2, false)
	wantPresent(t, n1, sid, ada, bo)

	// A seat freed is a seat taken.
	leave(t, n2, sid, "bo", true)
	enter(t, n1, sid, cy, 2, true)
	wantPresent(t, n1, sid, ada, cy)
}

func testCapacityRace(t *testing.T, node func() hub.Broker) {
	const (
		tries = 20
		seats = 6
	)
	nodes := []hub.Broker{node(), node(), node()}
	sid := sessionID(t, 1)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		admitted []string
		refused  int
	)
	start := make(chan struct{})
	for i := range tries {
		wg.Go(func() {
			<-start
			p := participant("p"+strconv.Itoa(i), i)
			first, err := nodes[i%len(nodes)].Enter(context.Background(), sid, p, seats)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && first:
				admitted = append(admitted, p.ID)
			case seance.ErrorCode(err) == seance.ESessionFull:
				refused++
			default:
				t.Errorf("Enter %s: first %v, err %v", p.ID, first, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(admitted) != seats || refused != tries-seats {
		t.Fatalf("admitted %d (%v), refused %d; want %d and %d", len(admitted), admitted, refused, seats, tries-seats)
	}
	for _, n := range nodes {
		got, err := n.Present(t.Context(), sid)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != seats {
			t.Fatalf("Present lists %d participants (%v), want %d", len(got), ids(got), seats)
		}
	}
}

func testRefreshKeepsPresent(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	ada, bo := participant("ada", 1), participant("bo", 2)
	enter(t, n1, sid, ada, 6, true)
	enter(t, n2, sid, bo, 6, true)
	for _, c := range []struct {
		n    hub.Broker
		here []wire.Participant
	}{{n1, []wire.Participant{ada}}, {n2, []wire.Participant{bo}}, {n1, nil}} {
		gone, err := c.n.Refresh(t.Context(), sid, c.here)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if len(gone) != 0 {
			t.Fatalf("Refresh while every node is alive reported %v gone", ids(gone))
		}
	}
	wantPresent(t, n1, sid, ada, bo)
	// Refresh is no Enter: leaving still ends a presence.
	leave(t, n1, sid, "ada", true)
	wantPresent(t, n2, sid, bo)
}

func testSeancesApart(t *testing.T, node func() hub.Broker) {
	n := node()
	s1, s2 := sessionID(t, 1), sessionID(t, 2)
	ada := participant("ada", 1)
	enter(t, n, s1, ada, 1, true)
	enter(t, n, s2, ada, 1, true) // the first séance's seat is not this one's
	enter(t, n, s2, participant("bo", 2), 2, true)
	wantPresent(t, n, s1, ada)
	leave(t, n, s1, "ada", true)
	wantPresent(t, n, s2, ada, participant("bo", 2))

	ok, err := n.AcquireSpirit(t.Context(), s1)
	if err != nil || !ok {
		t.Fatalf("AcquireSpirit(%s) = %v, %v", s1, ok, err)
	}
	if ok, err := n.AcquireSpirit(t.Context(), s2); err != nil || !ok {
		t.Fatalf("AcquireSpirit(%s) with %s's held = %v, %v; want true", s2, s1, ok, err)
	}
}

func testSpiritLease(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	sid := sessionID(t, 1)
	steps := []struct {
		name string
		do   func() (bool, error)
		want bool
	}{
		{"first node acquires", func() (bool, error) { return n1.AcquireSpirit(t.Context(), sid) }, true},
		{"second node is refused", func() (bool, error) { return n2.AcquireSpirit(t.Context(), sid) }, false},
		{"holder renews", func() (bool, error) { return n1.RenewSpirit(t.Context(), sid) }, true},
		{"second node still refused", func() (bool, error) { return n2.AcquireSpirit(t.Context(), sid) }, false},
		{"holder releases", func() (bool, error) { return true, n1.ReleaseSpirit(t.Context(), sid) }, true},
		{"renewing a released lease fails", func() (bool, error) { return n1.RenewSpirit(t.Context(), sid) }, false},
		{"second node acquires", func() (bool, error) { return n2.AcquireSpirit(t.Context(), sid) }, true},
		{"first node is refused", func() (bool, error) { return n1.AcquireSpirit(t.Context(), sid) }, false},
		{"new holder renews", func() (bool, error) { return n2.RenewSpirit(t.Context(), sid) }, true},
		{"new holder releases", func() (bool, error) { return true, n2.ReleaseSpirit(t.Context(), sid) }, true},
		{"releasing twice is harmless", func() (bool, error) { return true, n2.ReleaseSpirit(t.Context(), sid) }, true},
		{"first node acquires again", func() (bool, error) { return n1.AcquireSpirit(t.Context(), sid) }, true},
	}
	for _, s := range steps {
		got, err := s.do()
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got != s.want {
			t.Fatalf("%s: %v, want %v", s.name, got, s.want)
		}
	}
}

func testAllow(t *testing.T, node func() hub.Broker) {
	const (
		n   = 3
		per = 300 * time.Millisecond
	)
	b := node()
	key, other := "addr:"+t.Name(), "addr:other:"+t.Name()
	for i := range n {
		ok, _, err := b.Allow(t.Context(), key, n, per)
		if err != nil || !ok {
			t.Fatalf("event %d of %d: %v, %v; want allowed", i+1, n, ok, err)
		}
	}
	ok, retry, err := b.Allow(t.Context(), key, n, per)
	if err != nil || ok {
		t.Fatalf("event %d of %d: %v, %v; want refused", n+1, n, ok, err)
	}
	if retry <= 0 || retry > per {
		t.Fatalf("retryAfter = %v, want within (0, %v]", retry, per)
	}
	if ok, _, err := b.Allow(t.Context(), other, n, per); err != nil || !ok {
		t.Fatalf("another key: %v, %v; want allowed", ok, err)
	}

	// Refused events take nothing, so asking until allowed is harmless.
	deadline := time.Now().Add(Wait)
	for {
		ok, _, err := b.Allow(t.Context(), key, n, per)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still refused %v after the window", Wait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testAllowSharedByNodes(t *testing.T, node func() hub.Broker) {
	n1, n2 := node(), node()
	key := "addr:" + t.Name()
	for i, b := range []hub.Broker{n1, n2, n1} {
		if ok, _, err := b.Allow(t.Context(), key, 3, time.Minute); err != nil || !ok {
			t.Fatalf("event %d: %v, %v; want allowed", i+1, ok, err)
		}
	}
	for i, b := range []hub.Broker{n2, n1} {
		ok, retry, err := b.Allow(t.Context(), key, 3, time.Minute)
		if err != nil || ok {
			t.Fatalf("event %d over the shared budget: %v, %v; want refused", 4+i, ok, err)
		}
		if retry <= 0 || retry > time.Minute {
			t.Fatalf("retryAfter = %v, want within (0, 1m]", retry)
		}
	}
}
