// Package llmproto is what the clients of the LLM providers (spirit/openai,
// spirit/anthropic, spirit/gemini) and the spirit that asks them have in
// common: the prompt a model is asked, how a streamed answer is collected,
// and the errors it can end with, which say whether another attempt may help.
//
// It is a leaf that both sides import, so that neither imports the other: a
// provider's client carries nothing of the engine (personas, the guard, its
// metrics), and package spirit depends on no provider's SDK. cmd/seance
// builds the configured client and hands its Stream to the spirit, whose
// StreamFunc takes this package's Prompt for that reason.
package llmproto

// Roles of a Turn.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant" // the spirit's own earlier answers
)

// Turn is one message of the conversation.
type Turn struct {
	Role string // RoleUser or RoleAssistant
	Text string
}

// Prompt is what a model is asked: the system prompt (a persona's rules),
// then the conversation, ending with the question to answer.
type Prompt struct {
	System   string
	Messages []Turn
}
