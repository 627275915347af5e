// The help card: when a question touched a life at risk, the server sends
// real help with the spirit's answer. It is no part of the game, so it is
// not spelled on the board: it stands beside it, plain and at once, on every
// screen in the room.

import { h, icon } from "./dom.js";

const CLOSED_KEY = "seance:help-closed";
const KEEP_CLOSED = 100;
// An answer replayed on joining that is older than this was for a moment
// that has passed; a card for it would startle whoever walks in now.
const FRESH_MS = 10 * 60 * 1000;

const HEADINGS = {
  self_harm: "Someone will listen",
  emergency: "If this is happening now",
};

function readClosed() {
  try {
    const v = JSON.parse(sessionStorage.getItem(CLOSED_KEY) || "[]");
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function remember(id) {
  const ids = readClosed().filter((x) => x !== id);
  ids.push(id);
  try {
    sessionStorage.setItem(CLOSED_KEY, JSON.stringify(ids.slice(-KEEP_CLOSED)));
  } catch {
    // Private mode: a reload may show the card again, which is the safer mistake.
  }
}

/** safeURL is the link as a URL when it is one a page may open. */
function safeURL(text) {
  try {
    const u = new URL(String(text));
    return u.protocol === "https:" || u.protocol === "http:" ? u : null;
  } catch {
    return null;
  }
}

export class HelpCard {
  /**
   * @param {HTMLElement} slot a live region that stays in the page, so that
   *   what is put in it is read out
   * @param {() => void} onFocusLost called when the card closes with the
   *   focus inside it, to put the focus somewhere useful
   */
  constructor(slot, onFocusLost) {
    this.slot = slot;
    this.onFocusLost = onFocusLost;
    this.latest = 0; // seq of the newest answer with help seen, shown or not
    this.card = null;
  }

  /** offer considers an answer carrying help, however it came. Only the
   * newest such answer can show, so one that arrives late (an older page of
   * the transcript) never pushes aside a newer one, nor brings back help the
   * person closed. age is how long ago, on the server's clock, it was given. */
  offer(m, age) {
    if (!m.safety?.help || m.seq <= this.latest) return;
    this.latest = m.seq;
    if (age > FRESH_MS || readClosed().includes(m.id)) return;
    this.show(m);
  }

  /** show puts the help of answer m in the card, replacing any other. */
  show(m, { focus = false } = {}) {
    const { category, help } = m.safety;
    const emergency = category === "emergency";
    const hadFocus = this.card?.contains(document.activeElement);
    const close = h("button", { type: "button", class: "icon-button help-close", id: "help-close", "aria-label": "Close this note", title: "Close" }, icon("close"));
    close.addEventListener("click", () => this.close());
    const url = safeURL(help.url);
    const card = h("section", { class: "card help-card", id: "help-card", tabindex: "-1", "aria-labelledby": "help-h", dataset: { id: m.id, category } },
      h("p", { class: "eyebrow" }, "Outside the séance"),
      h("h2", { id: "help-h" }, HEADINGS[category] || "Help is close"),
      h("p", { class: "help-text", id: "help-text" }, help.text),
      url && h("a", {
        class: "button help-link", href: help.url,
        target: "_blank", rel: "noopener noreferrer", "aria-label": `${url.hostname} (opens in a new tab)`,
      }, url.hostname, icon("external")),
      close);
    card.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.close();
      }
    });
    // Said at once for an emergency; otherwise when the reader pauses.
    this.slot.setAttribute("aria-live", emergency ? "assertive" : "polite");
    this.slot.replaceChildren(card);
    this.card = card;
    if (focus || hadFocus) card.focus();
  }

  close() {
    const card = this.card;
    if (!card) return;
    remember(card.dataset.id);
    const hadFocus = card.contains(document.activeElement);
    this.card = null;
    this.slot.replaceChildren();
    if (hadFocus) this.onFocusLost();
  }
}
