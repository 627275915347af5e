package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/seancehq/seance/wire"
)

// frame is a server frame as a client received it.
type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
	Sent  time.Time       `json:"timestamp"` // the server's clock
	conn  int             // which of the client's connections it came on, from 0
	at    time.Time       // when it was read
}

// frameData is the union of the data fields the tests look at.
type frameData struct {
	ID      string `json:"id"` // a message's, or a participant's in user_joined/user_left
	Seq     int64  `json:"seq"`
	Message string `json:"message"`
	ReplyTo string `json:"reply_to"`
	UserID  string `json:"user_id"`
	Code    string `json:"code"`
	LastSeq int64  `json:"last_seq"`

	Participants []struct {
		ID string `json:"id"`
	} `json:"participants"`
}

func (f frame) data() frameData {
	var d frameData
	_ = json.Unmarshal(f.Data, &d)
	return d
}

// persisted reports a stored message's event: these carry a seq.
func (f frame) persisted() bool {
	return f.Event == wire.EvMessage || f.Event == wire.EvSpiritResponse
}

func (f frame) String() string {
	d := f.data()
	switch f.Event {
	case wire.EvMessage:
		return fmt.Sprintf("#%d %s seq=%d %q", f.conn, f.Event, d.Seq, d.Message)
	case wire.EvSpiritResponse:
		return fmt.Sprintf("#%d %s seq=%d reply_to=%s", f.conn, f.Event, d.Seq, d.ReplyTo)
	case wire.EvUserJoined, wire.EvUserLeft:
		return fmt.Sprintf("#%d %s %s", f.conn, f.Event, d.ID)
	case wire.EvSessionState:
		return fmt.Sprintf("#%d %s last_seq=%d participants=%d", f.conn, f.Event, d.LastSeq, len(d.Participants))
	case wire.EvError:
		return fmt.Sprintf("#%d %s %s", f.conn, f.Event, d.Code)
	case wire.EvSpiritThinking, wire.EvSpiritChunk:
		return fmt.Sprintf("#%d %s reply_to=%s", f.conn, f.Event, d.ReplyTo)
	}
	return fmt.Sprintf("#%d %s %s", f.conn, f.Event, f.Data)
}

// client is one participant: joined over REST, then connected by
// WebSocket with its token, to one node and after a drop maybe to
// another. Everything it receives, over all its connections, is kept in
// order.
type client struct {
	t       *testing.T
	name    string
	id      string // the participant's id, as user_joined names it
	token   string
	session string

	wmu sync.Mutex // one writer at a time on the connection

	mu      sync.Mutex
	conn    *websocket.Conn
	node    *node
	gen     int // connections opened so far
	frames  []frame
	closed  bool // the current connection has ended
	code    int  // its close code; 1006 when it dropped without one
	changed chan struct{}
}

// newClient joins the séance over REST on n; connect opens its socket.
func newClient(t *testing.T, n *node, sessionID, name string) (*client, error) {
	j, err := n.join(sessionID, name)
	if err != nil {
		return nil, err
	}
	c := &client{t: t, name: name, id: j.Participant.ID, token: j.Token, session: sessionID, changed: make(chan struct{})}
	t.Cleanup(c.close)
	return c, nil
}

// joinClient joins on n and waits for session_state.
func joinClient(t *testing.T, n *node, sessionID, name string) *client {
	t.Helper()
	c, err := newClient(t, n, sessionID, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.connect(n, -1); err != nil {
		t.Fatal(err)
	}
	c.waitFor("session_state", 10*time.Second, func(f frame) bool { return f.Event == wire.EvSessionState && f.conn == c.gen-1 })
	return c
}

// connect opens a WebSocket on n with the client's token; lastSeq >= 0
// asks for the resume. It does not wait for session_state: a refused join
// gets an error frame instead.
func (c *client) connect(n *node, lastSeq int64) error {
	q := url.Values{"token": {c.token}}
	if lastSeq >= 0 {
		q.Set("last_seq", strconv.FormatInt(lastSeq, 10))
	}
	u := "ws://" + n.addr + "/ws/" + c.session + "?" + q.Encode()
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, res, err := dialer.Dial(u, nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		return fmt.Errorf("%s: dial %s (HTTP %d): %w", c.name, n.name, status, err)
	}
	c.mu.Lock()
	if c.conn != nil {
		c.conn.Close()
	}
	gen := c.gen
	c.conn, c.node, c.closed, c.code = conn, n, false, 0
	c.gen++
	c.mu.Unlock()
	go c.read(conn, gen)
	return nil
}

// reconnect connects to n resuming after the last seq received.
func (c *client) reconnect(n *node) {
	c.t.Helper()
	last := c.lastSeq()
	if err := c.connect(n, last); err != nil {
		c.t.Fatal(err)
	}
	c.waitFor(fmt.Sprintf("session_state on %s", n.name), 10*time.Second, func(f frame) bool {
		return f.Event == wire.EvSessionState && f.conn == c.gen-1
	})
}

func (c *client) read(conn *websocket.Conn, gen int) {
	for {
		typ, b, err := conn.ReadMessage()
		c.mu.Lock()
		if err != nil {
			if gen == c.gen-1 {
				c.closed = true
				c.code = websocket.CloseAbnormalClosure
				var ce *websocket.CloseError
				if errors.As(err, &ce) {
					c.code = ce.Code
				}
				c.notifyLocked()
			}
			c.mu.Unlock()
			return
		}
		f := frame{conn: gen, at: time.Now()}
		if typ != websocket.TextMessage || json.Unmarshal(b, &f) != nil {
			f.Event = fmt.Sprintf("unreadable frame (type %d): %.200s", typ, b)
		}
		c.frames = append(c.frames, f)
		c.notifyLocked()
		c.mu.Unlock()
	}
}

func (c *client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// close ends the connection without a goodbye.
func (c *client) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
}

// leave closes the connection as a browser tab does: a close frame, then
// the socket.
func (c *client) leave() {
	c.t.Helper()
	c.wmu.Lock()
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	err := conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(time.Second))
	c.wmu.Unlock()
	if err != nil {
		c.t.Fatalf("%s: close: %v", c.name, err)
	}
	c.waitClosed(5 * time.Second)
}

