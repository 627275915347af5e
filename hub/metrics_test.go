package hub_test

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/metrics/metricstest"
	"github.com/seancehq/seance/wire"
)

func withMetrics(m *metrics.Metrics) func(*hub.Config) { return func(c *hub.Config) { c.Metrics = m } }

// waitMetric polls the series until it reads want.
func waitMetric(t *testing.T, m *metrics.Metrics, series string, want float64) {
	t.Helper()
	var got float64
	eventually(t, fmt.Sprintf("%s = %v", series, want), func() bool {
		got = metricstest.ScrapeHandler(t, m.Handler()).Get(series)
		return got == want
	})
}

// The hub's gauges and counters follow a séance: a room opens with the first
// join, questions wait and are answered, refusals are counted by code, and
// the room closes when the last one leaves.
func TestHubMetrics(t *testing.T) {
	store := newStore(t)
	m := metrics.New(prometheus.NewRegistry(), "test")
	g := newGatedSpirit()
	h := newHub(t, store, withSpirit(g), withMetrics(m), func(c *hub.Config) { c.AskLimit = 3 })
	s := newSession(t, store, 6)
	a, aT := join(t, h, s.ID, "a", "A")
	_, bT := join(t, h, s.ID, "b", "B")
	aT.waitCount(wire.EvUserJoined, 2)
	waitMetric(t, m, "seance_seances_active", 1)
	waitMetric(t, m, "seance_joins_total", 2)

	ask(a, "a1")
	g.next(t) // a1 is being answered; a2 and a3 wait
	ask(a, "a2")
	ask(a, "a3")
	ask(a, "a4") // the fourth in the window
	ask(a, "   ")
	aT.waitCount(wire.EvError, 2)
	waitMetric(t, m, "seance_questions_waiting", 2)
	waitMetric(t, m, metricstest.Series("seance_messages_total", "kind", metrics.KindQuestion), 3)
	waitMetric(t, m, metricstest.Series("seance_questions_refused_total", "code", seance.ERateLimited), 1)
	waitMetric(t, m, metricstest.Series("seance_questions_refused_total", "code", seance.EEmptyMessage), 1)
	waitMetric(t, m, metricstest.Series("seance_rate_limited_total", "limit", metrics.LimitQuestions), 1)

	for i := range 3 {
		g.answer(t)
		if i < 2 {
			g.next(t)
		}
	}
	aT.waitCount(wire.EvSpiritResponse, 3)
	waitMetric(t, m, metricstest.Series("seance_messages_total", "kind", metrics.KindAnswer), 3)
	waitMetric(t, m, "seance_questions_waiting", 0)

	bT.Close(1000, "bye")
	waitMetric(t, m, "seance_leaves_total", 1)
	aT.Close(1000, "bye")
	waitMetric(t, m, "seance_leaves_total", 2)
	waitMetric(t, m, "seance_seances_active", 0)
}

// A client dropped for not keeping up is counted.
func TestSlowConsumerCounted(t *testing.T) {
	store := newStore(t)
	m := metrics.New(prometheus.NewRegistry(), "test")
	h := newHub(t, store, noLimits, withMetrics(m))
	s := newSession(t, store, 6)
	asker, _ := join(t, h, s.ID, "asker", "Asker")
	slowT := newTransport(t, "Slow")
	if _, err := connect(t, h, s.ID, "slow", "Slow", slowT, hub.Resume{}); err != nil {
		t.Fatal(err)
	}
	slowT.waitCount(wire.EvUserJoined, 2)
	slowT.hold.Store(true)
	for i := range 100 {
		ask(asker, fmt.Sprintf("question %d", i))
	}
	if code := slowT.waitClosed(); code != wire.ClosePolicy {
		t.Fatalf("closed with %d, want %d", code, wire.ClosePolicy)
	}
	waitMetric(t, m, "seance_slow_consumers_dropped_total", 1)
}
