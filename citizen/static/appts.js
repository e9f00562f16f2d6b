// 我的预约 on /m/me: the signed-in citizen's appointments with their state, slot, code and
// QR; 改期 (another slot of the same service, free places live), 取消 (after a confirmation)
// and 签到, which is enabled only inside the check-in window and re-evaluated as time
// passes. A check-in leads to the ticket's follow page; its token is kept on the phone.
import { api, describe, el, lang, t, tickets } from "./common.js";
import { codeNode, momentLabel, qrNode, slotLabel, timeOf, windowLabel } from "./appt_format.js";
import { button, closePanel, hallView, openCancel, openId, openReschedule, setupPanels } from "./appt_panels.js";

const $ = (id) => document.getElementById(id);
const TICK_MAX_MS = 60_000;
const CHANGED = new Set(["already_checked_in", "appointment_not_active", "appointment_expired"]);
const A = { list: [], token: null, timer: null, names: new Map(), onSignedOut: () => {} };
window.__appts = A;

const at = (iso) => Date.parse(iso);
const cardOf = (id) => document.querySelector(`.appt[data-appt="${CSS.escape(id)}"]`);

function say(text) {
  $("ap-status").textContent = text || "";
}

function phase(a, now = Date.now()) {
  if (now < at(a.check_in_from)) return "before";
  return now < at(a.check_in_until) ? "open" : "after";
}

// Booked ones first, soonest first; then the ended ones, newest first.
function ordered(list) {
  const live = list.filter((a) => a.state === "booked").sort((x, y) => at(x.slot_start) - at(y.slot_start));
  const ended = list.filter((a) => a.state !== "booked").sort((x, y) => at(y.slot_start) - at(x.slot_start));
  return [...live, ...ended];
}

// The service's name in the page's language: the appointment carries the Chinese one only.
async function englishNames(list) {
  if (lang === "zh") return;
  const views = await Promise.all([...new Set(list.map((a) => a.hall_id))].map(hallView));
  for (const v of views.filter(Boolean)) {
    for (const s of v.services || []) if (s.name_en) A.names.set(`${v.id}/${s.code}`, s.name_en);
  }
}

function card(a) {
  const slotId = `ap-${a.id}-slot`;
  const name = A.names.get(`${a.hall_id}/${a.service}`) || a.service_name;
  const title = el("h3", { class: "appt-service", id: `ap-${a.id}-title`, tabIndex: -1, text: name });
  const body = [
    el("div", { class: "appt-head" }, title, el("span", { class: "appt-state", text: t(`ap.state.${a.state}`) })),
    el("p", { class: "appt-hall", text: a.hall_name }),
    el("p", { class: "appt-slot", id: slotId, text: slotLabel(a.slot_start, a.slot_end) }),
  ];
  const reason = a.state === "cancelled" && a.cancel_reason && a.cancel_reason !== "citizen"
    ? t(`ap.reason.${a.cancel_reason}`) : "";
  if (reason) body.push(el("p", { class: "appt-note", text: reason }));
  if (a.state === "booked") {
    body.push(el("div", { class: "appt-code-row" },
      el("div", {}, el("p", { class: "appt-code-label", text: t("ap.code") }), codeNode(a.code, "code-mid")),
      qrNode(a.qr_svg, "qr qr-small")));
    body.push(el("p", { class: "appt-window", text: t("ap.window", { window: windowLabel(a.check_in_from, a.check_in_until) }) }));
    body.push(el("p", { class: "appt-ci", id: `ap-${a.id}-ci`, "data-role": "ci-note" }));
    body.push(el("div", { class: "appt-actions" },
      button(t("ap.checkin"), "primary checkin", () => checkIn(a), `${slotId} ap-${a.id}-ci`),
      button(t("ap.reschedule"), "secondary resched", () => openReschedule(a), slotId),
      button(t("ap.cancel"), "danger-outline cancel", () => openCancel(a), slotId)));
    body.push(el("div", { class: "appt-panel", hidden: true }));
  } else if (a.ticket_id) {
    const kept = tickets.get(a.ticket_id);
    body.push(kept
      ? el("a", { class: "button secondary", href: `/m/ticket/${encodeURIComponent(a.ticket_id)}`, text: t("ap.go_ticket") })
      : el("p", { class: "muted small", text: t("ap.no_token") }));
  } else {
    const again = `/m/${encodeURIComponent(a.hall_id)}/book/${encodeURIComponent(a.service)}`;
    body.push(el("a", { class: "button plain", href: again, text: t("ap.book_again"), "aria-describedby": `ap-${a.id}-title` }));
  }
  body.push(el("p", { class: "error", role: "alert", "data-role": "error" }));
  return el("li", { class: "appt card", "data-appt": a.id, "data-state": a.state }, ...body);
}

