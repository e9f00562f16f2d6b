// The signed-in session (kept in localStorage so a reload keeps it) and the HTTP API.

const KEY = "ow.console.session";

export function loadSession() {
  let s;
  try {
    s = JSON.parse(localStorage.getItem(KEY) || "null");
  } catch {
    s = null;
  }
  if (!s || !s.token) return null;
  if (s.expires_at && Date.parse(s.expires_at) <= Date.now()) {
    clearSession();
    return { expired: true };
  }
  return s;
}

export function saveSession(session) {
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession() {
  localStorage.removeItem(KEY);
}

// An error the page can show: the server's {code, message, message_zh}, or a catalog key.
export class ApiError extends Error {
  constructor({ code = "error", message = "", message_zh = "", key = null, status = 0 } = {}) {
    super(message || code);
    this.code = code;
    this.message_en = message;
    this.message_zh = message_zh;
    this.key = key;
    this.status = status;
  }
}

function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// One HTTP call: JSON in and out; any failure becomes an ApiError, never a raw exception.
export async function api(method, path, { token = null, body, idempotent = false } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (idempotent) headers["idempotency-key"] = newKey();
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError({ code: "network", key: "err.network" });
  }
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
