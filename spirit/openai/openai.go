// Package openai streams the spirit's answers from any server that speaks
// OpenAI's chat completions API: OpenAI itself, Ollama, llama.cpp's server,
// vLLM, OpenRouter, Groq…, through OpenAI's official Go SDK.
package openai

import (
	"context"
	"net/http"

	"github.com/openai/openai-go/v3"

	"github.com/seancehq/seance/spirit/llmproto"
)

// DefaultBaseURL is OpenAI's own API, used when Options.BaseURL is empty.
const DefaultBaseURL = "https://api.openai.com/v1/"

// Options configure a Client. Nothing is read from the environment: the SDK
// would otherwise pick up OPENAI_API_KEY, OPENAI_BASE_URL, OPENAI_ORG_ID…
// behind the configuration's back.
type Options struct {
	APIKey     string // empty sends no Authorization header, as local servers expect
	BaseURL    string // e.g. http://localhost:11434/v1 for Ollama; empty is OpenAI
	Model      string
	HTTPClient *http.Client // nil is http.DefaultClient
}

// Client streams chat completions from one model.
type Client struct {
	chat  openai.ChatCompletionService
	model string
}

// New returns a client. Its SDK never retries: the caller's policy does,
// inside its own deadline.
func New(o Options) *Client {
	// The service rather than openai.NewClient: NewClient layers the OPENAI_*
	// environment under these options, and would send e.g. OPENAI_ORG_ID's
	// header to a local server.
	return &Client{chat: openai.NewChatCompletionService(requestOptions(o)...), model: o.Model}
}

// api reads this SDK's errors for the shared classification.
var api = &llmproto.API{
	Name:   "openai",
	Status: llmproto.StatusOf(func(e *openai.Error) *http.Response { return e.Response }),
}

// Stream asks the model and calls emit with each piece of text as it
// arrives. It returns the whole text, or what arrived before an
// *llmproto.Error.
func (c *Client) Stream(ctx context.Context, p llmproto.Prompt, emit func(string)) (string, error) {
	msgs := make([]openai.ChatCompletionMessageParamUnion, 0, len(p.Messages)+1)
	if p.System != "" {
		msgs = append(msgs, openai.SystemMessage(p.System))
	}
	for _, t := range p.Messages {
		if t.Role == llmproto.RoleAssistant {
			msgs = append(msgs, openai.AssistantMessage(t.Text))
		} else {
			msgs = append(msgs, openai.UserMessage(t.Text))
		}
	}
	// No token limit: reasoning models spend tokens before the first word,
	// and a limit small enough to matter would cut them off; the caller
	// stops reading once it has enough words.
	stream := c.chat.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: c.model, Messages: msgs})
	defer stream.Close()

	ans := api.Answer(ctx, emit)
	for stream.Next() {
		for _, ch := range stream.Current().Choices {
			if ch.Index != 0 {
				continue
			}
			ans.Text(ch.Delta.Content)
			switch ch.FinishReason {
			case "":
			case "content_filter":
				ans.Blocked(ch.FinishReason)
			default:
				ans.Finished()
			}
		}
	}
	return ans.End(stream.Err())
}
