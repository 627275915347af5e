package hub

import (
	"context"
	"errors"
	"time"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/wire"
)

// spiritUserID is the user id of the spirit's messages.
const spiritUserID = "spirit"

// storeTimeout bounds one store call made for a client or an answer.
const storeTimeout = 5 * time.Second

// historyForSpirit is how many earlier messages the spirit is shown: the
// last 10 exchanges of a question and its answer.
const historyForSpirit = 20

// ask accepts a question: checked, stored (taking its sequence number),
// broadcast; then the spirit is woken.
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
	here := r.members[c.p.UserID] != nil
	r.mu.Unlock()
	switch {
	case r.ended.Load():
		refuse(seance.SessionEnded(r.id))
		return
	case !here:
		return // left meanwhile
	}
	busy := func() bool {
		r.qmu.Lock()
		waiting := r.waiting[c.p.UserID]
		r.qmu.Unlock()
		if waiting < h.cfg.MaxWaiting {
			return false
		}
		refuse(seance.Errorf(seance.ESpiritBusy, "The spirit has %d of your questions waiting; let it answer first.", h.cfg.MaxWaiting).
			With("waiting", waiting))
		return true
	}
	// Asked first so that a busy refusal spends none of the budget.
	if busy() {
		return
	}
	// The shared budget is a broker round trip: no lock is held for it.
	if ok, retry := r.allow("ask:"+r.id+":"+c.p.UserID, h.cfg.AskLimit, h.cfg.AskWindow); !ok {
		h.cfg.Metrics.RateLimited(metrics.LimitQuestions)
		refuse(seance.Errorf(seance.ERateLimited, "The spirits need a moment: at most %d questions per %s.", h.cfg.AskLimit, h.cfg.AskWindow).
			With("retry_after_ms", retry.Milliseconds()))
		return
	}
	r.pubMu.Lock()
	defer r.pubMu.Unlock()
	// Again, in publication order: a question of the same participant from
	// another tab may have been counted meanwhile.
	if busy() {
		return
	}
	q := seance.Message{
		ID: h.cfg.NewID(), SessionID: r.id, UserID: c.p.UserID, UserName: c.p.Name,
		Text: text, Timestamp: seance.Timestamp(h.now()),
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := h.cfg.Store.AppendMessage(ctx, &q); err != nil {
		if seance.ErrorCode(err) == seance.ESessionEnded {
			// Ended by another node, or while this question was on its
			// way: the session_ended event is on its way too.
			refuse(err)
			return
		}
		h.log.Error("store question", "session_id", r.id, "err", err)
		refuse(seance.Errorf(seance.EInternal, "The question was lost in the ether; ask again."))
		return
	}
	h.cfg.Metrics.Message(metrics.KindQuestion)
	// The question starts the answer loop once delivered here (track),
	// which is at once unless it waits behind another node's message.
	r.qmu.Lock()
	r.local[q.ID] = true
	r.qmu.Unlock()
	r.publish(Event{Seq: q.Seq, Frame: wire.PersistedFrame(q, r.session.Spirit), Msg: &q})
}

// allow takes one event from a budget shared by the nodes. Without the
// broker it allows: the limits protect the spirit and the room from a
// flood, not worth refusing every question while Redis restarts.
func (r *room) allow(key string, n int, per time.Duration) (bool, time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), brokerTimeout)
	defer cancel()
	ok, retry, err := r.hub.cfg.Broker.Allow(ctx, key, n, per)
	if err != nil {
		r.hub.log.Warn("rate limit unavailable; allowing", "session_id", r.id, "err", err)
		return true, 0
	}
	return ok, retry
}

// typing tells the others that c's participant is typing, at most once per
// TypingEvery across nodes.
func (r *room) typing(c *Client) {
	h := r.hub
	r.mu.Lock()
	present := r.members[c.p.UserID] != nil
	r.mu.Unlock()
	if !present {
		return
	}
	if ok, _ := r.allow("typing:"+r.id+":"+c.p.UserID, 1, h.cfg.TypingEvery); !ok {
		return
	}
	r.publish(Event{
		Frame:  wire.Encode(wire.EvUserTyping, wire.Typing{UserID: c.p.UserID, Name: c.p.Name}, h.now()),
		Except: c.p.UserID,
	})
}

// question is one question not answered yet, as the room counts it.
type question struct {
	m     seance.Message
	taken bool // the spirit has begun to answer it
}

// track counts a delivered message: a question waits until the spirit
// takes it, and is owed an answer until one is delivered. Every node keeps
// this count from the events it delivers in sequence order, so the node
// that answers needs no database read to know what is owed. Callers hold
// qmu.
func (r *room) track(m seance.Message) {
	if !m.IsSpirit {
		if _, ok := r.asked[m.ID]; !ok {
			r.asked[m.ID] = &question{m: m}
			r.waiting[m.UserID]++
			r.hub.cfg.Metrics.QuestionsWaiting(1)
		}
		// The node it was asked on sees that it is answered; the others
		// count on the holder of the lease, or on their heartbeat.
		if r.local[m.ID] {
			delete(r.local, m.ID)
			r.startLocked()
		}
		return
	}
	r.answered(m.ReplyTo)
}

