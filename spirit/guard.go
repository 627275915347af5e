package spirit

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/safety"
	"github.com/seancehq/seance/spirit/llmproto"
)

// OracleEngine is the engine name of the built-in spirit's answers.
const OracleEngine = "oracle"

// Moderator is a provider's own reading of a text (OpenAI's moderation
// endpoint): the safety category it finds, "" for none. It may fail or be
// slow; the guard never waits on it past its timeout. Its error wraps
// llmproto.ErrModerationUnavailable when the server has no such endpoint.
type Moderator interface {
	Moderate(ctx context.Context, text string) (category string, err error)
}

// DefaultModerationTimeout bounds one moderation call.
const DefaultModerationTimeout = 1500 * time.Millisecond

// Classifier reads a text for safety: *safety.Classifier.
type Classifier interface {
	Classify(text string) safety.Match
}

// GuardOptions configure a Guard; Classifier is required.
type GuardOptions struct {
	Classifier Classifier
	// Help is the help shown for a crisis category, nil for others.
	Help func(category string) *seance.Help
	// Moderator, when set, reads the question and a model's answer as
	// well as the Classifier.
	Moderator         Moderator
	ModerationTimeout time.Duration // 0 is DefaultModerationTimeout
	// Timeout bounds the whole answer, moderation included
	// (SEANCE_SPIRIT_TIMEOUT); 0 bounds nothing but each call.
	Timeout time.Duration
	Log     *slog.Logger // nil logs nothing
	Metrics *metrics.Metrics
}

// Guard is the spirit's safety, in front of whatever engine answers: it
// reads every question before the engine does, and every answer a model
// gives before the séance sees it.
//
//   - A question about a life at risk (self-harm, an emergency) never
//     reaches a model: the oracle answers it with words written for it, and
//     the answer carries the help every screen shows beside the board.
//   - A question about a dangerous act or violence is answered by the oracle
//     too: a warning written in advance, never a model's improvisation.
//   - A question asking for advice a spirit must not give (medical, legal,
//     financial), or touching sex, hate or crime, may go to the model, told
//     to decline in character; nothing of it streams, and an answer that
//     says yes, or that the classifier flags, is replaced by the oracle's.
//   - Any other question goes to the engine as before; its streamed words
//     are screened as they come (LLMOptions.Screen), and a finished answer
//     the classifier or the moderator flags is replaced by the oracle's.
//
// Whatever happens, an answer to a flagged question never says yes.
type Guard struct {
	engine seance.Spirit
	oracle seance.Spirit
	opts   GuardOptions
	log    *slog.Logger
}

var _ seance.Spirit = (*Guard)(nil)

// NewGuard puts a guard in front of engine. oracle is the built-in spirit,
// which answers flagged questions itself and must never fail; it may be
// the engine too.
func NewGuard(engine, oracle seance.Spirit, o GuardOptions) *Guard {
	if o.ModerationTimeout <= 0 {
		o.ModerationTimeout = DefaultModerationTimeout
	}
	if o.Help == nil {
		o.Help = func(string) *seance.Help { return nil }
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Guard{engine: engine, oracle: oracle, opts: o, log: log}
}

// Answer answers q safely, within the timeout: a model or a moderator that
// runs out of it is answered for by the oracle, which never does.
func (g *Guard) Answer(ctx context.Context, q seance.Question, emit func(chunk string)) (seance.Answer, error) {
	if g.opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, g.opts.Timeout)
		defer cancel()
	}
	read := g.opts.Classifier.Classify(q.Message.Text)
	category, source := read.Category, "lexicon"
	if !seance.Crisis(category) && g.opts.Moderator != nil {
		if m := g.moderate(ctx, q.Message.Text); seance.MoreSerious(m, category) {
			category, source = m, "moderation"
		}
	}
	q.Safety, q.Caution = nil, category == "" && read.Caution
	if category != "" {
		q.Safety = &seance.Safety{Category: category, Help: g.opts.Help(category)}
		g.opts.Metrics.SafetyFlagged(category, source)
		g.log.Info("question flagged", "session_id", q.SessionID, "question_id", q.Message.ID,
			"category", category, "by", source)
	}

	if seance.Crisis(category) || category == seance.CategoryDangerous || category == seance.CategoryViolence {
		return g.fromOracle(ctx, q)
	}
	stream := emit
	if q.Safety != nil || q.Caution {
		// Nothing streams of a flagged question, nor of one that speaks of
		// death or harm: the answer is read before it is shown, so a yes
		// that is replaced was never seen, and a refusal is short anyway.
		stream = func(string) {}
	}
	a, err := g.engine.Answer(ctx, q, stream)
	switch {
	case err != nil && q.Safety != nil:
		return g.fromOracle(ctx, q)
	case err != nil || a.Engine == OracleEngine:
		return a, err
	}
	// A model answered: it may not say yes to a flagged question, nor to
	// one in no category that speaks of death, harm or drugs, and what it
	// says is read as the question was.
	if (q.Safety != nil || q.Caution) && safety.Affirms(a.Text) {
		return g.replace(ctx, q, a, "affirmed", "it said yes to a question about harm")
	}
	if reason := g.unsafe(ctx, a.Text); reason != "" {
		return g.replace(ctx, q, a, "unsafe", reason)
	}
	a.Safety = q.Safety
	return a, nil
}

// fromOracle is the oracle's answer to a flagged question.
func (g *Guard) fromOracle(ctx context.Context, q seance.Question) (seance.Answer, error) {
	a, err := g.oracle.Answer(ctx, q, func(string) {})
	a.Safety = q.Safety
	return a, err
}

// replace puts the oracle's answer in place of a model's that must not be
// shown.
func (g *Guard) replace(ctx context.Context, q seance.Question, a seance.Answer, reason, why string) (seance.Answer, error) {
	g.opts.Metrics.AnswerReplaced(reason)
	g.log.Warn("the model's answer was not shown; the built-in spirit answers instead",
		"session_id", q.SessionID, "question_id", q.Message.ID, "engine", a.Engine, "reason", why)
	return g.fromOracle(ctx, q)
}

// unsafe says why an answer must not be shown, "" if it may.
func (g *Guard) unsafe(ctx context.Context, text string) string {
	if c := g.opts.Classifier.Classify(text).Category; c != "" {
		return "the answer touched " + c
	}
	if g.opts.Moderator != nil {
		if c := g.moderate(ctx, text); c != "" {
			return "the moderator flagged the answer as " + c
		}
	}
	return ""
}

// moderate asks the moderator, within its timeout: a failure or a slow
// reply is as if it had found nothing, since the lexicon has already read
// the text.
func (g *Guard) moderate(ctx context.Context, text string) string {
	ctx, cancel := context.WithTimeout(ctx, g.opts.ModerationTimeout)
	defer cancel()
	category, err := g.opts.Moderator.Moderate(ctx, text)
	switch {
	case errors.Is(err, llmproto.ErrModerationUnavailable):
		g.opts.Metrics.ModerationCall("unavailable")
	case err != nil && ctx.Err() != nil:
		g.opts.Metrics.ModerationCall("timeout")
		g.log.Warn("moderation timed out; the lexicon's verdict stands", "timeout", g.opts.ModerationTimeout.String())
	case err != nil:
		g.opts.Metrics.ModerationCall("error")
		g.log.Warn("moderation failed; the lexicon's verdict stands", "err", err)
	case category != "":
		g.opts.Metrics.ModerationCall("flagged")
		return category
	default:
		g.opts.Metrics.ModerationCall("ok")
	}
	return ""
}
