package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seancehq/seance/internal/testsvc"
)

// TestMain lets a test run this binary's main as a child process (for exit
// codes and signals): the test binary re-executes itself with
// SEANCE_TEST_MAIN=1.
func TestMain(m *testing.M) {
	if os.Getenv("SEANCE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// env builds a getenv from pairs.
func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// logWatcher collects the server's JSON log and tells when a line appears.
type logWatcher struct {
	mu    sync.Mutex
	lines []map[string]any
	all   strings.Builder
	ch    chan map[string]any
}

func newLogWatcher() *logWatcher { return &logWatcher{ch: make(chan map[string]any, 1000)} }

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.all.Write(p)
	for _, l := range strings.Split(string(p), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			w.lines = append(w.lines, m)
			select {
			case w.ch <- m:
			default:
			}
		}
	}
	return len(p), nil
}

func (w *logWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// startServer runs the server in-process on a free port and returns its base
// URL and a function that stops it (as SIGTERM would) and returns run's error.
func startServer(t *testing.T, getenv func(string) string) (string, func() error, *logWatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs := newLogWatcher()
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, getenv, io.Discard, logs) }()
	select {
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v\n%s", err, logs.String())
	case <-time.After(15 * time.Second):
		cancel()
		t.Fatalf("no \"listening\" log line within 15 s (log level below info?):\n%s", logs.String())
	case l := <-waitChan(t, logs, "listening"):
		addr := l["addr"].(string)
		stop := sync.OnceValue(func() error {
			cancel()
			select {
			case err := <-done:
				return err
			case <-time.After(30 * time.Second):
				return errors.New("server did not stop")
			}
		})
		t.Cleanup(func() { _ = stop() })
		return "http://" + addr, stop, logs
	}
	panic("unreachable")
}

func waitChan(t *testing.T, logs *logWatcher, msg string) <-chan map[string]any {
	ch := make(chan map[string]any, 1)
	go func() {
		for l := range logs.ch {
			if l["msg"] == msg {
				ch <- l
				return
			}
		}
	}()
	return ch
}

