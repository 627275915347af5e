package httpapi

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

type clientKey struct{}

// clientAddr is the address the per-client limits count against.
func clientAddr(ctx context.Context) string {
	a, _ := ctx.Value(clientKey{}).(string)
	return a
}

// withClientAddr works out once per request who the client is, for the
// limits and the log.
func (s *Server) withClientAddr(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := s.clientAddress(r)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientKey{}, addr)))
	})
}

// clientAddress is the peer's address, or, when the peer is one of the
// trusted proxies, the address its X-Forwarded-For names. The header is read
// from the right: each proxy appends the address it got the request from, so
// the rightmost entry not written by a trusted proxy is the first one a
// client could not have forged. Entries further left are whatever the client
// chose to send.
//
// An IPv6 client is counted by its /64: one subscriber usually gets a whole
// /64, and counting single addresses would let it take 2^64 budgets.
func (s *Server) clientAddress(r *http.Request) string {
	peer, ok := parseAddr(r.RemoteAddr)
	if !ok {
		return r.RemoteAddr // not an IP (a unix socket, a test): one budget for all such
	}
	client := peer
	if s.trusted(peer) {
		hops := forwardedFor(r.Header.Values("X-Forwarded-For"))
		for i := len(hops) - 1; i >= 0; i-- {
			a, ok := parseAddr(hops[i])
			if !ok {
				break // a proxy does not write garbage: keep the last hop we can vouch for
			}
			client = a
			if !s.trusted(a) {
				break
			}
		}
	}
	return key(client)
}

func (s *Server) trusted(a netip.Addr) bool {
	return slices.ContainsFunc(s.TrustedProxies, func(p netip.Prefix) bool { return p.Contains(a) })
}

// forwardedFor splits X-Forwarded-For headers, of which there may be several,
// into hops, in order.
func forwardedFor(values []string) []string {
	var hops []string
	for _, v := range values {
		for h := range strings.SplitSeq(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	return hops
}

// parseAddr reads "ip", "ip:port" or "[ipv6]:port".
func parseAddr(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func key(a netip.Addr) string {
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