function render() {
  closePanel();
  const items = ordered(A.list).map(card);
  $("ap-list").replaceChildren(...items);
  $("ap-none").hidden = items.length > 0;
  tick();
  schedule();
}

// What time allows now: 签到 inside the window only; 改期 and 取消 until the slot starts.
function tick() {
  const now = Date.now();
  for (const a of A.list) {
    const c = a.state === "booked" ? cardOf(a.id) : null;
    if (!c) continue;
    const p = phase(a, now);
    const started = now >= at(a.slot_start);
    c.querySelector(".checkin").disabled = p !== "open";
    c.querySelector(".resched").disabled = started;
    c.querySelector(".cancel").disabled = started;
    c.dataset.phase = p;
    const note = { before: t("ap.ci.before", { from: momentLabel(a.check_in_from) }),
      open: t("ap.ci.open", { until: timeOf(a.check_in_until) }), after: t("ap.ci.after") }[p];
    const gap = lang === "zh" ? "" : " ";
    c.querySelector("[data-role=ci-note]").textContent = started ? `${note}${gap}${t("ap.ci.started")}` : note;
    if (started && openId() === a.id) closePanel();
  }
}

function schedule() {
  clearTimeout(A.timer);
  const now = Date.now();
  const next = A.list.filter((a) => a.state === "booked")
    .flatMap((a) => [a.check_in_from, a.slot_start, a.check_in_until].map(at))
    .filter((ms) => ms > now);
  const wait = next.length ? Math.min(...next) - now + 200 : TICK_MAX_MS;
  A.timer = setTimeout(() => {
    tick();
    schedule();
  }, Math.min(wait, TICK_MAX_MS));
}

function fail(a, err) {
  if (err.status === 401) {
    A.onSignedOut();
    return;
  }
  const c = cardOf(a.id);
  if (c) c.querySelector("[data-role=error]").textContent = describe(err);
}

function replace(updated) {
  A.list = A.list.map((x) => (x.id === updated.id ? updated : x));
  render();
  const title = $(`ap-${updated.id}-title`);
  if (title) title.focus();
}

async function checkIn(a) {
  const c = cardOf(a.id);
  const b = c.querySelector(".checkin");
  b.disabled = true;
  b.textContent = t("ap.checkin_busy");
  try {
    const r = await api("POST", `/api/appointments/${encodeURIComponent(a.id)}/check-in`, { citizen: A.token });
    const tk = r.ticket;
    // Kept as the phone page keeps the tickets it takes: the follow page survives a reload.
    tickets.save(tk.id, { token: tk.token, number: tk.number, hall_id: tk.hall_id,
      hall_name: tk.hall_name, service_name: tk.service_name, business_day: tk.business_day });
    const next = `/m/ticket/${encodeURIComponent(tk.id)}?token=${encodeURIComponent(tk.token)}`;
    if (!r.late) {
      location.assign(next);
      return;
    }
    // Past the slot: a walk-in ticket. Said first, then on to it.
    replace(r.appointment);
    cardOf(a.id).querySelector("a.button")?.remove(); // the panel below has the one link
    const late = el("div", { class: "late", role: "alert" },
      el("p", { class: "late-title", text: t("ap.late_title") }),
      el("p", { text: lang === "zh" ? r.message_zh : r.message }),
      el("a", { class: "button primary big", href: next, text: t("ap.go_ticket") }));
    cardOf(a.id).append(late);
    late.querySelector("a").focus();
  } catch (err) {
    b.textContent = t("ap.checkin");
    tick();
    if (CHANGED.has(err.code)) {
      // Checked in elsewhere (the kiosk), cancelled or over: said, and the list read afresh.
      say(describe(err));
      reloadSoon();
    } else {
      fail(a, err);
    }
  }
}

let reloading = null;
function reloadSoon() {
  if (reloading) return;
  reloading = setTimeout(() => {
    reloading = null;
    if (A.token) loadAppointments(A.token);
  }, 500);
}

export function setupAppointments({ onSignedOut }) {
  A.onSignedOut = onSignedOut;
  setupPanels({ token: () => A.token, replace, say, fail, cardOf, signedOut: () => A.onSignedOut() });
}

export async function loadAppointments(token) {
  A.token = token;
  try {
    const r = await api("GET", "/api/appointments/mine", { citizen: token });
    await englishNames(r.appointments || []);
    A.list = r.appointments || [];
    render();
  } catch (err) {
    if (err.status === 401) A.onSignedOut();
    else say(describe(err));
  }
}

export function clearAppointments() {
  closePanel();
  clearTimeout(A.timer);
  A.list = [];
  A.token = null;
  $("ap-list").replaceChildren();
  say("");
}
