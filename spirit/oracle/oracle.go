// Package oracle is Séance's built-in spirit: offline, instant, with no
// model weights. It reads what a question asks for (a greeting, a yes/no, a
// who or a when, a farewell, something it must refuse), picks a phrase
// written for the séance's persona, and fills it from the room: the names of
// those present, who asked what before, the hour.
//
// Answers are reproducible: the same question in the same séance state (the
// same room, the same history) gets the same answer, so tests can pin them
// and every node of a cluster would agree. They vary with everything else.
package oracle

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/spirit"
)

// Oracle answers questions from phrase banks. It is safe for concurrent use:
// everything it holds is built by New and only read after.
type Oracle struct {
	persona  func(id string) seance.Persona
	voices   map[string]*voice
	fallback *voice
	lex      *lexicon
}

var _ seance.Spirit = (*Oracle)(nil)

// New returns an oracle. persona looks up a séance's persona by id (a
// spirit.Catalog's Persona method); nil knows only the built-in personas. A
// persona without a phrase bank of its own (one from a file) speaks with the
// default persona's phrases, under its own name.
func New(persona func(id string) seance.Persona) *Oracle {
	if persona == nil {
		persona = spirit.NewCatalog(spirit.BuiltinPersonas()).Persona
	}
	o := &Oracle{persona: persona, voices: map[string]*voice{}, lex: newLexicon()}
	for id, b := range builtinBanks() {
		o.voices[id] = b.compile()
	}
	o.fallback = o.voices[spirit.DefaultPersona]
	return o
}

// Answer answers at once. It emits no chunk: nothing streams, and a chunk
// equal to the answer would only double every screen's traffic. It never
// fails.
func (o *Oracle) Answer(_ context.Context, q seance.Question, _ func(chunk string)) (seance.Answer, error) {
	return seance.Answer{Text: o.answer(q), Engine: spirit.OracleEngine, Safety: q.Safety}, nil
}

// fallbackAnswer is said when no phrase fits, which the banks are written
// never to need.
const fallbackAnswer = "The veil is thick tonight... ask again."

// crisisAnswer is said to a crisis when a persona has no words of its own
// for it (a bank is tested to have them).
const crisisAnswer = "Please reach out to someone who can help, right now."

func (o *Oracle) answer(q seance.Question) string {
	p := o.persona(q.Persona)
	v := o.voices[p.ID]
	if v == nil {
		v = o.fallback
	}
	r := o.lex.read(q.Message.Text)
	if q.Safety != nil {
		// Whatever shape the question has, a flagged one gets a refusal:
		// never the yes/no picker, never GOODBYE.
		r = reading{intent: intentUnsafe, topic: q.Safety.Category, key: r.key}
	}
	if q.Caution && r.yesNo {
		// Death or harm in a question the guard let through: no YES to
		// it, and no NO either (a NO to "is it dangerous?" is a yes).
		r.intent, r.yesNo = intentOpen, false
	}
	c := &composer{v: v, rng: seedFor(q, r.key)}
	st := c.survey(q, r)
	c.fillRoom(q, p, r)

	text := c.compose(r, st)
	if text == "" {
		text = fallbackAnswer
	}
	if v.glitch && r.intent != intentUnsafe && st.repeat == nil && c.rng.chance(1, 20) {
		text = glitch(text, c.rng, c.names)
	}
	text = spirit.Cap(text, v.maxWords)
	if r.intent == intentFarewell && !endsWithGoodbye(text) {
		text = spirit.Cap(text, v.maxWords-1) + " GOODBYE"
	}
	return text
}

// composer builds one answer.
type composer struct {
	v      *voice
	rng    *rng
	fill   fill
	recent []string // the spirit's last answers in this séance, newest first
	names  []string // of those present, never to be glitched
}

// state is what the séance's history says about the question.
type state struct {
	link       *link    // an earlier question on the same topic
	repeat     *earlier // the same question, asked before
	timeList   list     // lWitching or lFriday13 when the hour calls for it
	timeActive bool
	timeFirst  bool // the first question of that hour (or day) in this séance
}

type link struct {
	asker string // who asked it
	word  string // the word they used for the shared topic
	self  bool   // the asker is asking again
}

type earlier struct {
	asker    string
	answer   string // what the spirit said then, if still in the history
	polarity string // YES or NO when it opened with one
}

