// The board and the planchette. The board is one SVG drawn here (crisp at
// any size, no image files); the planchette's place at any moment is a pure
// function of server time, starts_at and letter_timings, so every screen
// that agrees on the time shows the same glide.

import { h, s } from "./dom.js";

export const W = 1000;
export const H = 660;
export const REST = { x: 500, y: 158 };

const HOLD = 1400; // the planchette rests on the last symbol this long
const RETURN = 1000; // then glides home

const GOLD = "url(#gilt)";

/** buildBoard draws the board and returns handles to move the planchette.
 * It is three stacked SVGs: the wood (static, with the costly grain filter
 * and shadow), the symbols (repainted when one lights up) and the
 * planchette (repainted every frame), so a moving planchette never makes
 * the browser re-filter the whole board. */
export function buildBoard() {
  const pos = new Map(); // symbol ("A", "7", "YES") -> {x, y, el}
  const layer = (cls, label) => s("svg", {
    class: `board-layer ${cls}`,
    viewBox: `0 0 ${W} ${H}`,
    "aria-hidden": label ? null : "true",
    focusable: "false",
  });
  const wood = layer("board-wood");
  const symbols = layer("board-symbols");
  const top = layer("board-planchette");
  wood.append(defs());

  const outline = "M70 12H930A58 58 0 0 1 988 70V590A58 58 0 0 1 930 648H70A58 58 0 0 1 12 590V70A58 58 0 0 1 70 12Z";
  wood.append(
    s("path", { d: outline, fill: "url(#wood)", stroke: "#0b0604", "stroke-width": 5 }),
    s("path", { d: outline, fill: "#000", filter: "url(#grain)", opacity: 0.9 }),
    s("path", { d: outline, fill: "url(#candlelight)" }),
    s("rect", { x: 32, y: 32, width: 936, height: 596, rx: 40, fill: "none", stroke: GOLD, "stroke-width": 2.5, opacity: 0.75 }),
    s("rect", { x: 42, y: 42, width: 916, height: 576, rx: 32, fill: "none", stroke: GOLD, "stroke-width": 1, opacity: 0.45 }),
  );
  for (const [x, y] of [[62, 62], [938, 62], [62, 598], [938, 598]]) wood.append(star(x, y, 9));

  // The wordmark and its flourishes, above where the planchette rests.
  wood.append(
    s("text", { x: 500, y: 66, class: "board-mark", "text-anchor": "middle", "dominant-baseline": "central" }, "SÉANCE"),
    s("path", { d: "M330 66h70M600 66h70", stroke: GOLD, "stroke-width": 1.2, opacity: 0.6 }),
    star(318, 66, 5), star(682, 66, 5),
    s("path", { d: "M300 612h80M620 612h80", stroke: GOLD, "stroke-width": 1.2, opacity: 0.6 }), star(290, 612, 5), star(710, 612, 5),
  );

  // YES beneath a sun, NO beneath a moon, as on the old boards.
  wood.append(sun(96, 122), moon(904, 122));
  symbols.append(glowDefs());
  pos.set("YES", symbol(symbols, "YES", 196, 126, 0, "board-word"));
  pos.set("NO", symbol(symbols, "NO", 812, 126, 0, "board-word"));
  arc(symbols, pos, "ABCDEFGHIJKLM", 900, 25);
  arc(symbols, pos, "NOPQRSTUVWXYZ", 790, 26.5);
  "1234567890".split("").forEach((d, k) => pos.set(d, symbol(symbols, d, 230 + k * 60, 548, 0, "board-digit")));
  pos.set("GOODBYE", symbol(symbols, "GOODBYE", 500, 612, 0, "board-word board-goodbye"));

  const { group: planchette, shadow } = drawPlanchette();
  top.append(planchetteDefs(), shadow, planchette);

  const el = h("div", {
    class: "board",
    role: "img",
    "aria-label": "The Ouija board: the letters A to Z in two arcs, the numbers 0 to 9, YES, NO and GOODBYE, and the planchette.",
  }, wood, symbols, top);

  let lit = null;
  let last = "";
  const handle = {
    el,
    pos: (key) => pos.get(key),
    /** place moves the planchette: x, y on the board, lift 0..1, tilt in degrees. */
    place({ x, y, lift = 0, tilt = 0 }) {
      const key = `${x.toFixed(1)} ${y.toFixed(1)} ${lift.toFixed(3)} ${tilt.toFixed(2)}`;
      if (key === last) return;
      last = key;
      const k = 1 + 0.08 * lift;
      planchette.setAttribute("transform", `translate(${x.toFixed(2)} ${y.toFixed(2)}) rotate(${tilt.toFixed(2)}) scale(${k.toFixed(4)})`);
      shadow.setAttribute(
        "transform",
        `translate(${(x + 5 + 12 * lift).toFixed(2)} ${(y + 10 + 26 * lift).toFixed(2)}) rotate(${tilt.toFixed(2)}) scale(${(1 + 0.12 * lift).toFixed(4)})`,
      );
      shadow.setAttribute("opacity", (0.55 - 0.25 * lift).toFixed(3));
    },
    /** light marks the symbol under the planchette's window. */
    light(key) {
      if (key === lit) return;
      if (lit) pos.get(lit)?.el.classList.remove("lit");
      lit = key;
      if (lit) pos.get(lit)?.el.classList.add("lit");
    },
  };
  handle.place({ ...REST });
  return handle;
}

