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