func TestServeCreateGetAndStop(t *testing.T) {
	dbs := map[string]string{
		"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "seance.db"),
	}
	if !testing.Short() {
		dbs["postgres"] = ""
	}
	for name, url := range dbs {
		t.Run(name, func(t *testing.T) {
			if name == "postgres" {
				url = testsvc.Postgres(t)
			}
			base, stop, logs := startServer(t, env("SEANCE_ADDR", "127.0.0.1:0", "SEANCE_DATABASE_URL", url))
			resp, err := http.Post(base+"/api/sessions", "application/json", strings.NewReader(`{"name":"from run"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Fatalf("create: %d", resp.StatusCode)
			}
			h, err := http.Get(base + "/health")
			if err != nil || h.StatusCode != http.StatusOK {
				t.Fatalf("health: %v %v", h, err)
			}
			h.Body.Close()
			if err := stop(); err != nil {
				t.Fatalf("run returned %v", err)
			}
			if !strings.Contains(logs.String(), `"msg":"stopped"`) {
				t.Fatalf("no orderly stop in the log:\n%s", logs.String())
			}
		})
	}
}

func TestGeneratedSecretSurvivesRestart(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "seance.db")
	getenv := env("SEANCE_ADDR", "127.0.0.1:0", "SEANCE_DATABASE_URL", db)
	base, stop, _ := startServer(t, getenv)
	resp, err := http.Post(base+"/api/sessions", "application/json", strings.NewReader(`{"name":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		Data struct {
			ID        string `json:"id"`
			HostToken string `json:"host_token"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || created.Data.HostToken == "" {
		t.Fatalf("create: %v %+v", err, created)
	}
	resp.Body.Close()
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	// After a restart the token signed before it still ends the séance.
	base, _, _ = startServer(t, getenv)
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/sessions/"+created.Data.ID, nil)
	req.Header.Set("Authorization", "Bearer "+created.Data.HostToken)
	del, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	del.Body.Close()
	if del.StatusCode != http.StatusOK {
		t.Fatalf("DELETE with a token from before the restart: %d", del.StatusCode)
	}
}

func TestInFlightRequestsFinishOnShutdown(t *testing.T) {
	base, stop, _ := startServer(t, env("SEANCE_ADDR", "127.0.0.1:0", "SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "s.db")))
	// A body that arrives slowly keeps the request in flight across the stop.
	pr, pw := io.Pipe()
	result := make(chan int, 1)
	go func() {
		resp, err := http.Post(base+"/api/sessions", "application/json", pr)
		if err != nil {
			result <- -1
			return
		}
		resp.Body.Close()
		result <- resp.StatusCode
	}()
	fmt.Fprint(pw, `{"name":`)
	time.Sleep(200 * time.Millisecond)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(200 * time.Millisecond)
	fmt.Fprint(pw, `"late but welcome"}`)
	pw.Close()
	if code := <-result; code != http.StatusCreated {
		t.Fatalf("in-flight request got %d during shutdown, want 201", code)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("run returned %v", err)
	}
}

func TestBadStart(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		getenv func(string) string
		want   string
	}{
		{"bad duration", nil, env("SEANCE_SPIRIT_TIMEOUT", "soon"), "SEANCE_SPIRIT_TIMEOUT"},
		{"bad flag value", []string{"serve", "--max-users-typo"}, env(), "max-users-typo"},
		{"unknown command", []string{"summon"}, env(), "unknown command"},
		{"unreachable postgres", nil, env("SEANCE_DATABASE_URL", "postgres://postgres:hunter2@127.0.0.1:1/seance?sslmode=disable"), "database"},
		{"sqlite in a missing folder", nil, env("SEANCE_DATABASE_URL", "sqlite:/nonexistent/dir/seance.db"), "database"},
		{"port taken", nil, nil, "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := tt.getenv
			if getenv == nil {
				base, _, _ := startServer(t, env("SEANCE_ADDR", "127.0.0.1:0", "SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "a.db")))
				getenv = env("SEANCE_ADDR", strings.TrimPrefix(base, "http://"), "SEANCE_DATABASE_URL", "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
			}
			err := run(context.Background(), tt.args, getenv, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run: %v, want an error mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the password reached the error: %v", err)
			}
		})
	}
}

// TestExitCodes runs the real main in a child process.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      []string
		wantCode int
		wantOut  string
	}{
		{"version", []string{"version"}, nil, 0, "seance "},
		{"database unreachable", nil, []string{"SEANCE_DATABASE_URL=postgres://postgres:hunter2@127.0.0.1:1/x?sslmode=disable", "SEANCE_ADDR=127.0.0.1:0"}, 1, "seance: database: postgres: connect to"},
		{"invalid variable", nil, []string{"SEANCE_ADDR=nowhere"}, 1, "seance: SEANCE_ADDR:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tt.args...)
			cmd.Env = append([]string{"SEANCE_TEST_MAIN=1", "PATH=" + os.Getenv("PATH")}, tt.env...)
			out, err := cmd.CombinedOutput()
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode || !strings.Contains(string(out), tt.wantOut) {
				t.Fatalf("exit %d, output:\n%s\nwant exit %d and %q", code, out, tt.wantCode, tt.wantOut)
			}
			if strings.Contains(string(out), "panic") || strings.Contains(string(out), "hunter2") {
				t.Fatalf("output has a panic or a password:\n%s", out)
			}
			// The error is one line (the last of the output).
			last := strings.TrimSpace(string(out))
			if i := strings.LastIndex(last, "\n"); i >= 0 && tt.wantCode != 0 {
				if !strings.HasPrefix(last[i+1:], "seance: ") {
					t.Fatalf("the error is not one line: %q", last)
				}
			}
		})
	}
}

func TestSigtermStopsTheProcess(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{"SEANCE_TEST_MAIN=1", "SEANCE_ADDR=127.0.0.1:0", "SEANCE_DATABASE_URL=sqlite:" + filepath.Join(t.TempDir(), "s.db")}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if strings.Contains(sc.Text(), `"msg":"listening"`) {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, strings.Join(lines, "\n"))
	}
	if !strings.Contains(strings.Join(lines, "\n"), `"msg":"stopped"`) {
		t.Fatalf("no orderly stop:\n%s", strings.Join(lines, "\n"))
	}
}

func TestMigrateCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	var out strings.Builder
	if err := run(context.Background(), []string{"migrate", "--database-url", "sqlite:" + path}, env(), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "up to date") {
		t.Fatalf("migrate printed %q", out.String())
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("no database file after migrate: %v", err)
	}
}
