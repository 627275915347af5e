// Package openai streams the spirit's answers from any server that speaks
// OpenAI's chat completions API: OpenAI itself, Ollama, llama.cpp's server,
// vLLM, OpenRouter, Groq…, through OpenAI's official Go SDK.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
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

// Client streams chat completions from one model.
type Client struct {
	chat  openai.ChatCompletionService
	model string
}

// New returns a client. Its SDK never retries: the caller's policy does,
// inside its own deadline.
func New(o Options) *Client {
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
	// The service rather than openai.NewClient: NewClient layers the OPENAI_*
	// environment under these options, and would send e.g. OPENAI_ORG_ID's
	// header to a local server.
	return &Client{chat: openai.NewChatCompletionService(opts...), model: o.Model}
}

// Errors that are the cause of an Error.
var (
	ErrTruncated = errors.New("openai: stream ended before a finish_reason")
	ErrBlocked   = errors.New("openai: the answer was blocked by a content filter")
)

// Stream asks the model and calls emit with each piece of text as it
// arrives. It returns the whole text, or what arrived before an *Error.
func (c *Client) Stream(ctx context.Context, p Prompt, emit func(string)) (string, error) {
	msgs := make([]openai.ChatCompletionMessageParamUnion, 0, len(p.Messages)+1)
	if p.System != "" {
		msgs = append(msgs, openai.SystemMessage(p.System))
	}
	for _, t := range p.Messages {
		if t.Role == "assistant" {
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

	var text strings.Builder
	finish := ""
	for stream.Next() {
		for _, ch := range stream.Current().Choices {
			if ch.Index != 0 {
				continue
			}
			if d := ch.Delta.Content; d != "" {
				text.WriteString(d)
				emit(d)
			}
			if ch.FinishReason != "" {
				finish = ch.FinishReason
			}
		}
	}
	if err := stream.Err(); err != nil {
		return text.String(), classify(ctx, err)
	}
	if finish == "content_filter" {
		return text.String(), &Error{Err: ErrBlocked}
	}
	// The SDK ends quietly both on "data: [DONE]" and on a connection the
	// server closed early; only a finish_reason tells them apart.
	if finish == "" {
		return text.String(), &Error{Err: ErrTruncated, retryable: true}
	}
	return text.String(), nil
}

// Error is a failed stream.
type Error struct {
	StatusCode int // of the HTTP response; 0 when there was none
	Err        error
	retryable  bool
	retryAfter time.Duration
}

func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("openai: HTTP %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("openai: %v", e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether another attempt may succeed: a connection
// failure, a cut stream, 408, 409, 429 or a 5xx — not a bad key or request.
func (e *Error) Retryable() bool { return e.retryable }

// RetryAfter is how long the server asked to wait, or 0.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &Error{Err: err}
	}
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		e := &Error{StatusCode: apiErr.StatusCode, Err: err, retryable: retryableStatus(apiErr.StatusCode)}
		if apiErr.Response != nil {
			e.retryAfter = retryAfter(apiErr.Response.Header, time.Now())
		}
		return e
	}
	// A transport error, an error event inside the stream, or a frame that
	// did not decode: all worth one more try.
	return &Error{Err: err, retryable: true}
}

func retryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict ||
		code == http.StatusTooManyRequests || code >= 500
}

// retryAfter reads retry-after-ms, then retry-after (seconds or a date).
func retryAfter(h http.Header, now time.Time) time.Duration {
	if ms, err := strconv.ParseFloat(h.Get("Retry-After-Ms"), 64); err == nil && ms > 0 {
		return time.Duration(ms * float64(time.Millisecond))
	}
	v := h.Get("Retry-After")
	if s, err := strconv.ParseFloat(v, 64); err == nil && s > 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
