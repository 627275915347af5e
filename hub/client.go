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

// Send queue bounds. A client whose queue fills is dropped with close 1008
// instead of slowing the room (or the node) down.
const (
	sendQueueLen   = 256
	replayQueueLen = 1024 // live events held while a resuming client replays history
)

type clientState uint8

const (
	stateOpen    clientState = iota // a writer goroutine runs while the queue is not empty
	stateClosing                    // a close is queued; nothing more is accepted
	stateClosed
)

// out is one item of a send queue.
type out struct {
	frame []byte
	ping  bool
	close int // after the frames before it, close with this code
}

// Client is one connection of a participant in a séance. A participant with
// two tabs has two Clients and is one member of the room.
type Client struct {
	hub  *Hub
	room *room
	t    Transport
	p    seance.Participant

	mu    sync.Mutex
	state clientState
	// replaying: the joiner writes its welcome straight to the transport,
	// and everything queued meanwhile, a close included, waits for goLive.
	// It is not a state: a close queued during the welcome must neither
	// start a second writer nor overtake the welcome.
	replaying bool
	queue     []out
	writing   bool
	done      chan struct{} // closed when the client is closed for good
	left      bool
}

func newClient(h *Hub, r *room, p seance.Participant, t Transport) *Client {
	return &Client{hub: h, room: r, t: t, p: p, replaying: true, done: make(chan struct{})}
}

// enqueue adds an item to the send queue, starting a writer if none runs.
// It never blocks: a full queue drops the client.
func (c *Client) enqueue(o out) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state >= stateClosing {
		return
	}
	limit := sendQueueLen
	if c.replaying {
		limit = replayQueueLen
	}
	if len(c.queue) >= limit {
		c.state = stateClosed
		c.queue = nil
		c.hub.log.Info("dropping a client that cannot keep up", "session_id", c.room.id, "user_id", c.p.UserID)
		c.hub.cfg.Metrics.SlowConsumerDropped()
		go c.t.Close(wire.ClosePolicy, "too slow: reconnect with last_seq")
		c.closeDone()
		return
	}
	c.queue = append(c.queue, o)
	if o.close != 0 {
		c.state = stateClosing
	}
	if !c.replaying && !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

// send queues one frame.
func (c *Client) send(frame []byte) { c.enqueue(out{frame: frame}) }

// sendError queues an error event for this client only; the connection stays.
func (c *Client) sendError(err error) { c.send(wire.ErrorFrame(err, c.hub.now())) }

// closeWith queues a close after what is already queued.
func (c *Client) closeWith(code int) { c.enqueue(out{close: code}) }

// writeLoop drains the queue, then exits: an idle client has no writer.
func (c *Client) writeLoop() {
	for {
		c.mu.Lock()
		if len(c.queue) == 0 || c.state == stateClosed {
			c.writing = false
			c.mu.Unlock()
			return
		}
		batch := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, o := range batch {
			if !c.write(o) {
				return
			}
		}
	}
}

// write sends one item; false when the client is finished.
func (c *Client) write(o out) bool {
	var err error
	switch {
	case o.close != 0:
		c.t.Close(o.close, "")
		c.finish()
		return false
	case o.ping:
		err = c.t.WritePing()
	default:
		err = c.t.WriteText(o.frame)
	}
	if err != nil {
		c.t.Close(wire.CloseGoingAway, "")
		c.finish()
		return false
	}
	return true
}

// finish marks the client closed after its writer is done.
func (c *Client) finish() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state = stateClosed
	c.queue = nil
	c.writing = false
	c.closeDone()
}

func (c *Client) closeDone() {
	select {
	case <-c.done:
	default:
		close(c.done)
	}
}

// goLive ends a join's replay: what arrived meanwhile is sent next, in order.
func (c *Client) goLive() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.replaying {
		return
	}
	c.replaying = false
	if c.state != stateClosed && !c.left && len(c.queue) > 0 && !c.writing {
		c.writing = true
		go c.writeLoop()
	}
}

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
	c.mu.Lock()
	if c.left {
		c.mu.Unlock()
		return
	}
	c.left = true
	if c.state < stateClosing {
		c.state = stateClosed
		c.queue = nil
	}
	c.mu.Unlock()
	c.room.leave(c)
	c.t.Close(wire.CloseGoingAway, "")
	c.closeDone()
}

func (c *Client) ping() { c.enqueue(out{ping: true}) }

// waitFlushed waits until the client's queue is written and closed, or until
// the deadline.
func (c *Client) waitFlushed(deadline <-chan time.Time) {
	select {
	case <-c.done:
	case <-deadline:
	}
}

// Reject sends err (a bad frame) to the client; the connection stays open.
func (c *Client) Reject(err error) { c.sendError(err) }
