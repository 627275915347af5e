package httpapi

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/seancehq/seance"
)

// connRetryAfter is the Retry-After of a refused connection: a place frees
// up when one of the client's sockets closes, which nobody can predict.
const connRetryAfter = 5 * time.Second

// Limit is a per-client budget: this node's (ratelimit.Limiter) or the
// cluster's (ratelimit.Shared). A nil pointer of either allows everything.
type Limit interface {
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration)
}

// allow takes one event from the client's budget under l, or writes 429
// RATE_LIMITED with Retry-After and returns false.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, l Limit, name string) bool {
	if l == nil {
		return true
	}
	ok, wait := l.Allow(r.Context(), clientAddr(r.Context()))
	if ok {
		return true
	}
	s.rateLimited(w, r, name, wait)
	return false
}

func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, name string, wait time.Duration) {
	s.Metrics.RateLimited(name)
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.fail(w, r, seance.Errorf(seance.ERateLimited, "Too many requests from your address (%s); try again in %d s.", name, secs).
		With("limit", name).With("retry_after_ms", wait.Milliseconds()))
}
