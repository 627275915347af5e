// Package storetest is the behaviour every seance.Store must have. Each
// implementation's tests call Run with a function that opens a fresh, empty,
// migrated store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
)

// Open returns a fresh, empty, migrated store; it closes it with t.Cleanup.
type Open func(t *testing.T) seance.Store

// Run runs the whole suite against the stores open makes.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s seance.Store)
	}{
		{"SessionRoundTrip", testSessionRoundTrip},
		{"SessionNamesByteExact", testSessionNamesByteExact},
		{"SessionNotFound", testSessionNotFound},
		{"DuplicateSessionID", testDuplicateSessionID},
		{"EndSession", testEndSession},
		{"Participants", testParticipants},
		{"AddRemovedParticipant", testAddRemovedParticipant},
		{"ParticipantByID", testParticipantByID},
		{"EnsureParticipant", testEnsureParticipant},
		{"EnsureParticipantConcurrent", testEnsureParticipantConcurrent},
		{"EnsureParticipantRefused", testEnsureParticipantRefused},
		{"OtherSpellingsNameNothing", testOtherSpellingsNameNothing},
		{"NoMessageWhenEnded", testNoMessageWhenEnded},
		{"RemoveParticipant", testRemoveParticipant},
		{"RemoveParticipantIDWins", testRemoveParticipantIDWins},
		{"AppendAssignsSequence", testAppendAssignsSequence},
		{"AppendConcurrent", testAppendConcurrent},
		{"SpiritMessageRoundTrip", testSpiritMessageRoundTrip},
		{"LetterTimingsNilAndEmpty", testLetterTimingsNilAndEmpty},
		{"AnswerSafetyRoundTrip", testAnswerSafetyRoundTrip},
		{"PendingQuestions", testPendingQuestions},
		{"OneAnswerPerQuestion", testOneAnswerPerQuestion},
		{"MessagesPaging", testMessagesPaging},
		{"EnsureState", testEnsureState},
		{"EndIdleSessions", testEndIdleSessions},
		{"EndIdleSessionsInBatches", testEndIdleSessionsInBatches},
		{"DeleteEndedBefore", testDeleteEndedBefore},
		{"TryLock", testTryLock},
		{"Ping", testPing},
		{"PingWrite", testPingWrite},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

var t0 = seance.Timestamp(time.Date(2026, 10, 31, 23, 59, 58, 123456789, time.UTC))

// MustCreate stores a new active séance named name and returns it.
func MustCreate(tb testing.TB, s seance.Store, name string) *seance.Session {
	tb.Helper()
	sess := &seance.Session{
		ID:        uuid.NewString(),
		Name:      name,
		MaxUsers:  6,
		Spirit:    "ghost-in-the-machine",
		CreatedAt: t0,
	}
	if err := s.CreateSession(context.Background(), sess); err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
	return sess
}

func mustGet(tb testing.TB, s seance.Store, id string) *seance.Session {
	tb.Helper()
	got, err := s.Session(context.Background(), id)
	if err != nil {
		tb.Fatalf("Session(%s): %v", id, err)
	}
	return got
}

func wantCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if err == nil {
		tb.Fatalf("got no error, want %s", code)
	}
	if got := seance.ErrorCode(err); got != code {
		tb.Fatalf("got error %v (code %s), want code %s", err, got, code)
	}
}

func testSessionRoundTrip(t *testing.T, s seance.Store) {
	want := MustCreate(t, s, "Midnight circle")
	got := mustGet(t, s, want.ID)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %+v, want %+v", got, want)
	}
	if !got.IsActive() {
		t.Fatal("new séance is not active")
	}
}

func testSessionNamesByteExact(t *testing.T, s seance.Store) {
	names := []string{
		"👻 Ghosts & 🕯️ candles",
		"جلسة الأرواح",
		`He said "boo" and 'left'`,
		"'); DROP TABLE sessions; --",
		"Robert`); DELETE FROM messages WHERE 1=1; --",
		"back\\slash %_ wildcards",
		"日本語のセッション",
	}
	for _, name := range names {
		created := MustCreate(t, s, name)
		if got := mustGet(t, s, created.ID).Name; got != name {
			t.Errorf("name %q read back as %q", name, got)
		}
	}
}

