// What a decision at the intake window came to: the 受理编号, the state, the promised
// day with the working days left, and for a correction notice every missing material
// with the notice to print (/console/notice/{case}, a page of its own in a new tab).

import { h } from "./dom.js";

export function stateLabel(ctx, c) {
  return ctx.lang === "zh" && c.state_zh ? c.state_zh : ctx.t(`cstate.${c.state}`);
}

export function dueText(ctx, c) {
  if (!c.due_day) return null;
  const n = c.days_left;
  if (n === null || n === undefined) return c.due_day;
  if (n > 0) return ctx.t("result.due_left", { day: c.due_day, n });
  if (n === 0) return ctx.t("result.due_today", { day: c.due_day });
  return ctx.t("result.due_over", { day: c.due_day, n: -n });
}

export function noticeHref(c) {
  return `/console/notice/${encodeURIComponent(c.id)}`;
}

// decision: accept | correction | refuse (what the clerk chose); materials: the matter's,
// for the counts of each missing one. Returns the element to focus first. Another panel
// than intake's gives its own id prefix (ids stay unique on the page) and next-step words.
export function renderResult(ctx, box, c, decision, materials, again,
  { prefix = "result", next: nextKey = "result.again" } = {}) {
  const byKey = new Map((materials || []).map((m) => [m.key, m]));
  const fact = (label, value, cls = null) =>
    value ? h("div", {}, h("dt", {}, ctx.t(label)), h("dd", { class: cls }, value)) : null;
  const pill = h("span", { class: "pill case-pill", dataset: { state: c.state } }, stateLabel(ctx, c));
  const head = h("h3", { id: `${prefix}-title` }, ctx.t(`result.title.${decision}`));
  const parts = [head, h("dl", { class: "result-facts" },
    fact("result.number", c.number, "case-number"),
    fact("result.state", pill),
    fact("result.matter", c.matter_name),
    fact("result.applicant", `${c.applicant} ${c.id_masked}`),
    fact("result.due", dueText(ctx, c)),
    fact("result.reason", c.state === "refused" ? c.reasons : null))];
  let first = null;
  if (c.state === "correction") {
    const items = c.missing.map((x) => {
      const m = byKey.get(x.key);
      const counts = m ? ` · ${ctx.t("mat.counts", { o: m.originals, c: m.copies })}` : "";
      return h("li", { dataset: { key: x.key } }, h("b", {}, x.name), h("span", { class: "muted" }, counts));
    });
    first = h("a", { class: "button primary", href: noticeHref(c), target: "_blank", rel: "noopener",
      id: `${prefix}-print`, "aria-describedby": `${prefix}-print-hint` }, ctx.t("result.print"));
    parts.push(h("h4", {}, ctx.t("result.missing", { n: items.length })),
      h("ol", { class: "missing-list" }, ...items),
      h("p", { class: "result-print" }, first, " ",
        h("span", { id: `${prefix}-print-hint`, class: "hint" }, ctx.t("result.print_hint"))));
  }
  const next = h("button", { type: "button", id: `${prefix}-again`, class: "quiet", onclick: again },
    ctx.t(nextKey));
  parts.push(h("p", { class: "result-next" }, next));
  box.replaceChildren(...parts);
  box.dataset.state = c.state;
  box.dataset.number = c.number;
  return first || next;
}