function defs() {
  return s("defs", {},
    s("radialGradient", { id: "wood", cx: "50%", cy: "42%", r: "70%" },
      s("stop", { offset: "0", "stop-color": "#5a3318" }),
      s("stop", { offset: "0.55", "stop-color": "#3a1f0e" }),
      s("stop", { offset: "1", "stop-color": "#170b05" })),
    s("radialGradient", { id: "candlelight", cx: "50%", cy: "38%", r: "62%" },
      s("stop", { offset: "0", "stop-color": "#ffb860", "stop-opacity": "0.16" }),
      s("stop", { offset: "0.6", "stop-color": "#ff9a3c", "stop-opacity": "0.04" }),
      s("stop", { offset: "1", "stop-color": "#000", "stop-opacity": "0.45" })),
    s("linearGradient", { id: "gilt", x1: "0", y1: "0", x2: "0", y2: "1" },
      s("stop", { offset: "0", "stop-color": "#fbe7b5" }),
      s("stop", { offset: "0.45", "stop-color": "#e2b865" }),
      s("stop", { offset: "1", "stop-color": "#a8772f" })),
    // Wood grain: noise stretched along the board, its red channel turned
    // into the alpha of dark streaks, kept inside the board's own shape.
    s("filter", { id: "grain", x: "0", y: "0", width: "100%", height: "100%" },
      s("feTurbulence", { type: "fractalNoise", baseFrequency: "0.0032 0.075", numOctaves: 4, seed: 11, result: "noise" }),
      s("feColorMatrix", { in: "noise", type: "matrix", values: "0 0 0 0 0.05  0 0 0 0 0.025  0 0 0 0 0.01  1.9 0 0 0 -0.78", result: "streaks" }),
      s("feComposite", { in: "streaks", in2: "SourceAlpha", operator: "in" })),
  );
}

/** planchetteDefs are the planchette's paints, kept with it. */
function planchetteDefs() {
  return s("defs", {},
    s("radialGradient", { id: "ivory", cx: "40%", cy: "30%", r: "80%" },
      s("stop", { offset: "0", "stop-color": "#fbf3df" }),
      s("stop", { offset: "0.6", "stop-color": "#e6d6b2" }),
      s("stop", { offset: "1", "stop-color": "#b8a27a" })),
    s("radialGradient", { id: "lens", cx: "38%", cy: "34%", r: "72%" },
      s("stop", { offset: "0", "stop-color": "#fff8e6", "stop-opacity": "0.22" }),
      s("stop", { offset: "0.55", "stop-color": "#fff0cc", "stop-opacity": "0.03" }),
      s("stop", { offset: "1", "stop-color": "#2a1608", "stop-opacity": "0.3" })),
    s("filter", { id: "soft", x: "-30%", y: "-30%", width: "160%", height: "160%" },
      s("feGaussianBlur", { stdDeviation: 9 })),
  );
}

