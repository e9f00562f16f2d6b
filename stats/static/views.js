// Drawing the page's figures: today's tiles, tables and chart, the alert, the range's
// charts and tables. Each takes the page (its data, charts and catalog).

import { $, h, setText } from "/static/console/dom.js";
import { bucketName, duration, figuresTable, percent, rangeTables } from "./tables.js";

export function renderAlert(page) {
  const v = page.live;
  $("alert").hidden = !v.alert;
  setText($("alert-text"), page.t("alert.text", { longest: duration(v.longest_wait_s, (k, x) => page.t(k, x)),
    target: duration(v.target_s, (k, x) => page.t(k, x)) }));
}

export function renderLive(page) {
  const v = page.live;
  const t = (k, x) => page.t(k, x);
  const f = v.today;
  setText($("live-at"), t("live.at", { day: v.business_day, time: v.at.slice(11, 19) }));
  page.renderAlert();
  const tiles = [
    ["waiting", v.waiting_total],
    ["longest", duration(v.longest_wait_s, t), v.longest_wait_s > v.target_s],
    ["avg_wait", duration(f.avg_wait_s, t)],
    ["p90_wait", duration(f.p90_wait_upper_s, t)],
    ["avg_service", duration(f.avg_service_s, t)],
    ["issued", f.issued],
    ["served", f.served],
    ["no_show", percent(f.no_show_rate, t)],
    ["windows", `${v.windows_open} / ${v.windows_total}`],
    ["satisfaction", percent(f.satisfaction, t)],
    ["within", percent(f.within_target_share, t)],
    ["on_time", percent(f.on_time_rate, t)],
  ];
  $("tiles").replaceChildren(...tiles.map(([k, value, over]) => h("div",
    { class: over ? "tile over" : "tile", id: `tile-${k}`, dataset: { key: k } },
    h("dt", {}, t(`tile.${k}`)), h("dd", {}, String(value)))));
  $("waiting-rows").replaceChildren(...(v.waiting.length ? v.waiting.map((w) => h("tr",
    { dataset: { key: w.service } }, h("th", { scope: "row" }, `${w.service} ${w.name}`),
    h("td", { class: "n" }, String(w.waiting)), h("td", { class: "n" }, duration(w.longest_wait_s, t))))
    : [h("tr", {}, h("td", { colspan: 3 }, t("table.empty")))]));
  const hours = everyHour(v.served_per_hour, Number(v.at.slice(11, 13)));
  $("hours-rows").replaceChildren(...hours.map((x) => h("tr", {},
    h("th", { scope: "row" }, t("hour.range", { h: x.hour })), h("td", { class: "n" }, String(x.served)))));
  page.hoursChart.show([hours.map((_, i) => i), hours.map((x) => x.served)],
    { names: hours.map((x) => `${x.hour}:00`), y: t("series.served") });
  figuresTable($("live-service"), v.per_service, t, { first: "col.service" });
}

export function renderRange(page) {
  const r = page.range;
  const t = (k, x) => page.t(k, x);
  setText($("range-note"), r.missing_days.length
    ? t("range.missing", { days: r.missing_days.join("、") }) : "");
  rangeTables($("range-tables"), r, t, (name) => page.exportCsv(name));
  const days = r.per_day;
  page.daysChart.show([
    days.map((_, i) => i),
    days.map((d) => d.served),
    days.map((d) => (d.avg_wait_s === null ? null : Math.round(d.avg_wait_s / 6) / 10)),
  ], { names: days.map((d) => d.key.slice(5)), day: t("col.day"), served: t("series.served"),
    wait: t("series.wait") });
  $("hist-rows").replaceChildren(...r.histogram.map((b) => h("tr", {},
    h("th", { scope: "row" }, bucketName(b, t)), h("td", { class: "n" }, String(b.tickets)))));
  page.histChart.show([r.histogram.map((_, i) => i), r.histogram.map((b) => b.tickets)],
    { names: r.histogram.map((b) => (b.to_min === null ? `${b.from_min}+` : `${b.from_min}`)),
      y: t("series.tickets") });
}

// Served per hour, with the quiet hours as zeros, from the first hour served to now.
function everyHour(served, now) {
  if (!served.length) return [];
  const by = new Map(served.map((x) => [x.hour, x.served]));
  const first = Math.min(served[0].hour, now);
  const last = Math.max(served[served.length - 1].hour, now);
  const out = [];
  for (let hour = first; hour <= last; hour++) out.push({ hour, served: by.get(hour) || 0 });
  return out;
}
