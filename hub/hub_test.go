package hub_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/inmem"
	"github.com/seancehq/seance/wire"
)

// A peer that stops reading is dropped with 1008 once its queue is full; the
// others get every message, in order, and the room never waits for it.
func TestSlowConsumerIsDroppedAndTheRoomGoesOn(t *testing.T) {
	store := newStore(t)
	h := newHub(t, store, noLimits)
	s := newSession(t, store, 6)
	asker, askerT := join(t, h, s.ID, "asker", "Asker")
	_, bT := join(t, h, s.ID, "b", "B")
	_, cT := join(t, h, s.ID, "c", "C")
	slowT := newTransport(t, "Slow")
	if _, err := connect(t, h, s.ID, "slow", "Slow", slowT, hub.Resume{}); err != nil {
		t.Fatal(err)
	}
	slowT.waitCount(wire.EvUserJoined, 4)
	slowT.hold.Store(true)

	// Each question is 4 frames (message, thinking, chunk, response): far
	// more than a send queue holds. The blocked peer is never released: a
	// room that waited for it would never deliver the rest to anyone.
	const questions = 100
	for i := range questions {
		ask(asker, fmt.Sprintf("question %d", i))
	}

	want := make([]int64, 2*questions)
	for i := range want {
		want[i] = int64(i + 1)
	}
	for _, tr := range []*transport{askerT, bT, cT} {
		fs := tr.waitCount(wire.EvSpiritResponse, questions)
		if got := persisted(fs); !slices.Equal(got, want) {
			t.Fatalf("%s: persisted seqs %v, want 1..%d in order", tr.name, got, 2*questions)
		}
	}
	if code := slowT.waitClosed(); code != wire.ClosePolicy {
		t.Fatalf("slow consumer closed with %d, want %d", code, wire.ClosePolicy)
	}
	bT.waitFor("user_left of the slow one", func(fs []event, _ int) bool {
		left := named(fs, wire.EvUserLeft)
		return len(left) == 1 && left[0].str(t, "id") == "slow"
	})
	if n := h.Present(context.Background(), s.ID); n != 3 {
		t.Fatalf("present %d, want 3", n)
	}
}

// Questions are answered one at a time, round-robin by asker, each asker's in
// the order asked; a fourth waiting question is refused with SPIRIT_BUSY.
func TestSpiritQueueRoundRobinAndBusy(t *testing.T) {
	store := newStore(t)
	g := newGatedSpirit()
	h := newHub(t, store, withSpirit(g), func(c *hub.Config) { c.AskLimit = 100 })
	s := newSession(t, store, 6)
	a, aT := join(t, h, s.ID, "a", "A")
	b, bT := join(t, h, s.ID, "b", "B")
	aT.waitCount(wire.EvUserJoined, 2)

	ask(a, "a1")
	if q := g.next(t); q.Text != "a1" {
		t.Fatalf("the spirit took %q, want a1", q.Text)
	}
	// a1 is being answered; a2–a4 wait: that is the most one asker may have waiting.
	for _, q := range []string{"a2", "a3", "a4"} {
		ask(a, q)
	}
	ask(a, "a5")
	errs := aT.waitCount(wire.EvError, 1)
	if e := named(errs, wire.EvError)[0]; e.str(t, "code") != seance.ESpiritBusy {
		t.Fatalf("fifth question: %s, want SPIRIT_BUSY", e.Data)
	}
	ask(b, "b1")

	// next() takes the first asker's oldest and sends that asker to the
	// back: A is alone when a1 is taken, so the line is [A, B] with A's
	// a2 a3 a4 and B's b1: a2 (A back: [B, A]), b1 ([A]), a3, a4.
	var took []string
	for range 5 {
		g.answer(t)
		if len(took) < 4 {
			took = append(took, g.next(t).Text)
		}
	}
	if want := []string{"a2", "b1", "a3", "a4"}; !slices.Equal(took, want) {
		t.Fatalf("the spirit took %v after a1, want %v", took, want)
	}

	// A question asked after the queue drained is the last answer: every
	// spirit_response before it answers one question, once.
	bT.waitCount(wire.EvSpiritResponse, 5)
	ask(a, "a6")
	if q := g.next(t); q.Text != "a6" {
		t.Fatalf("the spirit took %q, want a6", q.Text)
	}
	g.answer(t)

	text := map[string]string{} // question id → text
	for _, tr := range []*transport{aT, bT} {
		fs := tr.waitCount(wire.EvSpiritResponse, 6)
		for _, m := range named(fs, wire.EvMessage) {
			text[m.str(t, "id")] = m.str(t, "message")
		}
		var order []string
		for _, r := range named(fs, wire.EvSpiritResponse) {
			order = append(order, text[r.str(t, "reply_to")])
		}
		if want := []string{"a1", "a2", "b1", "a3", "a4", "a6"}; !slices.Equal(order, want) {
			t.Fatalf("%s: spirit_response order %v, want %v", tr.name, order, want)
		}
		if n := len(named(fs, wire.EvMessage)); n != 6 {
			t.Fatalf("%s: %d questions broadcast, want 6 (a5 refused)", tr.name, n)
		}
	}
	if n := len(named(bT.waitCount(wire.EvSpiritResponse, 6), wire.EvError)); n != 0 {
		t.Fatalf("B got %d errors: SPIRIT_BUSY is for the asker only", n)
	}
	if n := g.calls.Load(); n != 6 {
		t.Fatalf("the spirit was asked %d times, want 6", n)
	}
	pending, err := store.PendingQuestions(context.Background(), s.ID)
	if err != nil || len(pending) != 0 {
		t.Fatalf("pending after all answered: %v %v", pending, err)
	}
}