function glowDefs() {
  return s("defs", {},
    // The glow of a symbol under the planchette's glass.
    s("filter", { id: "glow", x: "-50%", y: "-50%", width: "200%", height: "200%" },
      s("feGaussianBlur", { in: "SourceAlpha", stdDeviation: 7, result: "blur" }),
      s("feFlood", { "flood-color": "#ffc870", "flood-opacity": "0.95" }),
      s("feComposite", { in2: "blur", operator: "in", result: "halo" }),
      s("feMerge", {}, s("feMergeNode", { in: "halo" }), s("feMergeNode", { in: "SourceGraphic" }))),
  );
}

function symbol(svg, text, x, y, angle, cls) {
  const el = s("text", {
    class: `sym ${cls}`,
    transform: `translate(${x.toFixed(2)} ${y.toFixed(2)}) rotate(${angle.toFixed(2)})`,
    "text-anchor": "middle",
    "dominant-baseline": "central",
  }, text);
  svg.append(el);
  return { x, y, el };
}

/** arc sets letters along a circle below the board, tilted as on a real board. */
function arc(svg, pos, letters, radius, spread) {
  const cx = 500;
  const cy = 1180;
  const n = letters.length;
  [...letters].forEach((ch, k) => {
    const deg = -spread + (2 * spread * k) / (n - 1);
    const rad = (deg * Math.PI) / 180;
    const x = cx + radius * Math.sin(rad);
    const y = cy - radius * Math.cos(rad);
    pos.set(ch, symbol(svg, ch, x, y, deg, radius > 850 ? "board-letter upper" : "board-letter lower"));
  });
}

function star(x, y, r) {
  const q = r * 0.28;
  return s("path", {
    d: `M${x} ${y - r}L${x + q} ${y - q}L${x + r} ${y}L${x + q} ${y + q}L${x} ${y + r}L${x - q} ${y + q}L${x - r} ${y}L${x - q} ${y - q}Z`,
    fill: GOLD,
    opacity: 0.8,
  });
}

function sun(x, y) {
  const g = s("g", { class: "board-sun", transform: `translate(${x} ${y})` });
  for (let k = 0; k < 12; k++) {
    const a = (k * Math.PI) / 6;
    const r1 = 25;
    const r2 = k % 2 ? 34 : 40;
    g.append(s("line", { x1: r1 * Math.cos(a), y1: r1 * Math.sin(a), x2: r2 * Math.cos(a), y2: r2 * Math.sin(a), stroke: GOLD, "stroke-width": 2.2, "stroke-linecap": "round" }));
  }
  g.append(s("circle", { r: 19, fill: "none", stroke: GOLD, "stroke-width": 2.5 }));
  g.append(s("path", { d: "M-7 -4a2 2 0 1 0 0.1 0M7 -4a2 2 0 1 0 0.1 0M-7 7q7 5 14 0", fill: "none", stroke: GOLD, "stroke-width": 1.6, "stroke-linecap": "round" }));
  return g;
}

function moon(x, y) {
  const g = s("g", { class: "board-moon", transform: `translate(${x} ${y}) rotate(-20)` });
  g.append(s("path", { d: "M6 -30A30 30 0 1 0 6 30A23 23 0 1 1 6 -30Z", fill: "none", stroke: GOLD, "stroke-width": 2.5, "stroke-linejoin": "round" }));
  g.append(star(20, -18, 5), star(26, 10, 3.5));
  return g;
}

