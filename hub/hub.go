// Package hub owns this node's séance rooms: who is connected to which
// séance, the ordered delivery of events, resuming clients, and answering
// the spirit's questions. What the nodes serving one séance must agree on —
// presence and seats, the spirit's lease, rate limits, the events
// themselves — goes through the Broker. It knows nothing of sockets:
// connections reach it as a Transport.
package hub

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/wire"
)

// Store is what the hub needs of the database: the séance, who is in it,
// and its messages. Both stores satisfy it; the hub asks nothing else.
type Store interface {
	Session(ctx context.Context, id string) (*seance.Session, error)
	Participant(ctx context.Context, sessionID, id string) (*seance.Participant, error)
	EnsureParticipant(ctx context.Context, p *seance.Participant) (*seance.Participant, error)
	AppendMessage(ctx context.Context, m *seance.Message) error
	Messages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]seance.Message, error)
	PendingQuestions(ctx context.Context, sessionID string) ([]seance.Message, error)
}

var _ Store = seance.Store(nil)

// Config are the hub's rules and collaborators.
type Config struct {
	Store   Store
	Broker  Broker
	Spirit  seance.Spirit
	Persona func(id string) seance.Persona
	Logger  *slog.Logger
	Now     func() time.Time
	NewID   func() string
	// Timings returns the planchette's delay per character of an answer.
	Timings func(text, seed string) []int

	// PingEvery is how often clients are pinged (the contract: 25 s).
	PingEvery time.Duration
	// AskLimit questions per AskWindow per participant (5 per 10 s).
	AskLimit  int
	AskWindow time.Duration
	// MaxWaiting questions of one participant may wait for the spirit (3).
	MaxWaiting int
	// TypingEvery is the least time between two user_typing of one participant (1 s).
	TypingEvery time.Duration
	// HeartbeatEvery is how often each room refreshes its presence records,
	// catches up with the database and looks for questions nobody answers;
	// a third of the broker's expiry.
	HeartbeatEvery time.Duration
	// LeaseRenewEvery is how often the node answering a séance renews the
	// spirit's lease; a third of the lease's expiry.
	LeaseRenewEvery time.Duration

	// Metrics counts rooms, joins, messages and drops; nil counts nothing.
	Metrics *metrics.Metrics
}

// Defaults of the contract.
const (
	DefaultPingEvery   = 25 * time.Second
	DefaultAskLimit    = 5
	DefaultAskWindow   = 10 * time.Second
	DefaultMaxWaiting  = 3
	DefaultTypingEvery = time.Second
	DefaultHeartbeat   = 10 * time.Second
	DefaultLeaseRenew  = 3 * time.Second
	historyOnJoin      = 50
	loadTimeout        = 10 * time.Second
	replayPage         = 200
)

// Hub is this node's set of rooms.
type Hub struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	rooms   map[string]*room
	closing bool

	// answering is cancelled at shutdown: an answer not yet stored stays a
	// pending question in the database and is answered after the restart.
	answerCtx    context.Context
	cancelAnswer context.CancelFunc
	answers      sync.WaitGroup

	stopLoops chan struct{}
	pingDone  chan struct{}
	beatDone  chan struct{}
}

// New returns a running hub; stop it with Shutdown.
func New(cfg Config) *Hub {
	if cfg.PingEvery == 0 {
		cfg.PingEvery = DefaultPingEvery
	}
	if cfg.AskLimit == 0 {
		cfg.AskLimit = DefaultAskLimit
	}
	if cfg.AskWindow == 0 {
		cfg.AskWindow = DefaultAskWindow
	}
	if cfg.MaxWaiting == 0 {
		cfg.MaxWaiting = DefaultMaxWaiting
	}
	if cfg.TypingEvery == 0 {
		cfg.TypingEvery = DefaultTypingEvery
	}
	if cfg.HeartbeatEvery == 0 {
		cfg.HeartbeatEvery = DefaultHeartbeat
	}
	if cfg.LeaseRenewEvery == 0 {
		cfg.LeaseRenewEvery = DefaultLeaseRenew
	}
	// Logged only on rare paths (a dropped client, a failed store): a nil
	// logger would panic there, long after start-up.
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, rooms: map[string]*room{}, stopLoops: make(chan struct{}), pingDone: make(chan struct{}), beatDone: make(chan struct{})}
	h.answerCtx, h.cancelAnswer = context.WithCancel(context.Background())
	go h.everyRoom(cfg.PingEvery, h.pingDone, h.ping)
	go h.everyRoom(cfg.HeartbeatEvery, h.beatDone, h.heartbeat)
	return h
}

func (h *Hub) now() time.Time { return h.cfg.Now() }

// Identity is who is joining: a participant created by /join (from its
// token), or the [orig] identify frame's user_id and name.
type Identity struct {
	ParticipantID string
	UserID, Name  string
	// Addr is the client's address. A user id is public, so while it is
	// connected, an identify frame naming it is taken only from the same
	// address (a second tab), never from someone else's.
	Addr string
}