func testSessionNotFound(t *testing.T, s seance.Store) {
	ctx := context.Background()
	for _, id := range []string{uuid.NewString(), "not-a-uuid", "", "'; SELECT 1; --", "00000000-0000-0000-0000-00000000000g"} {
		_, err := s.Session(ctx, id)
		wantCode(t, err, seance.ESessionNotFound)
		_, err = s.EndSession(ctx, id, t0)
		wantCode(t, err, seance.ESessionNotFound)
		err = s.AppendMessage(ctx, &seance.Message{ID: uuid.NewString(), SessionID: id, UserID: "u", UserName: "n", Text: "x", Timestamp: t0})
		wantCode(t, err, seance.ESessionNotFound)
		err = s.AddParticipant(ctx, &seance.Participant{ID: uuid.NewString(), SessionID: id, UserID: "u", Name: "n", JoinedAt: t0})
		wantCode(t, err, seance.ESessionNotFound)
	}
}

func testDuplicateSessionID(t *testing.T, s seance.Store) {
	first := MustCreate(t, s, "first")
	dup := *first
	dup.Name = "second"
	if err := s.CreateSession(context.Background(), &dup); err == nil {
		t.Fatal("a second séance with the same id was accepted")
	}
	if got := mustGet(t, s, first.ID).Name; got != "first" {
		t.Fatalf("the first séance was overwritten: name %q", got)
	}
}

func testEndSession(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "ending")
	end := t0.Add(time.Hour)
	got, err := s.EndSession(ctx, sess.ID, end)
	if err != nil {
		t.Fatal(err)
	}
	if got.IsActive() || !got.EndedAt.Equal(end) {
		t.Fatalf("after EndSession: ended_at %v, want %v", got.EndedAt, end)
	}
	again, err := s.EndSession(ctx, sess.ID, end.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !again.EndedAt.Equal(end) {
		t.Fatalf("ending twice moved ended_at to %v", again.EndedAt)
	}
	if read := mustGet(t, s, sess.ID); read.IsActive() {
		t.Fatal("ended séance reads back as active")
	}
}

func testParticipants(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "room")
	var want []seance.Participant
	for i, name := range []string{"Ada", "Бо", "🦉"} {
		p := seance.Participant{
			ID:        uuid.NewString(),
			SessionID: sess.ID,
			UserID:    fmt.Sprintf("user-%d", i),
			Name:      name,
			JoinedAt:  t0.Add(time.Duration(i) * time.Second),
		}
		if err := s.AddParticipant(ctx, &p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
	}
	got, err := s.Participants(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("participants %+v, want %+v", got, want)
	}
	if n := mustGet(t, s, sess.ID).ParticipantCount; n != 3 {
		t.Fatalf("participant_count %d, want 3", n)
	}
	if _, err := s.EndSession(ctx, sess.ID, t0); err != nil {
		t.Fatal(err)
	}
	err = s.AddParticipant(ctx, &seance.Participant{ID: uuid.NewString(), SessionID: sess.ID, UserID: "late", Name: "Late", JoinedAt: t0})
	wantCode(t, err, seance.ESessionEnded)
}

// newParticipant is a participant joining sess at t0 plus i seconds.
func newParticipant(sess *seance.Session, userID, name string, i int) *seance.Participant {
	return &seance.Participant{
		ID:        uuid.NewString(),
		SessionID: sess.ID,
		UserID:    userID,
		Name:      name,
		JoinedAt:  t0.Add(time.Duration(i) * time.Second),
	}
}

func mustAdd(tb testing.TB, s seance.Store, p *seance.Participant) {
	tb.Helper()
	if err := s.AddParticipant(context.Background(), p); err != nil {
		tb.Fatalf("AddParticipant(%s): %v", p.UserID, err)
	}
}

func mustParticipant(tb testing.TB, s seance.Store, sessionID, id string) *seance.Participant {
	tb.Helper()
	p, err := s.Participant(context.Background(), sessionID, id)
	if err != nil {
		tb.Fatalf("Participant(%s): %v", id, err)
	}
	return p
}

