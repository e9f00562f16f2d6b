// How a deadline reads: a badge with a shape and a word beside its colour (never colour
// alone), the due day, and the working days left; shared by the inbox and the case.

import { h, setText } from "/static/console/dom.js";

const ICONS = { green: "●", yellow: "▲", red: "✖" };
export const OPEN_STATES = new Set(["pending", "claimed", "supplement", "suspended"]);
export const STOPPED_STATES = new Set(["supplement", "suspended"]);

// Fill a badge element: data-colour for the style, an icon the reader skips, the word.
export function fillBadge(el, colour, t) {
  const c = ICONS[colour] ? colour : "green";
  el.dataset.colour = c;
  el.replaceChildren(h("span", { "aria-hidden": "true" }, ICONS[c]), t(`colour.${c}`));
}

export function makeBadge(colour, t) {
  const el = h("span", { class: "badge" });
  fillBadge(el, colour, t);
  return el;
}

// "2026-12-02" -> "12月2日" (the hall's own date; no time zone involved).
export function dayText(iso, t) {
  if (!iso) return t("due.none");
  const [, m, d] = iso.split("-").map(Number);
  return t("due.day", { m, d });
}

// "剩 3 个工作日" / "今日到期" / "超期 2 个工作日"; a stopped clock says so.
export function leftText(row, t) {
  if (STOPPED_STATES.has(row.state)) return t("due.stopped");
  const n = row.days_left;
  if (n === null || n === undefined) return "";
  if (n < 0) return t("due.over", { n: -n });
  if (n === 0) return t("due.today");
  return t("due.left", { n });
}

// One line for the screen reader: "临期，12月2日，剩 1 个工作日".
export function deadlineWords(row, t) {
  return [t(`colour.${row.colour}`), dayText(row.due_day, t), leftText(row, t)]
    .filter(Boolean).join("，");
}

// The inbox's deadline cell: badge, then the day over the days left.
export function deadlineCell() {
  return h("div", { class: "due" }, h("span", { class: "badge" }),
    h("span", { class: "due-text" }, h("time", {}), h("small", {})));
}

export function fillDeadline(cell, row, t) {
  const [badge, text] = cell.children;
  fillBadge(badge, row.colour, t);
  const [time, small] = text.children;
  time.setAttribute("datetime", row.due_day || "");
  setText(time, dayText(row.due_day, t));
  setText(small, leftText(row, t));
}

// Sorted by deadline, the earliest first; no deadline last; then by number.
export function byDeadline(a, b) {
  const da = a.due_day || "9999-12-31";
  const db = b.due_day || "9999-12-31";
  if (da !== db) return da < db ? -1 : 1;
  return a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
}

// Which rows a tab shows: the server's views (GET /api/dept/tasks?view=...) by colour.
export function inView(row, view) {
  if (view === "overdue") return row.colour === "red";
  if (view === "due_soon") return row.colour === "yellow";
  return true;
}
