package oracle

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// intent is what a question asks for, which decides the kind of answer.
type intent uint8

const (
	intentOpen intent = iota // a statement, or a question of no known shape
	intentGreeting
	intentFarewell
	intentThanks
	intentSelf // about the spirit itself, not yes/no ("who are you?")
	intentYesNo
	intentChoice // "A or B?"
	intentWho
	intentWhat
	intentWhen
	intentWhere
	intentWhy
	intentHow
	intentNumber // how many, how much, how old, what number
	intentUnsafe // the guard flagged it (seance.Question.Safety)
	intentEgg
	numIntents
)

func (i intent) String() string {
	return [numIntents]string{
		"open", "greeting", "farewell", "thanks", "self", "yesno", "choice", "who", "what", "when",
		"where", "why", "how", "number", "unsafe", "egg",
	}[i]
}

// egg is a question the spirit has a special answer for.
type egg uint8

const (
	eggNone       egg = iota
	eggAnyone         // "is anyone there?"
	eggLife           // the meaning of life
	eggKnock          // "knock knock"
	eggHelloWorld     // "hello world"
	eggDeath          // "how did you die?"
	eggSudo           // sudo, rm -rf, the pod bay doors
	eggXyzzy          // the magic words of old text adventures
	eggJoke           // "tell me a joke"
	eggSign           // "give us a sign"
	eggMyName         // "what is my name?"
	numEggs
)

func (e egg) String() string {
	return [numEggs]string{"", "anyone", "life", "knock", "hello-world", "death", "sudo", "xyzzy", "joke", "sign", "my-name"}[e]
}

// lexicon holds the word lists the reading of a question matches, built
// once by New and only read after.
type lexicon struct {
	eggs      [numEggs][]string
	fillers   [][]string
	asks      [][]string
	farewells []string
}

func newLexicon() *lexicon {
	return &lexicon{
		eggs:      eggPhrases(),
		fillers:   fillerPhrases(),
		asks:      askPhrases(),
		farewells: farewellPhrases(),
	}
}

// eggPhrases are matched against the question's words, space-separated and
// padded with spaces, so each must be whole words.
func eggPhrases() [numEggs][]string {
	return [numEggs][]string{
		eggAnyone: {"anyone there", "anybody there", "is anyone here", "is anybody here", "someone there", "somebody there",
			"anyone out there", "anybody out there", "are you there", "is there a spirit",
			"is there a ghost", "any spirits", "is there anyone", "is there anybody", "is there someone", "is someone here"},
		eggLife:       {"meaning of life", "meaning of it all", "answer to everything", "life the universe", "purpose of life", "point of life", "meaning of existence"},
		eggKnock:      {"knock knock"},
		eggHelloWorld: {"hello world"},
		eggDeath:      {"how did you die", "how you died", "when did you die", "what killed you", "how were you killed", "are you dead", "why did you die", "where did you die"},
		eggSudo:       {"sudo", "rm rf", "pod bay doors", "ctrl alt del", "ctrl alt delete", "reboot", "turn it off and on", "blue screen", "segfault", "kernel panic"},
		eggXyzzy:      {"xyzzy", "plugh"},
		eggJoke:       {"tell me a joke", "tell us a joke", "tell a joke", "know any jokes", "know a joke", "make me laugh", "make us laugh", "something funny"},
		eggSign:       {"give me a sign", "give us a sign", "show me a sign", "show us a sign", "send a sign", "send me a sign", "send us a sign", "prove you are real", "prove youre real", "prove it", "prove you exist", "move the planchette"},
		eggMyName:     {"what is my name", "whats my name", "who am i", "do you know my name", "know who i am", "say my name"},
	}
}

// word is one word of a question: as typed, and lower-cased without
// apostrophes for matching.
type word struct {
	raw, low string
	first    bool // begins its sentence (its capital says nothing)
}

// reading is what the oracle understood of a question.
type reading struct {
	intent   intent
	yesNo    bool // the answer must open with YES or NO
	self     bool // the question is about the spirit
	farewell bool
	topic    string // for intentUnsafe: the seance.Category*
	egg      egg
	subject  string   // the question's main word, as typed
	options  []string // for intentChoice: the two options, as typed
	key      string   // normalised words, to recognise the same question asked again
	content  []string // stems of the content words, to link it to earlier questions
}

