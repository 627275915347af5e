package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// js quotes s as a JavaScript string literal.
func js(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// typeInto focuses a field and types text into it as one input (as an
// IME or a paste does): a key event per character costs a round trip each.
func typeInto(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Focus(chromedp.CSS(sel)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, input.InsertText, input.InsertTextParams{Text: text})
			return err
		}))
}

// fontsReady waits for the embedded fonts, so screenshots show them.
func (b *browser) fontsReady() {
	b.t.Helper()
	eval[bool](b, `document.fonts.ready.then(() => true)`)
}

// createSeance fills the home page's form and returns the share link.
func (b *browser) createSeance(srv *server, name string) (link, id string) {
	b.t.Helper()
	b.do(chromedp.Navigate(srv.URL()),
		chromedp.WaitVisible(chromedp.CSS("#c-name")),
		chromedp.WaitVisible(chromedp.CSS(".spirit-opt input")))
	b.do(typeInto("#c-name", name),
		chromedp.Click(chromedp.CSS("#create-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#share-link")))
	link = eval[string](b, `document.querySelector("#share-link").value`)
	id = link[strings.LastIndex(link, "/")+1:]
	return link, id
}

// takeSeat joins the séance shown (the page at its link) under name, and
// waits until the board is connected.
func (b *browser) takeSeat(name string) {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS("#j-name")))
	eval[bool](b, `(document.querySelector("#j-name").value = "", true)`)
	b.do(typeInto("#j-name", name),
		chromedp.Click(chromedp.CSS("#take-seat")))
	b.waitConnected()
}

func (b *browser) waitConnected() {
	b.t.Helper()
	b.wait("connected", `(() => { const a = document.querySelector("#ask"); return a && !a.disabled; })()`, 15*time.Second)
}

func (b *browser) ask(question string) {
	b.t.Helper()
	b.do(typeInto("#question", question), chromedp.Click(chromedp.CSS("#ask")))
}

// waitSpelled waits until the board has spelled answer to its end.
func (b *browser) waitSpelled(answer string) int64 {
	b.t.Helper()
	b.wait("the answer spelled out", `(() => { const r = document.querySelector("#revealed");
		return r && r.dataset.state === "done" && r.textContent === `+js(answer)+`; })()`, 30*time.Second)
	return int64(eval[float64](b, `Number(document.querySelector("#revealed").dataset.doneAt)`))
}

// transcript is the text of the transcript's messages, in order.
func (b *browser) transcript() []string {
	b.t.Helper()
	return eval[[]string](b, `[...document.querySelectorAll("#messages .msg:not(.veiled) .msg-text")].map(e => e.textContent)`)
}

func (b *browser) waitTranscript(texts ...string) {
	b.t.Helper()
	list, _ := json.Marshal(texts)
	b.wait("the transcript to hold "+strings.Join(texts, " / "), `(() => {
		const have = [...document.querySelectorAll("#messages .msg:not(.veiled) .msg-text")].map(e => e.textContent);
		return `+string(list)+`.every(t => have.includes(t)); })()`, 30*time.Second)
}

// --- A participant without a browser ---

// peer is a participant that speaks the WebSocket protocol directly: a
// third person in the room who costs no browser.
type peer struct {
	t      *testing.T
	conn   net.Conn
	token  string
	frames chan frame
}

type frame struct {
	Event string          `json:"event"`
	Data  json.RawMessage `json:"data"`
}

func joinPeer(t *testing.T, srv *server, id, name string) (*peer, string) {
	t.Helper()
	var j struct {
		Participant struct {
			ID string `json:"id"`
		} `json:"participant"`
		Token string `json:"token"`
	}
	if code := srv.call(t, http.MethodPost, "/api/sessions/"+id+"/join", map[string]string{"name": name}, &j); code != http.StatusCreated {
		t.Fatalf("join %s: %d", name, code)
	}
	p := dialPeer(t, srv, id, j.Token, -1)
	return p, j.Participant.ID
}

func dialPeer(t *testing.T, srv *server, id, token string, lastSeq int64) *peer {
	t.Helper()
	u := "ws://" + srv.addr + "/ws/" + id + "?token=" + url.QueryEscape(token)
	if lastSeq >= 0 {
		u += "&last_seq=" + strconvI(lastSeq)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, br, _, err := ws.Dial(ctx, u)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	// Frames that came with the handshake response wait in br.
	var rd io.Reader = conn
	if br != nil {
		rd = br
	}
	rw := struct {
		io.Reader
		io.Writer
	}{rd, conn}
	p := &peer{t: t, conn: conn, token: token, frames: make(chan frame, 1024)}
	go func() {
		defer close(p.frames)
		for {
			b, err := wsutil.ReadServerText(rw)
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(b, &f) == nil {
				p.frames <- f
			}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	p.await("session_state")
	return p
}

func (p *peer) send(event string, data any) {
	p.t.Helper()
	b, _ := json.Marshal(map[string]any{"event": event, "data": data})
	if err := wsutil.WriteClientText(p.conn, b); err != nil {
		p.t.Fatalf("peer send: %v", err)
	}
}

// await returns the next frame of this event, skipping others.
func (p *peer) await(event string) frame {
	p.t.Helper()
	return p.awaitMatch(event, func(frame) bool { return true })
}

// ask sends a question and waits for the spirit's answer to it.
func (p *peer) ask(question string) {
	p.t.Helper()
	p.send("send_message", map[string]string{"message": question})
	var q struct {
		ID      string `json:"id"`
		Message string `json:"message"`
		ReplyTo string `json:"reply_to"`
	}
	p.awaitMatch("message_received", func(f frame) bool {
		return json.Unmarshal(f.Data, &q) == nil && q.Message == question
	})
	id := q.ID
	p.awaitMatch("spirit_response", func(f frame) bool {
		return json.Unmarshal(f.Data, &q) == nil && q.ReplyTo == id
	})
}

// awaitMatch returns the next frame of this event that match accepts.
func (p *peer) awaitMatch(event string, match func(frame) bool) frame {
	p.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case f, ok := <-p.frames:
			if !ok {
				p.t.Fatalf("peer: connection closed while waiting for %s", event)
			}
			if f.Event == event && match(f) {
				return f
			}
		case <-timeout:
			p.t.Fatalf("peer: no %s in 20s", event)
		}
	}
}

// closed waits for the server to close the peer's socket.
func (p *peer) closed() {
	p.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-p.frames:
			if !ok {
				return
			}
		case <-timeout:
			p.t.Fatal("peer: still open after 10s")
		}
	}
}

func strconvI(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// proxy forwards TCP to the server until it is cut: then it refuses new
// connections and drops the open ones, like a network that went away.
type proxy struct {
	ln    net.Listener
	to    string
	mu    sync.Mutex
	down  bool
	conns map[net.Conn]bool
}

func newProxy(t *testing.T, to string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, to: to, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.cut(true)
	})
	return p
}

func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = true
	p.mu.Unlock()
	defer p.forget(c)
	s, err := net.Dial("tcp", p.to)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns[s] = true
	p.mu.Unlock()
	defer p.forget(s)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(s, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, s); done <- struct{}{} }()
	<-done
}

func (p *proxy) forget(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// cut takes the network away (true) or gives it back (false).
func (p *proxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}
