// Package gemini streams the spirit's answers from Google's Gemini API
// (streamGenerateContent, server-sent events) through Google's official Go
// SDK, google.golang.org/genai.
package gemini

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"google.golang.org/genai"

	"github.com/seancehq/seance/spirit/llmproto"
)

// DefaultBaseURL is Google's Gemini API, used when Options.BaseURL is empty.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/"

// Options configure a Client. Nothing is read from the environment: the SDK
// would otherwise pick up GEMINI_API_KEY, GOOGLE_API_KEY,
// GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GEMINI_BASE_URL… behind the
// configuration's back.
type Options struct {
	APIKey     string // required
	BaseURL    string // empty is Google's own API
	Model      string
	HTTPClient *http.Client // nil is a plain http.Client
}

// Client streams generated content from one model.
type Client struct {
	models *genai.Models
	model  string
}

// New returns a client, or an error when the SDK refuses the options (no
// API key). Its SDK never retries: the caller's policy does, inside its own
// deadline.
func New(o Options) (*Client, error) {
	if o.APIKey == "" {
		// Checked here because the SDK would quietly take a key from the
		// environment instead.
		return nil, errors.New("gemini: an API key is required")
	}
	base := o.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:     o.APIKey,
		Backend:    genai.BackendGeminiAPI,
		HTTPClient: o.HTTPClient,
		HTTPOptions: genai.HTTPOptions{
			BaseURL:      base,
			RetryOptions: &genai.HTTPRetryOptions{Attempts: genai.Ptr[int32](1)},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("gemini: %w", err)
	}
	return &Client{models: c.Models, model: o.Model}, nil
}

// api reads this SDK's errors for the shared classification.
var api = &llmproto.API{
	Name: "gemini",
	Status: func(err error) (int, http.Header) {
		var e genai.APIError
		if !errors.As(err, &e) {
			return 0, nil
		}
		return e.Code, nil // Google sends no Retry-After
	},
	// What the SDK would retry itself (408, 429, 5xx): unlike OpenAI's and
	// Anthropic's, not 409.
	Retry: func(code int) bool {
		return code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500
	},
}

// Stream asks the model and calls emit with each piece of text as it
// arrives. It returns the whole text, or what arrived before an
// *llmproto.Error.
func (c *Client) Stream(ctx context.Context, p llmproto.Prompt, emit func(string)) (string, error) {
	contents := make([]*genai.Content, 0, len(p.Messages))
	for _, t := range p.Messages {
		role := genai.Role(genai.RoleUser)
		if t.Role == llmproto.RoleAssistant {
			role = genai.RoleModel
		}
		contents = append(contents, genai.NewContentFromText(t.Text, role))
	}
	cfg := &genai.GenerateContentConfig{
		// Resuming a cut stream is the caller's decision, not the SDK's.
		AutomaticContinuation: genai.Ptr(false),
	}
	if p.System != "" {
		cfg.SystemInstruction = &genai.Content{Parts: []*genai.Part{{Text: p.System}}}
	}

	ans := api.Answer(ctx, emit)
	for resp, err := range c.models.GenerateContentStream(ctx, c.model, contents, cfg) {
		if err != nil {
			return ans.End(err)
		}
		if fb := resp.PromptFeedback; fb != nil && fb.BlockReason != "" {
			ans.Blocked("prompt " + string(fb.BlockReason))
			return ans.End(nil)
		}
		if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
			continue
		}
		cand := resp.Candidates[0]
		if cand.Content != nil {
			for _, part := range cand.Content.Parts {
				if part != nil && !part.Thought {
					ans.Text(part.Text)
				}
			}
		}
		switch cand.FinishReason {
		case "", genai.FinishReasonUnspecified:
		case genai.FinishReasonStop, genai.FinishReasonMaxTokens:
			ans.Finished()
		default:
			ans.Blocked(string(cand.FinishReason))
			return ans.End(nil)
		}
	}
	return ans.End(nil)
}
