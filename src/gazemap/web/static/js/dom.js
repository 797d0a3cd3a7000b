// Small DOM helpers: elements are built node by node, never from markup strings, so
// nothing a user typed can become markup, and the strict CSP holds.

/**
 * Create an element. `attrs` keys: `class`, `text`, `on` ({event: handler}), `dataset`,
 * boolean attributes as true/false, anything else as an attribute.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "on") for (const [ev, fn] of Object.entries(value)) el.addEventListener(ev, fn);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "value") el.value = value;
    else if (key === "checked") el.checked = Boolean(value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Append children (nodes, strings, nested arrays; null/false skipped). */
export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Call `fn` once `ms` after the last call. */
export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

let idCounter = 0;
/** A fresh id for label/control pairs. */
export function uid(prefix = "f") {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled control: returns the wrapping element; the control keeps its id. */
export function field(labelText, control, hint = null) {
  if (!control.id) control.id = uid();
  const hintEl = hint ? h("small", { class: "hint", id: `${control.id}-hint`, text: hint }) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h("div", { class: "field" }, h("label", { for: control.id, text: labelText }), control, hintEl);
}

/** A <select> with `options` as [value, label] pairs or plain strings. */
export function select(name, options, current, attrs = {}) {
  return h(
    "select",
    { name, ...attrs },
    options.map((opt) => {
      const [value, label] = Array.isArray(opt) ? opt : [opt, opt];
      return h("option", { value, selected: String(value) === String(current) }, label);
    }),
  );
}

/** Density and other small or large numbers, readable. */
export function formatNumber(value, digits = 3) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  const n = Number(value);
  if (n === 0) return "0";
  const abs = Math.abs(n);
  if (abs >= 1e5 || abs < 1e-3) return n.toExponential(digits - 1);
  return String(Number(n.toPrecision(digits)));
}

/**
 * An alert box for an error: the problem's title and detail, and for a validation
 * problem each field it names (`errors`: [{location, field, message}]), unless the
 * detail already says the same.
 */
export function errorBox(error, extra = null) {
  const detail = error && error.detail ? error.detail : String(error && error.message ? error.message : error);
  const title = error && error.title ? `${error.title}: ` : "";
  const items = (Array.isArray(error && error.errors) ? error.errors : []).filter((e) => e && e.message && e.message !== detail);
  const list = items.length
    ? h("ul", { class: "field-errors" }, items.map((e) => h("li", { text: !e.field || e.message.startsWith(e.field) ? e.message : `${e.field}: ${e.message}` })))
    : null;
  return h("div", { class: "error", role: "alert" }, h("strong", { text: title }), detail, list, extra);
}

/** Save a Blob under `filename` through a temporary link. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, class: "hidden" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// Object URLs of images shown by the current view, revoked when the view changes.
const objectUrls = new Set();

/** A blob: URL for `blob`, released by `releaseObjectUrls` (or sooner with `release`). */
export function objectUrl(blob) {
  const url = URL.createObjectURL(blob);
  objectUrls.add(url);
  return url;
}

export function releaseObjectUrl(url) {
  if (url && objectUrls.delete(url)) URL.revokeObjectURL(url);
}

export function releaseObjectUrls() {
  for (const url of objectUrls) URL.revokeObjectURL(url);
  objectUrls.clear();
}

/** A <progress> with a text label, for uploads and jobs. */
export function progressBar(label) {
  const bar = h("progress", { max: "1", value: "0" });
  const text = h("span", { class: "progress-text", text: label });
  const el = h("div", { class: "progress", role: "group", "aria-label": label }, bar, text);
  el.update = (fraction, message = null) => {
    if (fraction === null) bar.removeAttribute("value");
    else bar.value = Math.max(0, Math.min(1, fraction));
    text.textContent = message ?? `${label} ${Math.round((fraction ?? 0) * 100)} %`;
  };
  return el;
}
