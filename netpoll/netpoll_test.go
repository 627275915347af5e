package netpoll_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seancehq/seance/netpoll"
)

func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

func TestReadableOncePerResume(t *testing.T) {
	p, err := netpoll.New()
	if err == netpoll.ErrUnsupported {
		t.Skip("no epoll here")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, server := pair(t)

	got := make(chan string, 10)
	var calls atomic.Int32
	d, err := p.Add(server, func(d *netpoll.Desc) {
		calls.Add(1)
		b := make([]byte, 1) // read less than there is: level-triggered, so called again
		if _, err := io.ReadFull(server, b); err != nil {
			got <- "err"
			return
		}
		got <- string(b)
		_ = d.Resume()
	})
	if err != nil {
		t.Fatal(err)
	}
	// Nothing to read: no callback.
	select {
	case s := <-got:
		t.Fatalf("callback without data: %q", s)
	case <-time.After(100 * time.Millisecond):
	}
	client.Write([]byte("abc"))
	var s string
	for range 3 {
		select {
		case c := <-got:
			s += c
		case <-time.After(2 * time.Second):
			t.Fatalf("got %q, then nothing", s)
		}
	}
	if s != "abc" {
		t.Fatalf("read %q in callbacks, want abc (in order)", s)
	}
	if n := calls.Load(); n != 3 {
		t.Fatalf("%d callbacks, want 3", n)
	}

	// A peer that hangs up is reported too.
	client.Close()
	select {
	case c := <-got:
		if c != "err" {
			t.Fatalf("after hang-up read %q", c)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("hang-up not reported")
	}
	d.Remove()
}

func TestRemovedIsSilent(t *testing.T) {
	p, err := netpoll.New()
	if err == netpoll.ErrUnsupported {
		t.Skip("no epoll here")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	client, server := pair(t)
	fired := make(chan struct{}, 1)
	d, err := p.Add(server, func(*netpoll.Desc) { fired <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	d.Remove()
	client.Write([]byte("x"))
	select {
	case <-fired:
		t.Fatal("callback after Remove")
	case <-time.After(300 * time.Millisecond):
	}
}
