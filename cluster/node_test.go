package cluster

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seancehq/seance/internal/testbin"
	"github.com/seancehq/seance/internal/testsvc"
)

const (
	// nodeTTL is the least presence expiry the server accepts: a dead
	// node's members go, and its lease (a third of it) moves, within
	// seconds.
	nodeTTL = 3 * time.Second
	// jwtSecret is shared by the nodes, so a token from one admits on all.
	jwtSecret = "cluster-test-secret-not-for-production-use"
	// startTimeout covers three nodes migrating one fresh database at once
	// under the race detector on a busy machine.
	startTimeout = 30 * time.Second
)

var showLogs = flag.Bool("nodelogs", false, "print the nodes' output when a test passes too")

// httpClient keeps no idle connections: a node killed and started again
// on its port must not be reached through a socket of its previous life.
var httpClient = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{DisableKeepAlives: true},
}

// cluster is one test's nodes, with the database and the Redis they share.
type cluster struct {
	db    string
	redis *testsvc.RedisServer
	nodes []*node
}

// newCluster starts n nodes on a fresh database and a private redis-server.
// With llm set, the nodes' spirit is that fake OpenAI server; otherwise the
// built-in oracle answers.
func newCluster(t *testing.T, n int, llm *fakeLLM) *cluster {
	t.Helper()
	c := &cluster{db: testsvc.Postgres(t), redis: testsvc.StartRedis(t)}
	for i := range n {
		name := fmt.Sprintf("node%d", i+1)
		env := []string{
			"SEANCE_DATABASE_URL=" + c.db,
			"SEANCE_REDIS_URL=" + c.redis.URL(),
			"SEANCE_NODE_TTL=" + nodeTTL.String(),
			"SEANCE_JWT_SECRET=" + jwtSecret,
			"SEANCE_LIMIT_CREATE=0",
			"SEANCE_LIMIT_JOIN=0",
			"SEANCE_LIMIT_CONNS=0",
			"SEANCE_LOG_FORMAT=json",
			// The tests name clients by X-Forwarded-For (hardening_test.go).
			"SEANCE_TRUSTED_PROXIES=127.0.0.0/8,::1/128",
		}
		if llm != nil {
			env = append(env,
				"SEANCE_SPIRIT_PROVIDER=openai",
				"SEANCE_SPIRIT_BASE_URL="+llm.baseURL(name),
				"SEANCE_SPIRIT_API_KEY=test",
				"SEANCE_SPIRIT_MODEL=fake-model",
				"SEANCE_SPIRIT_TIMEOUT=20s",
			)
		}
		c.nodes = append(c.nodes, newNode(t, name, env))
	}
	t.Cleanup(func() {
		var wg sync.WaitGroup
		for _, nd := range c.nodes {
			wg.Go(nd.Stop)
		}
		wg.Wait()
	})
	// Started together, as an orchestrator starts them: they race to
	// migrate the one database.
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, nd := range c.nodes {
		wg.Go(func() { errs[i] = nd.start() })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return c
}

// node is one seance process. Its output is kept, checked for data races,
// and printed when the test fails.
type node struct {
	t    *testing.T
	name string
	addr string
	env  []string
	out  *testbin.Buffer

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{} // closed when cmd has exited
	stopping bool          // the test is ending the process
	crashed  []string      // exits nobody asked for
}

func newNode(t *testing.T, name string, env []string) *node {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, name: name, addr: fmt.Sprintf("127.0.0.1:%d", port), out: &testbin.Buffer{}}
	// Only this test's settings: SEANCE_* variables of the environment the
	// tests run in would change what is tested.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SEANCE_") {
			n.env = append(n.env, kv)
		}
	}
	n.env = append(append(n.env, "SEANCE_ADDR="+n.addr), env...)
	t.Cleanup(func() {
		n.mu.Lock()
		crashed := n.crashed
		n.mu.Unlock()
		for _, c := range crashed {
			t.Errorf("%s exited on its own (%s): output below", n.name, c)
		}
		if out := n.out.String(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("%s: the race detector reported a data race (output below)", n.name)
		}
		if t.Failed() || *showLogs {
			t.Logf("--- %s (%s) output:\n%s", n.name, n.addr, n.out.String())
		}
	})
	return n
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL is the node's base URL.
func (n *node) URL() string { return "http://" + n.addr }

