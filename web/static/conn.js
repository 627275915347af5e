// The séance's WebSocket: connects with the participant's token, resumes
// after a drop with ?last_seq= so nothing is missed, backs off while the
// server is away, and stops for good on the close codes that mean "do not
// come back" (README: close codes).

import { parseTime } from "./clock.js";

/** FINAL are the close codes after which reconnecting cannot help. */
export const FINAL = {
  4001: "token", // the token is not valid for this séance
  4004: "not_found",
  4009: "full",
  4010: "ended",
  4403: "removed",
};

const PING_EVERY = 20000; // keeps the clock estimate fresh and finds dead links
const SILENCE_LIMIT = 50000; // nothing heard for this long: the link is dead
const PROBE_WAIT = 5000; // a woken page's ping unanswered this long: the link is dead
const BACKOFF_MIN = 500;
const BACKOFF_MAX = 15000;

export class Connection {
  /**
   * @param {object} o
   * @param {() => string} o.url the URL to open, asked anew on every attempt
   * @param {(frame: object, recv: number) => void} o.onFrame
   * @param {(state: string, info: object) => void} o.onState
   * @param {import("./clock.js").Clock} o.clock
   */
  constructor({ url, onFrame, onState, clock }) {
    this.url = url;
    this.onFrame = onFrame;
    this.onState = onState;
    this.clock = clock;
    this.ws = null;
    this.state = "idle";
    this.attempt = 0;
    this.everOpen = false;
    this.pings = []; // local send times of pings awaiting their pong, in order
    this.kick = () => this.retryNow();
    // A phone woken from sleep may hold a socket that died meanwhile: look
    // at once rather than at the next ping.
    this.wakeUp = () => {
      if (document.hidden) return;
      if (this.state === "offline") this.retryNow();
      else if (this.state === "open") this.probe();
    };
  }

  start() {
    this.stopped = false;
    addEventListener("online", this.kick);
    document.addEventListener("visibilitychange", this.wakeUp);
    this.connect();
  }

  stop() {
    this.stopped = true;
    removeEventListener("online", this.kick);
    document.removeEventListener("visibilitychange", this.wakeUp);
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "bye");
  }

  set(state, info = {}) {
    this.state = state;
    this.onState(state, { attempt: this.attempt, everOpen: this.everOpen, ...info });
  }

  connect() {
    clearTimeout(this.retryTimer);
    this.set("connecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    this.pings = [];
    this.clock.reset();
    ws.onmessage = (e) => this.receive(ws, e);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.pingTimer);
      if (this.stopped) return;
      if (FINAL[e.code]) {
        this.stopped = true;
        this.set("closed", { code: e.code, why: FINAL[e.code], reason: e.reason });
        return;
      }
      this.retry();
    };
  }

  receive(ws, e) {
    if (this.ws !== ws) return;
    const recv = Date.now();
    this.heard = recv;
    let f;
    try {
      f = JSON.parse(e.data);
    } catch {
      return;
    }
    if (!f || typeof f.event !== "string") return;
    const at = parseTime(f.timestamp);
    if (f.event === "pong") {
      const sent = this.pings.shift();
      if (sent !== undefined) this.clock.trip(sent, at, recv);
      return;
    }
    this.clock.frame(at, recv);
    if (f.event === "session_state") {
      // Joined: only now is the link good (a refusal also opens first).
      this.attempt = 0;
      this.everOpen = true;
      this.set("open");
      this.startPings();
    }
    this.onFrame(f, recv);
  }

  startPings() {
    clearInterval(this.pingTimer);
    // A few quick round trips first: the planchette needs the offset now.
    for (const d of [50, 300, 700]) setTimeout(() => this.ping(), d);
    this.pingTimer = setInterval(() => {
      if (Date.now() - this.heard > SILENCE_LIMIT) {
        this.drop();
        return;
      }
      this.ping();
    }, PING_EVERY);
  }

  ping() {
    if (this.send("ping")) this.pings.push(Date.now());
  }

  /** probe pings and gives the link a few seconds to answer. */
  probe() {
    const ws = this.ws;
    const heard = this.heard;
    this.ping();
    setTimeout(() => {
      if (this.ws === ws && this.heard === heard && this.state === "open") this.drop();
    }, PROBE_WAIT);
  }

  /** drop abandons a link that went silent without closing (a sleeping
   * laptop, a lost Wi-Fi): waiting for the browser to notice takes minutes. */
  drop() {
    const ws = this.ws;
    this.ws = null;
    clearInterval(this.pingTimer);
    if (ws) ws.close();
    if (!this.stopped) this.retry();
  }

  retry() {
    const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** this.attempt);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempt++;
    this.retryAt = Date.now() + delay;
    this.set("offline", { retryAt: this.retryAt });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** retryNow skips the wait (the banner's button, the browser coming back online). */
  retryNow() {
    if (this.stopped || this.state !== "offline") return;
    this.connect();
  }

  send(event, data) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.state !== "open") return false;
    ws.send(JSON.stringify(data === undefined ? { event } : { event, data }));
    return true;
  }
}
