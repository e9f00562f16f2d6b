// The statistics page (/stats) for supervisors and admins: today's figures live, a date
// range with charts and tables, CSV export, and the hall's wait target.
//
// Live: the page follows the public hall topic (web_common/socket.js) and re-reads
// today's figures after events, at most once a second (a burst of calls costs one
// read); a fresh snapshot after a reconnect re-reads them too. Past days come from the
// daily archive through the range endpoint. Every chart has its numbers in a table.

import { HallSocket } from "/static/common/socket.js";
import { errorText, makeI18n } from "/static/common/i18n.js";
import { $, h, setText } from "/static/console/dom.js";
import { api, onSessionLost, sessionStore, signIn, signOutServer } from "/static/console/session.js";
import { barChart, daysChart } from "./charts.js";
import { renderAlert, renderLive, renderRange } from "./views.js";
import catalog from "./strings.js";

const VIEWS = ["signin", "hall", "stats"];
const MANAGERS = new Set(["supervisor", "admin"]);
const REFRESH_MS = 1000;
const store = sessionStore("ow.stats.session");

class StatsPage {
  constructor() {
    this.i18n = makeI18n(catalog);
    this.session = null;
    this.hall = null;
    this.socket = null;
    this.live = null;
    this.range = null;
    this.lastRead = 0;
    this.timer = null;
    this.reading = false;
    this.hoursChart = barChart($("hours-chart"));
    this.histChart = barChart($("hist-chart"));
    this.daysChart = daysChart($("days-chart"));
  }

  t(key, vars) { return this.i18n.t(key, vars); }
  errorText(err) { return errorText(err, this.i18n.lang, (k, v) => this.t(k, v)); }

  call(method, path, body) {
    return api(method, path, { token: this.session.token, body, idempotent: method !== "GET" });
  }

  boot() {
    this.i18n.apply();
    for (const el of document.querySelectorAll("[data-i18n-label]")) {
      el.setAttribute("aria-label", this.t(el.dataset.i18nLabel));
    }
    $("lang").onclick = () => { // a reload in the other language, keeping ?hall=
      const q = new URLSearchParams(location.search);
      q.set("lang", this.i18n.lang === "zh" ? "en" : "zh");
      location.search = q.toString();
    };
    $("signout").onclick = () => this.signOut();
    $("signin-form").onsubmit = (e) => { e.preventDefault(); this.signIn(); };
    $("hall-form").onsubmit = (e) => { e.preventDefault(); this.begin(this.session, $("hall-id").value.trim()); };
    $("range-form").onsubmit = (e) => { e.preventDefault(); this.loadRange(); };
    $("target-form").onsubmit = (e) => { e.preventDefault(); this.saveTarget(); };
    for (const b of document.querySelectorAll("button.export[data-table]")) {
      b.onclick = () => this.exportCsv(b.dataset.table);
    }
    onSessionLost((token) => {
      if (this.session && this.session.token === token) this.end(this.t("signin.expired"));
    });
    document.body.classList.remove("loading");
    const s = store.load();
    if (!s) this.show("signin");
    else if (s.expired) this.end(this.t("signin.expired"));
    else this.begin(s);
  }

  show(name) {
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
    $("signout").hidden = !this.session;
    setText($("bar-who"), this.session ? this.session.display_name || this.session.username : "");
    setText($("bar-where"), this.hall || "");
    if (name === "signin") $("signin-user").focus();
  }

  async signIn() {
    const button = $("signin-submit");
    button.disabled = true;
    setText($("signin-error"), "");
    try {
      const s = await signIn($("signin-user").value.trim(), $("signin-pass").value);
      $("signin-pass").value = "";
      if (!MANAGERS.has(s.role)) {
        signOutServer(s.token);
        setText($("signin-error"), this.t("signin.not_manager"));
        return;
      }
      store.save(s);
      this.begin(s);
    } catch (err) {
      setText($("signin-error"), this.errorText(err));
    } finally {
      button.disabled = false;
    }
  }

  async signOut() {
    const token = this.session && this.session.token;
    this.end("");
    if (token) await signOutServer(token);
  }

  end(message) {
    if (this.socket) this.socket.stop();
    this.socket = null;
    this.session = null;
    this.hall = null;
    store.clear();
    this.show("signin");
    setText($("signin-error"), message);
  }

  begin(session, hall = null) {
    this.session = session;
    // An admin belongs to no hall: the address (?hall=) or the form says which.
    this.hall = session.hall || hall || new URLSearchParams(location.search).get("hall");
    if (!this.hall) return this.show("hall");
    this.show("stats");
    this.follow();
    this.loadLive();
    this.loadTarget();
  }

