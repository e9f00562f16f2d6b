// How an appointment reads on the phone: days, slot times, the check-in window, the
// booking code and its QR. Times are the hall's own: the API gives every instant with the
// hall's offset, so the wall-clock part of the string is what the hall's clock shows,
// whatever time zone the phone is in.
import { el, lang, t } from "./common.js";

const WEEK_ZH = ["周日", "周一", "周二", "周三", "周四", "周五", "周六"];
const WEEK_EN = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export const dayOf = (iso) => String(iso).slice(0, 10);
export const timeOf = (iso) => String(iso).slice(11, 16);
// Slots are named by their start instant: compared as instants, since an event may give
// the same instant with another offset than the slot list.
export const instant = (iso) => Date.parse(iso);

function parts(ymd) {
  const [y, m, d] = ymd.split("-").map(Number);
  return { y, m, d, wd: new Date(Date.UTC(y, m - 1, d)).getUTCDay() };
}

// "11月26日 周四" / "Thu 26 Nov".
export function dayLabel(ymd) {
  const p = parts(ymd);
  return lang === "zh" ? `${p.m}月${p.d}日 ${WEEK_ZH[p.wd]}` : `${WEEK_EN[p.wd]} ${p.d} ${MONTH_EN[p.m - 1]}`;
}

// "2027年1月3日 周日" / "Sun 3 Jan 2027": a day that may lie in another year.
export function fullDayLabel(ymd) {
  const p = parts(ymd);
  return lang === "zh" ? `${p.y}年${dayLabel(ymd)}` : `${dayLabel(ymd)} ${p.y}`;
}

// The short parts of a day button: the weekday (or today / tomorrow) and the date.
export function dayParts(ymd, today) {
  const p = parts(ymd);
  const next = parts(today);
  const tomorrow = new Date(Date.UTC(next.y, next.m - 1, next.d + 1)).toISOString().slice(0, 10);
  let top = lang === "zh" ? WEEK_ZH[p.wd] : WEEK_EN[p.wd];
  if (ymd === today) top = t("book.today");
  else if (ymd === tomorrow) top = t("book.tomorrow");
  return { top, date: lang === "zh" ? `${p.m}月${p.d}日` : `${p.d} ${MONTH_EN[p.m - 1]}` };
}

// "11月26日 周四 09:00–09:30".
export function slotLabel(start, end) {
  return `${dayLabel(dayOf(start))} ${timeOf(start)}–${timeOf(end)}`;
}

export function momentLabel(iso) {
  return `${dayLabel(dayOf(iso))} ${timeOf(iso)}`;
}

// The check-in window, on one day or across midnight.
export function windowLabel(from, until) {
  if (dayOf(from) === dayOf(until)) return `${dayLabel(dayOf(from))} ${timeOf(from)}–${timeOf(until)}`;
  return `${momentLabel(from)} – ${momentLabel(until)}`;
}

// The hall's date now ("YYYY-MM-DD"), for "today" and "tomorrow".
export function hallToday(tz) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
      .format(new Date());
  } catch {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  }
}

// The code in two groups of four: read aloud and typed at a kiosk without losing the place.
export function codeNode(code, cls) {
  const groups = code.length === 8 ? [code.slice(0, 4), code.slice(4)] : [code];
  const shown = el("span", { class: cls, "aria-hidden": "true" },
    ...groups.map((g) => el("span", { class: "code-group", text: g })));
  // A screen reader spells it out character by character.
  const said = el("span", { class: "sr-only", text: code.split("").join(" ") });
  return el("span", { class: "code-wrap" }, shown, said);
}

// The server's QR (segno's SVG with a fixed size): given a viewBox so CSS can scale it,
// and crisp module edges so a kiosk scanner reads it off a phone's screen.
export function qrNode(svgText, cls) {
  const box = el("div", { class: cls, role: "img", "aria-label": t("book.qr") });
  const tpl = document.createElement("template");
  tpl.innerHTML = svgText || "";
  const svg = tpl.content.firstElementChild;
  if (!svg || svg.tagName.toLowerCase() !== "svg") return box;
  for (const bad of svg.querySelectorAll("script, foreignObject")) bad.remove();
  const w = svg.getAttribute("width");
  const h = svg.getAttribute("height");
  if (w && h && !svg.getAttribute("viewBox")) svg.setAttribute("viewBox", `0 0 ${parseFloat(w)} ${parseFloat(h)}`);
  svg.removeAttribute("width");
  svg.removeAttribute("height");
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  box.append(svg);
  return box;
}
