package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance/wire"
)

// waitPresence waits until every client has seen a user_joined for every
// client (itself included: the joiner gets one per participant present).
func waitPresence(t *testing.T, cs []*client, timeout time.Duration) {
	t.Helper()
	for _, c := range cs {
		c.waitUntil("a user_joined of everyone", timeout, func(fs []frame) bool {
			for _, o := range cs {
				if count(fs, joinedBy(o.id)) == 0 {
					return false
				}
			}
			return true
		})
	}
}

// settle waits until the database holds an answer to each of want
// questions, then until every client has received every stored message,
// and returns the history as n reads it.
func settle(t *testing.T, n *node, sessionID string, want int, cs []*client, timeout time.Duration) []message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var hist []message
	for {
		hist = n.history(sessionID)
		answers := 0
		for _, m := range hist {
			if m.IsSpirit {
				answers++
			}
		}
		if answers >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d questions answered after %v; history:\n%s\nclients:\n%s", answers, want, timeout, dumpHistory(hist), dumpAll(cs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	last := int64(len(hist))
	for _, c := range cs {
		c.waitUntil(fmt.Sprintf("every message up to seq %d", last), time.Until(deadline)+time.Second, func(fs []frame) bool {
			for _, f := range fs {
				if f.persisted() && f.data().Seq >= last {
					return true
				}
			}
			return false
		})
	}
	return hist
}

// checkHistory checks the stored history: seqs 1..N without a gap, each
// question asked once, and each question with exactly one answer, stored
// after it. It returns the questions' ids by text.
func checkHistory(t *testing.T, hist []message, questions []string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	byID := map[string]message{}
	answers := map[string][]message{}
	var problems []string
	for i, m := range hist {
		if m.Seq != int64(i+1) {
			problems = append(problems, fmt.Sprintf("message %d has seq %d", i+1, m.Seq))
		}
		if m.IsSpirit {
			answers[m.ReplyTo] = append(answers[m.ReplyTo], m)
			continue
		}
		if _, dup := ids[m.Message]; dup {
			problems = append(problems, fmt.Sprintf("question %q stored twice", m.Message))
		}
		ids[m.Message] = m.ID
		byID[m.ID] = m
	}
	for _, q := range questions {
		id, ok := ids[q]
		if !ok {
			problems = append(problems, fmt.Sprintf("question %q not stored", q))
			continue
		}
		switch as := answers[id]; {
		case len(as) == 0:
			problems = append(problems, fmt.Sprintf("question %q (seq %d) has no answer", q, byID[id].Seq))
		case len(as) > 1:
			problems = append(problems, fmt.Sprintf("question %q (seq %d) has %d answers", q, byID[id].Seq, len(as)))
		case as[0].Seq < byID[id].Seq:
			problems = append(problems, fmt.Sprintf("question %q (seq %d) answered before it was asked (seq %d)", q, byID[id].Seq, as[0].Seq))
		}
	}
	if len(ids) != len(questions) {
		problems = append(problems, fmt.Sprintf("%d questions stored, %d asked", len(ids), len(questions)))
	}
	for replyTo, as := range answers {
		if _, ok := byID[replyTo]; !ok {
			problems = append(problems, fmt.Sprintf("%d answer(s) to %s, no stored question", len(as), replyTo))
		}
	}
	if len(problems) > 0 {
		t.Fatalf("history:\n  %s\nstored:\n%s", strings.Join(problems, "\n  "), dumpHistory(hist))
	}
	return ids
}

// checkDelivered compares what c received of the stored messages with
// the history: from seq `from` on, each exactly once, in seq order, as the
// event of its kind and with the stored id; and checks that nothing the
// spirit said came before its question.
func checkDelivered(t *testing.T, c *client, hist []message, from int64) {
	t.Helper()
	var got []int64
	var problems []string
	for _, f := range c.snapshot() {
		if !f.persisted() {
			continue
		}
		d := f.data()
		got = append(got, d.Seq)
		if d.Seq < 1 || d.Seq > int64(len(hist)) {
			problems = append(problems, fmt.Sprintf("seq %d is not stored", d.Seq))
			continue
		}
		m := hist[d.Seq-1]
		if want := map[bool]string{false: wire.EvMessage, true: wire.EvSpiritResponse}[m.IsSpirit]; f.Event != want || d.ID != m.ID {
			problems = append(problems, fmt.Sprintf("seq %d came as %s %s, stored as %s %s", d.Seq, f.Event, d.ID, want, m.ID))
		}
	}
	var want []int64
	for s := from; s <= int64(len(hist)); s++ {
		want = append(want, s)
	}
	if !slices.Equal(got, want) {
		problems = append(problems, fmt.Sprintf("seqs received %v, want %v", got, want))
	}
	if len(problems) > 0 {
		t.Errorf("%s: %s\n%s", c.name, strings.Join(problems, "; "), c.dump())
	}
	checkCausal(t, c)
}

// checkCausal checks that c heard of each question before anything the
// spirit said about it: spirit_thinking, spirit_chunk and spirit_response
// name a question (reply_to) that c received as message_received, or in
// a session_state's history, before.
func checkCausal(t *testing.T, c *client) {
	t.Helper()
	known := map[string]bool{}
	var problems []string
	for i, f := range c.snapshot() {
		switch f.Event {
		case wire.EvSessionState:
			var st struct {
				History []struct {
					ID string `json:"id"`
				} `json:"history"`
			}
			_ = json.Unmarshal(f.Data, &st)
			for _, m := range st.History {
				known[m.ID] = true
			}
		case wire.EvMessage:
			known[f.data().ID] = true
		case wire.EvSpiritThinking, wire.EvSpiritChunk, wire.EvSpiritResponse:
			if q := f.data().ReplyTo; !known[q] {
				problems = append(problems, fmt.Sprintf("frame %d, %s, is about question %s, not received yet", i, f.Event, q))
			}
		}
	}
	if len(problems) > 0 {
		t.Errorf("%s: %s\n%s", c.name, strings.Join(problems, "; "), c.dump())
	}
}

// noErrors fails the test for every error event a client received.
func noErrors(t *testing.T, cs []*client) {
	t.Helper()
	for _, c := range cs {
		if n := count(c.snapshot(), isEvent(wire.EvError)); n > 0 {
			t.Errorf("%s received %d error event(s)\n%s", c.name, n, c.dump())
		}
	}
}

func dumpHistory(hist []message) string {
	var b strings.Builder
	for _, m := range hist {
		if m.IsSpirit {
			fmt.Fprintf(&b, "  %3d answer %s to %s: %q\n", m.Seq, m.ID, m.ReplyTo, m.Message)
		} else {
			fmt.Fprintf(&b, "  %3d question %s by %s: %q\n", m.Seq, m.ID, m.UserID, m.Message)
		}
	}
	return b.String()
}
