// The admin console's session (its own localStorage key) and its HTTP calls.

import { ApiError, sessionStore } from "/static/console/session.js";

const store = sessionStore("ow.admin.session");
export const loadSession = store.load;
export const saveSession = store.save;
export const clearSession = store.clear;

// The console's error, plus `field`: the JSON path of the offending value ("hours.mon.0").
export class AdminError extends ApiError {
  constructor(data = {}) {
    super(data);
    this.field = data.field || null;
  }
}

// One HTTP call, JSON in and out; every failure becomes an AdminError.
export async function request(method, path, { token = null, body } = {}) {
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method === "POST") headers["idempotency-key"] = newKey();
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new AdminError({ code: "network", key: "err.network" });
  }
  return readReply(res);
}

async function readReply(res) {
  let data = null;
  try {
    data = res.status === 204 ? null : await res.json();
  } catch {
    throw new AdminError({ code: "bad_reply", key: "err.bad_reply", status: res.status });
  }
  if (!res.ok) {
    if (data && data.error) throw new AdminError({ ...data.error, status: res.status });
    throw new AdminError({ code: "bad_reply", key: "err.bad_reply", status: res.status });
  }
  return data;
}

function newKey() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

// Calls made with the signed-in token. A refused token ends the session; a pending
// password change sends the user to the change form (both through `hooks`).
export class Client {
  constructor(hooks) {
    this.hooks = hooks; // {token(), onUnauthorized(err), onPasswordRequired(err)}
  }

  async call(method, path, body) {
    try {
      return await request(method, path, { token: this.hooks.token(), body });
    } catch (err) {
      if (err.status === 401) this.hooks.onUnauthorized(err);
      else if (err.code === "password_change_required") this.hooks.onPasswordRequired(err);
      throw err;
    }
  }

  get(path) {
    return this.call("GET", path);
  }

  post(path, body) {
    return this.call("POST", path, body ?? {});
  }

  patch(path, body) {
    return this.call("PATCH", path, body);
  }

  put(path, body) {
    return this.call("PUT", path, body);
  }

  del(path) {
    return this.call("DELETE", path);
  }

  // A file the server makes (CSV) fetched with the token in a header, saved from a Blob:
  // the token never goes into a URL, where logs and history would keep it.
  async download(path, filename) {
    let res;
    try {
      res = await fetch(path, { headers: { authorization: `Bearer ${this.hooks.token()}` } });
    } catch {
      throw new AdminError({ code: "network", key: "err.network" });
    }
    if (!res.ok) {
      try {
        await readReply(res);
      } catch (err) {
        if (err.status === 401) this.hooks.onUnauthorized(err);
        throw err;
      }
    }
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return blob.size;
  }
}

export const enc = encodeURIComponent;
