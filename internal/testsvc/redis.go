package testsvc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// DefaultRedisURL is the shared Redis used when SEANCE_TEST_REDIS_URL is not
// set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisURL is the URL of the shared test Redis.
func RedisURL() string {
	if u := os.Getenv("SEANCE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultRedisURL
}

// Redis returns the shared Redis's URL and a key prefix of tb's own: tests
// sharing the server never see each other's keys, and every key under the
// prefix is deleted when tb ends.
func Redis(tb testing.TB) (url, prefix string) {
	tb.Helper()
	url = RedisURL()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		tb.Fatalf("SEANCE_TEST_REDIS_URL: %v", err)
	}
	rdb := goredis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		Unavailable(tb, "Redis", err)
	}

	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix = "seancetest:" + hex.EncodeToString(b[:]) + ":"
	tb.Cleanup(func() {
		defer rdb.Close()
		if err := deleteKeys(rdb, prefix); err != nil {
			tb.Errorf("delete test keys %s*: %v", prefix, err)
		}
	})
	return url, prefix
}

func deleteKeys(rdb *goredis.Client, prefix string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return err
	}
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := rdb.Del(ctx, keys[:n]...).Err(); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

// RedisServer is a redis-server process of one test's own, for tests that
// stop and restart it. It keeps nothing on disk: a restart loses every key,
// as a Redis without persistence does.
type RedisServer struct {
	tb   testing.TB
	bin  string
	port int
	dir  string

	mu     sync.Mutex
	proc   *os.Process
	exited chan struct{} // closed once proc has exited
}

// StartRedis starts a private redis-server on a free loopback port and
// stops it when tb ends. Without the redis-server binary, tb is skipped (or
// failed when services are required).
func StartRedis(tb testing.TB) *RedisServer {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		Unavailable(tb, "redis-server", err)
	}
	s := &RedisServer{tb: tb, bin: bin, dir: tb.TempDir()}
	tb.Cleanup(s.Stop)
	// The port is free when chosen but may be taken before redis-server
	// binds it; another port is tried then.
	var lastErr error
	for range 5 {
		if s.port, err = freePort(); err != nil {
			tb.Fatalf("find a free port: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	tb.Fatalf("start redis-server: %v", lastErr)
	return nil
}

// URL is the server's redis:// URL.
func (s *RedisServer) URL() string {
	return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port)
}

// Stop kills the server and waits for it to exit, as a crash or a lost
// machine would end it. Stopping a stopped server does nothing.
func (s *RedisServer) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.Kill()
	<-s.exited
	s.proc = nil
}

// Start starts the stopped server again on the same port and waits until
// it answers.
func (s *RedisServer) Start() {
	s.tb.Helper()
	if err := s.start(); err != nil {
		s.tb.Fatalf("restart redis-server on port %d: %v", s.port, err)
	}
}

func (s *RedisServer) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return errors.New("already running")
	}
	logPath := filepath.Join(s.dir, "redis-"+strconv.Itoa(s.port)+".log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	cmd := exec.Command(s.bin,
		"--save", "", "--appendonly", "no",
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--dir", s.dir)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	if err := waitReady(s.port, exited); err != nil {
		_ = cmd.Process.Kill()
		<-exited
		out, _ := os.ReadFile(logPath)
		return fmt.Errorf("%w; its output:\n%s", err, out)
	}
	s.proc, s.exited = cmd.Process, exited
	return nil
}

// waitReady waits until the server on port answers PING, or has exited, or
// 10 seconds have passed.
func waitReady(port int, exited <-chan struct{}) error {
	rdb := goredis.NewClient(&goredis.Options{
		Addr:       net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		MaxRetries: -1,
	})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer on port %d within 10s: %w", port, err)
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited before answering on port %d", port)
		case <-tick.C:
		}
	}
}

// freePort asks the kernel for a loopback port nobody listens on.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
