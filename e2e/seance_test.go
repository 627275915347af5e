package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestInBrowsers runs the browser scenarios side by side. They spend most
// of their time waiting (for a spelling to finish, a server to come back)
// rather than computing, and t.Parallel would run only GOMAXPROCS of them
// at once; concurrent t.Run calls are not so limited.
func TestInBrowsers(t *testing.T) {
	needBrowser(t)
	scenarios := []struct {
		name string
		run  func(*testing.T)
	}{
		{"TwoBrowsersShareOneSeance", testTwoBrowsersShareOneSeance},
		{"ReconnectAfterServerRestart", testReconnectAfterServerRestart},
		{"HostEndsSeance", testHostEndsSeance},
		{"KeyboardOnly", testKeyboardOnly},
		{"PhoneViewport", testPhoneViewport},
		{"TranscriptPagesBack", testTranscriptPagesBack},
		{"HelpBesideTheBoard", testHelpBesideTheBoard},
	}
	var wg sync.WaitGroup
	for _, sc := range scenarios {
		wg.Go(func() { t.Run(sc.name, sc.run) })
	}
	wg.Wait()
}

// Two people, two browsers: one creates the séance and shares its link,
// the other joins by it; a question from one is answered on both boards,
// spelled out at the same moment, and lands in both transcripts.
func testTwoBrowsersShareOneSeance(t *testing.T) {
	srv := startServer(t)
	bs := newBrowsers(t, 1280, 800, "host", "guest")
	host, guest := bs[0], bs[1]

	host.do(chromedp.Navigate(srv.URL()), chromedp.WaitVisible(chromedp.CSS(".spirit-opt input")))
	host.fontsReady()
	host.shot("01-home")
	link, id := host.createSeance(srv, "Midnight at the manor")
	if !strings.HasSuffix(link, "/session/"+id) {
		t.Fatalf("share link %q", link)
	}
	host.shot("02-created")

	guest.do(chromedp.Navigate(link))
	guest.fontsReady()
	guest.shot("03-invited")
	guest.takeSeat("Ada")

	host.do(chromedp.Click(chromedp.CSS("#enter-seance")))
	host.takeSeat("Morgana")
	for _, b := range []*browser{host, guest} {
		b.wait("both in the circle", `document.querySelectorAll("#participants .person").length === 2`, 10*time.Second)
	}
	host.shot("04-seance-host")

	// Writing is seen by the others before the question is sent.
	guest.do(typeInto("#question", "Will the candles"))
	host.wait("the typing indicator", `document.querySelector("#typing").textContent.includes("Ada")`, 10*time.Second)
	guest.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#question").value = ""`))

	const question = "Will the candles last the night?"
	guest.ask(question)
	answer := srv.answerTo(t, id, question)

	// Mid-answer: a good part of the letters shown, not all.
	host.wait("the spelling to be under way", `(() => { const r = document.querySelector("#revealed");
		return r.dataset.state === "spelling" && [...r.textContent].length >= Math.min(12, [...r.dataset.message].length - 3); })()`, 15*time.Second)
	host.shot("05-mid-answer")

	doneHost := host.waitSpelled(answer)
	doneGuest := guest.waitSpelled(answer)
	// Both boards place the letters on the server's clock (starts_at and
	// letter_timings, read through each one's estimate of the server
	// time), so they agree on when the last letter lands.
	d := doneHost - doneGuest
	t.Logf("the boards' last letters land %d ms apart", d)
	if d < -150 || d > 150 {
		t.Errorf("the boards' last letters land %d ms apart", d)
	}
	for _, b := range []*browser{host, guest} {
		b.waitTranscript(question, answer)
	}
	host.shot("06-answered-host")
	guest.shot("06-answered-guest")
}

