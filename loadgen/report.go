package loadgen

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Write prints the result for a person: what joined, what was asked, what
// arrived and how fast, the server's memory, every error seen, and a hint
// when the errors have a usual cause.
func (r Result) Write(w io.Writer) {
	fmt.Fprintf(w, "Séance load: %d clients in %d séances\n", r.Clients, r.Sessions)
	fmt.Fprintf(w, "  joined       %d (failed %d, disconnected later %d)\n", r.Joined, r.Failed, r.Disconnected)
	switch {
	case r.Sent > 0:
		fmt.Fprintf(w, "  measured     %.1fs\n", r.Measured.Seconds())
	case r.Measured >= 100*time.Millisecond:
		fmt.Fprintf(w, "  held idle    %.1fs\n", r.Measured.Seconds())
	}
	if r.Sent > 0 {
		fmt.Fprintf(w, "  questions    sent %d, refused by the server %d\n", r.Sent, r.Refused)
		fmt.Fprintf(w, "  deliveries   expected %d, delivered %d (%.1f/s), lost %d (%s), duplicated %d\n",
			r.Expected, r.Delivered, r.DeliveriesPerSec, r.Lost, percent(r.Lost, r.Expected), r.Duplicated)
		fmt.Fprintf(w, "  latency      p50 %s  p99 %s  max %s\n",
			fmtDuration(r.LatencyP50), fmtDuration(r.LatencyP99), fmtDuration(r.LatencyMax))
	} else {
		fmt.Fprintf(w, "  questions    none (idle)\n")
	}
	if r.RSSAfter > 0 {
		fmt.Fprintf(w, "  server RSS   before %s, after %s", mib(r.RSSBefore), mib(r.RSSAfter))
		if r.Joined > 0 {
			fmt.Fprintf(w, ": %.1f KiB per joined connection", r.BytesPerConn/1024)
		}
		fmt.Fprintln(w)
	}
	if len(r.Errors) == 0 {
		fmt.Fprintf(w, "  errors       none\n")
		return
	}
	keys := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return cmp.Or(cmp.Compare(r.Errors[b], r.Errors[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s ×%d", k, r.Errors[k])
	}
	fmt.Fprintf(w, "  errors       %s\n", strings.Join(parts, ", "))
	for _, h := range hints(keys) {
		fmt.Fprintf(w, "  hint: %s\n", h)
	}
}

// hints explains the errors a load run from one machine usually meets,
// which are about the test setup rather than the server under test.
func hints(keys []string) []string {
	var out []string
	has := func(prefix string) bool {
		return slices.ContainsFunc(keys, func(k string) bool { return strings.HasPrefix(k, prefix) })
	}
	if has("http 429") || has("http 503") {
		out = append(out, "every client comes from one address, so the server's per-address limits refuse most of them: "+
			"run the server with SEANCE_LIMIT_JOIN=0 SEANCE_LIMIT_CONNS=0 SEANCE_LIMIT_CREATE=0")
	}
	if has("http 403") {
		out = append(out, "the server refused the Origin header: send one listed in SEANCE_CORS_ORIGINS, or none")
	}
	if has("dial: too many open files") {
		out = append(out, "the open-files limit ran out: raise the hard limit (ulimit -Hn) for the load tool")
	}
	if has("dial: no free local port") {
		out = append(out, "the local ports ran out: widen net.ipv4.ip_local_port_range, or connect to several server addresses")
	}
	if has("RATE_LIMITED") {
		out = append(out, "RATE_LIMITED: the server accepts 5 questions per 10 s per participant; ask less often than every 2 s")
	}
	if has("close 1008") {
		out = append(out, "close 1008: the server dropped clients that could not keep up; the load machine may be saturated")
	}
	return out
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.3f%%", 100*float64(part)/float64(whole))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
