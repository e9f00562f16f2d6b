// A service's online-appointment rules (网上预约) inside the service editor: bookable or
// not, slot length and capacity, the bookable spans of the day (none: the opening
// hours), how far ahead, when check-in opens, the no-show rule and the reminder time.
// Each input's data-field is its JSON path (booking.capacity, booking.spans.1), so a
// 422 booking_invalid naming it lands beside it. Order and overlap of spans are the
// server's rule; here only what a person can fix by typing (numbers, HH:MM) is checked.

import { HHMM, T, field, h, uid } from "./ui.js";

// The server's defaults (server/domain/appointment.py BookingRules), in its key order,
// so that unchanged rules compare equal to what the server sent and are not re-sent.
export const DEFAULTS = {
  slot_minutes: 30, capacity: 5, spans: [], days_ahead: 7, checkin_before_min: 30,
  no_show_limit: 3, no_show_window_days: 30, ban_days: 30, reminder_at: "18:00",
};
const LIMITS = {
  slot_minutes: [5, 240], capacity: [1, 1000], days_ahead: [1, 60], checkin_before_min: [0, 240],
  no_show_limit: [1, 100], no_show_window_days: [1, 365], ban_days: [0, 365],
};
const MAX_SPANS = 12;

export class BookingEditor {
  constructor(app, booking) {
    this.app = app;
    const b = { ...DEFAULTS, ...(booking || {}) };
    this.errId = uid("booking-err");
    this.root = h("fieldset", { class: "field booking", dataset: { field: "booking" }, "aria-describedby": this.errId });
    const on = field({ name: "bookable", label: "booking.on", kind: "checkbox", value: !!booking, hint: "booking.on_hint" });
    this.toggle = on.querySelector("input");
    this.rules = h("div", { class: "booking-rules", id: uid("booking-rules") });
    this.toggle.setAttribute("aria-controls", this.rules.id);
    this.toggle.addEventListener("change", () => this.showRules());
    const num = (name, label, hint = null) => field({
      name: `booking.${name}`, label, kind: "number", required: true, value: b[name], hint,
      attrs: { min: String(LIMITS[name][0]), max: String(LIMITS[name][1]), step: "1", class: "short", inputmode: "numeric" },
    });
    this.spanList = h("div", { class: "span-list" });
    this.addSpan = T("booking.span_add", null, "button", { type: "button", class: "small", dataset: { action: "add-span" } });
    this.addSpan.addEventListener("click", () => this.add());
    const spansErr = uid("spans-err");
    const spans = h("fieldset", { class: "field spans", dataset: { field: "booking.spans" }, "aria-describedby": `${spansErr}-hint ${spansErr}` },
      h("legend", {}, T("booking.spans")),
      T("booking.spans_hint", null, "p", { class: "hint", id: `${spansErr}-hint` }),
      this.spanList, this.addSpan,
      h("p", { id: spansErr, class: "field-error", role: "alert" }));
    this.summary = h("p", { class: "hint", id: uid("noshow-sum") });
    const noShow = h("fieldset", { class: "field no-show", "aria-describedby": this.summary.id },
      h("legend", {}, T("booking.no_show")),
      h("div", { class: "inline-fields" },
        num("no_show_window_days", "booking.no_show_window_days"),
        num("no_show_limit", "booking.no_show_limit"),
        num("ban_days", "booking.ban_days")),
      this.summary);
    noShow.addEventListener("input", () => this.sayRule());
    this.rules.append(
      h("div", { class: "inline-fields" }, num("slot_minutes", "booking.slot_minutes"), num("capacity", "booking.capacity")),
      spans,
      h("div", { class: "inline-fields" },
        num("days_ahead", "booking.days_ahead", "booking.days_ahead_hint"),
        num("checkin_before_min", "booking.checkin_before_min", "booking.checkin_hint")),
      noShow,
      field({
        name: "booking.reminder_at", label: "booking.reminder_at", value: b.reminder_at, required: true,
        hint: "booking.reminder_hint",
        attrs: { class: "short time", inputmode: "numeric", maxlength: "5", placeholder: "18:00", autocomplete: "off" },
      }),
    );
    this.root.append(h("legend", {}, T("booking.legend")), on, this.rules, h("p", { id: this.errId, class: "field-error", role: "alert" }));
    this.drawSpans(b.spans);
    this.sayRule();
    this.showRules();
  }

  get on() {
    return this.toggle.checked;
  }

  showRules() {
    this.rules.hidden = !this.on;
  }

  input(name) {
    return this.root.querySelector(`[name="booking.${name}"]`);
  }

  // "N missed within D days block booking for B days", in words, as the numbers change.
  sayRule() {
    const v = (n) => this.input(n).value.trim() || "?";
    const ban = this.input("ban_days").value.trim();
    const key = ban === "0" ? "booking.no_show_rule_off" : "booking.no_show_rule";
    const vars = { days: v("no_show_window_days"), n: v("no_show_limit"), ban: v("ban_days") };
    this.summary.replaceChildren(T(key, vars));
  }

