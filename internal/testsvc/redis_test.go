package testsvc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/seancehq/seance/internal/testsvc"
)

func connect(t *testing.T, url string) *goredis.Client {
	t.Helper()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// A test's keys go when it ends, and only those.
func TestRedisPrefix(t *testing.T) {
	var url, prefix, prefix2, outside string
	t.Run("user", func(t *testing.T) {
		url, prefix = testsvc.Redis(t)
		_, prefix2 = testsvc.Redis(t)
		if prefix == prefix2 || !strings.HasPrefix(prefix, "seancetest:") {
			t.Fatalf("prefixes %q and %q: want distinct seancetest: ones", prefix, prefix2)
		}
		rdb := connect(t, url)
		// A key of nobody's prefix, as another test's would be.
		outside = strings.TrimSuffix(prefix, ":") + "-outside"
		for _, k := range []string{prefix + "a", prefix + "{s}:here", prefix + "limit:{k}", prefix2 + "b", outside} {
			if err := rdb.Set(t.Context(), k, "v", time.Minute).Err(); err != nil {
				t.Fatal(err)
			}
		}
	})
	if url == "" {
		t.Skip("the subtest was skipped")
	}
	rdb := connect(t, url)
	ctx := context.Background()
	t.Cleanup(func() { rdb.Del(context.Background(), outside) })

	for _, p := range []string{prefix, prefix2} {
		keys, err := rdb.Keys(ctx, p+"*").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 0 {
			t.Fatalf("keys left under %s: %q", p, keys)
		}
	}
	if n, err := rdb.Exists(ctx, outside).Result(); err != nil || n != 1 {
		t.Fatalf("key %s outside the prefixes: exists %d, %v; want kept", outside, n, err)
	}
}

// A private server stops and starts again on its port, empty.
func TestStartRedis(t *testing.T) {
	srv := testsvc.StartRedis(t)
	url := srv.URL()
	rdb := connect(t, url)
	ctx := t.Context()
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	srv.Stop() // stopping twice is harmless
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Fatal("Ping succeeded on a stopped server")
	}

	srv.Start()
	if srv.URL() != url {
		t.Fatalf("URL after restart = %s, want %s", srv.URL(), url)
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Ping after restart: %v", err)
	}
	if n, err := rdb.Exists(ctx, "k").Result(); err != nil || n != 0 {
		t.Fatalf("key after restart: exists %d, %v; want gone (no persistence)", n, err)
	}
}
