// The supervisor's view: every window of the hall live, pause / resume / close one,
// the waiting queue with "move" for each ticket, and the day's online appointments
// (appointments.js). Window states come from the hall topic (and a debounced re-read
// of the hall); actions go over HTTP.

import { DayAppointments } from "./appointments.js";
import { $, clock, h, reconcile, secondsSince, setText, timeIn } from "./dom.js";
import { confirmDialog, pauseDialog, transferDialog } from "./dialogs.js";
import { api } from "./session.js";

export class SupervisorBoard {
  constructor(ctx) {
    this.ctx = ctx;
    this.queue = [];
    this.queueError = null;
    this.winErrors = new Map(); // window id -> error
    this.timer = null;
    this.seq = 0;
    this.appts = new DayAppointments(ctx);
    this.waitAlert = { active: false, services: [], target_s: 1800 };
  }

  start() {
    this.loadQueue();
    this.loadWaitAlert();
    this.appts.start();
    this.render();
  }

  stop() {
    clearTimeout(this.timer);
    this.appts.stop();
  }

  onHallChanged() {
    this.appts.onHall();
    this.render();
  }

  // A fresh hall snapshot (a reconnect that could not replay): events may have been missed.
  onHallSnapshot() {
    if (this.appts.data) this.appts.poke();
    this.loadQueue();
    this.loadWaitAlert();
  }