// A shutdown abandons the answer in progress; clients get what was queued
// and then 1001; the next hub on the same store answers the question, once.
func TestRestartMidAnswer(t *testing.T) {
	store := newStore(t)
	g1 := newGatedSpirit()
	h1 := newHub(t, store, withSpirit(g1))
	s := newSession(t, store, 6)
	a, aT := join(t, h1, s.ID, "a", "A")
	ask(a, "Is anyone there?")
	q := g1.next(t)
	aT.waitCount(wire.EvSpiritThinking, 1)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h1.Shutdown(ctx)

	frames, code := aT.snapshot()
	if code != wire.CloseGoingAway {
		t.Fatalf("close %d after shutdown, want 1001", code)
	}
	if want := []string{wire.EvSessionState, wire.EvUserJoined, wire.EvMessage, wire.EvSpiritThinking}; !slices.Equal(names(frames), want) {
		t.Fatalf("frames before the close %v, want %v", names(frames), want)
	}
	aT.mu.Lock()
	closedAt, late := aT.closedAt, aT.late
	aT.mu.Unlock()
	if closedAt != len(frames) || late != 0 {
		t.Fatalf("close after %d of %d frames, %d writes after it", closedAt, len(frames), late)
	}
	_, err := connect(t, h1, s.ID, "late", "Late", newTransport(t, "late"), hub.Resume{})
	wantCode(t, err, "SHUTTING_DOWN")
	pending, err := store.PendingQuestions(context.Background(), s.ID)
	if err != nil || len(pending) != 1 || pending[0].ID != q.ID {
		t.Fatalf("pending after shutdown: %+v %v, want the question", pending, err)
	}

	// The restarted node: a new hub, a new broker, the same database.
	g2 := newGatedSpirit()
	h2 := newHub(t, store, withSpirit(g2))
	aT2 := newTransport(t, "A again")
	if _, err := connect(t, h2, s.ID, "a", "A", aT2, hub.Resume{Enabled: true, LastSeq: 1}); err != nil {
		t.Fatal(err)
	}
	if again := g2.next(t); again.ID != q.ID {
		t.Fatalf("the new hub answers %q, want the pending %q", again.Text, q.Text)
	}
	g2.answer(t)
	fs := aT2.waitCount(wire.EvSpiritResponse, 1)
	if r := named(fs, wire.EvSpiritResponse)[0]; r.str(t, "reply_to") != q.ID || r.seq() != 2 {
		t.Fatalf("spirit_response %s, want the answer to %s at seq 2", r.Data, q.ID)
	}
	msgs, err := store.Messages(context.Background(), s.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	answers := 0
	for _, m := range msgs {
		if m.IsSpirit && m.ReplyTo == q.ID {
			answers++
		}
	}
	if answers != 1 || len(msgs) != 2 {
		t.Fatalf("%d answers to the question among %d messages, want 1 of 2", answers, len(msgs))
	}
	if n := g2.calls.Load(); n != 1 {
		t.Fatalf("the new spirit was asked %d times, want 1", n)
	}
}

// 500 distinct participants join and leave a 12-seat séance at once: never
// more than 12 present, as the hub counts and as every client is told.
func TestJoinLeaveStorm(t *testing.T) {
	store := newStore(t)
	h := newHub(t, store)
	s := newSession(t, store, seance.MaxUsers)

	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if n := h.Present(context.Background(), s.ID); n > seance.MaxUsers {
				t.Errorf("present %d > %d", n, seance.MaxUsers)
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
		}
	}()

	const clients = 500
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		joined  []*transport
		refused int
	)
	start := make(chan struct{})
	// Joins go through one SQLite writer, a few milliseconds each under
	// -race: the joined stay until the séance has turned many away, so the
	// storm fills it whatever the machine's speed.
	const refusals = 50
	full := make(chan struct{})
	for i := range clients {
		wg.Go(func() {
			tr := newTransport(t, fmt.Sprintf("u%03d", i))
			<-start
			c, err := h.Join(context.Background(), s.ID, hub.Identity{UserID: tr.name, Name: tr.name}, tr, hub.Resume{})
			if err != nil {
				if code := seance.ErrorCode(err); code != seance.ESessionFull {
					t.Errorf("%s refused with %s (%v), want SESSION_FULL", tr.name, code, err)
				}
				mu.Lock()
				refused++
				if refused == refusals {
					close(full)
				}
				mu.Unlock()
				return
			}
			select {
			case <-full:
			case <-time.After(2 * time.Second):
			}
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
			c.Leave()
			mu.Lock()
			joined = append(joined, tr)
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	close(stop)
	<-watched

	if refused == 0 || len(joined) < seance.MaxUsers {
		t.Fatalf("%d joined, %d refused: the storm did not fill the séance", len(joined), refused)
	}
	for _, tr := range joined {
		frames, _ := tr.snapshot()
		st := sessionState(t, frames[0])
		if len(st.Participants) > seance.MaxUsers {
			t.Fatalf("%s: session_state lists %d participants", tr.name, len(st.Participants))
		}
		// The room as this client was told it, event by event.
		present := map[string]bool{}
		for _, e := range frames {
			switch e.Event {
			case wire.EvSessionState:
				for _, p := range sessionState(t, e).Participants {
					present[p.ID] = true
				}
			case wire.EvUserJoined:
				present[e.str(t, "id")] = true
			case wire.EvUserLeft:
				delete(present, e.str(t, "id"))
			}
			if len(present) > seance.MaxUsers {
				t.Fatalf("%s was told of %d present", tr.name, len(present))
			}
		}
	}
	if n := h.Present(context.Background(), s.ID); n != 0 {
		t.Fatalf("present %d after everyone left", n)
	}
	_, fresh := join(t, h, s.ID, "fresh", "Fresh")
	st := sessionState(t, fresh.waitCount(wire.EvSessionState, 1)[0])
	if len(st.Participants) != 1 || st.Participants[0].ID != "fresh" {
		t.Fatalf("fresh joiner sees %+v, want only itself", st.Participants)
	}
	t.Logf("%d joined, %d refused", len(joined), refused)
}

// A client resuming from 0 while the room is busy gets every persisted event
// once, in order: the replay and the live stream meet without gap or overlap.
func TestResumeWhileTheRoomTalks(t *testing.T) {
	store := newStore(t)
	h := newHub(t, store, noLimits)
	for round := range 4 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			s := newSession(t, store, 6)
			seed(t, store, s.ID, 300)
			asker, askerT := join(t, h, s.ID, "asker", "Asker")

			stop := make(chan struct{})
			done := make(chan int)
			go func() {
				n := 0
				defer func() { done <- n }()
				for ; n < 5000; n++ {
					select {
					case <-stop:
						return
					default:
					}
					ask(asker, fmt.Sprintf("question %d", n))
				}
			}()
			askerT.waitCount(wire.EvMessage, 5)

			resumer := newTransport(t, "Resumer")
			if _, err := connect(t, h, s.ID, "resumer", "Resumer", resumer, hub.Resume{Enabled: true, LastSeq: 0}); err != nil {
				t.Fatal(err)
			}
			// Keep talking a little after the join, then stop and let the
			// spirit catch up.
			seen := len(named(askerT.waitCount(wire.EvMessage, 1), wire.EvMessage))
			askerT.waitCount(wire.EvMessage, seen+10)
			close(stop)
			asked := <-done
			askerT.waitCount(wire.EvSpiritResponse, asked)

			sess, err := store.Session(context.Background(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			last := sess.LastSeq
			if want := int64(300 + 2*asked); last != want {
				t.Fatalf("last seq %d, want %d", last, want)
			}
			fs := resumer.waitFor(fmt.Sprintf("seq %d", last), func(fs []event, _ int) bool {
				seqs := persisted(fs)
				return len(seqs) > 0 && seqs[len(seqs)-1] >= last
			})
			seqs := persisted(fs)
			for i, seq := range seqs {
				if seq != int64(i+1) {
					t.Fatalf("resumed seqs: position %d has %d (…%v…), want 1..%d with no gap nor duplicate", i, seq, seqs[max(0, i-3):min(len(seqs), i+3)], last)
				}
			}
			if int64(len(seqs)) != last {
				t.Fatalf("resumed %d persisted events, want %d", len(seqs), last)
			}
		})
	}
}

// seed stores n messages, questions each followed by its answer, so that
// nothing is pending.
func seed(t *testing.T, store seance.Store, sessionID string, n int) {
	t.Helper()
	ctx := context.Background()
	var q seance.Message
	for i := range n {
		m := seance.Message{ID: uuid.NewString(), SessionID: sessionID, UserID: "old", UserName: "Old", Text: fmt.Sprintf("old question %d", i), Timestamp: seance.Timestamp(time.Now())}
		if i%2 == 1 {
			m.UserID, m.UserName, m.IsSpirit, m.ReplyTo = "spirit", "The Ghost", true, q.ID
			m.Text = "YES"
			m.LetterTimings = []int{400, 50, 50}
		}
		if err := store.AppendMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		q = m
	}
}

// user_typing reaches the others at most once per second per participant;
// one participant's throttle does not silence another.
func TestTypingThrottledPerParticipant(t *testing.T) {
	store := newStore(t)
	clk := newClock()
	h := newHub(t, store, withBroker(newBroker(inmem.WithClock(clk.Now))), func(c *hub.Config) { c.Now = clk.Now })
	s := newSession(t, store, 6)
	a, aT := join(t, h, s.ID, "a", "A")
	b, bT := join(t, h, s.ID, "b", "B")
	_, cT := join(t, h, s.ID, "c", "C")
	aT.waitCount(wire.EvUserJoined, 3)
	bT.waitCount(wire.EvUserJoined, 3)

	typers := func(tr *transport, questions int) []string {
		t.Helper()
		// A question is the sentinel: frames reach a client in order, so
		// every user_typing sent before it has arrived.
		var out []string
		for _, e := range named(tr.waitCount(wire.EvMessage, questions), wire.EvUserTyping) {
			out = append(out, e.str(t, "user_id"))
		}
		return out
	}
	for range 3 {
		typing(a)
	}
	typing(b)
	typing(b)
	clk.Advance(999 * time.Millisecond)
	typing(a)
	ask(a, "sentinel one")
	for _, tt := range []struct {
		tr   *transport
		want []string
	}{{aT, []string{"b"}}, {bT, []string{"a"}}, {cT, []string{"a", "b"}}} {
		if got := typers(tt.tr, 1); !slices.Equal(got, tt.want) {
			t.Fatalf("%s saw typing of %v, want %v", tt.tr.name, got, tt.want)
		}
	}
	clk.Advance(time.Millisecond)
	typing(a)
	ask(b, "sentinel two")
	if got := typers(cT, 2); !slices.Equal(got, []string{"a", "b", "a"}) {
		t.Fatalf("C saw typing of %v a second later, want [a b a]", got)
	}
	if e := named(bT.waitCount(wire.EvUserTyping, 2), wire.EvUserTyping)[1]; e.str(t, "name") != "A" {
		t.Fatalf("user_typing %s", e.Data)
	}
}

// A participant with two tabs is present once; user_left comes when its
// last tab goes.
func TestUserLeftWhenTheLastTabGoes(t *testing.T) {
	store := newStore(t)
	h := newHub(t, store)
	s := newSession(t, store, 2)
	_, wT := join(t, h, s.ID, "w", "W")
	tab1, _ := join(t, h, s.ID, "twin", "Twin")
	tab2, tab2T := join(t, h, s.ID, "twin", "Twin")
	st := sessionState(t, tab2T.waitCount(wire.EvSessionState, 1)[0])
	if len(st.Participants) != 2 || st.You.ID != "twin" {
		t.Fatalf("second tab's session_state %+v", st)
	}
	if n := h.Present(context.Background(), s.ID); n != 2 {
		t.Fatalf("present %d, want 2", n)
	}
	// A second tab does not take a seat: the séance (2 seats) is full for others only.
	_, err := connect(t, h, s.ID, "third", "Third", newTransport(t, "third"), hub.Resume{})
	wantCode(t, err, seance.ESessionFull)
	// Turned away, it did not become a participant.
	if ps, err := store.Participants(context.Background(), s.ID); err != nil || len(ps) != 2 {
		t.Fatalf("participants stored: %+v %v, want the 2 admitted", ps, err)
	}

	tab1.Leave()
	ask(tab2, "still here?")
	fs := upTo(wT.waitCount(wire.EvMessage, 1), wire.EvMessage)
	if want := []string{wire.EvSessionState, wire.EvUserJoined, wire.EvUserJoined, wire.EvMessage}; !slices.Equal(names(fs), want) {
		t.Fatalf("watcher saw %v, want %v: one join, no leave", names(fs), want)
	}
	tab2.Leave()
	fs = wT.waitCount(wire.EvUserLeft, 1)
	if left := named(fs, wire.EvUserLeft)[0]; left.str(t, "id") != "twin" || left.str(t, "name") != "Twin" {
		t.Fatalf("user_left %s", left.Data)
	}
	if n := h.Present(context.Background(), s.ID); n != 1 {
		t.Fatalf("present %d, want 1", n)
	}
}

// Ending a séance: everyone gets session_ended and then close 4010; later
// joins are refused with SESSION_ENDED, while the room lingers and after.
func TestEndSession(t *testing.T) {
	store := newStore(t)
	b := newBroker()
	h := newHub(t, store, withBroker(b))
	s := newSession(t, store, 6)
	_, aT := join(t, h, s.ID, "a", "A")
	_, b1T := join(t, h, s.ID, "b", "B")
	_, b2T := join(t, h, s.ID, "b", "B")
	aT.waitCount(wire.EvUserJoined, 2)

	endSession(t, store, h, s.ID)
	_, err := connect(t, h, s.ID, "late", "Late", newTransport(t, "late"), hub.Resume{})
	wantCode(t, err, seance.ESessionEnded)
	for _, tr := range []*transport{aT, b1T, b2T} {
		if code := tr.waitClosed(); code != wire.CloseEnded {
			t.Fatalf("%s closed with %d, want 4010", tr.name, code)
		}
		frames, _ := tr.snapshot()
		last := frames[len(frames)-1]
		if last.Event != wire.EvSessionEnded || last.str(t, "reason") == "" {
			t.Fatalf("%s: last frame before the close %s %s, want session_ended", tr.name, last.Event, last.Data)
		}
	}
	eventually(t, "everyone gone", func() bool { return h.Present(context.Background(), s.ID) == 0 })
	eventually(t, "the room dropped", func() bool { return b.subscriptions(s.ID) == 0 })
	_, err = connect(t, h, s.ID, "later", "Later", newTransport(t, "later"), hub.Resume{})
	wantCode(t, err, seance.ESessionEnded)
}

// A séance ended with questions still waiting drops its room once everyone
// left: the waiting questions are not owed an answer any more.
func TestEndedRoomWithWaitingQuestionsIsDropped(t *testing.T) {
	store := newStore(t)
	g := newGatedSpirit()
	b := newBroker()
	h := newHub(t, store, withSpirit(g), withBroker(b))
	s := newSession(t, store, 6)
	a, aT := join(t, h, s.ID, "a", "A")
	ask(a, "q1")
	g.next(t)
	ask(a, "q2")
	ask(a, "q3")
	aT.waitCount(wire.EvMessage, 3)

	endSession(t, store, h, s.ID)
	aT.waitClosed()
	g.answer(t)
	eventually(t, "everyone gone", func() bool { return h.Present(context.Background(), s.ID) == 0 })
	eventually(t, "the room dropped", func() bool { return b.subscriptions(s.ID) == 0 })
	if n := g.calls.Load(); n != 1 {
		t.Fatalf("the spirit was asked %d times after the end, want only the question in progress", n-1)
	}
}

// A séance that ends while its room is being loaded is not joinable: the
// end is either seen in the store or delivered to the room. A token join
// reads its participant without looking at the séance, so only the room can
// refuse it.
func TestEndWhileTheRoomLoads(t *testing.T) {
	store := newStore(t)
	b := newBroker()
	h := newHub(t, store, withBroker(b))
	s := newSession(t, store, 6)
	p := seance.Participant{ID: uuid.NewString(), SessionID: s.ID, UserID: "token-user", Name: "Tok", JoinedAt: seance.Timestamp(time.Now())}
	if err := store.AddParticipant(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	b.before = func(string) { once.Do(func() { endSession(t, store, h, s.ID) }) }

	_, err := h.Join(context.Background(), s.ID, hub.Identity{ParticipantID: p.ID}, newTransport(t, "Tok"), hub.Resume{})
	wantCode(t, err, seance.ESessionEnded)
}

// What reaches a joiner while its welcome is still being written (the end of
// the séance, a shutdown) comes after the welcome, from one writer at a time.
func TestCloseDuringWelcome(t *testing.T) {
	for _, tt := range []struct {
		name string
		// close starts closing and returns what waits for it to finish.
		close func(t *testing.T, store seance.Store, h *hub.Hub, sessionID string) (wait func())
		last  string
		code  int
	}{
		{"end", func(t *testing.T, store seance.Store, h *hub.Hub, id string) func() {
			endSession(t, store, h, id)
			return func() {}
		}, wire.EvSessionEnded, wire.CloseEnded},
		{"shutdown", func(t *testing.T, _ seance.Store, h *hub.Hub, _ string) func() {
			// Shutdown waits for the joiner's flush, which waits for the
			// test to unblock it: it runs aside.
			done := make(chan struct{})
			go func() {
				defer close(done)
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				h.Shutdown(ctx)
			}()
			return func() { <-done }
		}, wire.EvUserJoined, wire.CloseGoingAway},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore(t)
			h := newHub(t, store)
			s := newSession(t, store, 6)
			seed(t, store, s.ID, 4)
			_, wT := join(t, h, s.ID, "w", "W")

			tr := blocking(t, "Joiner")
			joined := make(chan error, 1)
			go func() {
				_, err := connect(t, h, s.ID, "j", "J", tr, hub.Resume{Enabled: true})
				joined <- err
			}()
			tr.waitBlocked() // on session_state
			closed := tt.close(t, store, h, s.ID)
			// The watcher is closed after the close of every client was queued.
			wT.waitClosed()
			tr.unblock()
			if err := <-joined; err != nil {
				t.Fatalf("join: %v", err)
			}
			closed()
			if code := tr.waitClosed(); code != tt.code {
				t.Fatalf("closed with %d, want %d", code, tt.code)
			}
			frames, _ := tr.snapshot()
			want := []string{wire.EvSessionState, wire.EvUserJoined, wire.EvUserJoined, wire.EvMessage, wire.EvSpiritResponse, wire.EvMessage, wire.EvSpiritResponse}
			if tt.last != wire.EvUserJoined {
				want = append(want, tt.last)
			}
			if !slices.Equal(names(frames), want) {
				t.Fatalf("frames %v, want %v", names(frames), want)
			}
		})
	}
}

