// Matters (事项) of the chosen hall: the catalog the 办事指南 shows and intake follows —
// names, the approving back offices with their lead, the materials, the promised and
// legal time limits, the intake and pickup services, fees and places, enabled or not.
// A matter is saved whole (PUT); a matter that cases name cannot be deleted, and the
// console offers to disable it instead. A supervisor manages their own hall's matters.

import { confirmDialog } from "/static/console/dialogs.js";
import { enc } from "./api.js";
import { DepartmentPicker, MaterialsEditor } from "./matter_parts.js";
import { Crud } from "./section.js";
import { T, field, h } from "./ui.js";

const CODE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$/;
const DAYS_MAX = 365;

export class MattersSection extends Crud {
  constructor(app) {
    super(app, "matters", "matters.title", {
      addKey: "matters.add",
      emptyKey: "matters.empty",
      captionKey: "matters.caption",
    });
    this.services = [];
  }

  get mine() {
    return this.app.isAdmin || (this.app.role === "supervisor" && this.app.session.hall === this.app.hallId);
  }

  canAdd() {
    return this.mine && Boolean(this.app.hallId);
  }

  canEdit() {
    return this.mine;
  }

  get base() {
    return `/api/admin/halls/${enc(this.app.hallId)}/matters`;
  }

  async load() {
    this.sub.textContent = this.app.hall ? this.app.hall.name : "";
    if (!this.app.hallId) {
      this.items = [];
      return;
    }
    const [m, s] = await Promise.all([
      this.app.client.get(this.base),
      this.app.client.get(`/api/admin/halls/${enc(this.app.hallId)}/services`),
    ]);
    this.items = m.matters || [];
    this.services = s.services || [];
  }

  onHallChanged() {
    if (this.editing !== undefined) this.closeEditor(null, { focus: false });
  }

  key(m) {
    return m.code;
  }

  label(m) {
    return `${m.code} ${this.app.named(m)}`;
  }

  serviceLabel(code) {
    const s = this.services.find((x) => x.code === code);
    return s ? `${code} ${this.app.named(s)}` : code || "";
  }

  columns() {
    // The console's own list names departments in its language; the matter's, in Chinese.
    const lead = (m) => (this.app.departments.some((d) => d.id === m.lead_department)
      ? this.app.departmentName(m.lead_department)
      : ((m.departments || []).find((d) => d.lead) || {}).name || m.lead_department);
    return [
      { key: "matters.code", class: "mono nowrap", cell: (m) => m.code },
      { key: "matters.name", cell: (m) => this.app.named(m) },
      { key: "matters.lead", cell: (m) => lead(m) },
      { key: "matters.days", class: "nowrap", cell: (m) => this.t("matters.days_value", { promised: m.promised_days, legal: m.legal_days }) },
      { key: "matters.materials_n", class: "nowrap", cell: (m) => String((m.materials || []).length) },
      { key: "matters.intake", cell: (m) => this.serviceLabel(m.intake_service) },
      { key: "matters.state", cell: (m) => T(m.enabled ? "matters.on" : "matters.off", null, "span", { class: `pill ${m.enabled ? "on" : "off"}` }) },
    ];
  }

  // The departments one may choose: the back offices serving this hall, and any the
  // matter already names (so one that changed since is shown, and its error beside it).
  departmentOptions(m) {
    const chosen = m ? (m.departments || []).map((d) => d.id) : [];
    const hall = this.app.hallId;
    const out = this.app.departments
      .filter((d) => (d.kind === "back" && (d.halls || []).includes(hall)) || chosen.includes(d.id))
      .map((d) => ({ id: d.id, name: this.app.named(d) }));
    for (const d of (m && m.departments) || []) {
      if (!out.some((x) => x.id === d.id)) out.push({ id: d.id, name: d.name || d.id });
    }
    return out;
  }

  fields(m) {
    const out = [];
    if (!m) {
      out.push(field({
        name: "code", label: "matters.code", required: true, hint: "matters.code_hint",
        attrs: { maxlength: "40", autocomplete: "off", spellcheck: "false" },
      }));
    }
    const services = this.services.map((s) => ({ value: s.code, label: `${s.code} ${this.app.named(s)}` }));
    const num = (name, label, value, hint = null, required = true) => field({
      name, label, kind: "number", value, hint, required,
      attrs: { min: "1", max: String(DAYS_MAX), step: "1", class: "short", inputmode: "numeric" },
    });
    this.depts = new DepartmentPicker(this.departmentOptions(m), m ? (m.departments || []).map((d) => d.id) : []);
    this.materials = new MaterialsEditor(m ? m.materials || [] : []);
    const service = (name, value) => field({ name, label: `matters.${name}`, kind: "select", required: true,
      options: services, value, hint: `matters.${name.split("_")[0]}_hint` });
    // A new matter's pickup: the hall's last service (often 统一出件) until one is chosen.
    const last = services.length ? services.at(-1).value : null;
    out.push(
      field({ name: "name", label: "matters.name", required: true, value: m ? m.name : "", attrs: { maxlength: "100" } }),
      field({ name: "name_en", label: "matters.name_en", value: m ? m.name_en || "" : "", attrs: { maxlength: "200", lang: "en" } }),
      this.depts.root,
      this.materials.root,
      h("div", { class: "inline-fields" },
        num("promised_days", "matters.promised", m ? m.promised_days : ""),
        num("legal_days", "matters.legal", m ? m.legal_days : "", "matters.legal_hint", false)),
      h("div", { class: "inline-fields" },
        service("intake_service", m ? m.intake_service : null),
        service("pickup_service", m ? m.pickup_service : last)),
      field({ name: "fees", label: "matters.fees", kind: "textarea", value: m ? m.fees : "", hint: "matters.fees_hint",
        attrs: { maxlength: "2000", rows: "2" } }),
      field({ name: "apply_at", label: "matters.apply_at", value: m ? m.apply_at : "", hint: "matters.place_hint", attrs: { maxlength: "200" } }),
      field({ name: "pickup_at", label: "matters.pickup_at", value: m ? m.pickup_at : "", attrs: { maxlength: "200" } }),
      field({ name: "enabled", label: "matters.enabled", kind: "checkbox", value: m ? m.enabled : true }),
    );
    return out;
  }

