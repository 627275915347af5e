package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gorilla/websocket"
)

// maxFrame caps what one server frame may make a client buffer; a
// session_state with 50 history messages is a few tens of KiB.
const maxFrame = 1 << 20

// room is one séance as the load tool sees it.
type room struct {
	id, hostToken string
	node          int // the node it was created through

	// The clients joined to it and still connected, by node. A question's
	// expected deliveries are these counts when it is sent; one lock makes
	// the total and the asker's node's share a consistent pair. It is taken
	// on joins, leaves and questions, never per delivery.
	mu     sync.Mutex
	onNode []int32
}

func (rm *room) enter(node int) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if node >= len(rm.onNode) {
		rm.onNode = append(rm.onNode, make([]int32, node+1-len(rm.onNode))...)
	}
	rm.onNode[node]++
}

func (rm *room) leave(node int) {
	rm.mu.Lock()
	rm.onNode[node]--
	rm.mu.Unlock()
}

// members is how many clients are joined to the séance, and how many of
// them through node.
func (rm *room) members(node int) (all, onNode int32) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	for i, n := range rm.onNode {
		all += n
		if i == node {
			onNode = n
		}
	}
	return all, onNode
}

// client is one WebSocket participant. Its only permanent goroutine is its
// reader; asking and typing run on timers that borrow a goroutine only while
// they fire, so an idle client costs the load machine little more than its
// socket. Fields are split by owner so that nothing on the hot path needs a
// shared lock: the reader owns what it receives, the timers own what is sent
// (under the client's own wmu), and tally reads both only once every
// goroutine is done.
type client struct {
	id     int
	node   int // index of the base URL it connects to
	room   *room
	conn   *websocket.Conn
	joined chan struct{} // closed by the reader on session_state
	done   chan struct{} // closed when the reader has returned
	ok     bool          // joined; set by join before it resolves joinWG
	failed bool          // tried and could not join; set like ok
	// ours is set before we close the socket ourselves, so the reader does not
	// count our own hang-up as a failure.
	ours atomic.Bool

	// Reader-owned.
	seen       map[*question]struct{}
	sameNode   []time.Duration // latencies of questions asked through this client's node
	crossNode  []time.Duration // latencies of questions asked through another node
	duplicates int64
	refusals   int // error events that refuse a question (see refuses)

	// Guarded by wmu: the ask and typing timers may fire together, and
	// gorilla/websocket allows one writer at a time.
	wmu               sync.Mutex
	stopped           bool
	askT, typeT       *time.Timer
	nextAsk, nextType time.Time
	asked             []*question // in the order sent
	n                 int         // questions numbered so far, for unique ids
}

func newClient(id, node int, rm *room) *client {
	return &client{
		id:     id,
		node:   node,
		room:   rm,
		joined: make(chan struct{}),
		done:   make(chan struct{}),
		seen:   map[*question]struct{}{},
	}
}

// join dials at the client's slot of the ramp and identifies, then returns,
// leaving the reader running. It resolves joinWG exactly once, after setting
// c.ok, and by then the reader of a client that failed has returned. A client
// never attempted because ctx ended counts as neither joined nor failed.
func (r *run) join(ctx context.Context, c *client, at time.Time) {
	defer r.joinWG.Done()
	sleep(ctx, time.Until(at))
	if ctx.Err() != nil {
		return
	}
	jctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	conn, resp, err := r.dialer.DialContext(jctx, r.nodes[c.node].wsBase+"/ws/"+c.room.id, r.header)
	if err != nil {
		if ctx.Err() == nil {
			r.fail(c)
			r.errs.add(dialError(err, resp))
		}
		return
	}
	c.conn = conn
	conn.SetReadLimit(maxFrame)
	if err := r.write(c, identifyFrame(c.id)); err != nil {
		r.fail(c)
		conn.Close()
		return
	}
	go r.read(c)
	select {
	case <-c.joined:
	case <-c.done:
	case <-jctx.Done():
		c.ours.Store(true)
		conn.Close()
		<-c.done
		if ctx.Err() == nil && !isClosed(c.joined) {
			r.fail(c)
			r.errs.add("join timeout")
		}
	}
	// The reader may have joined and died in the same instant; joined wins
	// because the reader has already counted that client in and out.
	if isClosed(c.joined) {
		c.ok = true
		r.joined.Add(1)
		return
	}
	if !c.ours.Load() {
		r.fail(c) // the reader recorded why (an error event and a close code)
	}
	conn.Close()
	<-c.done
}

