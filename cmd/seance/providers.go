package main

import (
	"errors"
	"fmt"

	"github.com/seancehq/seance/config"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/anthropic"
	"github.com/seancehq/seance/spirit/gemini"
	"github.com/seancehq/seance/spirit/openai"
)

// newModel returns the language model cfg configures, and the provider's
// own moderator: openai's moderation endpoint (on the same server), nil for
// the others. The oracle provider is the zero Model. The error is a
// configuration mistake, for start-up.
func newModel(cfg config.Config) (spirit.Model, spirit.Moderator, error) {
	if cfg.SpiritProvider == "" || cfg.SpiritProvider == "oracle" {
		return spirit.Model{}, nil, nil
	}
	if cfg.SpiritModel == "" {
		return spirit.Model{}, nil, fmt.Errorf("spirit provider %s: no model (set SEANCE_SPIRIT_MODEL)", cfg.SpiritProvider)
	}
	model := spirit.Model{Provider: cfg.SpiritProvider}
	switch cfg.SpiritProvider {
	case "openai":
		if cfg.SpiritAPIKey == "" && cfg.SpiritBaseURL == "" {
			return spirit.Model{}, nil, errors.New("spirit provider openai: no API key (set SEANCE_SPIRIT_API_KEY or OPENAI_API_KEY; a local server at SEANCE_SPIRIT_BASE_URL needs none)")
		}
		o := openai.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel}
		model.Stream = openai.New(o).Stream
		return model, openai.NewModerator(o), nil
	case "anthropic":
		if cfg.SpiritAPIKey == "" {
			return spirit.Model{}, nil, errors.New("spirit provider anthropic: no API key (set SEANCE_SPIRIT_API_KEY or ANTHROPIC_API_KEY)")
		}
		model.Stream = anthropic.New(anthropic.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel}).Stream
		return model, nil, nil
	case "gemini":
		if cfg.SpiritAPIKey == "" {
			return spirit.Model{}, nil, errors.New("spirit provider gemini: no API key (set SEANCE_SPIRIT_API_KEY or GEMINI_API_KEY)")
		}
		c, err := gemini.New(gemini.Options{APIKey: cfg.SpiritAPIKey, BaseURL: cfg.SpiritBaseURL, Model: cfg.SpiritModel})
		if err != nil {
			return spirit.Model{}, nil, fmt.Errorf("spirit provider gemini: %w", err)
		}
		model.Stream = c.Stream
		return model, nil, nil
	}
	return spirit.Model{}, nil, fmt.Errorf("unknown spirit provider %q (want oracle, openai, anthropic or gemini)", cfg.SpiritProvider)
}