// Resume asks for every persisted event after LastSeq to be sent again.
type Resume struct {
	Enabled bool
	LastSeq int64
}

// Join adds a connection to a séance. On success the joiner has been sent
// session_state, a user_joined per participant present, and the replay; the
// client is live. Errors carry the contract codes (SESSION_NOT_FOUND,
// SESSION_ENDED, SESSION_FULL, REMOVED, UNAUTHORIZED) for the edge to turn
// into a close code.
func (h *Hub) Join(ctx context.Context, sessionID string, id Identity, t Transport, resume Resume) (*Client, error) {
	for {
		r, err := h.room(ctx, sessionID)
		if err != nil {
			return nil, err
		}
		if err := r.admits(ctx, id); err != nil {
			return nil, err
		}
		p, err := h.participant(ctx, r, id)
		if err != nil {
			return nil, err
		}
		c, state, err := r.join(ctx, p, id.Addr, t)
		if errors.Is(err, errRoomGone) {
			continue // the room emptied and was dropped meanwhile: load it again
		}
		if err != nil {
			return nil, err
		}
		if err := h.welcome(ctx, c, state, resume); err != nil {
			c.Leave()
			return nil, err
		}
		c.goLive()
		return c, nil
	}
}

// participant resolves the identity to a stored participant.
func (h *Hub) participant(ctx context.Context, r *room, id Identity) (seance.Participant, error) {
	var p *seance.Participant
	var err error
	if id.ParticipantID != "" {
		p, err = h.cfg.Store.Participant(ctx, r.id, id.ParticipantID)
		if seance.ErrorCode(err) == seance.EParticipantNotFound {
			return seance.Participant{}, seance.Errorf(seance.EUnauthorized, "This token names no participant of this séance.")
		}
	} else {
		userID := id.UserID
		if userID == spiritUserID {
			return seance.Participant{}, seance.Errorf(seance.EValidation, "user_id %q is the spirit's.", spiritUserID).With("field", "user_id")
		}
		if userID == "" {
			userID = "guest-" + h.cfg.NewID()
		}
		p, err = h.cfg.Store.EnsureParticipant(ctx, &seance.Participant{
			ID: h.cfg.NewID(), SessionID: r.id, UserID: userID, Name: id.Name, JoinedAt: seance.Timestamp(h.now()),
		})
	}
	if err != nil {
		return seance.Participant{}, err
	}
	if p.RemovedAt != nil {
		return seance.Participant{}, seance.Removed()
	}
	if id.ParticipantID == "" && p.HasToken() {
		return seance.Participant{}, seance.IdentityTaken()
	}
	return *p, nil
}

type sessionState struct {
	Session      wire.Session       `json:"session"`
	You          wire.Participant   `json:"you"`
	Participants []wire.Participant `json:"participants"`
	History      []wire.Message     `json:"history"`
	LastSeq      int64              `json:"last_seq"`
}

// welcome writes session_state, the room, and the replay straight to the
// joiner, before anything queued for it meanwhile.
func (h *Hub) welcome(ctx context.Context, c *Client, st joinState, resume Resume) error {
	r := c.room
	after := max(0, st.lastSeq-historyOnJoin)
	history, err := h.cfg.Store.Messages(ctx, r.id, after, historyOnJoin)
	if err != nil {
		return err
	}
	views := make([]wire.Message, 0, len(history))
	for _, m := range history {
		if m.Seq <= st.lastSeq {
			views = append(views, wire.MessageOf(m))
		}
	}
	now := h.now()
	sess := *r.session
	sess.LastSeq = st.lastSeq
	state := sessionState{
		Session:      wire.SessionOf(&sess, len(st.present)),
		You:          wire.ParticipantOf(c.p),
		Participants: st.present,
		History:      views,
		LastSeq:      st.lastSeq,
	}
	if err := c.t.WriteText(wire.Encode(wire.EvSessionState, state, now)); err != nil {
		return err
	}
	for _, p := range st.present {
		if err := c.t.WriteText(wire.Encode(wire.EvUserJoined, p, now)); err != nil {
			return err
		}
	}
	if !resume.Enabled {
		return nil
	}
	// Everything up to lastSeq was broadcast before this client joined, and
	// everything after reaches it live: the replay is exactly (LastSeq, lastSeq].
	for from := resume.LastSeq; from < st.lastSeq; {
		page, err := h.cfg.Store.Messages(ctx, r.id, from, replayPage)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			if m.Seq > st.lastSeq {
				return nil
			}
			if err := c.t.WriteText(wire.PersistedFrame(m, r.session.Spirit)); err != nil {
				return err
			}
			from = m.Seq
		}
	}
	return nil
}