function drawPlanchette() {
  // The pointer is the centre of the window, at (0, 0): the body has a
  // hole there (even-odd fill), so the symbol being spelled shows through
  // the glass.
  const body = "M0 -66C32 -62 70 -8 66 42C63 84 34 106 0 106C-34 106 -63 84 -66 42C-70 -8 -32 -62 0 -66Z";
  const hole = "M30 0A30 30 0 1 0 -30 0A30 30 0 1 0 30 0Z";
  const shadow = s("g", { class: "planchette-shadow", opacity: 0.55 },
    s("path", { d: body + hole, "fill-rule": "evenodd", fill: "#000", filter: "url(#soft)" }));
  const group = s("g", { class: "planchette" },
    s("path", { d: body + hole, "fill-rule": "evenodd", fill: "url(#ivory)", stroke: "#6e5430", "stroke-width": 2 }),
    s("path", { d: body, transform: "scale(0.86) translate(0 6)", fill: "none", stroke: "#8a6a3a", "stroke-width": 1.4, opacity: 0.7 }),
    s("circle", { r: 30, fill: "url(#lens)", stroke: "#5b4424", "stroke-width": 5 }),
    s("circle", { r: 27, fill: "none", stroke: "#d9b060", "stroke-width": 1.6 }),
    s("path", { d: "M-16 -13a21 21 0 0 1 17 -8", stroke: "#fffaf0", "stroke-width": 3, "stroke-linecap": "round", fill: "none", opacity: 0.55 }),
    // An engraved eye below the window.
    s("path", { d: "M-22 66Q0 48 22 66Q0 84 -22 66Z", fill: "none", stroke: "#6e5430", "stroke-width": 2 }),
    s("circle", { cx: 0, cy: 66, r: 5.5, fill: "#6e5430" }),
    s("path", { d: "M0 40v-4M-30 50l-3-3M30 50l3-3", stroke: "#6e5430", "stroke-width": 2, "stroke-linecap": "round" }),
  );
  return { group, shadow };
}

// --- Spelling ---

const BOARD_WORDS = ["GOODBYE", "YES", "NO"];
const isWordChar = (c) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/** symbolOf is the board symbol a character is spelled on, or null for a
 * space or punctuation (the planchette lifts). Accents go to their letter. */
export function symbolOf(ch) {
  const base = ch.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toUpperCase();
  return /^[A-Z0-9]$/.test(base) ? base : null;
}

/** boardWordAt mirrors the server's timing rule: YES, NO or GOODBYE in
 * capitals, as a word of its own, is one sweep to its square. */
function boardWordAt(chars, i) {
  if (isWordChar(chars[i - 1])) return null;
  for (const w of BOARD_WORDS) {
    if (chars.slice(i, i + w.length).join("") === w && !isWordChar(chars[i + w.length])) return w;
  }
  return null;
}

/** steps says, per character, what the planchette does: glide to a
 * symbol, hold on a board word's square, or lift. */
export function steps(chars) {
  const out = [];
  for (let i = 0; i < chars.length;) {
    const w = boardWordAt(chars, i);
    if (w) {
      out.push({ kind: "glide", key: w });
      for (let k = 1; k < w.length; k++) out.push({ kind: "hold", key: w });
      i += w.length;
      continue;
    }
    const key = symbolOf(chars[i]);
    out.push(key ? { kind: "glide", key } : { kind: "lift", key: null });
    i++;
  }
  return out;
}

const ease = (u) => 0.5 - 0.5 * Math.cos(Math.PI * Math.min(1, Math.max(0, u)));
const smooth = (u) => ease(Math.min(1, Math.max(0, u)));

/** A Performance is one answer spelled on the board. */
export class Performance {
  constructor({ id, seq, replyTo, message, timings, startsAt }) {
    this.id = id;
    this.seq = seq;
    this.replyTo = replyTo;
    this.message = message;
    this.chars = [...message];
    this.steps = steps(this.chars);
    const n = this.chars.length;
    this.timings = Array.isArray(timings) && timings.length === n ? timings.map((d) => Math.max(0, Number(d) || 0)) : this.chars.map(() => 150);
    this.startsAt = startsAt;
    this.answered = false;
    this.heard = 0; // characters whose arrival has been acted on (sound)
    this.schedule(startsAt);
  }

  /** schedule places the performance: one answer at a time, each after
   * the last has gone home, the same rule on every screen. */
  schedule(start) {
    this.start = start;
    let t = start;
    this.times = this.timings.map((d) => (t += d));
    this.tLast = this.times.length ? this.times[this.times.length - 1] : start;
    this.end = this.tLast + HOLD + RETURN;
  }

