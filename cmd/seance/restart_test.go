package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

func (f frame) seq() int64 {
	var d struct {
		Seq int64 `json:"seq"`
	}
	_ = json.Unmarshal(f.Data, &d)
	return d.Seq
}

// client is an [orig] WebSocket client that remembers the last seq it saw.
type client struct {
	t       *testing.T
	conn    *websocket.Conn
	lastSeq int64
}

func connect(t *testing.T, base, sessionID, userID string, lastSeq int64) *client {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws/" + sessionID
	if lastSeq >= 0 {
		url += "?last_seq=" + strconv.FormatInt(lastSeq, 10)
	}
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, lastSeq: max(lastSeq, 0)}
	if err := conn.WriteJSON(map[string]string{"user_id": userID, "name": userID}); err != nil {
		t.Fatal(err)
	}
	c.until("session_state")
	return c
}

// read returns the next frame, tracking persisted sequence numbers and
// failing on a gap or a repeat.
func (c *client) read() (frame, error) {
	// Generous: the first answer of a race-detector build waits for the
	// safety classifier it builds at start, beside every other suite.
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var f frame
	if err := c.conn.ReadJSON(&f); err != nil {
		return f, err
	}
	if f.Event == "message_received" || f.Event == "spirit_response" {
		if f.seq() != c.lastSeq+1 {
			c.t.Fatalf("%s seq %d after %d: lost or repeated", f.Event, f.seq(), c.lastSeq)
		}
		c.lastSeq = f.seq()
	}
	return f, nil
}

func (c *client) until(event string) frame {
	c.t.Helper()
	for {
		f, err := c.read()
		if err != nil {
			c.t.Fatalf("waiting for %s: %v", event, err)
		}
		if f.Event == event {
			return f
		}
	}
}

func (c *client) untilClosed() int {
	c.t.Helper()
	for {
		_, err := c.read()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			c.t.Fatalf("want a close frame, got %v", err)
		}
	}
}

func (c *client) ask(text string) {
	c.t.Helper()
	if err := c.conn.WriteJSON(map[string]any{"event": "send_message", "data": map[string]string{"message": text}}); err != nil {
		c.t.Fatal(err)
	}
}

// TestRestartMidSeance: the server restarts under two clients; they get 1001,
// reconnect with last_seq, and between them miss nothing and see nothing twice.
func TestRestartMidSeance(t *testing.T) {
	getenv := env("SEANCE_ADDR", "127.0.0.1:0", "SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "seance.db"))
	base, stop, _ := startServer(t, getenv)
	resp, err := http.Post(base+"/api/sessions", "application/json", strings.NewReader(`{"name":"restart"}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()
	id := created.Data.ID

	a := connect(t, base, id, "ada", -1)
	b := connect(t, base, id, "bo", -1)
	a.ask("Is the server stable?")
	for _, c := range []*client{a, b} {
		c.until("spirit_response")
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{a, b} {
		if code := c.untilClosed(); code != websocket.CloseGoingAway {
			t.Fatalf("close %d on shutdown, want 1001", code)
		}
	}

	base, _, _ = startServer(t, getenv)
	a2 := connect(t, base, id, "ada", a.lastSeq)
	a2.ask("Did we survive?")
	a2.until("spirit_response")
	b2 := connect(t, base, id, "bo", b.lastSeq)
	// b2 replays what it missed (checked seq by seq in read) up to a2's last.
	for b2.lastSeq < a2.lastSeq {
		b2.until("spirit_response")
	}
	if b2.lastSeq != 4 {
		t.Fatalf("after the restart bo is at seq %d, want 4", b2.lastSeq)
	}
}
