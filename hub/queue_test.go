package hub

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeTransport records what a queue writes. Its writes can be blocked, to
// play a client that does not read, and they fail once fail is set.
type fakeTransport struct {
	mu      sync.Mutex
	frames  []string
	pings   int
	closes  []int
	gate    chan struct{} // non-nil: each write waits for it to be closed
	fail    bool
	writers atomic.Int32 // writes under way now
	overlap atomic.Bool  // two writes were ever under way at once
	changed chan struct{}
}

func newFakeTransport() *fakeTransport { return &fakeTransport{changed: make(chan struct{}, 1)} }

func (f *fakeTransport) write(record func()) error {
	if f.writers.Add(1) > 1 {
		f.overlap.Store(true)
	}
	defer f.writers.Add(-1)
	f.mu.Lock()
	gate, fail := f.gate, f.fail
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	if fail {
		return errors.New("broken pipe")
	}
	f.mu.Lock()
	record()
	f.mu.Unlock()
	f.notify()
	return nil
}

func (f *fakeTransport) WriteText(b []byte) error {
	return f.write(func() { f.frames = append(f.frames, string(b)) })
}

func (f *fakeTransport) WritePing() error { return f.write(func() { f.pings++ }) }

func (f *fakeTransport) Close(code int, _ string) {
	f.mu.Lock()
	f.closes = append(f.closes, code)
	f.mu.Unlock()
	f.notify()
}

func (f *fakeTransport) notify() {
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *fakeTransport) state() (frames []string, pings int, closes []int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.frames...), f.pings, append([]int(nil), f.closes...)
}

// waitUntil waits for cond of the transport's state.
func (f *fakeTransport) waitUntil(t *testing.T, what string, cond func(frames []string, pings int, closes []int) bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if cond(f.state()) {
			return
		}
		select {
		case <-f.changed:
		case <-deadline:
			frames, pings, closes := f.state()
			t.Fatalf("%s: frames %q, %d pings, closes %v", what, frames, pings, closes)
		}
	}
}

func frame(s string) out { return out{frame: []byte(s)} }

func TestQueueWritesInOrderFromOneWriter(t *testing.T) {
	tr := newFakeTransport()
	q := newSendQueue(tr, func() { t.Error("overflowed") })
	q.release()
	// Fewer than a queue's worth in all: however slow the writer, this
	// must not overflow.
	const pushers, each = 8, 25
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Go(func() {
			for i := range each {
				q.push(frame(fmt.Sprintf("%d:%03d", p, i)))
				if i%10 == 0 {
					q.push(out{ping: true})
				}
			}
		})
	}
	wg.Wait()
	tr.waitUntil(t, "every frame", func(fs []string, pings int, _ []int) bool {
		return len(fs) == pushers*each && pings == pushers*((each+9)/10)
	})
	frames, _, closes := tr.state()
	last := map[string]string{}
	for _, f := range frames {
		who := f[:1]
		if prev, ok := last[who]; ok && f <= prev {
			t.Fatalf("pusher %s's frames out of order: %s after %s", who, f, prev)
		}
		last[who] = f
	}
	if tr.overlap.Load() {
		t.Fatal("two writers wrote at once")
	}
	if len(closes) != 0 {
		t.Fatalf("closed %v", closes)
	}
	q.mu.Lock()
	writing := q.writing
	q.mu.Unlock()
	if writing {
		t.Fatal("a writer is still running on an empty queue")
	}
}

// While held, nothing is written — not even a close, which then comes
// after what was queued before it.
func TestQueueHeldUntilReleased(t *testing.T) {
	tr := newFakeTransport()
	q := newSendQueue(tr, func() {})
	q.push(frame("a"))
	q.push(out{close: 4010})
	q.push(frame("after the close"))
	time.Sleep(20 * time.Millisecond)
	if frames, _, closes := tr.state(); len(frames) != 0 || len(closes) != 0 {
		t.Fatalf("held queue wrote %q, closed %v", frames, closes)
	}
	q.release()
	tr.waitUntil(t, "a, then the close", func(fs []string, _ int, cs []int) bool { return len(cs) == 1 })
	frames, _, closes := tr.state()
	if len(frames) != 1 || frames[0] != "a" || closes[0] != 4010 {
		t.Fatalf("frames %q, closes %v; want [a] then 4010", frames, closes)
	}
	select {
	case <-q.done:
	case <-time.After(5 * time.Second):
		t.Fatal("done not closed after the close")
	}
}

// A client that does not read is dropped, once, with 1008: the pusher never
// waits for it.
func TestQueueOverflowDropsTheClient(t *testing.T) {
	for _, held := range []bool{false, true} {
		t.Run(fmt.Sprintf("held=%v", held), func(t *testing.T) {
			tr := newFakeTransport()
			tr.gate = make(chan struct{})
			defer close(tr.gate)
			var overflows atomic.Int32
			q := newSendQueue(tr, func() { overflows.Add(1) })
			limit := replayQueueLen
			if !held {
				q.release()
				limit = sendQueueLen
			}
			pushed := make(chan struct{})
			go func() {
				defer close(pushed)
				// The blocked writer may hold up to a queue's worth
				// taken before it blocked; twice that overflows anyway.
				for i := range 2*limit + 10 {
					q.push(frame(fmt.Sprint(i)))
				}
			}()
			select {
			case <-pushed:
			case <-time.After(5 * time.Second):
				t.Fatal("push blocked on a client that does not read")
			}
			tr.waitUntil(t, "close 1008", func(_ []string, _ int, cs []int) bool { return len(cs) == 1 })
			if _, _, cs := tr.state(); cs[0] != 1008 {
				t.Fatalf("closed with %v, want 1008", cs)
			}
			if n := overflows.Load(); n != 1 {
				t.Fatalf("overflowed %d times, want once", n)
			}
			select {
			case <-q.done:
			default:
				t.Fatal("done not closed after the drop")
			}
			q.push(frame("late"))
			q.mu.Lock()
			n := len(q.items)
			q.mu.Unlock()
			if n != 0 {
				t.Fatalf("a dropped queue took %d more", n)
			}
		})
	}
}

// A write that fails closes the connection (1001) and finishes the queue.
func TestQueueWriteFailureCloses(t *testing.T) {
	tr := newFakeTransport()
	tr.fail = true
	q := newSendQueue(tr, func() {})
	q.release()
	q.push(frame("lost"))
	tr.waitUntil(t, "close 1001", func(_ []string, _ int, cs []int) bool { return len(cs) == 1 && cs[0] == 1001 })
	<-q.done
}

// A stopped queue (the connection is gone) writes nothing more and starts
// no writer, released or not; a close already queued is still written.
func TestQueueStop(t *testing.T) {
	tr := newFakeTransport()
	q := newSendQueue(tr, func() {})
	q.push(frame("never"))
	q.stop()
	q.release()
	q.push(frame("never either"))
	time.Sleep(20 * time.Millisecond)
	if frames, _, _ := tr.state(); len(frames) != 0 {
		t.Fatalf("a stopped queue wrote %q", frames)
	}
	<-q.done

	tr = newFakeTransport()
	q = newSendQueue(tr, func() {})
	q.push(out{close: 4403})
	q.stop()
	q.release()
	tr.waitUntil(t, "the queued close", func(_ []string, _ int, cs []int) bool { return len(cs) == 1 && cs[0] == 4403 })
}