  shownAt(t) {
    let n = 0;
    while (n < this.times.length && this.times[n] <= t) n++;
    return n;
  }

  /** anchor is where the planchette stands before character i. */
  anchor(board, i) {
    for (let k = i - 1; k >= 0; k--) {
      const st = this.steps[k];
      if (st.key) return { ...board.pos(st.key), key: st.key };
    }
    return { ...REST, key: null };
  }

  /** frame is the planchette at server time t. */
  frame(board, t, reduced) {
    const n = this.chars.length;
    const shown = this.shownAt(t);
    if (shown < n) {
      const i = shown;
      const from = i === 0 ? this.start : this.times[i - 1];
      const u = (t - from) / Math.max(1, this.times[i] - from);
      const a = this.anchor(board, i);
      const st = this.steps[i];
      const lifted = i > 0 && this.steps[i - 1].kind === "lift";
      if (st.kind === "glide") {
        const b = board.pos(st.key);
        if (reduced) return { x: a.x, y: a.y, lift: 0, tilt: 0, shown, lit: a.key };
        const p = glide(a, b, u, i);
        const lift = lifted ? 1 - smooth(u / 0.3) : 0;
        return { ...p, lift, shown, lit: Math.hypot(p.x - a.x, p.y - a.y) < 14 && lift < 0.5 ? a.key : null };
      }
      if (st.kind === "hold") return { x: a.x, y: a.y, lift: 0, tilt: 0, shown, lit: st.key };
      const lift = reduced ? 0 : lifted ? 1 : smooth(u / 0.35);
      return { x: a.x, y: a.y, lift, tilt: 0, shown, lit: lift < 0.3 ? a.key : null };
    }
    const a = this.anchor(board, n);
    if (t < this.tLast + HOLD) {
      const endsLifted = n > 0 && this.steps[n - 1].kind === "lift" && !reduced;
      const lift = endsLifted ? Math.max(0, 1 - (t - this.tLast) / 500) : 0;
      return { x: a.x, y: a.y, lift, tilt: 0, shown: n, lit: lift < 0.3 ? a.key : null };
    }
    if (t < this.end && !reduced) {
      return { ...glide(a, REST, (t - this.tLast - HOLD) / RETURN, 0), lift: 0, shown: n, lit: null };
    }
    return { ...REST, lift: 0, tilt: 0, shown: n, lit: null };
  }
}

/** glide is the path between two symbols: eased, slightly curved, the
 * planchette leaning into the motion; a repeated letter is a small loop. */
function glide(a, b, u, i) {
  const e = ease(u);
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const d = Math.hypot(dx, dy);
  if (d < 1) {
    const ang = e * 2 * Math.PI;
    const r = 18 * Math.sin(Math.PI * e);
    return { x: a.x + r * Math.sin(ang), y: a.y + r * (1 - Math.cos(ang)) * 0.6, tilt: 3 * Math.sin(ang) };
  }
  const bend = Math.sin(Math.PI * e) * Math.min(22, d * 0.08) * (i % 2 ? 1 : -1);
  return {
    x: a.x + dx * e + (-dy / d) * bend,
    y: a.y + dy * e + (dx / d) * bend,
    tilt: Math.sin(Math.PI * e) * Math.max(-9, Math.min(9, (dx / d) * 9)),
  };
}

/**
 * Performer keeps the queue of answers and draws the planchette each frame.
 * hooks: onStart(perf), onMove(ms), onArrive(), onAnswered(perf, {late}),
 * onReveal(perf|null, text, spelling).
 */
export class Performer {
  constructor(board, clock, hooks) {
    this.board = board;
    this.clock = clock;
    this.hooks = hooks;
    this.perfs = [];
    this.floor = -Infinity; // where the schedule of forgotten answers ended
    this.thinking = false;
    this.raf = 0;
    this.shownKey = "";
    this.reduced = false;
    this.tick = this.tick.bind(this);
  }

