// Halls (大厅): the list, a new hall, and the chosen hall's settings — name, time zone,
// region code, weekly opening hours — with its holiday calendar below.
// A supervisor reads their hall's settings and keeps its calendar.

import { enc } from "./api.js";
import { CalendarCard } from "./calendar.js";
import { HoursEditor, DAYS, OFFICE_HOURS, hoursText } from "./hours.js";
import { Section } from "./section.js";
import { T, clearErrors, field, h, showError, showProblems, sr } from "./ui.js";

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const REGION = /^\d{6}$/;
const ZONES = ["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei"];

function validZone(tz) {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// The hours without closed days, in weekday order: the form the editor gives back.
function openDays(hours) {
  const out = {};
  for (const d of DAYS) if (hours && hours[d] && hours[d].length) out[d] = hours[d];
  return out;
}

// An hours error that names only "hours" is put beside the day its message starts with
// ("tue: open 17:00 must be before close 08:00"), when it names one.
function hoursPath(err) {
  if (err.code !== "hours_invalid" || err.field !== "hours") return err.field;
  const m = /^(mon|tue|wed|thu|fri|sat|sun)\b/.exec(err.message_en || "");
  return m ? `hours.${m[1]}` : err.field;
}

export class HallsSection extends Section {
  constructor(app) {
    super(app, "halls", "halls.title");
    this.addButton = T("halls.add", null, "button", { type: "button", class: "primary", id: "halls-add" });
    this.addButton.addEventListener("click", () => this.openCreate());
    this.tools.append(this.addButton);
    this.table = h("table", { class: "list", id: "halls-table" });
    this.listCard = h("div", { class: "card list-card" }, this.table);
    this.settings = h("form", { class: "card hall-settings", id: "hall-settings", novalidate: true, "aria-labelledby": "hall-form-h" });
    this.settings.addEventListener("submit", (e) => {
      e.preventDefault();
      this.save();
    });
    this.settings.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.creating) {
        e.preventDefault();
        this.cancelCreate();
      }
    });
    this.calendar = new CalendarCard(this);
    this.body.append(this.listCard, h("div", { class: "hall-cards" }, this.settings, this.calendar.root));
    this.creating = false;
    this.built = null; // what the settings form shows: {key, lang}
    this.datalist = h("datalist", { id: "tz-list" }, ZONES.map((z) => h("option", { value: z })));
    this.root.append(this.datalist);
  }

  async load() {
    await this.app.loadHalls();
    this.app.renderHallPicker();
    this.app.renderBar();
  }

  onHallChanged() {
    this.creating = false;
  }

  render() {
    const app = this.app;
    this.addButton.hidden = !app.isAdmin || this.creating;
    this.sub.textContent = "";
    this.renderList();
    const hall = app.hall;
    // The settings form is rebuilt only when what it shows changed: typing survives a
    // language switch, which re-labels it in place.
    const key = this.creating ? "new" : JSON.stringify(hall && { ...hall, calendar: null });
    if (!this.built || this.built.key !== key) this.buildSettings(hall);
    else if (this.built.lang !== app.lang && this.hours) this.hours.retranslate();
    this.built = { key, lang: app.lang };
    this.calendar.root.hidden = this.creating || !hall;
    if (hall) this.calendar.render();
  }

  renderList() {
    const app = this.app;
    const head = h("tr", {},
      T("halls.name", null, "th", { scope: "col" }),
      T("halls.id", null, "th", { scope: "col" }),
      T("halls.tz", null, "th", { scope: "col" }),
      T("halls.region", null, "th", { scope: "col" }),
      T("halls.open_days", null, "th", { scope: "col" }));
    if (app.isAdmin) head.append(T("col.actions", null, "th", { scope: "col" }));
    const rows = app.halls.map((x) => {
      const current = x.id === app.hallId && !this.creating;
      const tr = h("tr", { dataset: { key: x.id }, class: current ? "selected" : null, "aria-current": current ? "true" : null },
        h("td", {}, x.name, current ? h("span", { class: "pill here" }, " ", T("halls.current")) : null),
        h("td", { class: "mono" }, x.id),
        h("td", {}, x.tz),
        h("td", { class: "mono" }, x.region_code || "—"),
        h("td", {}, DAYS.filter((d) => (x.hours || {})[d] && x.hours[d].length).map((d) => app.t(`day.short.${d}`)).join(" ")));
      if (app.isAdmin) {
        const b = h("button", { type: "button", dataset: { action: "manage" }, disabled: current }, T("halls.manage"), sr(` ${x.name}`));
        b.addEventListener("click", () => {
          this.creating = false;
          app.setHall(x.id);
          document.getElementById("hall-form-h")?.focus();
        });
        tr.append(h("td", { class: "row-actions" }, b));
      }
      return tr;
    });
    this.table.replaceChildren(T("halls.caption", null, "caption", { class: "sr" }), h("thead", {}, head), h("tbody", {}, rows));
  }

  buildSettings(hall) {
    const app = this.app;
    this.hours = null;
    const f = this.settings;
    if (!hall && !this.creating) {
      f.replaceChildren(T("halls.none", null, "p", { class: "muted", id: "hall-form-h" }));
      return;
    }
    if (!app.isAdmin) return this.buildReadOnly(hall);
    const title = this.creating
      ? T("halls.add", null, "h2", { id: "hall-form-h", tabindex: "-1" })
      : T("halls.settings", { name: hall.name }, "h2", { id: "hall-form-h", tabindex: "-1" });
    const fields = [];
    if (this.creating) {
      fields.push(field({ name: "id", label: "halls.id", required: true, hint: "halls.id_hint", attrs: { maxlength: "40", autocomplete: "off" } }));
    }
    fields.push(
      field({ name: "name", label: "halls.name", required: true, value: hall ? hall.name : "", attrs: { maxlength: "60" } }),
      h("div", { class: "inline-fields" },
        field({
          name: "tz", label: "halls.tz", required: true, value: hall ? hall.tz : "Asia/Shanghai",
          attrs: { list: "tz-list", autocomplete: "off", spellcheck: "false" },
        }),
        field({
          name: "region_code", label: "halls.region", value: hall ? hall.region_code || "" : "", hint: "halls.region_hint",
          attrs: { inputmode: "numeric", maxlength: "6", autocomplete: "off", class: "short" },
        })),
      h("fieldset", { class: "field citizen-settings" },
        T("halls.citizens", null, "legend"),
        field({ name: "notify_issued", kind: "checkbox", label: "halls.notify_issued", value: hall ? hall.notify_issued : false }),
        h("div", { class: "inline-fields" },
          field({
            name: "advance_notice", kind: "number", label: "halls.advance", hint: "halls.advance_hint",
            value: String(hall ? hall.advance_notice : 3), attrs: { min: "0", max: "50", class: "short" },
          }),
          field({
            name: "green_pin", kind: "password", label: "halls.green_pin",
            hint: hall && hall.green_pin_set ? "halls.green_pin_set" : "halls.green_pin_unset",
            attrs: { inputmode: "numeric", maxlength: "8", autocomplete: "new-password", class: "short" },
          }))),
    );
    this.hours = new HoursEditor(app, hall ? hall.hours : OFFICE_HOURS);
    const buttons = h("div", { class: "form-buttons" },
      T(this.creating ? "halls.create" : "op.save", null, "button", { type: "submit", class: "primary", id: "hall-save" }));
    if (this.creating) {
      const cancel = T("op.cancel", null, "button", { type: "button", class: "ghost" });
      cancel.addEventListener("click", () => this.cancelCreate());
      buttons.append(cancel);
    }
    f.replaceChildren(title, h("p", { class: "form-error", role: "alert" }), ...fields, this.hours.root, buttons);
  }

  buildReadOnly(hall) {
    const app = this.app;
    const row = (key, value) => h("div", {}, T(key, null, "dt"), h("dd", {}, value));
    const hours = h("dl", { class: "hours-read" },
      DAYS.map((d) => h("div", {}, T(`day.${d}`, null, "dt"), h("dd", {}, hoursText(app, (hall.hours || {})[d])))));
    this.settings.replaceChildren(
      T("halls.settings", { name: hall.name }, "h2", { id: "hall-form-h", tabindex: "-1" }),
      T("halls.readonly_note", null, "p", { class: "hint" }),
      h("dl", { class: "facts-list" },
        row("halls.name", hall.name),
        row("halls.id", hall.id),
        row("halls.tz", hall.tz),
        row("halls.region", hall.region_code || "—")),
      T("hours.legend", null, "h3"),
      hours,
    );
  }

  openCreate() {
    this.creating = true;
    this.built = null;
    this.render();
    this.settings.querySelector("input").focus();
  }

  cancelCreate() {
    this.creating = false;
    this.built = null;
    this.render();
    this.addButton.focus();
  }

  read() {
    const f = this.settings.elements;
    const body = {
      name: f.name.value.trim(),
      tz: f.tz.value.trim(),
      region_code: f.region_code.value.trim() || null,
      hours: this.hours.value(),
      notify_issued: f.notify_issued.checked,
      advance_notice: Number(f.advance_notice.value),
    };
    // The PIN is never shown back: sent only when a new one is typed.
    const pin = f.green_pin.value.trim();
    if (pin) body.green_pin = pin;
    if (this.creating) body.id = f.id.value.trim();
    return body;
  }

  check(b) {
    const p = [];
    if (this.creating && !b.id) p.push({ field: "id", key: "form.required" });
    else if (this.creating && !ID.test(b.id)) p.push({ field: "id", key: "form.id_bad" });
    if (!b.name) p.push({ field: "name", key: "form.required" });
    if (!b.tz) p.push({ field: "tz", key: "form.required" });
    else if (!validZone(b.tz)) p.push({ field: "tz", key: "halls.tz_bad" });
    if (b.region_code && !REGION.test(b.region_code)) p.push({ field: "region_code", key: "halls.region_bad" });
    if (!Number.isInteger(b.advance_notice) || b.advance_notice < 0 || b.advance_notice > 50) {
      p.push({ field: "advance_notice", key: "halls.advance_bad" });
    }
    if (b.green_pin !== undefined && !/^\d{4,8}$/.test(b.green_pin)) p.push({ field: "green_pin", key: "halls.green_pin_bad" });
    return p.concat(this.hours.problems());
  }

  async save() {
    const form = this.settings;
    if (form.getAttribute("aria-busy") === "true") return;
    clearErrors(form);
    const body = this.read();
    if (showProblems(form, this.check(body))) return;
    const app = this.app;
    const hall = app.hall;
    let patch = body;
    if (!this.creating) {
      patch = {};
      const was = { ...hall, hours: openDays(hall.hours) };
      for (const k of ["name", "tz", "region_code", "hours", "notify_issued", "advance_notice"]) {
        if (JSON.stringify(body[k] ?? null) !== JSON.stringify(was[k] ?? null)) patch[k] = body[k];
      }
      if (body.green_pin) patch.green_pin = body.green_pin;
      if (!Object.keys(patch).length) return app.say("status.unchanged");
    }
    form.setAttribute("aria-busy", "true");
    let saved;
    try {
      saved = this.creating
        ? await app.client.post("/api/admin/halls", { ...body, calendar: {} })
        : await app.client.patch(`/api/admin/halls/${enc(hall.id)}`, patch);
    } catch (err) {
      const focus = showError(form, err, hoursPath(err));
      if (focus) focus.focus();
      return;
    } finally {
      form.removeAttribute("aria-busy");
    }
    const created = this.creating;
    this.creating = false;
    app.say(created ? "status.created" : "status.saved", { name: (saved && saved.name) || body.name });
    if (created) app.setHall((saved && saved.id) || body.id);
    await this.refresh();
    document.getElementById("hall-form-h")?.focus();
  }
}