func (c *client) send(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteJSON(v); err != nil {
		return fmt.Errorf("%s: send: %w", c.name, err)
	}
	return nil
}

// ask sends a question.
func (c *client) ask(text string) {
	c.t.Helper()
	if err := c.send(map[string]any{"event": "send_message", "data": map[string]string{"message": text}}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) typing() {
	c.t.Helper()
	if err := c.send(map[string]any{"event": "typing", "data": map[string]any{}}); err != nil {
		c.t.Fatal(err)
	}
}

// snapshot returns the frames received so far.
func (c *client) snapshot() []frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]frame(nil), c.frames...)
}

// seqs lists the seq of every persisted event received, in the order
// received.
func (c *client) seqs() []int64 {
	var out []int64
	for _, f := range c.snapshot() {
		if f.persisted() {
			out = append(out, f.data().Seq)
		}
	}
	return out
}

// lastSeq is the highest seq received, as a client resuming sends it.
func (c *client) lastSeq() int64 {
	var last int64
	for _, s := range c.seqs() {
		last = max(last, s)
	}
	return last
}

// waitUntil waits until cond holds for the frames received, failing the
// test with what the client saw when timeout passes first.
func (c *client) waitUntil(what string, timeout time.Duration, cond func([]frame) bool) {
	c.t.Helper()
	if err := c.await(timeout, cond); err != nil {
		c.t.Fatalf("%s: waiting %v for %s: %v\n%s", c.name, timeout, what, err, c.dump())
	}
}

// await is waitUntil's wait, for goroutines: it touches no testing.T.
func (c *client) await(timeout time.Duration, cond func([]frame) bool) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		ok := cond(c.frames)
		changed := c.changed
		c.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return errors.New("timed out")
		}
	}
}

// waitFor waits for a frame matching pred and returns the first one.
func (c *client) waitFor(what string, timeout time.Duration, pred func(frame) bool) frame {
	c.t.Helper()
	var found frame
	c.waitUntil(what, timeout, func(fs []frame) bool {
		for _, f := range fs {
			if pred(f) {
				found = f
				return true
			}
		}
		return false
	})
	return found
}

// waitClosed waits for the current connection to end and returns its
// close code.
func (c *client) waitClosed(timeout time.Duration) int {
	c.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		closed, code, changed := c.closed, c.code, c.changed
		c.mu.Unlock()
		if closed {
			return code
		}
		select {
		case <-changed:
		case <-deadline.C:
			c.t.Fatalf("%s: connection still open after %v\n%s", c.name, timeout, c.dump())
		}
	}
}

// dump is what the client saw, for failure messages.
func (c *client) dump() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b strings.Builder
	where := "nowhere"
	if c.node != nil {
		where = c.node.name
	}
	fmt.Fprintf(&b, "  %s (%s, on %s, %d connection(s)", c.name, c.id, where, c.gen)
	if c.closed {
		fmt.Fprintf(&b, ", last closed with %d", c.code)
	}
	b.WriteString(") received:\n")
	chunks := 0
	for i, f := range c.frames {
		// A chunk is a line of noise each; how many came is enough,
		// unless one came first.
		if f.Event == wire.EvSpiritChunk && i > 0 && c.frames[i-1].Event == wire.EvSpiritChunk {
			chunks++
			continue
		}
		if chunks > 0 {
			fmt.Fprintf(&b, "          (%d more spirit_chunk)\n", chunks)
			chunks = 0
		}
		fmt.Fprintf(&b, "    %3d %s %s %s\n", i, f.Sent.Format("05.000"), f.at.Format("05.000"), f)
	}
	return b.String()
}

// dumpAll is what every client saw.
func dumpAll(cs []*client) string {
	var b strings.Builder
	for _, c := range cs {
		b.WriteString(c.dump())
	}
	return b.String()
}

// Predicates.

func isEvent(event string) func(frame) bool {
	return func(f frame) bool { return f.Event == event }
}

func joinedBy(id string) func(frame) bool {
	return func(f frame) bool { return f.Event == wire.EvUserJoined && f.data().ID == id }
}

func leftBy(id string) func(frame) bool {
	return func(f frame) bool { return f.Event == wire.EvUserLeft && f.data().ID == id }
}

func question(text string) func(frame) bool {
	return func(f frame) bool { return f.Event == wire.EvMessage && f.data().Message == text }
}

func answerTo(questionID string) func(frame) bool {
	return func(f frame) bool { return f.Event == wire.EvSpiritResponse && f.data().ReplyTo == questionID }
}

// count is how many of fs match pred.
func count(fs []frame, pred func(frame) bool) int {
	n := 0
	for _, f := range fs {
		if pred(f) {
			n++
		}
	}
	return n
}

// seenAll is a condition: at least n persisted events received.
func seenAll(n int) func([]frame) bool {
	return func(fs []frame) bool { return count(fs, frame.persisted) >= n }
}
