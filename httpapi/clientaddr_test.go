package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddress(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name   string
		remote string
		xff    []string // one entry per header line
		want   string
	}{
		{"no proxy", "203.0.113.7:5000", nil, "203.0.113.7"},
		{"untrusted peer's header ignored", "203.0.113.7:5000", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy", "10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"trusted proxy, nothing forwarded", "10.1.2.3:5000", nil, "10.1.2.3"},
		{"spoofed entries left of the real one", "10.1.2.3:5000", []string{"1.1.1.1, 2.2.2.2, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted proxies", "10.1.2.3:5000", []string{"198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"header on several lines", "10.1.2.3:5000", []string{"1.1.1.1", "198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"all hops trusted", "10.1.2.3:5000", []string{"10.7.7.7, 10.8.8.8"}, "10.7.7.7"},
		{"garbage from a trusted hop's side", "10.1.2.3:5000", []string{"not-an-ip, 10.8.8.8"}, "10.8.8.8"},
		{"garbage as the last hop", "10.1.2.3:5000", []string{"198.51.100.1, <script>"}, "10.1.2.3"},
		{"forwarded with a port", "10.1.2.3:5000", []string{"198.51.100.1:4444"}, "198.51.100.1"},
		{"IPv4-mapped IPv6 peer", "[::ffff:203.0.113.7]:5000", nil, "203.0.113.7"},
		{"IPv6 counted by /64", "[2001:db8:1:2:3:4:5:6]:5000", nil, "2001:db8:1:2::/64"},
		{"IPv6 neighbours share a budget", "[2001:db8:1:2:ffff::1]:5000", nil, "2001:db8:1:2::/64"},
		{"IPv6 behind an IPv6 proxy", "[fd00::1]:5000", []string{"[2001:db8::1]"}, "2001:db8::/64"},
		{"not an IP peer", "@unix", []string{"198.51.100.1"}, "@unix"},
	}
	s := &Server{Deps: Deps{TrustedProxies: proxies}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddress(r); got != tt.want {
				t.Fatalf("clientAddress = %q, want %q", got, tt.want)
			}
		})
	}
}
