// The séance page: take a seat, then the board, the circle, the transcript
// and the question box, all kept live by the WebSocket.

import { api, ApiError, sessionIdFrom, shareURL, transcriptURL } from "./api.js";
import { buildBoard, candles, Performer } from "./board.js";
import { Clock, parseTime } from "./clock.js";
import { Connection } from "./conn.js";
import { h, icon, announce, toast, copyText, formatTime } from "./dom.js";
import { HelpCard } from "./help.js";
import { store } from "./store.js";

const MAX_QUESTION = 500;
const PAGE = 50; // older messages fetched per page
const LEAD = 300; // ms between an answer being stored and the planchette starting (wire.PlanchetteLead)

const FRIENDLY = {
  RATE_LIMITED: "The spirit needs a breath. Wait a few seconds before asking again.",
  SPIRIT_BUSY: "You already have three questions waiting. Let the spirit answer those first.",
  EMPTY_MESSAGE: "The spirit cannot answer silence. Write a question first.",
  MESSAGE_TOO_LONG: `That question is too long for the board: ${MAX_QUESTION} characters at most.`,
  INVALID_JSON: "The spirit did not understand that message.",
  UNKNOWN_EVENT: "The spirit did not understand that message.",
  VALIDATION_ERROR: "The spirit did not understand that message.",
};
const QUESTION_ERRORS = new Set(["RATE_LIMITED", "SPIRIT_BUSY", "EMPTY_MESSAGE", "MESSAGE_TOO_LONG"]);

export async function seance(main, rawId, { sound }) {
  document.body.classList.add("page-seance");
  const id = sessionIdFrom(rawId);
  const view = new SeanceView(main, id, sound);
  if (!id || id !== rawId.toLowerCase()) {
    view.notFound();
    return;
  }
  await view.open();
}

class SeanceView {
  constructor(main, id, sound) {
    this.main = main;
    this.id = id;
    this.sound = sound;
    this.clock = new Clock();
    this.spirits = api.spirits().catch(() => []);
    this.reset();
  }

  /** reset forgets the room, as when sitting down anew with a new seat. */
  reset() {
    this.conn?.stop();
    this.performer?.stop();
    for (const t of this.typing?.values() || []) clearTimeout(t.timer);
    this.messages = new Map(); // seq -> message
    this.items = new Map(); // seq -> <li>
    this.answered = new Set(); // question ids that have an answer
    this.presence = new Map(); // participant id -> {id, name, joined_at}
    this.typing = new Map(); // participant id -> {name, timer}
    this.lastSeq = 0;
    this.joined = false; // a session_state was received at least once
    this.thinking = null; // the question the spirit is thinking about
    this.whisper = "";
  }

