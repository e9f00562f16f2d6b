// What the phone pages share: strings, the HTTP client, and what the phone keeps.
import { errorText, makeI18n } from "/static/common/i18n.js";
import catalog from "./strings.js";

export const i18n = makeI18n(catalog, "ow.citizen.lang");
export const { t, lang } = i18n;

// An API refusal in the server's words ({code, message, message_zh, field, ...}) or ours.
export class CitizenError extends Error {
  constructor(status, error) {
    super(error.message || error.code);
    this.status = status;
    this.error = error;
    this.code = error.code;
  }
}

// One HTTP call, JSON in and out (or `raw`: a file sent as it is, the upload's body);
// a citizen's sign-in goes as "Authorization: Citizen …".
export async function api(method, path, { body, raw, citizen = null } = {}) {
  const headers = { accept: "application/json" };
  if (citizen) headers.authorization = `Citizen ${citizen}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res;
  try {
    res = await fetch(path, {
      method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
  } catch {
    throw new CitizenError(0, { code: "network", key: "err.network" });
  }
  let data = null;
  try {
    data = res.status === 204 ? null : await res.json();
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const error = (data && data.error) || { code: "bad_reply", key: "err.bad_reply" };
  throw new CitizenError(res.status, error);
}

// A refusal in words: the wait of a rate limit is said as a number of seconds.
export function describe(err) {
  const e = err instanceof CitizenError ? err.error : { code: "bad_reply", key: "err.bad_reply" };
  if (e.code === "rate_limited" && e.retry_after) return t("err.retry", { n: Math.ceil(e.retry_after) });
  return errorText(e, lang, t);
}

function readJson(key, fallback) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null") ?? fallback;
  } catch {
    return fallback;
  }
}

const TICKETS = "ow.citizen.tickets";
const KEEP_MS = 3 * 86400 * 1000; // a ticket lives one business day; keep a little longer

// The tickets this phone has taken or opened: id -> {token, number, ..., last status}.
export const tickets = {
  all() {
    const all = readJson(TICKETS, {});
    const now = Date.now();
    for (const [id, rec] of Object.entries(all)) {
      if (!rec || !rec.token || now - (rec.saved || 0) > KEEP_MS) delete all[id];
    }
    return all;
  },
  get(id) {
    return this.all()[id] || null;
  },
  save(id, fields) {
    const all = this.all();
    all[id] = { ...(all[id] || { saved: Date.now() }), ...fields };
    localStorage.setItem(TICKETS, JSON.stringify(all));
    return all[id];
  },
};

const SESSION = "ow.citizen.session";

// The citizen's sign-in: {token, phone_masked, expires_at}.
export const session = {
  load() {
    const s = readJson(SESSION, null);
    if (!s || !s.token) return null;
    if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) {
      this.clear();
      return null;
    }
    return s;
  },
  save(s) {
    localStorage.setItem(SESSION, JSON.stringify(s));
  },
  clear() {
    localStorage.removeItem(SESSION);
  },
};

// The page in the other language: the same address with ?lang= switched.
export function wireLangSwitch(link) {
  const url = new URL(location.href);
  url.searchParams.set("lang", lang === "zh" ? "en" : "zh");
  link.href = url.pathname + url.search;
  link.textContent = t("lang.switch");
  link.lang = lang === "zh" ? "en" : "zh-CN";
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") node.setAttribute(k, v);
    else node[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

export function serviceName(data) {
  if (lang !== "zh" && data.service_name_en) return data.service_name_en;
  return data.service_name || data.service || "";
}

export function windowLabel(win) {
  if (!win) return "";
  return t("call.window", { n: win.number });
}
