package seance

// Persona is a spirit's character: who answers in a séance and how.
type Persona struct {
	ID          string
	Name        string
	Description string
	// Rules is the persona's voice, in prose; for an LLM it is the system prompt.
	Rules string
}
