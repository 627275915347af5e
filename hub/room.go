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

// member is a participant present in the room, with all its connections.
type member struct {
	p       seance.Participant
	since   time.Time
	clients []*Client
	asked   []time.Time // when its recent questions were accepted, oldest first
	typed   time.Time
}

// room is one séance on this node.
//
// mu orders everything that changes the room: joins, leaves, and each
// persisted message from its insert (which takes the sequence number) to its
// publication — so events are published in sequence order and a joiner's
// replay boundary (lastSeq) is exact. Delivery reads an immutable snapshot of
// the clients, so it never takes mu and can run inside a publication.
type room struct {
	hub *Hub
	id  string

	loaded  chan struct{}
	loadErr error
	session *seance.Session
	unsub   func()

	mu      sync.Mutex
	members map[string]*member // by user id
	order   []string           // user ids in joining order
	lastSeq int64
	gone    bool

	// The spirit's queue: per asker, in the order asked; askers taken
	// round-robin.
	queues    map[string][]seance.Message
	askers    []string
	answering bool

	clients atomic.Pointer[[]*Client]
	ended   atomic.Bool
}

func newRoom(h *Hub, id string) *room {
	r := &room{hub: h, id: id, loaded: make(chan struct{}), members: map[string]*member{}, queues: map[string][]seance.Message{}}
	r.clients.Store(&[]*Client{})
	return r
}

// load reads the séance and the questions still owed an answer.
func (r *room) load(ctx context.Context) {
	defer close(r.loaded)
	h := r.hub
	// Subscribed before reading: a séance ended after the read is then
	// delivered as an event, one ended before it is seen in the store.
	// The other way round, an end in between would be lost and the room
	// would take joins and questions for ever.
	unsub := h.cfg.Broker.Subscribe(r.id, r.deliver)
	s, err := h.cfg.Store.Session(ctx, r.id)
	if err == nil && !s.IsActive() {
		err = seance.Errorf(seance.ESessionEnded, "This séance has ended.").With("session_id", r.id)
	}
	var pending []seance.Message
	if err == nil {
		pending, err = h.cfg.Store.PendingQuestions(ctx, r.id)
	}
	if err != nil {
		unsub()
		r.loadErr = err
		h.dropRoom(r)
		return
	}
	r.session = s
	r.lastSeq = s.LastSeq
	r.unsub = unsub
	r.mu.Lock()
	for _, q := range pending {
		r.enqueue(q)
	}
	r.startAnswering()
	r.mu.Unlock()
}

// joinState is the room as the joiner finds it.
type joinState struct {
	present []wire.Participant
	lastSeq int64
}

func (r *room) join(p seance.Participant, t Transport) (*Client, joinState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return nil, joinState{}, errRoomGone
	}
	// Shutdown takes each room's clients under mu after setting closing:
	// a join either is among them, and is closed, or sees closing here.
	if r.hub.isClosing() {
		return nil, joinState{}, errShuttingDown
	}
	if r.ended.Load() {
		return nil, joinState{}, seance.Errorf(seance.ESessionEnded, "This séance has ended.")
	}
	m := r.members[p.UserID]
	if m == nil && len(r.members) >= r.session.MaxUsers {
		return nil, joinState{}, r.fullError()
	}
	c := newClient(r.hub, r, p, t)
	if m == nil {
		m = &member{p: p, since: seance.Timestamp(r.hub.now())}
		m.p.JoinedAt = m.since
		r.members[p.UserID] = m
		r.order = append(r.order, p.UserID)
		r.hub.cfg.Metrics.Joined()
		r.publish(Event{Frame: wire.Encode(wire.EvUserJoined, wire.ParticipantOf(m.p), r.hub.now()), Except: p.UserID})
	}
	c.p = m.p
	m.clients = append(m.clients, c)
	r.snapshot()
	return c, joinState{present: r.presentLocked(), lastSeq: r.lastSeq}, nil
}

// admits refuses, before anything is stored, an identity that join would
// refuse as things stand: otherwise every client turned away from a full
// séance leaves a participant behind, at the price of a store write each.
// join decides; this spares the store the plain cases. A token's
// participant exists already and is not checked here.
func (r *room) admits(userID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.gone:
		return nil // join tells, and the room is loaded again
	case r.ended.Load():
		return seance.Errorf(seance.ESessionEnded, "This séance has ended.")
	case userID != "" && r.members[userID] == nil && len(r.members) >= r.session.MaxUsers:
		return r.fullError()
	}
	return nil
}

// fullError is SESSION_FULL for this room. Callers hold mu.
func (r *room) fullError() error {
	return seance.Errorf(seance.ESessionFull, "This séance is full (%d of %d).", len(r.members), r.session.MaxUsers).With("max_users", r.session.MaxUsers)
}

func (r *room) presentLocked() []wire.Participant {
	out := make([]wire.Participant, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, wire.ParticipantOf(r.members[id].p))
	}
	return out
}

// snapshot publishes the current client list for delivery. Callers hold mu.
func (r *room) snapshot() {
	var list []*Client
	for _, id := range r.order {
		list = append(list, r.members[id].clients...)
	}
	r.clients.Store(&list)
}

func (r *room) clientList() []*Client { return *r.clients.Load() }

func (r *room) present() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

func (r *room) leave(c *Client) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.members[c.p.UserID]
	if m == nil {
		return
	}
	i := slices.Index(m.clients, c)
	if i < 0 {
		return
	}
	m.clients = slices.Delete(m.clients, i, i+1)
	if len(m.clients) == 0 {
		delete(r.members, c.p.UserID)
		r.order = slices.DeleteFunc(r.order, func(id string) bool { return id == c.p.UserID })
		r.hub.cfg.Metrics.Left()
		r.publish(Event{Frame: wire.Encode(wire.EvUserLeft, wire.ParticipantOf(m.p), r.hub.now())})
	}
	r.snapshot()
	r.dropIfIdle()
}

// dropIfIdle forgets the room once nobody is in it and the spirit owes
// nothing. Callers hold mu.
func (r *room) dropIfIdle() {
	if len(r.members) > 0 || r.answering || len(r.askers) > 0 || r.gone {
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
	if err := r.hub.cfg.Broker.Publish(context.Background(), r.id, ev); err != nil {
		r.hub.log.Error("publish", "session_id", r.id, "err", err)
	}
}

// deliver hands an event to this node's clients of the séance.
func (r *room) deliver(ev Event) {
	if ev.Ends {
		r.ended.Store(true)
	}
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
