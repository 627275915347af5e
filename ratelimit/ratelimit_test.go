package ratelimit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/seancehq/seance/inmem"
	"github.com/seancehq/seance/internal/testclock"
	"github.com/seancehq/seance/ratelimit"
)

func TestLimiter(t *testing.T) {
	type step struct {
		advance   time.Duration
		key       string
		wantOK    bool
		wantRetry time.Duration // when refused
	}
	tests := []struct {
		name   string
		n      int
		period time.Duration
		steps  []step
	}{
		{"a burst of n, then one per period/n", 3, time.Minute, []step{
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, 20 * time.Second},
			{10 * time.Second, "a", false, 10 * time.Second},
			{10 * time.Second, "a", true, 0},
			{0, "a", false, 20 * time.Second},
		}},
		{"keys have budgets of their own", 1, time.Second, []step{
			{0, "a", true, 0},
			{0, "a", false, time.Second},
			{0, "b", true, 0},
			{0, "b", false, time.Second},
		}},
		{"an idle key gets its whole burst back, never more", 2, time.Hour, []step{
			{0, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, 30 * time.Minute},
			{10 * time.Hour, "a", true, 0},
			{0, "a", true, 0},
			{0, "a", false, 30 * time.Minute},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := testclock.New(time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC))
			l := ratelimit.New(tt.n, tt.period, clk.Now)
			for i, st := range tt.steps {
				clk.Advance(st.advance)
				ok, retry := l.Allow(context.Background(), st.key)
				if ok != st.wantOK || (!ok && retry != st.wantRetry) {
					t.Fatalf("step %d (%s): Allow = %v, retry %v; want %v, %v", i, st.key, ok, retry, st.wantOK, st.wantRetry)
				}
			}
		})
	}
}

// The zero limits of the configuration ("0") are nil limiters, which allow
// everything.
func TestZeroMeansNoLimit(t *testing.T) {
	if l := ratelimit.New(0, time.Minute, nil); l != nil {
		t.Fatal("New(0, …) is a limiter")
	}
	var l *ratelimit.Limiter
	for range 1000 {
		if ok, _ := l.Allow(context.Background(), "a"); !ok {
			t.Fatal("a nil limiter refused")
		}
	}
	if c := ratelimit.NewConcurrency(0); c != nil {
		t.Fatal("NewConcurrency(0) is a limit")
	}
	var c *ratelimit.Concurrency
	for range 1000 {
		if _, ok := c.Acquire("a"); !ok {
			t.Fatal("a nil concurrency limit refused")
		}
	}
}

// Keys whose budget has refilled are forgotten, so a stream of one-off
// addresses does not grow the map for ever.
func TestLimiterForgetsIdleKeys(t *testing.T) {
	clk := testclock.New(time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC))
	l := ratelimit.New(10, time.Minute, clk.Now)
	for i := range 1000 {
		l.Allow(context.Background(), string(rune('a'+i%26))+time.Duration(i).String())
	}
	if l.Len() != 1000 {
		t.Fatalf("remembers %d keys, want 1000", l.Len())
	}
	clk.Advance(2 * time.Minute)
	l.Allow(context.Background(), "newcomer")
	if l.Len() != 1 {
		t.Fatalf("after every budget refilled: remembers %d keys, want 1", l.Len())
	}
}

func TestConcurrency(t *testing.T) {
	c := ratelimit.NewConcurrency(2)
	r1, ok1 := c.Acquire("a")
	_, ok2 := c.Acquire("a")
	_, ok3 := c.Acquire("a")
	_, okB := c.Acquire("b")
	if !ok1 || !ok2 || ok3 || !okB {
		t.Fatalf("acquire: %v %v %v (b: %v), want true true false (true)", ok1, ok2, ok3, okB)
	}
	r1()
	r1() // a second release gives back nothing more
	if c.Held("a") != 1 {
		t.Fatalf("a holds %d after one release, want 1", c.Held("a"))
	}
	if _, ok := c.Acquire("a"); !ok {
		t.Fatal("a released place was not free again")
	}
	if _, ok := c.Acquire("a"); ok {
		t.Fatal("released twice, counted twice")
	}
}

func TestConcurrencyRace(t *testing.T) {
	c := ratelimit.NewConcurrency(5)
	var wg sync.WaitGroup
	var mu sync.Mutex
	peak, held := 0, 0
	for range 50 {
		wg.Go(func() {
			for range 100 {
				release, ok := c.Acquire("k")
				if !ok {
					continue
				}
				mu.Lock()
				held++
				peak = max(peak, held)
				mu.Unlock()
				mu.Lock()
				held--
				mu.Unlock()
				release()
			}
		})
	}
	wg.Wait()
	if peak > 5 || c.Held("k") != 0 {
		t.Fatalf("peak %d (limit 5), %d still held", peak, c.Held("k"))
	}
}

// failing is a shared store that cannot be reached.
type failing struct{}

func (failing) Allow(context.Context, string, int, time.Duration) (bool, time.Duration, error) {
	return false, 0, errors.New("connection refused")
}

// The shared limiter spends one budget per key across every node using the
// store, and while the store fails each node still holds the line alone.
func TestShared(t *testing.T) {
	ctx := context.Background()
	store := inmem.NewBroker()
	nodeA := ratelimit.NewShared(store, "join:", 2, time.Minute, nil)
	nodeB := ratelimit.NewShared(store, "join:", 2, time.Minute, nil)
	other := ratelimit.NewShared(store, "create:", 1, time.Minute, nil)

	steps := []struct {
		l    *ratelimit.Shared
		key  string
		want bool
	}{
		{nodeA, "10.0.0.1", true},
		{nodeB, "10.0.0.1", true},
		{nodeA, "10.0.0.1", false}, // the budget of 2 is spent across both nodes
		{nodeB, "10.0.0.1", false},
		{nodeB, "10.0.0.2", true},  // another client
		{other, "10.0.0.1", true},  // another limit under its own prefix
		{other, "10.0.0.1", false}, // …with its own budget
	}
	for i, st := range steps {
		ok, retry := st.l.Allow(ctx, st.key)
		if ok != st.want {
			t.Fatalf("step %d: Allow(%s) = %v, want %v", i, st.key, ok, st.want)
		}
		if !ok && (retry <= 0 || retry > time.Minute) {
			t.Fatalf("step %d: retry after %v, want within the minute", i, retry)
		}
	}

	down := ratelimit.NewShared(failing{}, "join:", 2, time.Minute, nil)
	for i, want := range []bool{true, true, false} {
		if ok, _ := down.Allow(ctx, "10.0.0.1"); ok != want {
			t.Fatalf("store down, call %d: Allow = %v, want %v (this node's own budget)", i, ok, want)
		}
	}

	var none *ratelimit.Shared = ratelimit.NewShared(store, "x:", 0, time.Minute, nil)
	if ok, _ := none.Allow(ctx, "anyone"); !ok {
		t.Fatal("a limit of 0 refused")
	}
}
