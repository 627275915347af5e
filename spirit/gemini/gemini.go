// Package gemini streams the spirit's answers from Google's Gemini API
// (streamGenerateContent, server-sent events) through Google's official Go
// SDK, google.golang.org/genai.
package gemini

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/genai"
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

// Turn is one message of the conversation.
type Turn struct {
	Role string // "user" or "assistant"
	Text string
}

// Prompt is what the model is asked: a system prompt and the conversation.
type Prompt struct {
	System   string
	Messages []Turn
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

// Errors that are the cause of an Error.
var (
	ErrTruncated = errors.New("gemini: stream ended before a finishReason")
	ErrBlocked   = errors.New("gemini: the answer was blocked")
)

// Stream asks the model and calls emit with each piece of text as it
// arrives. It returns the whole text, or what arrived before an *Error.
func (c *Client) Stream(ctx context.Context, p Prompt, emit func(string)) (string, error) {
	contents := make([]*genai.Content, 0, len(p.Messages))
	for _, t := range p.Messages {
		role := genai.Role(genai.RoleUser)
		if t.Role == "assistant" {
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

	var text strings.Builder
	finished := false
	for resp, err := range c.models.GenerateContentStream(ctx, c.model, contents, cfg) {
		if err != nil {
			return text.String(), classify(ctx, err)
		}
		if fb := resp.PromptFeedback; fb != nil && fb.BlockReason != "" {
			return text.String(), &Error{Err: fmt.Errorf("%w: prompt %s", ErrBlocked, fb.BlockReason)}
		}
		if len(resp.Candidates) == 0 || resp.Candidates[0] == nil {
			continue
		}
		cand := resp.Candidates[0]
		if cand.Content != nil {
			for _, part := range cand.Content.Parts {
				if part != nil && part.Text != "" && !part.Thought {
					text.WriteString(part.Text)
					emit(part.Text)
				}
			}
		}
		switch cand.FinishReason {
		case "", genai.FinishReasonUnspecified:
		case genai.FinishReasonStop, genai.FinishReasonMaxTokens:
			finished = true
		default:
			return text.String(), &Error{Err: fmt.Errorf("%w: %s", ErrBlocked, cand.FinishReason)}
		}
	}
	if !finished {
		return text.String(), &Error{Err: ErrTruncated, retryable: true}
	}
	return text.String(), nil
}

// Error is a failed stream.
type Error struct {
	StatusCode int // of the HTTP response; 0 when there was none
	Err        error
	retryable  bool
}

func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("gemini: HTTP %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("gemini: %v", e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether another attempt may succeed: a connection
// failure, a cut stream, 408, 429 or a 5xx — not a bad key, a bad request or
// a blocked answer.
func (e *Error) Retryable() bool { return e.retryable }

func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &Error{Err: err}
	}
	var apiErr genai.APIError
	if errors.As(err, &apiErr) {
		return &Error{StatusCode: apiErr.Code, Err: err, retryable: apiErr.Code == http.StatusRequestTimeout ||
			apiErr.Code == http.StatusTooManyRequests || apiErr.Code >= 500 || apiErr.Code == 0}
	}
	// A transport error or a frame that did not decode.
	return &Error{Err: err, retryable: true}
}
