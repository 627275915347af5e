package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"

	"github.com/seancehq/seance"
)

// TestOrigClientSequence is the exchange the [orig] frontend relies on,
// frame by frame.
func TestOrigClientSequence(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		s := ts.create(t, `{"name":"orig","max_users":4}`)

		ada, state := ts.joinAs(t, s.ID, "ada-1", "Ada")
		var st struct {
			Session      session `json:"session"`
			You          struct{ ID, Name string }
			Participants []struct{ ID, Name string }
			History      []json.RawMessage
			LastSeq      int64 `json:"last_seq"`
		}
		if err := json.Unmarshal(state.Data, &st); err != nil {
			t.Fatal(err)
		}
		if st.Session.ID != s.ID || st.You.ID != "ada-1" || st.You.Name != "Ada" || len(st.Participants) != 1 || st.LastSeq != 0 || len(st.History) != 0 {
			t.Fatalf("session_state %s", state.Data)
		}

		bo, _ := ts.joinAs(t, s.ID, "bo-2", "Bo")
		joined := ada.expectNext("user_joined")
		if joined.field(t, "id") != "bo-2" || joined.field(t, "name") != "Bo" || joined.field(t, "joined_at") == nil {
			t.Fatalf("user_joined %s", joined.Data)
		}
		if n := ts.rooms.Present(context.Background(), s.ID); n != 2 {
			t.Fatalf("present %d", n)
		}

		// A user_name in the frame is ignored: the sender is who joined.
		bo.send("send_message", map[string]string{"message": "  Is anyone there?  ", "user_name": "Mallory"})
		for _, c := range []*wsClient{ada, bo} {
			m := c.expectNext("message_received")
			if m.field(t, "user_name") != "Bo" || m.field(t, "user_id") != "bo-2" || m.field(t, "message") != "Is anyone there?" || m.field(t, "seq") != float64(1) || m.field(t, "id") == "" {
				t.Fatalf("message_received %s", m.Data)
			}
			th := c.expectNext("spirit_thinking")
			if th.field(t, "reply_to") != m.field(t, "id") || th.field(t, "spirit") != "ghost-in-the-machine" {
				t.Fatalf("spirit_thinking %s", th.Data)
			}
			resp := c.expect("spirit_response")
			var r struct {
				ID            string    `json:"id"`
				Seq           int64     `json:"seq"`
				ReplyTo       string    `json:"reply_to"`
				Message       string    `json:"message"`
				WordCount     int       `json:"word_count"`
				LetterTimings []int     `json:"letter_timings"`
				AudioURL      *string   `json:"audio_url"`
				Spirit        string    `json:"spirit"`
				Timestamp     time.Time `json:"timestamp"`
				StartsAt      time.Time `json:"starts_at"`
			}
			if err := json.Unmarshal(resp.Data, &r); err != nil {
				t.Fatal(err)
			}
			if r.Seq != 2 || r.ReplyTo != m.field(t, "id") || r.Message == "" || r.AudioURL != nil || r.Spirit == "" ||
				len(r.LetterTimings) != utf8.RuneCountInString(r.Message) || r.WordCount != len(strings.Fields(r.Message)) ||
				!r.StartsAt.After(r.Timestamp) || !strings.Contains(string(resp.Data), `"audio_url":null`) {
				t.Fatalf("spirit_response %s", resp.Data)
			}
			for _, d := range r.LetterTimings {
				if d < 50 || d > 500 {
					t.Fatalf("letter timing %d out of 50–500", d)
				}
			}
		}

		bo.conn.Close()
		left := ada.expectNext("user_left")
		if left.field(t, "id") != "bo-2" {
			t.Fatalf("user_left %s", left.Data)
		}

		// Both messages are in the history, in order.
		var hist []message
		ts.get(t, "/api/sessions/"+s.ID+"/history").data(t, &hist)
		if len(hist) != 2 || hist[0].Seq != 1 || hist[1].Seq != 2 {
			t.Fatalf("history %+v", hist)
		}
	})
}

