// Package netpoll tells when an idle connection has something to read,
// without a goroutine parked on it. A joined WebSocket spends nearly all its
// life idle; a goroutine per connection costs several KiB of stack, an epoll
// registration costs the process almost nothing (see BENCHMARKS.md).
package netpoll

import (
	"errors"
	"net"
	"syscall"
)

// ErrUnsupported is returned by New where there is no epoll (not Linux):
// callers then fall back to a goroutine per connection.
var ErrUnsupported = errors.New("netpoll: not supported on this system")

// ErrClosed is returned by Add after Close.
var ErrClosed = errors.New("netpoll: closed")

// fdOf returns the file descriptor of conn.
func fdOf(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return 0, errors.New("netpoll: connection has no file descriptor")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var fd int
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return 0, err
	}
	return fd, nil
}
