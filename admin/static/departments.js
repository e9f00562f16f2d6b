// Departments (部门): a counter in the hall (front) or a back office that approves (back),
// and the halls each serves.

import { enc } from "./api.js";
import { Crud } from "./section.js";
import { checkGroup, checkedValues, field, radioGroup } from "./ui.js";

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;

export class DepartmentsSection extends Crud {
  constructor(app) {
    super(app, "departments", "departments.title", {
      addKey: "departments.add",
      emptyKey: "departments.empty",
      captionKey: "departments.caption",
    });
  }

  async load() {
    this.items = (await this.app.client.get("/api/admin/departments")).departments || [];
    this.app.departments = this.items;
  }

  label(d) {
    return this.app.named(d);
  }

  columns() {
    return [
      { key: "departments.id", class: "mono nowrap", cell: (d) => d.id },
      { key: "departments.name", cell: (d) => d.name },
      { key: "departments.name_en", cell: (d) => d.name_en || "" },
      { key: "departments.kind", cell: (d) => this.t(`kind.${d.kind}`) },
      { key: "departments.halls", cell: (d) => (d.halls || []).map((x) => this.app.hallName(x)).join(this.t("list.sep")) },
    ];
  }

  fields(d) {
    const out = [];
    if (!d) {
      out.push(field({
        name: "id", label: "departments.id", required: true, hint: "departments.id_hint",
        attrs: { maxlength: "40", autocomplete: "off" },
      }));
    }
    out.push(
      field({ name: "name", label: "departments.name", required: true, value: d ? d.name : "", attrs: { maxlength: "60" } }),
      field({ name: "name_en", label: "departments.name_en", value: d ? d.name_en || "" : "", attrs: { maxlength: "80", lang: "en" } }),
      radioGroup({
        name: "kind", legend: "departments.kind", value: d ? d.kind : "front",
        options: [{ value: "front", key: "kind.front" }, { value: "back", key: "kind.back" }],
      }),
      checkGroup({
        name: "halls", legend: "departments.halls",
        options: this.app.halls.map((x) => ({ value: x.id, label: x.name })),
        values: d ? d.halls || [] : this.app.hallId ? [this.app.hallId] : [],
      }),
    );
    return out;
  }

  read(form, d) {
    const kind = form.querySelector("input[name=kind]:checked");
    const body = {
      name: form.elements.name.value.trim(),
      name_en: form.elements.name_en.value.trim(),
      kind: kind ? kind.value : null,
      halls: checkedValues(form, "halls"),
    };
    if (!d) body.id = form.elements.id.value.trim();
    return body;
  }

  check(b, d) {
    const p = [];
    if (!d && !b.id) p.push({ field: "id", key: "form.required" });
    else if (!d && !ID.test(b.id)) p.push({ field: "id", key: "form.id_bad" });
    if (!b.name) p.push({ field: "name", key: "form.required" });
    if (!b.kind) p.push({ field: "kind", key: "form.required" });
    return p;
  }

  create(body) {
    return this.app.client.post("/api/admin/departments", body);
  }

  update(d, patch) {
    return this.app.client.patch(`/api/admin/departments/${enc(d.id)}`, patch);
  }

  remove(d) {
    return this.app.client.del(`/api/admin/departments/${enc(d.id)}`);
  }
}
