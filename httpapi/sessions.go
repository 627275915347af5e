package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/token"
	"github.com/seancehq/seance/wire"
)

// viewSession is the séance as clients see it; participant_count is who is
// connected now.
func (s *Server) viewSession(ctx context.Context, sess *seance.Session) wire.Session {
	return wire.SessionOf(sess, s.Rooms.Present(ctx, sess.ID))
}

// createRequest keeps each field raw so that a value of the wrong JSON type
// ("6" for max_users) is a validation error naming the field, not a JSON error.
type createRequest struct {
	Name     json.RawMessage `json:"name"`
	MaxUsers json.RawMessage `json:"max_users"`
	Spirit   json.RawMessage `json:"spirit"`
}

func (cr createRequest) newSession() (seance.NewSession, error) {
	var ns seance.NewSession
	if isAbsent(cr.Name) {
		return ns, seance.Errorf(seance.EValidation, "name is required.").With("field", "name")
	}
	if err := json.Unmarshal(cr.Name, &ns.Name); err != nil {
		return ns, seance.Errorf(seance.EValidation, "name must be a string.").With("field", "name")
	}
	if !isAbsent(cr.MaxUsers) {
		var n int
		if err := json.Unmarshal(cr.MaxUsers, &n); err != nil {
			return ns, seance.Errorf(seance.EValidation, "max_users must be a whole number from %d to %d.", seance.MinUsers, seance.MaxUsers).With("field", "max_users")
		}
		ns.MaxUsers = &n
	}
	if !isAbsent(cr.Spirit) {
		var id string
		if err := json.Unmarshal(cr.Spirit, &id); err != nil {
			return ns, seance.Errorf(seance.EValidation, "spirit must be a persona id (a string).").With("field", "spirit")
		}
		ns.Spirit = &id
	}
	return ns, nil
}

// canonicalSession answers 404 for a séance id in any spelling but the
// canonical one before h runs: the store would find the séance under
// "{ID}" or "urn:uuid:id", but rooms, limits and presence are keyed by the
// string, so each spelling would be a séance of its own.
func (s *Server) canonicalSession(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if id := r.PathValue("id"); id != "" && !seance.ValidID(id) {
			s.fail(w, r, seance.SessionNotFound(id))
			return
		}
		h(w, r)
	}
}

func isAbsent(raw json.RawMessage) bool { return len(raw) == 0 || string(raw) == "null" }

type createdSession struct {
	wire.Session
	HostToken string `json:"host_token"`
}

func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, s.CreateLimit, metrics.LimitCreate) {
		return
	}
	var req createRequest
	if err := decodeObject(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	ns, err := req.newSession()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sess, err := ns.Validate(s.Spirits, s.NewID(), s.Now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Sign before storing: a séance nobody can end must not exist.
	host, err := s.Tokens.Issue(token.Claims{SessionID: sess.ID, Role: token.RoleHost})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.CreateSession(r.Context(), sess); err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/sessions/"+sess.ID)
	s.ok(w, r, http.StatusCreated, createdSession{Session: s.viewSession(r.Context(), sess), HostToken: host})
}

func (s *Server) getSession(w http.ResponseWriter, r *http.Request) {
	sess, err := s.Store.Session(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, http.StatusOK, s.viewSession(r.Context(), sess))
}

func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.requireHost(r, id); err != nil {
		s.fail(w, r, err)
		return
	}
	sess, err := s.Store.EndSession(r.Context(), id, seance.Timestamp(s.Now()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Rooms.EndSession(r.Context(), id, "ended_by_host"); err != nil {
		s.logger(r).Error("tell the room the séance ended", "session_id", id, "err", err)
	}
	s.ok(w, r, http.StatusOK, s.viewSession(r.Context(), sess))
}

// requireHost checks the request's host token for the séance: 401 without a
// valid token, 404 for an unknown séance, 403 for a token of another.
func (s *Server) requireHost(r *http.Request, sessionID string) error {
	raw, ok := bearer(r)
	if !ok {
		return seance.Errorf(seance.EUnauthorized, "This needs the séance's host token: Authorization: Bearer <host_token>.")
	}
	claims, err := s.Tokens.Verify(raw)
	if err != nil {
		return err
	}
	if _, err := s.Store.Session(r.Context(), sessionID); err != nil {
		return err
	}
	return claims.Require(sessionID, token.RoleHost)
}

// bearer returns the token of an "Authorization: Bearer …" header.
func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimSpace(tok)
	return tok, tok != ""
}

// History paging limits of the contract.
const (
	defaultHistoryLimit = 100
	maxHistoryLimit     = 200
)

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	q := r.URL.Query()
	after, err := intParam(q.Get("after_seq"), "after_seq", 0, 0, 1<<62)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := intParam(q.Get("limit"), "limit", defaultHistoryLimit, 1, maxHistoryLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.Store.Session(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	// One more than asked tells whether another page follows.
	msgs, err := s.Store.Messages(r.Context(), id, after, int(limit)+1)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	more := len(msgs) > int(limit)
	if more {
		msgs = msgs[:limit]
	}
	m := meta{Limit: new(int(limit)), HasMore: &more}
	if more {
		m.NextAfterSeq = new(msgs[len(msgs)-1].Seq)
	}
	s.okMeta(w, r, http.StatusOK, wire.MessagesOf(msgs), m)
}

// intParam parses an optional integer query parameter within [lo, hi].
func intParam(raw, name string, def, lo, hi int64) (int64, error) {
	if raw == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, seance.Errorf(seance.EValidation, "%s must be a whole number from %d to %d.", name, lo, hi).With("field", name)
	}
	return n, nil
}
