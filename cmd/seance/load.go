package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/seancehq/seance/loadgen"
)

const loadUsage = `usage: seance load [flags]

Opens many WebSocket clients against a running server, the way the web UI
does (REST to create séances, /ws/{id} to join them), makes them ask and
type, and prints delivery latency (send → receipt at every member, sender
included, on one clock), lost and duplicated deliveries, and with --pid the
server's memory per connection. Progress goes to stderr each second. Run the
server with SEANCE_LIMIT_CREATE=0 SEANCE_LIMIT_JOIN=0 SEANCE_LIMIT_CONNS=0 SEANCE_LIMIT_HTTP_CONNS=0:
every client comes from this one address.

A cluster: give --url one base URL per node, comma-separated, and --pid
(optional) one process id per node, in the same order. Séance s is created
through node s mod N and member k of séance s connects to node (k + s) mod N,
so a séance's members are spread evenly and about (N-1)/N of the deliveries
cross nodes (half with two, two thirds with three). The report adds each
node's clients and memory, and the latency of same-node and cross-node
deliveries apart. A URL may be listed more than once: each entry is a node of
its own, which exercises the multi-node path against one server (whose
"cross-node" deliveries then never leave the process), and a PID listed more
than once is one process, counted once.

flags:
`

// load runs the load tool against a running server and prints its report.
func load(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seance load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), loadUsage)
		fs.PrintDefaults()
	}
	var cfg loadgen.Config
	fs.StringVar(&cfg.BaseURL, "url", "http://127.0.0.1:8000", "base `URL` of the server, or one per node of a cluster, comma-separated")
	fs.IntVar(&cfg.Clients, "clients", 600, "WebSocket clients to open, spread over the nodes")
	fs.IntVar(&cfg.Sessions, "sessions", 0, "séances to spread them over (0: séances of 6)")
	fs.DurationVar(&cfg.AskEvery, "ask-every", 10*time.Second, "each client asks this often (0: idle connections)")
	fs.DurationVar(&cfg.TypeEvery, "type-every", 0, "each client sends typing this often (0: never)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to measure once everyone joined")
	fs.DurationVar(&cfg.Ramp, "ramp", 5*time.Second, "spread the connects over this long")
	fs.Func("pid", "the server's `PID`, or one per --url entry, comma-separated: report memory per connection (same machine only; 0: none)",
		func(v string) (err error) {
			cfg.ServerPIDs, err = parsePIDs(v)
			return err
		})
	fs.StringVar(&cfg.Origin, "origin", "", "Origin header to send")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("load: unexpected argument %q", fs.Arg(0))
	}
	cfg.Progress = stderr
	res, err := loadgen.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	res.Write(stdout)
	return nil
}

// parsePIDs reads --pid: one process id, or a comma-separated list of them.
// A bad entry is named by its place, as the URLs are, so the two lists can be
// lined up. A lone 0 is the flag's old default, no reading, and stays so.
func parsePIDs(v string) ([]int, error) {
	if strings.TrimSpace(v) == "0" {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	pids := make([]int, len(parts))
	for i, raw := range parts {
		pid, err := strconv.Atoi(strings.TrimSpace(raw))
		if err == nil && pid <= 0 {
			err = errors.New("not positive")
		}
		switch {
		case err == nil:
			pids[i] = pid
		case len(parts) == 1:
			return nil, fmt.Errorf("%q is not a process id", raw)
		default:
			return nil, fmt.Errorf("entry %d of %d, %q, is not a process id", i+1, len(parts), raw)
		}
	}
	return pids, nil
}