// wantListed checks Participants and ParticipantCount against want.
func wantListed(tb testing.TB, s seance.Store, sessionID string, want ...seance.Participant) {
	tb.Helper()
	got, err := s.Participants(context.Background(), sessionID)
	if err != nil {
		tb.Fatalf("Participants: %v", err)
	}
	if len(got) != 0 || len(want) != 0 {
		if !reflect.DeepEqual(got, want) {
			tb.Fatalf("participants\n got %+v\nwant %+v", got, want)
		}
	}
	if n := mustGet(tb, s, sessionID).ParticipantCount; n != len(want) {
		tb.Fatalf("participant_count %d, want %d", n, len(want))
	}
}

// A participant stored already removed (an import, a restore) is kept, but
// neither listed nor counted.
func testAddRemovedParticipant(t *testing.T, s seance.Store) {
	sess := MustCreate(t, s, "room")
	at := t0.Add(time.Minute)
	removed := newParticipant(sess, "b", "B", 0)
	removed.RemovedAt = &at
	present := newParticipant(sess, "a", "A", 1)
	mustAdd(t, s, removed)
	mustAdd(t, s, present)
	wantListed(t, s, sess.ID, *present)
	if got := mustParticipant(t, s, sess.ID, removed.ID); !reflect.DeepEqual(got, removed) {
		t.Fatalf("removed participant read back as %+v, want %+v", got, removed)
	}
}

func testParticipantByID(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "room")
	other := MustCreate(t, s, "elsewhere")
	p := newParticipant(sess, "user-1", "Ada", 0)
	mustAdd(t, s, p)
	if got := mustParticipant(t, s, sess.ID, p.ID); !reflect.DeepEqual(got, p) {
		t.Fatalf("Participant = %+v, want %+v", got, p)
	}
	if _, err := s.RemoveParticipant(ctx, sess.ID, p.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := mustParticipant(t, s, sess.ID, p.ID); got.RemovedAt == nil {
		t.Fatalf("removed participant read back without RemovedAt: %+v", got)
	}

	for _, tc := range []struct{ session, id string }{
		{sess.ID, uuid.NewString()},
		{other.ID, p.ID}, // a participant belongs to one séance only
		{uuid.NewString(), p.ID},
		{sess.ID, "user-1"}, // a user_id is not a participant id
		{sess.ID, "not-a-uuid"},
		{sess.ID, ""},
		{sess.ID, "'; DROP TABLE participants; --"},
		{"not-a-uuid", p.ID},
		{"", ""},
	} {
		_, err := s.Participant(ctx, tc.session, tc.id)
		wantCode(t, err, seance.EParticipantNotFound)
		if got := seance.ErrorDetails(err)["participant_id"]; got != tc.id {
			t.Errorf("Participant(%q, %q): details name %v, want the participant id", tc.session, tc.id, got)
		}
	}
}

func testEnsureParticipant(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "room")
	first := newParticipant(sess, "user-1", "Ada", 0)
	got, err := s.EnsureParticipant(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, first) {
		t.Fatalf("new participant %+v, want %+v", got, first)
	}

	// A user id is public: whoever presents it again gets the participant
	// as stored, and cannot rename it.
	rejoin := newParticipant(sess, "user-1", "Mallory", 5)
	got, err = s.EnsureParticipant(ctx, rejoin)
	if err != nil {
		t.Fatal(err)
	}
	want := *first
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("rejoining participant %+v, want the first one unchanged %+v", got, &want)
	}
	if got := mustParticipant(t, s, sess.ID, first.ID); !reflect.DeepEqual(got, &want) {
		t.Fatalf("stored participant %+v, want %+v", got, &want)
	}
	if _, err := s.Participant(ctx, sess.ID, rejoin.ID); seance.ErrorCode(err) != seance.EParticipantNotFound {
		t.Fatalf("the id of the rejoin was stored too: %v", err)
	}

	// The same user_id in another séance is another participant.
	elsewhere := MustCreate(t, s, "elsewhere")
	there := newParticipant(elsewhere, "user-1", "Ada", 0)
	got, err = s.EnsureParticipant(ctx, there)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != there.ID {
		t.Fatalf("user-1 in another séance got participant %s, want a new one %s", got.ID, there.ID)
	}
	wantListed(t, s, sess.ID, want)
	wantListed(t, s, elsewhere.ID, *there)
}

