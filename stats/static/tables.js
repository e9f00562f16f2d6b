// The page's tables: every figure as text (the charts' numbers too), built with the DOM
// only (textContent), each range table with its CSV export button.

import { h } from "/static/console/dom.js";

// Seconds as words: "12 分 30 秒"; null (nothing to measure) as a dash.
export function duration(s, t) {
  if (s === null || s === undefined) return t("dash");
  const whole = Math.round(s);
  if (whole < 60) return t("fmt.s", { s: whole });
  const m = Math.floor(whole / 60);
  const rest = whole % 60;
  return rest ? t("fmt.min_s", { m, s: rest }) : t("fmt.min", { m });
}

export function percent(x, t) {
  return x === null || x === undefined ? t("dash") : `${(x * 100).toFixed(1)}%`;
}

export function bucketName(b, t) {
  return b.to_min === null ? t("bucket.over", { from: b.from_min })
    : t("bucket.range", { from: b.from_min, to: b.to_min });
}

const COLUMNS = [
  ["col.issued", (f) => f.issued],
  ["col.served", (f) => f.served],
  ["col.no_show", (f) => f.no_show],
  ["col.avg_wait", (f, t) => duration(f.avg_wait_s, t)],
  ["col.p90", (f, t) => duration(f.p90_wait_upper_s, t)],
  ["col.avg_service", (f, t) => duration(f.avg_service_s, t)],
  ["col.within", (f, t) => percent(f.within_target_share, t)],
  ["col.no_show_rate", (f, t) => percent(f.no_show_rate, t)],
  ["col.rated", (f) => f.rated],
  ["col.satisfaction", (f, t) => percent(f.satisfaction, t)],
];

// A table of figures rows: the first column names the row (a th), the rest are numbers.
export function figuresTable(table, rows, t, { first = "col.key", caption = "" } = {}) {
  const head = h("tr", {}, h("th", { scope: "col" }, t(first)),
    COLUMNS.map(([k]) => h("th", { scope: "col", class: "n" }, t(k))));
  const body = rows.length ? rows.map((f) => h("tr", { dataset: { key: f.key } },
    h("th", { scope: "row" }, f.name || f.key),
    COLUMNS.map(([, get]) => h("td", { class: "n" }, String(get(f, t))))))
    : [h("tr", {}, h("td", { colspan: COLUMNS.length + 1 }, t("table.empty")))];
  table.replaceChildren(...(caption ? [h("caption", {}, caption)] : []),
    h("thead", {}, head), h("tbody", {}, body));
}

// The range's five tables, each under its heading with an export button.
export function rangeTables(container, data, t, onExport) {
  const parts = [["day", data.per_day, "col.day"], ["service", data.per_service, "col.service"],
    ["window", data.per_window, "col.key"], ["clerk", data.per_clerk, "col.key"],
    ["channel", data.per_channel, "col.key"]];
  container.replaceChildren(...parts.map(([name, rows, first]) => {
    const id = `range-${name}`;
    const table = h("table", { class: "grid", id, "aria-labelledby": `${id}-title` });
    figuresTable(table, rows, t, { first });
    return h("section", {},
      h("div", { class: "table-head" }, h("h2", { id: `${id}-title` }, t(`table.${name}`)),
        h("button", { type: "button", class: "ghost export", dataset: { table: name },
          onclick: () => onExport(name) }, t("range.export"))),
      h("div", { class: "scroll" }, table));
  }));
}
