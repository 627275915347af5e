// Package metrics is what Séance tells Prometheus. The rest of the server
// sees only the methods of *Metrics, named after what happened ("a client
// was dropped"), never a Prometheus type; a nil *Metrics records nothing, so
// code and tests that do not care pass nil.
//
// Everything is registered on the registry the caller gives New: there is
// no package-level collector and the default registry is never touched, so
// two servers in one process (as in tests) keep separate counts.
package metrics

import (
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values used by more than one caller.
const (
	KindQuestion = "question"
	KindAnswer   = "answer"

	LimitCreate      = "create"
	LimitJoin        = "join"
	LimitConnections = "connections"
	LimitQuestions   = "questions"

	// LimitHTTPConnections counts connections closed as they were accepted
	// (SEANCE_LIMIT_HTTP_CONNS): no request was read, none was answered.
	LimitHTTPConnections = "http_connections"

	RunDone    = "done"
	RunSkipped = "skipped" // another node held the lock
	RunFailed  = "failed"
)

// Metrics records what the server does. Create it with New; the zero value
// is not usable, a nil pointer is (it records nothing).
type Metrics struct {
	gatherer prometheus.Gatherer

	wsConns      prometheus.Gauge
	seances      prometheus.Gauge
	joins        prometheus.Counter
	leaves       prometheus.Counter
	messages     *prometheus.CounterVec
	refused      *prometheus.CounterVec
	waiting      prometheus.Gauge
	dropped      prometheus.Counter
	rateLimited  *prometheus.CounterVec
	spiritTime   *prometheus.HistogramVec
	providerErrs *prometheus.CounterVec
	fallbacks    *prometheus.CounterVec
	httpReqs     *prometheus.CounterVec
	httpTime     *prometheus.HistogramVec
	expired      prometheus.Counter
	deleted      prometheus.Counter
	runs         *prometheus.CounterVec
	flagged      *prometheus.CounterVec
	replaced     *prometheus.CounterVec
	moderation   *prometheus.CounterVec
}

// spiritBuckets span the oracle's microseconds to a model's timeout (15 s by
// default): the default buckets stop at 10 s and start too coarse.
var spiritBuckets = []float64{.001, .005, .025, .1, .25, .5, 1, 2, 3, 5, 8, 12, 15, 20, 30}

// New registers Séance's metrics, the Go runtime's and the process's on reg
// and returns the recorder. version is exported as seance_build_info.
func New(reg *prometheus.Registry, version string) *Metrics {
	m := &Metrics{
		gatherer: reg,
		wsConns: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "seance_websocket_connections", Help: "Open WebSocket connections on this node.",
		}),
		seances: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "seance_seances_active", Help: "Séances with a room on this node (someone connected, or the spirit still owing an answer).",
		}),
		joins: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seance_joins_total", Help: "Participants who entered a séance's room on this node (their first connection; user_joined).",
		}),
		leaves: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seance_leaves_total", Help: "Participants who left a séance's room on this node (their last connection closed; user_left).",
		}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_messages_total", Help: "Messages stored and broadcast, by kind: question (from a participant) or answer (from the spirit).",
		}, []string{"kind"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_questions_refused_total", Help: "Questions refused, by error code (RATE_LIMITED, SPIRIT_BUSY, EMPTY_MESSAGE, MESSAGE_TOO_LONG, …).",
		}, []string{"code"}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "seance_questions_waiting", Help: "Questions on this node waiting for the spirit.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seance_slow_consumers_dropped_total", Help: "Connections closed (1008) because their send queue filled up.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_rate_limited_total", Help: "Requests refused with RATE_LIMITED, by limit: create, join, connections (per client address) or questions (per participant); and http_connections: connections closed as they were accepted, over the per-address limit.",
		}, []string{"limit"}),
		spiritTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "seance_spirit_answer_seconds", Help: "Time for the spirit to answer a question, by the engine that answered (oracle, openai, anthropic, gemini).",
			Buckets: spiritBuckets,
		}, []string{"engine"}),
		providerErrs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_spirit_provider_errors_total", Help: "Failed calls to an LLM provider (each attempt), by engine and reason: timeout, unusable (empty or unsafe answer) or error.",
		}, []string{"engine", "reason"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_spirit_fallbacks_total", Help: "Answers the built-in spirit gave because the LLM provider (engine) failed.",
		}, []string{"engine"}),
		httpReqs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_http_requests_total", Help: "HTTP requests by route pattern (as in the route table) and status (101 for WebSocket upgrades).",
		}, []string{"route", "status"}),
		httpTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "seance_http_request_duration_seconds", Help: "Time to answer HTTP requests, by route pattern (WebSockets: until the upgrade).",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seance_seances_expired_total", Help: "Séances ended for being idle longer than SEANCE_SESSION_IDLE_TTL.",
		}),
		deleted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "seance_seances_deleted_total", Help: "Ended séances deleted, with their messages, after SEANCE_HISTORY_RETENTION.",
		}),
		flagged: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_safety_flagged_total", Help: "Questions the spirit's guard flagged, by category and by what flagged them (lexicon or moderation).",
		}, []string{"category", "source"}),
		replaced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_safety_replaced_total", Help: "Model answers the guard replaced with the built-in spirit's, by reason: unsafe (the answer itself was flagged) or affirmed (it said yes to a flagged question).",
		}, []string{"reason"}),
		moderation: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_moderation_calls_total", Help: "Calls to the provider's moderation endpoint, by result: ok, flagged, error, timeout or unavailable.",
		}, []string{"result"}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seance_lifecycle_runs_total", Help: "Passes of the expiry and retention job, by result: done, skipped (another node held the lock) or failed.",
		}, []string{"result"}),
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "seance_build_info", Help: "Always 1; the labels name the running build.",
		ConstLabels: prometheus.Labels{"version": version, "go_version": runtime.Version()},
	})
	build.Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build, m.wsConns, m.seances, m.joins, m.leaves, m.messages, m.refused, m.waiting, m.dropped,
		m.rateLimited, m.spiritTime, m.providerErrs, m.fallbacks, m.httpReqs, m.httpTime,
		m.expired, m.deleted, m.runs,
		m.flagged, m.replaced, m.moderation,
	)
	// Series that exist from the start read as 0, not as absent: a rate()
	// over a counter that appears only at its first event misses that event.
	for _, k := range []string{KindQuestion, KindAnswer} {
		m.messages.WithLabelValues(k)
	}
	for _, l := range []string{LimitCreate, LimitJoin, LimitConnections, LimitHTTPConnections, LimitQuestions} {
		m.rateLimited.WithLabelValues(l)
	}
	for _, r := range []string{RunDone, RunSkipped, RunFailed} {
		m.runs.WithLabelValues(r)
	}
	return m
}