  onHallEvent(ev) {
    this.appts.onHallEvent(ev);
    if (ev.type === "stats.wait_alert") {
      const d = ev.data || {};
      this.waitAlert = { active: !!d.active, services: d.services || [], target_s: d.target_s || 1800 };
      this.#renderWaitAlert();
    }
    if (!ev.type.startsWith("ticket.")) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.loadQueue(), 300);
  }

  async loadQueue() {
    const { ctx } = this;
    const mine = ++this.seq;
    try {
      const r = await api("GET", `/api/halls/${encodeURIComponent(ctx.session.hall)}/queue`,
        { token: ctx.session.token });
      if (mine !== this.seq) return;
      this.queue = r.tickets;
      this.queueError = null;
    } catch (err) {
      if (mine !== this.seq) return;
      this.queueError = err;
      if (err.status === 401) return; // the sign-in has ended: onSessionLost took over
    }
    this.render();
  }

  // The long-wait alert (stats.wait_alert): read once, then kept by the hall topic's events.
  async loadWaitAlert() {
    const { ctx } = this;
    try {
      const r = await api("GET", `/api/halls/${encodeURIComponent(ctx.session.hall)}/wait-alert`);
      this.waitAlert = { ...this.waitAlert, active: r.active };
    } catch {
      return; // offline: the next event or snapshot brings it
    }
    this.#renderWaitAlert();
  }

  #renderWaitAlert() {
    const { ctx } = this;
    let band = $("sup-wait-alert");
    if (!band) {
      band = h("p", { id: "sup-wait-alert", class: "error sup-wait-alert", role: "alert", hidden: true },
        h("span", { "aria-hidden": "true" }, "⚠ "), h("span", {}), " ",
        h("a", { href: "/stats" }));
      $("sup-grid").before(band);
    }
    const a = this.waitAlert;
    const minutes = Math.round(a.target_s / 60);
    setText(band.children[1], a.services.length
      ? ctx.t("sup.wait_alert", { minutes, services: a.services.join("、") })
      : ctx.t("sup.wait_alert_all", { minutes }));
    setText(band.children[2], ctx.t("sup.stats"));
    band.hidden = !a.active;
  }

  // --- actions over HTTP, each retry-safe with an Idempotency-Key ----------------------

  async #post(path, body) {
    try {
      await api("POST", path, { token: this.ctx.session.token, body, idempotent: true });
      return null;
    } catch (err) {
      return this.ctx.errorText(err);
    }
  }

  async windowOp(id, op) {
    const { ctx } = this;
    const w = ctx.hall.windows.find((x) => x.id === id);
    if (!w) return;
    this.winErrors.delete(id);
    const path = `/api/windows/${encodeURIComponent(id)}/${op}`;
    let problem = null;
    if (op === "pause") {
      await pauseDialog(ctx, {
        title: ctx.t("pause.title_window", { window: w.name }),
        submit: (reason) => this.#post(path, { reason }),
      });
    } else if (op === "close") {
      await confirmDialog({
        title: ctx.t("close.title", { window: w.name }),
        ok: ctx.t("close.confirm"),
        submit: () => this.#post(path),
      });
    } else {
      problem = await this.#post(path);
    }
    if (problem) this.winErrors.set(id, problem);
    ctx.refreshHall(0);
    this.render();
  }

  async move(ticketId) {
    const { ctx } = this;
    const t = this.queue.find((x) => x.id === ticketId);
    if (!t) return;
    await transferDialog(ctx, {
      title: ctx.t("move.title", { number: t.number }),
      ticket: t,
      submit: (f) => this.#post(`/api/tickets/${encodeURIComponent(t.id)}/move`, {
        service: f.service, window: f.window, keep_place: f.keep_place, reason: f.reason,
      }),
    });
    this.loadQueue();
  }

  // --- drawing ---------------------------------------------------------------------

  render() {
    const { ctx } = this;
    const hall = ctx.hall;
    if (!hall) return;
    reconcile($("sup-counts"), hall.services, (s) => s.code,
      () => h("li", {}, h("b", {}), h("span", {}), h("em", {})),
      (el, s) => {
        setText(el.children[0], s.code);
        setText(el.children[1], ctx.serviceName(s.code));
        setText(el.children[2], String(ctx.waiting[s.code] ?? s.waiting));
        el.dataset.service = s.code;
      });
    const windows = [...hall.windows].sort((a, b) => a.number - b.number);
    reconcile($("sup-grid"), windows, (w) => w.id, (w) => this.#card(w), (el, w) => this.#update(el, w));
    this.#renderQueue();
    this.appts.render();
  }

  #card(w) {
    const btn = (op, cls) => h("button", { type: "button", class: cls, dataset: { op },
      onclick: () => this.windowOp(w.id, op) });
    return h("article", { class: "wcard" },
      h("header", {}, h("h3", {}), h("span", { class: "pill" })),
      h("div", { class: "wcard-cur" }, h("b", {}), h("span", { class: "muted" })),
      h("dl", {},
        h("div", {}, h("dt", {}), h("dd", { class: "clerk" })),
        h("div", {}, h("dt", {}), h("dd", { class: "svc" }))),
      h("p", { class: "wcard-reason muted" }),
      h("div", { class: "wcard-btns" }, btn("pause", "quiet"), btn("resume", "quiet"),
        btn("close", "ghost")),
      h("p", { class: "error", role: "alert" }));
  }

  #update(el, w) {
    const { ctx } = this;
    el.dataset.window = w.id;
    el.dataset.state = w.state;
    const [head, cur, dl, reason, btns, err] = el.children;
    setText(head.children[0], w.name);
    setText(head.children[1], ctx.t(`win.state.${w.state}`));
    head.children[1].dataset.state = w.state;
    setText(cur.children[0], w.current ? w.current.number : ctx.t("sup.none"));
    setText(cur.children[1], w.current ? ctx.t(`ticket.state.${w.current.state}`) : "");
    const [clerk, svc] = dl.children;
    setText(clerk.children[0], ctx.t("sup.clerk"));
    setText(clerk.children[1], w.clerk_name || ctx.t("sup.none"));
    setText(svc.children[0], ctx.t("sup.services"));
    setText(svc.children[1], w.services.join(" "));
    setText(reason, w.state === "paused" && w.pause_reason ? w.pause_reason : "");
    const can = { pause: w.state === "open", resume: w.state === "paused",
      close: w.state === "open" || w.state === "paused" };
    for (const b of btns.children) {
      setText(b, ctx.t(`sup.${b.dataset.op}`));
      b.disabled = !can[b.dataset.op];
      b.setAttribute("aria-label", `${w.name} ${ctx.t(`sup.${b.dataset.op}`)}`);
    }
    const e = this.winErrors.get(w.id);
    setText(err, e || "");
  }

  #renderQueue() {
    const { ctx } = this;
    setText($("sup-queue-error"), this.queueError ? ctx.errorText(this.queueError) : "");
    setText($("sup-total"), ctx.t("sup.total", { n: this.queue.length }));
    $("sup-queue-empty").hidden = this.queue.length > 0;
    $("sup-table").hidden = this.queue.length === 0;
    reconcile($("sup-queue"), this.queue, (t) => t.id,
      (t) => h("tr", {}, h("td", { class: "num" }), h("td", {}), h("td", {}),
        h("td", { class: "waited" }), h("td", { class: "note" }),
        h("td", {}, h("button", { type: "button", class: "quiet", onclick: () => this.move(t.id) }))),
      (el, t) => {
        const c = el.children;
        el.dataset.number = t.number;
        setText(c[0], t.number);
        setText(c[1], `${t.service} ${ctx.serviceName(t.service)}`);
        setText(c[2], t.kind === "appointment" && t.slot_at
          ? ctx.t("kind.appointment_at", { time: timeIn(t.slot_at, ctx.hall && ctx.hall.tz) })
          : ctx.t(`kind.${t.kind}`));
        c[2].dataset.kind = t.kind;
        setText(c[4], t.note || "");
        const b = c[5].firstElementChild;
        setText(b, ctx.t("op.move"));
        b.setAttribute("aria-label", `${ctx.t("op.move")} ${t.number}`);
      });
    this.tick();
  }

  tick() {
    const now = this.ctx.socket ? this.ctx.socket.serverNow() : Date.now();
    for (const tr of $("sup-queue").children) {
      const t = this.queue.find((x) => x.id === tr.dataset.key);
      const s = t && secondsSince(t.issued_at, now);
      setText(tr.children[3], s === null || s === undefined ? "" : clock(s));
    }
  }
}
