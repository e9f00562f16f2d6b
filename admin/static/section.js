// A section of the admin console, and the list-plus-editor shape most sections share:
// a table of items with Edit / Delete per row, and a form beside it to add or edit one.
// After each change the list is read again from the server.

import { confirmDialog } from "/static/console/dialogs.js";
import {
  T, clearErrors, h, showError, showProblems, sr, tr, sameJson, uid,
} from "./ui.js";

export class Section {
  constructor(app, name, titleKey) {
    this.app = app;
    this.name = name;
    this.heading = T(titleKey, null, "h1", { id: `sec-${name}-h`, tabindex: "-1" });
    this.sub = h("span", { class: "sec-sub" });
    this.tools = h("div", { class: "sec-tools" });
    this.loadError = h("p", { class: "form-error load-error", role: "alert" });
    this.body = h("div", { class: "sec-body" });
    this.root = h(
      "section",
      { id: `sec-${name}`, class: "sec", "aria-labelledby": this.heading.id, hidden: true },
      h("div", { class: "sec-head" }, this.heading, this.sub, this.tools),
      this.loadError,
      this.body,
    );
    this.loaded = false;
  }

  get t() {
    return this.app.t.bind(this.app);
  }

  // Read from the server and draw; a failed read is said at the top of the section.
  // Refreshes run one after another, so the last one asked for is the one shown.
  refresh() {
    this.queue = (this.queue || Promise.resolve()).then(() => this.reload());
    return this.queue;
  }

  async reload() {
    this.loadError.textContent = "";
    this.loadError.owError = null;
    try {
      await this.load();
      this.loaded = true;
    } catch (err) {
      this.loadError.owError = err;
      this.loadError.textContent = this.app.errorText(err);
    }
    if (this.app.session) this.render();
  }

  async load() {}

  render() {}

  onHallChanged() {}
}

