package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/token"
	"github.com/seancehq/seance/wire"
)

// Rooms is the real-time side the HTTP surface hands connections to.
type Rooms interface {
	Join(ctx context.Context, sessionID string, id hub.Identity, t hub.Transport, r hub.Resume) (*hub.Client, error)
	EndSession(ctx context.Context, sessionID, reason string) error
	RemoveParticipant(ctx context.Context, sessionID string, p seance.Participant) error
	Present(sessionID string) int
}

// WebSocket timings of the contract.
const (
	writeWait       = 10 * time.Second
	defaultPongWait = 60 * time.Second // no frame nor pong for this long: the peer is gone
	joinWithin      = 10 * time.Second
)

func newUpgrader() *websocket.Upgrader {
	return &websocket.Upgrader{
		// Small buffers, and a write buffer only while writing: an idle
		// connection then costs a few KiB (see BENCHMARKS.md).
		ReadBufferSize:  1024,
		WriteBufferSize: 1024,
		WriteBufferPool: &sync.Pool{},
		// The origin is checked before the upgrade, with a proper 403.
		CheckOrigin: func(*http.Request) bool { return true },
	}
}

// socket is the hub.Transport of one gorilla connection.
type socket struct {
	conn  *websocket.Conn
	close sync.Once
}

func (s *socket) WriteText(b []byte) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeWait))
	return s.conn.WriteMessage(websocket.TextMessage, b)
}

func (s *socket) WritePing() error {
	return s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait))
}

func (s *socket) Close(code int, reason string) {
	s.close.Do(func() {
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		_ = s.conn.Close()
	})
}

// refuse sends an error event and closes with the code that goes with it.
func (s *socket) refuse(err error, now time.Time) {
	_ = s.WriteText(wire.ErrorFrame(err, now))
	code := wire.CloseFor(seance.ErrorCode(err))
	if code == 0 {
		code = websocket.CloseInternalServerErr
		if seance.ErrorCode(err) == "SHUTTING_DOWN" {
			code = wire.CloseGoingAway
		}
	}
	s.Close(code, "")
}

// websocket upgrades GET /ws/{id}. The handler returns right after the
// upgrade and the connection lives in its own goroutine: keeping the
// handler's goroutine would keep its grown stack and net/http's buffers for
// the life of the connection.
func (s *Server) websocket(w http.ResponseWriter, r *http.Request) {
	if origin := r.Header.Get("Origin"); origin != "" && !s.originAllowed(origin) && !sameHost(origin, r.Host) {
		s.fail(w, r, seance.Errorf(seance.EForbidden, "Origin not allowed.").With("origin", origin))
		return
	}
	var resume hub.Resume
	if raw := r.URL.Query().Get("last_seq"); raw != "" {
		n, err := intParam(raw, "last_seq", 0, 0, 1<<62)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		resume = hub.Resume{Enabled: true, LastSeq: n}
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	conn.SetReadLimit(wire.MaxFrameBytes)
	go s.serveSocket(&socket{conn: conn}, r.PathValue("id"), r.URL.Query().Get("token"), resume)
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, host)
}

// serveSocket identifies the client, joins it to the séance and reads its
// frames until the connection ends.
func (s *Server) serveSocket(sock *socket, sessionID, rawToken string, resume hub.Resume) {
	id, err := s.identify(sock, sessionID, rawToken)
	if errors.Is(err, errClosed) {
		sock.Close(websocket.CloseNormalClosure, "")
		return
	}
	if err != nil {
		sock.refuse(err, s.Now())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), joinWithin)
	client, err := s.Rooms.Join(ctx, sessionID, id, sock, resume)
	cancel()
	if err != nil {
		if seance.ErrorCode(err) == seance.EInternal {
			s.Logger.Error("websocket join", "session_id", sessionID, "err", err)
		}
		sock.refuse(err, s.Now())
		return
	}
	defer client.Leave()

	conn := sock.conn
	_ = conn.SetReadDeadline(time.Now().Add(s.PongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(s.PongWait)) })
	for {
		kind, data, err := conn.ReadMessage()
		if err != nil {
			return // closed, timed out, or over the size limit (gorilla sent 1009)
		}
		_ = conn.SetReadDeadline(time.Now().Add(s.PongWait))
		if kind == websocket.BinaryMessage {
			sock.Close(websocket.CloseUnsupportedData, "text frames only")
			return
		}
		f, err := wire.Decode(data)
		if err != nil {
			client.Reject(err)
			continue
		}
		client.Receive(f)
	}
}

// identify returns who the client is: from its token, or from the [orig]
// identify frame, which must come within 10 s.
func (s *Server) identify(sock *socket, sessionID, rawToken string) (hub.Identity, error) {
	if rawToken != "" {
		claims, err := s.Tokens.Verify(rawToken)
		if err == nil {
			err = claims.Require(sessionID, token.RoleParticipant)
		}
		if err != nil {
			return hub.Identity{}, seance.Errorf(seance.EUnauthorized, "This token does not admit you to this séance.")
		}
		return hub.Identity{ParticipantID: claims.ParticipantID}, nil
	}
	conn := sock.conn
	deadline := time.Now().Add(s.IdentifyTimeout)
	_ = conn.SetReadDeadline(deadline)
	for {
		kind, data, err := conn.ReadMessage()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return hub.Identity{}, seance.Errorf(wire.EIdentifyTimeout, "Identify within %s: send {\"user_id\", \"name\"} first.", s.IdentifyTimeout)
		}
		if err != nil {
			return hub.Identity{}, errClosed
		}
		if kind == websocket.BinaryMessage {
			sock.Close(websocket.CloseUnsupportedData, "text frames only")
			return hub.Identity{}, errClosed
		}
		f, err := wire.Decode(data)
		if err != nil {
			if seance.ErrorCode(err) == seance.EValidation {
				return hub.Identity{}, err
			}
			_ = sock.WriteText(wire.ErrorFrame(err, s.Now()))
			continue
		}
		if f.Kind != wire.KindIdentify {
			_ = sock.WriteText(wire.ErrorFrame(seance.Errorf(seance.EUnauthorized, "Identify first: send {\"user_id\", \"name\"}."), s.Now()))
			continue
		}
		return hub.Identity{UserID: f.UserID, Name: f.Name}, nil
	}
}

// errClosed: the connection ended (or was closed) while identifying.
var errClosed = errors.New("httpapi: connection closed")
