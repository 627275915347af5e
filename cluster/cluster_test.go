package cluster

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/seancehq/seance/wire"
)

// wait is the deadline of a step that takes milliseconds when all is
// well: generous, for a loaded machine running race-detector builds.
const wait = 10 * time.Second

// One member on each node: each hears the others arrive, speak, type and
// leave, and every node counts them all.
func TestCrossNodeDeliveryAndPresence(t *testing.T) {
	cl := newCluster(t, 3, nil)
	n1, n2, n3 := cl.nodes[0], cl.nodes[1], cl.nodes[2]
	id := n1.createSeance("Across the nodes", 6)

	a := joinClient(t, n1, id, "Ada")
	b := joinClient(t, n2, id, "Bo")
	c := joinClient(t, n3, id, "Cy")
	all := []*client{a, b, c}
	waitPresence(t, all, wait)
	waitCount(t, cl.nodes, id, 3, wait)

	const q = "Who walks between the nodes?"
	a.ask(q)
	asked := a.waitFor("the question", wait, question(q)).data()
	for _, x := range all {
		x.waitFor("the question", wait, question(q))
		x.waitFor("the answer", wait, answerTo(asked.ID))
	}
	hist := settle(t, n2, id, 1, all, wait)
	checkHistory(t, hist, []string{q})
	for _, x := range all {
		got := x.waitFor("the question", wait, question(q)).data()
		if got.Seq != asked.Seq || got.ID != asked.ID {
			t.Errorf("%s got the question as seq %d id %s; the asker as seq %d id %s", x.name, got.Seq, got.ID, asked.Seq, asked.ID)
		}
		checkDelivered(t, x, hist, 1)
	}

	b.typing()
	for _, x := range []*client{a, c} {
		x.waitFor("Bo typing", wait, func(f frame) bool { return f.Event == wire.EvUserTyping && f.data().UserID == b.id })
	}

	c.leave()
	for _, x := range []*client{a, b} {
		x.waitFor("Cy leaving", wait, leftBy(c.id))
	}
	waitCount(t, cl.nodes, id, 2, wait)

	// Bo's own typing, had it come back to Bo, would have come before
	// Cy's leave, which Bo has now received.
	if n := count(b.snapshot(), isEvent(wire.EvUserTyping)); n != 0 {
		t.Errorf("Bo received %d user_typing, its own\n%s", n, b.dump())
	}
	for _, x := range []*client{a, b} {
		if n := count(x.snapshot(), leftBy(c.id)); n != 1 {
			t.Errorf("%s received %d user_left of Cy, want 1\n%s", x.name, n, x.dump())
		}
	}
	noErrors(t, all)
}

