// The admin console's session (its own localStorage key) and its HTTP calls.

import { ApiError, api, readReply, sessionStore } from "/static/console/session.js";

const store = sessionStore("ow.admin.session");
export const loadSession = store.load;
export const saveSession = store.save;
export const clearSession = store.clear;

// One HTTP call, JSON in and out (the clerk console's): every failure is an ApiError,
// with `field` when the server names the value at fault.
export function request(method, path, { token = null, body } = {}) {
  return api(method, path, { token, body, idempotent: method === "POST", quiet: true });
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
      throw new ApiError({ code: "network", key: "err.network" });
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
