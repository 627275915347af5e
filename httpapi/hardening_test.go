package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/ratelimit"
	"github.com/seancehq/seance/storetest"
)

// Only the canonical spelling of an id names a séance: every other one a
// UUID parser accepts is 404 everywhere, before any room, limit or presence
// is keyed by it.
func TestOtherSpellingsOfAnIDNameNothing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		s := ts.create(t, `{"name":"spelled","max_users":2}`)
		tok := joinToken(t, ts, s.ID, "Ada")
		for _, id := range storetest.OtherSpellings(s.ID) {
			t.Run(id, func(t *testing.T) {
				for _, tc := range []struct{ method, path, body string }{
					{http.MethodGet, "/api/sessions/" + id, ""},
					{http.MethodGet, "/api/sessions/" + id + "/history", ""},
					{http.MethodGet, "/api/sessions/" + id + "/transcript", ""},
					{http.MethodPost, "/api/sessions/" + id + "/join", `{"name":"Bo"}`},
					{http.MethodDelete, "/api/sessions/" + id, ""},
				} {
					var body io.Reader
					if tc.body != "" {
						body = strings.NewReader(tc.body)
					}
					ts.do(t, tc.method, tc.path, body, map[string]string{"Authorization": "Bearer " + s.HostToken}).
						wantError(t, http.StatusNotFound, seance.ESessionNotFound)
				}
				for _, query := range []string{"", "token=" + tok} {
					_, resp, err := ts.dial(t, id, query, nil)
					if err == nil {
						t.Fatalf("socket to %q (%q) was upgraded", id, query)
					}
					wantEnvelope(t, resp, http.StatusNotFound, seance.ESessionNotFound)
				}
			})
		}
		if got := ts.get(t, "/api/sessions/"+s.ID); got.status != http.StatusOK {
			t.Fatalf("the séance itself: %d %s", got.status, got.raw)
		}
	})
}

// A participant that joined over REST has a public id (user_joined,
// history): an identify frame naming it is refused, and renames nobody.
func TestJoinedParticipantNeedsItsToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		s := ts.create(t, `{"name":"tokens"}`)
		r := ts.post(t, "/api/sessions/"+s.ID+"/join", `{"name":"Ada"}`)
		var j struct {
			Participant struct{ ID string } `json:"participant"`
			Token       string              `json:"token"`
		}
		r.data(t, &j)
		ada, _, err := ts.dial(t, s.ID, "token="+j.Token, nil)
		if err != nil {
			t.Fatal(err)
		}
		ada.name = "Ada"
		ada.skipJoins(ada.expect(wsSessionState))

		mallory, _, err := ts.dial(t, s.ID, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		mallory.name = "Mallory"
		mallory.sendJSON(map[string]string{"user_id": j.Participant.ID, "name": "Mallory"})
		mallory.expectError(seance.EUnauthorized)
		mallory.expectClose(4001)

		// Not while Ada is away either.
		ada.conn.Close()
		again, _, err := ts.dial(t, s.ID, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		again.name = "Mallory again"
		again.sendJSON(map[string]string{"user_id": j.Participant.ID, "name": "Mallory"})
		again.expectError(seance.EUnauthorized)
		again.expectClose(4001)

		back, _, err := ts.dial(t, s.ID, "token="+j.Token, nil)
		if err != nil {
			t.Fatal(err)
		}
		back.name = "Ada"
		if you := youOf(t, back.expect(wsSessionState)); you.Name != "Ada" || you.ID != j.Participant.ID {
			t.Fatalf("Ada after the attempts: %+v", you)
		}
	})
}

// A user id of the [orig] identify frame is public too: while it is
// connected, only its own address (a second tab) may use it, and no later
// identify frame renames it.
func TestIdentifyFromAnotherAddress(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServerWith(t, open(t), func(o *depsOverride) {
			o.trustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		})
		s := ts.create(t, `{"name":"tabs"}`)
		home := http.Header{"X-Forwarded-For": {"203.0.113.7"}}
		away := http.Header{"X-Forwarded-For": {"198.51.100.9"}}
		identify := func(name string, h http.Header, as string) *wsClient {
			t.Helper()
			c, _, err := ts.dial(t, s.ID, "", h)
			if err != nil {
				t.Fatal(err)
			}
			c.name = name
			c.sendJSON(map[string]string{"user_id": "u-ada", "name": as})
			return c
		}

		ada := identify("Ada", home, "Ada")
		ada.skipJoins(ada.expect(wsSessionState))

		mallory := identify("Mallory", away, "Mallory")
		mallory.expectError(seance.EUnauthorized)
		mallory.expectClose(4001)

		tab := identify("Ada's second tab", home, "Ada Lovelace")
		if you := youOf(t, tab.expect(wsSessionState)); you.ID != "u-ada" || you.Name != "Ada" {
			t.Fatalf("second tab is %+v, want u-ada named Ada", you)
		}

		// Once Ada's every tab is closed the id is free, and still hers by name.
		ada.conn.Close()
		tab.conn.Close()
		eventually(t, "Ada gone", func() bool { return ts.rooms.Present(t.Context(), s.ID) == 0 })
		later := identify("later", away, "Mallory")
		if you := youOf(t, later.expect(wsSessionState)); you.Name != "Ada" {
			t.Fatalf("a later identify frame renamed the participant to %q", you.Name)
		}
	})
}

