package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/seancehq/seance/internal/testbin"
	"github.com/seancehq/seance/internal/testsvc"
)

var (
	binPath   string // the seance binary built for these tests
	chrome    string // the browser binary
	chromeErr error  // why there is no browser, if there is none
	shotsDir  string // artifacts/screenshots at the module root
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	chrome, chromeErr = findChrome()
	if chromeErr != nil {
		// Every test skips (or fails) on its own with the reason.
		return m.Run()
	}
	root, err := testbin.ModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if binPath = os.Getenv("SEANCE_E2E_BINARY"); binPath == "" {
		// The binary under test is this tree's, unless one is named (a
		// release build, say).
		tmp, err := os.MkdirTemp("", "seance-e2e-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		if binPath, err = testbin.Build(tmp, "seance", false); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
			return 1
		}
	}
	shotsDir = filepath.Join(root, "artifacts", "screenshots")
	if err := os.MkdirAll(shotsDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// A failure's screenshot from an earlier run would suggest this one failed.
	old, _ := filepath.Glob(filepath.Join(shotsDir, "FAILED-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return m.Run()
}

func findChrome() (string, error) {
	if p := os.Getenv("SEANCE_CHROME"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on PATH (apt-get install chromium, or set SEANCE_CHROME)")
}

// needBrowser skips the test, or fails it in CI, when there is no Chromium.
func needBrowser(t *testing.T) {
	t.Helper()
	if chromeErr != nil {
		testsvc.Unavailable(t, "Chromium", chromeErr)
	}
}

// --- The server ---

// server is a running seance binary on its own port and SQLite file.
type server struct {
	t    *testing.T
	addr string
	db   string
	cmd  *exec.Cmd
	done chan struct{}
	out  *testbin.Buffer
}

func startServer(t *testing.T) *server {
	t.Helper()
	needBrowser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{t: t, addr: addr, db: filepath.Join(t.TempDir(), "seance.db"), out: &testbin.Buffer{}}
	s.start()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server output:\n%s", s.out.String())
		}
	})
	return s
}

func (s *server) URL() string { return "http://" + s.addr }

func (s *server) start() {
	s.t.Helper()
	cmd := exec.Command(binPath)
	// Only this test's settings: a SEANCE_REDIS_URL in the environment
	// would turn the server into a cluster node.
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEANCE_") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"SEANCE_ADDR="+s.addr,
		"SEANCE_DATABASE_URL=sqlite:"+s.db,
		"SEANCE_LOG_FORMAT=text",
		"SEANCE_LOG_LEVEL=warn",
	)
	cmd.Stdout = s.out
	cmd.Stderr = s.out
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start seance: %v", err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func(done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.done)

	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(s.URL() + "/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-s.done:
			s.t.Fatalf("seance exited at start:\n%s", s.out.String())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("seance not healthy after 15s:\n%s", s.out.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// stop ends the server the way an operator does, with SIGTERM, and waits.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(25 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// --- REST from the test ---

type message struct {
	ID       string `json:"id"`
	Seq      int64  `json:"seq"`
	UserName string `json:"user_name"`
	Message  string `json:"message"`
	IsSpirit bool   `json:"is_spirit"`
	ReplyTo  string `json:"reply_to"`
}

func (s *server) call(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL()+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(env.Data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return res.StatusCode
}

func (s *server) history(t *testing.T, id string) []message {
	t.Helper()
	var ms []message
	s.call(t, http.MethodGet, "/api/sessions/"+id+"/history?limit=200", nil, &ms)
	return ms
}

// answerTo waits for the spirit's answer to the question with this text.
func (s *server) answerTo(t *testing.T, id, question string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		ms := s.history(t, id)
		for _, q := range ms {
			if q.IsSpirit || q.Message != question {
				continue
			}
			for _, a := range ms {
				if a.IsSpirit && a.ReplyTo == q.ID {
					return a.Message
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no answer to %q after 20s", question)
	return ""
}

// --- Browsers ---

// browser is one Chromium with its own profile: two of them are two
// people, with separate localStorage.
type browser struct {
	t      *testing.T
	name   string
	ctx    context.Context
	cancel func()
	mu     sync.Mutex
	errs   []string
}

func newBrowser(t *testing.T, name string, width, height int) *browser {
	t.Helper()
	return newBrowsers(t, width, height, name)[0]
}

// newBrowsers starts one browser per name, side by side: a start costs
// about a second, and they need not wait for each other.
func newBrowsers(t *testing.T, width, height int, names ...string) []*browser {
	t.Helper()
	needBrowser(t)
	bs := make([]*browser, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		b := &browser{t: t, name: name}
		bs[i] = b
		dir := t.TempDir()
		wg.Go(func() { errs[i] = b.launch(dir, width, height) })
	}
	wg.Wait()
	for _, b := range bs {
		t.Cleanup(b.close)
	}
	for _, err := range errs {
		if err != nil {
			testsvc.Unavailable(t, "Chromium", err)
		}
	}
	return bs
}

func (b *browser) launch(profile string, width, height int) error {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(width, height),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b.ctx = ctx
	b.cancel = func() {
		cancel()
		cancelAlloc()
	}
	if err := chromedp.Do(ctx); err != nil {
		return err
	}
	// Uncaught exceptions and CSP refusals fail the test: the UI must run
	// clean under its own Content-Security-Policy.
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			text := m.String()
			if m.IsException() || strings.Contains(text, "Content Security Policy") {
				b.mu.Lock()
				b.errs = append(b.errs, text)
				b.mu.Unlock()
			}
		}
	}()
	// A headless page loses focus on navigation, and with it :focus and
	// its outline; a person's window keeps it.
	if _, err := chromedp.Call(ctx, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		return err
	}
	// The headless window's size includes its frame: set the page's own.
	return chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height)))
}

func (b *browser) close() {
	if b.cancel != nil {
		b.cancel()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("%s: console: %s", b.name, e)
	}
}

const stepTimeout = 20 * time.Second

// reduceMotion makes the page see prefers-reduced-motion: reduce. Besides
// the behaviour it asks for, it stops the candles' animations, which in a
// headless browser without a GPU cost a good part of a core per page.
func (b *browser) reduceMotion() {
	b.t.Helper()
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}},
		})
		return err
	}))
}

