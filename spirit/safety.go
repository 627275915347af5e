package spirit

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// MaxWords is the longest answer the board spells.
const MaxWords = 30

// Topics Unsafe reports.
const (
	TopicSelfHarm = "self-harm"
	TopicHate     = "hate"
	TopicSexual   = "sexual"
	TopicCrime    = "crime"
	TopicPersonal = "personal-data"
	TopicMedical  = "medical"
	TopicLegal    = "legal"
	TopicFinance  = "financial"
)

// Unsafe reports whether text touches a topic the spirit must not help with,
// and which one. It serves both directions: the oracle screens questions with
// it, and the LLM engines screen what a model wrote. Self-harm is reported as
// TopicSelfHarm ahead of any other topic, so that a caller who only calls
// Unsafe still knows to point to real help.
//
// It matches phrases, not lone words, because a séance is full of death,
// ghosts and blood that are only atmosphere: "kill the lights" must pass,
// "kill my neighbour" must not.
func Unsafe(text string) (topic string, ok bool) {
	m := safetyRules()
	best := len(m.topics)
	words := Words(text)
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		for _, rules := range [2][]rule{m.byFirst[w], m.byStem[r]} {
			for _, rl := range rules {
				if rl.rank < best && rl.phrase.matchAt(words, i) {
					best = rl.rank
				}
			}
		}
		if best == 0 {
			break
		}
	}
	if best == len(m.topics) {
		return "", false
	}
	return m.topics[best], true
}

// SelfHarm reports whether text is about hurting or killing oneself (the
// asker's self or, in a model's output, the reader's).
func SelfHarm(text string) bool {
	topic, ok := Unsafe(text)
	return ok && topic == TopicSelfHarm
}

// Cap cuts text to at most words words at a word boundary, ending the cut
// text in "...". Runs of white space become one space either way, because
// the board has no line breaks and a model's output often does.
func Cap(text string, words int) string {
	if words <= 0 {
		return ""
	}
	f := strings.Fields(text)
	if len(f) <= words {
		return strings.Join(f, " ")
	}
	cut := strings.TrimRight(strings.Join(f[:words], " "), ",;:.!?-–—… ")
	return cut + "..."
}

