// Package loadgen is the Séance load tool. It speaks only the public contract
// over the network — REST to create séances, the [orig] identify flow on
// /ws/{id} to join them — so it measures whatever server it is pointed at,
// one node or a cluster, without knowing how that server is built.
//
// One process both sends every question and receives every delivery, so a
// single clock times them: latency is receipt time minus send time, for every
// member of the séance, the sender included.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Config describes one load run.
type Config struct {
	// BaseURL is the server, http://127.0.0.1:8000, or a cluster: one base
	// URL per node, comma-separated. Séance s is created through node s mod N
	// and member k of séance s connects to node (k + s) mod N, so about
	// (N-1)/N of the deliveries cross nodes. A URL may be listed twice; its
	// entries count as different nodes.
	BaseURL   string
	Clients   int           // N WebSocket clients
	Sessions  int           // M séances, clients spread evenly; 0 = séances of 6
	AskEvery  time.Duration // each client sends a send_message this often (0 = never: idle mode)
	TypeEvery time.Duration // each client sends typing this often (0 = never)
	Duration  time.Duration // how long to measure after all clients joined (idle mode: how long to hold them after the memory reading)
	Ramp      time.Duration // spread the connects over this long
	// Grace is how long deliveries may arrive after Duration before they
	// count as lost (0: 2 s). A test on a busy machine measures loss, not
	// latency, with a longer one.
	Grace time.Duration
	// ServerPIDs, if set, has one process id per node of BaseURL, in the same
	// order; each VmRSS is read before connecting and after all joined. Nodes
	// sharing a PID are one process, counted once.
	ServerPIDs []int
	Origin     string    // Origin header to send (default: none)
	Progress   io.Writer // progress lines, once a second (nil: none)
}

// Result is what one run measured. Latencies are over every distinct
// delivery of a question to a member; Lost and Duplicated are counted per
// (question, member) pair.
type Result struct {
	Clients, Joined, Failed int
	Sessions                int // séances created
	Disconnected            int // clients that joined and were later closed by the server or the network

	Sent       int64 // questions written to the socket
	Refused    int64 // questions the server answered with an error (RATE_LIMITED, SPIRIT_BUSY…) instead of broadcasting
	Expected   int64 // for each accepted question, the members of its séance joined when it was sent
	Delivered  int64 // distinct (question, member) deliveries
	Lost       int64 // expected deliveries that never arrived, Grace after Duration included
	Duplicated int64 // deliveries of a question to a member beyond the first

	LatencyP50, LatencyP99, LatencyMax time.Duration
	DeliveriesPerSec                   float64
	Measured                           time.Duration // the measuring window as it really ran

	// SameNode and CrossNode split Expected, Delivered, Lost and the
	// latencies by whether the member is connected to the asker's node. Their
	// counts add up to the totals above. With one node everything is same-node.
	SameNode, CrossNode Deliveries

	// Server memory, over every distinct process of ServerPIDs.
	RSSBefore, RSSAfter int64   // VmRSS in bytes
	BytesPerConn        float64 // (RSSAfter − RSSBefore) / Joined

	Nodes []NodeResult // one per base URL, in the order given

	Errors map[string]int // server error codes ("RATE_LIMITED"), close codes ("close 1008"), dial and read failures
}

// Deliveries is the delivery accounting of one path through the server.
type Deliveries struct {
	Expected, Delivered, Lost          int64
	LatencyP50, LatencyP99, LatencyMax time.Duration
}

// NodeResult is one node's share of a run.
type NodeResult struct {
	URL                     string
	Sessions                int // séances created through it
	Clients, Joined, Failed int // clients that connect to it

	PID                 int   // from ServerPIDs; 0 = not measured
	RSSBefore, RSSAfter int64 // its process's VmRSS in bytes
	// BytesPerConn divides the process's growth by the connections joined
	// to every node it serves, so a process listed under two URLs is not
	// charged twice.
	BytesPerConn float64
}

const (
	// roomLimit is the contract's limit on a séance's size (max_users).
	roomLimit = 12
	// defaultRoom is the contract's default max_users, used when Sessions is 0.
	defaultRoom = 6
	// joinTimeout bounds dial + handshake + identify + session_state, longer
	// than the server's own 10 s identify deadline so that its verdict (close
	// 4008) is what gets counted rather than our impatience.
	joinTimeout = 30 * time.Second
	// writeTimeout keeps one stuck socket from stalling its client forever.
	writeTimeout = 10 * time.Second
	// defaultGrace lets questions sent at the very end of the window arrive
	// before anything is called lost.
	defaultGrace = 2 * time.Second
	// idleSettle gives the server time to finish per-join work (and the
	// handshake garbage time to become collectable) before RSS is read.
	idleSettle = 3 * time.Second
	// fdSlack covers the REST connections, the /proc reads and stdio.
	fdSlack = 64
)