// Twenty people take their seats at once through three nodes, for six
// seats: six sit, fourteen are turned away, and every node counts six.
func TestCapacityRace(t *testing.T) {
	const seats, joiners = 6, 20
	cl := newCluster(t, 3, nil)
	id := cl.nodes[0].createSeance("Six seats", seats)

	// Everyone has a token before anyone sits down: the race is for the
	// seats, not for the join endpoint's check of the count.
	clients := make([]*client, joiners)
	errs := make([]error, joiners)
	var wg sync.WaitGroup
	for i := range joiners {
		wg.Go(func() { clients[i], errs[i] = newClient(t, cl.nodes[i%3], id, fmt.Sprintf("guest%02d", i)) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	start := make(chan struct{})
	for i, c := range clients {
		wg.Go(func() {
			<-start
			errs[i] = c.connect(cl.nodes[i%3], -1)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	var admitted, refused []*client
	for _, c := range clients {
		f := c.waitFor("session_state or an error", wait, func(f frame) bool {
			return f.Event == wire.EvSessionState || f.Event == wire.EvError
		})
		switch {
		case f.Event == wire.EvSessionState:
			admitted = append(admitted, c)
		case f.data().Code == "SESSION_FULL":
			if code := c.waitClosed(wait); code != wire.CloseFull {
				t.Errorf("%s: SESSION_FULL, then close %d, want %d\n%s", c.name, code, wire.CloseFull, c.dump())
			}
			refused = append(refused, c)
		default:
			t.Errorf("%s: error %s, want SESSION_FULL\n%s", c.name, f.data().Code, c.dump())
		}
	}
	if len(admitted) != seats || len(refused) != joiners-seats {
		t.Fatalf("%d admitted and %d refused SESSION_FULL, want %d and %d\n%s",
			len(admitted), len(refused), seats, joiners-seats, dumpAll(clients))
	}
	waitCount(t, cl.nodes, id, seats, wait)

	// The six see each other, whichever node each sits at, and nobody
	// turned away is announced.
	waitPresence(t, admitted, wait)
	for _, c := range admitted {
		for _, r := range refused {
			if n := count(c.snapshot(), joinedBy(r.id)); n > 0 {
				t.Errorf("%s was told %s joined, who was refused\n%s", c.name, r.name, c.dump())
			}
		}
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			t.Errorf("%s was admitted and then disconnected\n%s", c.name, c.dump())
		}
	}
	noErrors(t, admitted)
}

// Questions asked at the same moment on every node: each is stored once,
// answered once, and reaches everyone once, in one order.
func TestQuestionAnsweredOnce(t *testing.T) {
	cl := newCluster(t, 3, nil)
	id := cl.nodes[0].createSeance("Many voices", 12)
	var all []*client
	for i, n := range cl.nodes {
		for k := range 2 {
			all = append(all, joinClient(t, n, id, fmt.Sprintf("asker%d%c", i+1, 'a'+k)))
		}
	}
	waitPresence(t, all, wait)

	const each = 2
	var questions []string
	for _, c := range all {
		for k := range each {
			questions = append(questions, fmt.Sprintf("Question %d of %s?", k+1, c.name))
		}
	}
	start := make(chan struct{})
	errs := make([]error, len(all))
	var wg sync.WaitGroup
	for i, c := range all {
		wg.Go(func() {
			<-start
			for k := range each {
				msg := map[string]any{"event": "send_message", "data": map[string]string{"message": questions[i*each+k]}}
				if err := c.send(msg); err != nil {
					errs[i] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	hist := settle(t, cl.nodes[1], id, len(questions), all, 30*time.Second)
	ids := checkHistory(t, hist, questions)
	for _, c := range all {
		checkDelivered(t, c, hist, 1)
		fs := c.snapshot()
		for _, q := range questions {
			if n := count(fs, answerTo(ids[q])); n != 1 {
				t.Errorf("%s received %d spirit_response to %q, want 1", c.name, n, q)
			}
		}
	}
	noErrors(t, all)
}

// The node answering a question dies mid-answer (SIGKILL). Its members
// resume on the other nodes with last_seq; the question is answered once,
// by a survivor once the lease expires; everyone ends with every message
// once, in order; the member who never came back is announced gone.
func TestNodeLoss(t *testing.T) {
	llm := newFakeLLM(t)
	cl := newCluster(t, 3, llm)
	id := cl.nodes[0].createSeance("Lights out", 12)

	// Three members at each node, so that whichever node ends up
	// answering, two of its members come back and one does not.
	seated := make([][]*client, len(cl.nodes))
	var all []*client
	for i, n := range cl.nodes {
		for k := range 3 {
			c := joinClient(t, n, id, fmt.Sprintf("%s-%c", n.name, 'a'+k))
			seated[i] = append(seated[i], c)
			all = append(all, c)
		}
	}
	waitPresence(t, all, wait)

	var questions []string
	ask := func(c *client, q string) {
		t.Helper()
		questions = append(questions, q)
		c.ask(q)
	}
	for i, n := range cl.nodes {
		ask(seated[i][0], fmt.Sprintf("Warm-up question on %s?", n.name))
	}
	settle(t, cl.nodes[0], id, len(questions), all, 20*time.Second)
	warm := len(questions)

	llm.hold()
	const inFlight = "Who will hold the lease when the lights go out?"
	ask(seated[2][1], inFlight)
	req := llm.waitRequest("the in-flight question", wait, func(r llmRequest) bool { return strings.Contains(r.prompt, inFlight) })
	v := slices.IndexFunc(cl.nodes, func(n *node) bool { return n.name == req.node })
	if v < 0 {
		t.Fatalf("the fake LLM was asked through an unknown base URL, node %q", req.node)
	}
	if v != 2 {
		// The lease went to a node whose heartbeat came between the
		// question's arrival and its asker's node taking the lease: rare,
		// and the case is the same with that node as the victim.
		t.Logf("%s, not node3, took the question asked on node3: it is the node killed", req.node)
	}
	victim, lost := cl.nodes[v], seated[v]
	var survivors []*node
	var survivorSeated [][]*client
	for i, n := range cl.nodes {
		if i != v {
			survivors = append(survivors, n)
			survivorSeated = append(survivorSeated, seated[i])
		}
	}

	// Others ask while the doomed node holds the lease: their nodes try
	// to take it and must leave the question to the holder.
	for i, n := range survivors {
		ask(survivorSeated[i][1], fmt.Sprintf("Is anyone answering, asks %s?", n.name))
	}
	for _, c := range all {
		c.waitUntil("the questions asked while the answer is held", wait, seenAll(2*warm+3))
	}

	killedAt := time.Now()
	victim.Kill()
	for _, c := range lost {
		if code := c.waitClosed(wait); code != websocket.CloseAbnormalClosure {
			t.Errorf("%s: close %d when its node was killed, want %d (no close frame)", c.name, code, websocket.CloseAbnormalClosure)
		}
	}

	// The others keep asking, and two of the lost come back elsewhere,
	// each resuming from the last seq it had.
	for i, n := range survivors {
		ask(survivorSeated[i][2], fmt.Sprintf("Did %s just go dark, asks %s?", victim.name, n.name))
	}
	back, gone := lost[:2], lost[2]
	for i, c := range back {
		c.reconnect(survivors[i])
	}
	ask(back[0], fmt.Sprintf("Back on %s: what did I miss?", survivors[0].name))

	takeover := llm.waitRequest("a surviving node's request", 3*nodeTTL, func(r llmRequest) bool {
		return r.node != victim.name && r.at.After(killedAt)
	})
	t.Logf("%s asked the model %v after %s was killed", takeover.node, takeover.at.Sub(killedAt).Round(time.Millisecond), victim.name)
	for _, r := range llm.requests() {
		if r.node != victim.name && r.at.After(req.at) && r.at.Before(killedAt) {
			t.Errorf("%s asked the model while %s held the lease:\n%s", r.node, victim.name, llm.dump())
		}
	}
	llm.release()

	live := slices.DeleteFunc(slices.Clone(all), func(c *client) bool { return c == gone })
	hist := settle(t, survivors[0], id, len(questions), live, 30*time.Second)
	ids := checkHistory(t, hist, questions)
	for _, c := range live {
		checkDelivered(t, c, hist, 1)
	}

	// The answer in flight is the model's, from a survivor: not the
	// built-in spirit's fallback, nor the dead node's.
	for _, m := range hist {
		if m.IsSpirit && m.ReplyTo == ids[inFlight] && m.Message != fakeAnswer {
			t.Errorf("the in-flight question was answered %q, not by the model", m.Message)
		}
	}
	if !slices.ContainsFunc(llm.requests(), func(r llmRequest) bool {
		return r.node != victim.name && strings.Contains(r.prompt, inFlight) && r.answered
	}) {
		t.Errorf("no surviving node had the in-flight question answered by the model; requests:\n%s", llm.dump())
	}

	// The one who never came back is announced gone, once, within the
	// node expiry and a few seconds; those who came back are not.
	limit := nodeTTL + 5*time.Second
	for _, c := range live {
		f := c.waitFor(gone.name+" leaving", time.Until(killedAt.Add(limit)), leftBy(gone.id))
		if after := f.at.Sub(killedAt); after > limit {
			t.Errorf("%s heard %s left %v after the kill, want within %v", c.name, gone.name, after, limit)
		}
	}
	f := live[0].waitFor(gone.name+" leaving", 0, leftBy(gone.id))
	t.Logf("%s announced gone %v after the kill", gone.name, f.at.Sub(killedAt).Round(time.Millisecond))
	waitCount(t, survivors, id, len(live), wait)

	// The dead node comes back on its port, and the last of its members
	// resumes there from where it was cut off.
	victim.Start()
	gone.reconnect(victim)
	for _, c := range live {
		c.waitUntil(gone.name+" returning", wait, func(fs []frame) bool {
			left := slices.IndexFunc(fs, leftBy(gone.id))
			return left >= 0 && slices.ContainsFunc(fs[left:], joinedBy(gone.id))
		})
	}
	ask(gone, fmt.Sprintf("Back on %s after the restart?", victim.name))
	hist = settle(t, victim, id, len(questions), all, 20*time.Second)
	checkHistory(t, hist, questions)
	for _, c := range all {
		checkDelivered(t, c, hist, 1)
	}
	waitCount(t, cl.nodes, id, len(all), wait)

	for _, c := range live {
		fs := c.snapshot()
		if n := count(fs, leftBy(gone.id)); n != 1 {
			t.Errorf("%s received %d user_left of %s, want 1\n%s", c.name, n, gone.name, c.dump())
		}
		for _, b := range back {
			if n := count(fs, leftBy(b.id)); n != 0 {
				t.Errorf("%s was told %s left, who came back\n%s", c.name, b.name, c.dump())
			}
		}
	}
	noErrors(t, all)
}

// Redis restarts, empty, under a running séance. Meanwhile every node says
// it is cut off, and questions asked on nodes 1 and 2 still reach their own
// node's members, answered without the lease; once Redis is back every node
// catches up from the database, and questions cross nodes again, with
// nothing lost or repeated.
func TestRedisRestart(t *testing.T) {
	cl := newCluster(t, 3, nil)
	n1, n2 := cl.nodes[0], cl.nodes[1]
	id := n1.createSeance("Through the storm", 12)
	var all []*client
	seated := make([][]*client, len(cl.nodes))
	for i, n := range cl.nodes {
		for k := range 2 {
			c := joinClient(t, n, id, fmt.Sprintf("%s-%c", n.name, 'a'+k))
			seated[i] = append(seated[i], c)
			all = append(all, c)
		}
	}
	waitPresence(t, all, wait)

	questions := []string{"Is the line open before the storm?"}
	seated[1][0].ask(questions[0])
	settle(t, n1, id, len(questions), all, wait)

	stopped := time.Now()
	cl.redis.Stop()
	for _, n := range cl.nodes {
		n.waitHealth(http.StatusServiceUnavailable, "disconnected", wait)
	}
	// Two nodes take questions at once, each with no lease to go by.
	during := []string{"Can anyone hear me through the storm?", "Is the storm answering too?"}
	questions = append(questions, during...)
	for i, q := range during {
		seated[i][0].ask(q)
	}
	asked := map[string]string{} // question → its id
	for i, q := range during {
		asked[q] = seated[i][0].waitFor("its own question", 20*time.Second, question(q)).data().ID
		for _, c := range seated[i] {
			c.waitFor("the question asked during the outage on its node", 20*time.Second, question(q))
			c.waitFor("the answer given during the outage on its node", 20*time.Second, answerTo(asked[q]))
		}
	}
	// An outage long enough for every node's periodic work to meet it more
	// than once.
	time.Sleep(time.Until(stopped.Add(nodeTTL)))

	restarted := time.Now()
	cl.redis.Start()
	for _, n := range cl.nodes {
		n.waitHealth(http.StatusOK, "connected", 20*time.Second)
	}
	t.Logf("every node healthy %v after Redis restarted", time.Since(restarted).Round(time.Millisecond))
	for _, c := range all {
		for _, q := range during {
			f := c.waitFor("a question asked during the outage", 20*time.Second, question(q))
			c.waitFor("an answer given during the outage", 20*time.Second, answerTo(asked[q]))
			t.Logf("%s got %q %v after Redis restarted", c.name, q, f.at.Sub(restarted).Round(time.Millisecond))
		}
	}

	// Typing is not stored, so only pub/sub carries it: once it crosses
	// nodes again, the subscriptions are back. Typed again each second
	// (its rate limit) until it does, since one typed before the nodes
	// resubscribed is rightly lost.
	typist, listeners := seated[2][0], []*client{seated[0][0], seated[1][0]}
	typed := func(fs []frame) bool {
		return slices.ContainsFunc(fs, func(f frame) bool {
			return f.Event == wire.EvUserTyping && f.data().UserID == typist.id
		})
	}
	for {
		typist.typing()
		if listeners[0].await(1100*time.Millisecond, typed) == nil && listeners[1].await(100*time.Millisecond, typed) == nil {
			break
		}
		if time.Since(restarted) > 20*time.Second {
			t.Fatalf("typing on node3 has not reached nodes 1 and 2 20s after Redis restarted\n%s", dumpAll(all))
		}
	}
	t.Logf("typing crosses nodes again %v after Redis restarted", time.Since(restarted).Round(time.Millisecond))

	const after = "Is the line open again?"
	questions = append(questions, after)
	seated[2][1].ask(after)
	hist := settle(t, n2, id, len(questions), all, 20*time.Second)
	checkHistory(t, hist, questions)
	for _, c := range all {
		checkDelivered(t, c, hist, 1)
	}
	waitCount(t, cl.nodes, id, len(all), wait)
	for _, c := range all {
		if n := count(c.snapshot(), isEvent(wire.EvUserLeft)); n > 0 {
			t.Errorf("%s received %d user_left, though nobody left\n%s", c.name, n, c.dump())
		}
	}
	noErrors(t, all)
}
