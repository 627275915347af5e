// Package anthropic streams the spirit's answers from Anthropic's Messages
// API through Anthropic's official Go SDK.
package anthropic

import (
	"context"
	"net/http"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/seancehq/seance/spirit/llmproto"
)

// maxTokens bounds one answer. The board spells at most 30 words (about 45
// tokens); the margin lets a model finish the sentence the cap will cut.
const maxTokens = 300

// Options configure a Client. Nothing is read from the environment: the SDK
// would otherwise pick up ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL, profiles…
// behind the configuration's back.
type Options struct {
	APIKey     string
	BaseURL    string // empty is Anthropic's own API
	Model      string
	HTTPClient *http.Client // nil is the SDK's default
}

// Client streams messages from one model.
type Client struct {
	sdk   sdk.Client
	model string
}

// New returns a client. Its SDK never retries: the caller's policy does,
// inside its own deadline.
func New(o Options) *Client {
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(o.APIKey),
		option.WithMaxRetries(0),
	}
	if o.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(o.BaseURL))
	}
	if o.HTTPClient != nil {
		opts = append(opts, option.WithHTTPClient(o.HTTPClient))
	}
	return &Client{sdk: sdk.NewClient(opts...), model: o.Model}
}

// api reads this SDK's errors for the shared classification.
var api = &llmproto.API{
	Name:   "anthropic",
	Status: llmproto.StatusOf(func(e *sdk.Error) *http.Response { return e.Response }),
}

// Stream asks the model and calls emit with each piece of text as it
// arrives. It returns the whole text, or what arrived before an
// *llmproto.Error.
func (c *Client) Stream(ctx context.Context, p llmproto.Prompt, emit func(string)) (string, error) {
	params := sdk.MessageNewParams{
		Model:     c.model,
		MaxTokens: maxTokens,
		Messages:  make([]sdk.MessageParam, 0, len(p.Messages)),
	}
	if p.System != "" {
		params.System = []sdk.TextBlockParam{{Text: p.System}}
	}
	for _, t := range p.Messages {
		if t.Role == llmproto.RoleAssistant {
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(sdk.NewTextBlock(t.Text)))
		} else {
			params.Messages = append(params.Messages, sdk.NewUserMessage(sdk.NewTextBlock(t.Text)))
		}
	}
	stream := c.sdk.Messages.NewStreaming(ctx, params)
	defer stream.Close()

	ans := api.Answer(ctx, emit)
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "content_block_delta":
			if ev.Delta.Type == "text_delta" {
				ans.Text(ev.Delta.Text)
			}
		case "message_delta":
			if ev.Delta.StopReason == sdk.StopReasonRefusal {
				ans.Blocked(string(ev.Delta.StopReason))
			}
		case "message_stop":
			ans.Finished()
		}
	}
	return ans.End(stream.Err())
}
