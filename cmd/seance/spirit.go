package main

import (
	"log/slog"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/config"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/oracle"
)

// newCatalog returns the personas a server offers: the built-in ones, then
// the custom ones of cfg.SpiritsDir. A custom file that cannot be used is
// skipped and returned in problems, one line each, for the caller to report;
// it never stops the server.
func newCatalog(cfg config.Config) (catalog *spirit.Catalog, problems []error) {
	custom, problems := spirit.LoadPersonas(cfg.SpiritsDir)
	return spirit.NewCatalog(append(spirit.BuiltinPersonas(), custom...)), problems
}

// newSpirit returns the engine that answers the séances' questions. It is the
// one place that chooses it, so that "seance serve" and "seance ask" always
// answer alike: the built-in oracle, or the configured LLM with the oracle
// as its fallback (users never see a provider error), behind the guard that
// reads every question and answer for safety. classifier is what the guard
// and the LLM's screen use; with the openai provider its moderation endpoint
// reads questions and answers too. m may be nil.
func newSpirit(cfg config.Config, catalog *spirit.Catalog, classifier spirit.Classifier, log *slog.Logger, m *metrics.Metrics) (seance.Spirit, error) {
	model, moderator, err := newModel(cfg)
	if err != nil {
		return nil, err
	}
	help := cfg.Help
	if help == (safety.HelpSet{}) {
		help = safety.DefaultHelp()
	}
	builtin := spirit.Timed(spirit.OracleEngine, oracle.New(catalog.Persona), m)
	return spirit.New(model, catalog.Persona, builtin, spirit.GuardOptions{
		Classifier: classifier,
		Help:       help.For,
		Moderator:  moderator,
		Timeout:    cfg.SpiritTimeout,
		Log:        log,
		Metrics:    m,
	}), nil
}
