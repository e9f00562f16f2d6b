// The window console (/console): sign-in, choosing the window, the clerk's working
// view and the supervisor's view, all on one page and one WebSocket (HallSocket).
//
// The sign-in can end under it (signed out elsewhere, password or role changed,
// account disabled): the socket is closed with 4001, or an HTTP call answers 401
// token_revoked; either way the session is dropped and the sign-in view says why.
// Configuration changes (config.changed) are followed live: service names, windows,
// the hall's name, the user's own display name.

import { HallSocket } from "/static/common/socket.js";
import { errorText, makeI18n } from "/static/common/i18n.js";
import catalog from "./strings.js";
import { ClerkDesk } from "./clerk.js";
import { $, setText } from "./dom.js";
import { Picker } from "./picker.js";
import { setupRateAsk } from "./rate_ask.js";
import { api, changePassword, clearSession, loadSession, onSessionLost, saveSession, signIn,
  signOutServer } from "./session.js";
import { SupervisorBoard } from "./supervisor.js";

const VIEWS = ["signin", "password", "picker", "work", "super"];
const ME_DELAY_MS = 1000;

class Console {
  constructor() {
    this.i18n = makeI18n(catalog);
    this.session = null;
    this.socket = null;
    this.conn = "connecting"; // connecting | online | offline
    this.hall = null;         // {id, name, tz, business_day, services, windows}
    this.waiting = {};        // service code -> waiting count
    this.view = null;
    this.hallTimer = null;
    this.hallSeq = 0;
    this.pending = null;      // a sign-in that must change its password first
    this.userId = null;       // from the socket's welcome
    this.meTimer = null;
  }

  get online() {
    return this.conn === "online";
  }

  get lang() {
    return this.i18n.lang;
  }

  t(key, vars) {
    return this.i18n.t(key, vars);
  }

  errorText(err) {
    return errorText(err, this.lang, (k, v) => this.t(k, v));
  }

  serviceName(code) {
    const s = this.hall && this.hall.services.find((x) => x.code === code);
    if (!s) return code;
    return this.lang === "zh" ? s.name : s.name_en || s.name;
  }

  // --- start -----------------------------------------------------------------------

  boot() {
    this.i18n.apply();
    $("lang").onclick = () => this.toggleLang();
    $("signout").onclick = () => this.signOut();
    $("signin-form").onsubmit = (e) => {
      e.preventDefault();
      this.signIn();
    };
    $("hall-form").onsubmit = (e) => {
      e.preventDefault();
      this.chooseHall($("hall-input").value.trim());
    };
    $("password-form").onsubmit = (e) => {
      e.preventDefault();
      this.changePassword();
    };
    $("password-cancel").onclick = () => this.cancelPassword();
    setupRateAsk(this, () => (this.view instanceof ClerkDesk ? this.view.id : null));
    onSessionLost((token) => {
      if (this.session && this.session.token === token) this.end(this.t("signin.expired"));
    });
    setInterval(() => this.view && this.view.tick && this.view.tick(), 1000);
    document.body.classList.remove("loading");
    const s = loadSession();
    if (!s) this.showSignin();
    else if (s.expired) this.showSignin(this.t("signin.expired"));
    else this.begin(s);
  }

  show(name) {
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
    document.body.dataset.view = name;
    // Focus must not stay in a view that is gone: the next view's keys would not reach it.
    const el = document.activeElement;
    if (el && el !== document.body && el.closest(".view[hidden]")) el.blur();
  }

  setView(controller, name) {
    if (this.view && this.view.stop) this.view.stop();
    this.view = controller;
    this.show(name);
    this.renderBar();
    if (controller) controller.start();
  }

  showSignin(message = "") {
    this.setView(null, "signin");
    setText($("signin-error"), message);
    $("signin-user").focus();
  }

  async signIn() {
    const user = $("signin-user").value.trim();
    const pass = $("signin-pass").value;
    const button = $("signin-submit");
    button.disabled = true;
    setText(button, this.t("signin.busy"));
    setText($("signin-error"), "");
    try {
      const s = await signIn(user, pass);
      $("signin-pass").value = "";
      if (s.must_change_password) return this.askPassword(s, pass);
      saveSession(s);
      this.begin(s);
    } catch (err) {
      setText($("signin-error"), this.errorText(err));
      $("signin-pass").select();
    } finally {
      button.disabled = false;
      setText(button, this.t("signin.submit"));
    }
  }

  // --- a first password: changed before the console starts ---------------------------

  // The sign-in is kept in memory only (its token is good for nothing else) with the
  // password just typed, which is the old password the server asks for.
  askPassword(session, oldPassword) {
    this.pending = { session, oldPassword };
    this.setView(null, "password");
    $("password-user").value = session.username;
    for (const id of ["password-new", "password-again"]) {
      $(id).value = "";
      $(id).removeAttribute("aria-invalid");
    }
    setText($("password-error"), "");
    $("password-new").focus();
  }

