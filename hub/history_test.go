package hub_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/wire"
)

func seqs(ms []seance.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

// historySpirit answers at once and keeps the history each question came
// with.
type historySpirit struct {
	mu   sync.Mutex
	seen map[int64][]seance.Message // by the question's seq
}

func (s *historySpirit) Answer(_ context.Context, q seance.Question, emit func(string)) (seance.Answer, error) {
	s.mu.Lock()
	s.seen[q.Message.Seq] = q.History
	s.mu.Unlock()
	emit("YES")
	return seance.Answer{Text: "YES", Engine: "history"}, nil
}

// The spirit is shown, from the room's memory, exactly what the database
// holds before each question — across a room that opens on a séance with
// a past, and many more questions than the memory keeps.
func TestSpiritHistoryFromTheRoomEqualsTheStore(t *testing.T) {
	store := newStore(t)
	sp := &historySpirit{seen: map[int64][]seance.Message{}}
	h := newHub(t, store, withSpirit(sp), noLimits)
	sess := newSession(t, store, 6)
	// A past the room did not see: it must come from the database once.
	for i := range 15 {
		q := &seance.Message{ID: uuid.NewString(), SessionID: sess.ID, UserID: "old", UserName: "Old", Text: fmt.Sprint("before ", i), Timestamp: seance.Timestamp(time.Now())}
		a := &seance.Message{ID: uuid.NewString(), SessionID: sess.ID, UserID: "spirit", UserName: "Spirit", Text: "NO", IsSpirit: true, ReplyTo: q.ID, LetterTimings: []int{100, 100}, Timestamp: seance.Timestamp(time.Now())}
		for _, m := range []*seance.Message{q, a} {
			if err := store.AppendMessage(t.Context(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, _ := join(t, h, sess.ID, "ada", "Ada")
	// More than the room keeps (80 messages): its memory must roll.
	const questions = 60
	for i := range questions {
		c.Receive(wire.ClientFrame{Kind: wire.KindSend, Message: fmt.Sprint("question ", i)})
		deadline := time.Now().Add(10 * time.Second)
		for {
			sp.mu.Lock()
			n := len(sp.seen)
			sp.mu.Unlock()
			if n == i+1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("question %d not answered", i)
			}
			time.Sleep(time.Millisecond)
		}
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for seq, got := range sp.seen {
		const shown = 20 // the spirit is shown the 20 messages before its question
		all, err := store.Messages(t.Context(), sess.ID, max(0, seq-1-shown), shown)
		if err != nil {
			t.Fatal(err)
		}
		var want []seance.Message
		for _, m := range all {
			if m.Seq < seq {
				want = append(want, m)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("question %d was shown %v, the store holds %v", seq, seqs(got), seqs(want))
		}
	}
}
