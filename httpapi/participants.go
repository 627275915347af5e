package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/token"
	"github.com/seancehq/seance/wire"
)

type joinRequest struct {
	Name json.RawMessage `json:"name"`
}

type joined struct {
	Participant wire.Participant `json:"participant"`
	Token       string           `json:"token"`
	WSURL       string           `json:"ws_url"`
}

// join admits a participant by name and returns the token its WebSocket
// connects with. Capacity is checked here as a courtesy; the WebSocket join
// is where it is enforced.
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, s.JoinLimit, metrics.LimitJoin) {
		return
	}
	id := r.PathValue("id")
	var req joinRequest
	if err := decodeObject(r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var name string
	if isAbsent(req.Name) || json.Unmarshal(req.Name, &name) != nil {
		s.fail(w, r, seance.Errorf(seance.EValidation, "name is required (a string).").With("field", "name"))
		return
	}
	name, err := seance.ParticipantName(name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sess, err := s.Store.Session(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !sess.IsActive() {
		s.fail(w, r, seance.SessionEnded(id))
		return
	}
	if n := s.Rooms.Present(r.Context(), sess.ID); n >= sess.MaxUsers {
		s.fail(w, r, seance.SessionFull(n, sess.MaxUsers))
		return
	}
	pid := s.NewID()
	p := &seance.Participant{ID: pid, SessionID: sess.ID, UserID: pid, Name: name, JoinedAt: seance.Timestamp(s.Now())}
	tok, err := s.Tokens.Issue(token.Claims{SessionID: sess.ID, Role: token.RoleParticipant, ParticipantID: pid})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.AddParticipant(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	s.ok(w, r, http.StatusCreated, joined{
		Participant: wire.ParticipantOf(*p),
		Token:       tok,
		WSURL:       "/ws/" + sess.ID + "?token=" + url.QueryEscape(tok),
	})
}

type removedView struct {
	wire.Participant
	RemovedAt *time.Time `json:"removed_at"`
}

// removeParticipant lets the host remove someone: its connections get
// error REMOVED and close 4403, and its token no longer admits it.
func (s *Server) removeParticipant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.requireHost(r, id); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.Store.RemoveParticipant(r.Context(), id, r.PathValue("participant_id"), seance.Timestamp(s.Now()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Rooms.RemoveParticipant(r.Context(), id, *p); err != nil {
		s.logger(r).Error("tell the room a participant was removed", "session_id", id, "err", err)
	}
	s.ok(w, r, http.StatusOK, removedView{Participant: wire.ParticipantOf(*p), RemovedAt: p.RemovedAt})
}