// taken stops counting a question as waiting. Callers hold qmu.
func (r *room) taken(id string) {
	q, ok := r.asked[id]
	if !ok || q.taken {
		return
	}
	q.taken = true
	if r.waiting[q.m.UserID]--; r.waiting[q.m.UserID] <= 0 {
		delete(r.waiting, q.m.UserID)
	}
	r.hub.cfg.Metrics.QuestionsWaiting(-1)
}

// answered forgets a question. Callers hold qmu.
func (r *room) answered(id string) {
	r.taken(id)
	delete(r.asked, id)
}

// forgetWaiting drops the count of an ended séance. Callers hold qmu.
func (r *room) forgetWaiting() {
	for id := range r.asked {
		r.answered(id)
	}
}

// owed reports whether a question is waiting for an answer. Callers hold qmu.
func (r *room) owed() bool { return len(r.asked) > 0 && !r.ended.Load() }

// kick makes sure someone answers: it starts this node's answer loop, or
// asks a running one to look again before it stops.
func (r *room) kick() {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	r.startLocked()
}

// startLocked is kick for callers that hold qmu.
func (r *room) startLocked() {
	h := r.hub
	if r.answering {
		r.again = true
		return
	}
	// Registered under the hub's lock, so that once Shutdown has set
	// closing no loop can join the WaitGroup it is waiting on; the question
	// stays pending in the store and is answered after the restart.
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return
	}
	r.answering = true
	h.answers.Add(1)
	go r.answerLoop()
}

// leaseRetryFirst is the first wait of a node trying for the spirit's lease
// while a question is owed; the wait doubles up to LeaseRenewEvery.
const leaseRetryFirst = 20 * time.Millisecond

// answerLoop runs while questions are owed: it answers them while this node
// holds the spirit's lease, and otherwise keeps trying for the lease, less
// and less often, until the holder has answered them. Without the trying, a
// question stored just as the holder let the lease go would wait for the
// next heartbeat.
func (r *room) answerLoop() {
	h := r.hub
	defer h.answers.Done()
	ctx := h.answerCtx
	wait := leaseRetryFirst
	for {
		r.qmu.Lock()
		r.again = false
		owed := r.owed()
		r.qmu.Unlock()
		if owed && ctx.Err() == nil {
			held, err := h.cfg.Broker.AcquireSpirit(ctx, r.id)
			if err != nil && ctx.Err() == nil {
				// Answer anyway: the database keeps a question to one
				// answer if another node answers it too.
				h.log.Warn("spirit lease unavailable; answering without it", "session_id", r.id, "err", err)
				held = true
			}
			if held {
				wait = leaseRetryFirst
				r.answerWhileHeld(ctx)
				rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), brokerTimeout)
				if err := h.cfg.Broker.ReleaseSpirit(rctx, r.id); err != nil {
					h.log.Warn("release the spirit's lease", "session_id", r.id, "err", err)
				}
				cancel()
			} else {
				select {
				case <-ctx.Done():
				case <-time.After(wait):
				}
				wait = min(2*wait, h.cfg.LeaseRenewEvery)
			}
		}
		r.mu.Lock()
		r.qmu.Lock()
		if r.ended.Load() {
			r.forgetWaiting()
		}
		if ctx.Err() == nil && (r.again || r.owed()) {
			r.qmu.Unlock()
			r.mu.Unlock()
			continue
		}
		r.answering = false
		r.qmu.Unlock()
		r.dropIfIdle()
		r.mu.Unlock()
		return
	}
}

// answerWhileHeld answers the owed questions, one at a time in round-robin
// order of askers, until none is left or the lease is lost.
func (r *room) answerWhileHeld(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		r.renewLease(ctx, cancel)
	}()
	defer func() { cancel(); <-renewed }()
	for ctx.Err() == nil && !r.ended.Load() {
		q, ok := r.pick()
		if !ok {
			return
		}
		if !r.answer(ctx, q) {
			return
		}
		// Forgotten now, not when the answer's event comes round: it may
		// wait behind a gap, and the question must not be answered twice.
		r.qmu.Lock()
		r.answered(q.ID)
		r.qmu.Unlock()
	}
}

// renewLease keeps the lease while answering; losing it (this node was
// presumed dead) stops the answer: the next holder answers instead.
func (r *room) renewLease(ctx context.Context, lost context.CancelFunc) {
	h := r.hub
	tick := time.NewTicker(h.cfg.LeaseRenewEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		held, err := h.cfg.Broker.RenewSpirit(ctx, r.id)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("renew the spirit's lease", "session_id", r.id, "err", err)
			}
			continue
		}
		if !held {
			h.log.Warn("spirit lease lost; another node answers", "session_id", r.id)
			lost()
			return
		}
	}
}

