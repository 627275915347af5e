package metrics_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/metrics/metricstest"
)

// Every recorder method moves its series; the series that must read 0
// before anything happens are there from the start.
func TestRecorders(t *testing.T) {
	m := metrics.New(prometheus.NewRegistry(), "v-test")
	before := metricstest.ScrapeHandler(t, m.Handler())
	for _, s := range []string{
		metricstest.Series("seance_messages_total", "kind", "question"),
		metricstest.Series("seance_rate_limited_total", "limit", "create"),
		metricstest.Series("seance_lifecycle_runs_total", "result", "skipped"),
		"seance_websocket_connections",
		"seance_slow_consumers_dropped_total",
	} {
		if v, ok := before[s]; !ok || v != 0 {
			t.Errorf("before anything happened: %s = %v (present %v), want present at 0", s, v, ok)
		}
	}
	for _, s := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !before.Has(s) {
			t.Errorf("%s is missing: the Go and process collectors are not registered", s)
		}
	}
	if !before.Has(metricstest.Series("seance_build_info", "version", "v-test", "go_version", runtime.Version())) {
		t.Error("seance_build_info does not name the version")
	}

	tests := []struct {
		do     func()
		series string
		want   float64
	}{
		{func() { m.WebSocketOpened(); m.WebSocketOpened(); m.WebSocketClosed() }, "seance_websocket_connections", 1},
		{func() { m.RoomOpened() }, "seance_seances_active", 1},
		{func() { m.Joined(); m.Joined() }, "seance_joins_total", 2},
		{func() { m.Left() }, "seance_leaves_total", 1},
		{func() { m.Message(metrics.KindAnswer) }, metricstest.Series("seance_messages_total", "kind", "answer"), 1},
		{func() { m.QuestionRefused("SPIRIT_BUSY") }, metricstest.Series("seance_questions_refused_total", "code", "SPIRIT_BUSY"), 1},
		{func() { m.QuestionsWaiting(3); m.QuestionsWaiting(-1) }, "seance_questions_waiting", 2},
		{func() { m.SlowConsumerDropped() }, "seance_slow_consumers_dropped_total", 1},
		{func() { m.RateLimited(metrics.LimitJoin) }, metricstest.Series("seance_rate_limited_total", "limit", "join"), 1},
		{func() { m.SpiritAnswered("oracle", 3*time.Millisecond) }, metricstest.Series("seance_spirit_answer_seconds_count", "engine", "oracle"), 1},
		{func() { m.ProviderError("openai", "timeout") }, metricstest.Series("seance_spirit_provider_errors_total", "engine", "openai", "reason", "timeout"), 1},
		{func() { m.SpiritFallback("openai") }, metricstest.Series("seance_spirit_fallbacks_total", "engine", "openai"), 1},
		{func() { m.HTTPRequest("GET /health", 200, time.Millisecond) }, metricstest.Series("seance_http_requests_total", "route", "GET /health", "status", "200"), 1},
		{func() { m.SeancesExpired(2) }, "seance_seances_expired_total", 2},
		{func() { m.SeancesDeleted(5) }, "seance_seances_deleted_total", 5},
		{func() { m.LifecycleRun(metrics.RunDone) }, metricstest.Series("seance_lifecycle_runs_total", "result", "done"), 1},
	}
	for _, tt := range tests {
		tt.do()
		if got := metricstest.ScrapeHandler(t, m.Handler()).Get(tt.series); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.series, got, tt.want)
		}
	}
}

// A nil *Metrics is the recorder of code that does not care: every method
// is safe, and its page is empty.
func TestNilRecordsNothing(t *testing.T) {
	var m *metrics.Metrics
	m.WebSocketOpened()
	m.RoomOpened()
	m.Message(metrics.KindQuestion)
	m.SpiritAnswered("oracle", time.Second)
	m.HTTPRequest("GET /", 200, time.Second)
	m.LifecycleRun(metrics.RunDone)
	if s := metricstest.ScrapeHandler(t, m.Handler()); len(s) != 0 {
		t.Fatalf("a nil recorder exposes %v", s)
	}
}

// Two servers in one process keep separate counts: no default registry.
func TestRegistriesAreSeparate(t *testing.T) {
	a := metrics.New(prometheus.NewRegistry(), "a")
	b := metrics.New(prometheus.NewRegistry(), "b")
	a.Joined()
	if got := metricstest.ScrapeHandler(t, b.Handler()).Get("seance_joins_total"); got != 0 {
		t.Fatalf("b counted a's join: %v", got)
	}
}

// BenchmarkHTTPRequest is the cost the metrics add to every request.
func BenchmarkHTTPRequest(b *testing.B) {
	m := metrics.New(prometheus.NewRegistry(), "bench")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.HTTPRequest("GET /api/sessions/{id}", 200, time.Millisecond)
		}
	})
}
