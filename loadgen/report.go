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
// when the errors have a usual cause. With several nodes it adds each
// node's share, the same-node and cross-node deliveries apart, and each
// process's memory.
func (r Result) Write(w io.Writer) {
	multi := len(r.Nodes) > 1
	if multi {
		fmt.Fprintf(w, "Séance load: %d clients in %d séances over %d nodes\n", r.Clients, r.Sessions, len(r.Nodes))
		for i, n := range r.Nodes {
			fmt.Fprintf(w, "  %-12s %s: %s created, %s, joined %d (failed %d)\n",
				fmt.Sprintf("node %d", i+1), n.URL, plural(n.Sessions, "séance"), plural(n.Clients, "client"), n.Joined, n.Failed)
		}
	} else {
		fmt.Fprintf(w, "Séance load: %d clients in %d séances\n", r.Clients, r.Sessions)
	}
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
		if multi {
			r.SameNode.write(w, "same-node")
			r.CrossNode.write(w, "cross-node")
		}
	} else {
		fmt.Fprintf(w, "  questions    none (idle)\n")
	}
	r.writeMemory(w, multi)
	r.writeErrors(w)
}

// write prints one path's line, aligned under the overall latency.
func (d Deliveries) write(w io.Writer, name string) {
	if d.Expected == 0 && d.Delivered == 0 {
		fmt.Fprintf(w, "    %-10s none\n", name)
		return
	}
	fmt.Fprintf(w, "    %-10s p50 %s  p99 %s  max %s  (delivered %d of %d, lost %d)\n", name,
		fmtDuration(d.LatencyP50), fmtDuration(d.LatencyP99), fmtDuration(d.LatencyMax), d.Delivered, d.Expected, d.Lost)
}

func (r Result) writeMemory(w io.Writer, multi bool) {
	if r.RSSAfter <= 0 {
		return
	}
	if !multi {
		fmt.Fprintf(w, "  server RSS   before %s, after %s", mib(r.RSSBefore), mib(r.RSSAfter))
		if r.Joined > 0 {
			fmt.Fprintf(w, ": %.1f KiB per joined connection", r.BytesPerConn/1024)
		}
		fmt.Fprintln(w)
		return
	}
	label := "server RSS"
	first := map[int]int{} // PID → the first node it was listed for
	for i, n := range r.Nodes {
		fmt.Fprintf(w, "  %-12s node %d (pid %d): ", label, i+1, n.PID)
		label = ""
		if j, seen := first[n.PID]; seen {
			fmt.Fprintf(w, "the same process as node %d\n", j+1)
			continue
		}
		first[n.PID] = i
		fmt.Fprintf(w, "before %s, after %s", mib(n.RSSBefore), mib(n.RSSAfter))
		if n.BytesPerConn != 0 {
			fmt.Fprintf(w, ": %.1f KiB per joined connection", n.BytesPerConn/1024)
		}
		fmt.Fprintln(w)
	}
	procs := "1 process"
	if len(first) > 1 {
		procs = fmt.Sprintf("%d processes", len(first))
	}
	fmt.Fprintf(w, "  %-12s total of %s: before %s, after %s", "", procs, mib(r.RSSBefore), mib(r.RSSAfter))
	if r.Joined > 0 {
		fmt.Fprintf(w, ": %.1f KiB per joined connection", r.BytesPerConn/1024)
	}
	fmt.Fprintln(w)
}

func (r Result) writeErrors(w io.Writer) {
	nodeHints := r.nodeHints()
	if len(r.Errors) == 0 {
		fmt.Fprintf(w, "  errors       none\n")
		for _, h := range nodeHints {
			fmt.Fprintf(w, "  hint: %s\n", h)
		}
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
	for _, h := range append(hints(keys), nodeHints...) {
		fmt.Fprintf(w, "  hint: %s\n", h)
	}
}

// nodeHints points at what usually goes wrong in a multi-node run: one node
// down or misconfigured, or URLs that are not one cluster, where a séance is
// known only to the node that created it and its other members cannot join,
// or join and hear nothing from across.
func (r Result) nodeHints() []string {
	if len(r.Nodes) < 2 {
		return nil
	}
	var out []string
	var failing []string
	for i, n := range r.Nodes {
		if n.Failed > 0 {
			failing = append(failing, fmt.Sprintf("node %d (%d of %d)", i+1, n.Failed, n.Clients))
		}
	}
	if len(failing) > 0 {
		out = append(out, "clients failed to join through "+strings.Join(failing, ", ")+
			": is every node up, and are they one cluster? A séance created through one node is joined through the others, so they must share the database")
	}
	if r.CrossNode.Lost > 0 && r.SameNode.Lost == 0 {
		out = append(out, "only cross-node deliveries were lost: the nodes may not share a message broker (SEANCE_REDIS_URL)")
	}
	return out
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
			"run the server with SEANCE_LIMIT_JOIN=0 SEANCE_LIMIT_CONNS=0 SEANCE_LIMIT_HTTP_CONNS=0 SEANCE_LIMIT_CREATE=0")
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
