// Windows (窗口) of the chosen hall: number, name, the services it calls, its department.
// A supervisor manages the windows of their own hall.

import { enc } from "./api.js";
import { Crud } from "./section.js";
import { checkGroup, checkedValues, field } from "./ui.js";

export class WindowsSection extends Crud {
  constructor(app) {
    super(app, "windows", "windows.title", {
      addKey: "windows.add",
      emptyKey: "windows.empty",
      captionKey: "windows.caption",
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

  async load() {
    this.sub.textContent = this.app.hall ? this.app.hall.name : "";
    if (!this.app.hallId) {
      this.items = [];
      return;
    }
    const hall = enc(this.app.hallId);
    const [w, s] = await Promise.all([
      this.app.client.get(`/api/admin/halls/${hall}/windows`),
      this.app.client.get(`/api/admin/halls/${hall}/services`),
    ]);
    this.items = (w.windows || []).slice().sort((a, b) => a.number - b.number);
    this.services = s.services || [];
  }

  onHallChanged() {
    if (this.editing !== undefined) this.closeEditor(null, { focus: false });
  }

  label(w) {
    return w.name || this.t("windows.numbered", { n: w.number });
  }

  serviceLabel(code) {
    const s = this.services.find((x) => x.code === code);
    return s ? `${code} ${this.app.named(s)}` : code;
  }

  columns() {
    return [
      { key: "windows.number", class: "num", cell: (w) => String(w.number) },
      { key: "windows.name", cell: (w) => w.name },
      { key: "windows.services", cell: (w) => (w.services || []).map((c) => this.serviceLabel(c)).join(this.t("list.sep")) },
      { key: "windows.department", cell: (w) => (w.department ? this.app.departmentName(w.department) : "—") },
      { key: "windows.id", class: "mono nowrap", cell: (w) => w.id },
    ];
  }

  // Departments that serve this hall come first; the others are still offered.
  departmentOptions() {
    const hall = this.app.hallId;
    const here = this.app.departments.filter((d) => (d.halls || []).includes(hall));
    const other = this.app.departments.filter((d) => !(d.halls || []).includes(hall));
    return [
      { value: "", key: "windows.no_department" },
      ...[...here, ...other].map((d) => ({ value: d.id, label: this.app.named(d) })),
    ];
  }

  fields(w) {
    const next = this.items.reduce((m, x) => Math.max(m, x.number), 0) + 1;
    return [
      field({
        name: "number", label: "windows.number", kind: "number", required: true,
        value: w ? w.number : next, attrs: { min: "1", step: "1", class: "short" },
      }),
      field({
        name: "name", label: "windows.name", required: true,
        value: w ? w.name : this.t("windows.numbered", { n: next }), attrs: { maxlength: "40" },
      }),
      checkGroup({
        name: "services", legend: "windows.services",
        options: this.services.map((s) => ({ value: s.code, label: `${s.code} ${this.app.named(s)}` })),
        values: w ? w.services || [] : [],
      }),
      field({
        name: "department", label: "windows.department", kind: "select",
        options: this.departmentOptions(), value: w ? w.department || "" : "",
      }),
    ];
  }

  read(form) {
    const n = form.elements.number.value.trim();
    return {
      number: n === "" ? null : Number(n),
      name: form.elements.name.value.trim(),
      services: checkedValues(form, "services"),
      department: form.elements.department.value || null,
    };
  }

  check(b) {
    const p = [];
    if (b.number === null) p.push({ field: "number", key: "form.required" });
    else if (!Number.isInteger(b.number) || b.number < 1) p.push({ field: "number", key: "form.positive_int" });
    // A number already taken is the server's to say (window_number_taken): it knows of
    // windows added since this list was read.
    if (!b.name) p.push({ field: "name", key: "form.required" });
    return p;
  }

  create(body) {
    return this.app.client.post(`/api/admin/halls/${enc(this.app.hallId)}/windows`, body);
  }

  update(w, patch) {
    return this.app.client.patch(`/api/admin/windows/${enc(w.id)}`, patch);
  }

  remove(w) {
    return this.app.client.del(`/api/admin/windows/${enc(w.id)}`);
  }
}
