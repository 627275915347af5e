package spirit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/config"
	"github.com/seancehq/seance/spirit/anthropic"
	"github.com/seancehq/seance/spirit/gemini"
	"github.com/seancehq/seance/spirit/openai"
)

// FromConfig returns the spirit the configuration asks for: fallback itself
// for the built-in "oracle", otherwise an LLM on the configured provider that
// falls back to it. The error is a configuration mistake, for start-up.
func FromConfig(cfg config.Config, personas func(id string) seance.Persona, fallback seance.Spirit, log *slog.Logger) (seance.Spirit, error) {
	if cfg.SpiritProvider == "" || cfg.SpiritProvider == "oracle" {
		return fallback, nil
	}
	stream, err := Provider(cfg)
	if err != nil {
		return nil, err
	}
	return NewLLM(stream, personas, fallback, LLMOptions{
		Provider: cfg.SpiritProvider,
		Timeout:  cfg.SpiritTimeout,
		Log:      log,
	}), nil
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
		c := openai.New(openai.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel})
		return func(ctx context.Context, p Prompt, emit func(string)) (string, error) {
			return c.Stream(ctx, openai.Prompt{System: p.System, Messages: turnsAs[openai.Turn](p.Messages)}, emit)
		}, nil
	case "anthropic":
		if cfg.SpiritAPIKey == "" {
			return nil, errors.New("spirit provider anthropic: no API key (set SEANCE_SPIRIT_API_KEY or ANTHROPIC_API_KEY)")
		}
		c := anthropic.New(anthropic.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel})
		return func(ctx context.Context, p Prompt, emit func(string)) (string, error) {
			return c.Stream(ctx, anthropic.Prompt{System: p.System, Messages: turnsAs[anthropic.Turn](p.Messages)}, emit)
		}, nil
	case "gemini":
		if cfg.SpiritAPIKey == "" {
			return nil, errors.New("spirit provider gemini: no API key (set SEANCE_SPIRIT_API_KEY or GEMINI_API_KEY)")
		}
		c, err := gemini.New(gemini.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel})
		if err != nil {
			return nil, fmt.Errorf("spirit provider gemini: %w", err)
		}
		return func(ctx context.Context, p Prompt, emit func(string)) (string, error) {
			return c.Stream(ctx, gemini.Prompt{System: p.System, Messages: turnsAs[gemini.Turn](p.Messages)}, emit)
		}, nil
	}
	return nil, fmt.Errorf("unknown spirit provider %q (want oracle, openai, anthropic or gemini)", cfg.SpiritProvider)
}

// turnsAs converts turns to a provider package's own Turn: those packages
// cannot import this one, which imports them.
func turnsAs[T ~struct{ Role, Text string }](turns []Turn) []T {
	out := make([]T, len(turns))
	for i, t := range turns {
		out[i] = T(t)
	}
	return out
}