// A server restart: the page says it is offline, comes back by itself,
// resumes with last_seq, and what was said while it was away appears.
func testReconnectAfterServerRestart(t *testing.T) {
	srv := startServer(t)
	// The Sibyl answers in a word or two: short spellings, a quicker test.
	id := createViaAPI(t, srv, "The restless hour", "sibyl")
	// The page reaches the server through a proxy the test can cut, as a
	// phone loses its network; the peer below talks to the server direct.
	px := newProxy(t, srv.addr)
	b := newBrowser(t, "seer", 1280, 800)
	b.reduceMotion() // motion is not what this test is about
	b.do(chromedp.Navigate(px.URL() + "/session/" + id))
	b.takeSeat("Ada")
	p, _ := joinPeer(t, srv, id, "Bram")
	token := p.token

	const before = "Is the veil thin tonight?"
	b.ask(before)
	b.waitTranscript(before)

	srv.stop()
	b.wait("the offline banner", `!document.getElementById("banner").hidden`, 10*time.Second)
	b.fontsReady()
	b.shot("07-offline")

	// Keep this page away from the restarted server until the room has
	// moved on without it, so what it missed can only come by resuming.
	watch, stopWatching := context.WithCancel(b.ctx)
	defer stopWatching()
	sockets := chromedp.Events(watch, network.WebSocketCreated)
	px.cut(true)
	srv.start()
	p = dialPeer(t, srv, id, token, -1)
	const during = "Did anyone notice the lights go out?"
	p.ask(during)
	if eval[bool](b, `document.getElementById("banner").hidden`) {
		t.Fatal("the banner went away while the page could not reach the server")
	}
	px.cut(false)

	// The banner's "Try now" skips the rest of the back-off.
	b.waitPoll("back online", `(() => { if (document.getElementById("banner").hidden) return true;
		document.getElementById("retry-now")?.click(); return false; })()`, 250*time.Millisecond, 20*time.Second)
	// The question asked while this page was away, and its answer (which
	// the board then spells in turn), are in the transcript.
	b.waitTranscript(before, during)
	b.wait("the missed answer", `document.querySelectorAll("#messages .msg-spirit").length === 2`, 10*time.Second)
	b.shot("08-resumed")

	// Every socket the page opened after the restart asked to resume.
	time.AfterFunc(time.Second, stopWatching)
	var urls []string
	for ev, err := range sockets {
		if err != nil {
			break
		}
		urls = append(urls, ev.URL)
	}
	if len(urls) == 0 {
		t.Fatal("no WebSocket seen after the restart")
	}
	for _, u := range urls {
		if !strings.Contains(u, "last_seq=") {
			t.Errorf("the page reconnected without ?last_seq=: %s", u)
		}
	}
}

