package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance/loadgen"
)

// TestLoadSmall is a small version of the load runs in BENCHMARKS.md: a real
// server, real WebSocket clients, every delivery accounted for. All of them
// come from one address, so the per-address limits are off, as the load
// tool tells operators to do.
//
// The second run lists the server twice, which is as close to a cluster as
// one process gets: the clients are split over two "nodes" and the
// accounting must split with them, while every delivery still arrives.
func TestLoadSmall(t *testing.T) {
	base, _, _ := startServer(t, env(
		"SEANCE_ADDR", "127.0.0.1:0",
		"SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "load.db"),
		"SEANCE_LIMIT_CREATE", "0",
		"SEANCE_LIMIT_JOIN", "0",
		"SEANCE_LIMIT_CONNS", "0",
		"SEANCE_LIMIT_HTTP_CONNS", "0",
	))
	for _, tt := range []struct {
		name  string
		urls  string
		nodes int
	}{
		{"one URL", base, 1},
		{"the same server listed twice", base + "," + base + "/", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := loadgen.Run(context.Background(), loadgen.Config{
				BaseURL:   tt.urls,
				Clients:   60,
				AskEvery:  time.Second,
				TypeEvery: 2 * time.Second,
				Duration:  3 * time.Second,
				Ramp:      500 * time.Millisecond,
				// Loss is what this checks: a race-detector build beside
				// the rest of the suite on two cores can take seconds.
				Grace: 8 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			var report strings.Builder
			res.Write(&report)
			t.Log("\n" + report.String())
			if res.Joined != 60 || res.Failed != 0 || res.Disconnected != 0 {
				t.Fatalf("joined %d, failed %d, disconnected %d", res.Joined, res.Failed, res.Disconnected)
			}
			if res.Sent == 0 || res.Delivered == 0 || res.Delivered != res.Expected {
				t.Fatalf("sent %d, expected %d deliveries, delivered %d", res.Sent, res.Expected, res.Delivered)
			}
			if res.Lost != 0 || res.Duplicated != 0 {
				t.Fatalf("lost %d, duplicated %d", res.Lost, res.Duplicated)
			}
			if len(res.Nodes) != tt.nodes {
				t.Fatalf("%d nodes in the result, want %d", len(res.Nodes), tt.nodes)
			}
			for i, n := range res.Nodes {
				if n.Clients != 60/tt.nodes || n.Joined != n.Clients || n.Sessions != 10/tt.nodes {
					t.Errorf("node %d: %+v; want %d clients, all joined, %d séances", i+1, n, 60/tt.nodes, 10/tt.nodes)
				}
			}
			same, cross := res.SameNode, res.CrossNode
			if same.Delivered+cross.Delivered != res.Delivered || same.Expected+cross.Expected != res.Expected {
				t.Errorf("same-node %+v and cross-node %+v do not add up to %d of %d", same, cross, res.Delivered, res.Expected)
			}
			switch tt.nodes {
			case 1:
				if cross != (loadgen.Deliveries{}) {
					t.Errorf("one node, yet cross-node deliveries: %+v", cross)
				}
			default:
				// Séances of 6 over two nodes: 3 members on each, so every
				// question has as many members across as beside its asker.
				if cross.Expected != same.Expected || cross.LatencyMax <= 0 || same.LatencyMax <= 0 {
					t.Errorf("same-node %+v, cross-node %+v: want half each, with latencies", same, cross)
				}
				if !strings.Contains(report.String(), "over 2 nodes") || !strings.Contains(report.String(), "cross-node p50") {
					t.Errorf("the report does not show the nodes")
				}
			}
		})
	}
}

func TestLoadPIDs(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{in: "4242", want: []int{4242}},
		{in: "101,102", want: []int{101, 102}},
		{in: " 101 , 102 ,103", want: []int{101, 102, 103}},
		{in: "7,7", want: []int{7, 7}},
		{in: "", wantErr: `"" is not a process id`},
		{in: "0", want: nil},
		{in: "-1", wantErr: `"-1" is not a process id`},
		{in: "101,0", wantErr: `entry 2 of 2, "0", is not a process id`},
		{in: "seance", wantErr: `"seance" is not a process id`},
		{in: "101,", wantErr: `entry 2 of 2, "", is not a process id`},
		{in: "101,-3,103", wantErr: `entry 2 of 3, "-3", is not a process id`},
	}
	for _, tt := range tests {
		got, err := parsePIDs(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("parsePIDs(%q) error %v, want %q", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("parsePIDs(%q): %v", tt.in, err)
		case !slices.Equal(got, tt.want) || (tt.want == nil) != (got == nil):
			t.Errorf("parsePIDs(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestLoadArgs checks that a bad command line is refused before anything
// is dialled, with the entry at fault named.
func TestLoadArgs(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"--url", "http://127.0.0.1:1,127.0.0.1:2"}, `base URL 2 of 2, "127.0.0.1:2": want http://host:port`},
		{[]string{"--url", "http://127.0.0.1:1,,http://127.0.0.1:2"}, "base URL 2 of 3"},
		{[]string{"--url", "ftp://127.0.0.1:1"}, "scheme must be http or https"},
		{[]string{"--url", "http://127.0.0.1:1,http://127.0.0.1:2", "--pid", "101"}, "1 server PID for 2 base URLs"},
		{[]string{"--url", "http://127.0.0.1:1", "--pid", "101,102"}, "2 server PIDs for 1 base URL"},
		{[]string{"--pid", "101,x"}, `entry 2 of 2, "x", is not a process id`},
		{[]string{"--clients", "0"}, "at least 1"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var stderr strings.Builder
		err := load(t.Context(), tt.args, io.Discard, &stderr)
		// Flag errors are printed with the usage and returned; the rest are
		// returned only.
		if err == nil || !strings.Contains(err.Error()+stderr.String(), tt.wantErr) {
			t.Errorf("load %q: error %v, want one containing %q\n%s", tt.args, err, tt.wantErr, stderr.String())
		}
	}
}

func TestLoadHelp(t *testing.T) {
	var stderr strings.Builder
	if err := load(t.Context(), []string{"-h"}, io.Discard, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("load -h: %v", err)
	}
	for _, want := range []string{"usage: seance load", "comma-separated", "(k + s) mod N", "-pid", "-url", "listed more than once"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the help lacks %q:\n%s", want, stderr.String())
		}
	}
}
