// The hall as the kiosk sees it: its services (those the kiosk channel issues),
// their waiting counts and estimated waits, whether it is open, its business day.
// GET /api/halls/{hall} is the record; the hall topic on /ws moves the counts at
// once (snapshot, then ticket events), and a re-read a few seconds after the
// events settle brings the estimated waits and the exact totals.
import { HallSocket } from "/static/common/socket.js";

const PLUS = new Set(["ticket.issued"]);
const MINUS = new Set(["ticket.called", "ticket.cancelled"]);

export class LiveHall {
  constructor({ hallId, onChange, onStatus, refreshMs = 3000, retryMaxMs = 15000 }) {
    this.hallId = hallId;
    this.onChange = onChange;
    this.onStatus = onStatus;
    this.refreshMs = refreshMs;
    this.retryMaxMs = retryMaxMs;
    this.hall = null;          // the last GET answer, counts kept up to date
    this.loaded = false;
    this.applied = 0;          // events applied: a re-read begun before one is stale
    this.timer = null;
    this.socket = null;
  }

  // Kiosk services only (an absent channels list means every channel: an older server).
  services() {
    const all = (this.hall && this.hall.services) || [];
    return all.filter((s) => !Array.isArray(s.channels) || s.channels.includes("kiosk"));
  }

  service(code) {
    return this.services().find((s) => s.code === code) || null;
  }

  start() {
    const topic = `hall:${this.hallId}`;
    let everOnline = false;
    this.socket = new HallSocket({
      backoffMaxMs: this.retryMaxMs,
      onMessage: (msg) => {
        if (msg.topic !== topic) return;
        if (msg.op === "snapshot") this.#snapshot(msg.data || {});
        else if (msg.op === "event") this.#event(msg);
      },
      onStatus: (status) => {
        if (status === "online" && everOnline) this.refreshSoon();
        if (status === "online") everOnline = true;
        this.onStatus(status, everOnline);
      },
    });
    this.socket.follow(topic);
    this.socket.start();
    this.refresh();
    // Opening hours change with the clock, not with events: re-read now and then.
    setInterval(() => this.refresh(), 60 * 1000);
    return this;
  }

  refreshSoon() {
    if (this.timer) return;
    this.timer = setTimeout(() => { this.timer = null; this.refresh(); }, this.refreshMs);
  }

  async refresh() {
    const mark = this.applied;
    let h;
    try {
      const r = await fetch(`/api/halls/${encodeURIComponent(this.hallId)}`,
        { cache: "no-store", headers: { accept: "application/json" } });
      if (!r.ok) return;
      h = await r.json();
    } catch {
      return; // offline: the reconnect reads it again
    }
    if (this.applied !== mark && this.loaded) {
      this.refreshSoon(); // events came meanwhile: this answer may be older than they are
      return;
    }
    this.hall = h;
    this.loaded = true;
    this.onChange();
  }

  #snapshot(data) {
    this.applied++;
    if (this.hall) {
      if (data.hall) {
        for (const k of ["name", "business_day", "open_now", "tz"]) {
          if (k in data.hall) this.hall[k] = data.hall[k];
        }
      }
      for (const s of data.services || []) this.#set(s.code, s.waiting);
      this.onChange();
    }
    this.refreshSoon();
  }

  #event(msg) {
    this.applied++;
    const type = msg.type || "";
    const code = (msg.data || {}).service;
    if (PLUS.has(type)) this.#bump(code, +1);
    else if (MINUS.has(type)) this.#bump(code, -1);
    if (type.startsWith("ticket.") || type === "config.changed") this.refreshSoon();
    this.onChange();
  }

  #set(code, waiting) {
    const s = this.hall && (this.hall.services || []).find((x) => x.code === code);
    if (s && Number.isFinite(waiting)) s.waiting = waiting;
  }

  #bump(code, by) {
    const s = this.hall && (this.hall.services || []).find((x) => x.code === code);
    if (s) s.waiting = Math.max(0, (s.waiting || 0) + by);
  }
}