func TestJoinSessionFrameAndPing(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"x"}`)
	c, _, err := ts.dial(t, s.ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.send("join_session", map[string]string{"user_id": "u1", "name": "Cy"})
	state := c.expectNext("session_state")
	c.skipJoins(state)
	c.sendJSON(map[string]string{"event": "ping"})
	c.expectNext("pong")
}

func TestJoinWithToken(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"x","max_users":2}`)
	r := ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"  Dee  "}`)
	if r.status != http.StatusCreated {
		t.Fatalf("join: %d %s", r.status, r.raw)
	}
	var j struct {
		Participant struct{ ID, Name string }
		Token       string
		WSURL       string `json:"ws_url"`
	}
	r.data(t, &j)
	if j.Participant.Name != "Dee" || j.Token == "" || !strings.HasPrefix(j.WSURL, "/ws/"+s.ID+"?token=") {
		t.Fatalf("join: %s", r.raw)
	}
	c, _, err := ts.dial(t, s.ID, strings.SplitN(j.WSURL, "?", 2)[1], nil)
	if err != nil {
		t.Fatal(err)
	}
	state := c.expectNext("session_state")
	if !strings.Contains(string(state.Data), `"you":{"id":"`+j.Participant.ID+`","name":"Dee"`) {
		t.Fatalf("session_state %s", state.Data)
	}

	for _, tt := range []struct{ body, code string }{
		{`{"name":""}`, seance.EValidation},
		{`{"name":"` + strings.Repeat("x", 51) + `"}`, seance.EValidation},
		{`{}`, seance.EValidation},
		{`{"name":`, seance.EInvalidJSON},
	} {
		ts.post(t, "/api/sessions/"+s.ID+"/join", tt.body).wantError(t, 400, tt.code)
	}
	ts.post(t, "/api/sessions/"+uuid.NewString()+"/join", `{"name":"x"}`).wantError(t, 404, seance.ESessionNotFound)
	ts.joinAs(t, s.ID, "second", "Second")
	ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Third"}`).wantError(t, 409, seance.ESessionFull)
	ts.do(t, http.MethodDelete, "/api/sessions/"+s.ID, nil, map[string]string{"Authorization": "Bearer " + s.HostToken})
	ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Late"}`).wantError(t, 410, seance.ESessionEnded)
}

func TestRefusals(t *testing.T) {
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) { o.identifyTimeout = 300 * time.Millisecond })
	s := ts.create(t, `{"name":"x","max_users":2}`)
	other := ts.create(t, `{"name":"other"}`)
	ended := ts.create(t, `{"name":"ended"}`)
	ts.do(t, http.MethodDelete, "/api/sessions/"+ended.ID, nil, map[string]string{"Authorization": "Bearer " + ended.HostToken})

	refused := func(sessionID, query string, identify bool, code string, closeCode int) {
		t.Helper()
		c, _, err := ts.dial(t, sessionID, query, nil)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		c.name = code
		if identify {
			c.sendJSON(map[string]string{"user_id": "u-" + code, "name": "N"})
		}
		c.expectError(code)
		c.expectClose(closeCode)
	}
	// Without a token, a séance that cannot be joined is refused before
	// the upgrade (see TestTokenlessSocketRefusedBeforeUpgrade).
	for _, tc := range []struct {
		id     string
		status int
		code   string
	}{
		{uuid.NewString(), http.StatusNotFound, seance.ESessionNotFound},
		{"not-a-uuid", http.StatusNotFound, seance.ESessionNotFound},
		{ended.ID, http.StatusGone, seance.ESessionEnded},
	} {
		_, resp, err := ts.dial(t, tc.id, "", nil)
		if err == nil {
			t.Fatalf("socket to %s was upgraded", tc.id)
		}
		wantEnvelope(t, resp, tc.status, tc.code)
	}
	refused(s.ID, "token=garbage", false, seance.EUnauthorized, 4001)
	refused(s.ID, "token="+other.HostToken, false, seance.EUnauthorized, 4001)
	refused(s.ID, "", false, "IDENTIFY_TIMEOUT", 4008)

	// Full: a third participant is refused; a second tab of one present is not.
	ts.joinAs(t, s.ID, "a", "A")
	ts.joinAs(t, s.ID, "b", "B")
	refused(s.ID, "", true, seance.ESessionFull, 4009)
	ts.joinAs(t, s.ID, "a", "A again")

	// Origin not allowed: 403 before any upgrade.
	_, resp, err := ts.dial(t, s.ID, "", http.Header{"Origin": {"http://evil.example"}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bad origin: %v %v", resp, err)
	}
	if _, _, err := ts.dial(t, s.ID, "", http.Header{"Origin": {"http://localhost:3000"}}); err != nil {
		t.Fatalf("allowed origin refused: %v", err)
	}
}

