// The materials checklist of a matter: one group of radio buttons per material —
// 已收 / 缺 / 容缺 (容缺 only where the matter allows it). Arrow keys move within a
// material, Tab to the next one. A material starts as missing, as the server counts an
// unmarked one; "all received" marks every one at once. `detail(material)`, if given,
// adds a line under a material's marks (pre-review: the files the citizen uploaded).

import { h } from "./dom.js";

const MARKS = ["received", "missing", "waived"];

export class Checklist {
  constructor(ctx, box, { detail = null } = {}) {
    this.ctx = ctx;
    this.box = box;
    this.detail = detail;
    this.materials = [];
  }

  // materials: MatterOut.materials; marks: {key: mark} to start from (a correction case).
  show(materials, marks = {}) {
    this.materials = materials || [];
    const rows = this.materials.map((m, i) => this.#row(m, i, marks[m.key] || "missing"));
    const empty = h("p", { class: "muted" }, this.ctx.t("mat.none"));
    this.box.replaceChildren(...(rows.length ? rows : [empty]));
  }

  clear() {
    this.materials = [];
    this.box.replaceChildren(h("p", { class: "muted" }, this.ctx.t("mat.pick_matter")));
  }

  // The same materials in the language now chosen, keeping what was marked.
  relabel() {
    if (this.materials.length) this.show(this.materials, this.marks());
    else if (!this.box.querySelector("fieldset")) this.clear();
  }

  marks() {
    const out = {};
    for (const m of this.materials) {
      const on = this.box.querySelector(`input[name="mat-${m.key}"]:checked`);
      out[m.key] = on ? on.value : "missing";
    }
    return out;
  }

  setAll(mark) {
    for (const input of this.box.querySelectorAll(`input[value="${mark}"]`)) input.checked = true;
    this.#paint();
  }

  missing() {
    const marks = this.marks();
    return this.materials.filter((m) => marks[m.key] === "missing");
  }

  // A material the server refused (materials.<key>): marked, and focused.
  flag(key) {
    this.unflag();
    const row = this.box.querySelector(`fieldset[data-key="${CSS.escape(key)}"]`);
    if (!row) return false;
    row.classList.add("invalid"); // the error text beside the list names it
    const on = row.querySelector("input:checked") || row.querySelector("input");
    if (on) on.focus();
    return true;
  }

  unflag() {
    for (const row of this.box.querySelectorAll("fieldset.invalid")) row.classList.remove("invalid");
  }

  focus() {
    const first = this.box.querySelector("input:checked") || this.box.querySelector("input");
    if (first) first.focus();
  }

  #row(m, i, mark) {
    const { ctx } = this;
    const tags = [
      h("span", { class: m.required ? "tag req" : "tag" }, ctx.t(m.required ? "mat.required" : "mat.optional")),
      m.waivable ? h("span", { class: "tag waive" }, ctx.t("mat.waivable")) : null,
    ];
    const legend = h("legend", {},
      h("span", { class: "mat-n" }, `${i + 1}.`), " ", h("span", { class: "mat-name" }, m.name), " ",
      ...tags, " ",
      h("span", { class: "muted mat-counts" }, ctx.t("mat.counts", { o: m.originals, c: m.copies })));
    const options = MARKS.filter((k) => k !== "waived" || m.waivable).map((k) =>
      h("label", { class: "seg", dataset: { mark: k } },
        h("input", { type: "radio", name: `mat-${m.key}`, value: k, checked: k === mark,
          onchange: () => this.#paint() }),
        h("span", {}, ctx.t(`mat.${k}`))));
    return h("fieldset", { class: "mat", dataset: { key: m.key, mark } }, legend,
      h("div", { class: "segs" }, ...options), this.detail ? this.detail(m) : null);
  }

  // Each row says its mark for the eye too (the colour follows the checked radio).
  #paint() {
    for (const row of this.box.querySelectorAll("fieldset.mat")) {
      const on = row.querySelector("input:checked");
      row.dataset.mark = on ? on.value : "missing";
      if (on && on.value !== "missing") row.classList.remove("invalid");
    }
  }
}
