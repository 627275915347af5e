package hub

import "context"

// Event is one server frame on its way to the members of a séance, on every
// node that has some.
type Event struct {
	// Seq is the message's sequence number for persisted events
	// (message_received, spirit_response), 0 for the others.
	Seq int64
	// Frame is the encoded server frame, shared by every recipient.
	Frame []byte
	// To, when set, limits delivery to that participant (by user id).
	To string
	// Except, when set, skips that participant.
	Except string
	// Close, when set, closes the recipients' connections with this code
	// once the frame is sent.
	Close int
	// Ends marks the event that ends the séance.
	Ends bool
}

// Broker carries events to every node with members of a séance. The
// in-process broker (package inmem) is the single-node case.
type Broker interface {
	// Publish delivers ev to every subscriber of the séance.
	Publish(ctx context.Context, sessionID string, ev Event) error
	// Subscribe calls deliver for each event of the séance until the
	// returned function is called. deliver must not block.
	Subscribe(sessionID string, deliver func(Event)) (unsubscribe func())
}
