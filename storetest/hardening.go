package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance"
)

// OtherSpellings are the ways a UUID parser accepts to write the canonical
// id: each must name nothing.
func OtherSpellings(id string) []string {
	return []string{
		strings.ToUpper(id),
		strings.ReplaceAll(id, "-", ""),
		"{" + id + "}",
		"urn:uuid:" + id,
		oneUpper(id),
	}
}

// oneUpper writes the first letter of id in upper case: the least a
// hand-edited link changes.
func oneUpper(id string) string {
	i := strings.IndexAny(id, "abcdef")
	if i < 0 {
		return strings.ToUpper(id) + " "
	}
	return id[:i] + strings.ToUpper(id[i:i+1]) + id[i+1:]
}

func testOtherSpellingsNameNothing(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "room")
	p := newParticipant(sess, "user-1", "Ada", 0)
	mustAdd(t, s, p)
	for _, id := range OtherSpellings(sess.ID) {
		_, err := s.Session(ctx, id)
		wantCode(t, err, seance.ESessionNotFound)
		wantCode(t, s.AppendMessage(ctx, question(id, "who is there?")), seance.ESessionNotFound)
		_, err = s.EnsureParticipant(ctx, &seance.Participant{ID: p.ID + "x", SessionID: id, UserID: "u", Name: "n", JoinedAt: t0})
		if seance.ErrorCode(err) != seance.ESessionNotFound {
			t.Fatalf("EnsureParticipant in %q: %v, want SESSION_NOT_FOUND", id, err)
		}
		_, err = s.Participant(ctx, id, p.ID)
		wantCode(t, err, seance.EParticipantNotFound)
		if ms, err := s.Messages(ctx, id, 0, 10); err != nil || len(ms) != 0 {
			t.Fatalf("Messages of %q: %d, %v; want none", id, len(ms), err)
		}
		if _, err := s.EndSession(ctx, id, t0.Add(time.Hour)); seance.ErrorCode(err) != seance.ESessionNotFound {
			t.Fatalf("EndSession(%q): %v, want SESSION_NOT_FOUND", id, err)
		}
	}
	for _, pid := range OtherSpellings(p.ID) {
		_, err := s.Participant(ctx, sess.ID, pid)
		wantCode(t, err, seance.EParticipantNotFound)
	}
	got := mustGet(t, s, sess.ID)
	if !got.IsActive() || got.LastSeq != 0 {
		t.Fatalf("séance after calls by other spellings: active %v, last_seq %d; want untouched", got.IsActive(), got.LastSeq)
	}
}

// A question that arrives as the séance ends, and the answer to one asked
// before, are refused: an ended séance's history is final.
func testNoMessageWhenEnded(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "ending")
	q := question(sess.ID, "are you there?")
	if err := s.AppendMessage(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EndSession(ctx, sess.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.AppendMessage(ctx, question(sess.ID, "too late?")), seance.ESessionEnded)
	wantCode(t, s.AppendMessage(ctx, answer(q, "YES")), seance.ESessionEnded)
	ms, err := s.Messages(ctx, sess.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].ID != q.ID {
		t.Fatalf("history of the ended séance %+v, want only the question asked before the end", ms)
	}
	if got := mustGet(t, s, sess.ID).LastSeq; got != 1 {
		t.Fatalf("last_seq %d after refused messages, want 1", got)
	}
}
