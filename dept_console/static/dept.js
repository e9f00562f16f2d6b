// The department console (/dept): an officer signs in, follows `dept:{department}` on
// the shared HallSocket (resumed from its position after a reconnect, a fresh snapshot
// when the server cannot replay), works the inbox and the opened case by keyboard.
//
// The session is kept as the clerk console keeps its own (session.js, localStorage,
// under this page's key); a sign-in that ends under it (socket closed 4001, an HTTP 401
// token_revoked) drops it and the sign-in view says why.

import { HallSocket } from "/static/common/socket.js";
import { errorText, makeI18n } from "/static/common/i18n.js";
import { $, setText } from "/static/console/dom.js";
import { api, changePassword, onSessionLost, sessionStore, signIn, signOutServer }
  from "/static/console/session.js";
import { CaseDesk } from "./case_desk.js";
import { Inbox } from "./inbox.js";
import { Lookups } from "./lookups.js";
import catalog from "./strings.js";

const VIEWS = ["signin", "password", "work"];
const store = sessionStore("ow.dept.session");

class DeptConsole {
  constructor() {
    this.i18n = makeI18n(catalog);
    this.session = null;
    this.socket = null;
    this.conn = "connecting";
    this.pending = null;          // a sign-in that must change its password first
    this.lookups = new Lookups(this);
    this.inbox = new Inbox(this);
    this.desk = new CaseDesk(this);
  }

  get lang() { return this.i18n.lang; }
  get department() { return this.session ? this.session.department : null; }
  t(key, vars) { return this.i18n.t(key, vars); }
  errorText(err) { return errorText(err, this.lang, (k, v) => this.t(k, v)); }
  deptName(id) { return this.lookups.deptName(id); }

  // A staff call with this session's token; a POST carries an idempotency key.
  call(method, path, body) {
    return api(method, path, { token: this.session && this.session.token, body,
      idempotent: method === "POST" });
  }

  // An uploaded material of an online application, in a tab of its own. The tab is opened
  // inside the click (no popup blocker) and given the file once it is fetched with the
  // token; the server audits every such view.
  async openFile(appId, digest) {
    const tab = window.open("", "_blank");
    try {
      const r = await fetch(`/api/applications/${encodeURIComponent(appId)}/files/${digest}`,
        { headers: { authorization: `Bearer ${this.session.token}` } });
      if (!r.ok) throw await r.json().then((b) => b.error, () => ({ message_zh: String(r.status) }));
      const url = URL.createObjectURL(await r.blob());
      if (tab) tab.location = url;
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      if (tab) tab.close();
      throw err;
    }
  }

  // --- start, sign-in ----------------------------------------------------------------

  boot() {
    this.translate();
    $("lang").onclick = () => this.toggleLang();
    $("signout").onclick = () => this.signOut();
    $("signin-form").onsubmit = (e) => { e.preventDefault(); this.signIn(); };
    $("password-form").onsubmit = (e) => { e.preventDefault(); this.changePassword(); };
    $("password-cancel").onclick = () => this.cancelPassword();
    document.addEventListener("keydown", (e) => this.#key(e));
    onSessionLost((token) => {
      if (this.session && this.session.token === token) this.end(this.t("signin.expired"));
    });
    document.body.classList.remove("loading");
    const s = store.load();
    if (!s) this.showSignin();
    else if (s.expired) this.showSignin(this.t("signin.expired"));
    else this.begin(s);
  }

  show(name) {
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
    document.body.dataset.view = name;
    // Focus must not stay in a view that is gone: the page's keys would not reach it.
    const el = document.activeElement;
    if (el && el !== document.body && el.closest(".view[hidden]")) el.blur();
    this.renderBar();
  }

  showSignin(message = "") {
    this.show("signin");
    setText($("signin-error"), message);
    $("signin-user").focus();
  }

  async signIn() {
    const button = $("signin-submit");
    const pass = $("signin-pass").value;
    button.disabled = true;
    setText(button, this.t("signin.busy"));
    setText($("signin-error"), "");
    try {
      const s = await signIn($("signin-user").value.trim(), pass);
      $("signin-pass").value = "";
      if (s.role !== "officer" || !s.department) {
        signOutServer(s.token);
        return this.showSignin(this.t("signin.not_officer"));
      }
      if (s.must_change_password) return this.askPassword(s, pass);
      store.save(s);
      this.begin(s);
    } catch (err) {
      setText($("signin-error"), this.errorText(err));
      $("signin-pass").select();
    } finally {
      button.disabled = false;
      setText(button, this.t("signin.submit"));
    }
  }

  askPassword(session, oldPassword) {
    this.pending = { session, oldPassword };
    this.show("password");
    $("password-user").value = session.username;
    for (const id of ["password-new", "password-again"]) $(id).value = "";
    setText($("password-error"), "");
    $("password-new").focus();
  }

  async changePassword() {
    if (!this.pending) return this.showSignin();
    const fresh = $("password-new");
    const problem = (field, text) => {
      field.setAttribute("aria-invalid", "true");
      setText($("password-error"), text);
      field.focus();
    };
    fresh.removeAttribute("aria-invalid");
    $("password-again").removeAttribute("aria-invalid");
    if (fresh.value.length < 8) return problem(fresh, this.t("password.too_short"));
    if (fresh.value !== $("password-again").value) {
      return problem($("password-again"), this.t("password.mismatch"));
    }
    try {
      const s = await changePassword(this.pending.session, this.pending.oldPassword, fresh.value);
      this.pending = null;
      store.save(s);
      this.begin(s);
    } catch (err) {
      if (err.status === 401) {
        this.pending = null;
        return this.showSignin(this.t("signin.expired"));
      }
      problem(fresh, this.errorText(err));
    }
  }

  cancelPassword() {
    if (this.pending) signOutServer(this.pending.session.token);
    this.pending = null;
    this.showSignin();
  }

  begin(session) {
    if (session.role !== "officer" || !session.department) {
      store.clear();
      return this.showSignin(this.t("signin.not_officer"));
    }
    this.session = session;
    this.connect();
    this.show("work");
    this.inbox.start();
    this.desk.start();
    $("inbox-panel").focus(); // the list's keys work at once; a reader lands on the list
    this.refreshMe();
  }

  // The department and name as the server has them now (the login answer may be old).
  async refreshMe() {
    const s = this.session;
    let me;
    try {
      me = await this.call("GET", "/api/auth/me");
    } catch {
      return; // a 401 has ended the session already
    }
    if (this.session !== s) return;
    const moved = me.department !== s.department;
    Object.assign(s, { display_name: me.display_name, department: me.department });
    if (me.department && me.department_name) {
      this.lookups.deptNames.set(me.department, me.department_name);
    }
    store.save(s);
    if (moved && this.socket) {
      this.socket.stop();
      this.connect();
    }
    this.renderBar();
  }

  async signOut() {
    if (!this.session) return;
    const token = this.session.token;
    this.#dropSocket(); // first: the server's 4001 for the revoked token is no news
    $("signout").disabled = true;
    await signOutServer(token);
    $("signout").disabled = false;
    this.end(this.t("signin.signed_out"));
  }

  end(message) {
    this.#dropSocket();
    for (const d of document.querySelectorAll("dialog[open]")) {
      d.dispatchEvent(new Event("cancel", { cancelable: true }));
      if (d.open) d.close();
    }
    this.inbox.stop();
    this.desk.stop();
    this.inbox = new Inbox(this);
    this.desk = new CaseDesk(this);
    store.clear();
    this.session = null;
    this.conn = "connecting";
    this.showSignin(message);
  }

  #dropSocket() {
    if (this.socket) this.socket.stop();
    this.socket = null;
    window.__socket = null;
  }