  // The body as MatterIn, in matter_json's key order so that an unchanged matter compares
  // equal; lead_department is only for that comparison (a new lead, same departments).
  read(form, m) {
    const v = (n) => form.elements[n].value.trim();
    const int = (n) => (v(n) === "" ? null : Number(v(n)));
    const departments = this.depts.value();
    const body = {
      name: v("name"), name_en: v("name_en"), departments,
      materials: this.materials.raw(),
      promised_days: int("promised_days"),
      legal_days: v("legal_days") === "" ? int("promised_days") : int("legal_days"),
      intake_service: v("intake_service"), pickup_service: v("pickup_service"),
      fees: v("fees"), apply_at: v("apply_at"), pickup_at: v("pickup_at"),
      enabled: form.elements.enabled.checked,
      lead_department: departments[0] || null,
    };
    if (!m) body.code = v("code");
    return body;
  }

  check(b, m) {
    const p = [];
    if (!m && !b.code) p.push({ field: "code", key: "form.required" });
    else if (!m && !CODE.test(b.code)) p.push({ field: "code", key: "matters.code_bad" });
    if (!b.name) p.push({ field: "name", key: "form.required" });
    if (!b.departments.length) p.push({ field: "departments", key: "matters.depts_none" });
    p.push(...this.materials.problems(b.materials));
    const days = (n) => Number.isInteger(b[n]) && b[n] >= 1 && b[n] <= DAYS_MAX;
    for (const n of ["promised_days", "legal_days"]) {
      if (b[n] === null) p.push({ field: n, key: "form.required" });
      else if (!days(n)) p.push({ field: n, key: "form.int_between", vars: { min: 1, max: DAYS_MAX } });
    }
    if (days("promised_days") && days("legal_days") && b.promised_days > b.legal_days) {
      p.push({ field: "promised_days", key: "matters.promised_over" });
    }
    for (const n of ["intake_service", "pickup_service"]) if (!b[n]) p.push({ field: n, key: "form.required" });
    return p;
  }

  // A MatterOut as the MatterIn that saves it unchanged.
  asIn(m) {
    return {
      name: m.name, name_en: m.name_en || "", departments: (m.departments || []).map((d) => d.id),
      materials: (m.materials || []).map(({ key, name, originals, copies, required, waivable }) => ({
        key, name, originals, copies, required, waivable })),
      promised_days: m.promised_days, legal_days: m.legal_days,
      intake_service: m.intake_service, pickup_service: m.pickup_service,
      fees: m.fees || "", apply_at: m.apply_at || "", pickup_at: m.pickup_at || "", enabled: m.enabled,
    };
  }

  put(code, body) {
    const { code: _code, lead_department: _lead, ...matter } = body;
    return this.app.client.put(`${this.base}/${enc(code)}`, matter);
  }

  create(body) {
    return this.put(body.code, body);
  }

  update(m, patch) {
    return this.put(m.code, { ...this.asIn(m), ...patch });
  }

  remove(m) {
    return this.app.client.del(`${this.base}/${enc(m.code)}`);
  }

  // Delete; a matter that cases name (409 matter_in_use) is offered for disabling instead.
  async confirmDelete(m) {
    let inUse = false;
    const done = await confirmDialog({
      title: this.t("matters.delete_q", { name: this.label(m) }),
      ok: this.t("op.delete"),
      submit: async () => {
        try {
          await this.remove(m);
          return null;
        } catch (err) {
          if (err.code !== "matter_in_use") return this.app.errorText(err);
          if (!m.enabled) return this.t("matters.in_use_off", { name: this.label(m) });
          inUse = true;
          return null;
        }
      },
    });
    if (inUse) return this.offerDisable(m);
    if (!done) return;
    this.app.say("status.deleted", { name: this.label(m) });
    if (this.editing && this.key(this.editing) === m.code) this.closeEditor(null, { focus: false });
    await this.refresh();
    this.heading.focus();
  }

  async offerDisable(m) {
    const done = await confirmDialog({
      title: this.t("matters.in_use_q", { name: this.label(m) }),
      ok: this.t("matters.disable"),
      submit: async () => {
        try {
          await this.put(m.code, { ...this.asIn(m), enabled: false });
          return null;
        } catch (err) {
          return this.app.errorText(err);
        }
      },
    });
    if (!done) return;
    this.app.say("matters.disabled", { name: this.label(m) });
    if (this.editing && this.key(this.editing) === m.code) this.closeEditor(null, { focus: false });
    await this.refresh();
    const row = this.rowButton(m.code, "delete");
    (row || this.heading).focus();
  }
}
