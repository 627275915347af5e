package wire

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/seancehq/seance"
)

// Server event names.
const (
	EvSessionState   = "session_state"
	EvUserJoined     = "user_joined"
	EvUserLeft       = "user_left"
	EvMessage        = "message_received"
	EvSpiritThinking = "spirit_thinking"
	EvSpiritChunk    = "spirit_chunk"
	EvSpiritResponse = "spirit_response"
	EvUserTyping     = "user_typing"
	EvSessionEnded   = "session_ended"
	EvError          = "error"
	EvPong           = "pong"
)

type frame struct {
	Event     string    `json:"event"`
	Data      any       `json:"data"`
	Timestamp time.Time `json:"timestamp"`
}

// Encode returns the server frame {"event", "data", "timestamp"} [orig].
func Encode(event string, data any, at time.Time) []byte {
	b, err := json.Marshal(frame{Event: event, Data: data, Timestamp: at.UTC()})
	if err != nil {
		// Every data type here is a plain struct of strings and numbers.
		panic("wire: encode " + event + ": " + err.Error())
	}
	return b
}

// Participant is the data of user_joined and user_left [orig], and an entry
// of session_state's participants.
type Participant struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	JoinedAt time.Time `json:"joined_at"`
	// Addr is the client address of the participant's connections, kept
	// with its presence so that nobody else takes its place while it is
	// there. Never sent to clients.
	Addr string `json:"-"`
}

// ParticipantOf is the wire view of p: its id is the client's own label
// (user_id), which the [orig] frontend compares with its own.
func ParticipantOf(p seance.Participant) Participant {
	return Participant{ID: p.UserID, Name: p.Name, JoinedAt: p.JoinedAt}
}

// Session is the contract's Session object, in REST responses and in
// session_state.
type Session struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	MaxUsers         int        `json:"max_users"`
	CreatedAt        time.Time  `json:"created_at"`
	IsActive         bool       `json:"is_active"`
	Spirit           string     `json:"spirit"`
	ParticipantCount int        `json:"participant_count"`
	EndedAt          *time.Time `json:"ended_at"`
	LastSeq          int64      `json:"last_seq"`
}

// SessionOf is the wire view of s with present participants connected.
func SessionOf(s *seance.Session, present int) Session {
	return Session{
		ID: s.ID, Name: s.Name, MaxUsers: s.MaxUsers, CreatedAt: s.CreatedAt, IsActive: s.IsActive(),
		Spirit: s.Spirit, ParticipantCount: present, EndedAt: s.EndedAt, LastSeq: s.LastSeq,
	}
}

// MessagesOf is the wire view of ms.
func MessagesOf(ms []seance.Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = MessageOf(m)
	}
	return out
}

// Message is the data of message_received [orig] and an entry of history.
type Message struct {
	ID            string    `json:"id"`
	Seq           int64     `json:"seq"`
	SessionID     string    `json:"session_id"`
	UserID        string    `json:"user_id"`
	UserName      string    `json:"user_name"`
	Message       string    `json:"message"`
	IsSpirit      bool      `json:"is_spirit"`
	Timestamp     time.Time `json:"timestamp"`
	LetterTimings []int     `json:"letter_timings,omitempty"`
	ReplyTo       string    `json:"reply_to,omitempty"`
	Safety        *Safety   `json:"safety,omitempty"` // of a spirit's answer, when the question was flagged
}

// MessageOf is the wire view of m.
func MessageOf(m seance.Message) Message {
	return Message{
		ID: m.ID, Seq: m.Seq, SessionID: m.SessionID, UserID: m.UserID, UserName: m.UserName,
		Message: m.Text, IsSpirit: m.IsSpirit, Timestamp: m.Timestamp,
		LetterTimings: m.LetterTimings, ReplyTo: m.ReplyTo, Safety: SafetyOf(m.Safety),
	}
}

// Safety is what the spirit's guard found in the question an answer
// replies to: its category, and for a crisis the help every screen shows
// beside the board.
type Safety struct {
	Category string `json:"category"`
	Help     *Help  `json:"help"`
}

// Help is real help for a person in crisis.
type Help struct {
	Text string  `json:"text"`
	URL  *string `json:"url"`
}

// SafetyOf is the wire view of s; nil stays nil (the JSON null of an answer
// to a harmless question).
func SafetyOf(s *seance.Safety) *Safety {
	if s == nil {
		return nil
	}
	out := &Safety{Category: s.Category}
	if s.Help != nil {
		out.Help = &Help{Text: s.Help.Text}
		if s.Help.URL != "" {
			u := s.Help.URL
			out.Help.URL = &u
		}
	}
	return out
}

// SpiritResponse is the data of spirit_response [orig].
type SpiritResponse struct {
	ID            string    `json:"id"`
	Seq           int64     `json:"seq"`
	ReplyTo       string    `json:"reply_to"`
	Message       string    `json:"message"`
	WordCount     int       `json:"word_count"`
	LetterTimings []int     `json:"letter_timings"`
	AudioURL      *string   `json:"audio_url"`
	Spirit        string    `json:"spirit"`
	Timestamp     time.Time `json:"timestamp"`
	StartsAt      time.Time `json:"starts_at"`
	// Safety is null for an answer to a harmless question.
	Safety *Safety `json:"safety"`
	// Added fields: the answer as a Message, for clients that keep one list.
	SessionID string `json:"session_id"`
	UserID    string `json:"user_id"`
	UserName  string `json:"user_name"`
	IsSpirit  bool   `json:"is_spirit"`
}

// PlanchetteLead is how long after an answer is stored the planchette starts
// moving: time for the frame to reach every screen, so all start together.
const PlanchetteLead = 300 * time.Millisecond

// PersistedFrame encodes a stored message as the event it is broadcast as:
// message_received for a question, spirit_response for an answer. Live
// delivery and replays both use it, so a resumed client sees exactly what a
// live one saw.
func PersistedFrame(m seance.Message, persona string) []byte {
	if !m.IsSpirit {
		return Encode(EvMessage, MessageOf(m), m.Timestamp)
	}
	if m.LetterTimings == nil {
		m.LetterTimings = []int{} // an array for the [orig] frontend, never null
	}
	return Encode(EvSpiritResponse, SpiritResponse{
		ID: m.ID, Seq: m.Seq, ReplyTo: m.ReplyTo, Message: m.Text, WordCount: len(strings.Fields(m.Text)),
		LetterTimings: m.LetterTimings, Spirit: persona, Timestamp: m.Timestamp, StartsAt: m.Timestamp.Add(PlanchetteLead),
		Safety:    SafetyOf(m.Safety),
		SessionID: m.SessionID, UserID: m.UserID, UserName: m.UserName, IsSpirit: true,
	}, m.Timestamp)
}

// Error is the data of error [orig].
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

// ErrorFrame encodes err as an error event.
func ErrorFrame(err error, at time.Time) []byte {
	return Encode(EvError, Error{Code: seance.ErrorCode(err), Message: seance.ErrorMessage(err), Details: seance.ErrorDetails(err)}, at)
}

// Typing is the data of user_typing.
type Typing struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
}

// SpiritThinking is the data of spirit_thinking [orig].
type SpiritThinking struct {
	ReplyTo string `json:"reply_to"`
	Spirit  string `json:"spirit"`
}

// SpiritChunk is the data of spirit_chunk.
type SpiritChunk struct {
	ReplyTo string `json:"reply_to"`
	Text    string `json:"text"`
}

// SessionEnded is the data of session_ended.
type SessionEnded struct {
	Reason string `json:"reason"`
}