// The host asks one sitter to leave, then ends the séance: the others are
// told, and the link afterwards says it has ended.
func testHostEndsSeance(t *testing.T) {
	srv := startServer(t)
	bs := newBrowsers(t, 1280, 800, "host", "guest")
	host, guest := bs[0], bs[1]
	for _, b := range bs {
		b.reduceMotion() // motion is not what this test is about
	}
	link, id := host.createSeance(srv, "A short séance")
	host.do(chromedp.Click(chromedp.CSS("#enter-seance")))
	host.takeSeat("Morgana")
	// This guest was given the code, not the link: the home page takes it.
	guest.do(chromedp.Navigate(srv.URL()), chromedp.WaitVisible(chromedp.CSS("#j-code")))
	guest.do(typeInto("#j-code", "  "+strings.ToUpper(id)+" "), chromedp.Click(chromedp.CSS("#join-form button")))
	guest.takeSeat("Ada")
	intruder, _ := joinPeer(t, srv, id, "Intruder")
	host.wait("three in the circle", `document.querySelectorAll("#participants .person").length === 3`, 10*time.Second)

	host.do(chromedp.Click(chromedp.CSS(`#participants button[aria-label="Ask Intruder to leave"]`)),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")))
	host.fontsReady()
	host.shot("09-remove-dialog")
	host.do(chromedp.Click(chromedp.CSS("#confirm-yes")))
	if f := intruder.await("error"); !strings.Contains(string(f.Data), `"REMOVED"`) {
		t.Fatalf("the removed participant got %s", f.Data)
	}
	intruder.closed()
	for _, b := range bs {
		b.wait("the intruder gone", `document.querySelectorAll("#participants .person").length === 2`, 10*time.Second)
	}

	host.do(chromedp.Click(chromedp.CSS("#end-seance")),
		chromedp.WaitVisible(chromedp.CSS("#confirm-yes")),
		chromedp.Click(chromedp.CSS("#confirm-yes")))
	for _, b := range bs {
		b.do(chromedp.WaitVisible(chromedp.CSS("#ended")))
		if text := eval[string](b, `document.querySelector("#ended").textContent`); !strings.Contains(text, "ended") {
			t.Errorf("%s: the ended notice says %q", b.name, text)
		}
	}
	if !eval[bool](guest, `document.querySelector("#question").disabled`) {
		t.Error("the question box is still open after the end")
	}
	guest.shot("10-ended")

	guest.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#ended")))
}

// Everything with the keyboard alone: create a séance, enter it, take a
// seat, ask — and the focus is always visible.
func testKeyboardOnly(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, "keys", 1280, 800)
	// This visitor also asks for less motion: letters appear, nothing glides.
	b.reduceMotion()
	b.do(chromedp.Navigate(srv.URL()), chromedp.WaitVisible(chromedp.CSS(".spirit-opt input")))

	press := func(keys string) {
		t.Helper()
		b.do(chromedp.KeyEvent(keys))
	}
	focused := func() string {
		return eval[string](b, `document.activeElement ? (document.activeElement.id || document.activeElement.tagName) : ""`)
	}
	expectFocus := func(id string) {
		t.Helper()
		b.wait("focus on #"+id, `document.activeElement && document.activeElement.id === `+js(id), 10*time.Second)
		if !eval[bool](b, `getComputedStyle(document.activeElement).outlineStyle !== "none" ||
			getComputedStyle(document.activeElement.closest(".spirit-opt") || document.activeElement).outlineStyle !== "none"`) {
			t.Errorf("#%s has focus but no visible outline", id)
		}
	}
	// On the way to the form, the sound toggle: Space turns it on (the
	// ambience starts, and the answer will be spoken).
	for i := 0; focused() != "c-name"; i++ {
		if i == 8 {
			b.fail("Tab never reached the séance name (at %s)", focused())
		}
		if focused() == "sound-toggle" && !eval[bool](b, `document.querySelector("#sound-toggle").ariaPressed === "true"`) {
			press(" ")
			b.wait("sound on", `document.querySelector("#sound-toggle").ariaPressed === "true"`, 5*time.Second)
		}
		press(kb.Tab)
	}
	expectFocus("c-name")
	press("By keys alone")
	press(kb.Tab)
	expectFocus("c-seats")
	press(kb.ArrowRight)
	press(kb.ArrowRight) // 8 seats
	press(kb.Tab)
	for range 3 {
		press(kb.ArrowDown) // to the fourth spirit, the Sibyl: short answers
	}
	press(kb.Tab)
	press(kb.Enter)
	expectFocus("copy-link")
	press(kb.Tab)
	expectFocus("enter-seance")
	b.fontsReady()
	b.shot("11-keyboard-focus")
	link := eval[string](b, `document.querySelector("#share-link").value`)
	id := link[strings.LastIndex(link, "/")+1:]
	press(kb.Enter)

	b.do(chromedp.WaitVisible(chromedp.CSS("#j-name")))
	expectFocus("j-name")
	press("Quill")
	press(kb.Enter)
	b.waitConnected()
	expectFocus("question")
	// A short answer that reaches a screen after its last letter was due
	// is shown whole at once, as to a late joiner; a busy machine can make
	// that happen, so the question is asked again until the board is
	// caught spelling.
	var answer string
	for try := 1; ; try++ {
		question := "Can you hear my keys?"
		if try > 1 {
			question = fmt.Sprintf("Can you hear my keys, %d times?", try)
		}
		before := eval[string](b, `document.querySelector("#revealed").dataset.doneAt || ""`)
		press(question)
		press(kb.Enter)
		answer = srv.answerTo(t, id, question)
		b.wait("the answer to reach the board", fmt.Sprintf(`(() => {
			const r = document.querySelector("#revealed");
			return r.dataset.state === "spelling" || (r.dataset.doneAt || "") !== %q;
		})()`, before), 10*time.Second)
		if eval[string](b, `document.querySelector("#revealed").dataset.state`) == "spelling" {
			break
		}
		if try == 3 {
			t.Fatalf("three answers in a row reached the board only after their spelling: the last was %q", answer)
		}
	}
	// With reduced motion the planchette never stands between symbols:
	// sampled while it spells, it is always exactly on one (or at rest).
	for i := 0; i < 8; i++ {
		if !eval[bool](b, onASymbol) {
			t.Fatalf("with reduced motion the planchette was caught between symbols: %s",
				eval[string](b, `document.querySelector(".planchette").getAttribute("transform")`))
		}
		time.Sleep(60 * time.Millisecond)
	}
	b.waitSpelled(answer)

	var sess struct {
		MaxUsers int    `json:"max_users"`
		Spirit   string `json:"spirit"`
	}
	srv.call(t, http.MethodGet, "/api/sessions/"+id, nil, &sess)
	if sess.MaxUsers != 8 || sess.Spirit != "sibyl" {
		t.Errorf("the keyboard made a séance of %d seats with %q; want 8 with the Sibyl", sess.MaxUsers, sess.Spirit)
	}
}