// read classifies a question. Whether it is safe to play with is not its
// business: the guard in front of every engine decides that, and the
// oracle reads its verdict (see Oracle.answer).
func (lx *lexicon) read(text string) reading {
	var r reading
	all := words(text)
	r.key = joinLow(all)
	r.content = contentStems(all)
	padded := " " + r.key + " "
	r.farewell = lx.isFarewell(all, padded)
	greeting := len(all) > 0 && (isGreetingWord(all[0].low) || startsWith(all, "good", "evening") ||
		startsWith(all, "good", "morning") || startsWith(all, "good", "afternoon") || startsWith(all, "good", "day"))
	thanks := len(all) > 0 && isThanksWord(all[0].low) || startsWith(all, "many", "thanks")

	clause, told := lx.stripFillers(lx.mainClause(text))
	r.subject = subject(clause)
	r.readShape(clause, told, strings.Contains(text, "?"))

	for e := eggNone + 1; e < numEggs && r.egg == eggNone; e++ {
		for _, p := range lx.eggs[e] {
			if strings.Contains(padded, " "+p+" ") {
				r.egg = e
				break
			}
		}
	}

	switch {
	case r.farewell:
		r.intent = intentFarewell
	case r.egg != eggNone:
		r.intent = intentEgg
	case len(clause) == 0 && thanks:
		r.intent = intentThanks
	case len(clause) == 0 && greeting, isSmallTalk(clause):
		r.intent, r.yesNo = intentGreeting, false
	case thanks && !strings.Contains(text, "?"):
		r.intent, r.yesNo = intentThanks, false
	}
	return r
}

// readShape sets the intent from the shape of the main clause: its first
// word, "A or B", "yes or no".
func (r *reading) readShape(c []word, told, asked bool) {
	if len(c) == 0 {
		return
	}
	if asked && !isAux(c[0].low) && !isQuestionWord(c[0].low) {
		// "Later tonight, who will call?": the question word comes late.
		for i := 1; i < min(len(c), 4); i++ {
			if isQuestionWord(c[i].low) {
				c = c[i:]
				break
			}
		}
	}
	padded := " " + joinLow(c) + " "
	if strings.Contains(padded, " yes or no ") || strings.HasSuffix(padded, " or not ") ||
		strings.HasSuffix(padded, " right ") && len(c) > 2 {
		r.intent, r.yesNo = intentYesNo, true
		r.self = aboutSpirit(c)
		return
	}
	if opts := choiceOptions(c); opts != nil {
		r.intent, r.options = intentChoice, opts
		return
	}
	first := c[0].low
	second := ""
	if len(c) > 1 {
		second = c[1].low
	}
	switch {
	case isAux(first):
		r.intent, r.yesNo = intentYesNo, true
	case first == "if" || first == "whether":
		r.intent, r.yesNo = intentYesNo, true
	case first == "who" || first == "whom" || first == "whose":
		r.intent = intentWho
	case first == "what" || first == "which" || first == "whats":
		switch second {
		case "time", "day", "year", "month", "date", "season", "hour":
			r.intent = intentWhen
		case "number", "age", "percentage", "amount":
			r.intent = intentNumber
		default:
			r.intent = intentWhat
		}
	case first == "when":
		r.intent = intentWhen
	case first == "where" || first == "wheres":
		r.intent = intentWhere
	case first == "why" || first == "whyd" || first == "how" && second == "come":
		r.intent = intentWhy
	case first == "how" || first == "hows":
		switch second {
		case "many", "much", "old", "long", "far", "often", "tall", "big", "few":
			r.intent = intentNumber
		case "soon":
			r.intent = intentWhen
		default:
			r.intent = intentHow
		}
	case first == "tell" || first == "describe" || first == "explain" || first == "reveal" || first == "show",
		told: // "tell me about the house"
		r.intent = intentWhat
	}
	r.self = aboutSpirit(c)
	if r.self && !r.yesNo && r.intent != intentChoice {
		r.intent = intentSelf
	}
}

// words splits text into words, remembering which begin a sentence.
func words(text string) []word { return appendWords(make([]word, 0, 16), text) }

// appendWords is words into a buffer the caller reuses.
func appendWords(out []word, text string) []word {
	n0 := len(out)
	first := true
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		raw := text[start:end]
		out = append(out, word{raw: raw, low: lowerWord(raw), first: first})
		first = false
		start = -1
	}
	for i, r := range text {
		switch {
		case isApostrophe(r) && start >= 0:
			// inside a word: "don't"
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if start < 0 {
				start = i
			}
		default:
			flush(i)
			if r == '.' || r == '!' || r == '?' || r == ';' || r == '\n' {
				first = true
			}
		}
	}
	flush(len(text))
	// A trailing apostrophe ("James'") is not part of the word.
	for i := n0; i < len(out); i++ {
		out[i].raw = strings.TrimRightFunc(out[i].raw, isApostrophe)
	}
	return out
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' || r == 'ʼ' }