  async open() {
    this.status("The candles are being lit…");
    try {
      this.session = await api.session(this.id);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) this.notFound();
      else this.problem(e.message, () => this.open());
      return;
    }
    document.title = `${this.session.name} · Séance`;
    this.hostToken = store.hostToken(this.id);
    if (!this.session.is_active) {
      store.clearSeat(this.id);
      this.endedPage();
      return;
    }
    const seat = store.seat(this.id);
    if (seat && seat.token) this.enter(seat);
    else this.joinCard();
  }

  async spiritName() {
    const list = await this.spirits;
    return list.find((s) => s.id === this.session.spirit)?.name || "the spirit";
  }

  // --- Simple pages ---

  page(...children) {
    this.main.replaceChildren(h("div", { class: "single" }, ...children));
  }

  status(text) {
    this.page(h("p", { class: "loading" }, text));
  }

  notFound() {
    document.title = "No séance here · Séance";
    this.page(h("section", { class: "card notice" },
      h("h1", {}, "No séance answers here"),
      h("p", {}, "This link leads nowhere: the séance may never have been, or its traces have faded."),
      h("a", { class: "button primary", href: "/" }, "Begin a new séance")));
  }

  problem(text, retry) {
    const btn = h("button", { type: "button", class: "button primary" }, "Try again");
    btn.addEventListener("click", retry);
    this.page(h("section", { class: "card notice" }, h("h1", {}, "The spirits are out of reach"), h("p", {}, text), btn));
    btn.focus();
  }

  endedPage() {
    this.page(h("section", { class: "card notice", id: "ended" },
      h("p", { class: "eyebrow" }, this.session?.name || "Séance"),
      h("h1", {}, "This séance has ended"),
      h("p", {}, "The candles are out and the spirit has gone back to the dark. What was said is kept."),
      h("div", { class: "actions" },
        h("a", { class: "button", href: transcriptURL(this.id), download: "seance-transcript.md" }, icon("download"), "Download the transcript"),
        h("a", { class: "button primary", href: "/" }, "Begin a new séance"))));
  }

  async joinCard(notice) {
    const name = h("input", { id: "j-name", name: "name", required: true, maxlength: 50, autocomplete: "nickname", value: store.name(), placeholder: "Your name" });
    const error = h("p", { class: "form-error", role: "alert" }, notice || "");
    const submit = h("button", { type: "submit", class: "button primary", id: "take-seat" }, "Take your seat");
    const form = h("form", { id: "seat-form", novalidate: true },
      h("div", { class: "field" }, h("label", { for: "j-name" }, "Your name"), name),
      submit, error);
    const spiritLine = h("p", { class: "muted" }, `${this.session.participant_count} of ${this.session.max_users} seats taken`);
    this.main.replaceChildren(h("div", { class: "join-view" },
      h("div", { class: "board-frame join-board", "aria-hidden": "true" }, candles(), buildBoard().el),
      h("section", { class: "card join-card", "aria-labelledby": "seat-h" },
        h("p", { class: "eyebrow" }, "You are invited to a séance"),
        h("h1", { id: "seat-h" }, this.session.name),
        spiritLine,
        form)));
    this.spiritName().then((n) => {
      spiritLine.textContent = `${n} will answer · ${this.session.participant_count} of ${this.session.max_users} seats taken`;
    });
    name.focus();
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const who = name.value.trim();
      if (!who) {
        error.textContent = "Tell the circle your name.";
        name.focus();
        return;
      }
      submit.disabled = true;
      error.textContent = "";
      try {
        const j = await api.join(this.id, who);
        const seat = { token: j.token, participantId: j.participant.id, name: j.participant.name };
        store.setName(who);
        store.setSeat(this.id, seat);
        this.enter(seat, true);
      } catch (err) {
        submit.disabled = false;
        if (err.code === "SESSION_ENDED") return this.endedPage();
        if (err.code === "SESSION_NOT_FOUND") return this.notFound();
        error.textContent = err.code === "SESSION_FULL" ? "Every seat is taken. Try again when someone leaves." : err.message;
        name.focus();
      }
    });
  }

  // --- The séance itself ---

  enter(seat, focusQuestion = false) {
    this.reset();
    this.seat = seat;
    this.focusQuestion = focusQuestion;
    this.render();
    this.performer = new Performer(this.board, this.clock, {
      onStart: (p) => this.onSpellStart(p),
      onMove: (ms) => this.sound.scrape(ms),
      onArrive: () => this.sound.knock(),
      onAnswered: (p, { late }) => this.onAnswered(p, late),
      onReveal: (p, text, spelling) => this.onReveal(p, text, spelling),
    });
    if (!this.motion) {
      this.motion = matchMedia("(prefers-reduced-motion: reduce)");
      this.motion.addEventListener("change", () => {
        if (!this.performer) return;
        this.performer.reduced = this.motion.matches;
        this.performer.wake();
      });
    }
    this.performer.reduced = this.motion.matches;
    this.performer.wake();
    this.conn = new Connection({
      clock: this.clock,
      url: () => this.socketURL(),
      onFrame: (f) => this.onFrame(f),
      onState: (st, info) => this.onConnState(st, info),
    });
    this.conn.start();
  }

  socketURL() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    let url = `${proto}//${location.host}/ws/${encodeURIComponent(this.id)}?token=${encodeURIComponent(this.seat.token)}`;
    // Resume only after a first join: the first one gets history instead.
    if (this.joined) url += `&last_seq=${this.lastSeq}`;
    return url;
  }

  render() {
    const el = {};
    this.el = el;
    this.board = buildBoard();
    el.title = h("h1", { id: "s-title" }, this.session.name);
    el.spirit = h("p", { class: "spirit-line" }, "");
    this.spiritName().then((n) => { el.spirit.textContent = `${n} is listening`; });

    const invite = h("button", { type: "button", class: "chip", id: "invite" }, icon("link"), h("span", {}, "Copy link"));
    invite.addEventListener("click", () => copyText(shareURL(this.id), null, invite));
    const actions = h("div", { class: "stage-actions" }, invite);
    if (this.hostToken) {
      const end = h("button", { type: "button", class: "chip danger", id: "end-seance" }, icon("exit"), h("span", {}, "End séance"));
      end.addEventListener("click", () => this.endSeance());
      actions.append(end);
    }

    el.stage = h("section", { class: "stage", "aria-labelledby": "s-title" },
      h("header", { class: "stage-head" }, h("div", { class: "titles" }, el.title, el.spirit), actions),
      h("div", { class: "board-frame" }, candles(), this.board.el),
      el.oracle = h("div", { class: "oracle" },
        el.whisper = h("p", { class: "whisper", id: "whisper" }),
        el.revealed = h("p", { class: "revealed", id: "revealed", "aria-hidden": "true", dataset: { message: "", state: "idle" } }),
        el.hint = h("p", { class: "oracle-hint", id: "oracle-hint" }, "Reaching across…")));

    // The question box.
    el.question = h("textarea", {
      id: "question", name: "question", rows: 2, maxlength: MAX_QUESTION,
      placeholder: "Is anyone there?", "aria-describedby": "counter queue ask-help", autocomplete: "off",
    });
    el.counter = h("span", { class: "counter", id: "counter", "aria-live": "off" }, `0 / ${MAX_QUESTION}`);
    el.ask = h("button", { type: "submit", class: "button primary", id: "ask" }, icon("send"), h("span", {}, "Ask"));
    el.typingLine = h("p", { class: "typing", id: "typing" });
    el.queue = h("p", { class: "queue", id: "queue", "aria-live": "polite" });
    el.form = h("form", { id: "ask-form", novalidate: true },
      h("div", { class: "label-row" }, h("label", { for: "question", id: "ask-h" }, "Ask the spirit"), el.counter),
      el.question,
      h("p", { class: "sr-only", id: "ask-help" }, "Enter sends the question; Shift and Enter starts a new line."),
      h("div", { class: "ask-row" }, el.typingLine, el.ask),
      el.queue);
    el.question.addEventListener("input", () => this.onQuestionInput());
    el.question.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        el.form.requestSubmit();
      }
    });
    el.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.ask();
    });

    el.seats = h("span", { class: "count", id: "seat-count" });
    el.people = h("ul", { class: "participants", id: "participants" });
    el.older = h("button", { type: "button", class: "link-button older", id: "older", hidden: true }, "Earlier messages");
    el.older.addEventListener("click", () => this.loadOlder());
    el.list = h("ol", { class: "messages", id: "messages" });
    el.empty = h("p", { class: "empty", id: "log-empty" }, "Nothing has been asked yet. The board waits.");
    el.log = h("div", { class: "log", id: "log", tabindex: "0", role: "region", "aria-label": "Transcript" }, el.older, el.list, el.empty);
    // Scrolling up to the top fetches the page before; only up: the log
    // scrolling itself down to a new message must not.
    let lastTop = 0;
    el.log.addEventListener("scroll", () => {
      const top = el.log.scrollTop;
      if (top < lastTop && top < 40 && !el.older.hidden) this.loadOlder();
      lastTop = top;
    }, { passive: true });

    // Always in the page, empty or not: screen readers read out what is
    // put into a live region they already know, not a new one.
    el.help = h("div", { class: "help-slot", id: "help", "aria-live": "polite" });
    this.help = new HelpCard(el.help, () => {
      if (el.question.disabled) this.main.focus();
      else el.question.focus();
    });

    el.page = h("div", { class: "seance" },
      el.stage,
      el.help,
      h("section", { class: "card ask-sec", "aria-labelledby": "ask-h" }, el.form),
      h("section", { class: "card circle-sec", "aria-labelledby": "circle-h" },
        h("div", { class: "sec-head" }, h("h2", { id: "circle-h" }, "The circle"), el.seats),
        el.people),
      h("section", { class: "card log-sec", "aria-labelledby": "log-h" },
        h("div", { class: "sec-head" },
          h("h2", { id: "log-h" }, "Transcript"),
          h("a", { class: "link-button", id: "download", href: transcriptURL(this.id), download: "seance-transcript.md" }, icon("download"), "Markdown")),
        el.log));
    this.main.replaceChildren(el.page);
    this.setAskEnabled(false);
    this.renderPresence();
  }

  // --- Frames ---

  onFrame(f) {
    const d = f.data || {};
    switch (f.event) {
      case "session_state": return this.onState(d);
      case "user_joined": return this.onJoined(d);
      case "user_left": return this.onLeft(d);
      case "message_received": return this.add({ ...d, is_spirit: false }, true);
      case "spirit_response": return this.add({ ...d, is_spirit: true }, true, parseTime(d.starts_at));
      case "spirit_thinking": return this.onThinking(d);
      case "spirit_chunk": return this.onChunk(d);
      case "user_typing": return this.onTyping(d);
      case "session_ended": return this.onEnded(d.reason);
      case "error": return this.onError(d);
      default:
    }
  }

  onState(d) {
    const first = !this.joined;
    this.me = d.you;
    if (d.session) {
      Object.assign(this.session, d.session);
      this.el.title.textContent = this.session.name;
    }
    this.presence = new Map((d.participants || []).map((p) => [p.id, p]));
    for (const m of d.history || []) this.add(m, false);
    if (first) {
      this.lastSeq = Math.max(this.lastSeq, d.last_seq || 0);
      const oldest = Math.min(...[...this.messages.keys()]);
      this.el.older.hidden = !(Number.isFinite(oldest) && oldest > 1);
    }
    this.joined = true;
    this.renderPresence();
    this.updateQueue();
    if (first) this.scrollLog(true);
    if (first && this.focusQuestion) this.el.question.focus();
  }

  onJoined(p) {
    const known = this.presence.has(p.id);
    this.presence.set(p.id, p);
    this.renderPresence();
    if (!known && this.joined && p.id !== this.me?.id) {
      toast(`${p.name} has joined the circle.`, "info", 2800);
    }
  }

  onLeft(p) {
    if (!this.presence.delete(p.id)) return;
    this.stopTyping(p.id);
    this.renderPresence();
    if (p.id !== this.me?.id) toast(`${p.name} has left the circle.`, "info", 2800);
  }

  /** add puts a message in the transcript once, whatever way it came
   * (live, history, replay, an older page), and queues an answer's spelling. */
  add(m, live, startsAt) {
    if (!m || typeof m.seq !== "number") return;
    // Resume from the highest seq seen. History on a reconnect is not
    // counted (the replay that follows covers exactly what was missed, and
    // a drop in the middle of it must not skip the rest); a replayed frame
    // is counted even when history already brought its message.
    if (live || !this.joined) this.lastSeq = Math.max(this.lastSeq, m.seq);
    if (this.messages.has(m.seq)) return;
    this.messages.set(m.seq, m);
    if (m.is_spirit) {
      if (m.reply_to) this.answered.add(m.reply_to);
      // Help is for now: shown as the answer arrives, not once spelled.
      if (m.safety?.help) this.help.offer(m, this.clock.now() - parseTime(m.timestamp));
      const at = Number.isFinite(startsAt) ? startsAt : parseTime(m.timestamp) + LEAD;
      this.performer.add({ id: m.id, seq: m.seq, replyTo: m.reply_to, message: m.message, timings: m.letter_timings, startsAt: at });
      if (this.thinking && this.thinking === m.reply_to) this.setThinking(null);
    } else if (live && m.user_id !== this.me?.id) {
      announce(`${m.user_name} asks: ${m.message}`);
    }
    this.renderMessage(m);
    this.stopTyping(m.user_id);
    this.updateQueue();
  }

  renderMessage(m) {
    const el = this.el;
    const mine = !m.is_spirit && m.user_id === this.me?.id;
    const text = h("p", { class: "msg-text" });
    const li = h("li", { class: `msg ${m.is_spirit ? "msg-spirit" : "msg-question"}${mine ? " msg-mine" : ""}`, dataset: { seq: String(m.seq) } },
      h("p", { class: "msg-meta" },
        h("span", { class: "who" }, m.is_spirit ? m.user_name || "The spirit" : mine ? `${m.user_name} (you)` : m.user_name),
        h("time", { datetime: m.timestamp }, formatTime(parseTime(m.timestamp)))),
      text);
    if (m.is_spirit && m.safety?.help) {
      // A closed card, or one too old to show on joining, stays within reach.
      const again = h("button", { type: "button", class: "link-button msg-help" }, "Where to find help");
      again.addEventListener("click", () => this.help.show(m, { focus: true }));
      li.append(again);
    }
    const perf = m.is_spirit ? this.performer.perfs.find((p) => p.id === m.id) : null;
    if (perf && !perf.answered) {
      li.classList.add("veiled");
      text.textContent = "The planchette is moving…";
    } else {
      text.textContent = m.message;
    }
    const stick = this.nearBottom();
    let next = null;
    for (const [seq, item] of this.items) if (seq > m.seq && (!next || seq < Number(next.dataset.seq))) next = item;
    el.list.insertBefore(li, next);
    this.items.set(m.seq, li);
    el.empty.hidden = true;
    if (stick) this.scrollLog();
  }

  nearBottom() {
    const log = this.el.log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < 80;
  }

  scrollLog(force) {
    const log = this.el.log;
    if (force || this.nearBottom()) requestAnimationFrame(() => { log.scrollTop = log.scrollHeight; });
  }

  /** loadOlder fetches the page before the oldest message shown. The API
   * pages forward (after_seq), so the page is chosen to end at it. */
  async loadOlder() {
    if (this.loadingOlder) return;
    const oldest = Math.min(...this.messages.keys());
    if (!Number.isFinite(oldest) || oldest <= 1) {
      this.el.older.hidden = true;
      return;
    }
    this.loadingOlder = true;
    const after = Math.max(0, oldest - 1 - PAGE);
    const log = this.el.log;
    const before = log.scrollHeight;
    try {
      const page = await api.history(this.id, after, oldest - 1 - after);
      for (const m of page) this.add(m, false);
      log.scrollTop += log.scrollHeight - before;
      if (after === 0) {
        // Nothing earlier: the button goes, and its focus to the log.
        const had = document.activeElement === this.el.older;
        this.el.older.hidden = true;
        if (had) log.focus();
      }
    } catch (e) {
      toast(`Could not reach older messages: ${e.message}`, "warn");
    } finally {
      this.loadingOlder = false;
    }
  }

  onThinking(d) {
    this.setThinking(d.reply_to || "?");
    this.whisper = "";
    // Another answer may still be on the board: its question stays until
    // the board is free.
    if (!this.performer.busy()) this.el.whisper.textContent = "The spirit stirs…";
    this.sound.chime();
  }

  onChunk(d) {
    if (typeof d.text !== "string") return;
    // Chunks are pieces to append; a server that resends the whole text
    // so far is recognised and not doubled.
    this.whisper = this.whisper && d.text.startsWith(this.whisper) ? d.text : this.whisper + d.text;
    if (!this.performer.busy()) this.el.whisper.textContent = `${this.whisper}…`;
  }

  setThinking(replyTo) {
    this.thinking = replyTo;
    this.el.stage.classList.toggle("thinking", !!replyTo);
    this.performer.setThinking(!!replyTo && !this.performer.busy());
    this.updateQueue();
  }

  onSpellStart(perf) {
    // While it spells, the question it answers stands above the letters.
    const q = [...this.messages.values()].find((m) => !m.is_spirit && m.id === perf.replyTo);
    this.el.whisper.textContent = q ? `“${q.message}” — ${q.user_name}` : "";
    this.whisper = "";
    this.performer.setThinking(false);
    this.el.stage.classList.add("spelling");
    this.el.hint.hidden = true;
    if (!this.thinking) this.el.stage.classList.remove("thinking");
    this.el.revealed.dataset.message = perf.message;
  }

  onReveal(perf, text, spelling) {
    const r = this.el.revealed;
    r.dataset.message = perf.message;
    r.dataset.state = spelling ? "spelling" : "done";
    // When the last letter lands, in this screen's estimate of server
    // time: screens that move together agree on it.
    if (!spelling) r.dataset.doneAt = String(Math.round(perf.tLast - this.clock.offset));
    r.textContent = text;
    this.el.hint.hidden = true;
  }

  onAnswered(perf, late) {
    this.el.stage.classList.remove("spelling");
    const m = this.messages.get(perf.seq);
    const li = this.items.get(perf.seq);
    if (li && m) {
      li.classList.remove("veiled");
      li.querySelector(".msg-text").textContent = m.message;
    }
    if (this.thinking) {
      this.performer.setThinking(true);
      this.el.whisper.textContent = this.whisper ? `${this.whisper}…` : "The spirit stirs…";
    }
    announce(`The spirit answers: ${perf.message}`);
    if (!late) this.sound.speak(perf.message);
    this.scrollLog();
  }

  onTyping(d) {
    if (!d.user_id || d.user_id === this.me?.id) return;
    const prev = this.typing.get(d.user_id);
    if (prev) clearTimeout(prev.timer);
    const timer = setTimeout(() => this.stopTyping(d.user_id), 3500);
    this.typing.set(d.user_id, { name: d.name, timer });
    this.renderTyping();
  }

  stopTyping(id) {
    const t = this.typing.get(id);
    if (!t) return;
    clearTimeout(t.timer);
    this.typing.delete(id);
    this.renderTyping();
  }

  renderTyping() {
    const names = [...this.typing.values()].map((t) => t.name);
    let text = "";
    if (names.length === 1) text = `${names[0]} is writing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are writing…`;
    else if (names.length > 2) text = "Several are writing…";
    this.el.typingLine.textContent = text;
    for (const li of this.el.people.children) li.classList.toggle("is-typing", this.typing.has(li.dataset.id));
  }

  renderPresence() {
    const el = this.el;
    if (!el) return;
    const people = [...this.presence.values()].sort((a, b) => String(a.joined_at).localeCompare(String(b.joined_at)));
    el.seats.textContent = `${people.length} of ${this.session.max_users} seats`;
    el.people.replaceChildren(...people.map((p) => {
      const me = p.id === this.me?.id;
      const li = h("li", { class: `person${me ? " me" : ""}`, dataset: { id: p.id } },
        h("span", { class: "avatar", "aria-hidden": "true" }, initial(p.name)),
        h("span", { class: "person-name" }, p.name),
        me && h("span", { class: "badge" }, "you"),
        h("span", { class: "dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")));
      li.querySelector(".avatar").style.setProperty("--hue", String(hue(p.name)));
      if (this.hostToken && !me) {
        const rm = h("button", { type: "button", class: "icon-button remove", "aria-label": `Ask ${p.name} to leave`, title: `Ask ${p.name} to leave` }, icon("close"));
        rm.addEventListener("click", () => this.removePerson(p));
        li.append(rm);
      }
      return li;
    }));
    this.renderTyping();
  }

  /** updateQueue counts the questions still waiting ahead of the first of
   * mine, in the order they were asked. */
  updateQueue() {
    const el = this.el;
    if (!el || !this.me) return;
    const waiting = [...this.messages.values()]
      .filter((m) => !m.is_spirit && !this.answered.has(m.id))
      .sort((a, b) => a.seq - b.seq);
    const k = waiting.findIndex((m) => m.user_id === this.me.id);
    let text = "";
    if (k === 0) text = this.thinking === waiting[0].id ? "The spirit is answering you…" : "Yours is next.";
    else if (k === 1) text = "1 question before yours.";
    else if (k > 1) text = `${k} questions before yours.`;
    el.queue.textContent = text;
  }

  onQuestionInput() {
    const q = this.el.question;
    const n = [...q.value].length;
    this.el.counter.textContent = `${n} / ${MAX_QUESTION}`;
    this.el.counter.classList.toggle("near", n > MAX_QUESTION - 50);
    const now = Date.now();
    if (q.value.trim() && now - (this.typingSent || 0) >= 1000 && this.conn?.send("typing", {})) this.typingSent = now;
  }

  ask() {
    const q = this.el.question;
    const text = q.value.trim();
    if (!text) {
      toast(FRIENDLY.EMPTY_MESSAGE, "warn");
      q.focus();
      return;
    }
    if ([...text].length > MAX_QUESTION) {
      toast(FRIENDLY.MESSAGE_TOO_LONG, "warn");
      return;
    }
    if (!this.conn.send("send_message", { message: text })) {
      toast("Not connected to the other side yet; your question is kept.", "warn");
      return;
    }
    this.lastAsked = text;
    q.value = "";
    this.onQuestionInput();
    q.focus();
  }

  setAskEnabled(on) {
    this.el.ask.disabled = !on;
    this.el.question.setAttribute("aria-disabled", String(!on));
  }

  onError(d) {
    const code = d.code || "";
    if (code === "REMOVED" || code === "SESSION_ENDED" || code === "SESSION_NOT_FOUND" || code === "SESSION_FULL" || code === "UNAUTHORIZED") {
      return; // the close that follows says it for good
    }
    let text = FRIENDLY[code] || d.message || "Something went wrong.";
    const wait = d.details?.retry_after_ms;
    if (code === "RATE_LIMITED" && wait) text = `The spirit needs a breath. Ask again in ${Math.ceil(wait / 1000)} s.`;
    toast(text, "warn");
    if (QUESTION_ERRORS.has(code) && this.lastAsked && !this.el.question.value) {
      this.el.question.value = this.lastAsked;
      this.onQuestionInput();
    }
  }

  // --- Connection ---

  onConnState(st, info) {
    const banner = document.getElementById("banner");
    clearInterval(this.countdown);
    if (st === "open") {
      if (!banner.hidden) {
        toast("Back in touch with the other side.", "ok", 3000);
        announce("Reconnected.");
      }
      banner.hidden = true;
      banner.replaceChildren();
      document.body.classList.remove("offline");
      this.setAskEnabled(true);
      this.el.hint.textContent = "Ask a question, and watch the planchette.";
      return;
    }
    this.setAskEnabled(false);
    if (st === "closed") {
      banner.hidden = true;
      document.body.classList.remove("offline");
      return this.onFinalClose(info);
    }
    if (!info.everOpen && st === "connecting" && info.attempt === 0) {
      this.el.hint.textContent = "Reaching across…";
      return;
    }
    document.body.classList.add("offline");
    const retry = h("button", { type: "button", class: "chip", id: "retry-now" }, "Try now");
    retry.addEventListener("click", () => this.conn.retryNow());
    const msg = h("span", { class: "banner-text" });
    const tick = () => {
      if (st === "connecting") msg.textContent = "The connection to the other side is lost. Reaching across…";
      else {
        const s = Math.max(0, Math.ceil((info.retryAt - Date.now()) / 1000));
        msg.textContent = `The connection to the other side is lost. Trying again in ${s} s…`;
      }
    };
    tick();
    if (st === "offline") this.countdown = setInterval(tick, 500);
    const wasHidden = banner.hidden;
    banner.replaceChildren(h("span", { class: "banner-dot", "aria-hidden": "true" }), msg, st === "offline" ? retry : null);
    banner.hidden = false;
    if (wasHidden) announce("The connection is lost. Reconnecting.");
  }

  onFinalClose(info) {
    this.conn?.stop();
    switch (info.why) {
      case "ended":
        return this.onEnded("");
      case "removed":
        store.clearSeat(this.id);
        this.performer.setThinking(false);
        this.page(h("section", { class: "card notice", id: "removed" },
          h("h1", {}, "You have been asked to leave"),
          h("p", {}, "The host has closed the circle to you. The spirit will not hear your questions here again."),
          h("a", { class: "button primary", href: "/" }, "Begin a séance of your own")));
        return;
      case "full": {
        const again = h("button", { type: "button", class: "button primary" }, "Try again");
        again.addEventListener("click", () => location.reload());
        this.page(h("section", { class: "card notice", id: "full" },
          h("h1", {}, "Every seat is taken"),
          h("p", {}, `All ${this.session.max_users} seats at this table are taken. Try again when someone leaves.`),
          again));
        again.focus();
        return;
      }
      case "not_found":
        return this.notFound();
      default:
        // The token is no good (the server's secret changed): sit again.
        store.clearSeat(this.id);
        this.joinCard("Your seat has gone cold. Take it again.");
    }
  }

  onEnded(reason) {
    if (this.ended) return;
    this.ended = true;
    this.conn?.stop();
    store.clearSeat(this.id);
    this.setThinking(null);
    this.presence.clear();
    this.renderPresence();
    this.setAskEnabled(false);
    this.el.question.disabled = true;
    const why = reason === "ended_by_host" ? "The host has closed the circle." : reason === "idle" || reason === "expired" ? "The candles burned down: the séance was quiet too long." : "The séance is over.";
    const veil = h("div", { class: "veil", id: "ended", role: "alert" },
      h("div", { class: "card notice" },
        h("h2", {}, "The séance has ended"),
        h("p", {}, `${why} The spirit returns to the dark.`),
        h("div", { class: "actions" },
          h("a", { class: "button", href: transcriptURL(this.id), download: "seance-transcript.md" }, icon("download"), "Transcript"),
          h("a", { class: "button primary", href: "/" }, "Begin a new séance"))));
    this.el.stage.append(veil);
    this.el.stage.classList.add("over");
    document.getElementById("end-seance")?.remove();
    for (const b of this.el.people.querySelectorAll("button")) b.remove();
  }

  // --- Host ---

  async endSeance() {
    const ok = await confirmDialog({
      title: "End the séance?",
      body: "Everyone is let go and the board falls silent. The transcript is kept.",
      yes: "End it",
    });
    if (!ok) return;
    try {
      await api.end(this.id, this.hostToken);
    } catch (e) {
      if (e.status === 401 || e.status === 403) store.setHostToken(this.id, null);
      toast(`The séance could not be ended: ${e.message}`, "warn");
    }
  }

  async removePerson(p) {
    const ok = await confirmDialog({
      title: `Ask ${p.name} to leave?`,
      body: `${p.name} is sent from the circle and cannot come back with the same seat.`,
      yes: "Send them away",
    });
    if (!ok) return;
    try {
      await api.remove(this.id, p.id, this.hostToken);
      toast(`${p.name} has been sent from the circle.`, "ok");
    } catch (e) {
      toast(`${p.name} could not be removed: ${e.message}`, "warn");
    }
  }
}

