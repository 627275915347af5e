package httpapi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/gobwas/ws"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/netpoll"
	"github.com/seancehq/seance/token"
	"github.com/seancehq/seance/wire"
)

// Rooms is the real-time side the HTTP surface hands connections to.
type Rooms interface {
	Join(ctx context.Context, sessionID string, id hub.Identity, t hub.Transport, r hub.Resume) (*hub.Client, error)
	EndSession(ctx context.Context, sessionID, reason string) error
	RemoveParticipant(ctx context.Context, sessionID string, p seance.Participant) error
	Present(ctx context.Context, sessionID string) int
}

// WebSocket timings of the contract.
const (
	writeWait       = 10 * time.Second
	frameWait       = 10 * time.Second // to finish a frame once it started arriving
	defaultPongWait = 60 * time.Second // no frame nor pong for this long: the peer is gone
	joinWithin      = 10 * time.Second
)

// Close codes of the WebSocket protocol itself.
const (
	closeNormal      = 1000
	closeProtocol    = 1002
	closeInvalidData = 1007
)

// socket is one WebSocket connection: gobwas/ws frames read straight from the
// connection (never buffered past the current frame, so the poller's
// "readable" is exact), writes serialised by a mutex. It is the
// hub.Transport of its client.
type socket struct {
	srv      *Server
	conn     net.Conn
	leftover []byte // bytes that arrived with the handshake, read before conn

	wmu      sync.Mutex
	lastSeen atomic.Int64 // unix nanoseconds of the last frame from the peer

	mu     sync.Mutex // guards the three below: Close may run before they are set
	closed bool
	client *hub.Client
	desc   *netpoll.Desc

	// release gives back the client address's connection place.
	release func()
}

func (s *socket) Read(p []byte) (int, error) {
	if len(s.leftover) > 0 {
		n := copy(p, s.leftover)
		s.leftover = s.leftover[n:]
		if len(s.leftover) == 0 {
			s.leftover = nil
		}
		return n, nil
	}
	return s.conn.Read(p)
}

// writeFrame writes one unmasked server frame with a single write.
func (s *socket) writeFrame(op ws.OpCode, payload []byte) error {
	var hdr bytes.Buffer
	hdr.Grow(ws.MaxHeaderSize)
	if err := ws.WriteHeader(&hdr, ws.Header{Fin: true, OpCode: op, Length: int64(len(payload))}); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeWait))
	bufs := net.Buffers{hdr.Bytes(), payload}
	_, err := bufs.WriteTo(s.conn)
	return err
}

func (s *socket) WriteText(b []byte) error { return s.writeFrame(ws.OpText, b) }

// WritePing pings the peer, or reports it dead when it has been silent for
// longer than the pong wait: pings are what make a live peer speak.
func (s *socket) WritePing() error {
	if time.Since(time.Unix(0, s.lastSeen.Load())) > s.srv.PongWait {
		return errSilent
	}
	return s.writeFrame(ws.OpPing, nil)
}

var errSilent = errors.New("httpapi: peer silent past the pong wait")

// Close sends a close frame (best effort), closes the connection and takes
// the client out of its room. Safe to call many times, from anywhere.
func (s *socket) Close(code int, reason string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	client, desc := s.client, s.desc
	s.mu.Unlock()
	if reason == "" {
		reason = wire.CloseReason(code)
	}
	_ = s.writeFrame(ws.OpClose, ws.NewCloseFrameBody(ws.StatusCode(code), wire.ShortReason(reason)))
	if desc != nil {
		desc.Remove()
	}
	_ = s.conn.Close()
	s.release()
	s.srv.Metrics.WebSocketClosed()
	if client != nil {
		// Leave takes the room's lock; Close may run under others'.
		go client.Leave()
	}
}

// attach records the joined client; false if the socket closed meanwhile
// (the client is then taken out of its room at once).
func (s *socket) attach(c *hub.Client) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		go c.Leave()
		return false
	}
	s.client = c
	return true
}

