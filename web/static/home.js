// Home: begin a séance (and get the link to share), or join one.

import { api, sessionIdFrom, shareURL } from "./api.js";
import { h, icon, announce, copyText, reducedMotion } from "./dom.js";
import { store } from "./store.js";
import { buildBoard, candles, Performer } from "./board.js";

export function home(main) {
  document.body.classList.add("page-home");
  const createCard = h("section", { class: "card create-card", "aria-labelledby": "create-h" });
  const joinCard = joinForm();
  main.replaceChildren(
    h("div", { class: "home" },
      h("section", { class: "hero", "aria-labelledby": "hero-h" },
        h("h1", { id: "hero-h", class: "title" }, "Séance"),
        h("p", { class: "tagline" }, "Gather your circle around one board. Ask, and watch the spirit answer — letter by letter, on every screen at the same moment."),
        demoBoard()),
      h("div", { class: "home-cards" }, createCard, joinCard, hostedList())));
  createForm(createCard);
}

function field(id, label, input, hint) {
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    input,
    hint && h("p", { class: "hint", id: `${id}-hint` }, hint));
}

function createForm(card) {
  const name = h("input", { id: "c-name", name: "name", required: true, maxlength: 100, autocomplete: "off", placeholder: "Midnight at the manor" });
  const seatsOut = h("output", { id: "c-seats-out", for: "c-seats" }, "6");
  const seats = h("input", { id: "c-seats", name: "max_users", type: "range", min: 2, max: 12, step: 1, value: "6", "aria-describedby": "c-seats-out" });
  seats.addEventListener("input", () => { seatsOut.textContent = seats.value; });
  const spirits = h("fieldset", { class: "spirits" }, h("legend", {}, "Who will answer"), h("p", { class: "hint" }, "Summoning the spirits…"));
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "button primary" }, "Light the candles");
  const form = h("form", { id: "create-form", novalidate: true },
    field("c-name", "Name of the séance", name),
    h("div", { class: "field" },
      h("div", { class: "label-row" }, h("label", { for: "c-seats" }, "Seats around the table"), seatsOut),
      seats),
    spirits, submit, error);
  card.replaceChildren(
    h("h2", { id: "create-h" }, "Begin a séance"),
    h("p", { class: "muted" }, "You will get a link to share. Up to twelve may sit at the table."),
    form);

  api.spirits().then((list) => {
    // Names as a compact choice; the chosen one's description beneath
    // (each name also carries its description for screen readers).
    const about = h("p", { class: "spirit-about", "aria-hidden": "true" });
    const choices = h("div", { class: "spirit-list" }, list.map((sp, k) =>
      h("label", { class: "spirit-opt" },
        h("input", { type: "radio", name: "spirit", value: sp.id, checked: k === 0, dataset: { about: sp.description } }),
        h("span", { class: "spirit-name" }, sp.name),
        h("span", { class: "sr-only" }, `: ${sp.description}`))));
    const show = () => { about.textContent = choices.querySelector("input:checked")?.dataset.about || ""; };
    choices.addEventListener("change", show);
    spirits.replaceChildren(h("legend", {}, "Who will answer"), choices, about);
    show();
  }).catch(() => {
    spirits.replaceChildren(h("legend", {}, "Who will answer"), h("p", { class: "hint" }, "The usual spirit will answer."));
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.textContent = "";
    const title = name.value.trim();
    if (!title) {
      error.textContent = "Give your séance a name.";
      name.focus();
      return;
    }
    const spirit = form.querySelector("input[name=spirit]:checked")?.value;
    submit.disabled = true;
    submit.textContent = "Lighting…";
    try {
      const sess = await api.create(title, Number(seats.value), spirit);
      store.setHostToken(sess.id, sess.host_token, sess.name);
      shareCard(card, sess);
    } catch (err) {
      error.textContent = err.message;
      submit.disabled = false;
      submit.textContent = "Light the candles";
    }
  });
}

/** shareCard replaces the form once the séance exists: its link, a copy
 * button, and the way in. */
function shareCard(card, sess) {
  const link = shareURL(sess.id);
  const input = h("input", { id: "share-link", readonly: true, value: link, "aria-label": "Link to your séance" });
  const copy = h("button", { type: "button", id: "copy-link", class: "button" }, icon("copy"), h("span", {}, "Copy link"));
  copy.addEventListener("click", () => copyText(link, input, copy));
  input.addEventListener("focus", () => input.select());
  card.replaceChildren(
    h("p", { class: "eyebrow" }, "The circle is ready"),
    h("h2", { id: "create-h" }, sess.name),
    h("p", { class: "muted" }, "Send this link to those you want at the table. They join with just a name."),
    h("div", { class: "share" }, input, copy),
    h("p", { class: "hint" }, `You are the host: this browser can end the séance or ask someone to leave. Code: ${sess.id}`),
    h("a", { class: "button primary", id: "enter-seance", href: `/session/${sess.id}` }, "Enter the séance"));
  announce(`Séance ${sess.name} created. Its link is ready to copy.`);
  copy.focus();
}

function joinForm() {
  const code = h("input", { id: "j-code", name: "code", autocomplete: "off", placeholder: "Paste the link or code", "aria-describedby": "j-code-hint" });
  const error = h("p", { class: "form-error", role: "alert" });
  const form = h("form", { id: "join-form", novalidate: true },
    field("j-code", "Link or code", code, "The host can copy it from their screen."),
    h("button", { type: "submit", class: "button" }, "Join the circle"),
    error);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const id = sessionIdFrom(code.value);
    if (!id) {
      error.textContent = "That is not a séance link or code. It looks like …/session/1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed.";
      code.focus();
      return;
    }
    location.assign(`/session/${id}`);
  });
  return h("section", { class: "card join-card", "aria-labelledby": "join-h" },
    h("h2", { id: "join-h" }, "Join a séance"),
    form);
}

function hostedList() {
  const mine = store.hosted().slice(0, 5);
  if (!mine.length) return null;
  return h("section", { class: "card hosted", "aria-labelledby": "hosted-h" },
    h("h2", { id: "hosted-h" }, "Séances you host"),
    h("ul", {}, mine.map((m) => h("li", {}, h("a", { href: `/session/${m.id}` }, m.name)))));
}

/** demoBoard is the home page's board, idly spelling words to itself. */
function demoBoard() {
  const board = buildBoard();
  board.el.setAttribute("aria-label", "A Ouija board whose planchette drifts from letter to letter.");
  const clock = { now: () => performance.now() };
  const performer = new Performer(board, clock, {});
  performer.reduced = reducedMotion();
  const words = ["HELLO", "YES", "WHO IS THERE", "NO", "GOODBYE"];
  let k = 0;
  let seq = 0;
  const next = () => {
    if (document.hidden || reducedMotion()) {
      setTimeout(next, 4000);
      return;
    }
    const text = words[k++ % words.length];
    const timings = [...text].map((c, i) => (i === 0 ? 500 : c === " " ? 380 : 420 + ((i * 97) % 160)));
    performer.add({ id: `demo-${seq}`, seq: ++seq, message: text, timings, startsAt: clock.now() + 600 });
    const total = timings.reduce((a, b) => a + b, 0);
    setTimeout(next, total + 3600);
  };
  setTimeout(next, 800);
  performer.wake();
  const frame = h("div", { class: "board-frame demo" }, candles(), board.el);
  return frame;
}
