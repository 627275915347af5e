package httpapi_test

import (
	"context"
	"testing"
	"time"
)

// TestKilledMidFrame: a client whose socket dies in the middle of a frame is
// cleaned up like any other leaver.
func TestKilledMidFrame(t *testing.T) {
	ts := newServer(t, sqliteStore(t))
	s := ts.create(t, `{"name":"faults"}`)
	watcher, _ := ts.joinAs(t, s.ID, "w", "W")
	victim, _ := ts.joinAs(t, s.ID, "v", "V")
	watcher.expectNext("user_joined")

	// A text frame header announcing 200 masked bytes, then only 3 of them.
	raw := victim.conn.UnderlyingConn()
	if _, err := raw.Write([]byte{0x81, 0x80 | 126, 0x00, 200, 1, 2, 3, 4, 'a', 'b', 'c'}); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	left := watcher.expectNext("user_left")
	if left.field(t, "id") != "v" {
		t.Fatalf("user_left %s", left.Data)
	}
	if n := ts.rooms.Present(context.Background(), s.ID); n != 1 {
		t.Fatalf("present %d after the kill, want 1", n)
	}
	// The room still works.
	watcher.ask("still there?")
	watcher.expectNext("message_received")
}

// TestDeadPeerReaped: a client that neither sends nor answers pings is
// closed after the pong wait, and the others see it leave.
func TestDeadPeerReaped(t *testing.T) {
	ts := newServerWith(t, sqliteStore(t), func(o *depsOverride) {
		o.pingEvery = 100 * time.Millisecond
		o.pongWait = 600 * time.Millisecond
	})
	s := ts.create(t, `{"name":"reaper"}`)
	watcher, _ := ts.joinAs(t, s.ID, "w", "W")
	ts.joinAs(t, s.ID, "silent", "Silent") // never reads again, so never pongs
	watcher.expectNext("user_joined")

	// The watcher keeps reading, so it answers pings and stays.
	start := time.Now()
	left := watcher.expect("user_left")
	if left.field(t, "id") != "silent" {
		t.Fatalf("user_left %s", left.Data)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("dead peer reaped after %v", waited)
	}
	if n := ts.rooms.Present(context.Background(), s.ID); n != 1 {
		t.Fatalf("present %d, want 1", n)
	}
}
