package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// A question about a life at risk: the board spells a short answer in
// character, and beside it every screen shows real help at once, to be
// read rather than watched. Closed, it stays closed; a harmless question
// brings none.
func testHelpBesideTheBoard(t *testing.T) {
	srv := startServer(t)
	bs := newBrowsers(t, 1280, 800, "host", "guest")
	host, guest := bs[0], bs[1]
	link, id := host.createSeance(srv, "A quiet circle")
	host.do(chromedp.Click(chromedp.CSS("#enter-seance")))
	host.takeSeat("Morgana")
	guest.do(chromedp.Navigate(link))
	guest.takeSeat("Ada")
	for _, b := range bs {
		b.wait("both in the circle", `document.querySelectorAll("#participants .person").length === 2`, 10*time.Second)
	}

	const crisis = "Nobody would miss me if I was gone"
	host.ask(crisis)
	for _, b := range bs {
		b.wait("the help card", `!!document.querySelector("#help-card")`, 15*time.Second)
		// At once, not when the planchette has finished: the answer is
		// still veiled in the transcript.
		if eval[bool](b, `!!document.querySelector("#messages .msg-spirit:not(.veiled)")`) {
			t.Errorf("%s: the help card came only after the board had spelled the answer", b.name)
		}
	}
	answer := srv.answerTo(t, id, crisis)
	if strings.Contains(answer, "findahelpline") || strings.Contains(answer, "112") {
		t.Fatalf("the board is to spell the help itself: %q", answer)
	}

	for _, b := range bs {
		text := eval[string](b, `document.querySelector("#help-text").textContent`)
		if !strings.Contains(text, "112") || !strings.Contains(text, "911") {
			t.Errorf("%s: the help card says %q, without the emergency numbers", b.name, text)
		}
		a := eval[map[string]string](b, `(() => { const a = document.querySelector("#help-card a");
			return a ? { href: a.getAttribute("href"), target: a.target, rel: a.rel, text: a.textContent } : {}; })()`)
		if a["href"] != "https://findahelpline.com" || a["target"] != "_blank" || a["rel"] != "noopener noreferrer" || a["text"] != "findahelpline.com" {
			t.Errorf("%s: the help link is %v", b.name, a)
		}
		if !eval[bool](b, `document.querySelector("#help-card").closest("[aria-live]") !== null`) {
			t.Errorf("%s: the help card is not in a live region", b.name)
		}
		// Beside the board, not over it.
		if eval[bool](b, `(() => { const c = document.querySelector("#help-card").getBoundingClientRect(),
				d = document.querySelector(".stage .board").getBoundingClientRect();
			return c.left < d.right && d.left < c.right && c.top < d.bottom && d.top < c.bottom; })()`) {
			t.Errorf("%s: the help card covers the board", b.name)
		}
	}
	for _, b := range bs {
		b.fontsReady()
		b.wait("the card settled", `document.querySelector("#help-card").getAnimations().every(a => a.playState === "finished")`, 5*time.Second)
		b.shot("20-help-card-" + b.name)
	}

	// The board spells the short answer, and only that.
	for _, b := range bs {
		b.waitSpelled(answer)
		if spelled := eval[string](b, `document.querySelector("#revealed").textContent`); strings.Contains(spelled, "findahelpline") || strings.Contains(spelled, "112") {
			t.Errorf("%s: the board spelled %q", b.name, spelled)
		}
		b.waitTranscript(crisis, answer)
	}

	// On a phone the card comes under the board, within the screen.
	guest.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	guest.wait("the one-column layout", `document.querySelector("#help-card").getBoundingClientRect().top >=
		document.querySelector(".stage .board").getBoundingClientRect().bottom`, 5*time.Second)
	if w := eval[int](guest, `document.scrollingElement.scrollWidth`); w > 360 {
		t.Errorf("with the help card the page is %d px wide on a 360 px screen", w)
	}
	guest.do(chromedp.ScrollIntoView(chromedp.CSS("#help-card")))
	guest.shot("21-help-card-phone")

	// Closed by its button, by keyboard on one screen and by tap on the other.
	host.do(chromedp.Focus(chromedp.CSS("#help-close")), chromedp.KeyEvent(kb.Enter))
	guest.do(chromedp.Click(chromedp.CSS("#help-close")))
	for _, b := range bs {
		b.wait("the help card closed", `!document.querySelector("#help-card")`, 5*time.Second)
	}
	host.wait("the focus back on the question", `document.activeElement === document.querySelector("#question")`, 5*time.Second)

	const harmless = "Will the candles last the night?"
	guest.ask(harmless)
	calm := srv.answerTo(t, id, harmless)
	for _, b := range bs {
		b.waitSpelled(calm)
		if eval[bool](b, `!!document.querySelector("#help-card")`) {
			t.Errorf("%s: a help card after %q", b.name, harmless)
		}
	}

	// A reload replays the answer, but the card closed here stays closed;
	// the transcript still offers the help.
	host.do(chromedp.Reload())
	host.waitConnected()
	host.waitTranscript(crisis, answer, harmless, calm)
	if eval[bool](host, `!!document.querySelector("#help-card")`) {
		t.Error("the closed help card came back with a reload")
	}
	host.do(chromedp.Click(chromedp.CSS("#messages .msg-help")))
	host.wait("the help card again, on request", `document.activeElement === document.querySelector("#help-card")`, 5*time.Second)
}