// plan is a validated Config with the derived numbers.
type plan struct {
	Config
	nodes    []node
	perRoom  int // ceil(Clients/Sessions)
	maxUsers int // max_users sent on creation (the API's minimum is 2)
}

// node is one server base URL, in both schemes the run needs.
type node struct {
	base   string // http(s)://host:port[/prefix]
	wsBase string // ws(s)://host:port[/prefix]
}

func (cfg Config) plan() (plan, error) {
	p := plan{Config: cfg}
	var err error
	if p.nodes, err = parseNodes(cfg.BaseURL); err != nil {
		return p, err
	}
	switch {
	case cfg.Clients < 1:
		return p, fmt.Errorf("loadgen: clients must be at least 1, not %d", cfg.Clients)
	case cfg.Sessions < 0:
		return p, fmt.Errorf("loadgen: sessions must not be negative")
	case cfg.AskEvery < 0, cfg.TypeEvery < 0, cfg.Duration < 0, cfg.Ramp < 0:
		return p, fmt.Errorf("loadgen: durations must not be negative")
	case cfg.AskEvery > 0 && cfg.Duration == 0:
		return p, fmt.Errorf("loadgen: asking every %v needs a duration to measure", cfg.AskEvery)
	case len(cfg.ServerPIDs) > 0 && len(cfg.ServerPIDs) != len(p.nodes):
		return p, fmt.Errorf("loadgen: %s for %s: give one per node, in the same order",
			plural(len(cfg.ServerPIDs), "server PID"), plural(len(p.nodes), "base URL"))
	}
	for i, pid := range cfg.ServerPIDs {
		if pid <= 0 {
			return p, fmt.Errorf("loadgen: server PID %d of %d is %d: want a process id", i+1, len(cfg.ServerPIDs), pid)
		}
	}
	if p.Sessions == 0 {
		p.Sessions = ceilDiv(cfg.Clients, defaultRoom)
	}
	if p.Sessions > cfg.Clients {
		return p, fmt.Errorf("loadgen: %d séances for %d clients would leave séances empty", p.Sessions, cfg.Clients)
	}
	p.perRoom = ceilDiv(cfg.Clients, p.Sessions)
	if p.perRoom > roomLimit {
		return p, fmt.Errorf("loadgen: %d clients in %d séances need %d per séance, but a séance holds at most %d: use at least %d séances",
			cfg.Clients, p.Sessions, p.perRoom, roomLimit, ceilDiv(cfg.Clients, roomLimit))
	}
	p.maxUsers = max(p.perRoom, 2)
	return p, nil
}

// parseNodes splits a comma-separated list of base URLs. Errors name the
// entry by its position, since in a list of similar addresses the text
// alone is hard to find.
func parseNodes(list string) ([]node, error) {
	parts := strings.Split(list, ",")
	nodes := make([]node, len(parts))
	for i, raw := range parts {
		n, err := parseNode(strings.TrimSpace(raw))
		switch {
		case err == nil:
			nodes[i] = n
		case len(parts) == 1:
			return nil, fmt.Errorf("loadgen: base URL %q: %w", raw, err)
		case strings.TrimSpace(raw) == "":
			return nil, fmt.Errorf("loadgen: base URL %d of %d in %q is empty", i+1, len(parts), list)
		default:
			return nil, fmt.Errorf("loadgen: base URL %d of %d, %q: %w", i+1, len(parts), raw, err)
		}
	}
	return nodes, nil
}

func parseNode(raw string) (node, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return node{}, errors.New("want http://host:port")
	}
	// Paths are appended to the base as text, so a query or fragment would
	// end up in the middle of every request's path.
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return node{}, errors.New("want http://host:port[/prefix], without a query or fragment")
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return node{}, errors.New("scheme must be http or https")
	}
	return node{
		base:   strings.TrimRight(raw, "/"),
		wsBase: strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"),
	}, nil
}

// seanceOf is the séance client i joins: clients are dealt to séances like
// cards, so every séance fills up evenly.
func (p plan) seanceOf(i int) int { return i % p.Sessions }

// nodeOf is the node client i connects to: member k of séance s goes to node
// (k + s) mod N. Member 0 is on the node that created the séance, the other
// members go round the nodes from there, and the starting node moves with s
// so that every node gets its share of clients even with tiny séances.
func (p plan) nodeOf(i int) int { return (i/p.Sessions + i%p.Sessions) % len(p.nodes) }

