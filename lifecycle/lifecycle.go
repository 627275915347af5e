// Package lifecycle is the background job that keeps a Séance database
// tidy: séances idle for longer than the idle TTL end (everyone still
// connected is told, with reason "idle"), and séances ended longer ago than
// the retention are deleted with their messages.
//
// Every node runs the job; a lock in the database lets one node at a time
// do a pass, and a pass done twice finds nothing left to do, so nodes need
// not agree on anything else.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
)

// ReasonIdle is the session_ended reason of a séance ended for idleness.
const ReasonIdle = "idle"

// lockName is the database lock a pass holds.
const lockName = "lifecycle"

// batch is how many séances one statement ends or deletes: a pass loops
// over batches, so that a backlog (the first run after a long outage, or
// after the retention was shortened) never becomes one huge transaction.
const batch = 200

// Store is the part of the store the job uses.
type Store interface {
	EndIdleSessions(ctx context.Context, idleBefore, at time.Time, limit int) ([]string, error)
	DeleteEndedBefore(ctx context.Context, t time.Time, limit int) (int, error)
	TryLock(ctx context.Context, name string) (unlock func(), ok bool, err error)
}

// Rooms tells the people in a séance that it ended, on every node.
type Rooms interface {
	EndSession(ctx context.Context, sessionID, reason string) error
}

var _ Store = seance.Store(nil)

// Config is the job's rules and collaborators.
type Config struct {
	Store   Store
	Rooms   Rooms
	IdleTTL time.Duration // séances idle this long end
	// Retention is how long an ended séance is kept.
	Retention time.Duration
	// Every is the time between two passes (default: see Every).
	Every   time.Duration
	Now     func() time.Time
	Logger  *slog.Logger
	Metrics *metrics.Metrics
}

// Job is the lifecycle job. Create it with New.
type Job struct {
	cfg Config
	log *slog.Logger
}

// New returns the job; start it with Run.
func New(cfg Config) *Job {
	if cfg.Every <= 0 {
		cfg.Every = Every(cfg.IdleTTL, cfg.Retention)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Job{cfg: cfg, log: log}
}

// Every is the default time between passes: a minute, or less when a
// deadline is shorter than two minutes, so that a séance outlives its idle
// TTL by at most half of it.
func Every(idleTTL, retention time.Duration) time.Duration {
	d := time.Minute
	for _, limit := range []time.Duration{idleTTL, retention} {
		if limit > 0 {
			d = min(d, limit/2)
		}
	}
	return max(d, 100*time.Millisecond)
}

// Result is what one pass did.
type Result struct {
	Ran     bool // false when another node held the lock
	Expired []string
	Deleted int
}

// Run does a pass at once, then one every cfg.Every, until ctx ends. A
// failed pass is logged and tried again at the next tick.
func (j *Job) Run(ctx context.Context) {
	tick := time.NewTicker(j.cfg.Every)
	defer tick.Stop()
	for {
		if _, err := j.RunOnce(ctx); err != nil && ctx.Err() == nil {
			j.log.Error("lifecycle pass failed; trying again later", "err", err, "next_in", j.cfg.Every.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Start runs the job in the background; the returned stop ends it and waits
// for a pass in progress to finish (its statements are cancelled).
func (j *Job) Start(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { j.Run(ctx) })
	return func() { cancel(); wg.Wait() }
}

// RunOnce does one pass, if no other node is doing one: ends the idle
// séances, then deletes the expired ones.
func (j *Job) RunOnce(ctx context.Context) (Result, error) {
	unlock, ok, err := j.cfg.Store.TryLock(ctx, lockName)
	if err != nil {
		j.cfg.Metrics.LifecycleRun(metrics.RunFailed)
		return Result{}, fmt.Errorf("lifecycle: %w", err)
	}
	if !ok {
		j.cfg.Metrics.LifecycleRun(metrics.RunSkipped)
		return Result{}, nil
	}
	defer unlock()
	res := Result{Ran: true}
	now := j.cfg.Now()
	expired, expireErr := j.expire(ctx, now)
	res.Expired = expired
	// Retention runs even when expiry failed: the two are independent, and
	// an error in one must not let the other's backlog grow.
	deleted, deleteErr := j.purge(ctx, now)
	res.Deleted = deleted
	if err := errors.Join(expireErr, deleteErr); err != nil {
		j.cfg.Metrics.LifecycleRun(metrics.RunFailed)
		return res, fmt.Errorf("lifecycle: %w", err)
	}
	j.cfg.Metrics.LifecycleRun(metrics.RunDone)
	if len(expired) > 0 || deleted > 0 {
		j.log.Info("lifecycle pass", "ended_idle", len(expired), "deleted", deleted)
	}
	return res, nil
}

// expire ends the séances idle since before now - IdleTTL and tells their
// rooms. The store ends them first: a room told first could be joined
// again before the store knew.
func (j *Job) expire(ctx context.Context, now time.Time) ([]string, error) {
	if j.cfg.IdleTTL <= 0 {
		return nil, nil
	}
	var all []string
	for {
		ids, err := j.cfg.Store.EndIdleSessions(ctx, now.Add(-j.cfg.IdleTTL), seance.Timestamp(now), batch)
		if err != nil {
			return all, fmt.Errorf("end idle séances: %w", err)
		}
		j.cfg.Metrics.SeancesExpired(len(ids))
		for _, id := range ids {
			// A room not told is no harm to the data: the séance is ended
			// in the store, and a node that loads it again refuses it.
			if err := j.cfg.Rooms.EndSession(ctx, id, ReasonIdle); err != nil {
				j.log.Warn("tell a séance's room it ended for idleness", "session_id", id, "err", err)
			}
		}
		all = append(all, ids...)
		if len(ids) < batch {
			return all, nil
		}
	}
}

// purge deletes the séances that ended before now - Retention.
func (j *Job) purge(ctx context.Context, now time.Time) (int, error) {
	if j.cfg.Retention <= 0 {
		return 0, nil
	}
	total := 0
	for {
		n, err := j.cfg.Store.DeleteEndedBefore(ctx, now.Add(-j.cfg.Retention), batch)
		if err != nil {
			return total, fmt.Errorf("delete ended séances: %w", err)
		}
		j.cfg.Metrics.SeancesDeleted(n)
		total += n
		if n < batch {
			return total, nil
		}
	}
}
