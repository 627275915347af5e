package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/seancehq/seance/hub"
)

type subscription struct{ deliver func(hub.Event) }

// Publish delivers ev to this node's subscribers, then queues it for the
// other nodes. Local delivery comes first and does not depend on Redis, so
// a node keeps serving its own members through an outage. The queue is sent
// in order by one goroutine, in pipelines, so a room never waits on a Redis
// round trip; an error says that Redis was unreachable at the last attempt,
// and the other nodes will read what they missed from the database.
func (b *Broker) Publish(ctx context.Context, sessionID string, ev hub.Event) error {
	ch := b.channel(sessionID)
	b.dispatch(ch, ev)
	payload, err := encodeEvent(b.node, ev)
	if err != nil {
		return fmt.Errorf("redis: encode event of séance %s: %w", sessionID, err)
	}
	select {
	case b.outbox <- outgoing{channel: ch, payload: payload}:
	case <-b.stopping:
		return b.wrap("publish to séance "+sessionID, errors.New("broker closed"))
	case <-ctx.Done():
		return b.wrap("publish to séance "+sessionID, ctx.Err())
	}
	if err := b.sendErr.Load(); err != nil {
		return b.wrap("publish to séance "+sessionID, *err)
	}
	return nil
}

// outgoing is one publication waiting to be sent.
type outgoing struct {
	channel string
	payload []byte
}

// Sending: batches of at most sendBatch publications, each given
// sendTimeout; a batch that fails is dropped, not retried, since the
// events are in the database (or were only worth hearing at the moment).
const (
	outboxLen   = 8192
	sendBatch   = 256
	sendTimeout = 2 * time.Second
)

// send publishes the outbox in order until the broker stops, then sends
// what is left.
func (b *Broker) send() {
	batch := make([]outgoing, 0, sendBatch)
	for {
		select {
		case o := <-b.outbox:
			batch = append(batch[:0], o)
		case <-b.stopping:
			for {
				batch = batch[:0]
				for len(batch) < sendBatch && len(b.outbox) > 0 {
					batch = append(batch, <-b.outbox)
				}
				if len(batch) == 0 {
					return
				}
				b.sendBatch(batch)
			}
		}
		for len(batch) < sendBatch && len(b.outbox) > 0 {
			batch = append(batch, <-b.outbox)
		}
		b.sendBatch(batch)
	}
}

// sendBatch publishes a batch. The séances of a batch that failed are
// told, with the next batch that goes through, to read what they missed
// from the database: their other nodes may have stayed connected and have
// no other reason to look. Only the send goroutine calls it.
func (b *Broker) sendBatch(batch []outgoing) {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	pipe := b.rdb.Pipeline()
	for ch := range b.missed {
		pipe.Publish(ctx, ch, b.node+"\n"+resyncHead+"\n")
	}
	for _, o := range batch {
		pipe.Publish(ctx, o.channel, o.payload)
	}
	_, err := pipe.Exec(ctx)
	if err == nil {
		clear(b.missed)
		if b.sendErr.Swap(nil) != nil {
			b.log.Info("publishing again")
		}
		return
	}
	for _, o := range batch {
		b.missed[o.channel] = true
	}
	if b.sendErr.Swap(&err) == nil {
		b.log.Warn("publish failed; the other nodes will catch up from the database", "dropped", len(batch), "err", scrub(err, b.secrets...))
	}
}

// resyncHead, in place of an event, tells the receivers to resync.
const resyncHead = `"resync"`

// Subscribe registers deliver for the séance's events. The first local
// subscriber of a séance makes this node subscribe to its channel, the last
// one leaving unsubscribes; both happen in the background, so that
// Subscribe never waits for Redis. deliver gets a Resync each time Redis
// confirms the channel's subscription, the first time and after every
// reconnection: events published before may have been missed. A subscriber
// joining a channel already confirmed gets none, as it misses nothing.
func (b *Broker) Subscribe(sessionID string, deliver func(hub.Event)) func() {
	ch := b.channel(sessionID)
	s := &subscription{deliver: deliver}
	b.mu.Lock()
	set := b.subs[ch]
	if set == nil {
		set = map[*subscription]struct{}{}
		b.subs[ch] = set
	}
	set[s] = struct{}{}
	first := len(set) == 1
	b.mu.Unlock()
	if first {
		b.changed()
	}

	var done bool
	return func() {
		b.mu.Lock()
		if done {
			b.mu.Unlock()
			return
		}
		done = true
		delete(b.subs[ch], s)
		last := len(b.subs[ch]) == 0
		if last {
			delete(b.subs, ch)
		}
		b.mu.Unlock()
		if last {
			b.changed()
		}
	}
}

