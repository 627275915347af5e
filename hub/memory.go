package hub

import "github.com/seancehq/seance"

// memoryLen is how many of a séance's latest messages a room keeps: the
// spirit is shown historyForSpirit of them before its question, and a few
// questions may be asked between a question and its answer.
const memoryLen = 4 * historyForSpirit

// memory is a room's latest messages, in sequence order without a gap, so
// that the spirit is shown the séance's recent history without a database
// read per answer. It is filled once from the database when the room
// loads, then from the persisted events the sequencer delivers, in order.
type memory struct {
	msgs []seance.Message
	// from is the lowest seq from which msgs holds every message: the
	// first one's, or 1 when the séance has no earlier message.
	from int64
}

// fill starts the memory with the séance's latest messages up to lastSeq,
// as read from the database (oldest first, without a gap).
func (m *memory) fill(ms []seance.Message, lastSeq int64) {
	m.msgs = m.msgs[:0]
	m.from = lastSeq + 1
	for _, msg := range ms {
		if msg.Seq <= lastSeq {
			m.msgs = append(m.msgs, msg)
		}
	}
	if len(m.msgs) > 0 {
		m.from = m.msgs[0].Seq
	}
	if int64(len(m.msgs)) == lastSeq {
		m.from = 1
	}
	m.trim()
}

// add remembers the next delivered message; one out of line (a gap the
// sequencer would never let through) empties the memory rather than lie.
func (m *memory) add(msg seance.Message) {
	next := m.from + int64(len(m.msgs))
	switch {
	case msg.Seq < next:
		return // remembered already
	case msg.Seq > next:
		m.msgs, m.from = m.msgs[:0], msg.Seq
	}
	m.msgs = append(m.msgs, msg)
	m.trim()
}

func (m *memory) trim() {
	if over := len(m.msgs) - memoryLen; over > 0 {
		m.msgs = append(m.msgs[:0], m.msgs[over:]...)
		m.from = m.msgs[0].Seq
	}
}

// before returns the n messages before seq (fewer at the séance's start),
// oldest first, and whether the memory holds all of them.
func (m *memory) before(seq int64, n int) ([]seance.Message, bool) {
	lo := max(1, seq-int64(n))
	hi := seq - 1
	if hi < lo {
		return nil, true
	}
	last := m.from + int64(len(m.msgs)) - 1
	if lo < m.from || hi > last {
		return nil, false
	}
	out := make([]seance.Message, hi-lo+1)
	copy(out, m.msgs[lo-m.from:hi-m.from+1])
	return out, true
}
