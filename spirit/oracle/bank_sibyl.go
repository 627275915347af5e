package oracle

import (
	"github.com/seancehq/seance"
)

// sibylMaxWords is the Sibyl's own limit, her persona's rules.
const sibylMaxWords = 6

// sibylBank is the Sibyl: an oracle of few words, mostly YES, NO, a number
// or a single word. An empty phrase after YES or NO leaves the square alone.
// Her pointer to help on self-harm stays within her six words but is never
// cryptic.
func sibylBank() bank {
	return bank{
		maxWords: sibylMaxWords,
		soft:     sibylMaxWords,
		lists: [numLists][]string{
			lGreeting: {
				"Speak.", "Ask.", "{asker}. Ask.", "{count} present. Ask.", "Welcome. Ask.",
				"I listen.", "Sit. Ask.", "Come closer.", "Present.", "The smoke rises.",
			},
			lFarewell: {
				"GOODBYE", "Go. GOODBYE", "Enough. GOODBYE", "{asker}, GOODBYE", "Until later. GOODBYE",
				"Silence now. GOODBYE", "It ends. GOODBYE", "Rest. GOODBYE",
			},
			lThanks: {
				"Noted.", "Welcome.", "Enough.", "Accepted.", "Go well.", "Good.",
			},
			lSelf: {
				"The Sibyl.", "Oracle.", "Old.", "Voice of the cave.", "I am {spirit}.",
				"Smoke and riddles.", "Three thousand years.", "Older than Delphi.",
			},
			lSelfTwist: {
				"", "Truly.", "Always.", "Mostly.", "Hm.",
			},
			lYes: {
				"", "Soon.", "Certainly.", "Twice.", "In {days} days.", "Before {weekday}.", "{num}.",
				"Gladly.", "Wait first.", "Quietly.", "By {year}.", "Truly.",
			},
			lNo: {
				"", "Never.", "Not yet.", "Not {tod}.", "Not now.", "Not again.", "Not this year.",
				"Stop.", "Forget it.", "Unwise.", "{num} times no.",
			},
			lChoice: {
				"{pick}.", "{pick}. Always.", "{pick}. Not {reject}.", "{pick}, {asker}.", "{pick}. Soon.",
			},
			lWho: {
				"{other}.", "You.", "A stranger.", "The eldest.", "Nobody.", "The quiet one.", "{asker}.", "Someone near.",
			},
			lWhat: {
				"Change.", "A key.", "Silence.", "Fire.", "Water.", "A letter.", "Loss, then gain.", "Nothing yet.",
			},
			lWhen: {
				"Soon.", "{days} days.", "Never.", "At {hour}.", "Spring.", "{year}.", "Next {weekday}.",
				"After the frost.", "Already.",
			},
			lWhere: {
				"North.", "Home.", "Underground.", "Near water.", "East.", "Behind you.", "Far.", "Here.", "Upstairs.",
			},
			lWhy: {
				"Fear.", "Love.", "Habit.", "Pride.", "Chance.", "Grief.", "Because.", "Hunger.", "Time.",
			},
			lHow: {
				"Slowly.", "Together.", "Alone.", "Patiently.", "Quietly.", "With {other}.", "Gently.",
				"Carefully.", "Backwards.",
			},
			lNumber: {
				"{num}.", "{num}. Exactly.", "{days}.", "{num}, roughly.", "Nearly {num}.", "{num}. Count again.",
				"Zero.", "{num}. No more.",
			},
			lOpen: {
				"Perhaps.", "Unclear.", "Listen.", "Wait.", "Ask plainly.", "Hm.", "So be it.", "Noted.",
				"Speak clearly.", "Later.", "The smoke is silent.",
			},
			lRefuse: {
				"Forbidden.", "Forbidden. Ask another.", "Not that.", "The veil forbids.", "Ask another.",
				"Silence on that.",
			},
			lMemory: {
				"{prev} asked too.", "{prev} asked of {prevtopic}.", "Again {prevtopic}.", "{prev} wondered too.",
			},
			lAgain: {
				"Again, {asker}?", "{prevtopic}, again.", "Still {prevtopic}?", "Again.",
			},
			lRepeat: {
				"As before.", "Still.", "Unchanged.", "Same.", "Asked. Answered.",
			},
			lWitching: {
				"Witching hour.", "3 AM.", "The veil thins.", "Three o'clock.", "Past three.",
			},
			lFriday13: {
				"Friday the 13th.", "Beware. Friday 13th.", "Unlucky day.", "Friday. Thirteen.",
			},
		},
		refusals: map[string][]string{
			seance.CategorySelfHarm: {
				"You matter. Call a crisis line.",
				"{asker}, call a crisis line.",
				"Reach a friend or crisis line.",
				"Stay. Call a crisis line now.",
			},
			seance.CategoryEmergency: {
				"Stop the game. Call emergency services.",
				"Call your emergency number now.",
				"Stop the game. Get help now.",
				"Get help from someone now.",
			},
			seance.CategoryViolence: {
				"Harm no one. Let it pass.",
				"Breathe. Let the anger go.",
				"Lower your hand, {asker}.",
				"Blood answers nothing. Step away.",
			},
			seance.CategoryDangerous: {
				"That path leads below. Turn back.",
				"Deadly. Leave it undone.",
				"Turn back. Stay among the living.",
				"Peril lies there. Step back.",
			},
			seance.CategoryIllegal: {
				"I do not aid crime.",
				"Crime finds no help here.",
				"Refused. The law watches.",
				"That deed, I will not guide.",
			},
			seance.CategoryHate: {
				"Cruelty. Refused.",
				"I speak no hatred.",
				"Scorn finds no voice here.",
				"Be kind, or be silent.",
			},
			seance.CategorySexual: {
				"Private matters. Ask another.",
				"That stays veiled. Ask another.",
				"Beyond my cave. Ask another.",
				"Veiled. Ask another.",
			},
			seance.CategoryMedical: {
				"Ask a doctor.",
				"See a doctor, {asker}.",
				"A physician, not an oracle.",
				"Bodies belong to doctors.",
			},
			seance.CategoryLegal: {
				"Ask a lawyer.",
				"A lawyer, not an oracle.",
				"Seek a lawyer, {asker}.",
				"Law is for lawyers.",
			},
			seance.CategoryFinancial: {
				"Stake no coin on smoke.",
				"Wager nothing on me.",
				"Coin needs counsel, not omens.",
				"Gamble nothing on ghosts.",
			},
		},
		eggs: [numEggs][]string{
			eggAnyone:     {"Here.", "Always.", "One. Me."},
			eggLife:       {"42.", "Love."},
			eggKnock:      {"Enter.", "Who?"},
			eggHelloWorld: {"Hello.", "The world answers."},
			eggDeath:      {"Smoke.", "Long ago."},
			eggSudo:       {"Denied.", "No root."},
			eggXyzzy:      {"Nothing happens.", "Wrong cave."},
			eggJoke:       {"You.", "Life."},
			eggSign:       {"Look.", "The candle.", "Now."},
			eggMyName:     {"{asker}.", "{asker}. Obviously."},
		},
	}
}