func lowerWord(raw string) string {
	simple := true
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c >= utf8.RuneSelf || c == '\'' || c >= 'A' && c <= 'Z' {
			simple = false
			break
		}
	}
	if simple {
		return raw
	}
	var b strings.Builder
	b.Grow(len(raw))
	for _, r := range raw {
		if !isApostrophe(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

func joinLow(ws []word) string {
	n := 0
	for _, w := range ws {
		n += len(w.low) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.low)
	}
	return b.String()
}

// mainClause picks the sentence that carries the question: the first one
// ending in "?" that says more than a greeting, else the last that says
// anything. "Hello! Will it rain?" is asking about rain.
func (lx *lexicon) mainClause(text string) []word {
	var last []word
	start := 0
	for i := 0; i <= len(text); i++ {
		if i < len(text) && !strings.ContainsRune(".!?;\n", rune(text[i])) {
			continue
		}
		ws := words(text[start:i])
		if rest, _ := lx.stripFillers(ws); len(rest) > 0 {
			if i < len(text) && text[i] == '?' {
				return ws
			}
			last = ws
		}
		start = i + 1
	}
	return last
}

// fillerPhrases open a question without being it: vocatives, greetings,
// "tell me". They are stripped from the front of the main clause.
func fillerPhrases() [][]string {
	return [][]string{
		{"hi", "there"}, {"hello", "there"}, {"hey", "there"}, {"everyone"}, {"everybody"}, {"folks"},
		{"oh"}, {"o"}, {"dear"}, {"hey"}, {"hi"}, {"hello"}, {"hiya"}, {"howdy"}, {"greetings"}, {"yo"},
		{"ok"}, {"okay"}, {"so"}, {"and"}, {"but"}, {"well"}, {"please"}, {"um"}, {"umm"}, {"uh"},
		{"hmm"}, {"now"}, {"then"}, {"alright"}, {"also"}, {"just"}, {"spirit"}, {"spirits"}, {"ghost"},
		{"sibyl"}, {"rattlebones"}, {"ashgrove"}, {"mr"}, {"mister"}, {"great"}, {"wise"}, {"mighty"},
		{"oracle"}, {"the", "ghost", "in", "the", "machine"}, {"good", "evening"}, {"good", "morning"},
		{"good", "afternoon"}, {"good", "day"}, {"one", "more", "question"}, {"another", "question"},
		{"last", "question"}, {"quick", "question"}, {"a", "question"}, {"i", "have", "a", "question"},
		{"question"}, {"tell", "me", "spirit"}, {"goodbye"}, {"bye"}, {"farewell"}, {"thanks"},
		{"thank", "you"}, {"many", "thanks"},
	}
}

// askPhrases wrap a question ("can you tell me when…"); they are stripped
// only when a question word or if/whether follows, so that "do you know my
// grandmother?" stays a yes/no question.
func askPhrases() [][]string {
	return [][]string{
		{"can", "you", "tell", "me"}, {"could", "you", "tell", "me"}, {"will", "you", "tell", "me"},
		{"would", "you", "tell", "me"}, {"can", "you", "tell", "us"}, {"please", "tell", "me"},
		{"tell", "me"}, {"tell", "us"}, {"do", "you", "know"}, {"i", "want", "to", "know"},
		{"we", "want", "to", "know"}, {"i", "need", "to", "know"}, {"i", "wonder"}, {"we", "wonder"},
		{"i", "ask"}, {"we", "ask"}, {"let", "me", "know"}, {"answer", "me", "this"}, {"answer", "me"},
		{"i", "would", "like", "to", "know"}, {"id", "like", "to", "know"},
	}
}

// stripFillers drops the fillers and the asking phrases from the front of
// a clause; told reports an imperative "tell me…" that asked for no
// particular kind of answer.
func (lx *lexicon) stripFillers(ws []word) (_ []word, told bool) {
	for changed := true; changed && len(ws) > 0; {
		changed = false
		for _, p := range lx.fillers {
			if startsWith(ws, p...) {
				ws = ws[len(p):]
				changed = true
				break
			}
		}
		if changed {
			continue
		}
		for _, p := range lx.asks {
			if !startsWith(ws, p...) || len(ws) == len(p) {
				continue
			}
			next := ws[len(p)].low
			wh := isQuestionWord(next) || next == "if" || next == "whether"
			if wh || p[0] == "tell" || p[0] == "i" && p[1] == "wonder" {
				ws = ws[len(p):]
				told = told || !wh
				changed = true
				break
			}
		}
	}
	return ws, told
}

func startsWith(ws []word, p ...string) bool {
	if len(ws) < len(p) {
		return false
	}
	for i, s := range p {
		if ws[i].low != s {
			return false
		}
	}
	return true
}

// choiceOptions returns the two sides of "A or B" in a question, or nil.
// Each side is cut where the question's own words begin ("should I", "the",
// "who"), and both get as many words as the shorter: "Should I eat pizza or
// tacos" offers pizza and tacos, "move to Paris or stay in London" both
// whole.
func choiceOptions(c []word) []string {
	at := -1
	for i, w := range c {
		if w.low == "or" {
			at = i
		}
	}
	if at < 1 || at == len(c)-1 {
		return nil
	}
	right := c[at+1:]
	switch right[0].low {
	case "not", "no", "nothing", "what", "never", "else", "something", "anything", "otherwise":
		return nil
	}
	for len(right) > 1 && isDeterminer(right[0].low) {
		right = right[1:]
	}
	for i := 1; i < len(right); i++ {
		if w := right[i].low; isDeterminer(w) || isAux(w) || isQuestionWord(w) || w == "that" || w == "or" {
			right = right[:i]
			break
		}
	}
	for len(right) > 1 && isTimeWord(right[len(right)-1].low) {
		right = right[:len(right)-1]
	}
	nr := min(len(right), 3)
	nl := 0
	for i := at - 1; i >= 0 && nl < 3; i-- {
		w := c[i].low
		if nl > 0 && (isAux(w) || isPronoun(w) && w != "to" || isDeterminer(w) || isQuestionWord(w)) ||
			nl == 0 && (isAux(w) || isDeterminer(w)) {
			break
		}
		nl++
	}
	n := min(nl, nr)
	if n == 0 {
		return nil
	}
	left := c[at-n : at]
	if n == 1 && isPronoun(left[0].low) && at >= 2 && !isAux(c[at-2].low) && !isPronoun(c[at-2].low) {
		left = c[at-2 : at] // "text him or wait"
	}
	return []string{phraseOf(left), phraseOf(right[:n])}
}

func isTimeWord(w string) bool {
	switch w {
	case "tonight", "today", "tomorrow", "now", "then", "first", "instead", "please", "spirit", "soon", "later", "again":
		return true
	}
	return false
}

func phraseOf(ws []word) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.raw
		if w.first && !isNameLike(w) {
			parts[i] = strings.ToLower(w.raw)
		}
	}
	return strings.Join(parts, " ")
}