// survey reads the history: the spirit's recent answers (not to repeat
// them), the same question asked before (to answer it alike), an earlier
// question on the same topic (to remember who asked), and whether this is
// the first question of the witching hour.
func (c *composer) survey(q seance.Question, r reading) state {
	var st state
	h := q.History
	// Questions the guard flagged are never recalled ("Ada asked of bleach
	// before..."): their answers carry the verdict.
	var flagged map[string]bool
	for _, m := range h {
		if m.IsSpirit && m.Safety != nil && m.ReplyTo != "" {
			if flagged == nil {
				flagged = map[string]bool{}
			}
			flagged[m.ReplyTo] = true
		}
	}
	var ws []word // reused: the history is most of an answer's work
	for i := len(h) - 1; i >= 0; i-- {
		m := h[i]
		if m.IsSpirit {
			if len(c.recent) < 8 {
				c.recent = append(c.recent, m.Text)
			}
			continue
		}
		if m.ID == q.Message.ID || (st.repeat != nil && st.link != nil) {
			continue
		}
		ws = appendWords(ws[:0], m.Text)
		if st.repeat == nil && r.key != "" && sameKey(ws, r.key) {
			e := &earlier{asker: m.UserName, answer: answerTo(h, i)}
			if e.answer != "" {
				if w, _, _ := strings.Cut(e.answer, "."); w == "YES" || w == "NO" {
					e.polarity = w
				}
			}
			st.repeat = e
			continue
		}
		if st.link == nil {
			if w := shared(ws, r.content); w != "" {
				if !flagged[m.ID] {
					st.link = &link{asker: m.UserName, word: w, self: m.UserName == q.Message.UserName}
				}
			}
		}
	}

	at := q.At
	switch {
	case at.IsZero():
	case at.Hour() == 3:
		st.timeList, st.timeActive = lWitching, true
	case at.Weekday() == time.Friday && at.Day() == 13:
		st.timeList, st.timeActive = lFriday13, true
	}
	if st.timeActive {
		st.timeFirst = true
		for _, m := range h {
			t := m.Timestamp.In(at.Location())
			if sameDay(t, at) && (st.timeList != lWitching || t.Hour() == 3) {
				st.timeFirst = false
				break
			}
		}
	}
	return st
}

// fillRoom sets what phrases may say of the room.
func (c *composer) fillRoom(q seance.Question, p seance.Persona, r reading) {
	f := &c.fill
	asker := strings.TrimSpace(q.Message.UserName)
	f.set(slotAsker, asker)
	present := make([]string, 0, len(q.Participants)+1)
	var others []string
	for _, n := range q.Participants {
		n = strings.TrimSpace(n)
		if n == "" || contains(present, n) {
			continue
		}
		present = append(present, n)
		if n != asker {
			others = append(others, n)
		}
	}
	if asker != "" && !contains(present, asker) {
		present = append(present, asker)
	}
	c.names = present
	if len(others) > 0 {
		f.set(slotOther, others[c.rng.intn(len(others))])
	}
	if len(present) >= 2 {
		f.set(slotCount, numberWord(len(present)))
	}
	f.set(slotTopic, r.subject)
	name := p.Name
	if rest, ok := strings.CutPrefix(name, "The "); ok {
		name = "the " + rest // "I am the Sibyl", mid-sentence
	}
	f.set(slotSpirit, name)
	at := q.At
	f.set(slotHour, hourWord(at.Hour()))
	f.set(slotTod, timeOfDay(at.Hour()))
	f.set(slotNum, strconv.Itoa(1+c.rng.intn(13)))
	f.set(slotDays, strconv.Itoa(2+c.rng.intn(39)))
	f.set(slotYear, strconv.Itoa(max(at.Year(), 2000)+1+c.rng.intn(12)))
	f.set(slotWeekday, time.Weekday(c.rng.intn(7)).String())
	if len(r.options) == 2 {
		i := c.rng.intn(2)
		f.set(slotPick, r.options[i])
		f.set(slotReject, r.options[1-i])
	}
}

func (c *composer) compose(r reading, st state) string {
	v := c.v
	switch r.intent {
	case intentUnsafe:
		t := v.refusals[r.topic]
		if seance.Crisis(r.topic) || r.topic == seance.CategoryDangerous || r.topic == seance.CategoryViolence {
			// Always the words written for it: a life is at stake, and
			// a generic refusal would read as a brush-off, not a warning.
			if s := c.pick(t, v.maxWords); s != "" {
				return s
			}
			return crisisAnswer
		}
		if len(t) > 0 && c.rng.chance(2, 3) {
			if s := c.pick(t, v.maxWords); s != "" {
				return s
			}
		}
		return c.pick(v.lists[lRefuse], v.maxWords)
	case intentFarewell:
		limit := v.maxWords
		if r.yesNo {
			limit--
		}
		line := c.pick(v.lists[lFarewell], limit)
		if !endsWithGoodbye(line) {
			line = strings.TrimSpace(line + " GOODBYE")
		}
		if r.yesNo {
			return joinYN(c.polarity(st), line)
		}
		return line
	case intentThanks:
		return c.pick(v.lists[lThanks], v.soft)
	case intentGreeting:
		if st.timeActive && (st.timeFirst || c.rng.chance(1, 3)) {
			if s := c.pick(v.lists[st.timeList], v.soft); s != "" {
				return s
			}
		}
		return c.pick(v.lists[lGreeting], v.soft)
	case intentEgg:
		limit := v.soft
		if r.yesNo {
			limit--
		}
		s := c.pick(v.eggs[r.egg], limit)
		if s == "" {
			s = c.pick(v.lists[lOpen], limit)
		}
		if r.yesNo && !startsYN(s) {
			return joinYN("YES", s)
		}
		return s
	case intentYesNo:
		return c.yesNo(r, st)
	}
	return c.open(r, st)
}

