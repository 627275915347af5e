package hub

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/wire"
)

var errRoomGone = errors.New("hub: room dropped")

// brokerTimeout bounds one call to the broker made on behalf of a client.
const brokerTimeout = 5 * time.Second

// member is a participant with connections on this node.
type member struct {
	p       seance.Participant
	addr    string // the client address of its connections
	clients []*Client
}

// room is one séance on this node.
//
// Its locks, always taken in this order (and the hub's mu, then a client's
// own, after all of them):
//   - presMu orders the joins and leaves of this séance on this node, each
//     from its broker call (Enter, Leave) to the user_joined or user_left
//     it publishes, so that nobody hears of a newcomer in a seat before
//     hearing that its last holder left; it is held across those broker
//     calls, and only other joins and leaves wait on it;
//   - pubMu orders each persisted message from its insert (which takes the
//     sequence number) to its publication, so this node publishes in
//     sequence order; it is held across the insert, and only the asks and
//     answers of this séance wait on it;
//   - mu guards the members and the room's life (gone); nothing waits on
//     the network under it;
//   - seq.mu orders delivery of persisted events to this node's clients
//     (see sequence.go) against joins, so a joiner's replay boundary is
//     exact;
//   - qmu guards the count of questions waiting for the spirit and whether
//     this node is answering.
//
// Delivery reads an immutable snapshot of the clients and never takes mu,
// so it can run inside a publication.
type room struct {
	hub *Hub
	id  string

	loaded  chan struct{}
	loadErr error
	session *seance.Session
	unsub   func()

	presMu sync.Mutex
	pubMu  sync.Mutex

	mu      sync.Mutex
	members map[string]*member // by user id, this node's only
	order   []string           // user ids in joining order
	gone    bool

	seq *sequencer

	qmu       sync.Mutex
	memory    memory               // the séance's latest messages, for the spirit
	waiting   map[string]int       // user id → questions of theirs not taken by the spirit yet
	asked     map[string]*question // by id, until answered
	local     map[string]bool      // questions asked on this node, not delivered here yet
	answering bool
	again     bool             // a question came while answering: look again before stopping
	servedAt  map[string]int64 // user id → the last seq stored when a question of theirs was taken

	clients atomic.Pointer[[]*Client]
	ended   atomic.Bool
}

func newRoom(h *Hub, id string) *room {
	r := &room{
		hub: h, id: id, loaded: make(chan struct{}), members: map[string]*member{},
		waiting: map[string]int{}, asked: map[string]*question{}, local: map[string]bool{}, servedAt: map[string]int64{},
	}
	r.seq = newSequencer(r.delivered, r.readPersisted, replayPage)
	r.clients.Store(&[]*Client{})
	return r
}

// load reads the séance and the questions still owed an answer.
func (r *room) load(ctx context.Context) {
	defer close(r.loaded)
	h := r.hub
	// Subscribed before reading: a séance ended after the read is then
	// delivered as an event, one ended before it is seen in the store; a
	// message stored after the read arrives as an event, one before it is
	// below the boundary. The other way round, either could be lost.
	unsub := h.cfg.Broker.Subscribe(r.id, r.deliver)
	s, err := h.cfg.Store.Session(ctx, r.id)
	if err == nil && s.ID != r.id {
		// The store found the séance under another spelling of its id:
		// only the store's own spelling keys a room.
		err = seance.SessionNotFound(r.id)
	}
	if err == nil && !s.IsActive() {
		err = seance.SessionEnded(r.id)
	}
	var pending, latest []seance.Message
	if err == nil {
		pending, err = h.cfg.Store.PendingQuestions(ctx, r.id)
	}
	if err == nil {
		latest, err = h.cfg.Store.Messages(ctx, r.id, max(0, s.LastSeq-memoryLen), memoryLen)
	}
	if err != nil {
		unsub()
		r.loadErr = err
		h.dropRoom(r)
		return
	}
	r.session = s
	r.unsub = unsub
	r.qmu.Lock()
	for _, q := range pending {
		r.track(q)
	}
	r.memory.fill(latest, s.LastSeq)
	r.qmu.Unlock()
	r.seq.start(s.LastSeq)
	if len(pending) > 0 {
		r.kick()
	}
}

// joinState is the room as the joiner finds it.
type joinState struct {
	present []wire.Participant
	lastSeq int64
}

func (r *room) join(ctx context.Context, p seance.Participant, addr string, t Transport) (*Client, joinState, error) {
	c, boundary, err := r.seat(ctx, p, addr, t)
	if err != nil {
		return nil, joinState{}, err
	}
	// Who is present is read once the seat is taken and presMu let go: a
	// broker round trip no other join or leave waits on.
	return c, joinState{present: r.present(ctx), lastSeq: boundary}, nil
}