// Reconnects race (two tabs, a retry, two nodes): they must all end up as
// the one participant.
func testEnsureParticipantConcurrent(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "room")
	const workers = 16
	tries := make([]*seance.Participant, workers)
	got := make([]*seance.Participant, workers)
	var wg sync.WaitGroup
	for i := range workers {
		tries[i] = newParticipant(sess, "same-user", fmt.Sprintf("Name %d", i), i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := s.EnsureParticipant(ctx, tries[i])
			if err != nil {
				t.Errorf("EnsureParticipant: %v", err)
				return
			}
			got[i] = p
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	winner := -1
	for i, try := range tries {
		if try.ID == got[0].ID {
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("participant %s is none of the ids asked for", got[0].ID)
	}
	for i, p := range got {
		if p.ID != got[0].ID || p.UserID != "same-user" || !p.JoinedAt.Equal(tries[winner].JoinedAt) {
			t.Fatalf("call %d got %+v; call 0 got %+v", i, p, got[0])
		}
	}
	listed, err := s.Participants(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 1 || listed[0].ID != got[0].ID {
		t.Fatalf("participants %+v, want only %s", listed, got[0].ID)
	}
	if n := mustGet(t, s, sess.ID).ParticipantCount; n != 1 {
		t.Fatalf("participant_count %d, want 1", n)
	}
}

func testEnsureParticipantRefused(t *testing.T, s seance.Store) {
	ctx := context.Background()
	for _, id := range []string{uuid.NewString(), "not-a-uuid", "", "'; SELECT 1; --"} {
		_, err := s.EnsureParticipant(ctx, &seance.Participant{ID: uuid.NewString(), SessionID: id, UserID: "u", Name: "n", JoinedAt: t0})
		wantCode(t, err, seance.ESessionNotFound)
	}

	sess := MustCreate(t, s, "ended")
	known := newParticipant(sess, "known", "Known", 0)
	mustAdd(t, s, known)
	if _, err := s.EndSession(ctx, sess.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	_, err := s.EnsureParticipant(ctx, newParticipant(sess, "late", "Late", 1))
	wantCode(t, err, seance.ESessionEnded)
	_, err = s.EnsureParticipant(ctx, newParticipant(sess, "known", "Renamed", 1))
	wantCode(t, err, seance.ESessionEnded)
	wantListed(t, s, sess.ID, *known)
}

func testRemoveParticipant(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "room")
	byID := newParticipant(sess, "user-a", "A", 0)
	byUser := newParticipant(sess, "user-b", "B", 1)
	// A client may well pick a UUID for its user_id.
	byUUIDUser := newParticipant(sess, uuid.NewString(), "C", 2)
	stays := newParticipant(sess, "user-d", "D", 3)
	for _, p := range []*seance.Participant{byID, byUser, byUUIDUser, stays} {
		mustAdd(t, s, p)
	}

	first := t0.Add(time.Minute)
	for _, tc := range []struct {
		key string
		p   *seance.Participant
	}{
		{byID.ID, byID},
		{byUser.UserID, byUser},
		{byUUIDUser.UserID, byUUIDUser},
	} {
		got, err := s.RemoveParticipant(ctx, sess.ID, tc.key, first)
		if err != nil {
			t.Fatalf("RemoveParticipant(%q): %v", tc.key, err)
		}
		want := *tc.p
		want.RemovedAt = &first
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("RemoveParticipant(%q) = %+v, want %+v", tc.key, got, &want)
		}
		// Twice, and by the other key: the first removal time stays.
		again, err := s.RemoveParticipant(ctx, sess.ID, tc.p.UserID, first.Add(time.Hour))
		if err != nil {
			t.Fatalf("removing %q again: %v", tc.key, err)
		}
		if !reflect.DeepEqual(again, &want) {
			t.Fatalf("removing %q again = %+v, want the first removal %+v", tc.key, again, &want)
		}
		if got := mustParticipant(t, s, sess.ID, tc.p.ID); !reflect.DeepEqual(got, &want) {
			t.Fatalf("stored after removal %+v, want %+v", got, &want)
		}
	}
	wantListed(t, s, sess.ID, *stays)

	// Joining again must not undo the removal: the caller sees RemovedAt
	// and refuses.
	got, err := s.EnsureParticipant(ctx, newParticipant(sess, byUser.UserID, "B again", 9))
	if err != nil {
		t.Fatal(err)
	}
	want := *byUser
	want.RemovedAt = &first
	if !reflect.DeepEqual(got, &want) {
		t.Fatalf("EnsureParticipant of a removed user = %+v, want it as removed %+v", got, &want)
	}
	wantListed(t, s, sess.ID, *stays)

	other := MustCreate(t, s, "elsewhere")
	for _, tc := range []struct{ session, key string }{
		{sess.ID, uuid.NewString()},
		{sess.ID, "nobody"},
		{sess.ID, ""},
		{sess.ID, "'; DROP TABLE participants; --"},
		{other.ID, stays.ID}, // a participant belongs to one séance only
		{other.ID, stays.UserID},
		{uuid.NewString(), stays.ID},
		{"not-a-uuid", stays.UserID},
	} {
		_, err := s.RemoveParticipant(ctx, tc.session, tc.key, first)
		wantCode(t, err, seance.EParticipantNotFound)
		if got := seance.ErrorDetails(err)["participant_id"]; got != tc.key {
			t.Errorf("RemoveParticipant(%q, %q): details name %v, want the key", tc.session, tc.key, got)
		}
	}
	wantListed(t, s, sess.ID, *stays)
}

// user_id is the client's choice and may spell another participant's id;
// the key then names that participant, whose id is unambiguous.
func testRemoveParticipantIDWins(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "room")
	target := newParticipant(sess, "target", "Target", 1)
	impostor := newParticipant(sess, target.ID, "Impostor", 0)
	mustAdd(t, s, impostor)
	mustAdd(t, s, target)
	got, err := s.RemoveParticipant(ctx, sess.ID, target.ID, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != target.ID {
		t.Fatalf("removed %+v, want the participant whose id is the key", got)
	}
	wantListed(t, s, sess.ID, *impostor)
}

func question(sessionID, text string) *seance.Message {
	return &seance.Message{
		ID:        uuid.NewString(),
		SessionID: sessionID,
		UserID:    "user-1",
		UserName:  "Ada",
		Text:      text,
		Timestamp: t0,
	}
}

func testAppendAssignsSequence(t *testing.T, s seance.Store) {
	ctx := context.Background()
	a := MustCreate(t, s, "a")
	b := MustCreate(t, s, "b")
	for i := 1; i <= 3; i++ {
		m := question(a.ID, fmt.Sprintf("a%d", i))
		if err := s.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m.Seq != int64(i) {
			t.Fatalf("message %d of séance a got seq %d", i, m.Seq)
		}
	}
	m := question(b.ID, "b1")
	if err := s.AppendMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	if m.Seq != 1 {
		t.Fatalf("first message of séance b got seq %d, want 1 (sequences are per séance)", m.Seq)
	}
	if got := mustGet(t, s, a.ID).LastSeq; got != 3 {
		t.Fatalf("séance a last_seq %d, want 3", got)
	}
}

func testAppendConcurrent(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "busy")
	const writers, each = 20, 10
	var (
		mu   sync.Mutex
		seqs []int64
		wg   sync.WaitGroup
	)
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m := question(sess.ID, fmt.Sprintf("w%d-%d", w, i))
				if err := s.AppendMessage(ctx, m); err != nil {
					errs <- err
					continue
				}
				mu.Lock()
				seqs = append(seqs, m.Seq)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent append: %v", err)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("sequence numbers are not 1..%d without gaps or repeats: position %d has %d", writers*each, i, seq)
		}
	}
	stored, err := s.Messages(ctx, sess.ID, 0, writers*each+10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != writers*each {
		t.Fatalf("%d messages stored, want %d", len(stored), writers*each)
	}
}