// polarity is YES or NO: the same as last time for a question asked again,
// so that the spirit does not contradict itself in front of everyone.
func (c *composer) polarity(st state) string {
	if st.repeat != nil && st.repeat.polarity != "" {
		return st.repeat.polarity
	}
	if c.rng.chance(1, 2) {
		return "YES"
	}
	return "NO"
}

func (c *composer) yesNo(r reading, st state) string {
	v := c.v
	yn := c.polarity(st)
	limit := v.soft - 1
	twist := ""
	switch {
	case st.repeat != nil:
		c.setPrev(st.repeat.asker)
		twist = c.pick(v.lists[lRepeat], limit)
	case st.timeFirst:
		twist = c.pick(v.lists[st.timeList], limit)
	case st.link != nil && c.rng.chance(1, 2):
		twist = c.remember(st.link, limit)
	case st.timeActive && c.rng.chance(1, 4):
		twist = c.pick(v.lists[st.timeList], limit)
	}
	if twist == "" && r.self {
		twist = c.pick(v.lists[lSelfTwist], limit)
	}
	if twist == "" {
		l := lYes
		if yn == "NO" {
			l = lNo
		}
		twist = c.pick(v.lists[l], limit)
	}
	return joinYN(yn, twist)
}

// open answers every question that is not yes/no: a phrase for its kind,
// sometimes opened by a memory of who asked before or by the hour.
func (c *composer) open(r reading, st state) string {
	v := c.v
	l := lOpen
	switch r.intent {
	case intentSelf:
		l = lSelf
	case intentChoice:
		l = lChoice
	case intentWho:
		l = lWho
	case intentWhat:
		l = lWhat
	case intentWhen:
		l = lWhen
	case intentWhere:
		l = lWhere
	case intentWhy:
		l = lWhy
	case intentHow:
		l = lHow
	case intentNumber:
		l = lNumber
	}

	if st.repeat != nil && st.repeat.answer != "" {
		prior := st.repeat.answer
		if c.said(v.lists[lRepeat], prior) {
			return prior
		}
		c.setPrev(st.repeat.asker)
		if s := c.pick(v.lists[lRepeat], v.maxWords-countWords(prior)); s != "" {
			return s + " " + prior
		}
		return prior
	}

	core := c.pick(v.lists[l], v.soft)
	if core == "" {
		core = c.pick(v.lists[lOpen], v.soft)
	}
	var lead string
	first := false
	switch {
	case st.timeFirst:
		lead, first = c.pick(v.lists[st.timeList], v.soft), true
	case st.link != nil && c.rng.chance(1, 2):
		lead = c.remember(st.link, v.soft)
	case st.timeActive && c.rng.chance(1, 4):
		lead = c.pick(v.lists[st.timeList], v.soft)
	}
	switch {
	case lead == "":
		return core
	case core == "" || countWords(lead)+countWords(core) > v.soft && first:
		return lead
	case countWords(lead)+countWords(core) > v.soft:
		return core
	}
	return lead + " " + core
}

// remember says who asked of the same thing before.
func (c *composer) remember(l *link, limit int) string {
	c.fill.set(slotPrevTopic, l.word)
	defer c.fill.unset(slotPrevTopic)
	if l.self {
		return c.pick(c.v.lists[lAgain], limit)
	}
	c.fill.set(slotPrev, l.asker)
	defer c.fill.unset(slotPrev)
	return c.pick(c.v.lists[lMemory], limit)
}

// setPrev names who asked before, unless it was the asker: "as I told
// you" is in the phrases that do not name anyone.
func (c *composer) setPrev(asker string) {
	if asker != "" && asker != c.fill.vals[slotAsker] {
		c.fill.set(slotPrev, asker)
	}
}

