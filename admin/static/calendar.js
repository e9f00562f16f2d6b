// A hall's holiday calendar, one year at a time: the dates that differ from Mon–Fri
// (false: a holiday 休, true: a make-up working day 班), added and removed one by one or
// imported whole from the year's official notice. Every change replaces that year's
// entries on the server (PUT …/calendar/{year}).

import { enc } from "./api.js";
import { T, clearErrors, field, h, isRealDate, showError, showProblems, sr } from "./ui.js";

const HOLIDAY = new Set(["休", "假", "放假", "休息", "节假日", "holiday", "off", "rest", "false", "0"]);
const WORKDAY = new Set(["班", "上班", "补班", "调休", "调休上班", "workday", "work", "working", "true", "1"]);

// "2027-1-1", "2027/01/01", "2027.1.1", "2027年1月1日" -> "2027-01-01" (or null).
export function normaliseDate(text) {
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(String(text).trim());
  if (!m) return null;
  const iso = `${m[1]}-${m[2].padStart(2, "0")}-${m[3].padStart(2, "0")}`;
  return isRealDate(iso) ? iso : null;
}

function mark(value) {
  if (value === true || value === false) return value;
  const v = String(value ?? "").trim().toLowerCase();
  if (HOLIDAY.has(v)) return false;
  if (WORKDAY.has(v)) return true;
  return null;
}