export class Crud extends Section {
  constructor(app, name, titleKey, { addKey, emptyKey, captionKey }) {
    super(app, name, titleKey);
    this.items = [];
    this.editing = undefined; // undefined: editor closed; null: adding; an item: editing it
    this.addKey = addKey;
    this.addButton = h("button", { type: "button", class: "primary", id: `${name}-add` });
    tr(this.addButton, addKey);
    this.addButton.addEventListener("click", () => this.openEditor(null));
    this.readonly = T("sec.readonly", null, "span", { class: "pill readonly" });
    this.tools.append(this.readonly, this.addButton);
    this.table = h("table", { class: "list", id: `${name}-table` });
    this.caption = T(captionKey, null, "caption", { class: "sr" });
    this.empty = T(emptyKey, null, "p", { class: "muted empty" });
    this.editor = h("form", { class: "card editor", id: `${name}-editor`, novalidate: true, hidden: true });
    this.editor.addEventListener("submit", (e) => {
      e.preventDefault();
      this.save();
    });
    this.editor.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        e.preventDefault();
        this.closeEditor();
      }
    });
    this.body.append(
      h("div", { class: "crud" }, h("div", { class: "card list-card" }, this.table, this.empty), this.editor),
    );
  }

  // --- what a subclass says -----------------------------------------------------------------
  key(item) { return item.id; }
  label(item) { return item.name; }
  columns() { return []; } // [{key, cell(item) -> text | Node, class?}]
  canAdd() { return this.app.isAdmin; }
  canEdit() { return this.app.isAdmin; }
  canDelete(item) { return this.canEdit(item); }
  fields() { return []; } // (item | null) -> [Node]
  read() { return {}; } // (form, item | null) -> body
  check() { return []; } // (body, item | null) -> [{field, key, vars}]
  async create() {}
  async update() {}
  async remove() {}

  // --- the list -----------------------------------------------------------------------------
  render() {
    this.readonly.hidden = this.canAdd() || this.items.some((i) => this.canEdit(i));
    this.addButton.hidden = !this.canAdd();
    const cols = this.columns();
    const head = h("tr", {}, cols.map((c) => T(c.key, null, "th", { scope: "col" })));
    const anyActions = this.items.some((i) => this.canEdit(i) || this.canDelete(i));
    if (anyActions) head.append(T("col.actions", null, "th", { scope: "col" }));
    const rows = this.items.map((item) => {
      const tr_ = h("tr", { dataset: { key: this.key(item) } });
      if (this.editing && this.key(this.editing) === this.key(item)) tr_.classList.add("selected");
      for (const c of cols) {
        const v = c.cell(item);
        tr_.append(h("td", { class: c.class || null }, v ?? ""));
      }
      if (anyActions) {
        const cell = h("td", { class: "row-actions" });
        if (this.canEdit(item)) {
          const b = h("button", { type: "button", class: "edit", dataset: { action: "edit" } },
            T("op.edit"), sr(` ${this.label(item)}`));
          b.addEventListener("click", () => this.openEditor(item));
          cell.append(b);
        }
        if (this.canDelete(item)) {
          const b = h("button", { type: "button", class: "danger", dataset: { action: "delete" } },
            T("op.delete"), sr(` ${this.label(item)}`));
          b.addEventListener("click", () => this.confirmDelete(item));
          cell.append(b);
        }
        tr_.append(cell);
      }
      return tr_;
    });
    this.table.replaceChildren(this.caption, h("thead", {}, head), h("tbody", {}, rows));
    this.table.hidden = !this.items.length;
    this.empty.hidden = this.items.length > 0 || !this.loaded;
  }

  rowButton(key, action) {
    return this.table.querySelector(`tr[data-key="${CSS.escape(String(key))}"] button[data-action="${action}"]`);
  }

  // --- the editor -----------------------------------------------------------------------------
  openEditor(item) {
    this.app.say(null);
    this.editing = item;
    this.returnTo = item ? this.key(item) : null; // the row whose Edit button gets focus back
    const title = item
      ? T(`${this.name}.edit_title`, { name: this.label(item) }, "h2")
      : T(this.addKey, null, "h2");
    title.id = uid(`${this.name}-editor-h`);
    this.editor.setAttribute("aria-labelledby", title.id);
    const cancel = T("op.cancel", null, "button", { type: "button", class: "ghost" });
    cancel.addEventListener("click", () => this.closeEditor());
    this.editor.replaceChildren(
      title,
      h("p", { class: "form-error", role: "alert" }),
      ...this.fields(item),
      h("div", { class: "form-buttons" },
        T("op.save", null, "button", { type: "submit", class: "primary" }),
        cancel),
    );
    this.editor.hidden = false;
    this.render();
    const first = this.editor.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (first) first.focus();
  }

  // Close the editor; focus goes to the Edit button of `key`'s row (the list is drawn
  // anew, so the button is found after drawing), else "Add", else the heading.
  closeEditor(key = this.returnTo, { focus = true } = {}) {
    this.editing = undefined;
    this.editor.hidden = true;
    this.editor.replaceChildren();
    this.render();
    if (!focus) return;
    const row = key !== null && key !== undefined ? this.rowButton(key, "edit") : null;
    (row || (this.addButton.hidden ? this.heading : this.addButton)).focus();
  }

  async save() {
    const form = this.editor;
    const item = this.editing;
    if (item === undefined || form.getAttribute("aria-busy") === "true") return;
    clearErrors(form);
    const body = this.read(form, item);
    if (showProblems(form, this.check(body, item))) return;
    let patch = body;
    if (item) {
      patch = {};
      // "" and null are both "nothing"; lists are sets here, so order does not count.
      const norm = (x) => (x === "" || x === undefined ? null : Array.isArray(x) ? [...x].sort() : x);
      for (const [k, v] of Object.entries(body)) if (!sameJson(norm(v), norm(item[k]))) patch[k] = v;
      if (!Object.keys(patch).length) {
        this.app.say("status.unchanged");
        this.closeEditor();
        return;
      }
    }
    form.setAttribute("aria-busy", "true");
    let saved;
    try {
      saved = item ? await this.update(item, patch) : await this.create(body);
    } catch (err) {
      const focus = showError(form, err);
      if (focus) focus.focus();
      return;
    } finally {
      form.removeAttribute("aria-busy");
    }
    this.app.say(item ? "status.saved" : "status.created", { name: this.label(saved || { ...item, ...body }) });
    await this.refresh();
    this.closeEditor(this.key(saved || { ...item, ...body }));
  }

  async confirmDelete(item) {
    const done = await confirmDialog({
      title: this.t(`${this.name}.delete_q`, { name: this.label(item) }),
      ok: this.t("op.delete"),
      submit: async () => {
        try {
          await this.remove(item);
          return null;
        } catch (err) {
          return this.app.errorText(err);
        }
      },
    });
    if (!done) return;
    this.app.say("status.deleted", { name: this.label(item) });
    if (this.editing && this.key(this.editing) === this.key(item)) this.closeEditor(null);
    await this.refresh();
    this.heading.focus();
  }
}
