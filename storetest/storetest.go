// Package storetest is the behaviour every seance.Store must have. Each
// implementation's tests call Run with a function that opens a fresh, empty,
// migrated store.
package storetest

import (
	"context"
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
		{"AppendAssignsSequence", testAppendAssignsSequence},
		{"AppendConcurrent", testAppendConcurrent},
		{"SpiritMessageRoundTrip", testSpiritMessageRoundTrip},
		{"MessagesPaging", testMessagesPaging},
		{"EnsureState", testEnsureState},
		{"Ping", testPing},
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