  /** add queues an answer. One already over when it arrives (history,
   * a replay after a long absence) is marked answered without a show. */
  add(answer) {
    if (this.perfs.some((p) => p.id === answer.id)) return;
    const perf = new Performance(answer);
    this.perfs.push(perf);
    this.perfs.sort((a, b) => a.seq - b.seq);
    this.reschedule();
    if (perf.end <= this.clock.now()) {
      perf.answered = true;
      perf.heard = perf.chars.length;
      perf.past = true;
    }
    this.forget();
    this.wake();
  }

  reschedule() {
    let prev = this.floor;
    for (const p of this.perfs) {
      p.schedule(Math.max(p.startsAt, prev));
      prev = p.end;
    }
  }

  forget() {
    const now = this.clock.now();
    while (this.perfs.length > 3 && this.perfs[0].end < now) {
      this.floor = this.perfs[0].end;
      this.perfs.shift();
    }
  }

  setThinking(on) {
    this.thinking = on;
    this.wake();
  }

  /** pending reports whether an answer is being, or waits to be, spelled. */
  busy() {
    const now = this.clock.now();
    return this.perfs.some((p) => p.end > now);
  }

  wake() {
    if (!this.raf && !this.stopped) this.raf = requestAnimationFrame(this.tick);
  }

  stop() {
    this.stopped = true;
    cancelAnimationFrame(this.raf);
    this.raf = 0;
  }

  tick() {
    this.raf = 0;
    const now = this.clock.now();
    const board = this.board;
    let active = null;
    for (const p of this.perfs) {
      if (p.start <= now && now < p.end) {
        active = p;
        break;
      }
    }
    // Answers whose spelling finished while nothing was drawn (a hidden
    // tab gets no frames) are still announced, in order.
    for (const p of this.perfs) {
      if (!p.answered && now >= p.tLast && p !== active) this.finish(p, true);
    }
    let more = this.thinking || this.perfs.some((p) => p.end > now);
    if (active) {
      const f = active.frame(board, now, this.reduced);
      if (!active.begun) {
        active.begun = true;
        // Arriving mid-answer: no burst of catch-up sounds.
        active.heard = f.shown;
        this.hooks.onStart?.(active);
        if (f.shown === 0 && active.times.length) this.hooks.onMove?.(active.times[0] - now);
      }
      for (; active.heard < f.shown; active.heard++) {
        const i = active.heard;
        if (active.steps[i].kind === "glide") this.hooks.onArrive?.();
        const next = active.steps[i + 1];
        if (next && next.kind === "glide") this.hooks.onMove?.(active.times[i + 1] - active.times[i]);
      }
      if (!active.answered && f.shown === active.chars.length) this.finish(active, false);
      board.place(f);
      board.light(f.lit);
      this.reveal(active, f.shown);
    } else {
      let p = REST;
      let tilt = 0;
      if (this.thinking && !this.reduced) {
        // While the spirit thinks, the planchette stirs in small circles.
        p = { x: REST.x + 14 * Math.sin(now / 700), y: REST.y + 8 * Math.sin(now / 1050) };
        tilt = 3 * Math.sin(now / 900);
      }
      board.place({ ...p, lift: 0, tilt });
      board.light(null);
      const done = [...this.perfs].reverse().find((q) => q.answered && q.start <= now);
      if (done) this.reveal(done, done.chars.length);
    }
    if (more) this.wake();
  }

  finish(perf, late) {
    perf.answered = true;
    perf.heard = perf.chars.length;
    this.hooks.onAnswered?.(perf, { late });
  }

  reveal(perf, shown) {
    const spelling = shown < perf.chars.length;
    const key = `${perf.id}:${shown}`;
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.hooks.onReveal?.(perf, perf.chars.slice(0, shown).join(""), spelling);
  }
}

/** candles are the two tapers beside the board; CSS makes them flicker,
 * harder while the spirit thinks. */
export function candles() {
  const candle = (side) => h("div", { class: `candle candle-${side}`, "aria-hidden": "true" },
    h("div", { class: "candle-flame" }, h("div", { class: "candle-core" })),
    h("div", { class: "candle-wick" }),
    h("div", { class: "candle-wax" }, h("div", { class: "candle-drip" })));
  return [candle("left"), candle("right")];
}
