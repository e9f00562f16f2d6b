// The supervisor's view of a day's online appointments: per service and slot, how many
// are booked (not yet checked in), checked in, late, missed and cancelled, from
// GET /api/halls/{hall}/appointments?day=…  Today (the hall's business day) unless the
// supervisor picks another day. Bookings and check-ins elsewhere show up live: a
// `slot.changed` for the day shown, or any `ticket.*` while today is shown, asks for a
// re-read, at most one a second however many events come.

import { $, dateIn, h, setText, timeIn } from "./dom.js";
import { api } from "./session.js";

const THROTTLE_MS = 1000;
const COUNTS = ["booked", "checked_in", "late", "missed", "cancelled"];
const TAKEN = ["booked", "checked_in", "late", "missed"]; // a cancelled booking frees its place
// Configuration that changes the day's slots (rules, opening hours, calendar, a service gone).
const RESHAPES = new Set(["service", "hall", "calendar"]);

function shiftDay(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

function sum(slots, keys) {
  return slots.reduce((acc, s) => acc + keys.reduce((a, k) => a + (s[k] || 0), 0), 0);
}

export class DayAppointments {
  constructor(ctx) {
    this.ctx = ctx;
    this.day = null;        // YYYY-MM-DD shown
    this.pinned = false;    // the supervisor chose a day: it no longer follows "today"
    this.data = null;       // the last DayView for this.day
    this.error = null;
    this.seq = 0;
    this.last = 0;          // when the last read started
    this.timer = null;
    this.loading = false;
    this.drawn = null;      // what the tables show, so that an unchanged view is not redrawn
  }

  get today() {
    return (this.ctx.hall && this.ctx.hall.business_day) || null;
  }

  start() {
    $("appts-day").onchange = (e) => {
      if (e.target.value) this.show(e.target.value);
    };
    $("appts-prev").onclick = () => this.day && this.show(shiftDay(this.day, -1));
    $("appts-next").onclick = () => this.day && this.show(shiftDay(this.day, 1));
    $("appts-today").onclick = () => this.today && this.show(this.today, false);
    $("appts-all").onchange = () => this.render();
    this.onHall();
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = null;
    this.seq += 1; // a read still on its way is no longer wanted
  }

  // The hall was (re)read: the first time, or after midnight, "today" moves on.
  onHall() {
    if (!this.pinned && this.today && this.today !== this.day) this.show(this.today, false);
  }

  show(day, pinned = day !== this.today) {
    this.pinned = pinned;
    if (day !== this.day) this.data = null;
    this.day = day;
    this.error = null;
    this.render();
    this.load();
  }

  onHallEvent(ev) {
    if (!this.day) return;
    if (ev.type === "slot.changed") {
      const slot = ev.data && ev.data.slot;
      if (slot && dateIn(slot, this.ctx.hall && this.ctx.hall.tz) === this.day) this.poke();
    } else if (ev.type.startsWith("ticket.") && this.day === this.today) {
      this.poke(); // a check-in issues a ticket; a late one a walk-in ticket
    } else if (ev.type === "config.changed" && RESHAPES.has((ev.data || {}).what)) {
      this.poke();
    }
  }

  // Re-read soon: now if the last read is a second old, else when it is.
  poke() {
    if (this.timer || !this.day) return;
    const wait = Math.max(0, this.last + THROTTLE_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.load();
    }, wait);
  }

  async load() {
    const { ctx } = this;
    if (!ctx.session || !ctx.session.hall || !this.day) return;
    const mine = ++this.seq;
    const day = this.day;
    this.last = Date.now();
    this.loading = true;
    try {
      const r = await api("GET", `/api/halls/${encodeURIComponent(ctx.session.hall)}/appointments?day=${day}`,
        { token: ctx.session.token });
      if (mine !== this.seq) return;
      this.data = r;
      this.error = null;
    } catch (err) {
      if (mine !== this.seq) return;
      this.error = err;
      if (err.status === 401) return; // the sign-in has ended: onSessionLost took over
    } finally {
      if (mine === this.seq) this.loading = false;
    }
    this.render();
  }

  // --- drawing ---------------------------------------------------------------------

  render() {
    const { ctx } = this;
    const input = $("appts-day");
    if (this.day && input.value !== this.day && document.activeElement !== input) input.value = this.day;
    for (const [id, key] of [["appts-prev", "appts.prev"], ["appts-next", "appts.next"]]) {
      $(id).setAttribute("aria-label", ctx.t(key));
      $(id).title = ctx.t(key);
    }
    $("appts-today").disabled = !this.today || this.day === this.today;
    $("sup-appts").setAttribute("aria-busy", this.loading ? "true" : "false");
    setText($("appts-error"), this.error ? ctx.errorText(this.error) : "");
    const d = this.data && this.data.day === this.day ? this.data : null;
    const services = d ? d.services : [];
    const all = $("appts-all").checked;
    const tz = ctx.hall && ctx.hall.tz;
    // Redrawn only when something shown changed (every hall event renders the view):
    // a screen reader in the tables does not lose its place for nothing.
    const minute = Math.floor((ctx.socket ? ctx.socket.serverNow() : Date.now()) / 60000);
    const drawn = [d, all, tz, ctx.lang, minute];
    if (!this.drawn || drawn.some((x, i) => x !== this.drawn[i])) {
      this.drawn = drawn;
      $("appts-services").replaceChildren(...services.map((s) => this.#service(s, all, tz)));
    }
    const total = services.reduce((n, s) => n + sum(s.slots, TAKEN), 0);
    const empty = $("appts-empty");
    empty.hidden = !d || services.length > 0;
    setText(empty, d ? ctx.t("appts.none_bookable") : "");
    setText($("appts-summary"), !d ? (this.error ? "" : ctx.t("appts.loading"))
      : ctx.t(this.day === this.today ? "appts.summary_today" : "appts.summary",
        { day: this.day, n: total, checked: services.reduce((n, s) => n + sum(s.slots, ["checked_in"]), 0) }));
  }

  #service(s, all, tz) {
    const { ctx } = this;
    const name = `${s.service} ${ctx.serviceName(s.service) || s.service_name}`;
    const busy = s.slots.filter((x) => sum([x], COUNTS) > 0);
    const rows = (all ? s.slots : busy).map((x) => this.#row(x, tz));
    const headId = `appts-h-${s.service}`;
    const head = h("h3", { id: headId }, name, " ",
      h("span", { class: "muted" }, ctx.t("appts.service_sum", { n: sum(s.slots, TAKEN), slots: s.slots.length })));
    const box = h("section", { class: "appts-svc", dataset: { service: s.service }, "aria-labelledby": headId }, head);
    if (!rows.length) {
      box.append(h("p", { class: "muted" }, ctx.t("appts.no_bookings")));
      return box;
    }
    const th = (key) => h("th", { scope: "col" }, ctx.t(key));
    const totals = h("tr", { class: "total" }, h("th", { scope: "row" }, ctx.t("appts.total")),
      h("td", {}, String(sum(s.slots, TAKEN))),
      ...COUNTS.map((k) => {
        const n = sum(s.slots, [k]);
        return h("td", { dataset: { count: k }, class: n ? null : "zero" }, String(n));
      }));
    box.append(h("table", { class: "appts-table" },
      h("caption", { class: "sr" }, ctx.t("appts.caption", { name, day: this.day })),
      h("thead", {}, h("tr", {}, th("appts.col.slot"), th("appts.col.taken"), ...COUNTS.map((k) => th(`appts.col.${k}`)))),
      h("tbody", {}, rows),
      h("tfoot", {}, totals)));
    return box;
  }

  #row(x, tz) {
    const { ctx } = this;
    const now = ctx.socket ? ctx.socket.serverNow() : Date.now();
    const over = Date.parse(x.end) <= now;
    const taken = sum([x], TAKEN);
    const slot = `${timeIn(x.start, tz)}–${timeIn(x.end, tz)}`;
    return h("tr", { dataset: { slot: x.start, time: timeIn(x.start, tz) }, class: over ? "over" : null },
      h("th", { scope: "row" }, slot, over ? h("span", { class: "muted ended" }, ` ${ctx.t("appts.ended")}`) : null),
      // Capacity 0: the service takes no more bookings, these were made before.
      h("td", { class: x.capacity && taken >= x.capacity ? "full" : null },
        x.capacity ? ctx.t("appts.taken", { n: taken, cap: x.capacity }) : String(taken)),
      ...COUNTS.map((k) => h("td", { dataset: { count: k }, class: x[k] ? null : "zero" }, String(x[k] || 0))));
  }
}