// watch records the poller registration; false if the socket closed meanwhile.
func (s *socket) watch(d *netpoll.Desc) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		d.Remove()
		return false
	}
	s.desc = d
	return true
}

// refuse sends an error event and closes with the code that goes with it.
func (s *socket) refuse(err error, now time.Time) {
	_ = s.WriteText(wire.ErrorFrame(err, now))
	code := wire.CloseOn(err)
	// The error's own words ("This séance is full (6 of 6).") are what a
	// client that reads only the close frame shows.
	s.Close(code, seance.ErrorMessage(err))
}

// errPeerClosed: the peer closed the connection (or sent a close frame).
var errPeerClosed = errors.New("httpapi: peer closed")

// protocolError fails the connection with a WebSocket close code.
type protocolError struct {
	code   int
	reason string
}

func (e *protocolError) Error() string { return e.reason }

// readFrame reads one frame and handles it if it is a control frame. It
// returns the payload of a complete text message, or ok=false when there is
// none yet (a control frame was handled). A fragmented message is read to its
// end here.
func (s *socket) readFrame() (msg []byte, ok bool, err error) {
	var (
		text    []byte
		started bool
	)
	for {
		h, err := ws.ReadHeader(s)
		if err != nil {
			return nil, false, errPeerClosed
		}
		_ = s.conn.SetReadDeadline(time.Now().Add(frameWait))
		switch {
		case h.Rsv != 0 || h.OpCode.IsReserved() || !h.Masked:
			return nil, false, &protocolError{closeProtocol, "bad frame"}
		case h.OpCode.IsControl() && (h.Length > 125 || !h.Fin):
			return nil, false, &protocolError{closeProtocol, "bad control frame"}
		case h.Length+int64(len(text)) > wire.MaxFrameBytes:
			return nil, false, &protocolError{int(ws.StatusMessageTooBig), "frame over 8 KiB"}
		case h.OpCode == ws.OpBinary:
			return nil, false, &protocolError{int(ws.StatusUnsupportedData), "text frames only"}
		}
		payload := make([]byte, h.Length)
		if _, err := io.ReadFull(s, payload); err != nil {
			return nil, false, errPeerClosed
		}
		ws.Cipher(payload, h.Mask, 0)
		s.lastSeen.Store(time.Now().UnixNano())

		switch h.OpCode {
		case ws.OpPing:
			if err := s.writeFrame(ws.OpPong, payload); err != nil {
				return nil, false, errPeerClosed
			}
		case ws.OpPong:
		case ws.OpClose:
			return nil, false, errPeerClosed
		case ws.OpText:
			if started {
				return nil, false, &protocolError{closeProtocol, "new message inside a fragmented one"}
			}
			started = true
			text = payload
		case ws.OpContinuation:
			if !started {
				return nil, false, &protocolError{closeProtocol, "continuation without a message"}
			}
			text = append(text, payload...)
		}
		if !started {
			return nil, false, nil // a control frame alone
		}
		if h.Fin && (h.OpCode == ws.OpText || h.OpCode == ws.OpContinuation) {
			if !utf8.Valid(text) {
				return nil, false, &protocolError{closeInvalidData, "text is not UTF-8"}
			}
			return text, true, nil
		}
	}
}

// fail closes the socket after a read error.
func (s *socket) fail(err error) {
	var pe *protocolError
	if errors.As(err, &pe) {
		s.Close(pe.code, pe.reason)
		return
	}
	s.Close(closeNormal, "")
}