func testSpiritMessageRoundTrip(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "spirited")
	q := question(sess.ID, "Is anyone there? 'quoted' \"double\" 👻")
	if err := s.AppendMessage(ctx, q); err != nil {
		t.Fatal(err)
	}
	a := &seance.Message{
		ID:            uuid.NewString(),
		SessionID:     sess.ID,
		UserID:        "spirit",
		UserName:      "The Ghost in the Machine",
		Text:          "YES",
		IsSpirit:      true,
		Timestamp:     t0.Add(time.Second),
		ReplyTo:       q.ID,
		LetterTimings: []int{300, 150, 120},
	}
	if err := s.AppendMessage(ctx, a); err != nil {
		t.Fatal(err)
	}
	got, err := s.Messages(ctx, sess.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []seance.Message{*q, *a}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages\n got %+v\nwant %+v", got, want)
	}
}

// nil timings (none recorded) and empty ones (an answer without letters) are
// different values to the caller, and come back as they were written.
func testLetterTimingsNilAndEmpty(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "timings")
	var want []seance.Message
	for _, timings := range [][]int{nil, {}, {1, 2}} {
		m := seance.Message{
			ID: uuid.NewString(), SessionID: sess.ID, UserID: "spirit", UserName: "Spirit",
			Text: "NO", IsSpirit: true, Timestamp: t0, LetterTimings: timings,
		}
		if err := s.AppendMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
		want = append(want, m)
	}
	got, err := s.Messages(ctx, sess.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages\n got %#v\nwant %#v", got, want)
	}
}