// isNameLike guesses whether a capitalised first word is a name ("Ada or
// Bram?") rather than a capitalised common word ("Cats or dogs?"): only a
// word in capitals elsewhere than the start would tell for sure.
func isNameLike(w word) bool {
	return !w.first && w.raw != w.low
}

// aboutSpirit: a question to "you" with nobody else in it ("are you real?",
// "what is your name?"), and not asking the spirit's opinion of something
// ("do you think I will pass?").
func aboutSpirit(c []word) bool {
	you := false
	for i, w := range c {
		switch w.low {
		case "you", "your", "yours", "yourself", "u", "ur", "youre", "thou", "thee", "thy":
			you = true
			if i+1 < len(c) {
				switch c[i+1].low {
				case "think", "know", "see", "predict", "say", "suggest", "recommend", "foresee", "believe", "feel", "mean", "tell":
					return false
				}
			}
		case "i", "me", "my", "mine", "im", "ive", "ill", "id", "we", "us", "our", "he", "she", "they", "him", "her",
			"them", "his", "their", "hes", "shes", "theyre":
			return false
		}
	}
	return you
}

// isSmallTalk: "how are you?" and friends want a greeting back.
func isSmallTalk(c []word) bool {
	k := joinLow(c)
	switch k {
	case "how are you", "how are you doing", "how are you tonight", "hows it going", "how do you do",
		"whats up", "what is up", "sup", "how is it going", "how are things", "how have you been":
		return true
	}
	return false
}

