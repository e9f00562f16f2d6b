// The two lists inside the matter editor (matters.js): the approving departments, ticked,
// with one chosen as the lead (牵头), and the materials, a row each that can be added and
// removed. Each control's data-field is the JSON path the API names in an error
// (departments.1, materials.0.name), so the error lands beside it. The departments'
// paths follow the order sent (the lead first), set anew each time the value is read.

import { T, field, h, sr, uid } from "./ui.js";

export const MAX_MATERIALS = 60;
const COUNT_MAX = 20;

export class DepartmentPicker {
  // options: [{id, name}] (the hall's back offices, and any the matter names already);
  // chosen: the matter's department ids, the lead first.
  constructor(options, chosen) {
    const errId = uid("depts-err");
    const hintId = `${errId}-hint`;
    this.root = h("fieldset", { class: "field depts", dataset: { field: "departments" }, "aria-describedby": `${hintId} ${errId}` },
      h("legend", {}, T("matters.depts")),
      T("matters.depts_hint", null, "p", { class: "hint", id: hintId }));
    this.rows = options.map((d) => this.row(d, chosen.includes(d.id), chosen[0] === d.id));
    if (options.length) this.root.append(h("div", { class: "dept-list" }, this.rows));
    else this.root.append(T("matters.depts_empty", null, "p", { class: "muted" }));
    this.root.append(h("p", { id: errId, class: "field-error", role: "alert" }));
  }

  row(d, on, lead) {
    const boxId = uid("dept");
    const leadId = uid("lead");
    const box = h("input", { id: boxId, type: "checkbox", name: "dept", value: d.id });
    box.checked = on;
    const radio = h("input", { id: leadId, type: "radio", name: "lead", value: d.id });
    radio.checked = lead;
    const row = h("div", { class: "dept-row", dataset: { dept: d.id } },
      h("label", { class: "check", for: boxId }, box, " ", h("span", {}, d.name)),
      h("label", { class: "check lead", for: leadId }, radio, " ", T("matters.lead_mark"), sr(` ${d.name}`)),
      h("p", { class: "field-error", role: "alert" }));
    // The lead is one of the ticked; a department ticked first becomes the lead.
    radio.addEventListener("change", () => { box.checked = true; });
    box.addEventListener("change", () => {
      const current = this.root.querySelector("input[name=lead]:checked");
      if (box.checked && !current) radio.checked = true;
      if (!box.checked && radio.checked) {
        radio.checked = false;
        const next = this.rows.find((r) => r.querySelector("input[name=dept]").checked);
        if (next) next.querySelector("input[name=lead]").checked = true;
      }
    });
    return row;
  }

  // The ticked departments, the lead first; each row marked with its place in that list.
  value() {
    const ticked = this.rows.filter((r) => r.querySelector("input[name=dept]").checked);
    const lead = ticked.find((r) => r.querySelector("input[name=lead]").checked) || ticked[0];
    const ordered = lead ? [lead, ...ticked.filter((r) => r !== lead)] : [];
    for (const r of this.rows) delete r.dataset.field;
    ordered.forEach((r, i) => { r.dataset.field = `departments.${i}`; });
    return ordered.map((r) => r.dataset.dept);
  }
}

export class MaterialsEditor {
  constructor(materials) {
    const errId = uid("materials-err");
    const hintId = `${errId}-hint`;
    this.list = h("div", { class: "material-list" });
    this.addButton = T("matters.material_add", null, "button", { type: "button", class: "small", dataset: { action: "add-material" } });
    this.addButton.addEventListener("click", () => this.add());
    this.root = h("fieldset", { class: "field materials", dataset: { field: "materials" }, "aria-describedby": `${hintId} ${errId}` },
      h("legend", {}, T("matters.materials")),
      T("matters.materials_hint", null, "p", { class: "hint", id: hintId }),
      this.list, this.addButton,
      h("p", { id: errId, class: "field-error", role: "alert" }));
    this.draw(materials.map((m) => ({ ...m })));
  }

