// The weekly opening hours: for each weekday, any number of periods "08:30"–"12:00".
// A day with no period is closed. The order and overlap of periods are the server's
// rule (hours_invalid, naming e.g. hours.mon.1); here only the HH:MM form is checked.

import { HHMM, T, h, sr, uid } from "./ui.js";

export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const OFFICE_HOURS = Object.fromEntries(
  DAYS.slice(0, 5).map((d) => [d, [["09:00", "12:00"], ["13:30", "17:00"]]]),
);

export class HoursEditor {
  constructor(app, hours) {
    this.app = app;
    this.errId = uid("hours-err");
    this.root = h("fieldset", { class: "field hours", dataset: { field: "hours" }, "aria-describedby": `${this.errId}-hint ${this.errId}` });
    this.build(normalise(hours));
  }

  build(hours) {
    const grid = h("div", { class: "hours-grid" });
    for (const day of DAYS) grid.append(this.dayRow(day, hours[day] || []));
    const copy = T("hours.copy_mon", null, "button", { type: "button", class: "ghost small", id: uid("hours-copy") });
    copy.addEventListener("click", () => this.copyMonday());
    this.root.replaceChildren(
      h("legend", {}, T("hours.legend")),
      T("hours.hint", null, "p", { class: "hint", id: `${this.errId}-hint` }),
      grid,
      copy,
      h("p", { id: this.errId, class: "field-error", role: "alert" }),
    );
  }

  // Rebuild in the page's new language, keeping whatever is typed.
  retranslate() {
    this.build(this.raw());
  }

  dayRow(day, periods) {
    const nameId = uid(`day-${day}`);
    const list = h("div", { class: "periods" });
    const row = h("div", { class: "day", role: "group", "aria-labelledby": nameId, dataset: { field: `hours.${day}`, day } },
      T(`day.${day}`, null, "div", { class: "day-name", id: nameId }),
      list);
    const add = h("button", { type: "button", class: "add-period small", dataset: { action: "add" } },
      T("hours.add"), sr(` ${this.app.t(`day.${day}`)}`));
    add.addEventListener("click", () => {
      const p = this.period(day, list.querySelectorAll(".period").length, ["", ""]);
      list.querySelector(".closed")?.remove();
      list.append(p);
      p.querySelector("input").focus();
    });
    row.append(add, h("p", { class: "field-error", role: "alert" }));
    periods.forEach((p, i) => list.append(this.period(day, i, p)));
    if (!periods.length) list.append(T("hours.closed", null, "span", { class: "closed muted" }));
    return row;
  }

  period(day, index, [open, close]) {
    const dayName = this.app.t(`day.${day}`);
    const box = h("div", { class: "period", dataset: { field: `hours.${day}.${index}` } });
    const errId = uid("period-err");
    const input = (part, value) => {
      const id = uid(`t-${day}-${part}`);
      const el = h("input", {
        id, class: "time", inputmode: "numeric", maxlength: "5", autocomplete: "off",
        placeholder: part === "open" ? "08:30" : "17:00", dataset: { part }, "aria-describedby": errId,
      });
      el.value = value || "";
      const label = T(`hours.${part}_label`, { day: dayName, n: index + 1 }, "label", { for: id, class: "sr" });
      return [label, el];
    };
    const del = h("button", { type: "button", class: "icon-btn small", dataset: { action: "remove" } },
      T("hours.remove"), sr(` ${this.app.t("hours.period_name", { day: dayName, n: index + 1 })}`));
    del.addEventListener("click", () => this.removePeriod(day, box));
    box.append(
      ...input("open", open),
      h("span", { class: "dash", "aria-hidden": "true" }, "–"),
      ...input("close", close),
      del,
      h("p", { id: errId, class: "field-error", role: "alert" }),
    );
    return box;
  }

  removePeriod(day, box) {
    const row = this.root.querySelector(`.day[data-day="${day}"]`);
    const raw = this.raw();
    const i = [...row.querySelectorAll(".period")].indexOf(box);
    raw[day].splice(i, 1);
    const fresh = this.dayRow(day, raw[day]);
    row.replaceWith(fresh);
    // Focus stays in the day: the period now in that place, the one before, or "Add".
    const left = fresh.querySelectorAll(".period");
    const near = left[Math.min(i, left.length - 1)];
    (near ? near.querySelector("input") : fresh.querySelector("button[data-action=add]")).focus();
  }

  copyMonday() {
    const raw = this.raw();
    for (const d of DAYS.slice(1, 5)) raw[d] = raw.mon.map((p) => [...p]);
    this.build(raw);
    this.root.querySelector("button.ghost").focus();
    this.app.say("hours.copied");
  }

  // What is typed, day by day, as [[open, close], …].
  raw() {
    const out = {};
    for (const row of this.root.querySelectorAll(".day")) {
      out[row.dataset.day] = [...row.querySelectorAll(".period")].map((p) => [
        p.querySelector("[data-part=open]").value.trim(),
        p.querySelector("[data-part=close]").value.trim(),
      ]);
    }
    return out;
  }

  // The API's form: only days with periods ("a day left out is closed").
  value() {
    const out = {};
    for (const [d, ps] of Object.entries(this.raw())) if (ps.length) out[d] = ps;
    return out;
  }

  problems() {
    const p = [];
    for (const [d, ps] of Object.entries(this.raw())) {
      ps.forEach(([open, close], i) => {
        if (!open || !close) p.push({ field: `hours.${d}.${i}`, key: "hours.both" });
        else if (!HHMM.test(open) || !(HHMM.test(close) || close === "24:00")) p.push({ field: `hours.${d}.${i}`, key: "hours.hhmm_day" });
      });
    }
    return p;
  }
}

export function normalise(hours) {
  const out = {};
  for (const d of DAYS) out[d] = ((hours && hours[d]) || []).map((p) => [p[0], p[1]]);
  return out;
}

// "08:30–12:00, 13:30–17:00" for a read-only view.
export function hoursText(app, periods) {
  if (!periods || !periods.length) return app.t("hours.closed");
  return periods.map(([a, b]) => `${a}–${b}`).join(app.t("list.sep"));
}