// changed wakes syncSubscriptions; one pending wake-up covers any number of
// changes, since it reads the whole set.
func (b *Broker) changed() {
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// syncSubscriptions makes the PubSub's channels follow the local
// subscribers'. It runs apart from Subscribe because go-redis may wait on a
// dial for seconds while Redis is away, and the hub must not.
func (b *Broker) syncSubscriptions(ctx context.Context) {
	subscribed := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		var add, drop []string
		b.mu.RLock()
		for ch := range b.subs {
			if !subscribed[ch] {
				add = append(add, ch)
			}
		}
		for ch := range subscribed {
			if _, ok := b.subs[ch]; !ok {
				drop = append(drop, ch)
			}
		}
		b.mu.RUnlock()

		// go-redis records the channels even when the command cannot be
		// sent and (re)subscribes them on its next connection, so a
		// failure here needs no retry of ours.
		if len(add) > 0 {
			if err := b.ps.Subscribe(ctx, add...); err != nil && ctx.Err() == nil {
				b.log.Warn("redis subscribe deferred until reconnection", "channels", len(add), "err", scrubString(err.Error(), b.secrets))
			}
			for _, ch := range add {
				subscribed[ch] = true
			}
		}
		if len(drop) > 0 {
			if err := b.ps.Unsubscribe(ctx, drop...); err != nil && ctx.Err() == nil {
				b.log.Warn("redis unsubscribe deferred until reconnection", "channels", len(drop), "err", scrubString(err.Error(), b.secrets))
			}
			for _, ch := range drop {
				delete(subscribed, ch)
			}
		}
	}
}

// receive is the one reader of the PubSub: it hands events from the other
// nodes and Resyncs to the local subscribers, until the PubSub closes.
func (b *Broker) receive(msgs <-chan any) {
	for m := range msgs {
		switch m := m.(type) {
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				b.dispatch(m.Channel, hub.Event{Resync: true})
			}
		case *goredis.Message:
			if strings.HasPrefix(m.Payload, b.node+"\n") {
				continue // delivered locally when published
			}
			if !b.hasSubscribers(m.Channel) {
				continue // unsubscribed while the message was on its way
			}
			_, ev, err := decodeEvent(m.Payload)
			if err != nil {
				b.log.Warn("dropped a malformed event", "channel", m.Channel, "bytes", len(m.Payload), "err", err)
				continue
			}
			b.dispatch(m.Channel, ev)
		}
	}
}

func (b *Broker) hasSubscribers(ch string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs[ch]) > 0
}

// dispatch hands ev to the channel's local subscribers.
func (b *Broker) dispatch(ch string, ev hub.Event) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs[ch] {
		s.deliver(ev)
	}
}

// The payload is the origin node, the event without its frame as JSON, and
// the frame's bytes as they are, separated by newlines: the frame is the
// bulk of an event and goes through unencoded. JSON never has a raw newline
// and node ids are checked to have none, so the first two newlines are the
// separators and the frame may hold anything.
func encodeEvent(origin string, ev hub.Event) ([]byte, error) {
	frame := ev.Frame
	ev.Frame = nil
	head, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, len(origin)+len(head)+len(frame)+2)
	buf = append(buf, origin...)
	buf = append(buf, '\n')
	buf = append(buf, head...)
	buf = append(buf, '\n')
	return append(buf, frame...), nil
}

func decodeEvent(payload string) (origin string, ev hub.Event, err error) {
	origin, rest, ok := strings.Cut(payload, "\n")
	if !ok {
		return "", hub.Event{}, errors.New("no separator")
	}
	if origin == "" {
		return "", hub.Event{}, errors.New("no origin")
	}
	head, frame, ok := strings.Cut(rest, "\n")
	if !ok {
		return "", hub.Event{}, errors.New("no event")
	}
	if head == resyncHead {
		return origin, hub.Event{Resync: true}, nil
	}
	if err := json.Unmarshal([]byte(head), &ev); err != nil {
		return "", hub.Event{}, fmt.Errorf("event: %w", err)
	}
	if frame != "" {
		ev.Frame = []byte(frame)
	}
	return origin, ev, nil
}
