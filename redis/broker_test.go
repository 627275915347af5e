package redis_test

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/seancehq/seance/brokertest"
	"github.com/seancehq/seance/hub"
	"github.com/seancehq/seance/internal/testsvc"
	"github.com/seancehq/seance/redis"
)

// Each node is a Broker of its own, as each server process has one, all on
// one test's key prefix.
func TestBroker(t *testing.T) {
	brokertest.Run(t, func(t *testing.T) func() hub.Broker {
		url, prefix := testsvc.Redis(t)
		return func() hub.Broker { return newNode(t, url, redis.Options{Prefix: prefix}) }
	})
}

// newNode connects a broker with a fresh node id (unless opts has one) and
// closes it at cleanup.
func newNode(t *testing.T, url string, opts redis.Options) *redis.Broker {
	t.Helper()
	if opts.NodeID == "" {
		opts.NodeID = "node-" + randomHex()
	}
	b, err := redis.New(t.Context(), url, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

func randomHex() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