// room returns the séance's room on this node, loading it on first use.
func (h *Hub) room(ctx context.Context, sessionID string) (*room, error) {
	// A room, its broker channel, presence and limits are keyed by this
	// string: another spelling of a séance's id would be another room.
	if !seance.ValidID(sessionID) {
		return nil, seance.SessionNotFound(sessionID)
	}
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return nil, seance.ShuttingDown()
	}
	r, ok := h.rooms[sessionID]
	if !ok {
		r = newRoom(h, sessionID)
		h.rooms[sessionID] = r
		h.cfg.Metrics.RoomOpened()
		h.mu.Unlock()
		// Other joiners wait on this load: it must not fail because the
		// first joiner gave up.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		r.load(lctx)
		cancel()
	} else {
		h.mu.Unlock()
	}
	select {
	case <-r.loaded:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if r.loadErr != nil {
		return nil, r.loadErr
	}
	return r, nil
}

// dropRoom forgets an empty room.
func (h *Hub) dropRoom(r *room) {
	h.mu.Lock()
	if h.rooms[r.id] == r {
		delete(h.rooms, r.id)
		h.cfg.Metrics.RoomClosed()
	}
	h.mu.Unlock()
}

// EndSession tells everyone in the séance, on every node, that it ended, and
// closes their connections (4010). The store must already say it ended.
func (h *Hub) EndSession(ctx context.Context, sessionID, reason string) error {
	frame := wire.Encode(wire.EvSessionEnded, wire.SessionEnded{Reason: reason}, h.now())
	return h.cfg.Broker.Publish(ctx, sessionID, Event{Frame: frame, Close: wire.CloseEnded, Ends: true})
}

// RemoveParticipant tells the participant's connections, on every node, that
// the host removed them, and closes them (4403). The store must already say so.
func (h *Hub) RemoveParticipant(ctx context.Context, sessionID string, p seance.Participant) error {
	frame := wire.ErrorFrame(seance.Removed(), h.now())
	return h.cfg.Broker.Publish(ctx, sessionID, Event{Frame: frame, To: p.UserID, Close: wire.CloseRemoved})
}

// Present returns how many participants are connected to the séance, on
// every node.
func (h *Hub) Present(ctx context.Context, sessionID string) int {
	h.mu.Lock()
	r := h.rooms[sessionID]
	h.mu.Unlock()
	if r != nil {
		select {
		case <-r.loaded:
			if r.loadErr == nil {
				return len(r.present(ctx))
			}
		default:
		}
	}
	bctx, cancel := context.WithTimeout(ctx, brokerTimeout)
	defer cancel()
	ps, err := h.cfg.Broker.Present(bctx, sessionID)
	if err != nil {
		h.log.Warn("presence unavailable", "session_id", sessionID, "err", err)
		return 0
	}
	return len(ps)
}

// Shutdown stops the hub: no more joins, answers in progress are abandoned
// (their questions stay pending in the database), every client's queue is
// flushed and its connection closed with 1001, until ctx ends.
func (h *Hub) Shutdown(ctx context.Context) {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return
	}
	h.closing = true
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	close(h.stopLoops)
	<-h.pingDone
	<-h.beatDone

	h.cancelAnswer()
	answered := make(chan struct{})
	go func() { h.answers.Wait(); close(answered) }()
	select {
	case <-answered:
	case <-ctx.Done():
	}

	// Under each room's lock: a join in progress is either in the list or
	// refused (see room.join), never joined and left open.
	var clients []*Client
	for _, r := range rooms {
		r.mu.Lock()
		clients = append(clients, r.clientList()...)
		r.mu.Unlock()
	}
	for _, c := range clients {
		c.closeWith(wire.CloseGoingAway)
	}
	deadline := make(chan time.Time)
	go func() { <-ctx.Done(); close(deadline) }()
	for _, c := range clients {
		c.waitFlushed(deadline)
	}
	for _, c := range clients {
		c.t.Close(wire.CloseGoingAway, "server restarting")
	}
	// A shared broker (several hubs in one process, or one outliving the
	// hub) must not keep delivering to rooms nobody will join again.
	for _, r := range rooms {
		select {
		case <-r.loaded:
		default:
			continue // its loader holds the subscription until it fails or ends
		}
		r.mu.Lock()
		if !r.gone {
			r.gone = true
			if r.unsub != nil {
				r.unsub()
			}
		}
		r.mu.Unlock()
		h.dropRoom(r)
	}
}

func (h *Hub) isClosing() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closing
}

// roomList lists the rooms, for the periodic loops.
func (h *Hub) roomList() []*room {
	h.mu.Lock()
	defer h.mu.Unlock()
	rooms := make([]*room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	return rooms
}

// everyRoom calls fn for each room every period until Shutdown, then
// closes done.
func (h *Hub) everyRoom(period time.Duration, done chan<- struct{}, fn func(*room)) {
	defer close(done)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-h.stopLoops:
			return
		case <-tick.C:
			for _, r := range h.roomList() {
				fn(r)
			}
		}
	}
}

func (h *Hub) ping(r *room) {
	for _, c := range r.clientList() {
		c.ping()
	}
}

func (h *Hub) heartbeat(r *room) {
	ctx, cancel := context.WithTimeout(h.answerCtx, brokerTimeout)
	defer cancel()
	r.heartbeat(ctx)
}
