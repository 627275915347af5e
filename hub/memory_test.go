package hub

import (
	"slices"
	"testing"

	"github.com/seancehq/seance"
)

func msgs(from, to int64) []seance.Message {
	var out []seance.Message
	for s := from; s <= to; s++ {
		out = append(out, seance.Message{Seq: s, Text: string(rune('a' + s%26))})
	}
	return out
}

func seqsOf(ms []seance.Message) []int64 {
	out := make([]int64, len(ms))
	for i, m := range ms {
		out[i] = m.Seq
	}
	return out
}

// The memory answers exactly what the database would for the messages
// before a question (Messages(after seq-1-n, n), trimmed to before seq),
// or says it cannot.
func TestMemoryBefore(t *testing.T) {
	db := msgs(1, 200)
	fromDB := func(seq int64, n int) []seance.Message {
		var out []seance.Message
		for _, m := range db {
			if m.Seq > seq-1-int64(n) && m.Seq < seq {
				out = append(out, m)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name    string
		lastSeq int64 // the séance when the room loaded
		fill    []seance.Message
		then    int64 // delivered up to here after loading
	}{
		{"new séance", 0, nil, 120},
		{"short séance", 5, msgs(1, 5), 40},
		{"long séance", 150, msgs(150-memoryLen+1, 150), 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var m memory
			m.fill(tt.fill, tt.lastSeq)
			for s := tt.lastSeq + 1; s <= tt.then; s++ {
				m.add(db[s-1])
				m.add(db[s-1]) // delivered twice: remembered once
				for _, seq := range []int64{1, 2, s - 30, s - 5, s, s + 1} {
					if seq < 1 {
						continue
					}
					got, ok := m.before(seq, historyForSpirit)
					if !ok {
						if seq > tt.then || seq-int64(historyForSpirit) >= m.from {
							t.Fatalf("after %d: before(%d) not held, memory from %d", s, seq, m.from)
						}
						continue
					}
					if want := fromDB(seq, historyForSpirit); !slices.Equal(seqsOf(got), seqsOf(want)) {
						t.Fatalf("after %d: before(%d) = %v, the database %v", s, seq, seqsOf(got), seqsOf(want))
					}
				}
			}
		})
	}
}

// A message out of line empties the memory rather than show a history with
// a hole; the database is read instead.
func TestMemoryGap(t *testing.T) {
	var m memory
	m.fill(msgs(1, 10), 10)
	m.add(seance.Message{Seq: 13})
	if _, ok := m.before(12, historyForSpirit); ok {
		t.Fatal("a history across a gap was served from memory")
	}
	if got, ok := m.before(14, 1); !ok || len(got) != 1 || got[0].Seq != 13 {
		t.Fatalf("after the gap: %v %v", seqsOf(got), ok)
	}
}
