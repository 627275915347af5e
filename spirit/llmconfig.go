package spirit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/config"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/spirit/anthropic"
	"github.com/seancehq/seance/spirit/gemini"
	"github.com/seancehq/seance/spirit/llmproto"
	"github.com/seancehq/seance/spirit/openai"
)

// FromConfig returns the spirit the configuration asks for, behind its
// guard: the built-in oracle, or an LLM on the configured provider that
// falls back to the oracle. classifier is what the guard and
// the LLM's screen use; with the openai provider the provider's moderation
// endpoint reads questions and answers too. The error is a configuration
// mistake, for start-up. m (nil for none) times the LLM's answers; the
// oracle times its own.
func FromConfig(cfg config.Config, personas func(id string) seance.Persona, oracle seance.Spirit, classifier Classifier, log *slog.Logger, m *metrics.Metrics) (seance.Spirit, error) {
	help := cfg.Help
	if help == (safety.HelpSet{}) {
		help = safety.DefaultHelp()
	}
	guard := GuardOptions{Classifier: classifier, Help: help.For, Log: log, Metrics: m, Timeout: cfg.SpiritTimeout}
	if cfg.SpiritProvider == "" || cfg.SpiritProvider == "oracle" {
		return NewGuard(oracle, oracle, guard), nil
	}
	stream, err := Provider(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.SpiritProvider == "openai" {
		guard.Moderator = openai.NewModerator(openaiOptions(cfg))
	}
	engine := NewLLM(stream, personas, oracle, LLMOptions{
		Provider: cfg.SpiritProvider,
		Timeout:  cfg.SpiritTimeout,
		Log:      log,
		Metrics:  m,
		Screen:   func(text string) string { return classifier.Classify(text).Category },
	})
	return NewGuard(engine, oracle, guard), nil
}

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

// Provider returns the stream of the configured provider: openai (or any
// server that speaks its API, through SpiritBaseURL), anthropic or gemini.
func Provider(cfg config.Config) (StreamFunc, error) {
	if cfg.SpiritModel == "" {
		return nil, fmt.Errorf("spirit provider %s: no model (set SEANCE_SPIRIT_MODEL)", cfg.SpiritProvider)
	}
	switch cfg.SpiritProvider {
	case "openai":
		if cfg.SpiritAPIKey == "" && cfg.SpiritBaseURL == "" {
			return nil, errors.New("spirit provider openai: no API key (set SEANCE_SPIRIT_API_KEY or OPENAI_API_KEY; a local server at SEANCE_SPIRIT_BASE_URL needs none)")
		}
		return streamOf(openai.New(openaiOptions(cfg))), nil
	case "anthropic":
		if cfg.SpiritAPIKey == "" {
			return nil, errors.New("spirit provider anthropic: no API key (set SEANCE_SPIRIT_API_KEY or ANTHROPIC_API_KEY)")
		}
		return streamOf(anthropic.New(anthropic.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel})), nil
	case "gemini":
		if cfg.SpiritAPIKey == "" {
			return nil, errors.New("spirit provider gemini: no API key (set SEANCE_SPIRIT_API_KEY or GEMINI_API_KEY)")
		}
		c, err := gemini.New(gemini.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel})
		if err != nil {
			return nil, fmt.Errorf("spirit provider gemini: %w", err)
		}
		return streamOf(c), nil
	}
	return nil, fmt.Errorf("unknown spirit provider %q (want oracle, openai, anthropic or gemini)", cfg.SpiritProvider)
}

// streamOf adapts a provider's client: the provider packages take an
// llmproto.Prompt, since they cannot import this package, which imports them.
func streamOf(c interface {
	Stream(context.Context, llmproto.Prompt, func(string)) (string, error)
}) StreamFunc {
	return func(ctx context.Context, p Prompt, emit func(string)) (string, error) {
		turns := make([]llmproto.Turn, len(p.Messages))
		for i, t := range p.Messages {
			turns[i] = llmproto.Turn(t)
		}
		return c.Stream(ctx, llmproto.Prompt{System: p.System, Messages: turns}, emit)
	}
}

func openaiOptions(cfg config.Config) openai.Options {
	return openai.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel}
}
