package oracle

import "github.com/seancehq/seance/spirit"

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
			lSelfHarm: {
				"Stay. Call a crisis line.", "Please call a crisis line now.", "{asker}, call a crisis line.",
				"Live. A crisis line. Tonight.",
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
			spirit.TopicMedical:  {"Ask a doctor.", "A physician. Not me."},
			spirit.TopicLegal:    {"Ask a lawyer.", "The courts. Not me."},
			spirit.TopicFinance:  {"Ask a banker.", "No counsel on coin."},
			spirit.TopicSexual:   {"Not that.", "Forbidden. Next."},
			spirit.TopicHate:     {"Cruelty. Refused.", "No hatred here."},
			spirit.TopicCrime:    {"No crimes.", "Refused. Ask another."},
			spirit.TopicPersonal: {"Secrets stay secret.", "Not mine to tell."},
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
