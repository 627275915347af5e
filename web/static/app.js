// The Séance web app: one page for home and for every séance link.

import { home } from "./home.js";
import { seance } from "./seance.js";
import { Sound } from "./sound.js";
import { announce } from "./dom.js";

const sound = new Sound();

const SOUND_KEY = "seance:sound";

/** soundToggle wires the header's one sound switch. Off by default; once
 * on, it stays on from page to page in this tab, resuming with the first
 * key or tap there (browsers start audio only in a user gesture). */
function soundToggle() {
  const btn = document.getElementById("sound-toggle");
  if (!btn) return;
  if (!sound.supported) {
    btn.hidden = true;
    return;
  }
  const label = btn.querySelector(".sound-label");
  const show = (on) => {
    btn.setAttribute("aria-pressed", String(on));
    label.textContent = on ? "Sound on" : "Sound off";
  };
  const remembered = (() => {
    try { return sessionStorage.getItem(SOUND_KEY) === "1"; } catch { return false; }
  })();
  if (remembered) {
    show(true);
    const arm = (e) => {
      removeEventListener("pointerdown", arm, true);
      removeEventListener("keydown", arm, true);
      if (e.target !== btn && btn.getAttribute("aria-pressed") === "true") sound.enable();
    };
    addEventListener("pointerdown", arm, true);
    addEventListener("keydown", arm, true);
  }
  btn.addEventListener("click", async () => {
    const on = btn.getAttribute("aria-pressed") !== "true";
    show(on);
    try { sessionStorage.setItem(SOUND_KEY, on ? "1" : "0"); } catch { /* private mode */ }
    if (on) await sound.enable();
    else sound.disable();
    announce(on ? "Sound on: the spirit will speak its answers." : "Sound off.");
  });
}

function start() {
  soundToggle();
  const main = document.getElementById("main");
  const m = /^\/session\/([^/]+)\/?$/.exec(location.pathname);
  if (m) seance(main, decodeURIComponent(m[1]), { sound });
  else home(main);
}

start();
