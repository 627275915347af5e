package spirit

import (
	"context"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
)

// Timed returns s, recording in m how long each of its answers takes under
// the name engine. It is how an engine that knows nothing of metrics (the
// oracle) is measured, whether it answers alone or as a fallback.
func Timed(engine string, s seance.Spirit, m *metrics.Metrics) seance.Spirit {
	if m == nil {
		return s
	}
	return timed{engine: engine, s: s, m: m}
}

type timed struct {
	engine string
	s      seance.Spirit
	m      *metrics.Metrics
}

func (t timed) Answer(ctx context.Context, q seance.Question, emit func(chunk string)) (seance.Answer, error) {
	start := time.Now()
	a, err := t.s.Answer(ctx, q, emit)
	if err == nil {
		t.m.SpiritAnswered(t.engine, time.Since(start))
	}
	return a, err
}
