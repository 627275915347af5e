package hub

import (
	"context"
	"sync"
	"time"

	"github.com/seancehq/seance/wire"
)

// gapWait is how long a persisted event that arrived ahead of its
// predecessor waits for it before the room reads the gap from the database.
// Nodes publish independently, so across nodes seq 7 may overtake seq 6 by
// a fraction of a millisecond; a lost publication is the rare case.
const gapWait = 10 * time.Millisecond

// seqState delivers persisted events to this node's clients in sequence
// order, each once. The database assigns the numbers without gaps, so a
// number this node has not seen yet is either on its way from another node
// or was lost (Redis down, a subscription not yet effective): either way
// the database has it.
type seqState struct {
	mu        sync.Mutex
	ready     bool            // the room is loaded: delivered means something
	delivered int64           // every persisted event up to here has been fanned out
	held      map[int64]Event // arrived ahead of a gap
	after     []Event         // events waiting for their After to be delivered, in arrival order
	filling   bool            // a read of the database is scheduled or running
}

// deliver takes an event from the broker.
func (r *room) deliver(ev Event) {
	switch {
	case ev.Resync:
		r.catchUp()
		return
	case ev.Ends:
		r.ended.Store(true)
	case ev.Taking != "":
		r.qmu.Lock()
		r.taken(ev.Taking)
		r.qmu.Unlock()
	}
	if ev.Seq == 0 && ev.After == 0 {
		r.fanout(ev)
		return
	}
	r.seq.mu.Lock()
	defer r.seq.mu.Unlock()
	if ev.Seq == 0 {
		if r.seq.ready && ev.After <= r.seq.delivered && len(r.seq.after) == 0 {
			r.fanout(ev)
			return
		}
		r.seq.after = append(r.seq.after, ev)
		return
	}
	if !r.seq.ready {
		r.seq.held[ev.Seq] = ev // sorted out by ready
		return
	}
	r.sequence(ev)
}

// ready sets the boundary read at load time and delivers what arrived
// while loading.
func (r *room) ready(lastSeq int64) {
	r.seq.mu.Lock()
	defer r.seq.mu.Unlock()
	r.seq.ready = true
	r.seq.delivered = lastSeq
	r.drain()
	r.releaseAfter()
}

// sequence delivers ev if it is next, holds it if it is early, drops it if
// it was delivered already. Callers hold seq.mu.
func (r *room) sequence(ev Event) {
	switch {
	case ev.Seq <= r.seq.delivered:
		return
	case ev.Seq > r.seq.delivered+1:
		r.seq.held[ev.Seq] = ev
		r.fillLater(gapWait)
		return
	}
	r.emit(ev)
	r.drain()
}

// drain delivers the held events that are next in line, forgets those
// already delivered, and schedules a read if a gap remains. Callers hold
// seq.mu.
func (r *room) drain() {
	for {
		ev, ok := r.seq.held[r.seq.delivered+1]
		if !ok {
			break
		}
		delete(r.seq.held, ev.Seq)
		r.emit(ev)
	}
	for s := range r.seq.held {
		if s <= r.seq.delivered {
			delete(r.seq.held, s)
		}
	}
	if len(r.seq.held) > 0 {
		r.fillLater(gapWait)
	}
}

// emit fans out the next persisted event and counts the question it asks
// or answers. Callers hold seq.mu.
func (r *room) emit(ev Event) {
	r.seq.delivered = ev.Seq
	r.fanout(ev)
	if ev.Msg != nil {
		r.qmu.Lock()
		r.track(*ev.Msg)
		r.qmu.Unlock()
	}
	r.releaseAfter()
}

// releaseAfter delivers the waiting events whose persisted event has been
// delivered, keeping their order: one still waiting holds back those that
// came after it. Callers hold seq.mu.
func (r *room) releaseAfter() {
	if !r.seq.ready {
		return
	}
	i := 0
	for i < len(r.seq.after) && r.seq.after[i].After <= r.seq.delivered {
		r.fanout(r.seq.after[i])
		i++
	}
	if i > 0 {
		r.seq.after = append(r.seq.after[:0], r.seq.after[i:]...)
	}
}

// catchUp reads from the database whatever this node has not delivered.
func (r *room) catchUp() {
	r.seq.mu.Lock()
	defer r.seq.mu.Unlock()
	if r.seq.ready {
		r.fillLater(0)
	}
}

// fillLater schedules one read of the database after wait, unless one is
// scheduled already. Callers hold seq.mu.
func (r *room) fillLater(wait time.Duration) {
	if r.seq.filling {
		return
	}
	r.seq.filling = true
	time.AfterFunc(wait, r.fill)
}

// fill delivers, in order, every stored message after the last delivered.
func (r *room) fill() {
	h := r.hub
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	for {
		r.seq.mu.Lock()
		from := r.seq.delivered
		r.seq.mu.Unlock()
		page, err := h.cfg.Store.Messages(ctx, r.id, from, replayPage)
		r.seq.mu.Lock()
		if err != nil {
			h.log.Warn("catch up from the database; retrying", "session_id", r.id, "err", err)
			r.seq.filling = false
			if len(r.seq.held) > 0 {
				r.fillLater(time.Second)
			}
			r.seq.mu.Unlock()
			return
		}
		for _, m := range page {
			if m.Seq != r.seq.delivered+1 {
				continue
			}
			msg := m
			r.emit(Event{Seq: m.Seq, Frame: wire.PersistedFrame(m, r.session.Spirit), Msg: &msg})
		}
		if len(page) == replayPage {
			r.seq.mu.Unlock()
			continue
		}
		r.seq.filling = false
		r.drain()
		r.seq.mu.Unlock()
		return
	}
}
