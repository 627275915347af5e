package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seancehq/seance/loadgen"
)

// TestLoadSmall is a small version of the load runs in BENCHMARKS.md: a real
// server, real WebSocket clients, every delivery accounted for. All of them
// come from one address, so the per-address limits are off, as the load
// tool tells operators to do.
func TestLoadSmall(t *testing.T) {
	base, _, _ := startServer(t, env(
		"SEANCE_ADDR", "127.0.0.1:0",
		"SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "load.db"),
		"SEANCE_LIMIT_CREATE", "0",
		"SEANCE_LIMIT_JOIN", "0",
		"SEANCE_LIMIT_CONNS", "0",
	))
	res, err := loadgen.Run(context.Background(), loadgen.Config{
		BaseURL:   base,
		Clients:   60,
		AskEvery:  time.Second,
		TypeEvery: 2 * time.Second,
		Duration:  3 * time.Second,
		Ramp:      500 * time.Millisecond,
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
}
