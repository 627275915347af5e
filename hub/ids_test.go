package hub_test

import (
	"testing"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/storetest"
)

// The hub keys rooms, broker channels, presence and limits by the séance id
// it is given: any spelling but the canonical one is refused before a room,
// a subscription or a store call exists for it.
func TestRoomsOnlyForCanonicalIDs(t *testing.T) {
	store := newStore(t)
	b := newBroker()
	h := newHub(t, store, withBroker(b))
	s := newSession(t, store, 6)
	for _, id := range append(storetest.OtherSpellings(s.ID), "", "not-an-id") {
		_, err := connect(t, h, id, "u1", "Ada", newTransport(t, "Ada"), hub.Resume{})
		if seance.ErrorCode(err) != seance.ESessionNotFound {
			t.Errorf("join %q: %v, want SESSION_NOT_FOUND", id, err)
		}
		if n := b.subscriptions(id); n != 0 {
			t.Errorf("join %q left %d subscriptions", id, n)
		}
	}
	join(t, h, s.ID, "u1", "Ada")
	if n := b.subscriptions(s.ID); n != 1 {
		t.Fatalf("the séance itself: %d subscriptions, want 1", n)
	}
}

// A question on its way when the séance ends elsewhere is refused as
// SESSION_ENDED (the store takes no message for an ended séance), never
// stored, never an internal error.
func TestQuestionAfterTheEndIsRefused(t *testing.T) {
	store := newStore(t)
	h := newHub(t, store, noLimits)
	s := newSession(t, store, 6)
	c, tr := join(t, h, s.ID, "u1", "Ada")
	// Ended in the database only, as by another node whose session_ended
	// event has not arrived yet.
	if _, err := store.EndSession(t.Context(), s.ID, s.CreatedAt); err != nil {
		t.Fatal(err)
	}
	ask(c, "are you still there?")
	frames := tr.waitFor("the refusal", func(fs []event, _ int) bool { return len(named(fs, "error")) > 0 })
	if got := named(frames, "error")[0].str(t, "code"); got != seance.ESessionEnded {
		t.Fatalf("error %s, want SESSION_ENDED", got)
	}
	ms, err := store.Messages(t.Context(), s.ID, 0, 10)
	if err != nil || len(ms) != 0 {
		t.Fatalf("stored after the end: %d messages, %v", len(ms), err)
	}
}
