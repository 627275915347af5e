package hub

import (
	"sync"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/wire"
)

// Transport is the write side of one connection. The hub calls WriteText and
// WritePing from one goroutine at a time; Close may be called at any time,
// from any goroutine, more than once.
type Transport interface {
	WriteText(frame []byte) error
	WritePing() error
	// Close sends a close frame with code (best effort) and closes the
	// connection, which ends the reader too.
	Close(code int, reason string)
}

// Client is one connection of a participant in a séance. A participant with
// two tabs has two Clients and is one member of the room.
type Client struct {
	hub  *Hub
	room *room
	t    Transport
	p    seance.Participant
	q    *sendQueue
	left sync.Once
}

func newClient(h *Hub, r *room, p seance.Participant, t Transport) *Client {
	c := &Client{hub: h, room: r, t: t, p: p}
	c.q = newSendQueue(t, func() {
		h.log.Info("dropping a client that cannot keep up", "session_id", r.id, "user_id", p.UserID)
		h.cfg.Metrics.SlowConsumerDropped()
	})
	return c
}

// enqueue adds an item to the send queue. It never blocks.
func (c *Client) enqueue(o out) { c.q.push(o) }

// send queues one frame.
func (c *Client) send(frame []byte) { c.enqueue(out{frame: frame}) }

// sendError queues an error event for this client only; the connection stays.
func (c *Client) sendError(err error) { c.send(wire.ErrorFrame(err, c.hub.now())) }

// closeWith queues a close after what is already queued.
func (c *Client) closeWith(code int) { c.enqueue(out{close: code}) }

// goLive ends a join's replay: what arrived meanwhile is sent next, in order.
func (c *Client) goLive() { c.q.release() }

// Receive handles one decoded frame from the client.
func (c *Client) Receive(f wire.ClientFrame) {
	switch f.Kind {
	case wire.KindSend:
		c.room.ask(c, f.Message)
	case wire.KindTyping:
		c.room.typing(c)
	case wire.KindPing:
		c.send(wire.Encode(wire.EvPong, struct{}{}, c.hub.now()))
	case wire.KindIdentify:
		// Already identified: a repeated identify frame changes nothing.
	case wire.KindLeave:
		// The [orig] goodbye: its close follows and takes it out.
	}
}

// Leave is called once the connection is gone (the reader ended). It is safe
// to call more than once.
func (c *Client) Leave() {
	c.left.Do(func() {
		c.q.stop()
		c.room.leave(c)
		c.t.Close(wire.CloseGoingAway, "")
		c.q.finish()
	})
}

func (c *Client) ping() { c.enqueue(out{ping: true}) }

// waitFlushed waits until the client's queue is written and closed, or until
// the deadline.
func (c *Client) waitFlushed(deadline <-chan time.Time) {
	select {
	case <-c.q.done:
	case <-deadline:
	}
}

// Reject sends err (a bad frame) to the client; the connection stays open.
func (c *Client) Reject(err error) { c.sendError(err) }