  // --- the connection ----------------------------------------------------------------

  connect() {
    this.conn = "connecting";
    const socket = new HallSocket({
      token: this.session.token,
      onMessage: (m) => this.socket === socket && this.onMessage(m),
      onStatus: (s) => this.socket === socket && this.onStatus(s),
    });
    this.socket = socket;
    window.__socket = socket; // for tests: drop() cuts the connection as a network would
    socket.follow(`dept:${this.department}`);
    socket.start();
  }

  onStatus(status) {
    if (status === "unauthorized") return this.end(this.t("signin.expired"));
    this.conn = status === "online" ? "online" : "offline";
    this.renderBar();
  }

  onMessage(msg) {
    if (msg.topic !== `dept:${this.department}`) return;
    if (msg.op === "snapshot") {
      this.inbox.onSnapshot(msg.data || {});
      this.desk.render();
      this.lookups.learnName((msg.data && msg.data.tasks) || []);
    } else if (msg.op === "event" && msg.type && msg.type.startsWith("task.")) {
      this.inbox.onEvent(msg);
      this.desk.onTaskEvent(msg.data);
      this.lookups.learnName([msg.data]);
    } else if (msg.op === "error") {
      this.inbox.error = msg.error;
      this.inbox.render();
    }
  }

  // --- keys, bar, language --------------------------------------------------------------

  #key(e) {
    if (!this.session || $("view-work").hidden) return;
    if (e.ctrlKey || e.altKey || e.metaKey || document.querySelector("dialog[open]")) return;
    const tag = e.target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    if (this.inbox.key(e) || this.desk.key(e)) e.preventDefault();
  }

  renderBar() {
    const s = this.session;
    setText($("bar-where"), s ? this.deptName(s.department) : "");
    setText($("bar-who"), s ? `${s.display_name} · ${this.t("role.officer")}` : "");
    const conn = $("conn");
    conn.hidden = !s;
    conn.dataset.state = this.conn;
    setText(conn, this.t(`conn.${this.conn}`));
    $("offline").hidden = !s || this.conn !== "offline";
    $("signout").hidden = !s;
  }

  translate() {
    this.i18n.apply();
    for (const el of document.querySelectorAll("[data-i18n-label]")) {
      el.setAttribute("aria-label", this.t(el.dataset.i18nLabel));
    }
  }

  toggleLang() {
    localStorage.setItem("ow.lang", this.lang === "zh" ? "en" : "zh");
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) {
      url.searchParams.delete("lang");
      history.replaceState(null, "", url);
    }
    this.i18n = makeI18n(catalog);
    this.translate();
    this.renderBar();
    this.inbox.render();
    this.desk.render();
    if (!$("view-signin").hidden) setText($("signin-submit"), this.t("signin.submit"));
  }
}

const app = new DeptConsole();
window.__dept = app;
app.boot();
