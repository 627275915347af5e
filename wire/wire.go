// Package wire is the WebSocket wire format of a séance: the frames a client
// sends, decoded and checked, and the frames the server sends, encoded once
// per event. The [orig] shapes are spoken by an existing frontend and must not
// change.
package wire

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seancehq/seance"
)

// Close codes of the contract. Clients must not reconnect after the ones
// marked final: retrying cannot succeed.
const (
	CloseGoingAway       = 1001 // server shutting down: reconnect (elsewhere), resume with last_seq
	CloseUnsupported     = 1003 // binary frame: final
	ClosePolicy          = 1008 // could not keep up: reconnect, resume with last_seq
	CloseTooBig          = 1009 // frame over 8 KiB: final for that frame
	CloseUnauthorized    = 4001 // bad token or identity: final
	CloseNotFound        = 4004 // no such séance: final
	CloseIdentifyTimeout = 4008 // no identify frame in time: reconnect and identify
	CloseFull            = 4009 // séance full: final (until someone leaves)
	CloseEnded           = 4010 // séance ended: final
	CloseRemoved         = 4403 // removed by the host: final
	CloseInternal        = 1011 // the server failed: reconnect
)

// MaxCloseReason is the longest close reason sent, in bytes: a close frame's
// payload is at most 125 bytes, two of them the code.
const MaxCloseReason = 120

// CloseReason is the human-readable reason sent with code when the refusal
// has no message of its own: old clients show it instead of a bare
// "connection refused".
func CloseReason(code int) string {
	switch code {
	case CloseGoingAway:
		return "The server is restarting; reconnecting."
	case CloseUnsupported:
		return "Only text frames are understood."
	case ClosePolicy:
		return "Too slow to keep up; reconnect to catch up."
	case CloseTooBig:
		return "That frame is larger than 8 KiB."
	case CloseUnauthorized:
		return "You are not admitted to this séance."
	case CloseNotFound:
		return "There is no such séance."
	case CloseIdentifyTimeout:
		return "Say who you are first."
	case CloseFull:
		return "This séance is full."
	case CloseInternal:
		return "Something went wrong on the server; reconnect."
	case CloseEnded:
		return seance.SessionEnded("").Message
	case CloseRemoved:
		return seance.Removed().Message
	}
	return "Goodbye."
}

// ShortReason cuts reason to MaxCloseReason bytes, on a character boundary.
func ShortReason(reason string) string {
	if len(reason) <= MaxCloseReason {
		return reason
	}
	cut := MaxCloseReason - len("…")
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + "…"
}

// closeCodes is the close code of each refusal that ends a connection: the
// one place that knows both the contract's error codes and its close codes,
// as httpapi's status does for HTTP.
var closeCodes = map[string]int{
	seance.EUnauthorized:    CloseUnauthorized,
	seance.EValidation:      CloseUnauthorized,
	seance.ESessionNotFound: CloseNotFound,
	seance.ESessionFull:     CloseFull,
	seance.ESessionEnded:    CloseEnded,
	seance.ERemoved:         CloseRemoved,
	seance.EIdentifyTimeout: CloseIdentifyTimeout,
	seance.EShuttingDown:    CloseGoingAway,
}

// CloseFor returns the close code that goes with a refusal's error code, or
// 0 when the error does not close the connection.
func CloseFor(code string) int { return closeCodes[code] }

// CloseOn returns the close code of err when it ends a connection: its
// own, or 1011 for a failure the contract has no code for.
func CloseOn(err error) int {
	if code := CloseFor(seance.ErrorCode(err)); code != 0 {
		return code
	}
	return CloseInternal
}

// Limits of the wire.
const (
	MaxFrameBytes   = 8 << 10
	IdentifyTimeout = 10 * time.Second
)

// Client frame kinds.
const (
	KindIdentify = "identify"
	KindSend     = "send_message"
	KindTyping   = "typing"
	KindPing     = "ping"
	KindLeave    = "leave_session"
)

// ClientFrame is one decoded client frame.
type ClientFrame struct {
	Kind    string
	UserID  string // identify
	Name    string // identify
	Message string // send_message, untrimmed
}

type rawFrame struct {
	Event  json.RawMessage `json:"event"`
	Data   json.RawMessage `json:"data"`
	UserID json.RawMessage `json:"user_id"`
	Name   json.RawMessage `json:"name"`
}

