package hub

import (
	"sync"

	"github.com/seancehq/seance/wire"
)

// Send queue bounds. A client whose queue fills is dropped with close 1008
// instead of slowing the room (or the node) down.
const (
	sendQueueLen   = 256
	replayQueueLen = 1024 // live events held while a resuming client replays history
)

// out is one item of a send queue.
type out struct {
	frame []byte
	ping  bool
	close int // after the frames before it, close with this code
}

// sendQueue is what one connection has still to send. Whoever fills it
// never waits: a room fans out to hundreds of them under its sequencer's
// lock. It writes from one goroutine at a time, and from none while it is
// empty, so an idle connection costs no goroutine; a queue that overflows
// closes its connection (1008) rather than grow.
//
// A queue starts held: the joiner writes its welcome straight to the
// transport, and what is queued meanwhile — a close included — waits for
// release. Held is not a state of its own, because a close queued during
// the welcome must neither start a writer early nor overtake the welcome.
type sendQueue struct {
	t Transport
	// overflowed is told once, when the queue drops its connection.
	overflowed func()

	mu      sync.Mutex
	closing bool // a close is queued: nothing more is taken
	closed  bool // finished: nothing is taken nor written
	held    bool
	items   []out
	writing bool
	done    chan struct{} // closed once the queue is finished
}

func newSendQueue(t Transport, overflowed func()) *sendQueue {
	return &sendQueue{t: t, overflowed: overflowed, held: true, done: make(chan struct{})}
}

// push queues o, starting a writer if none runs and the queue is not held.
func (q *sendQueue) push(o out) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closing || q.closed {
		return
	}
	limit := sendQueueLen
	if q.held {
		limit = replayQueueLen
	}
	if len(q.items) >= limit {
		q.finishLocked()
		q.overflowed()
		go q.t.Close(wire.ClosePolicy, "too slow: reconnect with last_seq")
		return
	}
	q.items = append(q.items, o)
	if o.close != 0 {
		q.closing = true
	}
	q.startLocked()
}

// release ends the hold: what was queued meanwhile is written next, in order.
func (q *sendQueue) release() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.held = false
	q.startLocked()
}

// stop drops what is queued and takes nothing more, unless a close is
// queued: that one is still written. The connection is gone.
func (q *sendQueue) stop() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closing {
		q.finishLocked()
	}
}

// startLocked starts a writer when there is work, no hold and no writer.
func (q *sendQueue) startLocked() {
	if !q.held && !q.closed && !q.writing && len(q.items) > 0 {
		q.writing = true
		go q.writeLoop()
	}
}

// writeLoop drains the queue, then exits.
func (q *sendQueue) writeLoop() {
	for {
		q.mu.Lock()
		if len(q.items) == 0 || q.closed {
			q.writing = false
			q.mu.Unlock()
			return
		}
		batch := q.items
		q.items = nil
		q.mu.Unlock()
		for _, o := range batch {
			if !q.write(o) {
				return
			}
		}
	}
}

// write sends one item; false once the queue is finished.
func (q *sendQueue) write(o out) bool {
	var err error
	switch {
	case o.close != 0:
		q.t.Close(o.close, "")
		q.finish()
		return false
	case o.ping:
		err = q.t.WritePing()
	default:
		err = q.t.WriteText(o.frame)
	}
	if err != nil {
		q.t.Close(wire.CloseGoingAway, "")
		q.finish()
		return false
	}
	return true
}

func (q *sendQueue) finish() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.finishLocked()
}

// finishLocked closes the queue for good. Callers hold mu.
func (q *sendQueue) finishLocked() {
	q.closed = true
	q.items = nil
	q.writing = false
	select {
	case <-q.done:
	default:
		close(q.done)
	}
}
