package httpapi

import (
	"context"
	"net/http"
	"sync"
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
	} else if err := s.writable.check(r.Context(), s.Store, now); err != nil {
		s.logger(r).Warn("health check: database takes no writes", "err", err)
		h.Status, h.Database, code = "unhealthy", "unwritable", http.StatusServiceUnavailable
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

// writeCheckEvery is how often /health makes its write: a load balancer
// asking every second must not cost a commit each time, while a disk that
// filled up is noticed within seconds.
const writeCheckEvery = 5 * time.Second

// writeCheckTimeout bounds the write: one that waits longer (a queue of
// writes, a lock) means the database is not taking writes in time.
const writeCheckTimeout = 2 * time.Second

// writeCheck remembers the last write check, so that many health requests
// share one write per writeCheckEvery. The zero value is ready.
type writeCheck struct {
	mu  sync.Mutex
	at  time.Time // when the last check started; zero: none yet
	err error     // its result; a check under way leaves the previous one
}

// check returns the result of a write made less than writeCheckEvery before
// now, or makes one. One caller writes at a time; the others meanwhile get
// the previous result rather than wait or write as well.
func (c *writeCheck) check(ctx context.Context, store Store, now time.Time) error {
	c.mu.Lock()
	if !c.at.IsZero() && !now.Before(c.at) && now.Sub(c.at) < writeCheckEvery {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.at = now
	c.mu.Unlock()

	// A client that hangs up must not be remembered as a failed write.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeCheckTimeout)
	defer cancel()
	err := store.PingWrite(wctx)

	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	return err
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
