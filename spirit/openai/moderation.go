package openai

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/spirit/llmproto"
)

// ModerationModel is the model asked for a moderation verdict.
const ModerationModel = openai.ModerationModelOmniModerationLatest

// unavailableFor is how long a server that has no moderation endpoint is
// not asked again: a local model server answers 404 to every call.
const unavailableFor = 10 * time.Minute

// Moderator reads a text with the provider's moderation endpoint, through
// the official SDK: a second opinion beside the spirit's own lexicon.
type Moderator struct {
	svc openai.ModerationService
	// until is when to ask again a server that has no endpoint (Unix
	// nanoseconds; 0 asks now).
	until atomic.Int64
	now   func() time.Time
}

// NewModerator returns a moderator on the same server as New's client.
func NewModerator(o Options) *Moderator {
	return &Moderator{svc: openai.NewModerationService(requestOptions(o)...), now: time.Now}
}

// Moderate returns the most serious safety category the endpoint flags in
// text, "" for none. Its error is llmproto.ErrModerationUnavailable while
// the server has shown it has no such endpoint.
func (m *Moderator) Moderate(ctx context.Context, text string) (string, error) {
	if until := m.until.Load(); until != 0 && m.now().UnixNano() < until {
		return "", llmproto.ErrModerationUnavailable
	}
	res, err := m.svc.New(ctx, openai.ModerationNewParams{
		Input: openai.ModerationNewParamsInputUnion{OfString: openai.String(text)},
		Model: ModerationModel,
	})
	if err != nil {
		switch status, _ := api.Status(err); status {
		case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusNotImplemented:
			m.until.Store(m.now().Add(unavailableFor).UnixNano())
			return "", fmt.Errorf("%w: HTTP %d", llmproto.ErrModerationUnavailable, status)
		}
		return "", fmt.Errorf("openai: moderation: %w", err)
	}
	category := ""
	for _, r := range res.Results {
		for _, c := range categoriesOf(r.Categories) {
			if seance.MoreSerious(c, category) {
				category = c
			}
		}
	}
	return category, nil
}

// categoriesOf maps the endpoint's categories to the spirit's. Harassment
// without a threat is left out: friends tease each other at a séance.
func categoriesOf(c openai.ModerationCategories) []string {
	var out []string
	add := func(flag bool, category string) {
		if flag {
			out = append(out, category)
		}
	}
	add(c.SelfHarm || c.SelfHarmIntent || c.SelfHarmInstructions, seance.CategorySelfHarm)
	add(c.Violence || c.ViolenceGraphic || c.HarassmentThreatening || c.HateThreatening || c.IllicitViolent, seance.CategoryViolence)
	add(c.Illicit, seance.CategoryIllegal)
	add(c.Hate, seance.CategoryHate)
	add(c.Sexual || c.SexualMinors, seance.CategorySexual)
	return out
}

// requestOptions are the SDK options of o: its server, key and client,
// never retries, nothing from the environment.
func requestOptions(o Options) []option.RequestOption {
	base := o.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	opts := []option.RequestOption{option.WithBaseURL(base), option.WithMaxRetries(0)}
	if o.APIKey != "" {
		opts = append(opts, option.WithAPIKey(o.APIKey))
	}
	if o.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(o.HTTPClient))
	}
	return opts
}
