// Sound, off until asked for: a low ambience, the planchette's scrape and
// knock, a chime when the spirit stirs — all synthesized with the Web Audio
// API, no sound files — and the answer spoken in a low, slow voice.

export class Sound {
  constructor() {
    this.on = false;
    this.ctx = null;
  }

  get supported() {
    return typeof AudioContext !== "undefined" || "speechSynthesis" in window;
  }

  /** enable must run in a user gesture: browsers start audio only then. */
  async enable() {
    this.on = true;
    if (typeof AudioContext === "undefined") return;
    if (!this.ctx) {
      this.ctx = new AudioContext();
      this.master = this.ctx.createGain();
      this.master.gain.value = 0;
      this.master.connect(this.ctx.destination);
      this.noise = this.noiseBuffer();
      this.ambience();
    }
    await this.ctx.resume();
    const t = this.ctx.currentTime;
    this.master.gain.cancelScheduledValues(t);
    this.master.gain.setTargetAtTime(0.9, t, 0.6);
  }

  disable() {
    this.on = false;
    if ("speechSynthesis" in window) speechSynthesis.cancel();
    if (!this.ctx) return;
    const t = this.ctx.currentTime;
    this.master.gain.cancelScheduledValues(t);
    this.master.gain.setTargetAtTime(0, t, 0.15);
    setTimeout(() => { if (!this.on) this.ctx.suspend(); }, 700);
  }

  noiseBuffer() {
    const ctx = this.ctx;
    const buf = ctx.createBuffer(1, ctx.sampleRate * 2, ctx.sampleRate);
    const d = buf.getChannelData(0);
    // Brownish noise: softer than white, closer to wind and wood.
    let last = 0;
    for (let i = 0; i < d.length; i++) {
      last = (last + 0.04 * (Math.random() * 2 - 1)) / 1.04;
      d[i] = last * 3.2;
    }
    return buf;
  }

  /** ambience: a slow drone of a fifth and a breath of wind, each swelling
   * on its own unhurried LFO. */
  ambience() {
    const ctx = this.ctx;
    const drone = ctx.createGain();
    drone.gain.value = 0.05;
    const low = ctx.createBiquadFilter();
    low.type = "lowpass";
    low.frequency.value = 420;
    low.connect(drone).connect(this.master);
    for (const [f, type, g] of [[55, "sine", 1], [82.6, "sine", 0.6], [110.3, "triangle", 0.18]]) {
      const o = ctx.createOscillator();
      o.type = type;
      o.frequency.value = f;
      const og = ctx.createGain();
      og.gain.value = g;
      o.connect(og).connect(low);
      o.start();
    }
    lfo(ctx, 0.07, 0.025, drone.gain);

    const wind = ctx.createBufferSource();
    wind.buffer = this.noise;
    wind.loop = true;
    const band = ctx.createBiquadFilter();
    band.type = "bandpass";
    band.frequency.value = 520;
    band.Q.value = 0.8;
    const wg = ctx.createGain();
    wg.gain.value = 0.05;
    wind.connect(band).connect(wg).connect(this.master);
    wind.start();
    lfo(ctx, 0.045, 260, band.frequency);
    lfo(ctx, 0.03, 0.03, wg.gain);
  }

  /** scrape: felt on wood, as long as the glide. */
  scrape(ms) {
    if (!this.on || !this.ctx || ms < 40) return;
    const ctx = this.ctx;
    const t = ctx.currentTime;
    const dur = Math.min(ms, 700) / 1000;
    const src = ctx.createBufferSource();
    src.buffer = this.noise;
    const f = ctx.createBiquadFilter();
    f.type = "bandpass";
    f.frequency.value = 900 + Math.random() * 500;
    f.Q.value = 1.4;
    const g = ctx.createGain();
    g.gain.setValueAtTime(0, t);
    g.gain.linearRampToValueAtTime(0.22, t + Math.min(0.06, dur / 3));
    g.gain.setTargetAtTime(0, t + dur * 0.7, dur / 5);
    src.connect(f).connect(g).connect(this.master);
    src.start(t, Math.random());
    src.stop(t + dur + 0.3);
  }

  /** knock: the planchette settling on a letter. */
  knock() {
    if (!this.on || !this.ctx) return;
    const ctx = this.ctx;
    const t = ctx.currentTime;
    const o = ctx.createOscillator();
    o.type = "sine";
    o.frequency.setValueAtTime(210, t);
    o.frequency.exponentialRampToValueAtTime(120, t + 0.08);
    const g = ctx.createGain();
    g.gain.setValueAtTime(0.0001, t);
    g.gain.exponentialRampToValueAtTime(0.16, t + 0.005);
    g.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
    o.connect(g).connect(this.master);
    o.start(t);
    o.stop(t + 0.2);
  }

  /** chime: a cold, high shimmer when the spirit begins to think. */
  chime() {
    if (!this.on || !this.ctx) return;
    const ctx = this.ctx;
    const t = ctx.currentTime;
    [392, 587.3, 783.99 * 1.004, 1174.7].forEach((f, k) => {
      const o = ctx.createOscillator();
      o.type = "sine";
      o.frequency.value = f;
      const g = ctx.createGain();
      const at = t + k * 0.09;
      g.gain.setValueAtTime(0.0001, at);
      g.gain.exponentialRampToValueAtTime(0.05 / (k + 1), at + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, at + 2.8);
      o.connect(g).connect(this.master);
      o.start(at);
      o.stop(at + 3);
    });
  }

  /** speak reads the answer aloud, low and slow. */
  speak(text) {
    if (!this.on || !("speechSynthesis" in window) || !text.trim()) return;
    const u = new SpeechSynthesisUtterance(text);
    const voice = pickVoice();
    if (voice) u.voice = voice;
    u.lang = voice?.lang || "en";
    u.rate = 0.72;
    u.pitch = 0.3;
    u.volume = 0.95;
    speechSynthesis.cancel();
    speechSynthesis.speak(u);
  }
}

function lfo(ctx, freq, depth, param) {
  const o = ctx.createOscillator();
  o.frequency.value = freq;
  const g = ctx.createGain();
  g.gain.value = depth;
  o.connect(g).connect(param);
  o.start();
}

/** pickVoice prefers an English voice that sounds deep by its name. */
function pickVoice() {
  const voices = speechSynthesis.getVoices().filter((v) => /^en/i.test(v.lang));
  const deep = /male|daniel|george|arthur|fred|alex|david|james|rocko|ralph|bass|deep/i;
  return voices.find((v) => deep.test(v.name) && !/female/i.test(v.name)) || voices[0] || null;
}
