package httpapi

import (
	"net"
	"net/netip"
	"slices"

	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/ratelimit"
)

// LimitConns returns ln, counting the open connections of each client
// address: one that would go over perAddr is closed as soon as it is
// accepted, before a byte of it is read. A connection keeps its place until
// it is closed, hijacked ones (WebSockets) included. perAddr 0 (or less)
// returns ln as it is.
//
// The address is the TCP peer's (IPv6 by its /64, as the other per-address
// limits count): X-Forwarded-For is not read yet when a connection is
// accepted. So connections from the trusted proxies are not counted at all:
// each carries many clients.
func LimitConns(ln net.Listener, perAddr int, trusted []netip.Prefix, m *metrics.Metrics) net.Listener {
	if perAddr <= 0 {
		return ln
	}
	return &connLimiter{Listener: ln, held: ratelimit.NewConcurrency(perAddr), trusted: trusted, metrics: m}
}

type connLimiter struct {
	net.Listener
	held    *ratelimit.Concurrency
	trusted []netip.Prefix
	metrics *metrics.Metrics
}

// Accept returns the next connection within its address's limit; those over
// it are closed here, and never reach the HTTP server.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		peer, ok := parseAddr(c.RemoteAddr().String())
		if !ok || slices.ContainsFunc(l.trusted, func(p netip.Prefix) bool { return p.Contains(peer) }) {
			return c, nil
		}
		release, ok := l.held.Acquire(key(peer))
		if !ok {
			l.metrics.RateLimited(metrics.LimitHTTPConnections)
			_ = c.Close()
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok {
			return &countedTCPConn{TCPConn: tc, release: release}, nil
		}
		return &countedConn{Conn: c, release: release}, nil
	}
}

// countedTCPConn gives its place back when closed. It embeds the
// *net.TCPConn itself, not a net.Conn, so that what is looked for on a TCP
// connection stays visible: its file descriptor (syscall.Conn, for the
// WebSocket poller), the half-close net/http uses to let a response reach
// the client before the close (CloseWrite), sendfile and splice.
type countedTCPConn struct {
	*net.TCPConn
	release func()
}

func (c *countedTCPConn) Close() error {
	defer c.release()
	return c.TCPConn.Close()
}

// countedConn is countedTCPConn for a connection of another kind.
type countedConn struct {
	net.Conn
	release func()
}

func (c *countedConn) Close() error {
	defer c.release()
	return c.Conn.Close()
}
