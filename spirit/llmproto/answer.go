package llmproto

import (
	"context"
	"fmt"
	"strings"
)

// Answer collects a streamed answer. A client feeds it the stream as its SDK
// decodes it, then End makes the result of the client's Stream.
type Answer struct {
	api      *API
	ctx      context.Context
	emit     func(string)
	text     strings.Builder
	finished bool
	blocked  string
}

// Answer begins collecting the answer to a request made with ctx, passing
// each piece of text on to emit as it arrives.
func (api *API) Answer(ctx context.Context, emit func(string)) *Answer {
	return &Answer{api: api, ctx: ctx, emit: emit}
}

// Text takes the next piece of the answer.
func (a *Answer) Text(s string) {
	if s == "" {
		return
	}
	a.text.WriteString(s)
	a.emit(s)
}

// Finished records that the model said its answer was complete. The SDKs
// end a stream quietly both when it is done and when the server closed the
// connection early: only this tells them apart.
func (a *Answer) Finished() { a.finished = true }

// Blocked records that the provider withheld the answer, for reason (in the
// provider's words). A finish does not undo it: a blocked answer is
// finished too, as far as the stream says.
func (a *Answer) Blocked(reason string) { a.blocked = reason }

// End returns the text that arrived, and the *Error the answer ended with:
// err if the stream failed, else ErrBlocked or ErrTruncated as recorded, or
// nil.
func (a *Answer) End(err error) (string, error) {
	text := a.text.String()
	switch {
	case err != nil:
		return text, a.api.classify(a.ctx, err)
	case a.blocked != "":
		return text, &Error{Provider: a.api.Name, Err: fmt.Errorf("%w: %s", ErrBlocked, a.blocked)}
	case !a.finished:
		return text, &Error{Provider: a.api.Name, Err: ErrTruncated, retryable: true}
	}
	return text, nil
}
