// The signed-in session (kept in localStorage so a reload keeps it) and the HTTP API.

// A signed-in session kept in localStorage under `key`, so a reload keeps it; the admin
// console keeps its own under another key.
export function sessionStore(key) {
  const clear = () => localStorage.removeItem(key);
  const load = () => {
    let s;
    try {
      s = JSON.parse(localStorage.getItem(key) || "null");
    } catch {
      s = null;
    }
    if (!s || !s.token) return null;
    if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) {
      clear();
      return { expired: true };
    }
    return s;
  };
  const save = (session) => localStorage.setItem(key, JSON.stringify(session));
  return { load, save, clear };
}

const store = sessionStore("ow.console.session");
export const loadSession = store.load;
export const saveSession = store.save;
export const clearSession = store.clear;

// An error the page can show: the server's {code, message, message_zh}, or a catalog key.
export class ApiError extends Error {
  constructor({ code = "error", message = "", message_zh = "", key = null, status = 0,
    field = null } = {}) {
    super(message || code);
    this.code = code;
    this.message_en = message;
    this.message_zh = message_zh;
    this.key = key;
    this.status = status;
    this.field = field; // the JSON path of the value at fault ("hours.mon.0"), for forms
  }
}

// The sign-in has ended on the server (signed out elsewhere, password or role changed,
// account disabled) or was never good: every staff call answers 401 with one of these.
const LOST = new Set(["token_revoked", "token_invalid", "token_expired"]);
let sessionLost = () => {};

// The console says what to do when a call finds its sign-in gone: fn(token, error).
export function onSessionLost(fn) {
  sessionLost = fn;
}

function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// One HTTP call: JSON in and out; any failure becomes an ApiError, never a raw exception.
// A staff call (with a token) that finds the sign-in gone also tells onSessionLost's
// handler, unless `quiet` (signing out, where that is the point).
export async function api(method, path,
  { token = null, body, idempotent = false, timeoutMs = 0, quiet = false } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (idempotent) headers["idempotency-key"] = newKey();
  const abort = timeoutMs > 0 ? new AbortController() : null;
  const timer = abort ? setTimeout(() => abort.abort(), timeoutMs) : null;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort ? abort.signal : undefined,
    });
  } catch {
    throw new ApiError({ code: "network", key: "err.network" });
  } finally {
    clearTimeout(timer);
  }
  try {
    return await readReply(res);
  } catch (err) {
    if (token && !quiet && err.status === 401 && LOST.has(err.code)) sessionLost(token, err);
    throw err;
  }
}

// A file from a staff call (an uploaded material): its bytes as a Blob, or the ApiError
// the server's JSON refusal stands for (a lost sign-in told as api() tells it).
export async function apiBlob(path, { token }) {
  let res;
  try {
    res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: "no-store" });
  } catch {
    throw new ApiError({ code: "network", key: "err.network" });
  }
  if (res.ok) return res.blob();
  try {
    await readReply(res); // throws: the answer is not ok
  } catch (err) {
    if (err.status === 401 && LOST.has(err.code)) sessionLost(token, err);
    throw err;
  }
  throw new ApiError({ code: "bad_reply", key: "err.bad_reply", status: res.status });
}

// A reply's JSON, or the ApiError it stands for.
export async function readReply(res) {
  let data = null;
  try {
    data = res.status === 204 ? null : await res.json();
  } catch {
    throw new ApiError({ code: "bad_reply", key: "err.bad_reply", status: res.status });
  }
  if (!res.ok) {
    if (data && data.error) throw new ApiError({ ...data.error, status: res.status });
    throw new ApiError({ code: "bad_reply", key: "err.bad_reply", status: res.status });
  }
  return data;
}

export async function signIn(username, password) {
  const r = await api("POST", "/api/auth/login", { body: { username, password } });
  return { ...r, username };
}

// The user's own password change; the answer is a fresh sign-in (the old token ends).
export async function changePassword(session, oldPassword, newPassword) {
  const r = await api("POST", "/api/auth/password", {
    token: session.token, quiet: true,
    body: { old_password: oldPassword, new_password: newPassword },
  });
  return { ...r, username: session.username };
}

// Sign out on the server too (the token is revoked there); best effort: the page
// forgets the session whatever the answer.
export async function signOutServer(token) {
  try {
    await api("POST", "/api/auth/logout", { token, quiet: true, timeoutMs: 3000 });
  } catch {
    // offline, or the sign-in had already ended: nothing more to do
  }
}
