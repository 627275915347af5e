// Package anthropic streams the spirit's answers from Anthropic's Messages
// API through Anthropic's official Go SDK.
package anthropic

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"
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

// Errors that are the cause of an Error.
var (
	ErrTruncated = errors.New("anthropic: stream ended before message_stop")
	ErrBlocked   = errors.New("anthropic: the model refused to answer")
)

// Stream asks the model and calls emit with each piece of text as it
// arrives. It returns the whole text, or what arrived before an *Error.
func (c *Client) Stream(ctx context.Context, p Prompt, emit func(string)) (string, error) {
	params := sdk.MessageNewParams{
		Model:     c.model,
		MaxTokens: maxTokens,
		Messages:  make([]sdk.MessageParam, 0, len(p.Messages)),
	}
	if p.System != "" {
		params.System = []sdk.TextBlockParam{{Text: p.System}}
	}
	for _, t := range p.Messages {
		if t.Role == "assistant" {
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(sdk.NewTextBlock(t.Text)))
		} else {
			params.Messages = append(params.Messages, sdk.NewUserMessage(sdk.NewTextBlock(t.Text)))
		}
	}
	stream := c.sdk.Messages.NewStreaming(ctx, params)
	defer stream.Close()

	var text strings.Builder
	stopped, refused := false, false
	for stream.Next() {
		ev := stream.Current()
		switch ev.Type {
		case "content_block_delta":
			if ev.Delta.Type == "text_delta" && ev.Delta.Text != "" {
				text.WriteString(ev.Delta.Text)
				emit(ev.Delta.Text)
			}
		case "message_delta":
			refused = ev.Delta.StopReason == sdk.StopReasonRefusal
		case "message_stop":
			stopped = true
		}
	}
	if err := stream.Err(); err != nil {
		return text.String(), classify(ctx, err)
	}
	if refused {
		return text.String(), &Error{Err: ErrBlocked}
	}
	if !stopped {
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
		return fmt.Sprintf("anthropic: HTTP %d: %v", e.StatusCode, e.Err)
	}
	return fmt.Sprintf("anthropic: %v", e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether another attempt may succeed: a connection
// failure, a cut stream, an error event in the stream (overloaded), 408,
// 409, 429 or a 5xx (529 included) — not a bad key or request.
func (e *Error) Retryable() bool { return e.retryable }

// RetryAfter is how long the server asked to wait, or 0.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

func classify(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return &Error{Err: err}
	}
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		if apiErr.StatusCode < 400 {
			// An "event: error" inside a 200 stream, e.g. overloaded_error.
			return &Error{Err: err, retryable: true}
		}
		e := &Error{StatusCode: apiErr.StatusCode, Err: err, retryable: retryableStatus(apiErr.StatusCode)}
		if apiErr.Response != nil {
			e.retryAfter = retryAfter(apiErr.Response.Header, time.Now())
		}
		return e
	}
	// A transport error or a frame that did not decode.
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
