// Package inmem is the in-process Broker: one node, events delivered
// synchronously to the séance's subscribers, in the order published.
package inmem

import (
	"context"
	"sync"

	"github.com/seancehq/seance/hub"
)

// Broker is a hub.Broker within one process.
type Broker struct {
	mu   sync.RWMutex
	subs map[string]map[*subscription]struct{}
}

type subscription struct{ deliver func(hub.Event) }

var _ hub.Broker = (*Broker)(nil)

// NewBroker returns an empty broker.
func NewBroker() *Broker { return &Broker{subs: map[string]map[*subscription]struct{}{}} }

// Publish delivers ev to the séance's subscribers before it returns.
func (b *Broker) Publish(_ context.Context, sessionID string, ev hub.Event) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs[sessionID] {
		s.deliver(ev)
	}
	return nil
}

// Subscribe registers deliver for the séance's events.
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
