// The matters catalog (事项) for citizens, shared by the phone's 办事指南 and the
// kiosk's: the two public reads, and one matter's guide drawn as plain elements
// (its facts, the approving departments, the materials table). Each page styles
// them with its own CSS, by the class names below. Strings: strings_guide.js.
// Everything from the server is set as text, never parsed as HTML.

export class GuideError extends Error {
  // error: the server's {code, message, message_zh} or ours {code, key}.
  constructor(status, error) {
    super(error.message || error.code);
    this.status = status;
    this.error = error;
    this.code = error.code;
  }
}

async function read(path, signal) {
  let res;
  try {
    res = await fetch(path, { headers: { accept: "application/json" }, cache: "no-store", signal });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new GuideError(0, { code: "network", key: "matter.err.network" });
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (res.ok && data) return data;
  throw new GuideError(res.status, (data && data.error) || { code: "bad_reply", key: "matter.err.bad_reply" });
}

// The hall's enabled matters whose name, pinyin initials or code match q (all for "").
export async function searchMatters(hallId, q = "", { signal } = {}) {
  const query = q.trim() ? `?q=${encodeURIComponent(q.trim().slice(0, 40))}` : "";
  const data = await read(`/api/halls/${encodeURIComponent(hallId)}/matters${query}`, signal);
  return data.matters || [];
}

export function getMatter(hallId, code, { signal } = {}) {
  return read(`/api/halls/${encodeURIComponent(hallId)}/matters/${encodeURIComponent(code)}`, signal);
}

export const matterName = (m, lang) => (lang !== "zh" && m.name_en ? m.name_en : m.name);

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function leadName(m) {
  const lead = (m.departments || []).find((d) => d.lead) || (m.departments || [])[0];
  return lead ? lead.name : "";
}

// One line under a matter's name in a list: "承诺 5 个工作日 · 市公安局 牵头".
export function matterBrief(m, t) {
  const parts = [t("matter.brief", { n: m.promised_days })];
  const lead = leadName(m);
  if (lead) parts.push(t("matter.brief_lead", { dept: lead }));
  return parts.join(" · ");
}

// The facts: time limits, fees, where to apply and where to collect (<dl class="matter-facts">).
export function matterFacts(m, t) {
  const at = (text, service) => text
    || (service ? t("matter.at_windows", { name: service }) : t("matter.not_given"));
  const rows = [
    ["promised", t("matter.promised"), t("matter.days", { n: m.promised_days })],
    ["legal", t("matter.legal"), t("matter.days", { n: m.legal_days })],
    ["fees", t("matter.fees"), m.fees || t("matter.not_given")],
    ["apply_at", t("matter.apply_at"), at(m.apply_at, m.intake_service_name)],
    ["pickup_at", t("matter.pickup_at"), at(m.pickup_at, m.pickup_service_name)],
    ["code", t("matter.code"), m.code],
  ];
  const dl = el("dl", "matter-facts");
  for (const [key, name, value] of rows) {
    const row = el("div", `fact fact-${key}`);
    row.append(el("dt", null, name), el("dd", null, value));
    dl.append(row);
  }
  return dl;
}

// The approving departments, the lead first and marked 牵头 (<ul class="matter-depts">).
export function departmentList(m, t) {
  const ul = el("ul", "matter-depts");
  for (const d of m.departments || []) {
    const li = el("li", d.lead ? "dept is-lead" : "dept");
    li.dataset.department = d.id;
    li.append(el("span", "dept-name", d.name || d.id));
    if (d.lead) li.append(" ", el("span", "tag tag-lead", t("matter.lead")));
    ul.append(li);
  }
  return ul;
}

// The materials under a heading (<h2> unless `heading` says): name, originals, copies,
// required or optional and 容缺 marked, with the note that says what 容缺 means when one
// is (<table class="matter-materials">, named by the heading).
export function materialsTable(m, t, { heading = "h2" } = {}) {
  const items = m.materials || [];
  const box = el("div", "matter-materials-box");
  const title = el(heading, "matter-materials-title", t("matter.materials", { n: items.length }));
  title.id = "matter-materials-title";
  box.append(title);
  if (!items.length) {
    box.append(el("p", "matter-materials-none", t("matter.materials_none")));
    return box;
  }
  const table = el("table", "matter-materials");
  table.setAttribute("aria-labelledby", title.id);
  const head = el("tr");
  for (const [key, cls] of [["name", "col-name"], ["originals", "col-n"], ["copies", "col-n"], ["need", "col-need"]]) {
    const th = el("th", cls, t(`matter.col.${key}`));
    th.scope = "col";
    head.append(th);
  }
  const thead = el("thead");
  thead.append(head);
  const body = el("tbody");
  const count = (n) => (n > 0 ? t("matter.count", { n }) : t("matter.zero"));
  for (const x of items) {
    const tr = el("tr", x.required ? "is-required" : "is-optional");
    tr.dataset.material = x.key;
    const name = el("th", "col-name", x.name);
    name.scope = "row";
    const need = el("td", "col-need");
    need.append(el("span", x.required ? "tag tag-required" : "tag tag-optional",
      t(x.required ? "matter.required" : "matter.optional")));
    if (x.waivable) need.append(" ", el("span", "tag tag-waivable", t("matter.waivable")));
    tr.append(name, el("td", "col-n", count(x.originals)), el("td", "col-n", count(x.copies)), need);
    body.append(tr);
  }
  table.append(thead, body);
  box.append(table);
  if (items.some((x) => x.waivable)) box.append(el("p", "matter-note", t("matter.waivable_note")));
  return box;
}
