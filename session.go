package seance

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a séance that the contract fixes.
const (
	MaxSessionName  = 100
	MinUsers        = 2
	MaxUsers        = 12
	DefaultMaxUsers = 6
)

// Session is one séance: a room with a spirit, a capacity and a history.
type Session struct {
	ID        string
	Name      string
	MaxUsers  int
	Spirit    string // persona id
	CreatedAt time.Time
	EndedAt   *time.Time // nil while the séance is active
	LastSeq   int64      // sequence number of the newest message

	// ParticipantCount is how many participants have joined and not been removed.
	ParticipantCount int
}

// IsActive reports whether the séance still accepts joins and questions.
func (s *Session) IsActive() bool { return s.EndedAt == nil }

// NewSession is what a client asks for when it creates a séance. Pointer fields
// are optional: nil means "use the default".
type NewSession struct {
	Name     string
	MaxUsers *int
	Spirit   *string
}

// SpiritCatalog tells which persona ids exist and which one is the default.
type SpiritCatalog interface {
	HasSpirit(id string) bool
	DefaultSpirit() string
}

// Validate checks ns against the contract, normalises it (trimmed name,
// defaults filled in) and returns the Session to store. id and now come from
// the caller so that validation stays deterministic.
func (ns NewSession) Validate(spirits SpiritCatalog, id string, now time.Time) (*Session, error) {
	name := strings.TrimSpace(ns.Name)
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxSessionName {
		return nil, Errorf(EValidation, "name must be 1 to %d characters.", MaxSessionName).With("field", "name")
	}
	if !utf8.ValidString(name) || hasControl(name) {
		return nil, Errorf(EValidation, "name must be valid UTF-8 without control characters.").With("field", "name")
	}
	maxUsers := DefaultMaxUsers
	if ns.MaxUsers != nil {
		maxUsers = *ns.MaxUsers
		if maxUsers < MinUsers || maxUsers > MaxUsers {
			return nil, Errorf(EValidation, "max_users must be from %d to %d.", MinUsers, MaxUsers).With("field", "max_users")
		}
	}
	spirit := spirits.DefaultSpirit()
	if ns.Spirit != nil {
		spirit = *ns.Spirit
		if !spirits.HasSpirit(spirit) {
			return nil, Errorf(EValidation, "unknown spirit %q.", spirit).With("field", "spirit")
		}
	}
	return &Session{
		ID:        id,
		Name:      name,
		MaxUsers:  maxUsers,
		Spirit:    spirit,
		CreatedAt: Timestamp(now),
	}, nil
}

// Timestamp truncates t to the precision every store keeps (microseconds, in
// UTC), so that a value read back equals the value written.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ParticipantName trims name and checks it: 1 to 32 characters.
func ParticipantName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > MaxParticipantName || !utf8.ValidString(name) {
		return "", Errorf(EValidation, "name must be 1 to %d characters.", MaxParticipantName).With("field", "name")
	}
	if hasControl(name) {
		return "", Errorf(EValidation, "name must not contain control characters.").With("field", "name")
	}
	return name, nil
}

// hasControl reports control characters: names are shown to everyone and
// stored, and PostgreSQL text cannot hold NUL at all.
func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// QuestionText trims a question and checks it: not empty, at most 500 characters.
func QuestionText(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", Errorf(EEmptyMessage, "Ask something: the message is empty.")
	}
	if strings.ContainsRune(text, 0) || !utf8.ValidString(text) {
		return "", Errorf(EValidation, "message must be valid UTF-8 without NUL characters.").With("field", "message")
	}
	if utf8.RuneCountInString(text) > MaxQuestionLen {
		return "", Errorf(EMessageTooLong, "A question can have at most %d characters.", MaxQuestionLen).With("max", MaxQuestionLen)
	}
	return text, nil
}
