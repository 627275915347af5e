// Package httpapi is Séance's HTTP surface: the REST API of the contract, the
// health check and the OpenAPI document, with the middleware every request
// goes through (request ids, logs, panics, CORS, body limits).
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/netpoll"
	"github.com/seancehq/seance/ratelimit"
	"github.com/seancehq/seance/token"
	"github.com/seancehq/seance/web"
	"github.com/seancehq/seance/wire"
)

// MaxBodyBytes is the largest request body accepted.
const MaxBodyBytes = 64 << 10

// Deps is everything the HTTP surface needs.
type Deps struct {
	Store   Store
	Rooms   Rooms
	Tokens  *token.Issuer
	Spirits Spirits
	Logger  *slog.Logger
	// CORSOrigins lists allowed origins; "*" allows any.
	CORSOrigins []string
	Version     string
	Now         func() time.Time
	NewID       func() string
	// IdentifyTimeout is how long a WebSocket client without a token has to
	// send its identify frame (default: the contract's 10 s).
	IdentifyTimeout time.Duration
	// PongWait is how long a WebSocket may stay silent (no frame, no pong)
	// before it counts as dead (default: the contract's 60 s).
	PongWait time.Duration
	// Poller watches idle WebSockets; nil: a goroutine reads each one.
	Poller *netpoll.Poller
	// UI serves the web app; nil: no UI (an API-only server).
	UI *web.UI
	// Metrics records requests, connections and refusals, and serves
	// /metrics; nil records nothing and serves an empty page.
	Metrics *metrics.Metrics

	// Per client address: séance creations, joins (REST and WebSocket) and
	// open WebSockets on this node. nil: no limit.
	CreateLimit Limit
	JoinLimit   Limit
	ConnLimit   *ratelimit.Concurrency
	// Broker, when the node shares séances with others, is checked by
	// /health beside the database; nil: a single node.
	Broker Pinger
	// TrustedProxies may name the client in X-Forwarded-For; from anyone
	// else the header is ignored, or any client could pick its address.
	TrustedProxies []netip.Prefix
	// BodyTimeout is how long a request body may take to arrive once its
	// handler starts (default: the contract's 10 s).
	BodyTimeout time.Duration
}

// Store is the part of the store the HTTP surface uses. It is declared
// here, by its one consumer, so that what the API may do to the database is
// visible at a glance, and a test double needs only these methods; the
// lifecycle job's batches, locks and server state stay out of its reach.
type Store interface {
	CreateSession(ctx context.Context, s *seance.Session) error
	Session(ctx context.Context, id string) (*seance.Session, error)
	EndSession(ctx context.Context, id string, at time.Time) (*seance.Session, error)
	AddParticipant(ctx context.Context, p *seance.Participant) error
	RemoveParticipant(ctx context.Context, sessionID, key string, at time.Time) (*seance.Participant, error)
	Messages(ctx context.Context, sessionID string, afterSeq int64, limit int) ([]seance.Message, error)
	// Ping and PingWrite are /health's round trips.
	Ping(ctx context.Context) error
	PingWrite(ctx context.Context) error
}

var _ Store = seance.Store(nil)

// Spirits is what the API needs to know about personas.
type Spirits interface {
	seance.SpiritCatalog
	Personas() []seance.Persona
}

// Pinger is a dependency /health makes a round trip to.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server serves the API. Create it with New.
type Server struct {
	Deps
	started     time.Time
	routes      []route
	mux         *http.ServeMux
	h           http.Handler
	metricsPage http.Handler
	// writable is /health's last write to the database.
	writable writeCheck
}

// New returns the whole HTTP surface as one handler.
func New(d Deps) *Server {
	if d.PongWait == 0 {
		d.PongWait = defaultPongWait
	}
	if d.IdentifyTimeout == 0 {
		d.IdentifyTimeout = wire.IdentifyTimeout
	}
	s := &Server{Deps: d, started: d.Now(), metricsPage: d.Metrics.Handler()}
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	s.register()
	// Middleware, outermost first: every log line has a request id and the
	// client's address, a panic is logged (and counted) with the status the
	// client really got, and every answer, a panic's included, carries the
	// security headers.
	// The body timeout wraps everything that may answer without reading
	// the body, so that no such answer leaves the connection waiting on it.
	s.h = s.withRequestID(s.withClientAddr(s.withLog(s.withBodyTimeout(s.withSecurityHeaders(s.withRecover(s.withCORS(s.requireJSON(s.limitBody(s.mux)))))))))
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

func (s *Server) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.Store.Ping(ctx)
}