/** confirmDialog asks a yes/no question in a modal <dialog>: focus is
 * trapped, Escape cancels, and "no" is the default. */
function confirmDialog({ title, body, yes }) {
  return new Promise((resolve) => {
    const no = h("button", { type: "submit", class: "button", value: "no", id: "confirm-no" }, "Not yet");
    const ok = h("button", { type: "submit", class: "button danger", value: "yes", id: "confirm-yes" }, yes);
    const dlg = h("dialog", { class: "dialog", "aria-labelledby": "dlg-title", "aria-describedby": "dlg-body" },
      h("form", { method: "dialog" },
        h("h2", { id: "dlg-title" }, title),
        h("p", { id: "dlg-body" }, body),
        h("div", { class: "actions" }, no, ok)));
    const opener = document.activeElement;
    dlg.addEventListener("close", () => {
      resolve(dlg.returnValue === "yes");
      dlg.remove();
      if (opener && opener.isConnected) opener.focus();
    });
    document.body.append(dlg);
    dlg.showModal();
    no.focus();
  });
}

function initial(name) {
  return ([...String(name || "?").trim()][0] || "?").toUpperCase();
}

function hue(name) {
  let x = 0;
  for (const c of String(name)) x = (x * 31 + c.codePointAt(0)) % 360;
  return x;
}

