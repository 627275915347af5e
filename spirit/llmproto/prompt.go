// Package llmproto is what the clients of the LLM providers (spirit/openai,
// spirit/anthropic, spirit/gemini) have in common, so that the spirit can
// treat them alike: the prompt they are asked, how a streamed answer is
// collected, and the errors it can end with, which say whether another
// attempt may help.
//
// It cannot live in package spirit, which imports the providers.
package llmproto

// Roles of a Turn.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Turn is one message of the conversation.
type Turn struct {
	Role string // RoleUser or RoleAssistant
	Text string
}

// Prompt is what the model is asked: a system prompt and the conversation.
type Prompt struct {
	System   string
	Messages []Turn
}
