// The window console (/console): sign-in, choosing the window, the clerk's working
// view and the supervisor's view, all on one page and one WebSocket (HallSocket).

import { HallSocket } from "/static/common/socket.js";
import { makeI18n } from "/static/common/i18n.js";
import catalog from "./strings.js";
import { ClerkDesk } from "./clerk.js";
import { $, setText } from "./dom.js";
import { Picker } from "./picker.js";
import { api, clearSession, loadSession, saveSession, signIn } from "./session.js";
import { SupervisorBoard } from "./supervisor.js";

const VIEWS = ["signin", "picker", "work", "super"];

class Console {
  constructor() {
    this.i18n = makeI18n(catalog);
    this.session = null;
    this.socket = null;
    this.conn = "connecting"; // connecting | online | offline
    this.hall = null;         // {id, name, services, windows}
    this.waiting = {};        // service code -> waiting count
    this.view = null;
    this.hallTimer = null;
    this.hallSeq = 0;
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

  // A server error ({code, message, message_zh}) or a catalog one ({key, vars}), in plain words.
  errorText(err) {
    if (!err) return "";
    if (err.key) return this.t(err.key, err.vars || {});
    const en = err.message_en || err.message;
    return (this.lang === "zh" ? err.message_zh || en : en || err.message_zh) || err.code || "";
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
    this.end(this.t("signin.signed_out"));
  }

  end(message) {
    if (this.view && this.view.stop) this.view.stop();
    this.view = null;
    if (this.socket) this.socket.stop();
    this.socket = null;
    window.__socket = null;
    clearSession();
    this.session = null;
    this.hall = null;
    this.waiting = {};
    this.conn = "connecting";
    this.showSignin(message);
  }

  // --- the connection ----------------------------------------------------------------

  connect() {
    if (this.socket) this.socket.stop();
    this.conn = "connecting";
    this.socket = new HallSocket({
      token: this.session.token,
      onMessage: (m) => this.onMessage(m),
      onStatus: (s) => this.onStatus(s),
    });
    window.__socket = this.socket; // for tests: drop() cuts the connection as a network would
    this.socket.start();
  }

  onStatus(status) {
    if (status === "unauthorized") return this.end(this.t("signin.expired"));
    this.conn = status === "online" ? "online" : "offline";
    if (this.online && this.session && this.session.hall) this.refreshHall(0);
    this.renderBar();
    if (this.view) this.view.render();
  }

  onMessage(msg) {
    const topic = msg.topic || "";
    if (topic.startsWith("hall:")) {
      if (msg.op === "snapshot") this.setHall(msg.data);
      else if (msg.op === "event") {
        this.refreshHall();
        if (this.view && this.view.onHallEvent) this.view.onHallEvent(msg);
      } else if (msg.op === "error" && this.view === null) {
        setText($("picker-error"), this.errorText(msg.error));
      }
    } else if (topic.startsWith("window:")) {
      if (this.view instanceof ClerkDesk && topic === this.view.topic) this.view.onWindowMessage(msg);
    }
  }

  // --- the hall: services with waiting counts, windows ----------------------------------

  setHall(data) {
    const info = data.hall || data;
    this.hall = { id: info.id, name: info.name, services: data.services, windows: data.windows };
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
      try {
        const data = await api("GET", `/api/halls/${encodeURIComponent(this.session.hall)}`);
        if (mine === this.hallSeq && this.session) this.setHall(data);
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
      const w = this.hall && this.hall.windows.find((x) => x.id === this.view.id);
      where.push(w ? w.name : this.view.id);
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
  }
}

const app = new Console();
window.__console = app;
app.boot();