func (r *run) fail(c *client) {
	c.failed = true
	r.failed.Add(1)
}

type action int

const (
	asking action = iota
	typing
)

// startActing arms the client's timers. The first of each fires at a random
// phase so that N clients do not ask in lockstep.
func (r *run) startActing(c *client) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	now := time.Now()
	if r.AskEvery > 0 {
		c.nextAsk = now.Add(rand.N(r.AskEvery))
		c.askT = time.AfterFunc(time.Until(c.nextAsk), func() { r.act(c, asking) })
	}
	if r.TypeEvery > 0 {
		c.nextType = now.Add(rand.N(r.TypeEvery))
		c.typeT = time.AfterFunc(time.Until(c.nextType), func() { r.act(c, typing) })
	}
}

// stopActing disarms the timers. Holding wmu waits out a firing that is
// already writing, and any that fires later sees stopped, so once it returns
// c.asked is final.
func (r *run) stopActing(c *client) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.stopped = true
	if c.askT != nil {
		c.askT.Stop()
	}
	if c.typeT != nil {
		c.typeT.Stop()
	}
}

func (r *run) act(c *client, what action) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.stopped || isClosed(c.done) {
		return
	}
	var err error
	switch what {
	case asking:
		if err = r.ask(c); err == nil {
			c.nextAsk = nextSlot(c.nextAsk, r.AskEvery, time.Now())
			c.askT.Reset(time.Until(c.nextAsk))
		}
	case typing:
		if err = r.write(c, []byte(typingFrame)); err == nil {
			c.nextType = nextSlot(c.nextType, r.TypeEvery, time.Now())
			c.typeT.Reset(time.Until(c.nextType))
		}
	}
	if err != nil {
		c.stopped = true // a socket that cannot be written is finished; the reader will see why
	}
}

// nextSlot keeps the schedule fixed but skips slots already missed: after a
// stalled write, catching up in a burst would only trip the server's rate
// limit and measure our backlog instead of the server.
func nextSlot(prev time.Time, every time.Duration, now time.Time) time.Time {
	next := prev.Add(every)
	if next.Before(now) {
		next = next.Add(now.Sub(next).Truncate(every) + every)
	}
	return next
}

// ask sends one question. Its send time is in the shared map before the
// frame leaves, so even a delivery racing the write finds it.
func (r *run) ask(c *client) error {
	c.n++
	id := "q-" + strconv.Itoa(c.id) + "-" + strconv.Itoa(c.n)
	frame := []byte(`{"event":"send_message","data":{"message":"` + id + `"}}`)
	all, same := c.room.members(c.node)
	q := &question{node: c.node, members: all, sameNode: same, sentAt: time.Now()}
	r.questions.Store(id, q)
	if err := r.write(c, frame); err != nil {
		r.questions.Delete(id)
		return err
	}
	c.asked = append(c.asked, q)
	r.sent.Add(1)
	return nil
}

const typingFrame = `{"event":"typing","data":{}}`

// identifyFrame is the [orig] first frame: the frontend's own user label and
// a display name.
func identifyFrame(i int) []byte {
	n := strconv.Itoa(i)
	return []byte(`{"user_id":"load-` + n + `","name":"load ` + n + `"}`)
}