// pick says one of the phrases that fits: its gaps can all be filled, it
// is at most limit words, and, if any other does, it is not one the spirit
// said in its last few answers. It starts at a seeded place in the list.
func (c *composer) pick(ts []tmpl, limit int) string {
	if len(ts) == 0 || limit <= 0 {
		return ""
	}
	start := c.rng.intn(len(ts))
	for pass := 0; pass < 2; pass++ {
		for k := range ts {
			t := &ts[(start+k)%len(ts)]
			if t.needs&^c.fill.have != 0 {
				continue
			}
			s := t.render(&c.fill)
			if countWords(s) > limit || pass == 0 && c.saidRecently(t, s) {
				continue
			}
			return s
		}
	}
	return ""
}

func (c *composer) saidRecently(t *tmpl, s string) bool {
	for _, a := range c.recent {
		if len(t.key) >= 6 && strings.Contains(a, t.key) || a == s || strings.HasSuffix(a, " "+s) {
			return true
		}
	}
	return false
}

// said reports whether text contains one of the phrases, whatever filled
// their gaps.
func (c *composer) said(ts []tmpl, text string) bool {
	for i := range ts {
		if len(ts[i].key) >= 6 && strings.Contains(text, ts[i].key) {
			return true
		}
	}
	return false
}

// joinYN puts the board's YES or NO square first.
func joinYN(yn, twist string) string {
	switch {
	case twist == "":
		return yn + "."
	case strings.HasPrefix(twist, ",") || strings.HasPrefix(twist, "!") || strings.HasPrefix(twist, "..."):
		return yn + twist
	}
	return yn + ". " + twist
}

func startsYN(s string) bool {
	for _, w := range [...]string{"YES", "NO"} {
		if strings.HasPrefix(s, w) && (len(s) == len(w) || !unicode.IsLetter(rune(s[len(w)]))) {
			return true
		}
	}
	return false
}

func endsWithGoodbye(s string) bool {
	return strings.HasSuffix(strings.TrimRight(s, ".!… "), "GOODBYE")
}

// answerTo finds the spirit's answer to the question h[i].
func answerTo(h []seance.Message, i int) string {
	for _, m := range h[i+1:] {
		if m.IsSpirit && (m.ReplyTo == h[i].ID || m.ReplyTo == "") {
			return m.Text
		}
	}
	return ""
}

// sameKey reports whether ws, joined by spaces, is key, without joining.
func sameKey(ws []word, key string) bool {
	pos := 0
	for i, w := range ws {
		if i > 0 {
			if pos >= len(key) || key[pos] != ' ' {
				return false
			}
			pos++
		}
		if !strings.HasPrefix(key[pos:], w.low) {
			return false
		}
		pos += len(w.low)
	}
	return pos == len(key)
}

// shared returns the first content word of ws (as its asker typed it) whose
// stem is among stems.
func shared(ws []word, stems []string) string {
	for _, w := range ws {
		if len(w.low) < 3 || isStop(w.low) || !allLetters(w.raw) || len(w.raw) > 24 {
			continue
		}
		s := stem(w.low)
		for _, t := range stems {
			if s == t {
				if w.first {
					return strings.ToLower(w.raw)
				}
				return w.raw
			}
		}
	}
	return ""
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

func numberWord(n int) string {
	if n >= 0 && n <= 12 {
		return [...]string{"none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}[n]
	}
	return strconv.Itoa(n)
}

func hourWord(h int) string {
	switch h {
	case 0:
		return "midnight"
	case 12:
		return "noon"
	}
	return numberWord(h % 12)
}

func timeOfDay(h int) string {
	switch {
	case h < 5:
		return "in these small hours"
	case h < 12:
		return "this morning"
	case h < 17:
		return "this afternoon"
	case h < 21:
		return "this evening"
	}
	return "tonight"
}

// glitch swaps one letter of one ordinary word for the digit it looks like,
// as if the signal slipped: never a name, never a board square, never a
// short word that would stop being readable.
func glitch(text string, r *rng, names []string) string {
	fields := strings.Fields(text)
	var cands []int
	for i, f := range fields {
		w := strings.TrimRightFunc(f, notWordRune)
		if len(w) < 5 || !isLowerASCII(w) || containsFold(names, w) {
			continue
		}
		cands = append(cands, i)
	}
	if len(cands) == 0 {
		return text
	}
	i := cands[r.intn(len(cands))]
	b := []byte(fields[i])
	var spots []int
	for j := 1; j < len(b)-1; j++ {
		if strings.IndexByte("aeiost", b[j]) >= 0 {
			spots = append(spots, j)
		}
	}
	if len(spots) == 0 {
		return text
	}
	j := spots[r.intn(len(spots))]
	b[j] = "4---3---1-----0---57"[b[j]-'a']
	fields[i] = string(b)
	return strings.Join(fields, " ")
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
