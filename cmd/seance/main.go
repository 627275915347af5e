// Command seance is the Séance server: REST API, WebSocket rooms, the spirit
// and the web UI in one binary.
//
//	seance [serve] [flags]   run the server (the default)
//	seance migrate [flags]   bring the database schema up to date and exit
//	seance ask [flags] "question"   print the configured spirit's answer
//	seance load [flags]      open many WebSocket clients against a server and measure
//	seance version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
)

func main() {
	if addr := os.Getenv("SEANCE_PPROF_ADDR"); addr != "" {
		go servePprof(addr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "seance:", oneLine(err.Error()))
		}
		os.Exit(1)
	}
}

// servePprof serves the Go profiler, only when SEANCE_PPROF_ADDR asks for
// it: /debug/pprof/cmdline shows the command line (a --jwt-secret flag
// with it) to whoever reaches the address, and profiles tell a lot about a
// server. It has a mux of its own, so nothing else registered on the
// default one is ever served.
func servePprof(addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: readHeaderTimeout}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "seance: pprof:", err)
	}
}

// run is the whole program; main only supplies the process's context,
// arguments, environment and output, so tests can call run directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stderr)
	case "migrate":
		return migrate(ctx, args, getenv, stdout, stderr)
	case "ask":
		return ask(ctx, args, getenv, stdout, stderr)
	case "load":
		return load(ctx, args, stdout, stderr)
	case "version":
		_, err := fmt.Fprintln(stdout, "seance", version())
		return err
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}

const usage = `usage: seance [command] [flags]

commands:
  serve     run the server (default)
  migrate   bring the database schema up to date and exit
  ask       ask the spirit one question in the terminal ("seance ask -h")
  load      run the load tool against a running server ("seance load -h")
  version   print the version

Run "seance serve -h" for the flags; each has an environment variable (SEANCE_*).
`

// version is the module version, or the VCS revision of a development build.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "-dirty"
	}
	return "devel-" + rev
}

// oneLine folds a multi-line error (pgx lists every address it tried) onto
// one line, so that start-up failures read as one clear sentence.
func oneLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, "; ")
}
