// The server's clock, as seen from here. The planchette moves on server
// time (starts_at + letter_timings), so every screen must agree on "now"
// even when their own clocks do not.

/** parseTime reads an RFC 3339 timestamp to epoch milliseconds, keeping
 * the sub-millisecond digits Date.parse may not accept. */
export function parseTime(text) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(String(text || ""));
  if (!m) return Date.parse(text);
  return Date.parse(m[1] + m[3]) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

export class Clock {
  constructor() {
    this.offset = 0; // server minus local, in ms
    this.reset();
  }

  /** reset forgets what was learnt: a new connection may be another node. */
  reset() {
    this.trips = []; // {offset, rtt} from ping/pong round trips
    this.floors = []; // server stamp minus arrival of live frames
  }

  now() {
    return Date.now() + this.offset;
  }

  /** trip records a ping sent at sent (local), answered with a pong stamped
   * at server time, received at recv (local). The round trip with the
   * smallest delay bounds the error best. */
  trip(sent, server, recv) {
    if (!Number.isFinite(server)) return;
    this.trips.push({ offset: server - (sent + recv) / 2, rtt: recv - sent });
    if (this.trips.length > 8) this.trips.shift();
    this.update();
  }

  /** frame records a live frame: it was stamped before it arrived, so the
   * offset is at least stamp - arrival. Replayed frames carry old stamps
   * and so bound nothing; the maximum ignores them. */
  frame(server, recv) {
    if (!Number.isFinite(server)) return;
    this.floors.push(server - recv);
    if (this.floors.length > 24) this.floors.shift();
    this.update();
  }

  update() {
    const floor = this.floors.length ? Math.max(...this.floors) : -Infinity;
    let best = null;
    for (const t of this.trips) if (!best || t.rtt < best.rtt) best = t;
    const est = best ? Math.max(best.offset, floor) : floor;
    if (Number.isFinite(est)) this.offset = est;
  }
}
