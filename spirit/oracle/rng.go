package oracle

import "github.com/seancehq/seance"

// rng is splitmix64: tiny, allocation-free and the same on every platform,
// which the reproducibility of answers depends on.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

// chance is true num times in den.
func (r *rng) chance(num, den int) bool { return r.intn(den) < num }

// seedFor hashes the séance's state as the question finds it: the séance,
// the persona, who asks what (key: the question's normalised words, so that
// "Will I pass?" and "will i pass" are one question), who is present, and
// the history. The same state gives the same answer; any change, even one
// message more, gives another draw.
func seedFor(q seance.Question, key string) *rng {
	h := uint64(14695981039346656037)
	add := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff // a separator no UTF-8 text contains
		h *= 1099511628211
	}
	add(q.SessionID)
	add(q.Persona)
	add(q.Message.UserName)
	add(key)
	for _, p := range q.Participants {
		add(p)
	}
	for _, m := range q.History {
		add(m.ID)
		add(m.Text)
	}
	return &rng{s: h}
}
