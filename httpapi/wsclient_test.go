package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/seancehq/seance/wire"
)

// event is one server frame as a client sees it.
type event struct {
	Event     string          `json:"event"`
	Data      json.RawMessage `json:"data"`
	Timestamp time.Time       `json:"timestamp"`
}

func (e event) field(t *testing.T, name string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Data, &m); err != nil {
		t.Fatalf("%s data: %v", e.Event, err)
	}
	return m[name]
}

// wsClient is a real WebSocket client of the test server.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	name string
	// closeReason is the reason of the close frame expectClose read.
	closeReason string
}

// dial opens /ws/{id} with the query (e.g. "token=…&last_seq=3").
func (ts *testServer) dial(t *testing.T, sessionID, query string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	url := "ws" + strings.TrimPrefix(ts.URL, "http") + "/ws/" + sessionID
	if query != "" {
		url += "?" + query
	}
	conn, resp, err := websocket.DefaultDialer.Dial(url, header)
	if err != nil {
		return nil, resp, err
	}
	c := &wsClient{t: t, conn: conn}
	t.Cleanup(func() { conn.Close() })
	return c, resp, nil
}

// joinAs connects with the [orig] identify frame and reads session_state and
// the user_joined frames that follow it.
func (ts *testServer) joinAs(t *testing.T, sessionID, userID, name string) (*wsClient, event) {
	t.Helper()
	c, _, err := ts.dial(t, sessionID, "", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	c.name = name
	c.sendJSON(map[string]string{"user_id": userID, "name": name})
	state := c.expect(wsSessionState)
	c.skipJoins(state)
	return c, state
}

const wsSessionState = "session_state"

// skipJoins reads the user_joined frame sent for each participant in state.
func (c *wsClient) skipJoins(state event) {
	c.t.Helper()
	var st struct {
		Participants []struct{ ID string } `json:"participants"`
	}
	if err := json.Unmarshal(state.Data, &st); err != nil {
		c.t.Fatal(err)
	}
	for range st.Participants {
		c.expect("user_joined")
	}
}

func (c *wsClient) sendJSON(v any) {
	c.t.Helper()
	if err := c.conn.WriteJSON(v); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *wsClient) send(event string, data any) {
	c.t.Helper()
	c.sendJSON(map[string]any{"event": event, "data": data})
}

func (c *wsClient) ask(text string) {
	c.t.Helper()
	c.send("send_message", map[string]string{"message": text})
}

// next reads one event within 5 s.
func (c *wsClient) next() (event, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var e event
	_, data, err := c.conn.ReadMessage()
	if err != nil {
		return e, err
	}
	if err := json.Unmarshal(data, &e); err != nil {
		c.t.Fatalf("server frame is not JSON: %s", data)
	}
	return e, nil
}

// expect reads events until one named name arrives, failing on an error
// event that was not asked for.
func (c *wsClient) expect(name string) event {
	c.t.Helper()
	for {
		e, err := c.next()
		if err != nil {
			c.t.Fatalf("%s: waiting for %s: %v", c.name, name, err)
		}
		if e.Event == name {
			return e
		}
		if e.Event == "error" {
			c.t.Fatalf("%s: waiting for %s, got error %s", c.name, name, e.Data)
		}
	}
}

// expectNext reads the very next event and checks its name.
func (c *wsClient) expectNext(name string) event {
	c.t.Helper()
	e, err := c.next()
	if err != nil {
		c.t.Fatalf("%s: waiting for %s: %v", c.name, name, err)
	}
	if e.Event != name {
		c.t.Fatalf("%s: got %s %s, want %s", c.name, e.Event, e.Data, name)
	}
	return e
}

// expectError reads until an error event and checks its code.
func (c *wsClient) expectError(code string) event {
	c.t.Helper()
	for {
		e, err := c.next()
		if err != nil {
			c.t.Fatalf("%s: waiting for error %s: %v", c.name, code, err)
		}
		if e.Event == "error" {
			if got := e.field(c.t, "code"); got != code {
				c.t.Fatalf("%s: error %v, want %s", c.name, got, code)
			}
			return e
		}
	}
}

// expectClose reads until the connection closes and checks the close code.
func (c *wsClient) expectClose(code int) {
	c.t.Helper()
	for {
		_, err := c.next()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("%s: want close %d, got %v", c.name, code, err)
		}
		if ce.Code != code {
			c.t.Fatalf("%s: close code %d (%q), want %d", c.name, ce.Code, ce.Text, code)
		}
		// Clients that read only the close frame show its reason.
		if ce.Text == "" || len(ce.Text) > wire.MaxCloseReason {
			c.t.Fatalf("%s: close %d with reason %q: want 1 to %d bytes", c.name, code, ce.Text, wire.MaxCloseReason)
		}
		c.closeReason = ce.Text
		return
	}
}

// quiet checks that nothing arrives for d.
func (c *wsClient) quiet(d time.Duration) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	_, data, err := c.conn.ReadMessage()
	if err == nil {
		c.t.Fatalf("%s: unexpected frame %s", c.name, data)
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		c.t.Fatalf("%s: connection failed while waiting: %v", c.name, err)
	}
	// A timed-out gorilla connection cannot be read again: the caller is done with it.
}
