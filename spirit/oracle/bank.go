package oracle

import "github.com/seancehq/seance/spirit"

// list names one set of phrases of a persona.
type list uint8

const (
	lGreeting list = iota
	lFarewell      // each ends with GOODBYE
	lThanks
	lSelf      // about the spirit itself
	lSelfTwist // after YES or NO to a question about the spirit
	lYes       // after YES
	lNo        // after NO
	lChoice    // "A or B?": {pick} and {reject}
	lWho
	lWhat
	lWhen
	lWhere
	lWhy
	lHow
	lNumber
	lOpen     // anything else
	lRefuse   // a flagged question whose category has no refusal of its own
	lMemory   // someone else asked of the same thing: {prev}, {prevtopic}
	lAgain    // the asker returns to their own earlier topic: {prevtopic}
	lRepeat   // the very same question, asked again
	lWitching // 3:00–3:59 at night
	lFriday13
	numLists
)

// bank is a persona's phrases as written. A phrase that follows YES or NO
// (lYes, lNo, lSelfTwist, and lMemory, lAgain, lRepeat and the time lists,
// which serve both as twists and as openings) is joined to it with ". ",
// unless it begins with "," "!" or "...": "YES, {asker}." reads better than
// "YES. , {asker}.".
type bank struct {
	lists [numLists][]string
	// refusals are by seance.Category*: a crisis (self-harm, an emergency)
	// always gets its own; another category gets its own two times in
	// three, lRefuse otherwise.
	refusals map[string][]string
	eggs     [numEggs][]string
	// maxWords is the persona's own limit, under spirit.MaxWords; soft is
	// what an answer built of two phrases may reach.
	maxWords, soft int
	glitch         bool // rarely swaps a letter for a digit ("fr4gment")
}

// voice is a bank compiled for answering.
type voice struct {
	lists          [numLists][]tmpl
	refusals       map[string][]tmpl
	eggs           [numEggs][]tmpl
	maxWords, soft int
	glitch         bool
}

func (b bank) compile() *voice {
	v := &voice{maxWords: b.maxWords, soft: b.soft, glitch: b.glitch, refusals: map[string][]tmpl{}}
	if v.maxWords == 0 || v.maxWords > spirit.MaxWords {
		v.maxWords = spirit.MaxWords
	}
	if v.soft == 0 || v.soft > v.maxWords {
		v.soft = v.maxWords
	}
	for i, l := range b.lists {
		v.lists[i] = compileAll(l)
	}
	for topic, l := range b.refusals {
		v.refusals[topic] = compileAll(l)
	}
	for i, l := range b.eggs {
		v.eggs[i] = compileAll(l)
	}
	return v
}

// builtinBanks are the phrase banks of the built-in personas, by persona id.
func builtinBanks() map[string]bank {
	return map[string]bank{
		spirit.DefaultPersona: ghostBank(),
		"victorian-guide":     victorianBank(),
		"poltergeist":         poltergeistBank(),
		"sibyl":               sibylBank(),
	}
}
