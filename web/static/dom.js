// Small DOM helpers. Everything user-supplied goes in as text, never as
// markup, and nothing sets a style attribute, so the page stays within its
// Content-Security-Policy (no inline script or style).

const SVG_NS = "http://www.w3.org/2000/svg";

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c == null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

/** h builds an HTML element: h("button", {class: "x", onclick: f}, "Label"). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v == null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "value") el.value = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

/** s builds an SVG element with attributes. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** announce speaks text to screen readers through the page's live region. */
export function announce(text) {
  const el = document.getElementById("announcer");
  if (!el) return;
  // Emptied first so that the same sentence twice is still read twice.
  el.textContent = "";
  setTimeout(() => { el.textContent = text; }, 60);
}

/** toast shows a short, gentle notice that fades by itself. */
export function toast(text, kind = "info", ms = 5000) {
  const box = document.getElementById("toasts");
  if (!box) return;
  const close = h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss" }, "×");
  const t = h("div", { class: `toast toast-${kind}` }, h("span", { class: "toast-text" }, text), close);
  const remove = () => {
    t.classList.add("leaving");
    setTimeout(() => t.remove(), 300);
  };
  close.addEventListener("click", remove);
  box.append(t);
  while (box.children.length > 4) box.firstElementChild.remove();
  setTimeout(remove, ms);
}

/** icon returns one of the few line icons the UI uses, drawn in SVG. */
export function icon(name) {
  const paths = {
    copy: "M9 9h10v12H9zM5 15V3h10",
    sound: "M4 9v6h4l5 4V5L8 9zM16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12",
    mute: "M4 9v6h4l5 4V5L8 9zM17 9l5 6M22 9l-5 6",
    download: "M12 3v12M7 10l5 5 5-5M4 20h16",
    close: "M6 6l12 12M18 6L6 18",
    exit: "M10 4H5v16h5M14 8l4 4-4 4M18 12H9",
    link: "M10 14a4 4 0 0 0 6 0l3-3a4 4 0 0 0-6-6l-1 1M14 10a4 4 0 0 0-6 0l-3 3a4 4 0 0 0 6 6l1-1",
    send: "M4 12l16-8-6 16-3-7z",
    external: "M14 4h6v6M20 4l-9 9M18 14v6H4V6h6",
  };
  return s("svg", { class: `icon icon-${name}`, viewBox: "0 0 24 24", "aria-hidden": "true", focusable: "false" },
    s("path", { d: paths[name] }));
}

export function formatTime(ms) {
  if (!Number.isFinite(ms)) return "";
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export const reducedMotion = () => matchMedia("(prefers-reduced-motion: reduce)").matches;

/** copyText copies text, falling back to a selected input where the
 * clipboard API is missing, and says so on the button. */
export async function copyText(text, input, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    // No clipboard API (plain http on a LAN address): the old way, from
    // the visible field or else a throwaway one.
    const field = input || h("textarea", { class: "sr-only", readonly: true, "aria-hidden": "true" }, text);
    if (!input) document.body.append(field);
    field.focus();
    field.select();
    try { ok = document.execCommand("copy"); } catch { ok = false; }
    if (!input) {
      field.remove();
      button.focus();
    }
  }
  const label = button.querySelector("span");
  if (ok) {
    label.textContent = "Copied";
    button.classList.add("done");
    toast("The link is copied. Send it to your circle.", "ok", 3000);
    setTimeout(() => { label.textContent = "Copy link"; button.classList.remove("done"); }, 2200);
  } else if (input) {
    input.select();
    toast("Copy the selected link by hand (Ctrl+C).", "info");
  } else {
    toast(`Copy this link by hand: ${text}`, "info", 12000);
  }
}
