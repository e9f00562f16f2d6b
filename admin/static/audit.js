// The audit log: who did what to which object, when and from where; newest first, a page
// at a time, filtered by actor, action, target and time, and downloadable as CSV.
// The CSV is fetched with the token in the Authorization header and saved from a Blob.

import { Section } from "./section.js";
import { T, clearErrors, field, h, showError, showProblems, sr } from "./ui.js";

const PAGE = 50;

function pad(n) {
  return String(n).padStart(2, "0");
}

// ISO time -> "2026-12-02 17:14:43" in the browser's time zone.
export function localTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso || "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// The date over the time: the column stays narrow.
function timeCell(iso) {
  const [day, time] = localTime(iso).split(" ");
  return h("time", { datetime: iso }, h("span", { class: "t-day" }, day), " ", h("span", { class: "t-clock" }, time || ""));
}

function compact(v) {
  if (v === null || v === undefined) return "—";
  return typeof v === "string" ? v : JSON.stringify(v);
}

export class AuditSection extends Section {
  constructor(app) {
    super(app, "audit", "audit.title");
    this.entries = [];
    this.next = null;
    this.pages = [null]; // the `before` of each page seen, for going back
    this.filters = {};

    this.csv = T("audit.csv", null, "button", { type: "button", id: "audit-csv" });
    this.csv.addEventListener("click", () => this.download());
    this.tools.append(this.csv);

    const hallField = field({ name: "hall", label: "audit.hall", kind: "select", options: [] });
    this.hallSelect = hallField.querySelector("select");
    this.hallField = hallField;
    this.form = h("form", { class: "card audit-filter", id: "audit-filter", novalidate: true, role: "search", "aria-labelledby": "audit-filter-h" },
      T("audit.filter", null, "h2", { id: "audit-filter-h" }),
      h("div", { class: "filter-grid" },
        hallField,
        field({ name: "actor", label: "audit.actor", hint: null, attrs: { autocomplete: "off", spellcheck: "false" } }),
        field({ name: "action", label: "audit.action", attrs: { autocomplete: "off", spellcheck: "false", list: "audit-actions" } }),
        field({ name: "target", label: "audit.target", attrs: { autocomplete: "off", spellcheck: "false" } }),
        field({ name: "since", label: "audit.since", kind: "datetime-local", attrs: { step: "1" } }),
        field({ name: "until", label: "audit.until", kind: "datetime-local", attrs: { step: "1" } })),
      h("div", { class: "form-buttons" },
        T("audit.search", null, "button", { type: "submit", class: "primary", id: "audit-search" }),
        T("audit.clear", null, "button", { type: "button", class: "ghost", id: "audit-clear" })));
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.search();
    });
    this.form.querySelector("#audit-clear").addEventListener("click", () => {
      this.form.reset();
      this.fillHalls();
      this.search();
    });
    this.actions = h("datalist", { id: "audit-actions" });

    this.table = h("table", { class: "list audit-table", id: "audit-table" });
    this.empty = T("audit.empty", null, "p", { class: "muted" });
    this.pageInfo = h("span", { class: "muted", id: "audit-page" });
    this.prev = T("audit.prev", null, "button", { type: "button", id: "audit-prev" });
    this.nextButton = T("audit.next", null, "button", { type: "button", id: "audit-next" });
    this.prev.addEventListener("click", () => this.go(-1));
    this.nextButton.addEventListener("click", () => this.go(1));
    this.body.append(
      this.form,
      this.actions,
      h("div", { class: "card list-card" },
        h("div", { class: "table-scroll" }, this.table),
        this.empty,
        h("nav", { class: "pager", "data-i18n-aria": "audit.pager", "aria-label": app.t("audit.pager") },
          this.prev, this.pageInfo, this.nextButton)),
    );
  }

  fillHalls() {
    const app = this.app;
    this.hallField.hidden = !app.isAdmin;
    const keep = this.hallSelect.value;
    const opts = [
      T("audit.all_halls", null, "option", { value: "" }),
      ...app.halls.map((x) => h("option", { value: x.id }, x.name)),
      T("audit.no_hall", null, "option", { value: "*" }),
    ];
    this.hallSelect.replaceChildren(...opts);
    this.hallSelect.value = keep && (keep === "*" || app.halls.some((x) => x.id === keep)) ? keep : "";
  }

  // The filters as query parameters; the times in the browser's zone, sent as ISO.
  readFilters() {
    const f = this.form.elements;
    const out = {};
    const hall = this.app.isAdmin ? f.hall.value : this.app.session.hall;
    if (hall) out.hall = hall;
    for (const k of ["actor", "action", "target"]) if (f[k].value.trim()) out[k] = f[k].value.trim();
    for (const k of ["since", "until"]) {
      if (f[k].value) {
        const d = new Date(f[k].value);
        if (!Number.isNaN(d.getTime())) out[k] = d.toISOString();
      }
    }
    return out;
  }

  check(filters) {
    const p = [];
    const f = this.form.elements;
    for (const k of ["since", "until"]) if (f[k].value && !filters[k]) p.push({ field: k, key: "audit.bad_time" });
    if (filters.since && filters.until && filters.since > filters.until) p.push({ field: "until", key: "audit.until_before" });
    return p;
  }

  query(extra = {}) {
    return new URLSearchParams({ ...this.filters, ...extra }).toString();
  }

  async search() {
    clearErrors(this.form);
    const filters = this.readFilters();
    if (showProblems(this.form, this.check(filters))) return;
    this.filters = filters;
    this.pages = [null];
    await this.refresh();
    if (this.loaded) this.app.say(this.next ? "audit.found_more" : "audit.found", { n: this.entries.length });
  }

  async go(step) {
    if (step > 0 && this.next) this.pages.push(this.next);
    else if (step < 0 && this.pages.length > 1) this.pages.pop();
    else return;
    await this.refresh();
    (step > 0 && !this.nextButton.disabled ? this.nextButton : this.prev.disabled ? this.nextButton : this.prev).focus();
  }

  async load() {
    if (!this.hallSelect.options.length) this.fillHalls();
    const before = this.pages[this.pages.length - 1];
    const r = await this.app.client.get(`/api/audit?${this.query({ limit: PAGE, ...(before != null ? { before } : {}) })}`);
    this.entries = r.entries || [];
    this.next = r.next ?? null;
    const seen = new Set([...this.actions.querySelectorAll("option")].map((o) => o.value));
    for (const e of this.entries) {
      if (e.action && !seen.has(e.action)) {
        seen.add(e.action);
        this.actions.append(h("option", { value: e.action }));
      }
    }
  }

  onHallChanged() {
    this.hallSelect.replaceChildren();
  }

  render() {
    const app = this.app;
    if (!this.hallSelect.options.length) this.fillHalls();
    const head = h("tr", {}, ["audit.at", "audit.actor", "audit.role", "audit.action", "audit.target", "audit.hall", "audit.client", "audit.detail"]
      .map((k) => T(k, null, "th", { scope: "col" })));
    const rows = this.entries.map((e) => h("tr", { dataset: { id: e.id } },
      h("td", { class: "mono nowrap" }, timeCell(e.at)),
      h("td", { class: "mono wrap-any" }, e.actor || "—"),
      h("td", { class: "nowrap" }, e.role ? app.t(`role.${e.role}`) : "—"),
      h("td", { class: "mono nowrap" }, e.action || ""),
      h("td", { class: "mono wrap-any" }, e.target || ""),
      h("td", { class: "hall" }, e.hall ? app.hallName(e.hall) : "—"),
      h("td", { class: "mono small" }, e.client || "", e.user_agent ? h("span", { class: "ua", title: e.user_agent }, sr(` ${e.user_agent}`)) : null),
      h("td", {}, this.detail(e))));
    this.table.replaceChildren(T("audit.caption", null, "caption", { class: "sr" }), h("thead", {}, head), h("tbody", {}, rows));
    this.table.setAttribute("tabindex", "-1");
    this.table.hidden = !this.entries.length;
    this.empty.hidden = this.entries.length > 0 || !this.loaded;
    this.prev.disabled = this.pages.length <= 1;
    this.nextButton.disabled = !this.next;
    this.pageInfo.replaceChildren(T("audit.page", { n: this.pages.length }));
  }

  // A configuration change's before and after, field by field; anything else as JSON.
  detail(e) {
    const d = e.detail;
    if (!d || (typeof d === "object" && !Object.keys(d).length)) return "";
    let body;
    if (d.before !== undefined || d.after !== undefined) {
      const before = d.before || {};
      const after = d.after || {};
      const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
      body = h("table", { class: "diff" },
        h("thead", {}, h("tr", {}, T("audit.field", null, "th", { scope: "col" }), T("audit.before", null, "th", { scope: "col" }), T("audit.after", null, "th", { scope: "col" }))),
        h("tbody", {}, keys.map((k) => h("tr", {}, h("th", { scope: "row", class: "mono" }, k), h("td", { class: "mono" }, compact(before[k])), h("td", { class: "mono" }, compact(after[k]))))));
    } else {
      body = h("pre", { class: "mono" }, JSON.stringify(d, null, 2));
    }
    return h("details", {}, h("summary", {}, T("audit.show"), sr(` ${e.action || ""} ${e.target || ""}`)), body);
  }

  async download() {
    clearErrors(this.form);
    const stamp = localTime(new Date().toISOString()).replace(/[-: ]/g, "").slice(0, 12);
    this.csv.disabled = true;
    try {
      const filters = this.readFilters();
      const q = new URLSearchParams(filters).toString();
      await this.app.client.download(`/api/audit.csv${q ? `?${q}` : ""}`, `audit-${stamp}.csv`);
      this.app.say("audit.csv_done");
    } catch (err) {
      showError(this.form, err, null);
    } finally {
      this.csv.disabled = false;
    }
  }
}