// pick takes the next question, as a line of askers would: an asker joins
// the back of the line when their question arrives with none of theirs
// waiting, or when one of theirs is taken and more wait; the line's first
// asker has their oldest question taken. Sequence numbers are the clock: a
// turn taken now comes after every question already stored, so it counts
// as half a number later.
func (r *room) pick() (seance.Message, bool) {
	r.qmu.Lock()
	defer r.qmu.Unlock()
	if len(r.asked) == 0 {
		return seance.Message{}, false
	}
	oldest := map[string]seance.Message{} // each asker's oldest question
	var last int64
	for _, q := range r.asked {
		if o, ok := oldest[q.m.UserID]; !ok || q.m.Seq < o.Seq {
			oldest[q.m.UserID] = q.m
		}
		last = max(last, q.m.Seq)
	}
	since := func(q seance.Message) int64 { return max(2*q.Seq, 2*r.servedAt[q.UserID]+1) }
	var best seance.Message
	for _, q := range oldest {
		if best.ID == "" || since(q) < since(best) || (since(q) == since(best) && q.Seq < best.Seq) {
			best = q
		}
	}
	r.servedAt[best.UserID] = last
	return best, true
}

// answer asks the spirit and stores and broadcasts its answer. False when
// the answer could not be stored: the hub is stopping or the lease was lost.
func (r *room) answer(ctx context.Context, q seance.Message) bool {
	h := r.hub
	persona := h.cfg.Persona(r.session.Spirit)
	r.publish(Event{Frame: wire.Encode(wire.EvSpiritThinking, wire.SpiritThinking{ReplyTo: q.ID, Spirit: persona.ID}, h.now()), Taking: q.ID, After: q.Seq})

	history := r.history(ctx, q.Seq)
	present := r.present(ctx)
	names := make([]string, len(present))
	for i, p := range present {
		names[i] = p.Name
	}
	ans, err := h.cfg.Spirit.Answer(ctx, seance.Question{
		SessionID: r.id, Persona: persona.ID, Message: q, Participants: names, History: history, At: h.now(),
	}, func(chunk string) {
		r.publish(Event{Frame: wire.Encode(wire.EvSpiritChunk, wire.SpiritChunk{ReplyTo: q.ID, Text: chunk}, h.now()), After: q.Seq})
	})
	if ctx.Err() != nil {
		return false
	}
	if err != nil || ans.Text == "" {
		h.log.Error("spirit failed to answer", "session_id", r.id, "err", err)
		ans.Text = "The veil is thick tonight... ask again."
	}
	a := seance.Message{
		ID: h.cfg.NewID(), SessionID: r.id, UserID: spiritUserID, UserName: persona.Name,
		Text: ans.Text, IsSpirit: true, ReplyTo: q.ID, Safety: ans.Safety,
	}
	a.LetterTimings = h.cfg.Timings(ans.Text, a.ID)
	for attempt := 0; ; attempt++ {
		r.pubMu.Lock()
		a.Timestamp = seance.Timestamp(h.now())
		sctx, cancel := context.WithTimeout(ctx, storeTimeout)
		err := h.cfg.Store.AppendMessage(sctx, &a)
		cancel()
		if err == nil {
			h.cfg.Metrics.Message(metrics.KindAnswer)
			r.publish(Event{Seq: a.Seq, Frame: wire.PersistedFrame(a, persona.ID), Msg: &a})
			r.pubMu.Unlock()
			return true
		}
		r.pubMu.Unlock()
		switch {
		case errors.Is(err, seance.ErrAnswered):
			// Another node answered it first and its answer stands. It may
			// not have reached this node (Redis down): read it.
			r.seq.catchUp()
			return true
		case seance.ErrorCode(err) == seance.ESessionNotFound, seance.ErrorCode(err) == seance.ESessionEnded:
			return true // the séance is gone or over: nobody is owed an answer
		}
		h.log.Error("store answer; retrying", "session_id", r.id, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(min(time.Duration(1<<min(attempt, 5))*100*time.Millisecond, 5*time.Second)):
		}
	}
}

// history is what the spirit is shown before the question of seq: from
// the room's memory, or, should it not reach back that far (a question
// answered long after it was asked), from the database.
func (r *room) history(ctx context.Context, seq int64) []seance.Message {
	r.qmu.Lock()
	ms, ok := r.memory.before(seq, historyForSpirit)
	r.qmu.Unlock()
	if ok {
		return ms
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	ms, err := r.hub.cfg.Store.Messages(ctx, r.id, max(0, seq-1-historyForSpirit), historyForSpirit)
	if err != nil {
		return nil // the spirit answers without memory rather than not at all
	}
	return trimAfter(ms, seq)
}

func trimAfter(ms []seance.Message, seq int64) []seance.Message {
	for i, m := range ms {
		if m.Seq >= seq {
			return ms[:i]
		}
	}
	return ms
}