// Handler serves the registry in the Prometheus text format. A nil
// *Metrics serves an empty (but valid) exposition.
func (m *Metrics) Handler() http.Handler {
	var g prometheus.Gatherer = prometheus.NewRegistry()
	if m != nil {
		g = m.gatherer
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{})
}

// WebSocketOpened and WebSocketClosed count upgraded connections.
func (m *Metrics) WebSocketOpened() {
	if m != nil {
		m.wsConns.Inc()
	}
}

func (m *Metrics) WebSocketClosed() {
	if m != nil {
		m.wsConns.Dec()
	}
}

// RoomOpened and RoomClosed count the séances this node has a room for.
func (m *Metrics) RoomOpened() {
	if m != nil {
		m.seances.Inc()
	}
}

func (m *Metrics) RoomClosed() {
	if m != nil {
		m.seances.Dec()
	}
}

// Joined and Left count participants entering and leaving rooms.
func (m *Metrics) Joined() {
	if m != nil {
		m.joins.Inc()
	}
}

func (m *Metrics) Left() {
	if m != nil {
		m.leaves.Inc()
	}
}

// Message counts a stored message of the given kind (KindQuestion, KindAnswer).
func (m *Metrics) Message(kind string) {
	if m != nil {
		m.messages.WithLabelValues(kind).Inc()
	}
}

// QuestionRefused counts a question refused with an error code.
func (m *Metrics) QuestionRefused(code string) {
	if m != nil {
		m.refused.WithLabelValues(code).Inc()
	}
}

// QuestionsWaiting moves the number of questions waiting for the spirit by delta.
func (m *Metrics) QuestionsWaiting(delta int) {
	if m != nil && delta != 0 {
		m.waiting.Add(float64(delta))
	}
}

// SlowConsumerDropped counts a client closed for not keeping up.
func (m *Metrics) SlowConsumerDropped() {
	if m != nil {
		m.dropped.Inc()
	}
}

// RateLimited counts a refusal by the named limit (LimitCreate, …).
func (m *Metrics) RateLimited(limit string) {
	if m != nil {
		m.rateLimited.WithLabelValues(limit).Inc()
	}
}

// SpiritAnswered records how long engine took to answer.
func (m *Metrics) SpiritAnswered(engine string, d time.Duration) {
	if m != nil {
		m.spiritTime.WithLabelValues(engine).Observe(d.Seconds())
	}
}

// ProviderError counts a failed call to an LLM provider.
func (m *Metrics) ProviderError(engine, reason string) {
	if m != nil {
		m.providerErrs.WithLabelValues(engine, reason).Inc()
	}
}

// SpiritFallback counts an answer the built-in spirit gave for engine.
func (m *Metrics) SpiritFallback(engine string) {
	if m != nil {
		m.fallbacks.WithLabelValues(engine).Inc()
	}
}

// HTTPRequest records one answered request. route is the route table's
// pattern, never the raw path, so that the number of series stays bounded.
func (m *Metrics) HTTPRequest(route string, status int, d time.Duration) {
	if m != nil {
		m.httpReqs.WithLabelValues(route, strconv.Itoa(status)).Inc()
		m.httpTime.WithLabelValues(route).Observe(d.Seconds())
	}
}

// SeancesExpired counts séances ended for idleness.
func (m *Metrics) SeancesExpired(n int) {
	if m != nil {
		m.expired.Add(float64(n))
	}
}

// SeancesDeleted counts ended séances deleted after the retention.
func (m *Metrics) SeancesDeleted(n int) {
	if m != nil {
		m.deleted.Add(float64(n))
	}
}

// LifecycleRun counts one pass of the lifecycle job by result (RunDone, …).
func (m *Metrics) LifecycleRun(result string) {
	if m != nil {
		m.runs.WithLabelValues(result).Inc()
	}
}

// SafetyFlagged counts a question the guard flagged as category, found by
// source ("lexicon" or "moderation").
func (m *Metrics) SafetyFlagged(category, source string) {
	if m != nil {
		m.flagged.WithLabelValues(category, source).Inc()
	}
}

// AnswerReplaced counts a model's answer the guard would not let through.
func (m *Metrics) AnswerReplaced(reason string) {
	if m != nil {
		m.replaced.WithLabelValues(reason).Inc()
	}
}

// ModerationCall counts a call to the provider's moderation endpoint.
func (m *Metrics) ModerationCall(result string) {
	if m != nil {
		m.moderation.WithLabelValues(result).Inc()
	}
}
