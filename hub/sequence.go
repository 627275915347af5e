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

// sequencer hands persisted events on in sequence order, each once, and
// holds back the events that must follow one of them (After). The database
// assigns the numbers without gaps, so a number not seen yet is either on
// its way from another node or was lost (Redis down, a subscription not
// yet effective): either way the database has it, and read reads it.
type sequencer struct {
	// deliver hands an event on; it is called in order, under mu, and
	// must not block.
	deliver func(Event)
	// read returns the persisted events after seq, oldest first, a page at
	// a time (fewer than a page: the last).
	read func(ctx context.Context, after int64) ([]Event, error)
	page int
	// gapWait is how long an early event waits for its predecessors
	// before they are read.
	gapWait time.Duration

	mu        sync.Mutex
	ready     bool            // start was called: delivered means something
	delivered int64           // every persisted event up to here has been delivered
	held      map[int64]Event // arrived ahead of a gap
	after     []Event         // events waiting for their After to be delivered, in arrival order
	filling   bool            // a read is scheduled or running
}

func newSequencer(deliver func(Event), read func(ctx context.Context, after int64) ([]Event, error), page int) *sequencer {
	return &sequencer{deliver: deliver, read: read, page: page, gapWait: gapWait, held: map[int64]Event{}}
}

// push takes a persisted event (Seq set) or one that follows one (After
// set). Before start, persisted events are held.
func (s *sequencer) push(ev Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev.Seq == 0 {
		if s.ready && ev.After <= s.delivered && len(s.after) == 0 {
			s.deliver(ev)
			return
		}
		s.after = append(s.after, ev)
		return
	}
	if !s.ready {
		s.held[ev.Seq] = ev // sorted out by start
		return
	}
	switch {
	case ev.Seq <= s.delivered:
		return
	case ev.Seq > s.delivered+1:
		s.held[ev.Seq] = ev
		s.fillLater(s.gapWait)
		return
	}
	s.emit(ev)
	s.drain()
}

// start sets the boundary read when the room loaded and delivers what
// arrived meanwhile.
func (s *sequencer) start(lastSeq int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ready = true
	s.delivered = lastSeq
	s.drain()
	s.releaseAfter()
}

// holding runs f with the sequencer still and returns the last seq
// delivered: what a joiner registered in f has been sent and what it will
// be sent are split exactly there.
func (s *sequencer) holding(f func()) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	return s.delivered
}

// catchUp reads from the database whatever has not been delivered.
func (s *sequencer) catchUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		s.fillLater(0)
	}
}

// drain delivers the held events that are next in line, forgets those
// already delivered, and schedules a read if a gap remains. Callers hold mu.
func (s *sequencer) drain() {
	for {
		ev, ok := s.held[s.delivered+1]
		if !ok {
			break
		}
		delete(s.held, ev.Seq)
		s.emit(ev)
	}
	for n := range s.held {
		if n <= s.delivered {
			delete(s.held, n)
		}
	}
	if len(s.held) > 0 {
		s.fillLater(s.gapWait)
	}
}

// emit delivers the next persisted event, then what waited for it.
// Callers hold mu.
func (s *sequencer) emit(ev Event) {
	s.delivered = ev.Seq
	s.deliver(ev)
	s.releaseAfter()
}

// releaseAfter delivers the waiting events whose persisted event has been
// delivered, keeping their order: one still waiting holds back those that
// came after it. Callers hold mu.
func (s *sequencer) releaseAfter() {
	if !s.ready {
		return
	}
	i := 0
	for i < len(s.after) && s.after[i].After <= s.delivered {
		s.deliver(s.after[i])
		i++
	}
	if i > 0 {
		s.after = append(s.after[:0], s.after[i:]...)
	}
}

// fillLater schedules one read after wait, unless one is scheduled
// already. Callers hold mu.
func (s *sequencer) fillLater(wait time.Duration) {
	if s.filling {
		return
	}
	s.filling = true
	time.AfterFunc(wait, s.fill)
}

// fill delivers, in order, every stored event after the last delivered;
// a failed read is tried again a second later while a gap remains.
func (s *sequencer) fill() {
	ctx, cancel := context.WithTimeout(context.Background(), loadTimeout)
	defer cancel()
	for {
		s.mu.Lock()
		from := s.delivered
		s.mu.Unlock()
		page, err := s.read(ctx, from)
		s.mu.Lock()
		if err != nil {
			s.filling = false
			if len(s.held) > 0 {
				s.fillLater(time.Second)
			}
			s.mu.Unlock()
			return
		}
		for _, ev := range page {
			if ev.Seq == s.delivered+1 {
				s.emit(ev)
			}
		}
		if len(page) == s.page {
			s.mu.Unlock()
			continue
		}
		s.filling = false
		s.drain()
		s.mu.Unlock()
		return
	}
}

// deliver takes an event from the broker.
func (r *room) deliver(ev Event) {
	switch {
	case ev.Resync:
		r.seq.catchUp()
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
	r.seq.push(ev)
}

// delivered is the sequencer's way out: to this node's clients, and a
// persisted message to the count of questions owed an answer and to the
// room's memory.
func (r *room) delivered(ev Event) {
	r.fanout(ev)
	if ev.Msg != nil {
		r.qmu.Lock()
		r.track(*ev.Msg)
		r.memory.add(*ev.Msg)
		r.qmu.Unlock()
	}
}

// readPersisted is the sequencer's way to the database: the séance's
// messages after seq, as the events that carried them.
func (r *room) readPersisted(ctx context.Context, after int64) ([]Event, error) {
	ms, err := r.hub.cfg.Store.Messages(ctx, r.id, after, replayPage)
	if err != nil {
		r.hub.log.Warn("catch up from the database; retrying", "session_id", r.id, "err", err)
		return nil, err
	}
	evs := make([]Event, len(ms))
	for i := range ms {
		m := ms[i]
		evs[i] = Event{Seq: m.Seq, Frame: wire.PersistedFrame(m, r.session.Spirit), Msg: &m}
	}
	return evs, nil
}