  // --- the spans --------------------------------------------------------------------------

  drawSpans(spans) {
    this.spanList.replaceChildren(...spans.map((s, i) => this.span(i, s)));
    if (!spans.length) this.spanList.append(T("booking.spans_none", null, "span", { class: "muted closed" }));
    this.addSpan.disabled = spans.length >= MAX_SPANS;
  }

  span(index, [from, to]) {
    const errId = uid("span-err");
    const box = h("div", { class: "period", dataset: { field: `booking.spans.${index}` } });
    const input = (part, value) => {
      const id = uid(`span-${part}`);
      const el = h("input", {
        id, class: "time", inputmode: "numeric", maxlength: "5", autocomplete: "off",
        placeholder: part === "from" ? "09:00" : "11:30", dataset: { part }, "aria-describedby": errId,
      });
      el.value = value || "";
      return [T(`booking.span_${part}`, { n: index + 1 }, "label", { for: id, class: "sr" }), el];
    };
    const del = h("button", { type: "button", class: "icon-btn small", dataset: { action: "remove-span" } },
      T("hours.remove"), T("booking.span_name", { n: index + 1 }, "span", { class: "sr" }));
    del.addEventListener("click", () => this.remove(box));
    box.append(...input("from", from), h("span", { class: "dash", "aria-hidden": "true" }, "–"),
      ...input("to", to), del, h("p", { id: errId, class: "field-error", role: "alert" }));
    return box;
  }

  add() {
    const raw = this.raw();
    if (raw.length >= MAX_SPANS) return;
    this.drawSpans([...raw, ["", ""]]);
    this.spanList.lastElementChild.querySelector("input").focus();
  }

  remove(box) {
    const i = [...this.spanList.querySelectorAll(".period")].indexOf(box);
    const raw = this.raw();
    raw.splice(i, 1);
    this.drawSpans(raw);
    // Focus stays in the list: the span now in that place, the one before, or "Add".
    const left = this.spanList.querySelectorAll(".period");
    const near = left[Math.min(i, left.length - 1)];
    (near ? near.querySelector("input") : this.addSpan).focus();
  }

  raw() {
    return [...this.spanList.querySelectorAll(".period")].map((p) => [
      p.querySelector("[data-part=from]").value.trim(),
      p.querySelector("[data-part=to]").value.trim(),
    ]);
  }

  // --- the value sent ---------------------------------------------------------------------

  // null when not bookable. Spans go in time order, as the server keeps them, and the
  // list is redrawn in that order first: an error naming spans.N is then beside the
  // span it means.
  value() {
    if (!this.on) return null;
    let spans = this.raw();
    if (spans.every(([a, b]) => HHMM.test(a) && HHMM.test(b))) {
      const sorted = [...spans].sort((x, y) => (x[0] + x[1]).localeCompare(y[0] + y[1]));
      if (sorted.some((s, i) => s !== spans[i])) this.drawSpans(sorted);
      spans = sorted;
    }
    const int = (n) => {
      const text = this.input(n).value.trim();
      return text === "" ? null : Number(text);
    };
    const out = {};
    for (const k of Object.keys(DEFAULTS)) {
      if (k === "spans") out.spans = spans;
      else if (k === "reminder_at") out.reminder_at = this.input(k).value.trim();
      else out[k] = int(k);
    }
    return out;
  }

  problems(b) {
    if (!b) return [];
    const p = [];
    for (const [k, [min, max]] of Object.entries(LIMITS)) {
      const f = `booking.${k}`;
      if (b[k] === null) p.push({ field: f, key: "form.required" });
      else if (!Number.isInteger(b[k]) || b[k] < min || b[k] > max) p.push({ field: f, key: "form.int_between", vars: { min, max } });
    }
    b.spans.forEach(([from, to], i) => {
      if (!from || !to) p.push({ field: `booking.spans.${i}`, key: "hours.both" });
      else if (!HHMM.test(from) || !HHMM.test(to)) p.push({ field: `booking.spans.${i}`, key: "hours.hhmm" });
    });
    if (!b.reminder_at) p.push({ field: "booking.reminder_at", key: "form.required" });
    else if (!HHMM.test(b.reminder_at)) p.push({ field: "booking.reminder_at", key: "hours.hhmm" });
    return p;
  }
}

// The list's cell: "30 分钟 × 5 人" beside a pill, or "not bookable".
export function bookingCell(booking) {
  if (!booking) return T("booking.off", null, "span", { class: "pill off" });
  return h("span", { class: "booking-cell" },
    T("booking.on_pill", null, "span", { class: "pill on" }), " ",
    T("booking.brief", { min: booking.slot_minutes, n: booking.capacity }, "span"));
}