// seat takes p's seat (or joins its member, for a second tab) and returns
// the new client with the seq its replay ends at.
func (r *room) seat(ctx context.Context, p seance.Participant, addr string, t Transport) (*Client, int64, error) {
	h := r.hub
	r.presMu.Lock()
	defer r.presMu.Unlock()

	r.mu.Lock()
	err := r.joinableLocked()
	m := r.members[p.UserID]
	if err == nil && m != nil && !p.HasToken() && m.addr != addr {
		err = seance.IdentityTaken()
	}
	r.mu.Unlock()
	if err != nil {
		return nil, 0, err
	}
	var first bool
	entered := m == nil
	if entered {
		// Only other joins and leaves wait on this round trip.
		p.JoinedAt = seance.Timestamp(h.now())
		if first, err = r.enter(ctx, p, addr); err != nil {
			return nil, 0, err
		}
	}

	r.mu.Lock()
	if err := r.joinableLocked(); err != nil {
		r.mu.Unlock()
		if entered {
			r.leaveBroker(p.UserID)
		}
		return nil, 0, err
	}
	if m == nil {
		m = &member{p: p, addr: addr}
		r.members[p.UserID] = m
		r.order = append(r.order, p.UserID)
		h.cfg.Metrics.Joined()
	}
	c := newClient(h, r, m.p, t)
	m.clients = append(m.clients, c)
	boundary := r.seq.holding(r.snapshot)
	r.mu.Unlock()

	if first {
		r.publish(Event{Frame: wire.Encode(wire.EvUserJoined, wire.ParticipantOf(m.p), h.now()), Except: p.UserID})
	}
	return c, boundary, nil
}

// joinableLocked refuses a join to a room that is dropped, a node that is
// stopping or a séance that ended. Shutdown takes each room's clients under
// mu after setting closing: a join either is among them, and is closed, or
// sees closing here. Callers hold mu.
func (r *room) joinableLocked() error {
	switch {
	case r.gone:
		return errRoomGone
	case r.hub.isClosing():
		return seance.ShuttingDown()
	case r.ended.Load():
		return seance.SessionEnded(r.id)
	}
	return nil
}

// enter records p as present across nodes. Callers hold presMu, not mu.
// When the broker cannot be reached the node keeps serving with what it
// knows: its own members against the seats (the broker's expiry and
// Refresh put the records right once it is back).
func (r *room) enter(ctx context.Context, p seance.Participant, addr string) (first bool, err error) {
	bctx, cancel := context.WithTimeout(ctx, brokerTimeout)
	defer cancel()
	wp := wire.ParticipantOf(p)
	wp.Addr = addr
	first, err = r.hub.cfg.Broker.Enter(bctx, r.id, wp, r.session.MaxUsers)
	if err == nil || seance.ErrorCode(err) == seance.ESessionFull {
		return first, err
	}
	r.hub.log.Warn("presence unavailable; counting this node's members only", "session_id", r.id, "err", err)
	r.mu.Lock()
	n := len(r.members)
	r.mu.Unlock()
	if n >= r.session.MaxUsers {
		return false, seance.SessionFull(n, r.session.MaxUsers)
	}
	return true, nil
}

// leaveBroker records that this node has no connection of userID any more;
// last reports that no node has. Callers hold presMu, not mu.
func (r *room) leaveBroker(userID string) (last bool) {
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	last, err := r.hub.cfg.Broker.Leave(ctx, r.id, userID)
	if err != nil {
		// Better a user_left twice (this one, then the broker's expiry)
		// than a ghost at the table.
		r.hub.log.Warn("presence unavailable; announcing the leave from this node", "session_id", r.id, "err", err)
		return true
	}
	return last
}

// admits refuses, before anything is stored, an identity that join would
// refuse as things stand: otherwise every client turned away from a full
// séance leaves a participant behind, at the price of a store write each.
// join decides; this spares the store the plain cases. A token's
// participant exists already and is not checked here.
func (r *room) admits(ctx context.Context, id Identity) error {
	r.mu.Lock()
	switch {
	case r.gone:
		r.mu.Unlock()
		return nil // join tells, and the room is loaded again
	case r.ended.Load():
		r.mu.Unlock()
		return seance.SessionEnded(r.id)
	case id.UserID == "":
		r.mu.Unlock()
		return nil
	case r.members[id.UserID] != nil:
		addr := r.members[id.UserID].addr
		r.mu.Unlock()
		if addr != id.Addr {
			return seance.IdentityTaken()
		}
		return nil
	}
	r.mu.Unlock()
	present := r.present(ctx)
	if i := slices.IndexFunc(present, func(p wire.Participant) bool { return p.ID == id.UserID }); i >= 0 {
		// Connected on another node: the same rule as here, from the
		// address its presence record keeps.
		if present[i].Addr != id.Addr {
			return seance.IdentityTaken()
		}
		return nil
	}
	if len(present) >= r.session.MaxUsers {
		return seance.SessionFull(len(present), r.session.MaxUsers)
	}
	return nil
}