// Every connection that joined before Shutdown refused joins is closed by
// it, even when the join and the shutdown race; questions asked meanwhile are
// kept for the next start.
func TestShutdownClosesEveryJoin(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			store := newStore(t)
			// A spirit that holds its answer until the shutdown cancels it:
			// waiting for the answer loop then takes no time, which is what
			// leaves joins in flight when the clients are collected.
			h := newHub(t, store, noLimits, withSpirit(newGatedSpirit()))
			s := newSession(t, store, seance.MaxUsers)

			var (
				wg     sync.WaitGroup
				mu     sync.Mutex
				joined []*transport
			)
			started := make(chan struct{}, 64)
			for i := range seance.MaxUsers {
				wg.Go(func() {
					for tab := 0; ; tab++ {
						tr := newTransport(t, fmt.Sprintf("u%d tab %d", i, tab))
						c, err := h.Join(context.Background(), s.ID, hub.Identity{UserID: fmt.Sprint("u", i), Name: "U"}, tr, hub.Resume{})
						if err != nil {
							if code := seance.ErrorCode(err); code != "SHUTTING_DOWN" {
								t.Errorf("join refused with %s: %v", code, err)
							}
							return
						}
						mu.Lock()
						joined = append(joined, tr)
						mu.Unlock()
						ask(c, fmt.Sprintf("question from u%d tab %d", i, tab))
						select {
						case started <- struct{}{}:
						default:
						}
					}
				})
			}
			for range 20 {
				<-started
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			h.Shutdown(ctx)
			wg.Wait()

			for _, tr := range joined {
				if !tr.isClosed() {
					t.Fatalf("%s joined before the shutdown refused joins, and was never closed", tr.name)
				}
			}
			// Every stored question is either answered or still pending.
			msgs, err := store.Messages(context.Background(), s.ID, 0, 10000)
			if err != nil {
				t.Fatal(err)
			}
			pending, err := store.PendingQuestions(context.Background(), s.ID)
			if err != nil {
				t.Fatal(err)
			}
			questions, answers := 0, 0
			for _, m := range msgs {
				if m.IsSpirit {
					answers++
				} else {
					questions++
				}
			}
			if questions != answers+len(pending) {
				t.Fatalf("%d questions, %d answers, %d pending", questions, answers, len(pending))
			}
		})
	}
}

// The answer's frame has one letter timing per character, as the hub sends it.
func TestSpiritResponseTimings(t *testing.T) {
	store := newStore(t)
	h := newHub(t, store, withSpirit(fixedSpirit("YES... 👻 née")))
	s := newSession(t, store, 6)
	a, aT := join(t, h, s.ID, "a", "A")
	ask(a, "Is it you?")
	r := named(aT.waitCount(wire.EvSpiritResponse, 1), wire.EvSpiritResponse)[0]
	msg := r.str(t, "message")
	timings, _ := r.field(t, "letter_timings").([]any)
	if msg != "YES... 👻 née" || len(timings) != utf8.RuneCountInString(msg) {
		t.Fatalf("spirit_response %s: %d timings for %d characters", r.Data, len(timings), utf8.RuneCountInString(msg))
	}
}

type fixedSpirit string

func (f fixedSpirit) Answer(context.Context, seance.Question, func(string)) (seance.Answer, error) {
	return seance.Answer{Text: string(f), Engine: "fixed"}, nil
}
