package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// BenchmarkColdStart measures a fresh process, from exec to its first healthy
// /health answer, on a new SQLite database (so migrations run each time).
//
//	go test ./cmd/seance -run '^$' -bench ColdStart -benchtime 20x
func BenchmarkColdStart(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "seance")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		addr := freeAddr(b)
		cmd := exec.Command(bin)
		cmd.Env = []string{
			"SEANCE_ADDR=" + addr,
			"SEANCE_DATABASE_URL=sqlite:" + filepath.Join(b.TempDir(), fmt.Sprintf("cold-%d.db", i)),
			"SEANCE_LOG_LEVEL=warn",
		}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := client.Get("http://" + addr + "/health")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(start) > 10*time.Second {
				b.Fatal("not healthy within 10 s")
			}
			time.Sleep(500 * time.Microsecond)
		}
		took = append(took, time.Since(start))
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	b.StopTimer()
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms-to-healthy")
	b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms-to-healthy")
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
