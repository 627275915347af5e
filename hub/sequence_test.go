package hub

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// seqHarness is a sequencer over a fake database of persisted events.
type seqHarness struct {
	t   *testing.T
	s   *sequencer
	mu  sync.Mutex
	out []Event // what was delivered, in order
	db  []Event // the database: persisted events by seq, from 1
	// failReads makes that many reads fail first.
	failReads int
	reads     int
	changed   chan struct{}
}

func newSeqHarness(t *testing.T, page int) *seqHarness {
	h := &seqHarness{t: t, changed: make(chan struct{}, 1)}
	h.s = newSequencer(h.deliver, h.read, page)
	h.s.gapWait = time.Millisecond
	return h
}

func (h *seqHarness) deliver(ev Event) {
	h.mu.Lock()
	h.out = append(h.out, ev)
	h.mu.Unlock()
	select {
	case h.changed <- struct{}{}:
	default:
	}
}

func (h *seqHarness) read(_ context.Context, after int64) ([]Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reads++
	if h.failReads > 0 {
		h.failReads--
		return nil, errors.New("database away")
	}
	var page []Event
	for _, ev := range h.db {
		if ev.Seq > after && len(page) < h.s.page {
			page = append(page, ev)
		}
	}
	return page, nil
}

// stored puts persisted events 1..n in the database.
func (h *seqHarness) stored(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := len(h.db) + 1; i <= n; i++ {
		h.db = append(h.db, persistedEv(int64(i)))
	}
}

func persistedEv(seq int64) Event { return Event{Seq: seq, Frame: []byte{byte('0' + seq%10)}} }

func afterEv(after int64, name string) Event { return Event{After: after, Frame: []byte(name)} }

// names lists the delivered events: seqs as numbers, others by frame.
func (h *seqHarness) names() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, ev := range h.out {
		if ev.Seq != 0 {
			out = append(out, string(rune('0'+ev.Seq)))
		} else {
			out = append(out, string(ev.Frame))
		}
	}
	return out
}

func (h *seqHarness) want(want ...string) {
	h.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		got := h.names()
		if slices.Equal(got, want) {
			// And nothing more comes of it.
			time.Sleep(20 * time.Millisecond)
			if got := h.names(); !slices.Equal(got, want) {
				h.t.Fatalf("delivered %q, want %q", got, want)
			}
			return
		}
		if len(got) > len(want) {
			h.t.Fatalf("delivered %q, want %q", got, want)
		}
		select {
		case <-h.changed:
		case <-deadline:
			h.t.Fatalf("delivered %q, want %q", got, want)
		}
	}
}

func TestSequencerInOrderOnce(t *testing.T) {
	h := newSeqHarness(t, 200)
	h.s.start(0)
	for _, n := range []int64{1, 2, 2, 1, 3} {
		h.s.push(persistedEv(n))
	}
	h.want("1", "2", "3")
}

// Across nodes seq 2 may overtake seq 1: it waits for it.
func TestSequencerEarlyEventWaits(t *testing.T) {
	h := newSeqHarness(t, 200)
	h.s.gapWait = time.Hour // only the predecessor's arrival releases it
	h.s.start(0)
	h.s.push(persistedEv(2))
	h.want()
	h.s.push(persistedEv(1))
	h.want("1", "2")
}

// A predecessor that never comes (a lost publication) is read from the
// database, and the early event is delivered once, after it.
func TestSequencerGapReadFromDatabase(t *testing.T) {
	h := newSeqHarness(t, 200)
	h.stored(3)
	h.s.start(0)
	h.s.push(persistedEv(3))
	h.want("1", "2", "3")
}

// A catch-up reads every page; a failed read is tried again.
func TestSequencerCatchUpPagesAndRetries(t *testing.T) {
	h := newSeqHarness(t, 2)
	h.stored(5)
	h.failReads = 1
	h.s.start(0)
	h.s.push(persistedEv(5)) // a gap: the read fails, is tried again
	h.want("1", "2", "3", "4", "5")

	h.stored(7)
	h.s.catchUp() // as after a Resync: nothing arrived, the database has it
	h.want("1", "2", "3", "4", "5", "6", "7")
}

// Before the room is loaded, persisted events are held; start sets the
// boundary and delivers only what lies beyond it.
func TestSequencerStartBoundary(t *testing.T) {
	h := newSeqHarness(t, 200)
	h.s.push(persistedEv(2))
	h.s.push(persistedEv(3))
	h.s.push(afterEv(3, "chunk"))
	h.want()
	h.s.start(2)
	h.want("3", "chunk")
	if got := h.s.holding(func() {}); got != 3 {
		t.Fatalf("boundary %d, want 3", got)
	}
}

// The spirit's thinking and chunks (After) never overtake their question,
// nor each other.
func TestSequencerAfterEvents(t *testing.T) {
	h := newSeqHarness(t, 200)
	h.s.gapWait = time.Hour
	h.s.start(0)
	h.s.push(afterEv(2, "thinking"))
	h.s.push(afterEv(1, "late-but-queued")) // behind thinking, whose question is not here
	h.want()
	h.s.push(persistedEv(1))
	h.want("1") // late-but-queued waits behind thinking, in arrival order
	h.s.push(persistedEv(2))
	h.want("1", "2", "thinking", "late-but-queued")
	h.s.push(afterEv(2, "chunk"))
	h.want("1", "2", "thinking", "late-but-queued", "chunk")
}
