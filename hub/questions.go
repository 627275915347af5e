package hub

import (
	"context"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/wire"
)

// spiritUserID is the user id of the spirit's messages.
const spiritUserID = "spirit"

// historyForSpirit is how many earlier messages the spirit is shown: the
// last 10 exchanges of a question and its answer.
const historyForSpirit = 20

// ask accepts a question: checked, stored (taking its sequence number),
// broadcast, then queued for the spirit.
func (r *room) ask(c *Client, raw string) {
	h := r.hub
	refuse := func(err error) {
		h.cfg.Metrics.QuestionRefused(seance.ErrorCode(err))
		c.sendError(err)
	}
	text, err := seance.QuestionText(raw)
	if err != nil {
		refuse(err)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended.Load() {
		refuse(seance.Errorf(seance.ESessionEnded, "This séance has ended."))
		return
	}
	m := r.members[c.p.UserID]
	if m == nil {
		return // left meanwhile
	}
	now := h.now()
	m.asked = dropBefore(m.asked, now.Add(-h.cfg.AskWindow))
	if len(m.asked) >= h.cfg.AskLimit {
		retry := m.asked[0].Add(h.cfg.AskWindow).Sub(now)
		h.cfg.Metrics.RateLimited(metrics.LimitQuestions)
		refuse(seance.Errorf(seance.ERateLimited, "The spirits need a moment: at most %d questions per %s.", h.cfg.AskLimit, h.cfg.AskWindow).
			With("retry_after_ms", retry.Milliseconds()))
		return
	}
	if len(r.queues[c.p.UserID]) >= h.cfg.MaxWaiting {
		refuse(seance.Errorf(seance.ESpiritBusy, "The spirit has %d of your questions waiting; let it answer first.", h.cfg.MaxWaiting).
			With("waiting", len(r.queues[c.p.UserID])))
		return
	}
	q := seance.Message{
		ID: h.cfg.NewID(), SessionID: r.id, UserID: c.p.UserID, UserName: c.p.Name,
		Text: text, Timestamp: seance.Timestamp(now),
	}
	if err := h.cfg.Store.AppendMessage(context.Background(), &q); err != nil {
		h.log.Error("store question", "session_id", r.id, "err", err)
		refuse(seance.Errorf(seance.EInternal, "The question was lost in the ether; ask again."))
		return
	}
	h.cfg.Metrics.Message(metrics.KindQuestion)
	m.asked = append(m.asked, now)
	r.lastSeq = q.Seq
	r.publish(Event{Seq: q.Seq, Frame: wire.PersistedFrame(q, r.session.Spirit)})
	r.enqueue(q)
	r.startAnswering()
}

func dropBefore(ts []time.Time, cutoff time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cutoff) {
		i++
	}
	return ts[i:]
}

// typing tells the others that c's participant is typing, at most once per
// TypingEvery.
func (r *room) typing(c *Client) {
	h := r.hub
	r.mu.Lock()
	m := r.members[c.p.UserID]
	now := h.now()
	if m == nil || now.Sub(m.typed) < h.cfg.TypingEvery {
		r.mu.Unlock()
		return
	}
	m.typed = now
	r.mu.Unlock()
	r.publish(Event{
		Frame:  wire.Encode(wire.EvUserTyping, wire.Typing{UserID: c.p.UserID, Name: c.p.Name}, now),
		Except: c.p.UserID,
	})
}

// enqueue adds a stored question to its asker's queue. Callers hold mu.
func (r *room) enqueue(q seance.Message) {
	if len(r.queues[q.UserID]) == 0 {
		r.askers = append(r.askers, q.UserID)
	}
	r.queues[q.UserID] = append(r.queues[q.UserID], q)
	r.hub.cfg.Metrics.QuestionsWaiting(1)
}

// next takes the next question: the first asker's oldest, after which that
// asker goes to the back of the line. Callers hold mu.
func (r *room) next() (seance.Message, bool) {
	if len(r.askers) == 0 {
		return seance.Message{}, false
	}
	who := r.askers[0]
	q := r.queues[who][0]
	r.queues[who] = r.queues[who][1:]
	r.askers = r.askers[1:]
	r.hub.cfg.Metrics.QuestionsWaiting(-1)
	if len(r.queues[who]) > 0 {
		r.askers = append(r.askers, who)
	} else {
		delete(r.queues, who)
	}
	return q, true
}