// do runs actions, failing the test (with a screenshot) on error.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail("%v", err)
	}
}

func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	b.shot("FAILED-" + b.t.Name() + "-" + b.name)
	b.t.Fatalf("%s: %s", b.name, fmt.Sprintf(format, args...))
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("eval %s: %v", js, err)
	}
	return v
}

// wait polls a JavaScript condition until it is truthy.
func (b *browser) wait(what, js string, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		b.fail("waiting for %s (%s): %v", what, js, err)
	}
}

// waitPoll is wait with a slower poll, for conditions that act.
func (b *browser) waitPoll(what, js string, every, timeout time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js,
		chromedp.WithPollingInterval(every), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		b.fail("waiting for %s: %v", what, err)
	}
}

// shot saves a screenshot of the viewport under artifacts/screenshots.
func (b *browser) shot(name string) {
	b.t.Helper()
	b.save(name, capture(false))
}

// fullShot saves the whole page, beyond the viewport.
func (b *browser) fullShot(name string) {
	b.t.Helper()
	b.save(name, capture(true))
}

// capture takes a PNG encoded for speed (larger files, a fraction of the
// time: screenshots were a good part of the package's run time).
func capture(full bool) chromedp.Action[[]byte] {
	return func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		fast := true
		p := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng, OptimizeForSpeed: &fast}
		if full {
			p.CaptureBeyondViewport = &fast
		}
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, p)
		return r.Data, err
	}
}

func (b *browser) save(name string, action chromedp.Action[[]byte]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Logf("%s: screenshot %s: %v", b.name, name, err)
		return
	}
	name = strings.NewReplacer("/", "-", " ", "-").Replace(name)
	if err := os.WriteFile(filepath.Join(shotsDir, name+".png"), png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}
