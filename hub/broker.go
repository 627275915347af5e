package hub

import (
	"context"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/wire"
)

// Event is one server frame on its way to the members of a séance, on every
// node that has some.
type Event struct {
	// Seq is the message's sequence number for persisted events
	// (message_received, spirit_response), 0 for the others.
	Seq int64 `json:"seq,omitempty"`
	// Frame is the encoded server frame, shared by every recipient.
	Frame []byte `json:"frame,omitempty"`
	// Msg is the stored message of a persisted event: the nodes count the
	// questions waiting for the spirit from it.
	Msg *seance.Message `json:"msg,omitempty"`
	// After, on an event that is not persisted, holds it back on each
	// node until the persisted event of that seq has been delivered there:
	// the spirit's thinking and chunks never overtake their question.
	After int64 `json:"after,omitempty"`
	// Taking is the id of the question the spirit has begun to answer
	// (with spirit_thinking): it no longer counts as waiting.
	Taking string `json:"taking,omitempty"`
	// To, when set, limits delivery to that participant (by user id).
	To string `json:"to,omitempty"`
	// Except, when set, skips that participant.
	Except string `json:"except,omitempty"`
	// Close, when set, closes the recipients' connections with this code
	// once the frame is sent.
	Close int `json:"close,omitempty"`
	// Ends marks the event that ends the séance.
	Ends bool `json:"ends,omitempty"`
	// Resync is not published: a broker delivers it to a subscriber when
	// its subscription starts (or starts again) reaching the other nodes,
	// since events published before then may have been missed. The room
	// catches up from the database.
	Resync bool `json:"-"`
}

// Broker is what the nodes serving the same séances share: the events, who
// is present, which node answers for the spirit, and the rate limits. The
// in-process broker (package inmem) is the single-node case; package redis
// is many nodes.
type Broker interface {
	Fanout
	Presence
	SpiritLease
	Limiter
}

// Fanout carries events to every node with members of a séance.
type Fanout interface {
	// Publish delivers ev to this node's subscribers of the séance before
	// it returns, and to the other nodes' subscribers soon after. An error
	// means the other nodes may not get it; this node's subscribers have.
	Publish(ctx context.Context, sessionID string, ev Event) error
	// Subscribe calls deliver for each event of the séance until the
	// returned function is called. deliver must not block. Events of one
	// publishing node arrive in the order published; across nodes the
	// order is the hub's to restore (by Seq).
	Subscribe(sessionID string, deliver func(Event)) (unsubscribe func())
}

// Presence is who is in each séance, across nodes. A node records a
// participant while it has at least one connection of theirs; a node that
// stops refreshing its records (it died) stops counting after the broker's
// expiry.
type Presence interface {
	// Enter records that this node has p in the séance. It fails with
	// SESSION_FULL when p is not present yet and max participants are;
	// concurrent Enters on any nodes never admit more than max. first
	// reports that p was present on no node before.
	Enter(ctx context.Context, sessionID string, p wire.Participant, max int) (first bool, err error)
	// Leave records that this node has no connection of userID any more;
	// last reports that no node has.
	Leave(ctx context.Context, sessionID, userID string) (last bool, err error)
	// Present lists the participants present on any node, in joining order.
	Present(ctx context.Context, sessionID string) ([]wire.Participant, error)
	// Refresh keeps this node's records of the séance (here) alive, and
	// returns the participants whose only records were left by nodes that
	// stopped refreshing them: they are gone, and the caller tells the
	// room. Each such participant is returned to one caller only.
	Refresh(ctx context.Context, sessionID string, here []wire.Participant) (gone []wire.Participant, err error)
}

// SpiritLease makes one node at a time answer a séance's questions. A node
// that dies holding it loses it after the broker's expiry; the answer it was
// writing is then written by the next holder, and the database refuses the
// second of two answers to one question.
type SpiritLease interface {
	// AcquireSpirit makes this node the séance's answerer; false when
	// another node is.
	AcquireSpirit(ctx context.Context, sessionID string) (bool, error)
	// RenewSpirit extends this node's lease; false when it was lost.
	RenewSpirit(ctx context.Context, sessionID string) (bool, error)
	// ReleaseSpirit gives the lease up if this node holds it.
	ReleaseSpirit(ctx context.Context, sessionID string) error
}

// Limiter keeps budgets shared by every node: n events per period per key,
// over a sliding window.
type Limiter interface {
	// Allow takes one event from key's budget. When it is spent: false and
	// how long until the oldest event in the window leaves it.
	Allow(ctx context.Context, key string, n int, per time.Duration) (ok bool, retryAfter time.Duration, err error)
}
