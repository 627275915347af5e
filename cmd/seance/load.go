package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/seancehq/seance/loadgen"
)

// load runs the load tool against a running server and prints its report.
func load(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("seance load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg loadgen.Config
	fs.StringVar(&cfg.BaseURL, "url", "http://127.0.0.1:8000", "base URL of the server")
	fs.IntVar(&cfg.Clients, "clients", 600, "WebSocket clients to open")
	fs.IntVar(&cfg.Sessions, "sessions", 0, "séances to spread them over (0: séances of 6)")
	fs.DurationVar(&cfg.AskEvery, "ask-every", 10*time.Second, "each client asks this often (0: idle connections)")
	fs.DurationVar(&cfg.TypeEvery, "type-every", 0, "each client sends typing this often (0: never)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to measure once everyone joined")
	fs.DurationVar(&cfg.Ramp, "ramp", 5*time.Second, "spread the connects over this long")
	fs.IntVar(&cfg.ServerPID, "pid", 0, "server process id: report its memory per connection (same machine only)")
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
