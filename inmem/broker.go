// Package inmem is the Broker of a single node: events delivered
// synchronously to the séance's subscribers in the order published, and
// presence, the spirit's lease and rate limits kept in this process.
package inmem

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/wire"
)

// Broker is a hub.Broker within one process. Several hubs may share one,
// as several nodes share a Redis: presence counts each hub's record.
type Broker struct {
	now func() time.Time

	mu   sync.RWMutex
	subs map[string]map[*subscription]struct{}

	pmu      sync.Mutex
	presence map[string]map[string]*record // séance → user id
	leases   map[string]bool

	lmu       sync.Mutex
	windows   map[string]*window
	lastSweep time.Time
}

// window is one key's events within its period, oldest first.
type window struct {
	per time.Duration
	at  []time.Time
}

type subscription struct{ deliver func(hub.Event) }

type record struct {
	p     wire.Participant
	nodes int // how many hubs have the participant
	order int64
}

var _ hub.Broker = (*Broker)(nil)

// Option adjusts a Broker.
type Option func(*Broker)

// WithClock sets the rate limits' clock.
func WithClock(now func() time.Time) Option { return func(b *Broker) { b.now = now } }

// NewBroker returns an empty broker.
func NewBroker(opts ...Option) *Broker {
	b := &Broker{
		now:      time.Now,
		subs:     map[string]map[*subscription]struct{}{},
		presence: map[string]map[string]*record{},
		leases:   map[string]bool{},
		windows:  map[string]*window{},
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Publish delivers ev to the séance's subscribers before it returns.
func (b *Broker) Publish(_ context.Context, sessionID string, ev hub.Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs[sessionID] {
		s.deliver(ev)
	}
	return nil
}

// Subscribe registers deliver for the séance's events. Nothing is ever
// missed in one process, so no Resync is sent.
func (b *Broker) Subscribe(sessionID string, deliver func(hub.Event)) func() {
	s := &subscription{deliver: deliver}
	b.mu.Lock()
	if b.subs[sessionID] == nil {
		b.subs[sessionID] = map[*subscription]struct{}{}
	}
	b.subs[sessionID][s] = struct{}{}
	b.mu.Unlock()
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs[sessionID], s)
		if len(b.subs[sessionID]) == 0 {
			delete(b.subs, sessionID)
		}
	}
}

// Enter records p in the séance, within max.
func (b *Broker) Enter(_ context.Context, sessionID string, p wire.Participant, seats int) (bool, error) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	room := b.presence[sessionID]
	if room == nil {
		room = map[string]*record{}
		b.presence[sessionID] = room
	}
	if r := room[p.ID]; r != nil {
		r.nodes++
		return false, nil
	}
	if len(room) >= seats {
		return false, seance.SessionFull(len(room), seats)
	}
	var last int64
	for _, r := range room {
		last = max(last, r.order)
	}
	room[p.ID] = &record{p: p, nodes: 1, order: last + 1}
	return true, nil
}

// Leave forgets one hub's record of userID.
func (b *Broker) Leave(_ context.Context, sessionID, userID string) (bool, error) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	room := b.presence[sessionID]
	r := room[userID]
	if r == nil {
		return false, nil
	}
	if r.nodes--; r.nodes > 0 {
		return false, nil
	}
	delete(room, userID)
	if len(room) == 0 {
		delete(b.presence, sessionID)
	}
	return true, nil
}

// Present lists the séance's participants in joining order.
func (b *Broker) Present(_ context.Context, sessionID string) ([]wire.Participant, error) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	recs := make([]*record, 0, len(b.presence[sessionID]))
	for _, r := range b.presence[sessionID] {
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(x, y *record) int { return cmp.Compare(x.order, y.order) })
	out := make([]wire.Participant, len(recs))
	for i, r := range recs {
		out[i] = r.p
	}
	return out, nil
}

// Refresh has nothing to do: a process does not outlive its own records.
func (b *Broker) Refresh(context.Context, string, []wire.Participant) ([]wire.Participant, error) {
	return nil, nil
}

// AcquireSpirit takes the séance's lease if nobody holds it.
func (b *Broker) AcquireSpirit(_ context.Context, sessionID string) (bool, error) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	if b.leases[sessionID] {
		return false, nil
	}
	b.leases[sessionID] = true
	return true, nil
}

// RenewSpirit reports whether the lease is still held.
func (b *Broker) RenewSpirit(_ context.Context, sessionID string) (bool, error) {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	return b.leases[sessionID], nil
}

// ReleaseSpirit frees the séance's lease.
func (b *Broker) ReleaseSpirit(_ context.Context, sessionID string) error {
	b.pmu.Lock()
	defer b.pmu.Unlock()
	delete(b.leases, sessionID)
	return nil
}

// Allow takes one event from key's sliding window of n per period.
func (b *Broker) Allow(_ context.Context, key string, n int, per time.Duration) (bool, time.Duration, error) {
	now := b.now()
	b.lmu.Lock()
	defer b.lmu.Unlock()
	b.sweep(now)
	w := b.windows[key]
	if w == nil {
		w = &window{per: per}
		b.windows[key] = w
	}
	w.per = per
	w.at = dropUntil(w.at, now.Add(-per))
	if len(w.at) >= n {
		return false, w.at[0].Add(per).Sub(now), nil
	}
	w.at = append(w.at, now)
	return true, 0, nil
}

// dropUntil drops the times at or before cutoff; ts is in order.
func dropUntil(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// sweep forgets the windows that have emptied, at most once a minute, so
// the map holds the keys active lately, not every key ever seen. An empty
// window is what an unknown key gets, so forgetting it changes nothing.
// Callers hold lmu.
func (b *Broker) sweep(now time.Time) {
	if now.Sub(b.lastSweep) < time.Minute {
		return
	}
	b.lastSweep = now
	for k, w := range b.windows {
		if len(w.at) == 0 || !w.at[len(w.at)-1].After(now.Add(-w.per)) {
			delete(b.windows, k)
		}
	}
}
