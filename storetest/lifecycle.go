package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
)

// createdAt stores a new active séance created at the given time.
func createdAt(tb testing.TB, s seance.Store, name string, at time.Time) *seance.Session {
	tb.Helper()
	sess := &seance.Session{ID: uuid.NewString(), Name: name, MaxUsers: 6, Spirit: "ghost-in-the-machine", CreatedAt: seance.Timestamp(at)}
	if err := s.CreateSession(context.Background(), sess); err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
	return sess
}

func askAt(tb testing.TB, s seance.Store, sess *seance.Session, at time.Time) {
	tb.Helper()
	m := question(sess.ID, "anyone there?")
	m.Timestamp = seance.Timestamp(at)
	if err := s.AppendMessage(context.Background(), m); err != nil {
		tb.Fatalf("AppendMessage: %v", err)
	}
}

func endIdle(tb testing.TB, s seance.Store, idleBefore, at time.Time, limit int) []string {
	tb.Helper()
	ids, err := s.EndIdleSessions(context.Background(), idleBefore, at, limit)
	if err != nil {
		tb.Fatalf("EndIdleSessions: %v", err)
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// Activity is a séance's creation, a join (either way of joining) or a
// message, at the time each carries; a séance is idle from its latest.
func testEndIdleSessions(t *testing.T, s seance.Store) {
	ctx := context.Background()
	h := time.Hour
	silent := createdAt(t, s, "silent since creation", t0)
	asked := createdAt(t, s, "asked at +1h", t0)
	askAt(t, s, asked, t0.Add(h))
	joined := createdAt(t, s, "joined at +3h", t0)
	mustAdd(t, s, &seance.Participant{ID: uuid.NewString(), SessionID: joined.ID, UserID: "u", Name: "Ada", JoinedAt: t0.Add(3 * h)})
	rejoined := createdAt(t, s, "identified at +3h", t0)
	if _, err := s.EnsureParticipant(ctx, &seance.Participant{ID: uuid.NewString(), SessionID: rejoined.ID, UserID: "u", Name: "Bo", JoinedAt: t0.Add(3 * h)}); err != nil {
		t.Fatal(err)
	}
	// A message stamped before the latest activity does not move it back.
	askAt(t, s, joined, t0.Add(h))
	ended := createdAt(t, s, "ended at +30m", t0)
	endedAt := t0.Add(30 * time.Minute)
	if _, err := s.EndSession(ctx, ended.ID, endedAt); err != nil {
		t.Fatal(err)
	}
	young := createdAt(t, s, "created at +4h", t0.Add(4*h))

	now := t0.Add(2 * h)
	if got, want := endIdle(t, s, now, now, 100), sorted(silent.ID, asked.ID); !slices.Equal(got, want) {
		t.Fatalf("idle before +2h: ended %v, want %v (silent, asked)", got, want)
	}
	for _, id := range []string{silent.ID, asked.ID} {
		if got := mustGet(t, s, id); got.IsActive() || !got.EndedAt.Equal(now) {
			t.Fatalf("séance %s after EndIdleSessions: ended_at %v, want %v", got.Name, got.EndedAt, now)
		}
	}
	for _, sess := range []*seance.Session{joined, rejoined, young} {
		if !mustGet(t, s, sess.ID).IsActive() {
			t.Fatalf("%q was ended, but it was active after the cut-off", sess.Name)
		}
	}
	if got := mustGet(t, s, ended.ID); !got.EndedAt.Equal(endedAt) {
		t.Fatalf("an ended séance's end moved to %v", got.EndedAt)
	}
	if got := endIdle(t, s, now, now, 100); len(got) != 0 {
		t.Fatalf("a second pass ended %v again", got)
	}

	later := t0.Add(10 * h)
	if got, want := endIdle(t, s, later, later, 100), sorted(joined.ID, rejoined.ID, young.ID); !slices.Equal(got, want) {
		t.Fatalf("idle before +10h: ended %v, want %v", got, want)
	}
}

// The longest idle go first, limit at a time.
func testEndIdleSessionsInBatches(t *testing.T, s seance.Store) {
	var want []string
	for i := range 5 {
		want = append(want, createdAt(t, s, "idle", t0.Add(time.Duration(i)*time.Minute)).ID)
	}
	cut := t0.Add(time.Hour)
	for batch := 0; batch < 3; batch++ {
		got := endIdle(t, s, cut, cut, 2)
		lo, hi := 2*batch, min(2*batch+2, len(want))
		if !slices.Equal(got, sorted(slices.Clone(want[lo:hi])...)) {
			t.Fatalf("batch %d: ended %v, want %v", batch, got, want[lo:hi])
		}
	}
	if got := endIdle(t, s, cut, cut, 2); len(got) != 0 {
		t.Fatalf("after every batch: ended %v", got)
	}
}

func testDeleteEndedBefore(t *testing.T, s seance.Store) {
	ctx := context.Background()
	h := time.Hour
	endAt := func(name string, at time.Time) *seance.Session {
		t.Helper()
		sess := createdAt(t, s, name, t0)
		mustAdd(t, s, &seance.Participant{ID: uuid.NewString(), SessionID: sess.ID, UserID: "u", Name: "Ada", JoinedAt: t0})
		askAt(t, s, sess, t0)
		if _, err := s.EndSession(ctx, sess.ID, at); err != nil {
			t.Fatal(err)
		}
		return sess
	}
	old := endAt("ended at +1h", t0.Add(h))
	recent := endAt("ended at +3h", t0.Add(3*h))
	active := createdAt(t, s, "active, created long ago", t0.Add(-100*h))
	askAt(t, s, active, t0)

	n, err := s.DeleteEndedBefore(ctx, t0.Add(2*h), 100)
	if err != nil || n != 1 {
		t.Fatalf("DeleteEndedBefore(+2h) = %d, %v; want 1", n, err)
	}
	_, err = s.Session(ctx, old.ID)
	wantCode(t, err, seance.ESessionNotFound)
	if ms, err := s.Messages(ctx, old.ID, 0, 10); err != nil || len(ms) != 0 {
		t.Fatalf("messages of a deleted séance: %v, %v", ms, err)
	}
	if ps, err := s.Participants(ctx, old.ID); err != nil || len(ps) != 0 {
		t.Fatalf("participants of a deleted séance: %v, %v", ps, err)
	}
	for _, sess := range []*seance.Session{recent, active} {
		if ms, err := s.Messages(ctx, sess.ID, 0, 10); err != nil || len(ms) != 1 {
			t.Fatalf("messages of %q, which must stay: %v, %v", sess.Name, ms, err)
		}
	}

	// Deleting by batches of one: the older end first, never the active one.
	for i, want := range []int{1, 0} {
		n, err := s.DeleteEndedBefore(ctx, t0.Add(1000*h), 1)
		if err != nil || n != want {
			t.Fatalf("batch %d: deleted %d, %v; want %d", i, n, err, want)
		}
	}
	_, err = s.Session(ctx, recent.ID)
	wantCode(t, err, seance.ESessionNotFound)
	if !mustGet(t, s, active.ID).IsActive() {
		t.Fatal("the active séance changed")
	}
}

func testTryLock(t *testing.T, s seance.Store) {
	ctx := context.Background()
	take := func(name string, want bool) func() {
		t.Helper()
		unlock, ok, err := s.TryLock(ctx, name)
		if err != nil {
			t.Fatalf("TryLock(%s): %v", name, err)
		}
		if ok != want {
			t.Fatalf("TryLock(%s) = %v, want %v", name, ok, want)
		}
		if ok {
			t.Cleanup(unlock)
		}
		return unlock
	}
	unlockJobs := take("jobs", true)
	take("jobs", false)
	take("other", true)
	unlockJobs()
	unlockJobs() // a second unlock does nothing, in particular not release someone else's
	again := take("jobs", true)
	take("jobs", false)
	again()
}