type identifyData struct {
	UserID json.RawMessage `json:"user_id"`
	Name   json.RawMessage `json:"name"`
}

// Decode parses one client frame. Errors carry the contract's codes:
// INVALID_JSON, UNKNOWN_EVENT, VALIDATION_ERROR. A question's text is
// checked (EMPTY_MESSAGE, MESSAGE_TOO_LONG) where it is asked.
func Decode(b []byte) (ClientFrame, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return ClientFrame{}, seance.Errorf(seance.EInvalidJSON, "Frames must be JSON objects.")
	}
	var f rawFrame
	if err := json.Unmarshal(b, &f); err != nil {
		// Every field is raw: only a malformed document gets here.
		return ClientFrame{}, seance.Errorf(seance.EInvalidJSON, "Frames must be JSON objects.")
	}
	if f.Event == nil || string(f.Event) == "null" {
		// The [orig] identify frame: {"user_id": "...", "name": "..."}.
		if f.UserID == nil && f.Name == nil {
			return ClientFrame{}, seance.Errorf(seance.EUnknownEvent, "A frame needs an event.")
		}
		return identify(f.UserID, f.Name)
	}
	var event string
	if err := json.Unmarshal(f.Event, &event); err != nil {
		// Valid JSON naming no event we know: the contract's unknown event,
		// not a parse error (nor json's wording, which names our types).
		return ClientFrame{}, seance.Errorf(seance.EUnknownEvent, "event must be a string.")
	}
	switch event {
	case "join_session":
		var d identifyData
		if !isObject(f.Data) || json.Unmarshal(f.Data, &d) != nil {
			return ClientFrame{}, seance.Errorf(seance.EValidation, "join_session needs data {user_id, name}.").With("field", "data")
		}
		return identify(d.UserID, d.Name)
	case KindSend:
		var d struct {
			Message json.RawMessage `json:"message"`
		}
		if isObject(f.Data) {
			_ = json.Unmarshal(f.Data, &d)
		}
		var msg string
		if d.Message != nil && string(d.Message) != "null" {
			if err := json.Unmarshal(d.Message, &msg); err != nil {
				return ClientFrame{}, seance.Errorf(seance.EValidation, "message must be a string.").With("field", "message")
			}
		}
		// Control characters, NUL included, are taken out where the
		// question is checked (seance.QuestionText).
		return ClientFrame{Kind: KindSend, Message: msg}, nil
	case KindTyping:
		return ClientFrame{Kind: KindTyping}, nil
	case KindPing:
		return ClientFrame{Kind: KindPing}, nil
	case KindLeave:
		// The [orig] frontend says goodbye before it closes; the close is
		// what takes it out of the séance.
		return ClientFrame{Kind: KindLeave}, nil
	default:
		return ClientFrame{}, seance.Errorf(seance.EUnknownEvent, "Unknown event %q.", truncate(event, 40)).With("event", truncate(event, 40))
	}
}

func isObject(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && raw[0] == '{'
}

func identify(rawID, rawName json.RawMessage) (ClientFrame, error) {
	var id, name string
	if rawID != nil && string(rawID) != "null" {
		if err := json.Unmarshal(rawID, &id); err != nil {
			return ClientFrame{}, seance.Errorf(seance.EValidation, "user_id must be a string.").With("field", "user_id")
		}
	}
	if rawName != nil {
		if err := json.Unmarshal(rawName, &name); err != nil {
			return ClientFrame{}, seance.Errorf(seance.EValidation, "name must be a string.").With("field", "name")
		}
	}
	id = strings.TrimSpace(id)
	if utf8.RuneCountInString(id) > 64 {
		return ClientFrame{}, seance.Errorf(seance.EValidation, "user_id must be at most 64 characters.").With("field", "user_id")
	}
	// Labels shown to everyone and stored: control characters have no
	// business there, and NUL cannot be stored in PostgreSQL at all.
	if strings.ContainsFunc(id, unicode.IsControl) {
		return ClientFrame{}, seance.Errorf(seance.EValidation, "user_id must not contain control characters.").With("field", "user_id")
	}
	// The name's rules (control characters included) are the domain's.
	name, err := seance.ParticipantName(name)
	if err != nil {
		return ClientFrame{}, err
	}
	return ClientFrame{Kind: KindIdentify, UserID: id, Name: name}, nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}
