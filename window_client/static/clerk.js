// The clerk's working view: one window, its current ticket, the queue beside it.
//
// State comes from the `window:{id}` topic: its snapshot, then its events in stream
// order, so the view never steps back. A command's reply is the confirmation: it
// brings the ticket's staff details and errors, and the command counts as done when
// the stream shows the state the reply reported (or after a fresh snapshot).
// An admin's change of the window (config.changed on its topic: renamed, renumbered,
// other services) shows at once and brings a fresh snapshot for the waiting counts;
// a deleted window sends the clerk back to the window picker, saying why.

import { CASE_OPS, CaseWork } from "./casework.js";
import { $, secondsSince } from "./dom.js";
import { allowed, renderDesk, tickDesk } from "./desk_view.js";
import { pauseDialog, runDialog, transferDialog } from "./dialogs.js";

const KEYS = {
  f1: "call_next", " ": "call_next", r: "recall", n: "no_show", s: "start", f: "finish",
  t: "transfer", b: "call_back", p: "pause", u: "resume", o: "open",
  i: "intake", h: "pickup", l: "lookup", w: "prereview",
};
const RELEASES = new Set(["ticket.finished", "ticket.no_show", "ticket.transferred"]);
const CALLS = new Set(["ticket.called", "ticket.called_back"]);
// What a reply tells us about the ticket that does not change with its state.
const DETAILS = ["id", "number", "service", "kind", "issued_at", "transfer_count",
  "name_masked", "id_masked", "phone_masked", "note", "slot_at"];
const SETTLE_MS = 2000;

export class ClerkDesk {
  constructor(ctx, windowId) {
    this.ctx = ctx;
    this.id = windowId;
    this.topic = `window:${windowId}`;
    this.st = { win: null, ticket: null, passed: [], stats: null };
    this.details = new Map();    // ticket id -> staff details from replies and snapshots
    this.ready = false;
    this.inflight = null;        // op awaiting its reply
    this.expect = null;          // window state a reply reported, awaiting the stream
    this.error = null;           // {op, err}
    this.onKey = (e) => this.#key(e);
    this.refreshTimer = null;
    this.cases = new CaseWork(this); // intake and pickup for the ticket being served
  }

  get busy() {
    return this.inflight || (this.expect && this.expect.op);
  }

  start() {
    document.addEventListener("keydown", this.onKey);
    for (const b of $("actions").querySelectorAll("button[data-op]")) {
      b.onclick = (e) => {
        // After a mouse click the keys keep their meaning (Space = call next), not "press again".
        if (e.detail > 0) b.blur();
        // A case pane's button shows and hides it (its key, I or H, goes into it).
        if (this.cases.pane && this.cases.pane === b.dataset.op) return this.cases.close();
        this.act(b.dataset.op);
      };
    }
    $("passed").onkeydown = (e) => this.#passedKey(e);
    this.cases.start();
    this.ctx.socket.follow(this.topic);
    this.render();
  }

  stop() {
    document.removeEventListener("keydown", this.onKey);
    clearTimeout(this.refreshTimer);
    if (this.expect) clearTimeout(this.expect.timer);
    this.cases.stop();
    if (this.ctx.socket) this.ctx.socket.unfollow(this.topic);
  }

