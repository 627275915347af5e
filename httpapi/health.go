package httpapi

import (
	"context"
	"net/http"
	"time"
)

type healthView struct {
	Status    string    `json:"status"`
	Database  string    `json:"database"`
	Broker    string    `json:"broker,omitempty"`
	Timestamp time.Time `json:"timestamp"`
	Version   string    `json:"version"`
	Uptime    string    `json:"uptime"`
}

// health answers from a real round trip to the database, so a load balancer
// stops sending traffic to a node that lost it. Not enveloped [orig].
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	now := s.Now()
	h := healthView{Status: "healthy", Database: "connected", Timestamp: now.UTC(), Version: s.Version, Uptime: now.Sub(s.started).Round(time.Second).String()}
	code := http.StatusOK
	if err := s.ping(r.Context()); err != nil {
		s.logger(r).Warn("health check: database unreachable", "err", err)
		h.Status, h.Database, code = "unhealthy", "disconnected", http.StatusServiceUnavailable
	}
	// A node cut off from the broker still serves its own members, but its
	// members no longer hear the rest of the séance: the load balancer
	// should send newcomers elsewhere.
	if s.Broker != nil {
		h.Broker = "connected"
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.Broker.Ping(ctx); err != nil {
			s.logger(r).Warn("health check: broker unreachable", "err", err)
			h.Status, h.Broker, code = "unhealthy", "disconnected", http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	s.writeJSON(w, r, code, h)
}

type spiritView struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

func (s *Server) spirits(w http.ResponseWriter, r *http.Request) {
	ps := s.Spirits.Personas()
	out := make([]spiritView, len(ps))
	for i, p := range ps {
		out[i] = spiritView{ID: p.ID, Name: p.Name, Description: p.Description}
	}
	s.ok(w, r, http.StatusOK, out)
}