func TestMessageRules(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"rules"}`)
	c, _ := ts.joinAs(t, s.ID, "u", "U")

	c.ask("   ")
	c.expectError(seance.EEmptyMessage)
	c.ask(strings.Repeat("é", 501))
	c.expectError(seance.EMessageTooLong)
	c.send("send_message", map[string]int{"message": 5})
	c.expectError(seance.EValidation)
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(`{"event":`)); err != nil {
		t.Fatal(err)
	}
	c.expectError(seance.EInvalidJSON)
	c.send("summon_demon", nil)
	c.expectError(seance.EUnknownEvent)

	// Still open: a 500-character question is accepted.
	c.ask(strings.Repeat("é", 500))
	c.expect("message_received")

	// Binary frames close with 1003.
	if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	c.expectClose(websocket.CloseUnsupportedData)

	// Frames over 8 KiB close with 1009.
	big, _ := ts.joinAs(t, s.ID, "big", "Big")
	big.ask(strings.Repeat("x", 9000))
	big.expectClose(websocket.CloseMessageTooBig)
}

func TestRateLimit(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"rate"}`)
	c, _ := ts.joinAs(t, s.ID, "eager", "Eager")
	for i := range 5 {
		c.ask("question " + string(rune('a'+i)))
		c.expect("message_received")
		// Answered before the next: on a busy machine the questions would
		// otherwise pile up and meet SPIRIT_BUSY before the rate limit.
		c.expect("spirit_response")
	}
	c.ask("one too many")
	e := c.expectError(seance.ERateLimited)
	if ms, _ := e.field(t, "details").(map[string]any)["retry_after_ms"].(float64); ms <= 0 || ms > 10000 {
		t.Fatalf("retry_after_ms %v", e.Data)
	}
}

func TestTypingThrottled(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"typing"}`)
	a, _ := ts.joinAs(t, s.ID, "a", "A")
	b, _ := ts.joinAs(t, s.ID, "b", "B")
	a.expectNext("user_joined")
	for range 3 {
		b.send("typing", map[string]any{})
	}
	ty := a.expectNext("user_typing")
	if ty.field(t, "user_id") != "b" || ty.field(t, "name") != "B" {
		t.Fatalf("user_typing %s", ty.Data)
	}
	a.quiet(300 * time.Millisecond)
}

func TestTwoTabsArePresentOnce(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"tabs"}`)
	watcher, _ := ts.joinAs(t, s.ID, "w", "W")
	tab1, _ := ts.joinAs(t, s.ID, "twin", "Twin")
	watcher.expectNext("user_joined")
	tab2, st := ts.joinAs(t, s.ID, "twin", "Twin")
	if strings.Count(string(st.Data), `"id":"twin"`) != 2 { // you + one participant entry
		t.Fatalf("second tab's session_state: %s", st.Data)
	}
	if n := ts.rooms.Present(context.Background(), s.ID); n != 2 {
		t.Fatalf("present %d, want 2", n)
	}
	tab1.conn.Close()
	// Still one tab: no user_left; the next event the watcher sees is the question.
	tab2.ask("still here?")
	watcher.expectNext("message_received")
	tab2.conn.Close()
	watcher.expect("user_left")
}