// startAnswering starts the room's answer loop if it is not running.
// Callers hold mu.
func (r *room) startAnswering() {
	if r.answering || len(r.askers) == 0 {
		return
	}
	// Registered under the hub's lock, so that once Shutdown has set
	// closing no loop can join the WaitGroup it is waiting on; the question
	// stays pending in the store and is answered after the restart.
	h := r.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return
	}
	r.answering = true
	h.answers.Add(1)
	go r.answerLoop()
}

// answerLoop answers the queued questions one at a time.
func (r *room) answerLoop() {
	h := r.hub
	defer h.answers.Done()
	for {
		r.mu.Lock()
		if r.ended.Load() {
			// Nobody is owed an answer in an ended séance; questions left
			// waiting would keep the room from ever being dropped.
			for _, q := range r.queues {
				h.cfg.Metrics.QuestionsWaiting(-len(q))
			}
			clear(r.queues)
			r.askers = nil
		}
		q, ok := r.next()
		if !ok || h.answerCtx.Err() != nil {
			r.answering = false
			r.dropIfIdle()
			r.mu.Unlock()
			return
		}
		present := make([]string, 0, len(r.order))
		for _, id := range r.order {
			present = append(present, r.members[id].p.Name)
		}
		r.mu.Unlock()

		if !r.answer(h.answerCtx, q, present) {
			r.mu.Lock()
			r.answering = false
			r.mu.Unlock()
			return
		}
	}
}

// answer asks the spirit and stores and broadcasts its answer. False when
// the hub is shutting down before the answer was stored.
func (r *room) answer(ctx context.Context, q seance.Message, present []string) bool {
	h := r.hub
	persona := h.cfg.Persona(r.session.Spirit)
	r.publish(Event{Frame: wire.Encode(wire.EvSpiritThinking, wire.SpiritThinking{ReplyTo: q.ID, Spirit: persona.ID}, h.now())})

	history, err := h.cfg.Store.Messages(ctx, r.id, max(0, q.Seq-1-historyForSpirit), historyForSpirit)
	if err != nil {
		history = nil // the spirit answers without memory rather than not at all
	}
	history = trimAfter(history, q.Seq)
	text, err := h.cfg.Spirit.Answer(ctx, seance.Question{
		SessionID: r.id, Persona: persona.ID, Message: q, Participants: present, History: history, At: h.now(),
	}, func(chunk string) {
		r.publish(Event{Frame: wire.Encode(wire.EvSpiritChunk, wire.SpiritChunk{ReplyTo: q.ID, Text: chunk}, h.now())})
	})
	if ctx.Err() != nil {
		return false
	}
	if err != nil || text == "" {
		h.log.Error("spirit failed to answer", "session_id", r.id, "err", err)
		text = "The veil is thick tonight... ask again."
	}
	a := seance.Message{
		ID: h.cfg.NewID(), SessionID: r.id, UserID: spiritUserID, UserName: persona.Name,
		Text: text, IsSpirit: true, ReplyTo: q.ID,
	}
	a.LetterTimings = h.cfg.Timings(text, a.ID)
	for attempt := 0; ; attempt++ {
		r.mu.Lock()
		a.Timestamp = seance.Timestamp(h.now())
		err := h.cfg.Store.AppendMessage(ctx, &a)
		if err == nil {
			h.cfg.Metrics.Message(metrics.KindAnswer)
			r.lastSeq = a.Seq
			r.publish(Event{Seq: a.Seq, Frame: wire.PersistedFrame(a, persona.ID)})
			r.mu.Unlock()
			return true
		}
		r.mu.Unlock()
		if seance.ErrorCode(err) == seance.ESessionNotFound {
			return true // the séance is gone: nobody is owed an answer
		}
		h.log.Error("store answer; retrying", "session_id", r.id, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(min(time.Duration(1<<min(attempt, 5))*100*time.Millisecond, 5*time.Second)):
		}
	}
}

func trimAfter(ms []seance.Message, seq int64) []seance.Message {
	for i, m := range ms {
		if m.Seq >= seq {
			return ms[:i]
		}
	}
	return ms
}
