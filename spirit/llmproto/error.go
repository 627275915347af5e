package llmproto

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Causes of an Error, whichever the provider.
var (
	// ErrTruncated is retryable: a connection dropped before the model's
	// last word says nothing of the next attempt.
	ErrTruncated = errors.New("stream ended before the model finished")
	// ErrBlocked is not: the same prompt would be withheld again.
	ErrBlocked = errors.New("the answer was blocked")
)

// Error is a failed stream.
type Error struct {
	Provider   string // whose API: "openai", "anthropic", "gemini"
	StatusCode int    // of the HTTP response; 0 when there was none
	Err        error
	retryable  bool
	retryAfter time.Duration
}

func (e *Error) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s: HTTP %d: %v", e.Provider, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Provider, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether another attempt may succeed: a connection
// failure, a cut stream, an error event inside the stream, or a status that
// the provider's API.Retry accepts — not a bad key or request, a blocked
// answer, or the caller's own deadline.
func (e *Error) Retryable() bool { return e.retryable }

// RetryAfter is how long the server asked to wait, or 0.
func (e *Error) RetryAfter() time.Duration { return e.retryAfter }

// API is what the shared code needs to know of a provider: its name, and
// how to read its SDK's errors.
type API struct {
	Name string // in error messages
	// Status returns the HTTP status of an error the SDK made of an API
	// response, with that response's headers (nil if the SDK keeps none),
	// or 0 when err is no such error.
	Status func(err error) (int, http.Header)
	// Retry reports whether a response with an error status is worth
	// another attempt; nil is RetryableStatus.
	Retry func(status int) bool
}

// StatusOf is an API.Status for an SDK whose error type E keeps the HTTP
// response it was made of, as the Stainless-generated SDKs (OpenAI's,
// Anthropic's) do: their errors differ only in package.
func StatusOf[E error](response func(E) *http.Response) func(error) (int, http.Header) {
	return func(err error) (int, http.Header) {
		var e E
		if !errors.As(err, &e) {
			return 0, nil
		}
		r := response(e)
		if r == nil {
			return 0, nil
		}
		return r.StatusCode, r.Header
	}
}

// RetryableStatus is what OpenAI's and Anthropic's SDKs would retry
// themselves: 408, 409, 429 and any 5xx (Anthropic's 529 included).
func RetryableStatus(code int) bool {
	return code == http.StatusRequestTimeout || code == http.StatusConflict ||
		code == http.StatusTooManyRequests || code >= 500
}

func (api *API) classify(ctx context.Context, err error) *Error {
	if ctx.Err() != nil {
		// The caller's deadline, which another attempt would share.
		return &Error{Provider: api.Name, Err: err}
	}
	code, h := api.Status(err)
	if code < 400 {
		// A transport error, a frame that did not decode, or an error event
		// inside a stream that began well (Anthropic's overloaded_error):
		// all worth one more try.
		return &Error{Provider: api.Name, Err: err, retryable: true}
	}
	retry := api.Retry
	if retry == nil {
		retry = RetryableStatus
	}
	return &Error{Provider: api.Name, StatusCode: code, Err: err, retryable: retry(code), retryAfter: retryAfter(h, time.Now())}
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

// ErrModerationUnavailable is a moderator's answer when the server it asks
// has no moderation endpoint (a local model server): nothing to count as a
// failure, and nothing to ask again for a while.
var ErrModerationUnavailable = errors.New("moderation unavailable")
