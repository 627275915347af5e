package main

import (
	"strings"
	"testing"

	"github.com/seancehq/seance/config"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/llmtest"
)

func TestNewSpiritFromConfig(t *testing.T) {
	llmtest.BlankEnv(t)
	catalog := spirit.NewCatalog(spirit.BuiltinPersonas())
	tests := []struct {
		name    string
		cfg     config.Config
		wantLLM bool
		wantErr string
	}{
		{"oracle", config.Config{SpiritProvider: "oracle"}, false, ""},
		{"openai", config.Config{SpiritProvider: "openai", SpiritModel: "gpt-4o-mini", SpiritAPIKey: "k"}, true, ""},
		{"openai-compatible server without a key", config.Config{SpiritProvider: "openai", SpiritModel: "llama3.2", SpiritBaseURL: "http://localhost:11434/v1"}, true, ""},
		{"openai without a key", config.Config{SpiritProvider: "openai", SpiritModel: "gpt-4o-mini"}, false, "OPENAI_API_KEY"},
		{"anthropic", config.Config{SpiritProvider: "anthropic", SpiritModel: "claude-haiku-4-5", SpiritAPIKey: "k"}, true, ""},
		{"anthropic without a key", config.Config{SpiritProvider: "anthropic", SpiritModel: "claude-haiku-4-5"}, false, "ANTHROPIC_API_KEY"},
		{"gemini", config.Config{SpiritProvider: "gemini", SpiritModel: "gemini-2.5-flash", SpiritAPIKey: "k"}, true, ""},
		{"gemini without a key", config.Config{SpiritProvider: "gemini", SpiritModel: "gemini-2.5-flash"}, false, "GEMINI_API_KEY"},
		{"no model", config.Config{SpiritProvider: "anthropic", SpiritAPIKey: "k"}, false, "SEANCE_SPIRIT_MODEL"},
		{"unknown", config.Config{SpiritProvider: "ouija", SpiritModel: "m"}, false, "unknown spirit provider"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newSpirit(tc.cfg, catalog, safety.New(), nil, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("err = %v, want one naming %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := s.(*spirit.Guard); !ok {
				t.Fatalf("got %T, want the spirit behind its guard", s)
			}
			model, moderator, err := newModel(tc.cfg)
			if err != nil {
				t.Fatal(err)
			}
			if isLLM := model.Stream != nil; isLLM != tc.wantLLM || (isLLM && model.Provider != tc.cfg.SpiritProvider) {
				t.Errorf("model %+v, want a model: %v", model, tc.wantLLM)
			}
			if wantModerator := tc.cfg.SpiritProvider == "openai"; (moderator != nil) != wantModerator {
				t.Errorf("moderator %v, want one exactly with the openai provider", moderator)
			}
		})
	}
}