// The [orig] frontend retries a socket that opens and closes every second:
// without a token, an unknown or ended séance is refused before the
// upgrade, as plain HTTP with the envelope, which it does not retry.
func TestTokenlessSocketRefusedBeforeUpgrade(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(t *testing.T) seance.Store) {
		ts := newServer(t, open(t))
		_, resp, err := ts.dial(t, uuid.NewString(), "", nil)
		if err == nil {
			t.Fatal("socket to an unknown séance was upgraded")
		}
		wantEnvelope(t, resp, http.StatusNotFound, seance.ESessionNotFound)

		s := ts.create(t, `{"name":"over"}`)
		tok := joinToken(t, ts, s.ID, "Ada")
		ts.do(t, http.MethodDelete, "/api/sessions/"+s.ID, nil, map[string]string{"Authorization": "Bearer " + s.HostToken})
		_, resp, err = ts.dial(t, s.ID, "", nil)
		if err == nil {
			t.Fatal("socket to an ended séance was upgraded")
		}
		wantEnvelope(t, resp, http.StatusGone, seance.ESessionEnded)

		// A token's client is told after the upgrade, with the close code
		// and a reason.
		c, _, err := ts.dial(t, s.ID, "token="+tok, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.name = "Ada"
		c.expectError(seance.ESessionEnded)
		c.expectClose(4010)
	})
}

// The [orig] frontend's tabs keep retrying a séance that ended: each retry
// is refused before the upgrade and spends none of the address's join
// budget, so the address can still join a séance that is running.
func TestRetriesOfAnEndedSeanceSpendNothing(t *testing.T) {
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) {
		o.joinLimit = ratelimit.New(3, time.Hour, nil)
	})
	over := ts.create(t, `{"name":"over"}`)
	ts.do(t, http.MethodDelete, "/api/sessions/"+over.ID, nil, map[string]string{"Authorization": "Bearer " + over.HostToken})
	for range 4 * 10 { // four tabs, ten retries each
		_, resp, err := ts.dial(t, over.ID, "", nil)
		if err == nil {
			t.Fatal("socket to an ended séance was upgraded")
		}
		wantEnvelope(t, resp, http.StatusGone, seance.ESessionEnded)
	}
	next := ts.create(t, `{"name":"next"}`)
	c, _ := ts.joinAs(t, next.ID, "u1", "Ada")
	c.send("ping", nil)
	c.expectNext("pong")
}

// Every close frame says why in words an old client can show.
func TestCloseFramesCarryReasons(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"small","max_users":2}`)
	ts.joinAs(t, s.ID, "u1", "Ada")
	ts.joinAs(t, s.ID, "u2", "Bo")
	c, _, err := ts.dial(t, s.ID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.name = "Cy"
	c.sendJSON(map[string]string{"user_id": "u3", "name": "Cy"})
	c.expectError(seance.ESessionFull)
	c.expectClose(4009)
	if c.closeReason != "This séance is full (2 of 2)." {
		t.Fatalf("close reason %q", c.closeReason)
	}
}

// The [orig] frontend says leave_session before it closes: accepted,
// ignored, no UNKNOWN_EVENT.
func TestLeaveSessionIsIgnored(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"goodbye"}`)
	c, _ := ts.joinAs(t, s.ID, "u1", "Ada")
	c.send("leave_session", map[string]string{"session_id": s.ID})
	c.send("ping", nil)
	c.expectNext("pong")
}

func joinToken(t *testing.T, ts *testServer, sessionID, name string) string {
	t.Helper()
	var j struct {
		Token string `json:"token"`
	}
	ts.post(t, "/api/sessions/"+sessionID+"/join", `{"name":"`+name+`"}`).data(t, &j)
	return j.Token
}

type you struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func youOf(t *testing.T, state event) you {
	t.Helper()
	var st struct {
		You you `json:"you"`
	}
	if err := json.Unmarshal(state.Data, &st); err != nil {
		t.Fatal(err)
	}
	return st.You
}

// wantEnvelope checks a refused upgrade's response: the status and the
// contract's error envelope.
func wantEnvelope(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	if resp == nil {
		t.Fatalf("no HTTP response, want %d %s", status, code)
	}
	defer resp.Body.Close()
	var env struct {
		Success bool
		Error   struct{ Code, Message string }
	}
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d", resp.StatusCode, status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Success || env.Error.Code != code || env.Error.Message == "" {
		t.Fatalf("body %+v (%v), want error %s", env, err, code)
	}
}

// eventually waits up to 5 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