  // A fresh snapshot of the window topic: unsubscribe, subscribe again from now.
  refresh(delayMs = 0) {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.ctx.socket.unfollow(this.topic);
      this.ctx.socket.follow(this.topic);
    }, delayMs);
  }

  // --- what the server says ---------------------------------------------------------

  onWindowMessage(msg) {
    if (msg.op === "snapshot") {
      const d = msg.data;
      for (const t of [d.ticket, ...(d.passed || [])]) if (t) this.#remember(t);
      this.st = { win: d.window, ticket: d.ticket, passed: d.passed || [], stats: d.stats };
      this.ctx.setWaiting(d.waiting || {});
      this.ready = true;
      this.ctx.renderBar();
      if (this.expect) this.#settled();
    } else if (msg.op === "event" && msg.type === "config.changed") {
      if (!this.#configured(msg.data || {})) return;
    } else if (msg.op === "event") {
      this.#apply(msg);
    } else if (msg.op === "error") {
      this.ctx.windowLost(this.id, this.ctx.errorText(msg.error));
      return;
    }
    this.#settle();
    this.render();
  }

  // Returns false when the desk is gone (its window was deleted).
  #configured(d) {
    if (d.what !== "window" || d.window !== this.id) return true;
    if (d.action === "deleted") {
      this.ctx.windowLost(this.id, this.ctx.t("picker.removed"));
      return false;
    }
    if (this.st.win) {
      this.st.win = { ...this.st.win, number: d.window_number ?? this.st.win.number,
        name: d.window_name ?? this.st.win.name, services: d.services ?? this.st.win.services };
    }
    this.ctx.renderBar();
    this.refresh(0); // waiting counts and passed tickets of the window's services now
    return true;
  }

  onHallEvent(ev) {
    // Passed tickets of this window's services, passed or called back at any window.
    const d = ev.data || {};
    const win = this.st.win;
    if (ev.type === "config.changed") this.cases.onConfig(); // a matter may have changed
    if (!win || !d.ticket) return;
    if (ev.type === "ticket.no_show" && d.window !== this.id && win.services.includes(d.service)) {
      this.#addPassed(d);
    } else if (ev.type === "ticket.called_back" || ev.type === "ticket.voided") {
      this.st.passed = this.st.passed.filter((p) => p.id !== d.ticket);
    } else {
      return;
    }
    this.render();
  }

  #apply(ev) {
    const d = ev.data || {};
    const st = this.st;
    if (!st.win) return;
    if (ev.type.startsWith("window.")) {
      st.win = { ...st.win, state: d.state, pause_reason: d.pause_reason, clerk_name: d.clerk_name };
      if (d.state === "closed") {
        st.win.current = null;
        st.ticket = null;
      }
      return;
    }
    if (d.window !== this.id) return; // a ticket transferred here waits in the queue
    const mine = st.ticket && st.ticket.id === d.ticket;
    if (CALLS.has(ev.type) || (ev.type === "ticket.started" && !mine)) {
      const known = this.details.get(d.ticket);
      const serving = ev.type === "ticket.started";
      st.ticket = { ...(known || {}), id: d.ticket, number: d.number, service: d.service,
        kind: d.kind, state: d.state, recall_count: d.recall_count,
        called_at: serving ? null : ev.at, started_at: serving ? ev.at : null };
      st.win = { ...st.win, state: "serving",
        current: { number: d.number, service: d.service, state: d.state } };
      st.passed = st.passed.filter((p) => p.id !== d.ticket);
      if (!known && !this.inflight) this.refresh(300); // someone else called it: get the details
    } else if (ev.type === "ticket.recalled" && mine) {
      st.ticket = { ...st.ticket, recall_count: d.recall_count, called_at: ev.at };
    } else if (ev.type === "ticket.started") {
      st.ticket = { ...st.ticket, state: "serving", started_at: ev.at };
      st.win = { ...st.win, current: { ...st.win.current, state: "serving" } };
    } else if (RELEASES.has(ev.type)) {
      const held = st.ticket;
      if (mine || (st.win.current && st.win.current.number === d.number)) {
        st.ticket = null;
        st.win = { ...st.win, state: "open", current: null };
      }
      if (ev.type === "ticket.no_show") this.#addPassed(d);
      if (ev.type === "ticket.finished") this.#count(held, ev.at);
    }
  }

  #count(ticket, at) {
    // Today's figures move at once; the exact average comes with the next snapshot.
    const s = this.st.stats || { served: 0, avg_service_s: null };
    const dur = ticket && secondsSince(ticket.started_at, Date.parse(at));
    const n = s.served;
    const avg = dur === null || dur === undefined ? s.avg_service_s
      : Math.round(((s.avg_service_s || 0) * n + dur) / (n + 1));
    this.st.stats = { ...s, served: n + 1, avg_service_s: avg };
    this.refresh(1000);
  }

  #addPassed(d) {
    if (this.st.passed.some((p) => p.id === d.ticket)) return;
    const known = this.details.get(d.ticket) || {};
    this.st.passed = [...this.st.passed, { ...known, id: d.ticket, number: d.number,
      service: d.service, kind: d.kind, state: "no_show", recall_count: d.recall_count }];
  }

  #remember(t) {
    const keep = {};
    for (const k of DETAILS) if (k in t) keep[k] = t[k];
    this.details.set(t.id, keep);
    if (this.st.ticket && this.st.ticket.id === t.id) this.st.ticket = { ...this.st.ticket, ...keep };
  }

  // --- commands --------------------------------------------------------------------

  // Send one command; returns null when done, or the error to show.
  async command(op, params = {}) {
    if (this.busy) return null; // one at a time: a double press is never a second call
    if (!this.ctx.online) return { key: "err.offline" };
    this.inflight = op;
    this.error = null;
    this.render();
    let reply;
    try {
      reply = await this.ctx.socket.command(op, { window: this.id, ...params });
    } catch {
      this.inflight = null;
      this.refresh();
      this.render();
      return { key: "err.timeout" };
    }
    this.inflight = null;
    this.lastReply = reply;
    if (!reply.ok) {
      this.render();
      return reply.error;
    }
    if (reply.ticket) this.#remember(reply.ticket);
    const timer = setTimeout(() => {
      // The stream did not show it in time: trust a fresh snapshot instead.
      if (this.expect && this.expect.timer === timer) {
        this.expect = null;
        this.refresh();
        this.render();
      }
    }, SETTLE_MS);
    this.expect = { op, window: reply.window, timer };
    this.#settle();
    this.render();
    return null;
  }

  #settle() {
    const e = this.expect;
    const w = this.st.win;
    if (!e || !w) return;
    const cur = (x) => (x.current ? `${x.current.number}/${x.current.state}` : "");
    if (w.state === e.window.state && cur(w) === cur(e.window)) this.#settled();
  }

  #settled() {
    clearTimeout(this.expect.timer);
    this.expect = null;
  }

  async run(op, params = {}) {
    const err = await this.command(op, params);
    if (err) this.fail(op, err);
    return err;
  }

  fail(op, err) {
    this.error = { op, err };
    this.render();
  }

  act(op) {
    if (this.busy) return;
    if (!this.ctx.online) return this.fail(op, { key: "err.offline" });
    if (!this.ready || !allowed(op, this.st)) {
      const called = CASE_OPS.has(op) && op !== "pickup" && this.st.win && this.st.win.state === "serving";
      return this.fail(op, called ? { key: "case.need_serving" }
        : { key: "err.not_now", vars: { action: this.ctx.t(`op.${op}`) } });
    }
    this.error = null;
    if (CASE_OPS.has(op)) {
      this.render();
      return this.cases.open(op);
    }
    if (op === "transfer") return this.#transfer();
    if (op === "pause") return this.#pause();
    if (op === "call_back") return this.focusPassed();
    return this.run(op);
  }

  #transfer() {
    const t = this.st.ticket || { ...this.st.win.current };
    return transferDialog(this.ctx, {
      title: this.ctx.t("transfer.title", { number: t.number }),
      ticket: t,
      excludeWindow: this.id,
      submit: async (f) => this.#problem(await this.command("transfer", {
        service: f.service, target_window: f.window, keep_place: f.keep_place, reason: f.reason,
      })),
    }).then(() => this.render());
  }

  #pause() {
    return pauseDialog(this.ctx, {
      title: this.ctx.t("pause.title"),
      submit: async (reason) => this.#problem(await this.command("pause", { reason })),
    }).then(() => this.render());
  }

  #problem(err) {
    return err ? this.ctx.errorText(err) : null;
  }

  // Sign-out: close the window or step away, as the clerk chooses.
  async signOut() {
    const w = this.st.win;
    if (!w || w.state === "closed") return true;
    const name = w.name;
    $("signout-question").textContent = this.ctx.t("signout.question", { window: name });
    const choice = await runDialog($("dlg-signout"), {
      keys: { c: "close", p: "pause" },
      submit: async (value) => {
        if (value === "pause" && this.st.win.state === "paused") return null;
        return this.#problem(await this.command(value === "pause" ? "pause" : "close",
          value === "pause" ? { reason: this.ctx.t("pause.default") } : {}));
      },
    });
    return choice !== null;
  }

  // --- the passed list -------------------------------------------------------------

  focusPassed() {
    const items = [...$("passed").querySelectorAll("button:not([disabled])")];
    if (!items.length) {
      this.fail("call_back", { key: "err.not_now", vars: { action: this.ctx.t("op.call_back") } });
      return;
    }
    items[0].focus();
  }

  #passedKey(e) {
    const items = [...$("passed").querySelectorAll("button:not([disabled])")];
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = (i + (e.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items[next].focus();
    } else if (e.key === "Escape") {
      e.preventDefault();
      document.activeElement.blur();
    }
  }

  // --- keyboard --------------------------------------------------------------------

  #key(e) {
    if (e.ctrlKey || e.altKey || e.metaKey || e.repeat) return;
    if (document.querySelector("dialog[open]")) return;
    const tag = e.target.tagName;
    if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA") return;
    // In the case panel the clerk is at a form: its buttons take the keys (Esc leaves it).
    if (e.target.closest && e.target.closest("#casework")) return;
    const op = KEYS[e.key.toLowerCase()];
    if (!op) return;
    // Space on a focused button presses that button, as it always does.
    if (e.key === " " && (tag === "BUTTON" || tag === "A")) return;
    e.preventDefault();
    this.act(op);
  }

  // --- drawing (desk_view.js) -----------------------------------------------------

  render() {
    renderDesk(this);
    this.cases.sync();
  }

  tick() {
    tickDesk(this);
  }

  async callBack(ticketId) {
    if (!allowed("call_back", this.st)) return;
    const err = await this.command("call_back", { ticket: ticketId });
    if (err) this.fail("call_back", err);
    else if (document.activeElement && $("passed").contains(document.activeElement)) {
      document.activeElement.blur();
    }
  }
}