// Start starts the node again, on the same port, and waits until it is
// healthy.
func (n *node) Start() {
	n.t.Helper()
	if err := n.start(); err != nil {
		n.t.Fatal(err)
	}
}

func (n *node) start() error {
	// The port was free when picked, but another process of the test run
	// (any server listening on port 0) may take it first: then the node
	// moves to another port, and its health is not mistaken for the
	// other server's.
	for range 3 {
		err := n.startOnce()
		if !errors.Is(err, errPortTaken) {
			return err
		}
		port, perr := freePort()
		if perr != nil {
			return perr
		}
		n.mu.Lock()
		n.addr = fmt.Sprintf("127.0.0.1:%d", port)
		for i, kv := range n.env {
			if strings.HasPrefix(kv, "SEANCE_ADDR=") {
				n.env[i] = "SEANCE_ADDR=" + n.addr
			}
		}
		n.mu.Unlock()
	}
	return fmt.Errorf("%s: no free port after 3 tries", n.name)
}

var errPortTaken = errors.New("port taken")

func (n *node) startOnce() error {
	listening := strings.Count(n.out.String(), `"msg":"listening"`)
	n.mu.Lock()
	if n.cmd != nil {
		n.mu.Unlock()
		return fmt.Errorf("%s: already running", n.name)
	}
	cmd := exec.Command(binPath, "serve")
	cmd.Env = n.env
	cmd.Stdout = n.out
	cmd.Stderr = n.out
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		return fmt.Errorf("%s: start: %w", n.name, err)
	}
	fmt.Fprintf(n.out, "=== %s started, pid %d, %s\n", n.name, cmd.Process.Pid, time.Now().Format("15:04:05.000"))
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		n.mu.Lock()
		if !n.stopping {
			n.crashed = append(n.crashed, fmt.Sprintf("pid %d: %v", cmd.Process.Pid, err))
		}
		n.mu.Unlock()
		fmt.Fprintf(n.out, "=== %s exited (%v), %s\n", n.name, err, time.Now().Format("15:04:05.000"))
		close(done)
	}()
	n.cmd, n.done, n.stopping = cmd, done, false
	// Unlocked while waiting: the process's waiter takes the lock.
	n.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	var (
		code int
		err  error
	)
	for {
		// Healthy, and listening itself: a health answer from before this
		// process listens comes from whoever holds the port.
		if strings.Count(n.out.String(), `"msg":"listening"`) > listening {
			code, _, err = n.health()
			if err == nil && code == http.StatusOK {
				return nil
			}
		}
		select {
		case <-done:
			n.mu.Lock()
			n.cmd, n.crashed = nil, nil // reported here, with the output
			n.mu.Unlock()
			if strings.Contains(n.out.String(), "address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("%s exited at start-up:\n%s", n.name, n.out.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %v (last: %d, %v)", n.name, startTimeout, code, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Kill ends the node with SIGKILL, as a crash or a lost machine would:
// no connection is closed cleanly, nothing is left or released.
func (n *node) Kill() {
	n.signal(syscall.SIGKILL, "killed")
}

// Stop ends the node the way an operator does, with SIGTERM.
func (n *node) Stop() {
	n.signal(syscall.SIGTERM, "stopped")
}

func (n *node) signal(sig syscall.Signal, what string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return
	}
	n.stopping = true
	fmt.Fprintf(n.out, "=== %s %s, %s\n", n.name, what, time.Now().Format("15:04:05.000"))
	_ = n.cmd.Process.Signal(sig)
	// Unlocked while waiting: the process's waiter takes the lock.
	cmd, done := n.cmd, n.done
	n.mu.Unlock()
	select {
	case <-done:
	case <-time.After(25 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		fmt.Fprintf(n.out, "=== %s did not stop within 25s: killed\n", n.name)
	}
	n.mu.Lock()
	n.cmd = nil
}

// health is GET /health: its status code and body.
func (n *node) health() (int, healthView, error) {
	var h healthView
	res, err := httpClient.Get(n.URL() + "/health")
	if err != nil {
		return 0, h, err
	}
	defer res.Body.Close()
	err = json.NewDecoder(res.Body).Decode(&h)
	return res.StatusCode, h, err
}

type healthView struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Broker   string `json:"broker"`
}

// waitHealth polls /health until it answers code with the broker in the
// given state.
func (n *node) waitHealth(code int, broker string, timeout time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		c, h, err := n.health()
		if err == nil && c == code && h.Broker == broker {
			return
		}
		last = fmt.Sprintf("%d %+v %v", c, h, err)
		if time.Now().After(deadline) {
			n.t.Fatalf("%s: /health not %d with broker %q after %v; last answer: %s", n.name, code, broker, timeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --- REST ---

// apiError is the error of an envelope.
type apiError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// call sends a JSON request and decodes the envelope's data into out.
// It touches no testing.T, so that goroutines may use it.
func (n *node) call(method, path string, body, out any) (int, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.URL()+path, r)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := httpClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s on %s: %w", method, path, n.name, err)
	}
	defer res.Body.Close()
	var env struct {
		Success bool            `json:"success"`
		Data    json.RawMessage `json:"data"`
		Error   *apiError       `json:"error"`
	}
	if err := json.NewDecoder(res.Body).Decode(&env); err != nil {
		return res.StatusCode, fmt.Errorf("%s %s on %s: %d, body: %w", method, path, n.name, res.StatusCode, err)
	}
	if !env.Success || res.StatusCode >= 300 {
		e := apiError{}
		if env.Error != nil {
			e = *env.Error
		}
		return res.StatusCode, fmt.Errorf("%s %s on %s: %d %s: %s", method, path, n.name, res.StatusCode, e.Code, e.Message)
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return res.StatusCode, fmt.Errorf("%s %s on %s: data: %w", method, path, n.name, err)
		}
	}
	return res.StatusCode, nil
}

type sessionView struct {
	ID               string `json:"id"`
	MaxUsers         int    `json:"max_users"`
	IsActive         bool   `json:"is_active"`
	ParticipantCount int    `json:"participant_count"`
}

// createSeance creates a séance for up to maxUsers and returns its id.
func (n *node) createSeance(name string, maxUsers int) string {
	n.t.Helper()
	var s sessionView
	if _, err := n.call(http.MethodPost, "/api/sessions", map[string]any{"name": name, "max_users": maxUsers}, &s); err != nil {
		n.t.Fatal(err)
	}
	return s.ID
}

func (n *node) session(id string) (sessionView, error) {
	var s sessionView
	_, err := n.call(http.MethodGet, "/api/sessions/"+id, nil, &s)
	return s, err
}

// joined is what POST /join answers.
type joined struct {
	Participant struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"participant"`
	Token string `json:"token"`
}

func (n *node) join(sessionID, name string) (joined, error) {
	var j joined
	_, err := n.call(http.MethodPost, "/api/sessions/"+sessionID+"/join", map[string]string{"name": name}, &j)
	return j, err
}

// message is a stored message, as the history endpoint lists it.
type message struct {
	ID       string `json:"id"`
	Seq      int64  `json:"seq"`
	UserID   string `json:"user_id"`
	Message  string `json:"message"`
	IsSpirit bool   `json:"is_spirit"`
	ReplyTo  string `json:"reply_to"`
}

// history is every stored message of the séance, oldest first, read
// page by page.
func (n *node) history(sessionID string) []message {
	n.t.Helper()
	var all []message
	for after := int64(0); ; {
		var page []message
		if _, err := n.call(http.MethodGet, fmt.Sprintf("/api/sessions/%s/history?after_seq=%d&limit=200", sessionID, after), nil, &page); err != nil {
			n.t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 200 {
			return all
		}
		after = page[len(page)-1].Seq
	}
}

// waitCount polls GET /api/sessions/{id} on each of nodes until every one
// says participant_count is want.
func waitCount(t *testing.T, nodes []*node, sessionID string, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got []string
		ok := true
		for _, n := range nodes {
			s, err := n.session(sessionID)
			if err != nil || s.ParticipantCount != want {
				ok = false
			}
			got = append(got, fmt.Sprintf("%s: %d (%v)", n.name, s.ParticipantCount, err))
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("participant_count is not %d on every node after %v: %s", want, timeout, strings.Join(got, ", "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}
