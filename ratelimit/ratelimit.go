// Package ratelimit keeps the per-client budgets of a server: N events per
// period for each key (a token bucket), and at most N things held at once
// for each key. A nil *Limiter or *Concurrency limits nothing, which is what
// a limit of 0 in the configuration means.
//
// Limiter's state is in this process only; Shared keeps the budget in a
// store every node uses (Redis), falling back to this process's Limiter
// while that store cannot be reached.
package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Limiter allows each key n events per period: a burst of n, then one more
// every period/n.
type Limiter struct {
	n     float64
	every time.Duration // to earn one token
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was computed
}

// New returns a limiter of n events per period per key, or nil (no limit)
// when n or period is not positive. now is the clock.
func New(n int, period time.Duration, now func() time.Time) *Limiter {
	if n <= 0 || period <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{n: float64(n), every: period / time.Duration(n), now: now, buckets: map[string]bucket{}}
}

// Allow takes one event from key's budget. When the budget is spent it
// returns false and how long until the next event would be allowed. It
// never waits; ctx is for the shared limiter's sake.
func (l *Limiter) Allow(_ context.Context, key string) (ok bool, retryAfter time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, seen := l.buckets[key]
	if !seen {
		b = bucket{tokens: l.n, at: now}
	}
	b = l.refill(b, now)
	if b.tokens < 1 {
		l.buckets[key] = b
		return false, time.Duration((1 - b.tokens) * float64(l.every))
	}
	b.tokens--
	l.buckets[key] = b
	return true, 0
}

func (l *Limiter) refill(b bucket, now time.Time) bucket {
	if elapsed := now.Sub(b.at); elapsed > 0 {
		b.tokens = min(l.n, b.tokens+float64(elapsed)/float64(l.every))
		b.at = now
	}
	return b
}

// sweep forgets the keys whose bucket has filled up again, at most once per
// refill period: a full bucket is what an unknown key gets, so forgetting
// it changes nothing, and the map stays as small as the set of clients
// active lately instead of every address ever seen. Callers hold mu.
func (l *Limiter) sweep(now time.Time) {
	period := time.Duration(l.n) * l.every
	if now.Sub(l.lastSweep) < period {
		return
	}
	l.lastSweep = now
	for k, b := range l.buckets {
		if l.refill(b, now).tokens >= l.n {
			delete(l.buckets, k)
		}
	}
}

// Len returns how many keys the limiter remembers.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// Concurrency allows each key at most n things at once (open connections).
type Concurrency struct {
	n    int
	mu   sync.Mutex
	held map[string]int
}

// NewConcurrency returns a limit of n at once per key, or nil (no limit)
// when n is not positive.
func NewConcurrency(n int) *Concurrency {
	if n <= 0 {
		return nil
	}
	return &Concurrency{n: n, held: map[string]int{}}
}

// Acquire takes one of key's places. When it returns true the caller must
// call the returned release exactly once, when the thing is let go.
func (c *Concurrency) Acquire(key string) (release func(), ok bool) {
	if c == nil {
		return func() {}, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[key] >= c.n {
		return nil, false
	}
	c.held[key]++
	var once sync.Once
	return func() { once.Do(func() { c.release(key) }) }, true
}

func (c *Concurrency) release(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.held[key]--; c.held[key] <= 0 {
		delete(c.held, key)
	}
}

// Held returns how many places key holds.
func (c *Concurrency) Held(key string) int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held[key]
}

// Counter is a budget store shared by the nodes: n events per period per
// key (the Redis broker is one).
type Counter interface {
	Allow(ctx context.Context, key string, n int, per time.Duration) (ok bool, retryAfter time.Duration, err error)
}

// Shared allows each key n events per period across every node.
type Shared struct {
	counter  Counter
	prefix   string
	n        int
	per      time.Duration
	fallback *Limiter
	log      *slog.Logger
}

// NewShared returns a limiter of n events per period per key kept in c
// under prefix, or nil (no limit) when n or period is not positive. While c
// fails, this process's own limiter of the same budget decides.
func NewShared(c Counter, prefix string, n int, period time.Duration, log *slog.Logger) *Shared {
	if n <= 0 || period <= 0 {
		return nil
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Shared{counter: c, prefix: prefix, n: n, per: period, fallback: New(n, period, nil), log: log}
}

// Allow takes one event from key's budget.
func (s *Shared) Allow(ctx context.Context, key string) (bool, time.Duration) {
	if s == nil {
		return true, 0
	}
	ok, retry, err := s.counter.Allow(ctx, s.prefix+key, s.n, s.per)
	if err != nil {
		s.log.Warn("shared rate limit unavailable; counting on this node", "limit", s.prefix, "err", err)
		return s.fallback.Allow(ctx, key)
	}
	return ok, retry
}
