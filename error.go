package seance

import (
	"errors"
	"fmt"
	"time"
)

// Error codes of the wire contract. The HTTP and WebSocket edges map them to
// statuses and close codes; nothing inside the domain knows about either.
const (
	EValidation      = "VALIDATION_ERROR"
	EInvalidJSON     = "INVALID_JSON"
	EPayloadTooLarge = "PAYLOAD_TOO_LARGE"
	ESessionNotFound = "SESSION_NOT_FOUND"
	ESessionFull     = "SESSION_FULL"
	ESessionEnded    = "SESSION_ENDED"
	EUnauthorized    = "UNAUTHORIZED"
	EForbidden       = "FORBIDDEN"
	ENotFound        = "NOT_FOUND"
	EMethod          = "METHOD_NOT_ALLOWED"
	ERateLimited     = "RATE_LIMITED"
	EInternal        = "INTERNAL_ERROR"
	EMediaType       = "UNSUPPORTED_MEDIA_TYPE"
	ETimeout         = "REQUEST_TIMEOUT"

	EParticipantNotFound = "PARTICIPANT_NOT_FOUND"
	ERemoved             = "REMOVED"
	ESpiritBusy          = "SPIRIT_BUSY"
	EEmptyMessage        = "EMPTY_MESSAGE"
	EMessageTooLong      = "MESSAGE_TOO_LONG"
	EUnknownEvent        = "UNKNOWN_EVENT"
	EShuttingDown        = "SHUTTING_DOWN"
	EIdentifyTimeout     = "IDENTIFY_TIMEOUT"
)

// ErrAnswered is a store's refusal of a second answer to one question: when
// two nodes answer the same question (one lost its lease mid-answer), the
// database keeps the first. Never shown to clients.
var ErrAnswered = errors.New("seance: the question already has an answer")

// Error is a failure a client can act on: a contract code, a human message and
// details that name what was wrong (for example the offending field).
type Error struct {
	Code    string
	Message string
	Details map[string]any
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// With returns a copy of e with one more detail.
func (e *Error) With(key string, value any) *Error {
	d := make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		d[k] = v
	}
	d[key] = value
	return &Error{Code: e.Code, Message: e.Message, Details: d}
}

// ErrorCode returns the contract code of err, or EInternal for anything that is
// not an *Error (a bug or an outage the client cannot fix).
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the client-facing message of err; internal errors are
// never described to clients.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorDetails returns the details of err, never nil.
func ErrorDetails(err error) map[string]any {
	var e *Error
	if errors.As(err, &e) && e.Details != nil {
		return e.Details
	}
	return map[string]any{}
}

// ValidID reports whether id is a séance id in its one canonical spelling:
// a UUID in lower case with dashes. Other spellings a UUID parser accepts
// (upper case, no dashes, braces, urn:uuid:) would name the same row but a
// different room, rate-limit key and presence record, so they name nothing.
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// SessionFull refuses a participant when max of them are present already.
func SessionFull(present, max int) *Error {
	return Errorf(ESessionFull, "This séance is full (%d of %d).", present, max).With("max_users", max)
}

// Removed refuses a participant the host removed, and tells their open
// connections.
func Removed() *Error {
	return Errorf(ERemoved, "The host removed you from this séance.")
}

// IdentityTaken refuses an identify frame naming someone it cannot prove
// to be: a participant that joined with a token, or one connected from
// another address.
func IdentityTaken() *Error {
	return Errorf(EUnauthorized, "Someone else is at the table under that id: join with your own.")
}

// ShuttingDown refuses joins while a node stops: clients reconnect, to
// another node or to this one once it is back.
func ShuttingDown() *Error {
	return Errorf(EShuttingDown, "This server is restarting; reconnect.")
}

// IdentifyTimeout closes a connection that did not say who it is in time.
func IdentifyTimeout(within time.Duration) *Error {
	return Errorf(EIdentifyTimeout, "Identify within %s: send {\"user_id\", \"name\"} first.", within)
}

// SessionEnded is the error for a séance that no longer takes joins or messages.
func SessionEnded(id string) *Error {
	return Errorf(ESessionEnded, "This séance has ended.").With("session_id", id)
}

// SessionNotFound is the error for a séance id that does not exist (or is not
// an id at all: clients cannot tell the two apart, and need not).
func SessionNotFound(id string) *Error {
	return Errorf(ESessionNotFound, "Séance not found.").With("session_id", id)
}
