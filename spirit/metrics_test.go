package spirit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/metrics/metricstest"
)

// The LLM times the answers its model gives, counts each failed attempt by
// reason and each answer the fallback gave instead; the fallback, wrapped in
// Timed, times its own answers.
func TestLLMMetrics(t *testing.T) {
	transient := testErr{retry: true}
	tests := []struct {
		name      string
		steps     []step
		answered  float64 // seance_spirit_answer_seconds_count, engine=openai
		oracle    float64 // … engine=oracle
		errors    map[string]float64
		fallbacks float64
	}{
		{"answered", []step{{chunks: []string{"YES"}}}, 1, 0, nil, 0},
		{"recovered", []step{{err: transient}, {chunks: []string{"NO"}}}, 1, 0, map[string]float64{"error": 1}, 0},
		{"failed", []step{{err: errors.New("boom")}}, 0, 1, map[string]float64{"error": 1}, 1},
		{"unusable", []step{{chunks: []string{"  "}}}, 0, 1, map[string]float64{"unusable": 1}, 1},
		{"timed out", []step{{chunks: []string{}, err: context.DeadlineExceeded}}, 0, 1, map[string]float64{"timeout": 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := metrics.New(prometheus.NewRegistry(), "test")
			model := &scripted{steps: tc.steps}
			fallback := Timed("oracle", &fallbackSpirit{}, m)
			l := NewLLM(model.stream, personas, fallback, LLMOptions{Provider: "openai", Timeout: time.Second, Backoff: time.Millisecond, Metrics: m})
			if _, err := l.Answer(context.Background(), testQuestion(), func(string) {}); err != nil {
				t.Fatal(err)
			}
			s := metricstest.ScrapeHandler(t, m.Handler())
			if got := s.Get(metricstest.Series("seance_spirit_answer_seconds_count", "engine", "openai")); got != tc.answered {
				t.Errorf("openai answers timed: %v, want %v", got, tc.answered)
			}
			if got := s.Get(metricstest.Series("seance_spirit_answer_seconds_count", "engine", "oracle")); got != tc.oracle {
				t.Errorf("oracle answers timed: %v, want %v", got, tc.oracle)
			}
			for _, reason := range []string{"error", "unusable", "timeout"} {
				if got := s.Get(metricstest.Series("seance_spirit_provider_errors_total", "engine", "openai", "reason", reason)); got != tc.errors[reason] {
					t.Errorf("provider errors (%s): %v, want %v", reason, got, tc.errors[reason])
				}
			}
			if got := s.Get(metricstest.Series("seance_spirit_fallbacks_total", "engine", "openai")); got != tc.fallbacks {
				t.Errorf("fallbacks: %v, want %v", got, tc.fallbacks)
			}
		})
	}
}

func TestTimedWithoutMetricsIsTheSpirit(t *testing.T) {
	fb := &fallbackSpirit{}
	if Timed("oracle", fb, nil) != fb {
		t.Fatal("Timed without metrics wrapped the spirit anyway")
	}
}
