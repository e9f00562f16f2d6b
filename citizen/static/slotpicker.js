// The day picker and slot list that booking and rescheduling share: the bookable days
// (GET …/slots `days`), each day's slots with their free places, full ones disabled,
// kept current by `slot.changed` events from the hall topic (applyEvent).
import { api, el, t } from "./common.js";
import { dayLabel, dayOf, dayParts, hallToday, instant, timeOf } from "./appt_format.js";

let pickers = 0;

export class SlotPicker {
  // onPick(slot) is called with {start, end, capacity, booked, free}; `current` is the start
  // of the slot the citizen holds already (rescheduling), shown but not offered.
  constructor(root, { hall, service, tz, onPick, current = null }) {
    this.hall = hall;
    this.service = service;
    this.tz = tz;
    this.onPick = onPick;
    this.current = current ? instant(current) : null;
    this.days = [];
    this.slots = new Map(); // start instant -> slot
    this.day = null;
    const p = `pk${++pickers}`;
    this.dayBox = el("div", { class: "days", role: "group", "aria-labelledby": `${p}-days` });
    this.slotTitle = el("p", { class: "picker-label", id: `${p}-slots` });
    this.slotList = el("ul", { class: "slots", "aria-labelledby": `${p}-slots` });
    this.empty = el("p", { class: "muted no-slots", hidden: true });
    root.replaceChildren(
      el("p", { class: "picker-label", id: `${p}-days`, text: t("book.choose_day") }),
      this.dayBox, this.slotTitle,
      el("p", { class: "help", text: t("book.live_note") }),
      this.slotList, this.empty,
    );
  }

  async load() {
    const path = `/api/halls/${encodeURIComponent(this.hall)}/services/${encodeURIComponent(this.service)}/slots`;
    const r = await api("GET", path);
    this.days = (r.days || []).map(String);
    this.slots = new Map(r.slots.map((s) => [instant(s.start), { ...s }]));
    this.serviceName = r.service_name;
    if (!this.day || !this.days.includes(this.day)) this.day = this.#firstFreeDay();
    this.render();
    return r;
  }

  #firstFreeDay() {
    return this.days.find((d) => this.#ofDay(d).some((s) => this.#open(s))) || this.days[0] || null;
  }

  // Slots not yet started (the list is read once; time moves on while it is shown).
  #ofDay(day) {
    const now = Date.now();
    return [...this.slots.values()].filter((s) => dayOf(s.start) === day && instant(s.start) > now)
      .sort((a, b) => instant(a.start) - instant(b.start));
  }

  #open(s) {
    return s.free > 0 && instant(s.start) !== this.current;
  }

  slot(start) {
    return this.slots.get(instant(start)) || null;
  }

  select(day) {
    this.day = day;
    this.render();
  }

  render() {
    const today = hallToday(this.tz);
    const focused = document.activeElement;
    const hadFocus = this.dayBox.contains(focused) || this.slotList.contains(focused);
    const key = focused && focused.dataset ? focused.dataset.day || focused.dataset.slot : null;
    this.dayBox.replaceChildren(...this.days.map((d) => this.#dayButton(d, today)));
    this.slotTitle.textContent = this.day ? t("book.choose_slot", { day: dayLabel(this.day) }) : "";
    const slots = this.day ? this.#ofDay(this.day) : [];
    this.slotList.replaceChildren(...slots.map((s) => this.#slotItem(s)));
    this.empty.hidden = slots.length > 0;
    this.empty.textContent = this.days.length ? t("book.no_slots") : t("book.no_days");
    // A live update re-renders the list: the focus stays on the same day or slot.
    if (hadFocus && key) {
      const same = this.dayBox.querySelector(`[data-day="${key}"]`)
        || this.slotList.querySelector(`[data-slot="${key}"]`);
      if (same && !same.disabled) same.focus();
    }
  }

  #dayButton(day, today) {
    const open = this.#ofDay(day).filter((s) => this.#open(s));
    const free = open.reduce((n, s) => n + s.free, 0);
    const p = dayParts(day, today);
    const count = free > 0 ? t("book.day_free", { n: free }) : t("book.day_full");
    const b = el("button", {
      type: "button", class: `day${free > 0 ? "" : " is-full"}`, "data-day": day,
      "aria-pressed": day === this.day ? "true" : "false",
    },
    el("span", { class: "day-top", text: p.top }),
    el("span", { class: "day-date", text: p.date }),
    el("span", { class: "day-free", text: count }));
    b.addEventListener("click", () => {
      this.select(day);
      const first = this.slotList.querySelector("button:not([disabled])");
      if (first) first.focus({ preventScroll: true });
      else b.focus();
    });
    return b;
  }

  #slotItem(s) {
    const mine = instant(s.start) === this.current;
    const open = this.#open(s);
    let note = t("book.slot_free", { n: s.free });
    if (mine) note = t("book.slot_current");
    else if (s.free <= 0) note = t("book.slot_full");
    const time = `${timeOf(s.start)}–${timeOf(s.end)}`;
    const b = el("button", {
      type: "button", class: `slot${open ? "" : " is-full"}${mine ? " is-current" : ""}`,
      "data-slot": String(instant(s.start)), "data-free": String(s.free), disabled: !open,
    }, el("span", { class: "slot-time", text: time }), el("span", { class: "slot-free", text: note }));
    b.addEventListener("click", () => this.onPick({ ...s }));
    return el("li", {}, b);
  }

  // A `slot.changed` event of the hall topic; true when it was about this service.
  applyEvent(data) {
    if (!data || data.service !== this.service) return false;
    const s = this.slots.get(instant(data.slot));
    if (!s) return true; // a slot beyond the list (another day range): nothing shown
    s.booked = data.booked;
    s.capacity = data.capacity;
    s.free = data.free;
    this.render();
    return true;
  }
}