// presentEverywhere lists the séance's participants on every node; false
// when the broker cannot say. It takes no lock: a room does not wait on
// Redis for anyone asking who is there.
func (r *room) presentEverywhere(ctx context.Context) ([]wire.Participant, bool) {
	bctx, cancel := context.WithTimeout(ctx, brokerTimeout)
	defer cancel()
	ps, err := r.hub.cfg.Broker.Present(bctx, r.id)
	if err != nil {
		r.hub.log.Warn("presence unavailable; listing this node's members only", "session_id", r.id, "err", err)
		return nil, false
	}
	return ps, true
}

// present lists the séance's participants on every node, or this node's
// alone when the broker cannot say.
func (r *room) present(ctx context.Context) []wire.Participant {
	if ps, ok := r.presentEverywhere(ctx); ok {
		return ps
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.localLocked()
}

// localLocked lists this node's members in joining order. Callers hold mu.
func (r *room) localLocked() []wire.Participant {
	out := make([]wire.Participant, 0, len(r.order))
	for _, id := range r.order {
		m := r.members[id]
		p := wire.ParticipantOf(m.p)
		p.Addr = m.addr
		out = append(out, p)
	}
	return out
}

// snapshot publishes the current client list for delivery. Callers hold mu
// and seq.mu.
func (r *room) snapshot() {
	var list []*Client
	for _, id := range r.order {
		list = append(list, r.members[id].clients...)
	}
	r.clients.Store(&list)
}

func (r *room) clientList() []*Client { return *r.clients.Load() }

func (r *room) leave(c *Client) {
	h := r.hub
	r.presMu.Lock()
	defer r.presMu.Unlock()
	r.mu.Lock()
	m := r.members[c.p.UserID]
	i := -1
	if m != nil {
		i = slices.Index(m.clients, c)
	}
	if i < 0 {
		r.mu.Unlock()
		return
	}
	m.clients = slices.Delete(m.clients, i, i+1)
	gone := len(m.clients) == 0
	if gone {
		delete(r.members, c.p.UserID)
		r.order = slices.DeleteFunc(r.order, func(id string) bool { return id == c.p.UserID })
		h.cfg.Metrics.Left()
	}
	r.seq.holding(r.snapshot)
	r.mu.Unlock()

	// In an ended séance everyone is being told so and closed: a
	// user_left would only race the session_ended.
	if gone && r.leaveBroker(c.p.UserID) && !r.ended.Load() {
		r.publish(Event{Frame: wire.Encode(wire.EvUserLeft, wire.ParticipantOf(m.p), h.now())})
	}
	r.mu.Lock()
	r.dropIfIdle()
	r.mu.Unlock()
}

// dropIfIdle forgets the room once nobody is in it on this node and it is
// not answering. Callers hold mu.
func (r *room) dropIfIdle() {
	r.qmu.Lock()
	answering := r.answering
	r.qmu.Unlock()
	if len(r.members) > 0 || answering || r.gone {
		return
	}
	r.gone = true
	if r.unsub != nil {
		r.unsub()
	}
	r.hub.dropRoom(r)
}

// publish sends ev to the séance's members on every node.
func (r *room) publish(ev Event) {
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	if err := r.hub.cfg.Broker.Publish(ctx, r.id, ev); err != nil {
		r.hub.log.Warn("publish to the other nodes", "session_id", r.id, "err", err)
	}
}

// fanout hands an event to this node's clients of the séance.
func (r *room) fanout(ev Event) {
	for _, c := range r.clientList() {
		if (ev.To != "" && c.p.UserID != ev.To) || (ev.Except != "" && c.p.UserID == ev.Except) {
			continue
		}
		c.enqueue(out{frame: ev.Frame})
		if ev.Close != 0 {
			c.closeWith(ev.Close)
		}
	}
}

// heartbeat is the room's periodic work: keep this node's presence records
// alive and announce participants whose node died, and take over questions
// nobody is answering. Missed messages need no polling: the broker says
// when some may have been missed (Resync), and a later message shows a gap.
func (r *room) heartbeat(ctx context.Context) {
	select {
	case <-r.loaded:
	default:
		return
	}
	if r.loadErr != nil {
		return
	}
	h := r.hub
	r.mu.Lock()
	here := r.localLocked()
	gone := r.gone
	r.mu.Unlock()
	if gone {
		return
	}
	left, err := h.cfg.Broker.Refresh(ctx, r.id, here)
	if err != nil {
		h.log.Warn("presence refresh", "session_id", r.id, "err", err)
	}
	for _, p := range left {
		r.publish(Event{Frame: wire.Encode(wire.EvUserLeft, p, h.now())})
	}
	r.qmu.Lock()
	owed := r.owed() && !r.answering
	r.qmu.Unlock()
	if owed {
		r.kick()
	}
}