  async changePassword() {
    if (!this.pending) return this.showSignin();
    const fresh = $("password-new");
    const again = $("password-again");
    const problem = (field, text) => {
      field.setAttribute("aria-invalid", "true");
      setText($("password-error"), text);
      field.focus();
      field.select();
    };
    fresh.removeAttribute("aria-invalid");
    again.removeAttribute("aria-invalid");
    if (fresh.value.length < 8) return problem(fresh, this.t("password.too_short"));
    if (fresh.value !== again.value) return problem(again, this.t("password.mismatch"));
    const button = $("password-submit");
    button.disabled = true;
    setText(button, this.t("password.busy"));
    setText($("password-error"), "");
    try {
      const s = await changePassword(this.pending.session, this.pending.oldPassword, fresh.value);
      this.pending = null;
      fresh.value = "";
      again.value = "";
      saveSession(s);
      this.begin(s);
    } catch (err) {
      if (err.status === 401) {
        this.pending = null;
        return this.showSignin(this.t("signin.expired"));
      }
      problem(fresh, this.errorText(err));
    } finally {
      button.disabled = false;
      setText(button, this.t("password.submit"));
    }
  }

  cancelPassword() {
    const p = this.pending;
    this.pending = null;
    if (p) signOutServer(p.session.token);
    this.showSignin();
  }

  begin(session) {
    this.session = session;
    this.connect();
    if (!session.hall) return this.askHall();
    this.socket.follow(`hall:${session.hall}`);
    this.refreshHall(0);
    this.route();
  }

  // Admins belong to no hall: they say which one they look after.
  askHall() {
    this.setView(null, "picker");
    $("hall-form").hidden = false;
    $("picker-list").replaceChildren();
    $("hall-input").focus();
  }

  chooseHall(id) {
    if (!id) return setText($("picker-error"), this.t("err.need_hall"));
    this.session.hall = id;
    saveSession(this.session);
    this.socket.follow(`hall:${id}`);
    this.refreshHall(0);
    this.route();
  }

  route(message = "") {
    if (this.session.role !== "clerk") return this.setView(new SupervisorBoard(this), "super");
    if (this.session.window) return this.enterWindow(this.session.window);
    return this.setView(new Picker(this, message), "picker");
  }

  enterWindow(id) {
    this.session.window = id;
    saveSession(this.session);
    this.setView(new ClerkDesk(this, id), "work");
  }

  // The window topic was refused: the window is no longer this clerk's (closed by a supervisor).
  windowLost(id, reason) {
    const w = this.hall && this.hall.windows.find((x) => x.id === id);
    this.session.window = null;
    saveSession(this.session);
    this.refreshHall(0);
    this.route(this.t("picker.lost", { window: w ? w.name : id, reason }));
  }

  async signOut() {
    if (this.view instanceof ClerkDesk) {
      const done = await this.view.signOut();
      if (!done) return;
    }
    if (!this.session) return;
    // The socket goes first: the server closes it (4001) once the token is revoked,
    // which must not read as "your sign-in has ended".
    const token = this.session.token;
    if (this.view && this.view.stop) this.view.stop();
    this.view = null;
    this.#dropSocket();
    $("signout").disabled = true;
    await signOutServer(token);
    $("signout").disabled = false;
    this.end(this.t("signin.signed_out"));
  }

  end(message) {
    if (this.view && this.view.stop) this.view.stop();
    this.view = null;
    this.#dropSocket();
    // A dialog left open would act for a session that is gone: cancel it.
    for (const d of document.querySelectorAll("dialog[open]")) {
      d.dispatchEvent(new Event("cancel", { cancelable: true }));
      if (d.open) d.close();
    }
    clearTimeout(this.hallTimer);
    clearTimeout(this.meTimer);
    clearSession();
    this.session = null;
    this.userId = null;
    this.hall = null;
    this.waiting = {};
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
    if (this.socket) this.socket.stop();
    this.conn = "connecting";
    // A socket that was replaced or stopped has nothing more to say (its last close
    // arrives after it was let go).
    const socket = new HallSocket({
      token: this.session.token,
      onMessage: (m) => this.socket === socket && this.onMessage(m),
      onStatus: (s) => this.socket === socket && this.onStatus(s),
    });
    this.socket = socket;
    window.__socket = socket; // for tests: drop() cuts the connection as a network would
    socket.start();
  }

  onStatus(status) {
    // 4001: the token is bad, expired or revoked; reconnecting would not help.
    if (status === "unauthorized") return this.end(this.t("signin.expired"));
    this.conn = status === "online" ? "online" : "offline";
    if (this.online && this.session && this.session.hall) this.refreshHall(0);
    this.renderBar();
    if (this.view) this.view.render();
  }