// An answer keeps what the guard found in its question, help included, as
// it was shown then: none, a category without help, help without a link,
// and help with one.
func testAnswerSafetyRoundTrip(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "guarded")
	var want []seance.Message
	for _, safety := range []*seance.Safety{
		nil,
		{Category: seance.CategoryMedical},
		{Category: seance.CategoryEmergency, Help: &seance.Help{Text: "Call 112 now. 'Quoted' \"text\" 🚑"}},
		{Category: seance.CategorySelfHarm, Help: &seance.Help{Text: "You matter.", URL: "https://findahelpline.com"}},
	} {
		q := question(sess.ID, "a question")
		if err := s.AppendMessage(ctx, q); err != nil {
			t.Fatal(err)
		}
		a := answer(q, "The veil forbids it.")
		a.Safety = safety
		if err := s.AppendMessage(ctx, a); err != nil {
			t.Fatal(err)
		}
		want = append(want, *q, *a)
	}
	got, err := s.Messages(ctx, sess.ID, 0, 20)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("messages\n got %+v\nwant %+v", got, want)
	}
}

func answer(q *seance.Message, text string) *seance.Message {
	return &seance.Message{
		ID:            uuid.NewString(),
		SessionID:     q.SessionID,
		UserID:        "spirit",
		UserName:      "The Ghost in the Machine",
		Text:          text,
		IsSpirit:      true,
		Timestamp:     q.Timestamp.Add(time.Second),
		ReplyTo:       q.ID,
		LetterTimings: []int{200, 100},
	}
}

func testPendingQuestions(t *testing.T, s seance.Store) {
	ctx := context.Background()
	a := MustCreate(t, s, "a")
	b := MustCreate(t, s, "b")
	q1 := question(a.ID, "Is anyone there?")
	greeting := &seance.Message{
		ID: uuid.NewString(), SessionID: a.ID, UserID: "spirit", UserName: "Spirit",
		Text: "WELCOME", IsSpirit: true, Timestamp: t0,
	}
	q2 := question(a.ID, "Who are you?")
	q3 := question(a.ID, "Will it rain?")
	// Not from the spirit, so it answers nothing and is itself owed an answer.
	echo := question(a.ID, "Who indeed?")
	echo.ReplyTo = q2.ID
	qb1 := question(b.ID, "Hello?")
	qb2 := question(b.ID, "Anyone?")
	for _, m := range []*seance.Message{
		q1, greeting, q2, qb1, answer(q1, "YES"), q3, qb2, answer(qb2, "NO"), echo, answer(q3, "MAYBE"),
	} {
		if err := s.AppendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range []struct {
		session string
		want    []seance.Message
	}{
		{a.ID, []seance.Message{*q2, *echo}},
		{b.ID, []seance.Message{*qb1}},
		{uuid.NewString(), nil},
		{"not-a-uuid", nil},
		{"", nil},
	} {
		got, err := s.PendingQuestions(ctx, tc.session)
		if err != nil {
			t.Fatalf("PendingQuestions(%q): %v", tc.session, err)
		}
		if len(got) != 0 || len(tc.want) != 0 {
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("PendingQuestions(%q)\n got %+v\nwant %+v", tc.session, got, tc.want)
			}
		}
	}
}