  draw(items) {
    this.list.replaceChildren(...items.map((m, i) => this.row(i, m)));
    if (!items.length) this.list.append(T("matters.materials_none", null, "p", { class: "muted" }));
    this.addButton.disabled = items.length >= MAX_MATERIALS;
  }

  row(i, m) {
    const path = `materials.${i}`;
    const num = (name, label) => field({
      name: `${path}.${name}`, label, kind: "number", value: m[name],
      attrs: { min: "0", max: String(COUNT_MAX), step: "1", class: "short", inputmode: "numeric" },
    });
    const required = field({ name: `${path}.required`, label: "matters.required", kind: "checkbox", value: m.required });
    const waivable = field({ name: `${path}.waivable`, label: "matters.waivable", kind: "checkbox", value: m.waivable });
    const [req, wai] = [required.querySelector("input"), waivable.querySelector("input")];
    // 容缺 is for a required material: ticking it makes the material required, and an
    // optional material cannot follow later.
    wai.addEventListener("change", () => { if (wai.checked) req.checked = true; });
    req.addEventListener("change", () => { if (!req.checked) wai.checked = false; });
    const legend = T("matters.material_n", { n: i + 1 }, "legend");
    const remove = h("button", { type: "button", class: "small danger", dataset: { action: "remove-material" } },
      T("op.remove"), " ", T("matters.material_n", { n: i + 1 }, "span", { class: "sr" }));
    remove.addEventListener("click", () => this.remove(i));
    return h("fieldset", { class: "material", dataset: { field: path, key: m.key } },
      legend,
      h("div", { class: "inline-fields material-line" },
        field({ name: `${path}.name`, label: "matters.material_name", required: true, value: m.name, attrs: { maxlength: "100" } }),
        num("originals", "matters.originals"), num("copies", "matters.copies")),
      h("div", { class: "material-flags" }, required, waivable, remove),
      h("p", { class: "field-error", role: "alert" }));
  }

  // A key no row has yet (m1, m2 …): keys stay with their material when rows are removed.
  freeKey(items) {
    const used = new Set(items.map((m) => m.key));
    let n = items.length + 1;
    for (let k = 1; k <= n; k++) if (!used.has(`m${k}`)) return `m${k}`;
    while (used.has(`m${n}`)) n++;
    return `m${n}`;
  }

  add() {
    const items = this.raw();
    if (items.length >= MAX_MATERIALS) return;
    items.push({ key: this.freeKey(items), name: "", originals: 1, copies: 0, required: true, waivable: false });
    this.draw(items);
    this.list.lastElementChild.querySelector("input").focus();
  }

  remove(i) {
    const items = this.raw();
    items.splice(i, 1);
    this.draw(items);
    // Focus stays in the list: the row now in that place, the one before, or "Add".
    const rows = this.list.querySelectorAll("fieldset.material");
    const near = rows[Math.min(i, rows.length - 1)];
    (near ? near.querySelector("input") : this.addButton).focus();
  }

  // The rows as typed, in the key order the server keeps (key, name, originals, copies,
  // required, waivable); a count left empty is null, for the check to name.
  raw() {
    return [...this.list.querySelectorAll("fieldset.material")].map((row) => {
      const get = (name) => row.querySelector(`[name="${row.dataset.field}.${name}"]`);
      const int = (name) => (get(name).value.trim() === "" ? null : Number(get(name).value));
      return {
        key: row.dataset.key, name: get("name").value.trim(), originals: int("originals"),
        copies: int("copies"), required: get("required").checked, waivable: get("waivable").checked,
      };
    });
  }

  problems(items) {
    const p = [];
    items.forEach((m, i) => {
      const path = `materials.${i}`;
      if (!m.name) p.push({ field: `${path}.name`, key: "form.required" });
      for (const k of ["originals", "copies"]) {
        if (m[k] === null || !Number.isInteger(m[k]) || m[k] < 0 || m[k] > COUNT_MAX) {
          p.push({ field: `${path}.${k}`, key: "form.int_between", vars: { min: 0, max: COUNT_MAX } });
        }
      }
      if (m.waivable && !m.required) p.push({ field: `${path}.waivable`, key: "matters.waivable_required" });
    });
    return p;
  }
}