  onMessage(msg) {
    const topic = msg.topic || "";
    if (msg.op === "welcome" && msg.user) this.userId = msg.user.id;
    if (topic.startsWith("hall:")) {
      if (msg.op === "snapshot") {
        this.setHall(msg.data);
        if (this.view && this.view.onHallSnapshot) this.view.onHallSnapshot();
      }
      else if (msg.op === "event") {
        // Every event may move the counts; a config.changed also renames services,
        // windows or the hall: the re-read brings them all.
        this.refreshHall(msg.type === "config.changed" ? 50 : 300);
        if (msg.type === "config.changed") this.onConfig(msg.data || {});
        if (this.view && this.view.onHallEvent) this.view.onHallEvent(msg);
      } else if (msg.op === "error" && this.view === null) {
        setText($("picker-error"), this.errorText(msg.error));
      }
    } else if (topic.startsWith("window:")) {
      if (this.view instanceof ClerkDesk && topic === this.view.topic) this.view.onWindowMessage(msg);
    }
  }

  // An admin changed staff: if it is this user, their display name may have changed
  // (the window picker and the bar show it). A change of rights ends the session
  // instead: the server closes the socket (4001) within a second, so the question
  // waits that long rather than be asked with a token about to be refused.
  onConfig(d) {
    if (d.what !== "staff" || !this.session) return;
    if (this.userId && d.id !== this.userId) return;
    const s = this.session;
    clearTimeout(this.meTimer);
    this.meTimer = setTimeout(() => this.session === s && this.refreshMe(), ME_DELAY_MS);
  }

  async refreshMe() {
    const s = this.session;
    let me;
    try {
      me = await api("GET", "/api/auth/me", { token: s.token });
    } catch {
      return; // a 401 has ended the session already (onSessionLost)
    }
    if (this.session !== s) return;
    this.userId = me.id;
    if (me.display_name !== s.display_name) {
      s.display_name = me.display_name;
      saveSession(s);
      this.renderBar();
      if (this.view) this.view.render();
    }
  }

  // --- the hall: services with waiting counts, windows ----------------------------------

  setHall(data) {
    const info = data.hall || data;
    this.hall = { id: info.id, name: info.name, tz: info.tz, business_day: info.business_day,
      services: data.services, windows: data.windows };
    for (const s of data.services) this.waiting[s.code] = s.waiting;
    this.renderBar();
    if (this.view) {
      if (this.view.onHallChanged) this.view.onHallChanged();
      else this.view.render();
    }
  }

  setWaiting(counts) {
    Object.assign(this.waiting, counts);
  }

  // Re-read the hall (public GET), debounced: waiting counts move with every ticket event.
  refreshHall(delayMs = 300) {
    clearTimeout(this.hallTimer);
    this.hallTimer = setTimeout(async () => {
      if (!this.session || !this.session.hall) return;
      const mine = ++this.hallSeq;
      const s = this.session;
      try {
        const data = await api("GET", `/api/halls/${encodeURIComponent(s.hall)}`);
        if (mine === this.hallSeq && this.session === s) this.setHall(data);
      } catch (err) {
        if (this.view === null || this.view instanceof Picker) {
          setText($("picker-error"), this.errorText(err));
        }
      }
    }, delayMs);
  }

  // --- the top bar and the language ----------------------------------------------------

  renderBar() {
    const s = this.session;
    const clerk = this.view instanceof ClerkDesk;
    setText($("bar-page"), this.t(s && s.role !== "clerk" ? "app.supervisor" : "app.console"));
    const where = [];
    if (this.hall) where.push(this.hall.name);
    if (clerk) {
      // The desk's own copy of its window is the freshest (its topic says first).
      const w = this.view.st.win || (this.hall && this.hall.windows.find((x) => x.id === this.view.id));
      where.push(w ? this.windowTitle(w) : this.view.id);
    }
    setText($("bar-where"), where.join(" · "));
    setText($("bar-who"), s ? `${s.display_name} · ${this.t(`role.${s.role}`)}` : "");
    const conn = $("conn");
    conn.hidden = !s;
    conn.dataset.state = this.conn;
    setText(conn, this.t(`conn.${this.conn}`));
    $("offline").hidden = !s || this.conn !== "offline";
    $("signout").hidden = !s;
  }

  // A name that says its number ("1号窗口", "Window 1") as it is; any other, such as
  // "综合受理", with the number beside it: "综合受理（3号）".
  windowTitle(w) {
    const name = w.name || "";
    const n = String(w.number);
    const says = new RegExp(`(^|\\D)${n}\\s*号|(窗口|window|no\\.?)\\s*${n}(\\D|$)`, "i");
    return says.test(name) ? name : this.t("bar.window", { name, n });
  }

  toggleLang() {
    localStorage.setItem("ow.lang", this.lang === "zh" ? "en" : "zh");
    const url = new URL(location.href);
    if (url.searchParams.has("lang")) {
      url.searchParams.delete("lang");
      history.replaceState(null, "", url);
    }
    this.i18n = makeI18n(catalog);
    this.i18n.apply();
    this.renderBar();
    if (this.view) this.view.render();
    if (!$("view-signin").hidden) setText($("signin-submit"), this.t("signin.submit"));
    if (!$("view-password").hidden) setText($("password-submit"), this.t("password.submit"));
  }
}

const app = new Console();
window.__console = app;
app.boot();
