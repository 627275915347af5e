package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seancehq/seance"
	"github.com/seancehq/seance/httpapi"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/inmem"
	"github.com/seancehq/seance/internal/teststore"
	"github.com/seancehq/seance/metrics"
	"github.com/seancehq/seance/spirit"
	"github.com/seancehq/seance/spirit/spirittest"
	"github.com/seancehq/seance/token"
)

// BenchmarkCreateGet measures create-then-get pairs over real HTTP on
// loopback, with the production middleware, metrics and JSON request logs
// (written to io.Discard). One op is one pair. It reports pairs/s and the
// pair latency percentiles. "sqlite-no-metrics" is the same without the
// metrics, to show what they cost.
//
//	go test ./httpapi -run '^$' -bench CreateGet -benchtime 20000x
func BenchmarkCreateGet(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		benchCreateGet(b, teststore.SQLite(b), metrics.New(prometheus.NewRegistry(), "bench"))
	})
	b.Run("sqlite-no-metrics", func(b *testing.B) {
		benchCreateGet(b, teststore.SQLite(b), nil)
	})
	b.Run("postgres", func(b *testing.B) {
		benchCreateGet(b, teststore.Postgres(b), metrics.New(prometheus.NewRegistry(), "bench"))
	})
}

func benchCreateGet(b *testing.B, store seance.Store, m *metrics.Metrics) {
	tokens, _ := token.NewIssuer([]byte(testSecret), time.Hour, time.Now)
	spirits := spirit.NewCatalog(spirit.BuiltinPersonas())
	rooms := hub.New(hub.Config{
		Store: store, Broker: inmem.NewBroker(), Spirit: spirittest.Placeholder{}, Persona: spirits.Persona,
		Logger: slog.New(slog.DiscardHandler), Now: time.Now, NewID: uuid.NewString, Timings: spirit.LetterTimings,
		Metrics: m,
	})
	defer rooms.Shutdown(context.Background())
	srv := httpapi.New(httpapi.Deps{
		Store:       store,
		Rooms:       rooms,
		Tokens:      tokens,
		Spirits:     spirits,
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		CORSOrigins: []string{"http://localhost:3000"},
		Version:     "bench",
		Now:         time.Now,
		NewID:       uuid.NewString,
		Metrics:     m,
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

	var (
		mu        sync.Mutex
		latencies = make([]time.Duration, 0, b.N)
	)
	b.SetParallelism(2) // 4 × GOMAXPROCS clients, each with its own connection
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		local := make([]time.Duration, 0, 1024)
		var created struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		for pb.Next() {
			t0 := time.Now()
			resp, err := client.Post(ts.URL+"/api/sessions", "application/json", strings.NewReader(`{"name":"bench circle","max_users":6}`))
			if err != nil {
				b.Error(err)
				return
			}
			err = json.NewDecoder(resp.Body).Decode(&created)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusCreated {
				b.Errorf("create: %d %v", resp.StatusCode, err)
				return
			}
			resp, err = client.Get(ts.URL + "/api/sessions/" + created.Data.ID)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("get: %d", resp.StatusCode)
				return
			}
			local = append(local, time.Since(t0))
		}
		mu.Lock()
		latencies = append(latencies, local...)
		mu.Unlock()
	})
	elapsed := time.Since(start)
	b.StopTimer()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "pairs/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Microseconds())/1000, "max-ms")
}
