// Package spirit is the answer engine of a séance: the personas, the guard
// that reads every question and answer for safety, and the policy of
// answering through a language model (retries, screening, the oracle as
// fallback).
//
// It knows no provider and no configuration: cmd/seance builds the
// configured client and hands its stream to New as a Model, so that the
// engine depends on no SDK and the clients on nothing of the engine; what
// the two share is spirit/llmproto.
package spirit

import (
	"github.com/seancehq/seance"
)

// Model is a language model to answer through: a provider's client, as a
// stream, and the provider's name for the logs and metrics.
type Model struct {
	Provider string
	Stream   StreamFunc
}

// New returns the spirit behind its guard, so that no engine ever answers
// unguarded: the oracle alone when model has no Stream, else the model with
// the oracle as its fallback, its streamed words screened by the guard's
// classifier and its answers bounded by the guard's timeout. oracle must
// never fail; o.Metrics (nil for none) times the model's answers, and the
// oracle times its own (Timed).
func New(model Model, personas func(id string) seance.Persona, oracle seance.Spirit, o GuardOptions) *Guard {
	if model.Stream == nil {
		return NewGuard(oracle, oracle, o)
	}
	engine := NewLLM(model.Stream, personas, oracle, LLMOptions{
		Provider: model.Provider,
		Timeout:  o.Timeout,
		Log:      o.Log,
		Metrics:  o.Metrics,
		Screen:   func(text string) string { return o.Classifier.Classify(text).Category },
	})
	return NewGuard(engine, oracle, o)
}