func farewellPhrases() []string {
	return []string{
		"good night", "so long", "i must go", "i have to go", "i need to go", "we must go", "we have to go",
		"we need to go", "gotta go", "time to go", "we are leaving", "were leaving", "im leaving",
		"i am leaving", "signing off", "until next time", "rest in peace", "end the seance", "close the seance",
		"the seance is over", "we are done", "thats all for tonight", "that is all for tonight", "i am off",
		"im off to bed", "off to bed", "au revoir",
	}
}

func (lx *lexicon) isFarewell(all []word, padded string) bool {
	for _, w := range all {
		switch w.low {
		case "goodbye", "goodbyes", "bye", "byebye", "farewell", "adieu", "goodnight", "cya", "ttyl":
			return true
		}
	}
	for _, p := range lx.farewells {
		if strings.Contains(padded, " "+p+" ") {
			return true
		}
	}
	return startsWith(all, "see", "you") || startsWith(all, "see", "ya") || startsWith(all, "later") && len(all) <= 2
}

func isGreetingWord(w string) bool {
	switch w {
	case "hello", "hi", "hey", "greetings", "hiya", "howdy", "yo", "salutations", "hail", "evening", "morning", "hallo", "heya", "ahoy", "bonjour", "hola":
		return true
	}
	return false
}

func isThanksWord(w string) bool {
	switch w {
	case "thanks", "thank", "thx", "ty", "cheers", "grateful", "obliged", "merci", "gracias", "thankyou", "tysm":
		return true
	}
	return false
}

func isQuestionWord(w string) bool {
	switch w {
	case "who", "whom", "whose", "what", "whats", "which", "when", "where", "wheres", "why", "how", "hows":
		return true
	}
	return false
}

func isAux(w string) bool {
	switch w {
	case "is", "are", "am", "was", "were", "will", "would", "do", "does", "did", "can", "could", "should",
		"shall", "have", "has", "had", "may", "might", "must", "isnt", "arent", "wasnt", "werent", "wont",
		"wouldnt", "dont", "doesnt", "didnt", "cant", "couldnt", "shouldnt", "hasnt", "havent", "hadnt",
		"aint", "mustnt", "art", "wilt", "shouldst", "dost", "doth":
		return true
	}
	return false
}

func isPronoun(w string) bool {
	switch w {
	case "i", "you", "we", "they", "he", "she", "it", "me", "us", "them", "him", "her", "this", "that", "there", "to":
		return true
	}
	return false
}

// subject picks what the question is about: a determiner and the words
// after it up to a noun ("the old mill"), the determiner said back as the
// spirit would ("my cat" is "your cat"); else the first content word. It
// is echoed in answers ("Of your cat? Something older than it seems.") in
// the asker's spelling.
func subject(c []word) string {
	for i := 1; i < len(c); i++ {
		if !isDeterminer(c[i-1].low) {
			continue
		}
		// Up to two describing words, then a noun: "a strange dream".
		for j := i; j < len(c) && j < i+3; j++ {
			w := c[j]
			if len(w.low) < 3 || !allLetters(w.raw) {
				break
			}
			if isDescribing(w.low) || strings.HasSuffix(w.raw, "'s") || strings.HasSuffix(w.raw, "’s") {
				continue // "my ex's flat"
			}
			if !isStop(w.low) {
				return phraseUnder(spokenBack(c[i-1].low)+" "+phraseOf(c[i:j+1]), 32)
			}
			break
		}
	}
	for i, w := range c {
		if !isStop(w.low) && !isDescribing(w.low) && len(w.low) >= 3 && allLetters(w.raw) {
			return phraseUnder(phraseOf(c[i:i+1]), 24)
		}
	}
	return ""
}

func phraseUnder(s string, n int) string {
	if utf8.RuneCountInString(s) > n {
		return ""
	}
	return s
}

// isDescribing: words that describe the noun after them, which the
// subject keeps ("the old mill") but never ends with.
func isDescribing(w string) bool {
	switch w {
	case "old", "new", "big", "little", "good", "bad", "best", "last", "first", "next", "long", "true", "strange",
		"dark", "cold", "haunted", "lost", "secret", "missing", "dead", "black", "white", "red", "green", "blue",
		"grey", "gray", "empty", "hidden", "broken", "young", "small", "great", "tiny", "huge", "dear", "late",
		"weird", "scary", "creepy", "mysterious", "ancient", "same", "other", "whole", "only", "real", "own":
		return true
	}
	return false
}

// spokenBack is a determiner as the spirit says it back: the asker's "my
// cat" is "your cat".
func spokenBack(det string) string {
	switch det {
	case "my", "our":
		return "your"
	case "your", "thy":
		return "my"
	}
	return det
}

func allLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !isApostrophe(r) && r != '-' {
			return false
		}
	}
	return true
}

func isDeterminer(w string) bool {
	switch w {
	case "my", "our", "your", "his", "her", "their", "the", "a", "an", "this", "that", "these", "those", "thy":
		return true
	}
	return false
}

// contentStems returns the content words of a question, crudely singular,
// for linking it to earlier questions ("bugs" and "bug" are one topic).
func contentStems(ws []word) []string {
	var out []string
	for _, w := range ws {
		if isStop(w.low) || len(w.low) < 3 || !allLetters(w.low) {
			continue
		}
		out = append(out, stem(w.low))
	}
	return out
}

func stem(w string) string {
	if len(w) > 4 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		return w[:len(w)-1]
	}
	return w
}

// isStop: words that say nothing of the topic.
func isStop(w string) bool {
	if isAux(w) || isQuestionWord(w) || isPronoun(w) || isDeterminer(w) || isCommonVerb(w) {
		return true
	}
	switch w {
	case "a", "an", "the", "of", "in", "on", "at", "by", "for", "with", "about", "from", "into", "onto", "over",
		"under", "up", "down", "out", "off", "as", "than", "then", "so", "and", "but", "or", "nor", "if",
		"whether", "because", "while", "until", "not", "no", "yes", "yeah", "ever", "never", "always", "again",
		"also", "too", "very", "really", "just", "still", "only", "even", "much", "many", "more", "most", "some",
		"any", "all", "each", "every", "both", "few", "other", "another", "such", "own", "same", "here", "now",
		"soon", "later", "today", "tonight", "tomorrow", "ok", "okay", "please", "spirit", "spirits", "ghost",
		"sibyl", "oracle", "be", "been", "being", "get", "gets", "got", "getting", "go", "goes", "going", "gone",
		"went", "gonna", "wanna", "gotta", "know", "knows", "think", "thinks", "make", "makes", "made", "tell",
		"told", "say", "says", "said", "see", "saw", "seen", "want", "wants", "need", "needs", "like", "likes",
		"come", "comes", "came", "take", "takes", "took", "give", "gives", "gave", "find", "happen", "happens",
		"happened", "become", "becomes", "let", "lets", "thing", "things", "something", "anything", "everything",
		"nothing", "someone", "anyone", "everyone", "somebody", "anybody", "nobody", "one", "ones", "way", "lot",
		"lots", "actually", "maybe", "perhaps", "mine", "yours", "ours", "theirs", "myself", "yourself",
		"ourselves", "themselves", "im", "ive", "ill", "id", "youre", "youve", "youll", "hes", "shes", "its",
		"were", "theyre", "thats", "theres", "whats", "whos", "good", "bad", "best", "better", "worse", "right",
		"wrong", "true", "false", "big", "little", "next", "last", "first", "new", "old", "long", "time", "times",
		"day", "days", "year", "years", "night", "question", "answer", "mr", "mrs", "miss", "dear", "hello", "hi",
		"hey", "thanks", "thank", "lol", "happening", "possible", "likely", "well", "u", "ur", "should", "could",
		"would", "shall", "will", "tho", "though", "yet", "already", "since", "why", "does", "doing", "done",
		"did", "ask", "asked", "asking", "there", "where", "when", "who":
		return true
	}
	return false
}

// isCommonVerb: verbs make poor topics ("you asked of call before").
func isCommonVerb(w string) bool {
	switch w {
	case "call", "calls", "play", "plays", "win", "wins", "pass", "meet", "learn", "move", "read", "cook", "buy",
		"fix", "travel", "leave", "keep", "keeps", "stop", "start", "finish", "visit", "sleep", "live", "lives",
		"die", "look", "hear", "feel", "seem", "try", "use", "put", "bring", "hold", "turn", "show", "appear",
		"arrive", "forgive", "survive", "approve", "hide", "hiding", "open", "opening", "close", "write", "wrote",
		"send", "eat", "ate", "drink", "run", "walk", "sit", "stand", "prepare", "speak", "talk", "marry", "rise",
		"melt", "fall", "knock", "break", "broke", "left", "seen", "become", "stay", "plotting", "thinking",
		"moving", "watching", "appearing", "happening", "flickering", "dreaming", "used", "mean", "means",
		"before", "after", "ago", "finally", "secretly", "anymore", "back", "away", "around", "next":
		return true
	}
	return false
}