// websocket upgrades GET /ws/{id}. The handler returns right after the
// upgrade: nothing waits on an idle connection but the poller.
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
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		s.fail(w, r, seance.Errorf(seance.EValidation, "This is a WebSocket endpoint: send an upgrade request."))
		return
	}
	rawToken := r.URL.Query().Get("token")
	if rawToken == "" {
		// The [orig] frontend retries a socket that opens and then closes,
		// every second, forever; a refusal before the upgrade it takes as
		// final. Clients with a token get the close codes after it.
		if err := s.activeSession(r); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	// Refused with HTTP 429 before the upgrade: a plain status any client
	// (and the load tool) can read, and no socket is spent on the refusal.
	release, ok := s.ConnLimit.Acquire(clientAddr(r.Context()))
	if !ok {
		s.rateLimited(w, r, metrics.LimitConnections, connRetryAfter)
		return
	}
	if !s.allow(w, r, s.JoinLimit, metrics.LimitJoin) {
		release()
		return
	}
	conn, rw, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		release()
		return // the upgrader has answered
	}
	s.Metrics.WebSocketOpened()
	sock := &socket{srv: s, conn: conn, leftover: buffered(rw), release: release}
	sock.lastSeen.Store(time.Now().UnixNano())
	go s.serveSocket(sock, r.PathValue("id"), rawToken, clientAddr(r.Context()), resume)
}

// activeSession is nil when the request's séance exists and has not ended.
func (s *Server) activeSession(r *http.Request) error {
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), joinWithin)
	defer cancel()
	sess, err := s.Store.Session(ctx, id)
	if err != nil {
		return err
	}
	if !sess.IsActive() {
		return seance.SessionEnded(id)
	}
	return nil
}

// buffered returns what the client sent after its handshake and the HTTP
// server already read.
func buffered(rw *bufio.ReadWriter) []byte {
	if rw == nil || rw.Reader.Buffered() == 0 {
		return nil
	}
	b, _ := rw.Reader.Peek(rw.Reader.Buffered())
	return bytes.Clone(b)
}

func sameHost(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, host)
}

// serveSocket identifies the client, joins it to the séance, then hands the
// connection to the poller.
func (s *Server) serveSocket(sock *socket, sessionID, rawToken, addr string, resume hub.Resume) {
	id, err := s.identify(sock, sessionID, rawToken)
	id.Addr = addr
	if err != nil {
		if errors.Is(err, errPeerClosed) || isProtocol(err) {
			sock.fail(err)
			return
		}
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
	if !sock.attach(client) {
		return
	}
	_ = sock.conn.SetReadDeadline(time.Time{})
	// Frames that came with the handshake or the identify are read first.
	for len(sock.leftover) > 0 {
		if !sock.readOne() {
			return
		}
	}
	if s.Poller == nil {
		for sock.readOne() {
		}
		return
	}
	desc, err := s.Poller.Add(sock.conn, func(d *netpoll.Desc) {
		if sock.readOne() {
			if err := d.Resume(); err != nil {
				sock.Close(closeNormal, "")
			}
		}
	})
	if err != nil {
		s.Logger.Error("websocket: poller", "err", err)
		sock.Close(wire.CloseInternal, "The server could not watch this connection; reconnect.")
		return
	}
	sock.watch(desc)
}

func isProtocol(err error) bool {
	var pe *protocolError
	return errors.As(err, &pe)
}

// readOne reads and handles one frame; false once the connection is done.
func (s *socket) readOne() bool {
	msg, ok, err := s.readFrame()
	if err != nil {
		s.fail(err)
		return false
	}
	_ = s.conn.SetReadDeadline(time.Time{})
	if !ok {
		return true
	}
	f, err := wire.Decode(msg)
	s.mu.Lock()
	client := s.client
	s.mu.Unlock()
	if err != nil {
		client.Reject(err)
		return true
	}
	client.Receive(f)
	return true
}

// identify returns who the client is: from its token, or from the [orig]
// identify frame, which must come within the identify timeout.
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
	deadline := time.Now().Add(s.IdentifyTimeout)
	for {
		_ = sock.conn.SetReadDeadline(deadline)
		msg, ok, err := sock.readFrame()
		if errors.Is(err, errPeerClosed) && time.Now().After(deadline) {
			return hub.Identity{}, seance.IdentifyTimeout(s.IdentifyTimeout)
		}
		if err != nil {
			return hub.Identity{}, err
		}
		if !ok {
			continue
		}
		f, err := wire.Decode(msg)
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