// A 360 px phone: nothing is wider than the screen, on the home page or
// in a séance, while the board spells.
func testPhoneViewport(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, "phone", 360, 740)
	b.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	noOverflow := func(where string) {
		t.Helper()
		if w := eval[int](b, `document.scrollingElement.scrollWidth`); w > 360 {
			b.fail("%s: the page is %d px wide on a 360 px screen", where, w)
		}
	}
	b.do(chromedp.Navigate(srv.URL()), chromedp.WaitVisible(chromedp.CSS(".spirit-opt input")))
	b.fontsReady()
	noOverflow("home")
	b.shot("12-phone-home")

	_, id := b.createSeance(srv, "Pocket séance with a rather long name")
	noOverflow("share card")
	b.do(chromedp.Click(chromedp.CSS("#enter-seance")))
	b.takeSeat("Pip")
	noOverflow("séance")
	const question = "Shall we dance?"
	b.ask(question)
	answer := srv.answerTo(t, id, question)
	b.do(chromedp.ScrollIntoView(chromedp.CSS("#s-title")))
	b.wait("the spelling to be under way", `(() => { const r = document.querySelector("#revealed");
		return r.dataset.state === "spelling" && [...r.textContent].length >= Math.min(8, [...r.dataset.message].length - 2); })()`, 15*time.Second)
	noOverflow("séance, spelling")
	b.shot("13-phone-seance")
	b.waitSpelled(answer)
	noOverflow("séance, answered")
	b.fullShot("14-phone-answered")
}

// A long séance: the page opens on the last 50 messages and fetches the
// earlier ones on demand, each once, in order.
func testTranscriptPagesBack(t *testing.T) {
	srv := startServer(t)
	id := createViaAPI(t, srv, "A long night", "sibyl")
	var peers []*peer
	for i := range 10 {
		p, _ := joinPeer(t, srv, id, fmt.Sprintf("Sitter %d", i+1))
		peers = append(peers, p)
	}
	// 50 questions and their 50 answers; one at a time, so that no one
	// is over the rate limit or the spirit's queue.
	for i := range 50 {
		peers[i%len(peers)].ask(fmt.Sprintf("Question number %d?", i+1))
	}
	if n := len(srv.history(t, id)); n != 100 {
		t.Fatalf("seeded %d messages, want 100", n)
	}

	b := newBrowser(t, "reader", 1280, 800)
	b.reduceMotion()
	b.do(chromedp.Navigate(srv.URL() + "/session/" + id))
	b.takeSeat("Late")
	count := `document.querySelectorAll("#messages .msg").length`
	if n := eval[int](b, count); n != 50 {
		t.Fatalf("the page opened with %d messages, want the last 50", n)
	}
	// Scrolling the transcript up with the mouse wheel brings the rest.
	box := eval[[]float64](b, `(() => { const r = document.querySelector("#log").getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`)
	b.do(chromedp.MouseEvent(chromedp.MouseWheel, box[0], box[1], func(p *input.DispatchMouseEventParams) {
		// Chrome wants both deltas and cdproto omits a zero: one pixel
		// sideways, where the log has nowhere to go.
		p.DeltaX, p.DeltaY = -1, -20000
	}))
	b.wait("the earlier page", count+` === 100`, 10*time.Second)
	seqs := eval[[]int](b, `[...document.querySelectorAll("#messages .msg")].map(e => Number(e.dataset.seq))`)
	for i, seq := range seqs {
		if seq != i+1 {
			t.Fatalf("transcript order: position %d holds seq %d", i, seq)
		}
	}
	if !eval[bool](b, `document.querySelector("#older").hidden`) {
		t.Error("the earlier-messages button is still offered at the first message")
	}
	if got := b.transcript()[0]; got != "Question number 1?" {
		t.Errorf("the first message shown is %q", got)
	}
}

func createViaAPI(t *testing.T, srv *server, name, spirit string) string {
	t.Helper()
	var s struct {
		ID string `json:"id"`
	}
	if code := srv.call(t, http.MethodPost, "/api/sessions", map[string]any{"name": name, "spirit": spirit, "max_users": 12}, &s); code != http.StatusCreated {
		t.Fatalf("create: %d", code)
	}
	return s.ID
}

// onASymbol is true when the planchette's window is exactly over a
// symbol of the board or at its resting place.
const onASymbol = `(() => {
	const m = /translate\(([-\d.]+) ([-\d.]+)\)/.exec(document.querySelector(".planchette").getAttribute("transform"));
	const x = Number(m[1]), y = Number(m[2]);
	if (Math.abs(x - 500) < 0.5 && Math.abs(y - 158) < 0.5) return true;
	return [...document.querySelectorAll(".board-symbols .sym")].some(el => {
		const t = /translate\(([-\d.]+) ([-\d.]+)\)/.exec(el.getAttribute("transform"));
		return Math.abs(Number(t[1]) - x) < 0.5 && Math.abs(Number(t[2]) - y) < 0.5;
	});
})()`