func TestEndSessionClosesEveryone(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"ending"}`)
	a, _ := ts.joinAs(t, s.ID, "a", "A")
	b, _ := ts.joinAs(t, s.ID, "b", "B")
	ts.do(t, http.MethodDelete, "/api/sessions/"+s.ID, nil, map[string]string{"Authorization": "Bearer " + s.HostToken})
	for _, c := range []*wsClient{a, b} {
		e := c.expect("session_ended")
		if e.field(t, "reason") == "" {
			t.Fatalf("session_ended %s", e.Data)
		}
		c.expectClose(4010)
	}
}

func TestRemoveParticipant(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"removal"}`)
	host, _ := ts.joinAs(t, s.ID, "host", "Host")
	r := ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Troll"}`)
	var j struct {
		Participant struct{ ID string }
		Token       string
	}
	r.data(t, &j)
	troll, _, err := ts.dial(t, s.ID, "token="+j.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	troll.expectNext("session_state")
	host.expectNext("user_joined")

	del := func(pid, token string) *reply {
		return ts.do(t, http.MethodDelete, "/api/sessions/"+s.ID+"/participants/"+pid, nil, map[string]string{"Authorization": "Bearer " + token})
	}
	del(j.Participant.ID, j.Token).wantError(t, 403, seance.EForbidden)
	del(uuid.NewString(), s.HostToken).wantError(t, 404, seance.EParticipantNotFound)
	ok := del(j.Participant.ID, s.HostToken)
	if ok.status != http.StatusOK {
		t.Fatalf("remove: %d %s", ok.status, ok.raw)
	}
	troll.expectError(seance.ERemoved)
	troll.expectClose(4403)
	host.expect("user_left")

	// The same token no longer admits it.
	again, _, err := ts.dial(t, s.ID, "token="+j.Token, nil)
	if err != nil {
		t.Fatal(err)
	}
	again.expectError(seance.ERemoved)
	again.expectClose(4403)
	ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Troll"}`) // a new join is a new participant: allowed

	// An [orig] participant is removed by its user_id and cannot identify as it again.
	ts.joinAs(t, s.ID, "orig-troll", "Orig")
	if r := del("orig-troll", s.HostToken); r.status != http.StatusOK {
		t.Fatalf("remove by user_id: %d %s", r.status, r.raw)
	}
	c, _, _ := ts.dial(t, s.ID, "", nil)
	c.sendJSON(map[string]string{"user_id": "orig-troll", "name": "Orig"})
	c.expectError(seance.ERemoved)
	c.expectClose(4403)
}

func TestResumeReplaysExactlyWhatWasMissed(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"resume"}`)
	a, _ := ts.joinAs(t, s.ID, "a", "A")
	b, _ := ts.joinAs(t, s.ID, "b", "B")
	a.expectNext("user_joined")
	b.ask("first")
	a.expect("message_received")
	last := a.expect("spirit_response").field(t, "seq").(float64)
	a.conn.Close()
	a2 := waitLeft(t, b)
	_ = a2

	b.ask("second")
	b.expect("spirit_response")
	b.ask("third")
	b.expect("spirit_response")

	c, _, err := ts.dial(t, s.ID, "last_seq="+jsonNumber(int(last)), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.sendJSON(map[string]string{"user_id": "a", "name": "A"})
	state := c.expectNext("session_state")
	c.skipJoins(state)
	want := []struct {
		event string
		seq   float64
	}{{"message_received", 3}, {"spirit_response", 4}, {"message_received", 5}, {"spirit_response", 6}}
	for _, w := range want {
		e := c.expectNext(w.event)
		if e.field(t, "seq") != w.seq {
			t.Fatalf("replay: %s seq %v, want %v", e.Event, e.field(t, "seq"), w.seq)
		}
	}
	// Nothing more, and nothing twice: the next live event follows at once.
	b.ask("fourth")
	if e := c.expectNext("message_received"); e.field(t, "seq") != float64(7) {
		t.Fatalf("after the replay: %s", e.Data)
	}
}

func waitLeft(t *testing.T, c *wsClient) event {
	t.Helper()
	return c.expect("user_left")
}

func jsonNumber(i int) string { b, _ := json.Marshal(i); return string(b) }