func (p plan) bases() []string {
	out := make([]string, len(p.nodes))
	for i, n := range p.nodes {
		out[i] = n.base
	}
	return out
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// run is the state shared by every client of one Run.
type run struct {
	plan
	dialer *websocket.Dialer
	header http.Header

	questions sync.Map // question id → *question; written once per question, read by every member
	errs      errorCounts
	hist      histogram // for the progress line only; the final percentiles are exact

	joined, failed, disconnected atomic.Int64
	sent, delivered              atomic.Int64
	phase                        atomic.Value // string, for the progress line

	// counting is true from the start of asking until the grace period ends:
	// deliveries after it are not "received by the end".
	counting atomic.Bool

	joinWG sync.WaitGroup // one per client until it is joined or has failed

	// Server VmRSS by PID, read before the joins and once they are done.
	rssBefore, rssAfter map[int]int64
}

// Run creates the séances, joins every client (spread over cfg.Ramp), makes
// them ask and type for cfg.Duration, waits cfg.Grace for late deliveries, closes
// every connection, ends the séances and reports what arrived. In idle mode
// (AskEvery 0) it instead waits a few seconds after the joins, reads the
// server's memory and holds the connections for Duration.
//
// The Result is meaningful even with an error: if ctx ends early, Run stops at
// once, closes everything and returns what it measured so far with ctx's
// error; if no client could join, Result.Errors says why.
func Run(ctx context.Context, cfg Config) (Result, error) {
	p, err := cfg.plan()
	if err != nil {
		return Result{}, err
	}
	if err := raiseFileLimit(uint64(p.Clients + fdSlack)); err != nil {
		return Result{}, err
	}
	r := newRun(p)
	r.phase.Store("creating")
	res := Result{Clients: p.Clients}

	rest := newREST(p.bases())
	defer rest.close()
	rooms, err := rest.createSeances(ctx, p.Sessions, p.maxUsers)
	defer rest.endSeances(rooms)
	res.Sessions = len(rooms)
	res.Nodes = r.nodeResults(rooms, nil)
	if err != nil {
		return res, err
	}

	if len(p.ServerPIDs) > 0 {
		if r.rssBefore, err = readRSSAll(p.ServerPIDs); err != nil {
			return res, err
		}
	}

	stopProgress := r.startProgress()

	r.phase.Store("joining")
	clients := make([]*client, p.Clients)
	start := time.Now()
	r.joinWG.Add(p.Clients)
	for i := range clients {
		c := newClient(i, p.nodeOf(i), rooms[p.seanceOf(i)])
		clients[i] = c
		at := start
		if p.Clients > 1 {
			at = start.Add(time.Duration(int64(p.Ramp) * int64(i) / int64(p.Clients-1)))
		}
		go r.join(ctx, c, at)
	}
	// When ctx ends, every join gives up at once (its dial and its wait
	// both watch ctx), so waiting for them all stays short.
	r.joinWG.Wait()

	var runErr error
	if ctx.Err() == nil {
		runErr = r.measure(ctx, clients, &res)
	}
	r.counting.Store(false)
	r.phase.Store("closing")
	var wg sync.WaitGroup
	for _, c := range clients {
		if c.ok {
			wg.Go(func() { r.hangUp(c) })
		}
	}
	wg.Wait()
	stopProgress()

	t := tally(clients)
	res.Joined = int(r.joined.Load())
	res.Failed = int(r.failed.Load())
	res.Disconnected = int(r.disconnected.Load())
	res.Sent, res.Refused, res.Expected = t.sent, t.refused, t.expected
	res.Delivered, res.Lost, res.Duplicated = t.delivered, t.lost, t.duplicated
	res.LatencyP50, res.LatencyP99, res.LatencyMax = t.p50, t.p99, t.max
	res.SameNode, res.CrossNode = t.same, t.cross
	if res.Measured > 0 {
		res.DeliveriesPerSec = float64(t.delivered) / res.Measured.Seconds()
	}
	res.Nodes = r.nodeResults(rooms, clients)
	res.RSSBefore, res.RSSAfter, res.BytesPerConn = memory(res.Nodes, r.rssBefore, r.rssAfter)
	res.Errors = r.errs.snapshot()
	if runErr == nil {
		runErr = ctx.Err()
	}
	return res, runErr
}

// nodeResults counts each node's séances and clients; clients is nil before
// any client exists.
func (r *run) nodeResults(rooms []*room, clients []*client) []NodeResult {
	out := make([]NodeResult, len(r.nodes))
	for i, n := range r.nodes {
		out[i].URL = n.base
		if len(r.ServerPIDs) > 0 {
			out[i].PID = r.ServerPIDs[i]
		}
	}
	for _, rm := range rooms {
		out[rm.node].Sessions++
	}
	for _, c := range clients {
		n := &out[c.node]
		n.Clients++
		switch {
		case c.ok:
			n.Joined++
		case c.failed:
			n.Failed++
		}
	}
	return out
}

// memory fills in each node's process memory from the readings and returns
// the totals over the distinct processes. A reading that is missing (the run
// ended before it) leaves the figures it feeds at zero.
func memory(nodes []NodeResult, before, after map[int]int64) (rssBefore, rssAfter int64, perConn float64) {
	joined := map[int]int{} // PID → connections joined to the nodes it serves
	total := 0
	for _, n := range nodes {
		if n.PID > 0 {
			joined[n.PID] += n.Joined
			total += n.Joined
		}
	}
	for i := range nodes {
		n := &nodes[i]
		if n.PID <= 0 {
			continue
		}
		n.RSSBefore, n.RSSAfter = before[n.PID], after[n.PID]
		if n.RSSAfter > 0 && joined[n.PID] > 0 {
			n.BytesPerConn = float64(n.RSSAfter-n.RSSBefore) / float64(joined[n.PID])
		}
	}
	if len(after) == 0 {
		// Without the second reading there is nothing to compare with, and a
		// total of "before" alone would read as the server shrinking.
		for _, b := range before {
			rssBefore += b
		}
		return rssBefore, 0, 0
	}
	for pid, b := range before {
		rssBefore += b
		rssAfter += after[pid]
	}
	if total > 0 {
		perConn = float64(rssAfter-rssBefore) / float64(total)
	}
	return rssBefore, rssAfter, perConn
}

func newRun(p plan) *run {
	r := &run{
		plan: p,
		dialer: &websocket.Dialer{
			Proxy:            nil, // a load test targets the server itself, never a proxy from the environment
			HandshakeTimeout: joinTimeout,
			// Small buffers and a shared write-buffer pool keep 10,000 client
			// connections from eating the memory the server is measured with.
			ReadBufferSize:  1024,
			WriteBufferSize: 1024,
			WriteBufferPool: &sync.Pool{},
		},
		header: http.Header{},
	}
	if p.Origin != "" {
		r.header.Set("Origin", p.Origin)
	}
	if r.Progress == nil {
		r.Progress = io.Discard
	}
	return r
}

// measure runs the window once every client is joined or has failed: in
// idle mode it lets the server settle first, reads the server's memory, then
// lets the clients ask and type for Duration and waits out the grace period.
func (r *run) measure(ctx context.Context, clients []*client, res *Result) error {
	if r.joined.Load() == 0 {
		return fmt.Errorf("loadgen: none of the %d clients could join (see the errors)", r.Clients)
	}
	if r.AskEvery == 0 {
		r.phase.Store("settling")
		sleep(ctx, idleSettle)
	}
	if len(r.ServerPIDs) > 0 && ctx.Err() == nil {
		var err error
		if r.rssAfter, err = readRSSAll(r.ServerPIDs); err != nil {
			return err
		}
	}
	if r.AskEvery == 0 {
		r.phase.Store("idle")
	} else {
		r.phase.Store("measuring")
	}
	r.counting.Store(true)
	began := time.Now()
	for _, c := range clients {
		if c.ok {
			r.startActing(c)
		}
	}
	sleep(ctx, r.Duration)
	for _, c := range clients {
		if c.ok {
			r.stopActing(c)
		}
	}
	res.Measured = time.Since(began)
	if r.AskEvery > 0 {
		r.phase.Store("grace")
		grace := r.Grace
		if grace <= 0 {
			grace = defaultGrace
		}
		sleep(ctx, grace)
	}
	return nil
}

// sleep waits d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// startProgress prints one line a second until the returned function is
// called, which prints a last line and waits for the printer to finish, so
// that Progress is only ever written from one goroutine.
func (r *run) startProgress() (stop func()) {
	quit, finished := make(chan struct{}), make(chan struct{})
	began := time.Now()
	line := func() {
		p99 := "-"
		if d, ok := r.hist.quantile(0.99); ok {
			p99 = fmtDuration(d)
		}
		fmt.Fprintf(r.Progress, "%6.1fs %-9s joined %d/%d  failed %d  sent %d  delivered %d  p99 %s  errors %d\n",
			time.Since(began).Seconds(), r.phase.Load(), r.joined.Load(), r.Clients, r.failed.Load(),
			r.sent.Load(), r.delivered.Load(), p99, r.errs.total())
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				line()
			case <-quit:
				line()
				return
			}
		}
	}()
	return func() { close(quit); <-finished }
}

// errorCounts counts error codes and close codes. Errors are rare next to
// deliveries, so a mutex here costs the hot path nothing.
type errorCounts struct {
	mu sync.Mutex
	m  map[string]int
	n  int
}

func (e *errorCounts) add(key string) {
	e.mu.Lock()
	if e.m == nil {
		e.m = map[string]int{}
	}
	e.m[key]++
	e.n++
	e.mu.Unlock()
}

func (e *errorCounts) total() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

func (e *errorCounts) snapshot() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := maps.Clone(e.m)
	if out == nil {
		out = map[string]int{}
	}
	return out
}
