//go:build linux

package netpoll

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Poller waits on many connections at once with one goroutine.
//
// Registrations are one-shot: after a connection turned readable its
// callback runs (in a new goroutine) and nothing more is reported for it
// until Resume. So one connection's frames are handled one at a time, in
// order, and a callback that reads less than is there is called again at
// once (the epoll is level-triggered).
type Poller struct {
	epfd int

	mu     sync.Mutex
	descs  map[uint64]*Desc
	nextID uint64
	closed bool
	done   chan struct{}
}

// Desc is one connection's registration.
type Desc struct {
	p          *Poller
	id         uint64
	fd         int
	onReadable func(*Desc)
}

// New starts a poller.
func New() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &Poller{epfd: epfd, descs: map[uint64]*Desc{}, done: make(chan struct{})}
	go p.loop()
	return p, nil
}

// event packs the registration id into the event's data, so that an event
// for a file descriptor number that was closed and reused meanwhile cannot
// reach the new connection's callback.
func event(id uint64) unix.EpollEvent {
	return unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT, Fd: int32(id), Pad: int32(id >> 32)}
}

// Add registers conn; onReadable runs once conn has data (or was closed by
// the peer), given the registration. Call Resume after each callback to hear
// of the next data.
func (p *Poller) Add(conn net.Conn, onReadable func(*Desc)) (*Desc, error) {
	fd, err := fdOf(conn)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	p.nextID++
	d := &Desc{p: p, id: p.nextID, fd: fd, onReadable: onReadable}
	p.descs[d.id] = d
	p.mu.Unlock()
	ev := event(d.id)
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		p.forget(d)
		return nil, err
	}
	return d, nil
}

// Resume re-arms the registration after a callback.
func (d *Desc) Resume() error {
	ev := event(d.id)
	return unix.EpollCtl(d.p.epfd, unix.EPOLL_CTL_MOD, d.fd, &ev)
}

// Remove forgets the registration. Call it before closing the connection.
func (d *Desc) Remove() {
	_ = unix.EpollCtl(d.p.epfd, unix.EPOLL_CTL_DEL, d.fd, nil)
	d.p.forget(d)
}

func (p *Poller) forget(d *Desc) {
	p.mu.Lock()
	delete(p.descs, d.id)
	p.mu.Unlock()
}

// Close stops the poller; registered connections are not closed.
func (p *Poller) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	<-p.done
	return unix.Close(p.epfd)
}

// waitTimeout bounds each wait so that Close is noticed.
const waitTimeout = 200 * time.Millisecond

func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	for {
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return
		}
		n, err := unix.EpollWait(p.epfd, events, int(waitTimeout/time.Millisecond))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			p.mu.Lock()
			d := p.descs[id]
			p.mu.Unlock()
			if d != nil {
				go d.onReadable(d)
			}
		}
		if n > 0 {
			// The callbacks were queued on this goroutine's P, and the next
			// EpollWait blocks in a syscall still holding it: until the
			// runtime takes the P back (up to milliseconds) they would wait.
			// Yield so that they run first.
			runtime.Gosched()
		}
	}
}