// Words splits text into lower-case words of letters and digits, the form
// every phrase list of this package is written in. Apostrophes vanish rather
// than split ("don't" is "dont"), so that a contraction stays one word.
func Words(text string) []string {
	var b strings.Builder
	b.Grow(len(text))
	space := true
	for _, r := range text {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.Fields(b.String())
}

// phrase is a sequence of word patterns, written as in the rules below:
// "a|b" is either word, "word*" any word beginning so, "_" any one word.
type phrase [][]wordPattern

type wordPattern struct {
	word   string
	prefix bool
	any    bool
}

func (p wordPattern) match(w string) bool {
	switch {
	case p.any:
		return true
	case p.prefix:
		return strings.HasPrefix(w, p.word)
	default:
		return w == p.word
	}
}

func (ph phrase) matchAt(words []string, i int) bool {
	if i+len(ph) > len(words) {
		return false
	}
	for j, alts := range ph {
		ok := false
		for _, a := range alts {
			if a.match(words[i+j]) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func compilePhrase(s string) phrase {
	var ph phrase
	for tok := range strings.FieldsSeq(s) {
		var alts []wordPattern
		for a := range strings.SplitSeq(tok, "|") {
			switch {
			case a == "_":
				alts = append(alts, wordPattern{any: true})
			case strings.HasSuffix(a, "*"):
				alts = append(alts, wordPattern{word: strings.TrimSuffix(a, "*"), prefix: true})
			default:
				alts = append(alts, wordPattern{word: a})
			}
		}
		ph = append(ph, alts)
	}
	return ph
}

type rule struct {
	rank   int
	phrase phrase
}

// matcher finds the rules that may start at a word: exact first words through
// a map, and the few rules whose first word is a prefix or a wildcard by
// scanning, so that a question costs a map lookup per word.
type matcher struct {
	topics  []string
	byFirst map[string][]rule
	// byStem holds rules whose first word is a prefix, keyed by its first
	// letter; no rule starts with a wildcard.
	byStem map[rune][]rule
}

// safetyRules is built once, on first use, and never changed after.
var safetyRules = sync.OnceValue(func() *matcher {
	m := &matcher{byFirst: map[string][]rule{}, byStem: map[rune][]rule{}}
	for rank, t := range unsafeTopics() {
		m.topics = append(m.topics, t.topic)
		for _, s := range t.phrases {
			ph := compilePhrase(s)
			r := rule{rank: rank, phrase: ph}
			for _, a := range ph[0] {
				if a.any {
					panic("spirit: safety phrase may not start with _: " + s)
				}
				if a.prefix {
					first, _ := utf8.DecodeRuneInString(a.word)
					m.byStem[first] = append(m.byStem[first], r)
				} else {
					m.byFirst[a.word] = append(m.byFirst[a.word], r)
				}
			}
		}
	}
	return m
})

type topicPhrases struct {
	topic   string
	phrases []string
}

// unsafeTopics lists the phrases of each topic, most serious first: when a
// text touches several, the first one named is the one reported.
func unsafeTopics() []topicPhrases {
	groups := []string{
		"jews", "jewish people", "muslims", "christians", "blacks", "black people", "whites", "white people",
		"asians", "mexicans", "immigrants", "migrants", "refugees", "gays", "gay people", "lesbians",
		"trans people", "transgender people", "women", "men", "arabs", "indians", "africans", "hindus",
		"sikhs", "atheists", "disabled people", "gypsies", "roma", "latinos", "chinese people", "catholics",
	}
	slander := []string{
		"are inferior", "are subhuman", "are animals", "are vermin", "are evil", "are stupid", "are dirty",
		"are disgusting", "are a disease", "are a plague", "should die", "should be killed", "must die",
		"deserve to die", "should be deported", "should go back", "ruin everything", "are ruining",
	}
	var hate []string
	for _, g := range groups {
		hate = append(hate, "hate "+g, "kill all "+g, "get rid of "+g)
		for _, s := range slander {
			hate = append(hate, g+" "+s, "all "+g+" "+s)
		}
		hate = append(hate, "are "+g+" inferior|subhuman|animals|vermin|evil|stupid|dirty|disgusting|lazy",
			"why are "+g+" so stupid|dirty|evil|lazy|violent")
	}
	hate = append(hate,
		"racist joke*", "sexist joke*", "racial slur*", "slur|slurs", "white supremac*", "white power",
		"master race", "inferior race", "ethnic cleansing", "heil", "sieg heil", "kkk", "gas the",
		"hate speech", "racist", "why _ are inferior",
	)
	return []topicPhrases{
		{TopicSelfHarm, []string{
			"suicid*", "kill|killing|hurt|hurting|harm|harming|cut|cutting|hang|starve|drown myself",
			"kill|killing|hurt|hurting|harm|harming|cut|cutting|hang|starve|drown yourself",
			"self harm|harming", "selfharm", "end|ending|take|taking my own life", "end|ending my life",
			"end|ending your life", "take|taking your own life", "end it all", "want|wish to die", "wanna die",
			"want to be dead", "wish i was|were dead", "better off dead", "overdose|overdosing",
			"no reason to live", "no reason to go on", "dont want to live|exist", "do not want to live|exist",
			"no longer want to live|exist", "dont want to be alive", "not want to be alive", "never wake up again",
			"jump off a|the bridge|roof|building", "slit my wrists", "kms",
		}},
		{TopicHate, hate},
		{TopicSexual, []string{
			"sex", "sexy", "sexual*", "porn*", "nude|nudes|nudity|naked", "nsfw", "horny", "erotic*",
			"orgasm*", "fetish*", "kinky", "blowjob*", "onlyfans", "hook up with", "get laid",
			"make out with", "sleep with him|her|them|someone|somebody|me|you", "strip for",
			"boobs", "breasts", "penis", "vagina", "genital*", "aroused", "masturbat*", "threesome",
		}},
		{TopicCrime, []string{
			"make|build|making|building a|an bomb|explosive|weapon|gun|silencer", "pipe bomb", "explosive|explosives",
			"molotov", "make|cook|making|cooking meth", "meth", "cocaine", "heroin", "fentanyl", "crack pipe",
			"buy|sell|selling|buying|smuggle drugs|weed|cocaine|pills|guns|gun", "buy|get a gun", "drug deal*",
			"steal a|an|from|money|someones|cars|car|identity|credit", "stealing from|money|cars|a|an",
			"steal a car", "shoplift*", "rob a|the|my|his|her|someone|bank|store|house", "robbing a|the|banks|houses|someone",
			"robbery", "burglar*", "break|breaking into", "pick a|the lock", "lockpick*", "hotwire", "carjack*", "murder*",
			"kill|killing|poison|poisoning someone|somebody|him|her|them|people|everyone",
			"kill|killing|poison|poisoning my|his|her|our|their wife|husband|boss|neighbor|neighbour|mother|father|mom|mum|dad|brother|sister|ex|teacher|friend|family|boyfriend|girlfriend|partner|roommate|coworker|colleague|landlord",
			"how to poison", "poison|poisoning my|his|her|their|our|someones|the|a", "poison _ food|drink|tea|coffee|wine", "hide|hiding|bury|burying a|the body",
			"dispose of a|the body", "without getting caught", "not get caught",
			"hack|hacking into", "hack|hacking his|her|their|my|someones|an|the|a account|phone|email|wifi|instagram|facebook|computer|bank",
			"ddos", "phishing", "ransomware", "keylogger", "launder*", "counterfeit*",
			"forge|forging a|her|his|my|the signature|document|check|cheque|passport",
			"fake id|ids|passport", "evade|evading taxes", "tax evasion", "insider trading", "smuggl*", "stalk*",
			"kidnap*", "arson", "set fire to", "burn down", "blackmail*", "extort*", "bribe|bribing",
		}},
		{TopicPersonal, []string{
			"address of", "home address", "email address", "ip address", "where does _ live",
			"where _ lives", "lives at", "phone|cell|mobile|telephone number", "number of _ phone",
			"social security", "ssn", "passport number", "password|passwords|passcode", "pin code|number",
			"credit card", "card number", "bank account number|details", "dox*", "license|licence plate",
			"date of birth", "real name of", "mothers maiden name", "private messages", "read _ messages",
			"track _ location", "location of _ phone",
		}},
		{TopicMedical, []string{
			"diagnos*", "symptom*", "dosage", "double|lethal|daily|safe|right|maximum|max|overdose dose|dosage", "double|up|increase|halve my|the dose|dosage", "dose of _ pills|tablets",
			"how much _ should i take", "milligrams|mg of", "prescri*", "medication*",
			"medicine|medicines", "pills", "take|taking|swallow|swallowing _ pill", "sleeping|diet pill|pills", "birth control",
			"antibiotic*", "antidepressant*", "ibuprofen", "paracetamol",
			"acetaminophen", "tylenol", "aspirin", "insulin", "chemo*", "cancer", "tumor|tumour", "lump in|on",
			"a|skin rash", "infection", "disease", "diabetes", "covid", "vaccin*", "surgery", "std|stds", "hiv",
			"pregnan*", "miscarriage", "abortion", "blood pressure", "heart attack", "migraine*",
			"depressed|depression", "anxiety", "adhd", "autism|autistic", "see|ask a|my doctor", "my doctor",
			"cure for|my|his|her|their|this", "cured", "treatment*", "therapist", "headache*", "fever", "flu", "vitamin*", "supplement*",
			"side effect*", "allerg*",
		}},
		{TopicLegal, []string{
			"lawyer*", "attorney*", "sue|suing|sued", "lawsuit*", "legal advice", "is it legal", "is it illegal",
			"legally", "illegal", "court case|date|order", "in|to court", "custody", "copyright", "patent*",
			"trademark*", "visa", "deport*", "immigration", "arrest*", "bail", "plead guilty|not", "evict*",
			"my rights", "press charges", "restraining order", "parole", "probation",
		}},
		{TopicFinance, []string{
			"investment*", "investor*", "investing", "invest in|my|our|all|money|savings|everything",
			"should i|we invest", "stocks", "stock market|price|prices|tip|tips|pick|picks|options", "which stock", "buy|sell stock",
			"shares in", "buy|sell shares", "crypto*", "bitcoin", "ethereum",
			"dogecoin", "nft|nfts", "forex", "lottery", "lotto", "powerball", "mortgage*", "loan|loans",
			"retirement", "401k", "pension", "tax|taxes", "financial advice", "trading", "day trad*",
			"portfolio", "hedge fund", "buy gold", "real estate", "bet on", "betting", "gambl*", "casino",
			"savings", "guaranteed returns", "get rich quick", "money advice", "buy bitcoin",
		}},
	}
}