// write sends one data frame. Callers serialise it: join before the reader
// and the timers exist, act under wmu.
func (r *run) write(c *client, frame []byte) error {
	c.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	err := c.conn.WriteMessage(websocket.TextMessage, frame)
	// A write after the server closed the socket fails too; the reader has
	// already counted the close, which is the real cause.
	if err != nil && !c.ours.Load() && !isClosed(c.done) {
		r.errs.add("write: " + netError(err))
	}
	return err
}

// hangUp closes a joined client politely: a close frame, a moment for the
// server's answer, then the socket. It returns once the reader has.
func (r *run) hangUp(c *client) {
	r.stopActing(c)
	c.ours.Store(true)
	if !isClosed(c.done) {
		_ = c.conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		t := time.NewTimer(2 * time.Second)
		select {
		case <-c.done:
		case <-t.C:
		}
		t.Stop()
	}
	c.conn.Close()
	<-c.done
}

// inFrame is the part of a server frame the load tool reads. One struct for
// every event keeps decoding to a single pass; fields an event lacks stay empty.
type inFrame struct {
	Event string `json:"event"`
	Data  struct {
		Message string `json:"message"` // message_received: the question's text, our id
		Code    string `json:"code"`    // error
	} `json:"data"`
}

// read is the client's one reader goroutine. Pings are answered by
// gorilla's default handler, which may write concurrently with write.
func (r *run) read(c *client) {
	defer close(c.done)
	joined := false
	for {
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			if joined {
				c.room.leave(c.node)
			}
			if !c.ours.Load() {
				r.errs.add(readError(err))
				if joined {
					r.disconnected.Add(1)
				}
			}
			return
		}
		at := time.Now()
		var f inFrame
		if err := json.Unmarshal(data, &f); err != nil && f.Event == "" {
			r.errs.add("unparsable frame")
			continue
		}
		switch f.Event {
		case "message_received":
			if !r.counting.Load() {
				continue
			}
			v, ok := r.questions.Load(f.Data.Message)
			if !ok {
				continue
			}
			if lat, first := c.deliver(v.(*question), at); first {
				r.delivered.Add(1)
				r.hist.record(lat)
			}
		case "error":
			code := f.Data.Code
			if code == "" {
				code = "error without code"
			}
			r.errs.add(code)
			if refuses(code) {
				c.refusals++
			}
		case "session_state":
			if !joined {
				joined = true
				c.room.enter(c.node)
				close(c.joined)
			}
		}
	}
}

// refuses tells the error codes that mean "your question was not accepted".
// RATE_LIMITED could in principle answer a typing frame too; since refusals
// are only matched against questions nobody received (see tally), a
// misattributed one can at worst hide a question lost for every member.
func refuses(code string) bool {
	switch code {
	case "RATE_LIMITED", "SPIRIT_BUSY", "EMPTY_MESSAGE", "MESSAGE_TOO_LONG":
		return true
	}
	return false
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// dialError names a failed connect. A refused handshake is named by its HTTP
// status and the envelope's error code, e.g. "http 429 RATE_LIMITED", which
// is what per-address limits look like from a single load machine.
func dialError(err error, resp *http.Response) string {
	if resp != nil {
		key := "http " + strconv.Itoa(resp.StatusCode)
		var env struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if resp.Body != nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			if json.Unmarshal(body, &env) == nil && env.Error.Code != "" {
				key += " " + env.Error.Code
			}
		}
		return key
	}
	return "dial: " + netError(err)
}

// readError names why a connection ended: the close code when the server
// sent one, otherwise the network's reason.
func readError(err error) string {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return "close " + strconv.Itoa(ce.Code)
	}
	return "read: " + netError(err)
}

// netError folds network errors into a few stable names, so that Errors has
// a handful of keys rather than one per address and port.
func netError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no free local port"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	case errors.Is(err, net.ErrClosed):
		return "closed"
	case errors.Is(err, websocket.ErrCloseSent):
		return "close sent"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