// Two nodes may answer one question (the first lost its lease mid-answer):
// the store keeps one answer, refuses the others with ErrAnswered without
// spending a sequence number, even when they race.
func testOneAnswerPerQuestion(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "answered once")
	q := question(sess.ID, "Who answers?")
	if err := s.AppendMessage(ctx, q); err != nil {
		t.Fatal(err)
	}
	const racers = 8
	errs := make(chan error, racers)
	for range racers {
		go func() { errs <- s.AppendMessage(ctx, answer(q, "ONE")) }()
	}
	stored := 0
	for range racers {
		switch err := <-errs; {
		case err == nil:
			stored++
		case !errors.Is(err, seance.ErrAnswered):
			t.Fatalf("second answer: %v, want ErrAnswered", err)
		}
	}
	if stored != 1 {
		t.Fatalf("%d answers stored, want 1", stored)
	}
	next := question(sess.ID, "And now?")
	if err := s.AppendMessage(ctx, next); err != nil {
		t.Fatal(err)
	}
	if next.Seq != 3 {
		t.Fatalf("next message has seq %d, want 3: a refused answer spent a number", next.Seq)
	}
	// Another question's answer is not refused.
	if err := s.AppendMessage(ctx, answer(next, "TWO")); err != nil {
		t.Fatal(err)
	}
}

func testMessagesPaging(t *testing.T, s seance.Store) {
	ctx := context.Background()
	sess := MustCreate(t, s, "paged")
	for i := 1; i <= 7; i++ {
		if err := s.AppendMessage(ctx, question(sess.ID, fmt.Sprintf("q%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		after int64
		limit int
		want  []int64
	}{
		{0, 3, []int64{1, 2, 3}},
		{3, 3, []int64{4, 5, 6}},
		{6, 3, []int64{7}},
		{7, 3, nil},
		{0, 100, []int64{1, 2, 3, 4, 5, 6, 7}},
	}
	for _, tt := range tests {
		got, err := s.Messages(ctx, sess.ID, tt.after, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, m := range got {
			seqs = append(seqs, m.Seq)
			if m.Text != fmt.Sprintf("q%d", m.Seq) {
				t.Fatalf("seq %d carries %q", m.Seq, m.Text)
			}
		}
		if !reflect.DeepEqual(seqs, tt.want) {
			t.Errorf("after %d limit %d: seqs %v, want %v", tt.after, tt.limit, seqs, tt.want)
		}
	}
	empty, err := s.Messages(ctx, uuid.NewString(), 0, 10)
	if err != nil || len(empty) != 0 {
		t.Fatalf("messages of an unknown séance: %v, %v", empty, err)
	}
}

func testEnsureState(t *testing.T, s seance.Store) {
	ctx := context.Background()
	const workers = 16
	got := make([]string, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := s.EnsureState(ctx, "jwt_secret", fmt.Sprintf("candidate-%d", i))
			if err != nil {
				t.Errorf("EnsureState: %v", err)
			}
			got[i] = v
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[0] || got[i] == "" {
			t.Fatalf("concurrent EnsureState disagreed: %q", got)
		}
	}
	v, err := s.EnsureState(ctx, "jwt_secret", "later")
	if err != nil || v != got[0] {
		t.Fatalf("EnsureState later = %q, %v; want the first value %q", v, err, got[0])
	}
}

func testPing(t *testing.T, s seance.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Fatalf("Ping of a healthy store: %v", err)
	}
}

func testPingWrite(t *testing.T, s seance.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Twice: the second rewrites the row the first wrote.
	for i := range 2 {
		if err := s.PingWrite(ctx); err != nil {
			t.Fatalf("PingWrite %d of a healthy store: %v", i+1, err)
		}
	}
	// The row is the check's own: a key others use is left alone.
	v, err := s.EnsureState(ctx, "jwt_secret", "kept")
	if err != nil || v != "kept" {
		t.Fatalf("EnsureState after PingWrite = %q, %v; want \"kept\"", v, err)
	}
}
