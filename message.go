package seance

import "time"

// Participant is someone who joined a séance under a name.
type Participant struct {
	ID        string // server-assigned
	SessionID string
	UserID    string // the client's own label; reconnects reuse it
	Name      string
	JoinedAt  time.Time
	RemovedAt *time.Time // set when the host removed them
}

// HasToken reports a participant created by REST /join: its user id is its
// id, public from the moment it joins, so only its token may connect it.
// Participants of the [orig] identify frame get an id of the server's
// making beside the user id the client chose.
func (p Participant) HasToken() bool { return p.ID == p.UserID }

// Message is one entry of a séance's history: a question from a participant
// or an answer from the spirit. Seq orders the history of one séance; it is
// assigned by the store in the transaction that inserts the message.
type Message struct {
	ID        string
	Seq       int64
	SessionID string
	UserID    string
	UserName  string
	Text      string
	IsSpirit  bool
	Timestamp time.Time

	// Spirit answers only.
	ReplyTo       string
	LetterTimings []int
	Safety        *Safety // what the guard found in the question answered
}
