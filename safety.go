package seance

import "slices"

// Safety categories: what a question touches that the spirit must not play
// with. The classifier reports at most one, the most serious.
const (
	CategorySelfHarm  = "self_harm"
	CategoryEmergency = "emergency"
	CategoryViolence  = "violence"
	CategoryDangerous = "dangerous"
	CategoryIllegal   = "illegal"
	CategoryHate      = "hate"
	CategorySexual    = "sexual"
	CategoryMedical   = "medical"
	CategoryLegal     = "legal"
	CategoryFinancial = "financial"
)

// Categories lists the safety categories, most serious first: when a
// question touches several, the first of them is the one reported.
func Categories() []string {
	return []string{
		CategorySelfHarm, CategoryEmergency, CategoryViolence, CategoryDangerous, CategoryIllegal,
		CategoryHate, CategorySexual, CategoryMedical, CategoryLegal, CategoryFinancial,
	}
}

// MoreSerious reports whether category a outranks b in Categories' order;
// any category outranks none ("").
func MoreSerious(a, b string) bool {
	if a == "" {
		return false
	}
	if b == "" {
		return true
	}
	cats := Categories()
	ia, ib := slices.Index(cats, a), slices.Index(cats, b)
	return ia >= 0 && (ib < 0 || ia < ib)
}

// Crisis reports whether category is about a life at risk now: its answers
// carry real help, and its questions never reach a language model.
func Crisis(category string) bool {
	return category == CategorySelfHarm || category == CategoryEmergency
}

// Safety is what the spirit's guard found in a question: its category, and
// for a crisis the help shown beside the board.
type Safety struct {
	Category string
	Help     *Help
}

// Help is real help for someone in crisis: a short text and a link, written
// by the operator for their region or built in.
type Help struct {
	Text string
	URL  string
}

// Answer is the spirit's answer to a question.
type Answer struct {
	Text string
	// Engine is whose words these are: "oracle", or the provider of the
	// language model ("openai", "anthropic", "gemini").
	Engine string
	// Safety is the guard's verdict on the question; nil when it found
	// nothing.
	Safety *Safety
}