// The pasted text -> {year, days} or {problems: [{key, vars}]}. Lines "2027-01-01 休" /
// "2027-02-06 班" (# starts a comment), or JSON: {"2027-01-01": false, …}, {days: {…}},
// or [["2027-01-01", "休"], …]. Every date must fall in one year.
export function parseCalendar(text) {
  const src = String(text || "").trim();
  const entries = []; // [line, date text, mark value]
  if (!src) return { problems: [{ key: "cal.import_empty" }] };
  if (src.startsWith("{") || src.startsWith("[")) {
    let data;
    try {
      data = JSON.parse(src);
    } catch {
      return { problems: [{ key: "cal.bad_json" }] };
    }
    if (data && !Array.isArray(data) && typeof data.days === "object" && data.days) data = data.days;
    else if (data && !Array.isArray(data) && typeof data.calendar === "object" && data.calendar) data = data.calendar;
    const pairs = Array.isArray(data)
      ? data.map((x) => (Array.isArray(x) ? x : [x && x.date, x && (x.workday ?? x.type ?? x.kind)]))
      : Object.entries(data || {});
    pairs.forEach(([d, v], i) => entries.push([i + 1, d, v]));
  } else {
    src.split(/\r?\n/).forEach((line, i) => {
      const body = line.replace(/#.*$/, "").trim();
      if (!body) return;
      const parts = body.split(/[\s,，;；\t]+/).filter(Boolean);
      entries.push([i + 1, parts[0], parts.length === 2 ? parts[1] : parts.length > 2 ? null : undefined, body]);
    });
  }
  const problems = [];
  const days = {};
  const years = new Set();
  for (const [n, d, v, line] of entries) {
    const date = normaliseDate(d);
    const m = mark(v);
    if (!date) problems.push({ key: "cal.bad_date", vars: { n, text: String(line ?? d) } });
    else if (m === null) problems.push({ key: "cal.bad_mark", vars: { n, text: String(line ?? v) } });
    else if (date in days && days[date] !== m) problems.push({ key: "cal.conflict", vars: { n, date } });
    else {
      days[date] = m;
      years.add(date.slice(0, 4));
    }
    if (problems.length >= 5) break; // enough to go on with
  }
  if (!problems.length && !Object.keys(days).length) problems.push({ key: "cal.import_empty" });
  if (!problems.length && years.size > 1) problems.push({ key: "cal.many_years", vars: { years: [...years].sort().join(", ") } });
  if (problems.length) return { problems };
  return { year: Number([...years][0]), days };
}

// The days of one year from a whole calendar.
export function yearOf(calendar, year) {
  const out = {};
  for (const [d, v] of Object.entries(calendar || {})) if (d.startsWith(`${year}-`)) out[d] = v;
  return out;
}

const WEEKDAY = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

export function weekday(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  return WEEKDAY[new Date(Date.UTC(y, m - 1, d)).getUTCDay()];
}

export class CalendarCard {
  constructor(section) {
    this.section = section;
    this.app = section.app;
    this.year = new Date().getFullYear();
    this.root = h("section", { class: "card calendar", id: "calendar", "aria-labelledby": "cal-h" });
    this.build();
  }

  get editable() {
    return this.app.isAdmin || (this.app.role === "supervisor" && this.app.session.hall === this.app.hallId);
  }

  build() {
    // The year, with a step back and forth.
    const yearField = field({
      name: "cal-year", label: "cal.year", kind: "number",
      value: this.year, attrs: { min: "2000", max: "2100", step: "1", id: "cal-year", class: "short" },
    });
    this.yearInput = yearField.querySelector("input");
    this.yearInput.id = "cal-year";
    yearField.querySelector("label").setAttribute("for", "cal-year");
    this.yearInput.addEventListener("change", () => this.setYear(Number(this.yearInput.value)));
    this.yearInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        this.setYear(Number(this.yearInput.value));
      }
    });
    const prev = h("button", { type: "button", class: "small", id: "cal-prev" }, T("cal.prev"));
    const next = h("button", { type: "button", class: "small", id: "cal-next" }, T("cal.next"));
    prev.addEventListener("click", () => this.setYear(this.year - 1));
    next.addEventListener("click", () => this.setYear(this.year + 1));
    this.summary = h("p", { class: "cal-summary", id: "cal-summary", tabindex: "-1" });
    this.table = h("table", { class: "list cal-table", id: "cal-table" });
    this.empty = T("cal.empty", null, "p", { class: "muted", id: "cal-empty" });
    this.listError = h("p", { class: "form-error", role: "alert" });

    // Add one date.
    this.addForm = h("form", { class: "cal-add", id: "cal-add", novalidate: true, "aria-labelledby": "cal-add-h" },
      T("cal.add_title", null, "h3", { id: "cal-add-h" }),
      h("div", { class: "inline-fields" },
        field({ name: "date", label: "cal.date", kind: "date", required: true, attrs: { id: "cal-date" } }),
        field({
          name: "workday", label: "cal.kind", kind: "select", value: "false",
          options: [{ value: "false", key: "cal.holiday" }, { value: "true", key: "cal.workday" }],
          attrs: { id: "cal-kind" },
        }),
        T("cal.add", null, "button", { type: "submit", class: "primary", id: "cal-add-btn" })));
    for (const [fid, input] of [["cal-date", "date"], ["cal-kind", "workday"]]) {
      const el = this.addForm.elements[input];
      el.id = fid;
      el.closest(".field").querySelector("label").setAttribute("for", fid);
    }
    this.addForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.addDate();
    });

    // Import a year's notice.
    const box = field({
      name: "days", label: "cal.import_label", kind: "textarea", hint: "cal.import_hint",
      attrs: { rows: "7", id: "cal-import-text", spellcheck: "false", class: "mono" },
    });
    const ta = box.querySelector("textarea");
    ta.id = "cal-import-text";
    box.querySelector("label").setAttribute("for", "cal-import-text");
    ta.setAttribute("data-i18n-ph", "cal.import_ph");
    ta.setAttribute("placeholder", this.app.t("cal.import_ph"));
    this.importForm = h("form", { class: "cal-import", id: "cal-import", novalidate: true, "aria-labelledby": "cal-import-h" },
      T("cal.import_title", null, "h3", { id: "cal-import-h" }),
      box,
      T("cal.import", null, "button", { type: "submit", id: "cal-import-btn" }));
    this.importForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.importYear();
    });
    // Ctrl+Enter imports from inside the text box (Enter there makes a new line).
    ta.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.importForm.requestSubmit();
      }
    });

    this.editors = h("div", { class: "cal-editors" }, this.addForm, this.importForm);
    this.root.replaceChildren(
      T("cal.title", null, "h2", { id: "cal-h" }),
      T("cal.explain", null, "p", { class: "hint" }),
      h("div", { class: "cal-year" }, prev, yearField, next),
      this.summary,
      this.listError,
      this.table,
      this.empty,
      this.editors,
    );
  }

  setYear(y) {
    if (!Number.isInteger(y) || y < 2000 || y > 2100) {
      this.yearInput.value = this.year;
      return;
    }
    this.year = y;
    this.yearInput.value = y;
    this.render();
  }

  render() {
    const hall = this.app.hall;
    this.editors.hidden = !this.editable;
    const days = yearOf(hall ? hall.calendar : {}, this.year);
    const dates = Object.keys(days).sort();
    const off = dates.filter((d) => !days[d]).length;
    this.summary.replaceChildren(T("cal.summary", { year: this.year, off, on: dates.length - off }));
    const rows = dates.map((d) => {
      const tr = h("tr", { dataset: { date: d } },
        h("td", { class: "mono" }, d),
        h("td", {}, T(`day.${weekday(d)}`)),
        h("td", {}, T(days[d] ? "cal.workday" : "cal.holiday", null, "span", { class: `pill ${days[d] ? "workday" : "holiday"}` })));
      if (this.editable) {
        const b = h("button", { type: "button", class: "small danger", dataset: { action: "remove" } }, T("op.remove"), sr(` ${d}`));
        b.addEventListener("click", () => this.removeDate(d));
        tr.append(h("td", { class: "row-actions" }, b));
      }
      return tr;
    });
    const head = h("tr", {},
      T("cal.date", null, "th", { scope: "col" }),
      T("cal.weekday", null, "th", { scope: "col" }),
      T("cal.kind", null, "th", { scope: "col" }));
    if (this.editable) head.append(T("col.actions", null, "th", { scope: "col" }));
    this.table.replaceChildren(T("cal.caption", { year: this.year }, "caption", { class: "sr" }), h("thead", {}, head), h("tbody", {}, rows));
    this.table.hidden = !dates.length;
    this.empty.hidden = dates.length > 0;
  }

  async put(year, days) {
    const hall = await this.app.client.put(
      `/api/admin/halls/${enc(this.app.hallId)}/calendar/${year}`, { days },
    );
    const i = this.app.halls.findIndex((x) => x.id === this.app.hallId);
    if (hall && hall.id && i >= 0) this.app.halls[i] = hall;
    else await this.app.loadHalls();
  }

  async addDate() {
    const form = this.addForm;
    clearErrors(form);
    const date = form.elements.date.value;
    if (!date) return showProblems(form, [{ field: "date", key: "form.required" }]);
    if (!isRealDate(date)) return showProblems(form, [{ field: "date", key: "cal.bad_date_one" }]);
    const year = Number(date.slice(0, 4));
    const days = { ...yearOf(this.app.hall.calendar, year), [date]: form.elements.workday.value === "true" };
    try {
      await this.put(year, days);
    } catch (err) {
      const f = showError(form, err, err.field && err.field.startsWith("days") ? "date" : err.field);
      if (f) f.focus();
      return;
    }
    form.elements.date.value = "";
    this.app.say(days[date] ? "cal.added_workday" : "cal.added_holiday", { date });
    this.setYear(year);
    form.elements.date.focus();
  }

  async removeDate(date) {
    clearErrors(this.root);
    const year = Number(date.slice(0, 4));
    const days = yearOf(this.app.hall.calendar, year);
    delete days[date];
    const rows = [...this.table.querySelectorAll("tbody tr")];
    const at = rows.findIndex((r) => r.dataset.date === date);
    try {
      await this.put(year, days);
    } catch (err) {
      this.listError.owError = err;
      this.listError.textContent = this.app.errorText(err);
      return;
    }
    this.app.say("cal.removed", { date });
    this.render();
    // Focus moves to the next row's button, else the previous, else the date field.
    const left = this.table.querySelectorAll("tbody button[data-action=remove]");
    const next = left[Math.min(at, left.length - 1)];
    (next && !this.table.hidden ? next : this.addForm.elements.date).focus();
  }

  async importYear() {
    const form = this.importForm;
    clearErrors(form);
    const ta = form.elements.days;
    const parsed = parseCalendar(ta.value);
    if (parsed.problems) {
      return showProblems(form, parsed.problems.map((p) => ({ ...p, field: "days" })));
    }
    try {
      await this.put(parsed.year, parsed.days);
    } catch (err) {
      const f = showError(form, err, "days");
      if (f) f.focus();
      return;
    }
    const n = Object.keys(parsed.days).length;
    const off = Object.values(parsed.days).filter((v) => !v).length;
    this.app.say("cal.imported", { year: parsed.year, n, off, on: n - off });
    ta.value = "";
    this.setYear(parsed.year);
    this.summary.focus();
  }
}
