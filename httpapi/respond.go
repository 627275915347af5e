package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/seancehq/seance"
)

// status maps a contract error code to its HTTP status. It is the only place
// that knows both.
func status(code string) int {
	switch code {
	case seance.EValidation, seance.EInvalidJSON:
		return http.StatusBadRequest
	case seance.EUnauthorized:
		return http.StatusUnauthorized
	case seance.EForbidden:
		return http.StatusForbidden
	case seance.ESessionNotFound, seance.ENotFound, seance.EParticipantNotFound:
		return http.StatusNotFound
	case seance.EMethod:
		return http.StatusMethodNotAllowed
	case seance.ESessionFull:
		return http.StatusConflict
	case seance.ESessionEnded:
		return http.StatusGone
	case seance.EPayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	case seance.ERateLimited:
		return http.StatusTooManyRequests
	case seance.EMediaType:
		return http.StatusUnsupportedMediaType
	case seance.ETimeout:
		return http.StatusRequestTimeout
	default:
		return http.StatusInternalServerError
	}
}

type meta struct {
	Timestamp    time.Time `json:"timestamp"`
	Limit        *int      `json:"limit,omitempty"`
	NextAfterSeq *int64    `json:"next_after_seq,omitempty"`
	// HasMore is sent with paged lists, so that a null next_after_seq is not ambiguous.
	HasMore *bool `json:"has_more,omitempty"`
}

type envelope struct {
	Success bool       `json:"success"`
	Data    any        `json:"data,omitempty"`
	Error   *errorBody `json:"error,omitempty"`
	Meta    meta       `json:"meta"`
}

type errorBody struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details"`
}

func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		s.logger(r).Error("encode response", "err", err)
		http.Error(w, `{"success":false}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// ok writes a success envelope.
func (s *Server) ok(w http.ResponseWriter, r *http.Request, code int, data any) {
	s.okMeta(w, r, code, data, meta{})
}

func (s *Server) okMeta(w http.ResponseWriter, r *http.Request, code int, data any, m meta) {
	m.Timestamp = s.Now().UTC()
	s.writeJSON(w, r, code, envelope{Success: true, Data: data, Meta: m})
}

// fail writes the error envelope for err. Internal errors are logged with the
// request id and described to the client only as "Internal error.".
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := seance.ErrorCode(err)
	st := status(code)
	if st == http.StatusInternalServerError {
		s.logger(r).Error("request failed", "err", err)
	}
	s.writeJSON(w, r, st, envelope{
		Error: &errorBody{Code: code, Message: seance.ErrorMessage(err), Details: seance.ErrorDetails(err)},
		Meta:  meta{Timestamp: s.Now().UTC()},
	})
}

// decodeObject reads the request body as one JSON object into v.
func decodeObject(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return payloadTooLarge()
	}
	if bodyTimedOut(err) {
		return bodyTimeout()
	}
	if err != nil {
		return seance.Errorf(seance.EInvalidJSON, "Could not read the request body.")
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return seance.Errorf(seance.EInvalidJSON, "The request body must be a JSON object.")
	}
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD, storing
	// a name the client never sent; the WebSocket refuses such a frame
	// (close 1007), and so does this.
	if at := invalidUTF8(body); at >= 0 {
		return seance.Errorf(seance.EInvalidJSON, "The request body must be valid UTF-8 (byte %d is not).", at).With("offset", at)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return seance.Errorf(seance.EInvalidJSON, "Malformed JSON at byte %d.", syn.Offset).With("offset", syn.Offset)
		}
		return seance.Errorf(seance.EInvalidJSON, "Malformed JSON: %v.", err)
	}
	if int(dec.InputOffset()) != len(body) {
		return seance.Errorf(seance.EInvalidJSON, "Unexpected data after the JSON object.")
	}
	return nil
}

// invalidUTF8 returns the offset of the first byte of b that is not valid
// UTF-8, or -1 when all of b is.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

func payloadTooLarge() error {
	return seance.Errorf(seance.EPayloadTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes).With("limit_bytes", MaxBodyBytes)
}

func (s *Server) logger(r *http.Request) *slog.Logger {
	return s.Logger.With("request_id", requestID(r.Context()))
}