  follow() {
    if (this.socket) this.socket.stop();
    const topic = `hall:${this.hall}`;
    this.socket = new HallSocket({
      onMessage: (msg) => {
        if (msg.topic !== topic) return;
        if (msg.op === "snapshot") this.refreshSoon();
        else if (msg.op === "event") this.onEvent(msg);
      },
      onStatus: (status) => {
        const online = status === "online";
        const conn = $("conn");
        conn.hidden = false;
        conn.dataset.state = online ? "online" : "offline";
        setText(conn, this.t(online ? "conn.online" : "conn.offline"));
      },
    });
    this.socket.follow(topic);
    this.socket.start();
  }

  onEvent(msg) {
    if (msg.type === "stats.wait_alert" && this.live) {
      this.live.alert = !!msg.data.active;
      this.renderAlert();
    }
    this.refreshSoon();
  }

  // At most one read per REFRESH_MS, and always one after the last event of a burst.
  refreshSoon() {
    if (this.timer) return;
    const wait = Math.max(0, this.lastRead + REFRESH_MS - Date.now());
    this.timer = setTimeout(() => { this.timer = null; this.loadLive(); }, wait);
  }

  hallPath(rest) {
    return `/api/halls/${encodeURIComponent(this.hall)}/${rest}`;
  }

  async loadLive() {
    if (this.reading) { this.refreshSoon(); return; }
    this.reading = true;
    this.lastRead = Date.now();
    try {
      const first = !this.live;
      this.live = await this.call("GET", this.hallPath("stats/live"));
      setText($("error"), "");
      this.renderLive();
      if (first) this.defaultRange();
      else setText($("live"), this.t("live.updated"));
    } catch (err) {
      setText($("error"), this.errorText(err));
    } finally {
      this.reading = false;
    }
  }

  defaultRange() {
    const to = this.live.business_day;
    const from = new Date(`${to}T00:00:00Z`);
    from.setUTCDate(from.getUTCDate() - 29);
    $("range-from").value = from.toISOString().slice(0, 10);
    $("range-to").value = to;
    this.loadRange();
  }

  renderAlert() { renderAlert(this); }

  renderLive() { renderLive(this); }

  async loadRange() {
    const from = $("range-from").value;
    const to = $("range-to").value;
    setText($("range-error"), "");
    if (!from || !to) return setText($("range-error"), this.t("range.bad_dates"));
    setText($("range-note"), this.t("range.busy"));
    try {
      const q = new URLSearchParams({ from, to });
      this.range = await this.call("GET", this.hallPath(`stats/range?${q}`));
      this.renderRange();
    } catch (err) {
      setText($("range-note"), "");
      setText($("range-error"), this.errorText(err));
    }
  }

  renderRange() { renderRange(this); }

  // The CSV comes with the bearer token, so it is fetched and handed to the browser as a file.
  async exportCsv(table) {
    if (!this.range) return;
    const q = new URLSearchParams({ table, from: this.range.from_day, to: this.range.to_day });
    try {
      const res = await fetch(this.hallPath(`stats/export?${q}`),
        { headers: { authorization: `Bearer ${this.session.token}` } });
      if (!res.ok) throw (await res.json()).error;
      const name = (res.headers.get("content-disposition") || "").match(/filename="([^"]+)"/);
      const url = URL.createObjectURL(await res.blob());
      const a = h("a", { href: url, download: name ? name[1] : `stats-${table}.csv`, hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setText($("range-error"), this.errorText(err));
    }
  }

  async loadTarget() {
    try {
      const r = await this.call("GET", this.hallPath("stats/target"));
      setText($("target-text"), this.t("target.text", { minutes: r.minutes }));
      $("target-minutes").value = r.minutes;
      $("target-form").hidden = this.session.role !== "admin";
    } catch (err) {
      setText($("target-error"), this.errorText(err));
    }
  }

  async saveTarget() {
    setText($("target-error"), "");
    try {
      const minutes = Number($("target-minutes").value);
      await this.call("PUT", this.hallPath("stats/target"), { minutes });
      await this.loadTarget();
      this.loadLive();
      setText($("live"), this.t("target.saved"));
    } catch (err) {
      setText($("target-error"), this.errorText(err));
    }
  }
}

const page = new StatsPage();
page.boot();
window.__stats = page; // for people debugging from the browser console; tests use the DOM
