// Small DOM helpers: build elements, keep keyed lists in place, format durations.

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) el.append(c);
  }
  return el;
}

// Make `container`'s children match `items` by key, reusing elements so that focus
// and scroll survive a live update: create(item) builds one, update(el, item) refreshes it.
export function reconcile(container, items, key, create, update) {
  const have = new Map();
  for (const el of [...container.children]) {
    if (el.dataset.key === undefined) el.remove();
    else have.set(el.dataset.key, el);
  }
  const keep = new Set(items.map((it) => String(key(it))));
  for (const [k, el] of have) if (!keep.has(k)) el.remove();
  let prev = null;
  for (const it of items) {
    const k = String(key(it));
    let el = have.get(k);
    if (!el) {
      el = create(it);
      el.dataset.key = k;
    }
    update(el, it);
    const want = prev ? prev.nextElementSibling : container.firstElementChild;
    if (el !== want) container.insertBefore(el, want);
    prev = el;
  }
}

// Enter in a long typed form goes on to the next field, as Tab does, rather than submit
// it by its first button: the next visible enabled input or button after `el` (of a radio
// group, the checked one).
export function focusNext(form, el) {
  const fields = [...form.querySelectorAll("input, textarea, button")]
    .filter((x) => !x.disabled && x.offsetParent !== null && (x.type !== "radio" || x.checked));
  const next = fields[fields.indexOf(el) + 1];
  if (next) next.focus();
}

// The keys of a long form that is typed, not clicked through: Enter on a field goes on
// to the next one (never submits); Ctrl+Enter runs the form's main action.
export function typedFormKeys(form, accept) {
  return (e) => {
    if (e.key !== "Enter" || e.altKey || e.metaKey) return;
    if (e.ctrlKey) {
      e.preventDefault();
      accept();
      return;
    }
    if (e.target.tagName !== "INPUT") return;
    e.preventDefault();
    focusNext(form, e.target);
  };
}

export function setText(el, text) {
  const s = text ?? "";
  if (el.textContent !== s) el.textContent = s;
}

// 75 s -> "01:15"; 3725 s -> "1:02:05"
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return hh ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

export function secondsSince(iso, nowMs) {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : (nowMs - t) / 1000;
}

// The hall's clock, not the browser's: a console may run on a PC set to another zone.
function inZone(tz, options) {
  try {
    return new Intl.DateTimeFormat("en-CA", { ...options, timeZone: tz || undefined });
  } catch {
    return new Intl.DateTimeFormat("en-CA", options); // an unknown zone: the PC's own
  }
}

// "2026-12-03T01:30:00Z" in Asia/Shanghai -> "09:30"
export function timeIn(iso, tz) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  const parts = inZone(tz, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(t);
  const get = (type) => (parts.find((p) => p.type === type) || {}).value || "";
  return `${get("hour")}:${get("minute")}`;
}

// The local date of an instant in the hall's zone: "2026-12-03".
export function dateIn(iso, tz) {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "";
  return inZone(tz, { year: "numeric", month: "2-digit", day: "2-digit" }).format(t);
}
