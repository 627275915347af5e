package cluster

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/storetest"
	"github.com/seancehq/seance/wire"
)

// Across two nodes: other spellings of the séance's id name nothing on
// either, a REST participant cannot be spoken for by an identify frame,
// an identify participant is taken only from its own address wherever it
// connects, and the seats hold.
func TestIdentityAndIDsAcrossNodes(t *testing.T) {
	cl := newCluster(t, 2, nil)
	n1, n2 := cl.nodes[0], cl.nodes[1]
	id := n1.createSeance("Who speaks here", 3)

	for _, other := range storetest.OtherSpellings(id) {
		if code, err := n2.call(http.MethodGet, "/api/sessions/"+other, nil, nil); code != http.StatusNotFound {
			t.Errorf("GET %s on node2: %d %v, want 404", other, code, err)
		}
		if res := identify(t, n2, other, "u-x", "X", ""); res.status != http.StatusNotFound {
			t.Errorf("socket to %s on node2: HTTP %d, want 404 before the upgrade", other, res.status)
		}
	}

	ada := joinClient(t, n1, id, "Ada")
	if res := identify(t, n2, id, ada.id, "Mallory", ""); res.err != seance.EUnauthorized || res.close != wire.CloseUnauthorized {
		t.Errorf("identify as Ada's REST id on node2: %+v, want UNAUTHORIZED and 4001", res)
	}

	const home, away = "203.0.113.7", "198.51.100.9"
	bo := identify(t, n1, id, "u-bo", "Bo", home)
	if bo.you.Name != "Bo" {
		t.Fatalf("Bo on node1: %+v", bo)
	}
	if res := identify(t, n2, id, "u-bo", "Mallory", away); res.err != seance.EUnauthorized || res.close != wire.CloseUnauthorized {
		t.Errorf("identify as Bo from another address on node2: %+v, want UNAUTHORIZED and 4001", res)
	}
	tab := identify(t, n2, id, "u-bo", "Bo Renamed", home)
	if tab.you.ID != "u-bo" || tab.you.Name != "Bo" {
		t.Errorf("Bo's second tab on node2: %+v, want u-bo named Bo", tab)
	}

	cy := identify(t, n2, id, "u-cy", "Cy", "192.0.2.1")
	if cy.you.Name != "Cy" {
		t.Fatalf("Cy on node2: %+v", cy)
	}
	full := identify(t, n1, id, "u-di", "Di", "192.0.2.2")
	if full.err != seance.ESessionFull || full.close != wire.CloseFull || !strings.Contains(full.reason, "3 of 3") {
		t.Errorf("fourth participant: %+v, want SESSION_FULL, 4009 and a reason naming 3 of 3", full)
	}
	waitCount(t, cl.nodes, id, 3, wait)
	noErrors(t, []*client{ada})
}

// identified is how an identify attempt ended.
type identified struct {
	status int // HTTP status when refused before the upgrade
	you    struct{ ID, Name string }
	err    string // the error event's code
	close  int
	reason string
	conn   *websocket.Conn
}

// identify opens a socket without a token on n, as the [orig] frontend
// does, from the client address xff (through a trusted proxy; "" for the
// peer's own), and says who it is. An admitted socket stays open until the
// test ends.
func identify(t *testing.T, n *node, sessionID, userID, name, xff string) identified {
	t.Helper()
	h := http.Header{}
	if xff != "" {
		h.Set("X-Forwarded-For", xff)
	}
	dialer := websocket.Dialer{HandshakeTimeout: wait}
	conn, res, err := dialer.Dial("ws://"+n.addr+"/ws/"+sessionID, h)
	if err != nil {
		if res == nil {
			t.Fatalf("dial %s: %v", n.name, err)
		}
		return identified{status: res.StatusCode}
	}
	t.Cleanup(func() { conn.Close() })
	out := identified{status: http.StatusSwitchingProtocols, conn: conn}
	if err := conn.WriteJSON(map[string]string{"user_id": userID, "name": name}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	for {
		_, data, err := conn.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			out.close, out.reason = ce.Code, ce.Text
			return out
		}
		if err != nil {
			t.Fatalf("%s on %s: %v", name, n.name, err)
		}
		var f struct {
			Event string
			Data  json.RawMessage
		}
		if err := json.Unmarshal(data, &f); err != nil {
			t.Fatal(err)
		}
		switch f.Event {
		case wire.EvSessionState:
			var st struct {
				You struct{ ID, Name string }
			}
			if err := json.Unmarshal(f.Data, &st); err != nil {
				t.Fatal(err)
			}
			out.you = st.You
			_ = conn.SetReadDeadline(time.Time{})
			return out
		case wire.EvError:
			var e struct{ Code string }
			_ = json.Unmarshal(f.Data, &e)
			out.err = e.Code
		}
	}
}
